"""Schema migrations (Alembic, scripts in ``api/migrations``), configured in code so they
run from any working directory.

``upgrade(settings)`` brings a home's database to the newest revision. A database that
already has our tables but no ``alembic_version`` was made by ``create_all`` in an older
home: it is stamped as the newest revision instead of being created again.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from corpus.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"
# Tables that have been in every home since the first release: finding one means create_all.
KNOWN_TABLES = frozenset({"documents", "chunks"})


def config(url: str, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # ConfigParser escaping
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(settings: Settings) -> str:
    """Migrate (or stamp) the home's database to head; returns what was done."""
    if settings.db_url.startswith("sqlite"):
        settings.ensure_home()
    engine = create_engine(settings.db_url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            tables = set(inspect(connection).get_table_names())
            cfg = config(settings.db_url, connection)
            if VERSION_TABLE not in tables and tables & KNOWN_TABLES:
                command.stamp(cfg, "head")
                return "stamped"
            command.upgrade(cfg, "head")
            return "upgraded"
    finally:
        engine.dispose()
