"""The document library of one home: ingest, list and remove documents, keeping the
database and the published index in step.

An ingest is all-or-nothing, and the expensive part happens outside the database's write
transaction (on SQLite a 54-second ingest once held the write lock throughout, and every
chat write waited or failed): the files are read, cleaned and chunked; the current chunk
records are read in a short read; the new set (existing minus replaced plus new) is
computed in memory and the index built from it; only then does one short transaction
write the rows, check that the database now holds exactly the records the index was built
from, and commit; then the build is published. A failed build writes nothing; a failed
commit discards the build. Writers take turns (``corpus.write_lock``), so nothing changes
the rows between the read and the write; the check catches it if anything ever does.
With a shared index (``corpus.index_sync``) the build is stored in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from corpus import index_sync
from corpus.chunking import ChunkDraft, chunk_document
from corpus.cleaning import clean_text
from corpus.db import Chunk, Document, session_factory
from corpus.disk import disk_full, is_disk_full
from corpus.document_limits import DocumentLimits
from corpus.errors import IngestError, JntError, NotFound
from corpus.index import ChunkRecord, Embedding, IndexStore, build_index
from corpus.loaders import load_file, read_sidecar
from corpus.metadata import DocumentMeta, build_meta
from corpus.settings import Settings
from corpus.write_lock import write_lock

log = logging.getLogger(__name__)
SUPPORTED = {".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf"}
SHIPPED = Path(__file__).parent / "texts"
LOGGED_DROPS = 20
P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class Prepared:
    path: Path
    meta: DocumentMeta
    fmt: str
    raw_sha256: str
    text: str
    dropped: list[dict[str, str]]
    chunks: list[ChunkDraft]
    content_hash: str


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    chunks: int = 0
    index_build: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Files named, and supported files found under folders named (sorted, no sidecars)."""
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            raise IngestError(f"找不到文件或目录：{path}", code="file_not_found",
                              detail={"path": str(path)})
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file()
                                and p.suffix.lower() in SUPPORTED and not _is_note(p)))
        else:
            found.append(path)
    return found


def _is_note(path: Path) -> bool:
    """Provenance notes and READMEs sit beside the texts; they are not policies."""
    return path.stem.upper().startswith(("PROVENANCE", "README")) or path.name.startswith(".")


def prepare(path: Path, overrides: dict[str, Any] | None = None,
            limits: DocumentLimits | None = None) -> Prepared:
    """Read, clean and chunk one file; raises ``IngestError`` on bad input."""
    loaded = load_file(path, limits)
    cleaned = clean_text(loaded.text)
    if not cleaned.text.strip():
        raise IngestError(f"文件 {path.name} 清洗后没有正文内容。", code="empty_document",
                          detail={"file": path.name})
    meta = build_meta(path, cleaned.text, loaded.detected, read_sidecar(path),
                      loaded.front_matter, overrides or {})
    chunks = chunk_document(meta.id, cleaned.text, meta.title)
    dropped = [{"reason": d.reason, "text": d.text} for d in cleaned.dropped]
    for d in dropped[:LOGGED_DROPS]:  # a hostile file once wrote 2 million lines here
        log.info("cleaning %s dropped (%s): %s", meta.id, d["reason"], d["text"][:80])
    if len(dropped) > LOGGED_DROPS:
        log.info("cleaning %s dropped %d more lines", meta.id, len(dropped) - LOGGED_DROPS)
    digest = hashlib.sha256(
        (meta.model_dump_json() + "\n" + cleaned.text).encode("utf-8")).hexdigest()
    return Prepared(path, meta, loaded.fmt, loaded.raw_sha256, cleaned.text, dropped, chunks,
                    digest)


class IndexMismatch(JntError):
    """The rows about to be committed are not the records the index was built from."""

    code = "index_mismatch"
    status = 500


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def records(session: Session) -> list[ChunkRecord]:
    """The chunk records of every document, in the index's order: by document id, then
    position. Sorted here, not by SQL: PostgreSQL's collation orders ids differently."""
    docs = {d.id: d for d in session.execute(
        select(Document.id, Document.title, Document.region, Document.doc_type,
               Document.published, Document.effective_from, Document.effective_to,
               Document.source_kind, Document.source_note))}
    rows = session.execute(select(Chunk.doc_id, Chunk.ordinal, Chunk.id, Chunk.section,
                                  Chunk.text, Chunk.kind)).all()
    rows.sort(key=lambda r: (r.doc_id, r.ordinal, r.id))
    out = []
    for r in rows:
        d = docs[r.doc_id]
        out.append(ChunkRecord(r.id, r.doc_id, d.title, r.section, r.text, r.kind, d.region,
                               d.doc_type, _iso(d.published), _iso(d.effective_from),
                               _iso(d.effective_to), d.source_kind, d.source_note))
    return out


def _new_records(item: Prepared) -> list[ChunkRecord]:
    """The records ``item`` will have once written, as ``records`` will read them back."""
    m = item.meta
    chunks = sorted(item.chunks, key=lambda c: (c.ordinal, c.id))
    return [ChunkRecord(c.id, m.id, m.title, c.section, c.text, c.kind, m.region, m.doc_type,
                        _iso(m.published), _iso(m.effective_from), _iso(m.effective_to),
                        m.source_kind, m.source_note)
            for c in chunks]


def _merged(current: list[ChunkRecord], dropped: set[str],
            added: list[ChunkRecord]) -> list[ChunkRecord]:
    kept = [r for r in current if r.doc_id not in dropped]
    return sorted(kept + added, key=lambda r: r.doc_id)  # stable: positions kept


def _exclusive(
        method: Callable[Concatenate[Library, P], R]) -> Callable[Concatenate[Library, P], R]:
    """Writers take turns on a home (``corpus.write_lock``): a second one waits, then
    fails with ``busy`` — never with the database's own lock error."""

    @functools.wraps(method)
    def locked(self: Library, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with write_lock(self.settings):
                return method(self, *args, **kwargs)
        except JntError:
            raise
        except Exception as exc:
            if is_disk_full(exc):  # the job's error says so, not "internal"
                raise disk_full() from exc
            raise

    return locked


class Library:
    def __init__(self, settings: Settings, embedder: Callable[[], Embedding]) -> None:
        settings.ensure_home()
        self.settings = settings
        self.sessions = session_factory(settings.db_url)
        self.store = IndexStore(settings.index_dir)
        self._embedder = embedder

    # -- reading -----------------------------------------------------------------
    def documents(self) -> list[dict[str, Any]]:
        with self.sessions() as session:
            rows = session.execute(
                select(Document, Chunk.id).join(Chunk, isouter=True).order_by(Document.id)
            ).all()
        counts: dict[str, int] = {}
        docs: dict[str, Document] = {}
        for doc, chunk_id in rows:
            docs[doc.id] = doc
            counts[doc.id] = counts.get(doc.id, 0) + (1 if chunk_id else 0)
        return [_summary(doc, counts[doc.id]) for doc in docs.values()]

    def document(self, doc_id: str) -> Document:
        with self.sessions() as session:
            doc = session.get(Document, doc_id)
            if doc is None:
                raise NotFound(f"没有编号为 {doc_id} 的文档。", code="document_not_found",
                               detail={"doc_id": doc_id})
            return doc

    # -- writing -----------------------------------------------------------------
    @_exclusive
    def ingest(self, paths: Iterable[Path], overrides: dict[str, Any] | None = None,
               *, progress: Callable[[int, int], None] | None = None) -> IngestReport:
        files = collect_files(paths)
        if not files:
            raise IngestError("没有找到可导入的文件（支持 " + "、".join(sorted(SUPPORTED)) + "）。",
                              code="no_files")
        limits = DocumentLimits.from_settings(self.settings)
        # ``progress`` sees one scale of 100 steps: reading files, then the index build.
        steps = _PhasedProgress(progress, len(files))
        prepared: list[Prepared] = []
        for path in files:
            prepared.append(prepare(path, overrides, limits))
            steps.file_done()
        _refuse_duplicate_ids(prepared)
        with self.sessions() as session:
            hashes = dict(session.execute(select(Document.id, Document.content_hash)).all())
            current = records(session)
        report = IngestReport()
        changed: list[Prepared] = []
        for item in prepared:
            known = hashes.get(item.meta.id)
            if known == item.content_hash:
                report.unchanged.append(item.meta.id)
                continue
            (report.updated if known is not None else report.added).append(item.meta.id)
            changed.append(item)
            report.chunks += len(item.chunks)
        build_progress = steps.build if progress else None
        if changed:
            wanted = _merged(current, {i.meta.id for i in changed},
                             [r for item in changed for r in _new_records(item)])
            report.index_build = self._build_commit_publish(
                wanted, build_progress, lambda session: _replace(session, changed))
        elif self.store.current() is None:
            report.index_build = self._index_unchanged_rows(current, build_progress)
        return report

    @_exclusive
    def remove(self, doc_id: str) -> str:
        with self.sessions() as session:
            if session.get(Document, doc_id) is None:
                raise NotFound(f"没有编号为 {doc_id} 的文档。", code="document_not_found",
                               detail={"doc_id": doc_id})
            current = records(session)
        return self._build_commit_publish(
            _merged(current, {doc_id}, []), None, lambda session: _delete(session, doc_id))

    @_exclusive
    def rebuild_index(self, progress: Callable[[int, int], None] | None = None) -> str:
        with self.sessions() as session:
            current = records(session)
        return self._build_commit_publish(current, progress, lambda _session: None)

    def ensure_shipped(self) -> IngestReport | None:
        """Ingest the shipped corpus into an empty home (a new home works at once); a home
        on a database that already has rows takes the shared build if there is one."""
        with self.sessions() as session:
            empty = session.scalar(select(Document.id).limit(1)) is None
        if empty:
            return self.ingest([SHIPPED])
        if self.store.current() is None and index_sync.fetch_current(self.settings,
                                                                      self.store) is None:
            self.rebuild_index()
        return None

    def _index_unchanged_rows(self, current: list[ChunkRecord],
                              progress: Callable[[int, int], None] | None) -> str:
        """A home without an index whose rows need no change: the shared build, or a new one."""
        fetched = index_sync.fetch_current(self.settings, self.store)
        if fetched is not None:
            return fetched
        return self._build_commit_publish(current, progress, lambda _session: None)

    def _build_commit_publish(self, wanted: list[ChunkRecord],
                              progress: Callable[[int, int], None] | None,
                              write: Callable[[Session], None]) -> str:
        """Build from ``wanted`` with no transaction open, then write, check and commit in a
        short one, then publish. The build is discarded unless the commit succeeds."""
        folder = build_index(self.store, wanted, self._embedder(), progress=progress)
        try:
            shared = index_sync.pack(folder) if self.settings.shares_index else None
            started = time.monotonic()
            with self.sessions() as session, session.begin():
                write(session)
                session.flush()
                if records(session) != wanted:
                    log.error("index %s does not match the rows; not committed", folder.name)
                    raise IndexMismatch("索引与数据库内容不一致，本次操作未生效，请重试。",
                                        detail={"build": folder.name})
                if shared is not None:
                    index_sync.store(session, shared, self.settings.index_builds_kept)
            log.info("index %s: rows written in %.3f s", folder.name,
                     time.monotonic() - started)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self.store.publish(folder)
        return folder.name


def _replace(session: Session, changed: list[Prepared]) -> None:
    for item in changed:
        existing = session.get(Document, item.meta.id)
        if existing is not None:
            session.delete(existing)
            session.flush()
        session.add(_document(item))


def _delete(session: Session, doc_id: str) -> None:
    doc = session.get(Document, doc_id)
    if doc is None:  # gone since the read: the check below refuses the build
        return
    session.delete(doc)


class _PhasedProgress:
    """Reading the files is the first ``READ_SHARE`` of an ingest's progress, the index
    build the rest, so an admin polling the job sees it move from the first file on."""

    READ_SHARE = 30

    def __init__(self, progress: Callable[[int, int], None] | None, files: int) -> None:
        self.progress, self.files, self.read = progress, max(files, 1), 0

    def file_done(self) -> None:
        self.read += 1
        if self.progress:
            self.progress(self.READ_SHARE * self.read // self.files, 100)

    def build(self, done: int, total: int) -> None:
        if self.progress:
            share = 100 - self.READ_SHARE
            self.progress(self.READ_SHARE + share * done // max(total, 1), 100)


def _refuse_duplicate_ids(prepared: list[Prepared]) -> None:
    seen: dict[str, Path] = {}
    for item in prepared:
        if item.meta.id in seen:
            raise IngestError(
                f"文件 {seen[item.meta.id].name} 和 {item.path.name} "
                f"的文档编号相同（{item.meta.id}）。",
                code="duplicate_id", detail={"doc_id": item.meta.id})
        seen[item.meta.id] = item.path


def _document(item: Prepared) -> Document:
    doc = Document(
        **item.meta.model_dump(),
        filename=item.path.name,
        fmt=item.fmt,
        raw_sha256=item.raw_sha256,
        content_hash=item.content_hash,
        text=item.text,
        cleaning_log=item.dropped,
        ingested_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
    )
    doc.chunks = [Chunk(id=c.id, ordinal=c.ordinal, section=c.section, start=c.start,
                        end=c.end, kind=c.kind, text=c.text) for c in item.chunks]
    return doc


def _summary(doc: Document, chunks: int) -> dict[str, Any]:
    return {
        "id": doc.id, "title": doc.title, "doc_number": doc.doc_number, "issuer": doc.issuer,
        "region": doc.region, "published": doc.published.isoformat() if doc.published else None,
        "effective_from": doc.effective_from.isoformat() if doc.effective_from else None,
        "effective_to": doc.effective_to.isoformat() if doc.effective_to else None,
        "doc_type": doc.doc_type, "source": doc.source, "filename": doc.filename,
        "source_kind": doc.source_kind, "source_note": doc.source_note,
        "chunks": chunks, "dropped_by_cleaning": len(doc.cleaning_log or []),
    }


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)
