"""Embeddings cached by content hash: a text is embedded once per model, ever.

A catalog of 100,000 programs holds far fewer distinct texts (titles repeat across
providers and cities), and the occupation descriptions never change, so the matcher asks
this cache for vectors and only the texts it has never seen reach the model. The store is
one ``.npz`` per namespace and model, replaced atomically, so a crash mid-write leaves the
previous store intact.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np


class Encoder(Protocol):
    model_id: str
    dim: int

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...  # pragma: no cover
    def encode_queries(self, texts: list[str]) -> np.ndarray: ...  # pragma: no cover


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class VectorCache:
    """Passage vectors of one namespace ("occupations", "programs") for one model."""

    def __init__(self, folder: Path, namespace: str, encoder: Encoder) -> None:
        digest = hashlib.sha1(encoder.model_id.encode()).hexdigest()[:16]
        self.path = folder / f"{namespace}-{digest}.npz"
        self.encoder = encoder
        self._lock = threading.Lock()
        self._rows: dict[str, int] = {}
        self._matrix = np.zeros((0, encoder.dim), dtype=np.float32)
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            with np.load(self.path, allow_pickle=False) as data:
                hashes, matrix = list(data["hashes"]), data["matrix"].astype(np.float32)
        except (OSError, ValueError, KeyError):
            return  # an unreadable cache is rebuilt, never trusted
        if matrix.shape[1:] == (self.encoder.dim,) and len(hashes) == len(matrix):
            self._rows = {str(h): i for i, h in enumerate(hashes)}
            self._matrix = matrix

    def vectors(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """One normalised row per text, embedding only texts not cached before."""
        hashes = [text_hash(t) for t in texts]
        with self._lock:
            missing: dict[str, str] = {}
            for h, t in zip(hashes, texts, strict=True):
                if h not in self._rows and h not in missing:
                    missing[h] = t
            if missing:
                new = self.encoder.encode_passages(list(missing.values()))
                start = len(self._matrix)
                self._matrix = np.vstack([self._matrix, np.asarray(new, dtype=np.float32)])
                for i, h in enumerate(missing):
                    self._rows[h] = start + i
                self._save()
            return self._matrix[[self._rows[h] for h in hashes]]

    @property
    def size(self) -> int:
        return len(self._rows)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        hashes = np.array(sorted(self._rows, key=self._rows.__getitem__))
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp.npz")
        np.savez(tmp, hashes=hashes, matrix=self._matrix)
        os.replace(tmp, self.path)
