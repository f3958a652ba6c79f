"""Index builds shared through PostgreSQL: two homes on one database serve the same build.

Home A ingests; home B (another node: a home of its own, the same database) fetches the
build instead of embedding anything, follows A's next build with its sync thread, and
refuses a build whose digest does not match."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from corpus import index_sync
from corpus.db import IndexBuild
from corpus.home import library
from corpus.index import IndexStore
from corpus.library import Library
from corpus.search import Searcher
from corpus.settings import Settings
from tests.conftest import make_settings
from tests.postgres import fresh_schema
from tests.test_library import HUBEI, NEIMENGGU, copy_with_sidecar

SYNC_WAIT_SECONDS = 30  # the two-node test's promise: searchable on B within 30 s


@pytest.fixture()
def shared_url(postgres_database) -> str:  # type: ignore[no-untyped-def]
    return fresh_schema(postgres_database)


def node(tmp_path: Path, name: str, url: str, **overrides: object) -> Settings:
    return make_settings(tmp_path / name, database_url=url, index_sync_seconds=0.2,
                         **overrides)


def no_embedding(settings: Settings) -> Library:
    """A library whose embedder fails the test if anything is embedded."""
    return Library(settings, lambda: pytest.fail("this node must not embed"))  # type: ignore[arg-type, return-value]


def test_a_build_published_on_one_node_is_fetched_by_another(
        tmp_path: Path, embedder, shared_url: str) -> None:
    a, b = node(tmp_path, "a", shared_url), node(tmp_path, "b", shared_url)
    assert a.shares_index and b.shares_index
    report = library(a).ingest([copy_with_sidecar(NEIMENGGU, tmp_path / "in")])
    assert report.index_build

    assert no_embedding(b).ensure_shipped() is None  # rows exist: fetched, not rebuilt
    built, fetched = IndexStore(a.index_dir).current(), IndexStore(b.index_dir).current()
    assert built is not None and fetched is not None and fetched.name == built.name
    assert index_sync.build_digest(fetched) == index_sync.build_digest(built)
    hits = Searcher(IndexStore(b.index_dir), embedder).search("品牌培训 合格率", k=3)
    assert hits and hits[0].doc_id == "nm-2022-training-brand-plan"


def test_the_sync_thread_follows_the_newest_build(tmp_path: Path, embedder,
                                                  shared_url: str) -> None:
    a, b = node(tmp_path, "a", shared_url), node(tmp_path, "b", shared_url)
    library(a).ingest([copy_with_sidecar(NEIMENGGU, tmp_path / "in")])
    searcher_b = Searcher(IndexStore(b.index_dir), embedder)
    sync = index_sync.IndexSync(b)
    sync.start()
    try:
        _wait_for_same_build(a, b)
        assert {h.doc_id for h in searcher_b.search("1+X 证书", k=20)} \
            == {"nm-2022-training-brand-plan"}
        library(a).ingest([copy_with_sidecar(HUBEI, tmp_path / "in")])
        _wait_for_same_build(a, b)
        # the searcher B already had loaded follows CURRENT on its next query
        assert "hb-2020-1x-report" in {h.doc_id for h in searcher_b.search("1+X 证书", k=20)}
    finally:
        sync.stop()


def test_a_build_that_does_not_match_its_digest_is_refused(
        tmp_path: Path, embedder, shared_url: str) -> None:
    a, c = node(tmp_path, "a", shared_url), node(tmp_path, "c", shared_url)
    library(a).ingest([copy_with_sidecar(NEIMENGGU, tmp_path / "in")])
    sessions = library(a).sessions
    with sessions() as s, s.begin():
        s.execute(update(IndexBuild).values(manifest_sha256="0" * 64))
    with pytest.raises(index_sync.BuildRefused) as refused:
        index_sync.fetch_current(c)
    assert refused.value.code == "index_build_corrupt"
    store = IndexStore(c.index_dir)
    assert store.current() is None
    assert not store.builds.exists() or list(store.builds.iterdir()) == []


def test_only_a_few_builds_are_kept_in_the_database(tmp_path: Path, embedder,
                                                    shared_url: str) -> None:
    a = node(tmp_path, "a", shared_url, index_builds_kept=2)
    lib = library(a)
    lib.ingest([copy_with_sidecar(NEIMENGGU, tmp_path / "in")])
    names = [lib.rebuild_index() for _ in range(3)]
    with lib.sessions() as s:
        assert s.scalar(select(func.count()).select_from(IndexBuild)) == 2
        assert index_sync.current_name(s) == names[-1]


def test_sqlite_does_not_share_unless_asked(tmp_path: Path) -> None:
    assert not make_settings(tmp_path / "h").shares_index
    assert make_settings(tmp_path / "h", index_sync=True).shares_index


def _wait_for_same_build(a: Settings, b: Settings) -> None:
    deadline = time.monotonic() + SYNC_WAIT_SECONDS
    want = IndexStore(a.index_dir).current()
    assert want is not None
    while time.monotonic() < deadline:
        got = IndexStore(b.index_dir).current()
        if got is not None and got.name == want.name:
            return
        time.sleep(0.1)
    pytest.fail(f"node B did not take build {want.name} within {SYNC_WAIT_SECONDS} s")
