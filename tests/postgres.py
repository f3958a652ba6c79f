"""PostgreSQL for the persistence tests, next to SQLite.

``JNT_TEST_POSTGRES_URL`` names a server and a role that may create databases, e.g.
``postgresql+psycopg://jnt:jnt@127.0.0.1/jnt_test``. A test run creates one database of its
own with a unique name, gives every test that asks a fresh schema in it (through the
connection's ``search_path``), and drops the database at the end, so runs never see each
other's rows. Without the variable the PostgreSQL cases are skipped, except under CI, where
``test_ci_runs_postgres`` fails instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import NullPool

ENV = "JNT_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgresql"]


def server_url() -> str | None:
    return os.environ.get(ENV) or None


def _admin(url: URL) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[URL]:
    """A database of this test run's own, dropped at the end."""
    base = server_url()
    if base is None:
        pytest.skip(f"{ENV} is not set")
    server = make_url(base)
    name = f"jnt_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = _admin(server)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name)
    finally:  # FORCE: the project's cached engines may still hold pooled connections
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fresh_schema(database: URL) -> str:
    """A URL whose default schema is a new, empty one in ``database``."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = _admin(database)
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    url = database.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str | None:
    """``None`` for the home's own SQLite file, or a fresh PostgreSQL schema's URL."""
    if request.param == "sqlite":
        return None
    return fresh_schema(request.getfixturevalue("postgres_database"))

