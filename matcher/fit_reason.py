"""When 「与您的技能和兴趣较契合」 may be said: a calibrated bar on the fit similarity.

e5-small cosines of any two Chinese job texts sit between 0.80 and 0.92, and how high
depends on the query: a two-character text ("焊工") is close to everything (134 of the
1,634 occupations above the old bar of 0.872), a long one to little. So the bar is not on
the raw cosine but on how far the program's occupation stands out among all occupations
for *this* query: the z-score of its cosine against the query's cosines with every
occupation of the 2022 classification (computed anyway for the fit factor).

``FIT_REASON_Z`` was chosen on the train part of ``tests/data/fit_pairs.jsonl`` (436 worker
text × occupation pairs labelled related or not before their scores were computed; 26 of
the 78 texts held out) by maximising F0.5 (a wrong 契合 reason misleads a counselor more
than a missing one), and checked on the held-out part. Reproduce with
``python -m matcher.fit_reason tests/data/fit_pairs.jsonl``; tests/test_matcher_fit.py
re-runs it. Session 9 figures (e5-small), held-out: P 0.882 R 0.600 (train P 0.933
R 0.745); the old rule (cosine ≥ 0.872 on title or occupation) had held-out P 0.853
R 0.580 and, on the 3,000-program sample, said 契合 of 131 programs for "焊工" (now 0).
Texts whose words spread over a field ("想学直播带货") still lift neighbours of the field
(网约配送员): the embedding, not the bar, is the limit there.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matcher.occupations import OccupationResolver
from matcher.reference import classification

FIT_REASON_Z = 2.82  # see the module docstring: chosen on the train pairs, F0.5
BETA = 0.5


def standing(similarity: np.ndarray) -> np.ndarray:
    """Each occupation's cosine as a z-score among all occupations for one query."""
    spread = float(similarity.std())
    if spread == 0.0:
        return np.zeros_like(similarity)
    return (similarity - float(similarity.mean())) / spread


@dataclass(frozen=True)
class Pair:
    text: str
    occupation: str
    related: bool
    split: str  # "train" | "heldout"


def load_pairs(path: Path) -> list[Pair]:
    pairs = [Pair(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    unknown = sorted({p.occupation for p in pairs if classification().find(p.occupation) is None})
    if unknown:
        raise ValueError(f"{path.name}: not occupations of the classification: {unknown}")
    return pairs


def pair_scores(resolver: OccupationResolver, pairs: list[Pair]) -> np.ndarray:
    """The z-score the ranking would compute for each pair's occupation and text."""
    row = {o.code: i for i, o in enumerate(resolver.occupations)}
    matrix = resolver.matrix()
    out = np.empty(len(pairs))
    for n, pair in enumerate(pairs):
        code = classification().find(pair.occupation).code  # type: ignore[union-attr]
        out[n] = standing(matrix @ resolver.query_vector(pair.text))[row[code]]
    return out


def precision_recall(scores: np.ndarray, related: np.ndarray, bar: float
                     ) -> tuple[float, float]:
    said = scores >= bar
    hits = int((said & related).sum())
    precision = hits / int(said.sum()) if said.any() else 1.0
    recall = hits / int(related.sum()) if related.any() else 1.0
    return precision, recall


def choose_bar(scores: np.ndarray, related: np.ndarray, beta: float = BETA) -> float:
    """The observed score that maximises F-beta (the highest one on ties)."""
    best, best_f = float(scores.max()), -1.0
    for bar in np.unique(scores):
        p, r = precision_recall(scores, related, float(bar))
        f = (1 + beta**2) * p * r / (beta**2 * p + r) if p + r else 0.0
        if f >= best_f:
            best, best_f = float(bar), f
    return best


def calibrate(resolver: OccupationResolver, pairs: list[Pair]) -> dict[str, float]:
    scores = pair_scores(resolver, pairs)
    related = np.array([p.related for p in pairs])
    train = np.array([p.split == "train" for p in pairs])
    bar = choose_bar(scores[train], related[train])
    out = {"chosen_bar": round(bar, 3), "shipped_bar": FIT_REASON_Z}
    for name, part in (("train", train), ("heldout", ~train)):
        p, r = precision_recall(scores[part], related[part], FIT_REASON_Z)
        out |= {f"{name}_pairs": int(part.sum()), f"{name}_precision": round(p, 3),
                f"{name}_recall": round(r, 3)}
    return out


def main() -> None:  # pragma: no cover - a calibration report, run by hand
    from corpus.embedder import get_embedder
    from corpus.settings import get_settings

    parser = argparse.ArgumentParser(description="Calibrate the fit-reason bar.")
    parser.add_argument("pairs", type=Path)
    args = parser.parse_args()
    settings = get_settings()
    resolver = OccupationResolver(get_embedder(settings), settings.model_cache.parent / "vectors")
    print(json.dumps(calibrate(resolver, load_pairs(args.pairs)), ensure_ascii=False))


if __name__ == "__main__":  # pragma: no cover
    main()
