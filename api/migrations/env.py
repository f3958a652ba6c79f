"""Alembic environment: every model module is imported so ``Base.metadata`` is complete,
and the URL comes from ``corpus.settings`` unless the caller set ``sqlalchemy.url``
(``api.db_migrate`` does)."""

from __future__ import annotations

import importlib
import importlib.util

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

import assistant.store  # noqa: F401  (chat_sessions, chat_turns, feedback)
import matcher.db  # noqa: F401  (programs, shortage_entries, catalog_state)
from corpus.db import Base
from corpus.settings import get_settings

MODEL_MODULES = ("api.models",)  # users, jobs: imported when present
for _name in MODEL_MODULES:
    if importlib.util.find_spec(_name) is not None:
        importlib.import_module(_name)

target_metadata = Base.metadata


def _url() -> str:
    return context.config.get_main_option("sqlalchemy.url") or get_settings().db_url


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:  # handed over by the caller (tests, api.db_migrate)
        _run(connection)
        return
    engine = create_engine(_url(), poolclass=NullPool)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    # Batch mode lets later revisions ALTER tables on SQLite (copy-and-move).
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
