"""Schema migrations (Alembic, scripts in ``api/migrations``), configured in code so they
run from any working directory.

``upgrade(settings)`` brings a home's database to the newest revision. A database that
already has our tables but no ``alembic_version`` was made by ``create_all`` in an older
home: it is stamped as the newest revision instead of being created again.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from corpus.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"
# Tables that have been in every home since the first release: finding one means create_all.
KNOWN_TABLES = frozenset({"documents", "chunks"})
log = logging.getLogger("jnt.api")


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


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest revision among the migration scripts shipped with this code."""
    return ScriptDirectory.from_config(config("sqlite://")).get_current_head()


def is_current(connection: Connection) -> bool:
    """Whether the database is at the revision this code expects: a node started on a
    database nobody upgraded would fail every job claim and many writes. A database with
    no revision at all was made by ``create_all`` of this code (a new home that has not
    run ``jnt setup``): its tables are the models', so it counts as current."""
    revision = MigrationContext.configure(connection).get_current_revision()
    return revision is None or revision == head_revision()


def warn_if_behind(settings: Settings) -> None:
    """Say once, at start-up, that the database needs ``jnt db upgrade``; the service
    still starts (``/readyz`` answers 503 with ``schema``) so the operator can see why."""
    engine = create_engine(settings.db_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except Exception as exc:  # noqa: BLE001 — an unreachable database is /readyz's to report
        log.warning("could not read the database schema revision: %s", type(exc).__name__)
        return
    finally:
        engine.dispose()
    if current is not None and current != head_revision():
        log.error("database schema is at revision %s, this version needs %s: run "
                  "`jnt db upgrade` (the service is not ready until then)", current,
                  head_revision())
