"""The document library of one home: ingest, list and remove documents, keeping the
database and the published index in step.

An ingest is all-or-nothing: every file is read, cleaned and chunked before anything
is written; the database changes go into one transaction; the new index is built from
that transaction's view and only then is the transaction committed and the index
published. A failure anywhere leaves both the database and the index as they were.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from corpus.chunking import ChunkDraft, chunk_document
from corpus.cleaning import clean_text
from corpus.db import Chunk, Document, session_factory
from corpus.document_limits import DocumentLimits
from corpus.errors import IngestError, NotFound
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
    meta = build_meta(path, cleaned.text, read_sidecar(path), loaded.front_matter,
                      overrides or {})
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


def _record(doc: Document, chunk: Chunk) -> ChunkRecord:
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    return ChunkRecord(chunk.id, doc.id, doc.title, chunk.section, chunk.text, chunk.kind,
                       doc.region, doc.doc_type, iso(doc.published), iso(doc.effective_from),
                       iso(doc.effective_to))


def records(session: Session) -> list[ChunkRecord]:
    docs = session.scalars(select(Document).options(selectinload(Document.chunks))
                           .order_by(Document.id)).all()
    return [_record(doc, chunk) for doc in docs for chunk in doc.chunks]


def _exclusive(
        method: Callable[Concatenate[Library, P], R]) -> Callable[Concatenate[Library, P], R]:
    """Writers take turns on a home (``corpus.write_lock``): a second one waits, then
    fails with ``busy`` — never with the database's own lock error."""

    @functools.wraps(method)
    def locked(self: Library, *args: P.args, **kwargs: P.kwargs) -> R:
        with write_lock(self.settings):
            return method(self, *args, **kwargs)

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
        report = IngestReport()
        with self.sessions() as session, session.begin():
            for item in prepared:
                existing = session.get(Document, item.meta.id)
                if existing is not None and existing.content_hash == item.content_hash:
                    report.unchanged.append(item.meta.id)
                    continue
                if existing is not None:
                    session.delete(existing)
                    session.flush()
                    report.updated.append(item.meta.id)
                else:
                    report.added.append(item.meta.id)
                session.add(_document(item))
                report.chunks += len(item.chunks)
            if report.added or report.updated or self.store.current() is None:
                session.flush()
                report.index_build = self._build(session, steps.build if progress else None)
        if report.index_build:
            self.store.publish(self.store.builds / report.index_build)
        return report

    @_exclusive
    def remove(self, doc_id: str) -> str:
        with self.sessions() as session, session.begin():
            doc = session.get(Document, doc_id)
            if doc is None:
                raise NotFound(f"没有编号为 {doc_id} 的文档。", code="document_not_found",
                               detail={"doc_id": doc_id})
            session.delete(doc)
            session.flush()
            build = self._build(session, None)
        self.store.publish(self.store.builds / build)
        return build

    @_exclusive
    def rebuild_index(self, progress: Callable[[int, int], None] | None = None) -> str:
        with self.sessions() as session:
            build = self._build(session, progress)
        self.store.publish(self.store.builds / build)
        return build

    def ensure_shipped(self) -> IngestReport | None:
        """Ingest the shipped corpus into an empty home (a new home works at once)."""
        with self.sessions() as session:
            empty = session.scalar(select(Document.id).limit(1)) is None
        if empty:
            return self.ingest([SHIPPED])
        if self.store.current() is None:
            self.rebuild_index()
        return None

    def _build(self, session: Session, progress: Callable[[int, int], None] | None) -> str:
        return build_index(self.store, records(session), self._embedder(), progress=progress).name


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
        "chunks": chunks, "dropped_by_cleaning": len(doc.cleaning_log or []),
    }


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)
