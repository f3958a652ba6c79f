"""A small logistic-regression model over named features, stored as JSON.

The weights ship with the code (``models/*.json``) together with what they were trained
on and their cross-validated figures, so an answer never waits for training and a
reviewer can read which reading pushes a verdict which way. ``assistant.reading.train``
rebuilds them from the team's questions.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

MODELS = Path(__file__).with_name("models")


@dataclass(frozen=True)
class LinearModel:
    name: str
    labels: list[str]
    features: list[str]
    coef: list[list[float]]  # one row per label (a binary model has one row: the positive)
    intercept: list[float]
    meta: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, x: dict[str, float], text: str | None = None) -> dict[str, float]:
        """``text``: the question in search form, for a model that also reads its
        character n-grams (``meta["grams"]``)."""
        if text is not None and self.meta.get("grams"):
            x = {**x, **text_grams(text, self.meta["grams"])}
        where = self._where()
        present = [(where[f], float(v)) for f, v in x.items() if v and f in where]
        scores = [b + sum(row[i] * v for i, v in present)
                  for row, b in zip(self.coef, self.intercept, strict=True)]
        if len(self.labels) == 2 and len(scores) == 1:
            p = 1.0 / (1.0 + math.exp(-scores[0]))
            return {self.labels[0]: 1.0 - p, self.labels[1]: p}
        top = max(scores)
        exp = [math.exp(s - top) for s in scores]
        total = sum(exp)
        return {label: e / total for label, e in zip(self.labels, exp, strict=True)}

    def _where(self) -> dict[str, int]:
        """Feature name → column, built once (a model with n-grams has thousands)."""
        cached = self.meta.get("_where")
        if cached is None:
            cached = {f: i for i, f in enumerate(self.features)}
            self.meta["_where"] = cached
        return cached

    def contributions(self, x: dict[str, float], label: str, text: str | None = None
                      ) -> list[tuple[str, float]]:
        """Which readings pushed towards ``label`` and how much, largest first: the
        trace a counselor reads to see why a verdict came out as it did."""
        if text is not None and self.meta.get("grams"):
            x = {**x, **text_grams(text, self.meta["grams"])}
        row = self.coef[self.labels.index(label)] if len(self.coef) > 1 else self.coef[0]
        where = self._where()
        pairs = [(f, row[where[f]] * float(v)) for f, v in x.items() if v and f in where]
        return sorted(pairs, key=lambda p: -abs(p[1]))

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "labels": self.labels, "features": self.features,
                           "coef": [[round(w, 6) for w in row] for row in self.coef],
                           "intercept": [round(b, 6) for b in self.intercept],
                           "meta": {k: v for k, v in self.meta.items() if not k.startswith("_")}},
                          ensure_ascii=False, indent=1)


def text_grams(text: str, spec: dict[str, Any]) -> dict[str, float]:
    """Sublinear tf-idf of the text's character n-grams over a fixed vocabulary,
    L2-normalised — what scikit-learn's ``TfidfVectorizer(analyzer="char",
    sublinear_tf=True)`` computes, without pickling it."""
    low, high = spec["range"]
    idf: dict[str, float] = spec["idf"]
    counts: dict[str, int] = {}
    s = " ".join(text.lower().split())
    for n in range(low, high + 1):
        for i in range(len(s) - n + 1):
            gram = s[i:i + n]
            if gram in idf:
                counts[gram] = counts.get(gram, 0) + 1
    weights = {g: (1.0 + math.log(c)) * idf[g] for g, c in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    scale = float(spec.get("weight", 1.0))
    return {f"q:{g}": scale * w / norm for g, w in weights.items()}


def save(model: LinearModel, folder: Path = MODELS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{model.name}.json"
    path.write_text(model.to_json() + "\n", encoding="utf-8")
    return path


@lru_cache(maxsize=8)
def load(name: str, folder: Path = MODELS) -> LinearModel | None:
    path = folder / f"{name}.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return LinearModel(data["name"], data["labels"], data["features"], data["coef"],
                       data["intercept"], data.get("meta") or {})
