"""Shared fixtures: a real converted model and a temporary home with the shipped corpus.

Both are session-scoped because they are costly (the model converts once into the
user cache; the shipped corpus is embedded once per test run).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from corpus.embedder import Embedder, get_embedder  # noqa: E402
from corpus.home import library, searcher  # noqa: E402
from corpus.library import Library  # noqa: E402
from corpus.search import Searcher  # noqa: E402
from corpus.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "corpus" / "texts"
DEV_QA = Path(__file__).parent / "data" / "dev_qa.jsonl"


def make_settings(home: Path, **overrides: object) -> Settings:
    return Settings(home=home, **overrides)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    return get_embedder(make_settings(tmp_path_factory.mktemp("model-home")))


@pytest.fixture(scope="session")
def shipped_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("shipped-home"))
    library(settings).ensure_shipped()
    return settings


@pytest.fixture(scope="session")
def shipped_searcher(shipped_settings: Settings) -> Searcher:
    return searcher(shipped_settings)


@pytest.fixture()
def empty_library(tmp_path: Path, embedder: Embedder) -> Library:
    """A fresh home per test, for tests that write."""
    return library(make_settings(tmp_path / "home"))


@pytest.fixture(scope="session")
def shipped_assistant(shipped_settings: Settings):
    from assistant.home import assistant

    return assistant(shipped_settings)


# PostgreSQL next to SQLite for the persistence tests (tests/postgres.py).
from tests.postgres import database_url, postgres_database  # noqa: E402, F401
