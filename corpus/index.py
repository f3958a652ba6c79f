"""The persisted hybrid index: BM25 matrix + FAISS vectors + chunk records + manifest.

Each build is written to its own folder under ``$JNT_HOME/index/builds`` and published
by atomically replacing the ``CURRENT`` pointer, so a reader only ever opens a complete
build. Vectors of unchanged texts are reused from the previous build (keyed by content
hash and model), so re-ingesting one document does not re-embed the corpus.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from corpus.bm25 import BM25
from corpus.errors import IndexUnavailable
from corpus.normalize import search_text
from corpus.tokenize import tokenize

FORMAT_VERSION = 1
KEEP_BUILDS = 2  # the current one and the one before it (a reader may still be loading it)


@dataclass(frozen=True)
class ChunkRecord:
    """Everything a search result shows and every filter needs, frozen with the build."""

    chunk_id: str
    doc_id: str
    title: str
    section: str
    text: str
    kind: str
    region: str
    doc_type: str | None
    published: str | None
    effective_from: str | None
    effective_to: str | None
    # The document's standing (corpus.metadata.SOURCE_KINDS) and what a citation says about
    # it; defaults keep builds written before these fields readable.
    source_kind: str = "unknown"
    source_note: str | None = None

    def index_text(self) -> str:
        """What retrieval sees: title and section path give a clause its context."""
        return search_text(f"{self.title}\n{self.section}\n{self.text}")


class Embedding:
    """The part of ``corpus.embedder.Embedder`` the index needs (tests may pass a subclass)."""

    model_id: str
    dim: int

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...  # pragma: no cover
    def encode_queries(self, texts: list[str]) -> np.ndarray: ...  # pragma: no cover


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def corpus_hash(records: Sequence[ChunkRecord]) -> str:
    digest = hashlib.sha256()
    for rec in records:
        digest.update(json.dumps(asdict(rec), ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()


class IndexStore:
    """Where builds live for one home, and which one is current."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.builds = root / "builds"
        self.pointer = root / "CURRENT"

    def current(self) -> Path | None:
        try:
            name = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        folder = self.builds / name
        return folder if (folder / "manifest.json").exists() else None

    def publish(self, folder: Path) -> None:
        tmp = self.root / f".CURRENT.{uuid.uuid4().hex}"
        tmp.write_text(folder.name, encoding="utf-8")
        os.replace(tmp, self.pointer)
        self._collect_garbage(keep=folder.name)

    def _collect_garbage(self, keep: str) -> None:
        """Drop old builds; leave in-progress ones (dot-prefixed) to their builders."""
        finished = sorted((p for p in self.builds.iterdir() if not p.name.startswith(".")),
                          key=lambda p: p.stat().st_mtime, reverse=True)
        survivors = {keep} | {p.name for p in finished[:KEEP_BUILDS]}
        for path in finished:
            if path.name not in survivors:
                shutil.rmtree(path, ignore_errors=True)


def _cached_vectors(store: IndexStore, model_id: str) -> dict[str, np.ndarray]:
    folder = store.current()
    if folder is None:
        return {}
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("model_id") != model_id:
        return {}
    hashes = json.loads((folder / "text_hashes.json").read_text(encoding="utf-8"))
    vectors = np.load(folder / "vectors.npy", mmap_mode="r")
    return {h: vectors[i] for i, h in enumerate(hashes)}


def _embed(texts: list[str], embedder: Embedding, cache: dict[str, np.ndarray],
           progress: Callable[[int, int], None] | None) -> tuple[np.ndarray, list[str], int]:
    """Vectors for ``texts``: each distinct text embedded once, cached ones reused."""
    hashes = [_hash(t) for t in texts]
    todo: dict[str, str] = {}
    for h, t in zip(hashes, texts, strict=True):
        if h not in cache and h not in todo:
            todo[h] = t
    fresh: dict[str, np.ndarray] = {}
    keys = list(todo)
    step = 256
    for start in range(0, len(keys), step):
        batch = keys[start:start + step]
        vecs = embedder.encode_passages([todo[h] for h in batch])
        fresh.update(zip(batch, vecs, strict=True))
        if progress:
            progress(min(start + step, len(keys)), len(keys))
    dim = embedder.dim
    out = np.empty((len(texts), dim), dtype=np.float32)
    for i, h in enumerate(hashes):
        out[i] = fresh[h] if h in fresh else cache[h]
    return out, hashes, len(keys)


def build_index(
    store: IndexStore,
    records: Sequence[ChunkRecord],
    embedder: Embedding,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write a complete new build and return its folder; ``publish`` makes it current."""
    store.builds.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    build_id = started.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    tmp = store.builds / f".{build_id}.tmp"
    tmp.mkdir()
    try:
        texts = [rec.index_text() for rec in records]
        vectors, hashes, n_embedded = _embed(
            texts, embedder, _cached_vectors(store, embedder.model_id), progress)
        BM25.build([tokenize(t) for t in texts]).save(tmp)
        faiss_index = faiss.IndexFlatIP(embedder.dim)
        if len(vectors):
            faiss_index.add(vectors)
        # Written by Python, not by numpy's or faiss's C writers: on a full disk those fail
        # without an errno ("N requested and M written"), and it would not say disk_full.
        buffer = io.BytesIO()
        np.save(buffer, vectors)
        (tmp / "vectors.npy").write_bytes(buffer.getvalue())
        (tmp / "faiss.index").write_bytes(faiss.serialize_index(faiss_index).tobytes())
        (tmp / "text_hashes.json").write_text(json.dumps(hashes), encoding="utf-8")
        with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(asdict(rec), ensure_ascii=False) + "\n")
        manifest = {
            "format": FORMAT_VERSION,
            "build_id": build_id,
            "created": started.isoformat(),
            "model_id": embedder.model_id,
            "dim": embedder.dim,
            "corpus_hash": corpus_hash(records),
            "chunks": len(records),
            "documents": len({r.doc_id for r in records}),
            "embedded": n_embedded,
            "seconds": round((dt.datetime.now(dt.UTC) - started).total_seconds(), 3),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        final = store.builds / build_id
        os.replace(tmp, final)
        return final
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@dataclass
class LoadedIndex:
    folder: Path
    manifest: dict
    records: list[ChunkRecord]
    bm25: BM25
    faiss: faiss.Index


def load_index(store: IndexStore, model_id: str) -> LoadedIndex:
    folder = store.current()
    if folder is None:
        raise IndexUnavailable("检索索引尚未建立，请先运行 jnt ingest 或 jnt index build。",
                               code="index_missing")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexUnavailable("检索索引的格式版本不符，请运行 jnt index build 重建。",
                               code="index_format", detail={"found": manifest.get("format")})
    if manifest.get("model_id") != model_id:
        raise IndexUnavailable(
            "检索索引是用另一个向量模型构建的，不能与当前模型混用。"
            "请运行 jnt index build 重建索引。",
            code="index_model_mismatch",
            detail={"index_model": manifest.get("model_id"), "current_model": model_id},
        )
    with (folder / "chunks.jsonl").open(encoding="utf-8") as fh:
        records = [ChunkRecord(**json.loads(line)) for line in fh]
    return LoadedIndex(folder, manifest, records, BM25.load(folder),
                       faiss.read_index(str(folder / "faiss.index")))
