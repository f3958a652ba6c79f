"""Alembic migrations: head is exactly the models, down and up again works, an old home made
by ``create_all`` is stamped, on SQLite and on PostgreSQL (tests/postgres.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

import api.db_migrate as db_migrate
from corpus.db import Base
from corpus.settings import Settings
from tests.postgres import ENV

# Import every model module, as the migration environment does.
for _name in ("assistant.store", "matcher.db", "api.models"):
    __import__(_name)


def _settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(home=tmp_path / "home", database_url=database_url)


def _head() -> str:
    head = ScriptDirectory.from_config(db_migrate.config("sqlite://")).get_current_head()
    assert head
    return head


def _state(url: str) -> tuple[set[str], str | None, list]:
    """Tables, the stamped revision, and every difference from the models."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        tables = set(inspect(conn).get_table_names())
        return tables, ctx.get_current_revision(), compare_metadata(ctx, Base.metadata)


def test_upgrade_head_creates_exactly_the_models(tmp_path: Path,
                                                 database_url: str | None) -> None:
    settings = _settings(tmp_path, database_url)
    assert db_migrate.upgrade(settings) == "upgraded"
    tables, revision, diff = _state(settings.db_url)
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    assert revision == _head()
    assert diff == []
    assert db_migrate.upgrade(settings) == "upgraded"  # again: nothing to do


def test_downgrade_to_base_then_upgrade_again(tmp_path: Path,
                                              database_url: str | None) -> None:
    settings = _settings(tmp_path, database_url)
    db_migrate.upgrade(settings)
    command.downgrade(db_migrate.config(settings.db_url), "base")
    tables, revision, _ = _state(settings.db_url)
    assert tables <= {"alembic_version"} and revision is None
    db_migrate.upgrade(settings)
    tables, revision, diff = _state(settings.db_url)
    assert revision == _head() and diff == []
    assert set(Base.metadata.tables) <= tables


def test_an_old_home_made_by_create_all_is_stamped(tmp_path: Path,
                                                   database_url: str | None) -> None:
    settings = _settings(tmp_path, database_url)
    settings.ensure_home()
    engine = create_engine(settings.db_url, poolclass=NullPool)
    Base.metadata.create_all(engine)
    engine.dispose()
    assert db_migrate.upgrade(settings) == "stamped"
    tables, revision, diff = _state(settings.db_url)
    assert revision == _head() and diff == []
    assert db_migrate.upgrade(settings) == "upgraded"


def test_a_service_started_before_the_upgrade_does_not_break_it(
        tmp_path: Path, database_url: str | None) -> None:
    """A node started on a database at an old revision builds its engine, whose
    ``create_all`` makes the newer tables in their newest shape; ``jnt db upgrade`` must
    then still reach head (it had failed with "table already exists")."""
    settings = _settings(tmp_path, database_url)
    settings.ensure_home()
    command.upgrade(db_migrate.config(settings.db_url), "0002")
    engine = create_engine(settings.db_url, poolclass=NullPool)
    with engine.connect() as conn:
        assert not db_migrate.is_current(conn)
    Base.metadata.create_all(engine)  # what the service's engine does on start
    engine.dispose()
    assert db_migrate.upgrade(settings) == "upgraded"
    tables, revision, diff = _state(settings.db_url)
    assert revision == _head() and diff == []
    assert set(Base.metadata.tables) <= tables


def test_readyz_names_a_schema_nobody_upgraded(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    settings = _settings(tmp_path, None)
    settings.ensure_home()
    command.upgrade(db_migrate.config(settings.db_url), "0002")
    client = TestClient(create_app(settings))
    failed = client.get("/readyz").json()["detail"]["failed"]
    assert "schema" in failed
    db_migrate.upgrade(settings)
    assert "schema" not in client.get("/readyz").json()["detail"]["failed"]  # index still


def test_migrations_run_from_any_working_directory(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = _settings(tmp_path, None)
    assert db_migrate.upgrade(settings) == "upgraded"
    assert _state(settings.db_url)[1] == _head()


def test_ci_runs_postgres() -> None:
    """CI must never skip the PostgreSQL cases silently."""
    if os.environ.get("CI") and not os.environ.get(ENV):
        pytest.fail(f"CI is set but {ENV} is not: .ci/run should start PostgreSQL")
