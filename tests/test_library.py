"""Ingest, re-ingest, remove, and every way an ingest can fail without harm."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from corpus.db import Chunk, Document
from corpus.errors import IngestError, JntError, NotFound
from corpus.home import library
from corpus.library import Library
from tests.conftest import SHIPPED, make_settings

NEIMENGGU = SHIPPED / "seeds" / "003_46314927d86d8b12.txt"
HUBEI = SHIPPED / "seeds" / "001_6869cc14234ec324.txt"


@pytest.fixture()
def db_library(tmp_path: Path, embedder, database_url: str | None) -> Library:
    """A fresh home on SQLite, and again on PostgreSQL (tests/postgres.py)."""
    return library(make_settings(tmp_path / "home", database_url=database_url))


def copy_with_sidecar(src: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    dst = folder / src.name
    shutil.copy(src, dst)
    sidecar = src.with_name(src.name + ".meta.yaml")
    if sidecar.exists():
        shutil.copy(sidecar, folder / sidecar.name)
    return dst


def state(lib: Library) -> tuple:
    """Everything an ingest could change: rows, chunk ids and the published build."""
    with lib.sessions() as s:
        docs = s.execute(select(Document.id, Document.content_hash).order_by(Document.id)).all()
        chunks = s.scalars(select(Chunk.id).order_by(Chunk.id)).all()
    current = lib.store.current()
    return tuple(docs), tuple(chunks), current.name if current else None


def test_ingest_then_reingest_unchanged_changes_nothing(db_library: Library, tmp_path) -> None:
    path = copy_with_sidecar(NEIMENGGU, tmp_path / "in")
    first = db_library.ingest([path])
    assert first.added == ["nm-2022-training-brand-plan"] and first.index_build
    before = state(db_library)
    again = db_library.ingest([path])
    assert again.unchanged == ["nm-2022-training-brand-plan"]
    assert again.index_build is None
    assert state(db_library) == before


def test_changed_document_replaces_its_chunks(db_library: Library, tmp_path) -> None:
    path = copy_with_sidecar(NEIMENGGU, tmp_path / "in")
    db_library.ingest([path])
    _, old_chunks, old_build = state(db_library)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("培训合格率达到90%", "培训合格率达到95%"), encoding="utf-8")
    report = db_library.ingest([path])
    assert report.updated == ["nm-2022-training-brand-plan"]
    _, new_chunks, new_build = state(db_library)
    assert new_build != old_build
    assert len(set(old_chunks) ^ set(new_chunks)) >= 2  # the edited chunk(s) swapped
    with db_library.sessions() as s:
        doc_text = s.get(Document, "nm-2022-training-brand-plan").text
    assert "培训合格率达到95%" in doc_text


def test_reindex_reuses_vectors_of_unchanged_text(empty_library: Library, tmp_path) -> None:
    path = copy_with_sidecar(NEIMENGGU, tmp_path / "in")
    empty_library.ingest([path])
    build = empty_library.store.current()
    assert build is not None
    vectors_before = np.load(build / "vectors.npy")
    empty_library.ingest([copy_with_sidecar(HUBEI, tmp_path / "in")])
    manifest = (empty_library.store.current() / "manifest.json").read_text()
    import json
    m = json.loads(manifest)
    assert m["documents"] == 2
    assert m["embedded"] < m["chunks"]  # the first document was not embedded again
    assert len(vectors_before) < m["chunks"]


def test_remove_document(db_library: Library, tmp_path) -> None:
    db_library.ingest([copy_with_sidecar(NEIMENGGU, tmp_path / "in"),
                       copy_with_sidecar(HUBEI, tmp_path / "in")])
    db_library.remove("hb-2020-1x-report")
    assert [d["id"] for d in db_library.documents()] == ["nm-2022-training-brand-plan"]
    with pytest.raises(NotFound):
        db_library.remove("hb-2020-1x-report")


def bad_files(tmp: Path) -> dict[str, Path]:
    tmp.mkdir(parents=True, exist_ok=True)
    files = {
        "unsupported_type": tmp / "policy.xls",
        "undecodable": tmp / "blob.txt",
        "empty_document": tmp / "empty.md",
        "file_not_found": tmp / "missing.txt",
        "bad_metadata": tmp / "bad_region.md",
    }
    files["unsupported_type"].write_bytes(b"PK\x03\x04 not a policy")
    files["undecodable"].write_bytes(bytes(range(256)) * 8)
    files["empty_document"].write_text("---\ntitle: 空\n---\n\n   \n", encoding="utf-8")
    files["bad_metadata"].write_text("---\nregion: 火星省\n---\n第一条 内容。\n", encoding="utf-8")
    return files


@pytest.mark.parametrize("code", ["unsupported_type", "undecodable", "empty_document",
                                  "file_not_found", "bad_metadata"])
def test_bad_file_is_refused_and_nothing_changes(empty_library: Library, tmp_path, code) -> None:
    good = copy_with_sidecar(NEIMENGGU, tmp_path / "in")
    empty_library.ingest([good])
    before = state(empty_library)
    bad = bad_files(tmp_path / "bad")[code]
    with pytest.raises(JntError) as err:
        empty_library.ingest([copy_with_sidecar(HUBEI, tmp_path / "in2"), bad])
    assert err.value.code == code
    assert err.value.message  # Chinese message for the administrator
    assert state(empty_library) == before


class ExplodingEmbedder:
    """Wraps the real embedder and fails halfway through embedding passages."""

    def __init__(self, real, fail_after: int) -> None:
        self.real, self.model_id, self.dim = real, real.model_id, real.dim
        self.calls, self.fail_after = 0, fail_after

    def encode_passages(self, texts):
        self.calls += 1
        if self.calls > self.fail_after:
            raise RuntimeError("disk full")
        return self.real.encode_passages(texts)

    def encode_queries(self, texts):
        return self.real.encode_queries(texts)


def test_failure_while_indexing_leaves_db_and_index_as_they_were(
        db_library: Library, embedder, tmp_path) -> None:
    db_library.ingest([copy_with_sidecar(NEIMENGGU, tmp_path / "in")])
    before = state(db_library)
    builds_before = sorted(p.name for p in db_library.store.builds.iterdir())
    exploding = ExplodingEmbedder(embedder, fail_after=0)
    broken = Library(db_library.settings, lambda: exploding)
    policies = SHIPPED / "policies" / "laws"
    with pytest.raises(RuntimeError):
        broken.ingest([policies])
    assert state(db_library) == before
    assert sorted(p.name for p in db_library.store.builds.iterdir()) == builds_before


def test_duplicate_ids_in_one_batch_are_refused(empty_library: Library, tmp_path) -> None:
    a = tmp_path / "a.md"
    b = tmp_path / "b.md"
    a.write_text("---\nid: same\n---\n第一条 甲。\n", encoding="utf-8")
    b.write_text("---\nid: same\n---\n第一条 乙。\n", encoding="utf-8")
    with pytest.raises(IngestError) as err:
        empty_library.ingest([a, b])
    assert err.value.code == "duplicate_id"


def test_counts_in_shipped_home(shipped_settings) -> None:
    from corpus.home import library

    docs = library(shipped_settings).documents()
    assert len(docs) == 15
    assert {d["region"] for d in docs} >= {"全国", "江西省", "湖北省", "内蒙古自治区"}
    with library(shipped_settings).sessions() as s:
        assert s.scalar(select(func.count(Chunk.id))) > 300


def test_metadata_longer_than_its_column_is_refused(db_library: Library, tmp_path) -> None:
    """PostgreSQL would refuse the row mid-ingest; the metadata check names the field first."""
    doc = tmp_path / "long.md"
    doc.write_text("---\ntitle: " + "长" * 301 + "\n---\n第一条 内容。\n", encoding="utf-8")
    with pytest.raises(IngestError) as err:
        db_library.ingest([doc])
    assert err.value.code == "bad_metadata" and "title" in err.value.message
    assert db_library.documents() == []


class ProbingEmbedder:
    """Wraps the real embedder; while the index builds, another connection tries to write
    (as a chat message would) without waiting, and records whether it could."""

    def __init__(self, real, db_file: Path) -> None:
        self.real, self.model_id, self.dim = real, real.model_id, real.dim
        self.db_file, self.writes = db_file, []

    def encode_passages(self, texts):
        import sqlite3

        conn = sqlite3.connect(self.db_file, timeout=0)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            self.writes.append("ok")
        except sqlite3.OperationalError as exc:
            self.writes.append(str(exc))
        finally:
            conn.close()
        return self.real.encode_passages(texts)

    def encode_queries(self, texts):
        return self.real.encode_queries(texts)


def test_the_database_takes_writes_while_the_index_builds(
        empty_library: Library, embedder, tmp_path) -> None:
    empty_library.ingest([copy_with_sidecar(NEIMENGGU, tmp_path / "in")])
    probe = ProbingEmbedder(embedder, empty_library.settings.home / "jnt.db")
    Library(empty_library.settings, lambda: probe).ingest(
        [copy_with_sidecar(HUBEI, tmp_path / "in")])
    assert probe.writes and set(probe.writes) == {"ok"}


def test_the_published_index_holds_exactly_the_rows(db_library: Library, tmp_path) -> None:
    """Built before the rows are written, the index must still equal what the database
    gives back (order included: by id in Python, whatever the server's collation)."""
    import json

    from corpus.library import records

    docs = tmp_path / "docs"
    docs.mkdir()
    for doc_id in ("b-2", "b1", "B-3", "乙", "a_1"):
        (docs / f"{doc_id}.md").write_text(
            f"---\nid: {doc_id}\ntitle: 文件{doc_id}\npublished: 2024-01-0{len(doc_id)}\n---\n"
            "第一条 补贴对象为登记失业人员。\n\n第二条 培训合格后申领补贴。\n", encoding="utf-8")
    db_library.ingest([docs, copy_with_sidecar(NEIMENGGU, tmp_path / "in")])
    db_library.remove("b1")
    current = db_library.store.current()
    with (current / "chunks.jsonl").open(encoding="utf-8") as fh:
        indexed = [json.loads(line) for line in fh]
    with db_library.sessions() as s:
        stored = [r.__dict__ for r in records(s)]
    assert indexed == stored and len({r["doc_id"] for r in stored}) == 5


class ForeignWriter:
    """Wraps the real embedder and, mid-build, changes the rows behind the writer lock's
    back, as a writer that ignored the lock would."""

    def __init__(self, real, library: Library) -> None:
        self.real, self.model_id, self.dim = real, real.model_id, real.dim
        self.library = library

    def encode_passages(self, texts):
        with self.library.sessions() as s, s.begin():
            s.get(Document, "nm-2022-training-brand-plan").title = "被改过的标题"
        return self.real.encode_passages(texts)

    def encode_queries(self, texts):
        return self.real.encode_queries(texts)


def test_rows_changed_during_the_build_are_not_committed(
        db_library: Library, embedder, tmp_path) -> None:
    db_library.ingest([copy_with_sidecar(NEIMENGGU, tmp_path / "in")])
    build_before = db_library.store.current()
    builds_before = sorted(p.name for p in db_library.store.builds.iterdir())
    foreign = Library(db_library.settings, lambda: ForeignWriter(embedder, db_library))
    with pytest.raises(JntError) as err:
        foreign.ingest([copy_with_sidecar(HUBEI, tmp_path / "in")])
    assert err.value.code == "index_mismatch"
    assert [d["id"] for d in db_library.documents()] == ["nm-2022-training-brand-plan"]
    assert db_library.store.current() == build_before
    assert sorted(p.name for p in db_library.store.builds.iterdir()) == builds_before
