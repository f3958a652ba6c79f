"""How the question and its answering sentence agree in meaning, as features.

The cosine of two e5 vectors weighs every dimension of agreement alike. A near-miss — a
sentence on the asked topic that does not say the asked thing ("退伍落户要准备哪些材料"
against "公安机关应当…及时为退役军人办理户口登记") — agrees on the topic dimensions and
not on the others. The per-dimension products ``q[i] * s[i]`` (whose sum is the cosine)
let the answerability model learn which agreements mean "this sentence answers", and the
reranker which passage does. Measured on the team's held-out questions and the dev set
before it was kept (bench/RESULTS.md).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from corpus.index import Embedding

# The products are ~1/dim each; scaled so the learned weights sit near the other
# features' and the regularisation the training picks treats them alike.
SCALE = 30.0
_CACHE_SIZE = 4096


class SentenceVectors:
    """Passage-side vectors of answering sentences, remembered by text: the same clause
    answers many questions."""

    def __init__(self, embedder: Embedding) -> None:
        self.embedder = embedder
        self._seen: OrderedDict[str, np.ndarray] = OrderedDict()

    def __call__(self, sentence: str) -> np.ndarray:
        vec = self._seen.get(sentence)
        if vec is None:
            vec = self.embedder.encode_passages([sentence])[0]
            self._seen[sentence] = vec
            if len(self._seen) > _CACHE_SIZE:
                self._seen.popitem(last=False)
        return vec


def agreement(query: np.ndarray, other: np.ndarray, prefix: str = "qs") -> dict[str, float]:
    """``prefix``: ``qs`` for the answering sentence (answerability), ``qp`` for a whole
    candidate passage's stored vector (the reranker)."""
    return {f"{prefix}:{i}": float(v) for i, v in enumerate(query * other * SCALE)}
