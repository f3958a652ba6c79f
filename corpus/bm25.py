"""BM25 over a sparse term matrix: weights are precomputed at build time, so a query
is a column slice and one sparse mat-vec, fast at 100,000 chunks."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import sparse


class BM25:
    def __init__(self, vocab: dict[str, int], weights: sparse.csc_matrix) -> None:
        self.vocab = vocab
        self.weights = weights  # [n_docs, n_terms], BM25 term weight per (doc, term)
        n_docs = max(weights.shape[0], 1)
        df = np.diff(weights.indptr).astype(np.float32)  # documents holding each term
        self._idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        self.unseen_idf = float(np.log1p((n_docs + 0.5) / 0.5))

    def idf(self, term: str) -> float:
        """How rare ``term`` is; a term the corpus never uses is rarest of all."""
        col = self.vocab.get(term)
        return self.unseen_idf if col is None else float(self._idf[col])

    @classmethod
    def build(cls, docs: list[list[str]], k1: float = 1.2, b: float = 0.75) -> BM25:
        vocab: dict[str, int] = {}
        rows, cols, tfs = [], [], []
        lengths = np.zeros(len(docs), dtype=np.float32)
        for i, tokens in enumerate(docs):
            lengths[i] = len(tokens)
            for term, tf in Counter(tokens).items():
                rows.append(i)
                cols.append(vocab.setdefault(term, len(vocab)))
                tfs.append(tf)
        n_docs = max(len(docs), 1)
        tf = np.asarray(tfs, dtype=np.float32)
        row = np.asarray(rows, dtype=np.int64)
        col = np.asarray(cols, dtype=np.int64)
        df = np.bincount(col, minlength=len(vocab)).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        avg = float(lengths.mean()) if len(docs) and lengths.mean() > 0 else 1.0
        norm = k1 * (1 - b + b * lengths[row] / avg)
        values = idf[col] * tf * (k1 + 1) / (tf + norm)
        matrix = sparse.csc_matrix((values, (row, col)), shape=(len(docs), len(vocab)))
        return cls(vocab, matrix)

    def scores(self, query: dict[str, float]) -> np.ndarray:
        """BM25 score of every document for a weighted bag of query terms."""
        cols = [self.vocab[t] for t in query if t in self.vocab]
        if not cols:
            return np.zeros(self.weights.shape[0], dtype=np.float32)
        qw = np.asarray([query[t] for t in query if t in self.vocab], dtype=np.float32)
        return np.asarray(self.weights[:, cols] @ qw, dtype=np.float32).ravel()

    def save(self, folder: Path) -> None:
        sparse.save_npz(folder / "bm25.npz", self.weights.tocsc(), compressed=False)
        (folder / "bm25_vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False),
                                                encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> BM25:
        weights = sparse.load_npz(folder / "bm25.npz").tocsc()
        vocab = json.loads((folder / "bm25_vocab.json").read_text(encoding="utf-8"))
        return cls(vocab, weights)
