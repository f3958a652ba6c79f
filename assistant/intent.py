"""Intent routing: which part of the assistant should answer a message.

Labels: ``policy`` (what a policy says), ``eligibility`` (does a policy apply to someone),
``courses`` (find training to take), ``smalltalk`` and ``out_of_scope``. A message the
model is not sure about gets ``uncertain``; the caller answers it as ``policy``, because
a retrieved, cited passage is the least harmful answer to a question we misread.

The model is TF-IDF over character 1–2-grams of the search form plus a handful of cue
features, into a logistic regression. Characters rather than jieba words: workers write
with typos and colloquial words (补帖, 咋, 不) that a word segmenter splits unpredictably,
and Traditional input becomes Simplified in ``search_text`` before any feature is made.
It trains on ``data/intents.yaml`` on first use (well under a second) and stays cached
for the process; a fixed ``random_state`` keeps it deterministic.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from corpus.normalize import search_text

DATA_FILE = Path(__file__).parent / "data" / "intents.yaml"
LABELS = ("policy", "eligibility", "courses", "smalltalk", "out_of_scope")
UNCERTAIN = "uncertain"
# Below this top probability the label is `uncertain`. In 5-fold cross-validation 0.4
# kept 97% of predictions (94% of them right) and set aside 3% that were right less than
# half the time; 0.5 would set aside 9% for little gain.
THRESHOLD = 0.4
RANDOM_STATE = 0
# Chosen by 5-fold × 3 cross-validation on the examples (tests/test_intent.py reports it):
# 1–2-grams beat 1–3 and 1–4 (0.91 vs 0.90 / 0.89: with ~90 examples a label, trigrams
# are mostly unique), and the cue block helps only when down-weighted (0.2 → 0.92;
# at weight 1 the binary cues drown the n-grams and accuracy falls to 0.87).
NGRAMS = (1, 2)
CUE_WEIGHT = 0.2
C = 10.0
# A follow-up this short ("那农民工呢？") usually leans on the previous turn.
SHORT_FOLLOW_UP = 8
# Smalltalk or out-of-scope this sure ("谢谢", "明天下雨吗") ignores the conversation.
SURE_ASIDE = 0.7

# Cues that character n-grams see badly: an eligibility ask is often split around the
# object (可以…吗, 能…不, 有没有…给我们), and a first-person claim sits far from the verb.
CUES: dict[str, str] = {
    "can_question": (r"(能|可以|可不可以|能不能|能否|可否|让不让|给不给)[^，。？！,?!]{0,14}"
                     r"(吗|不|么|嘛)[？?]?$"),
    "can_or_cannot": r"能不能|可不可以|能否|可否|是否可以|允不允许",
    "counts_as": r"算不算|属不属于|属于|符合|够不够|有没有资格|有资格|够条件|适用于?|享受|资格",
    "first_person": r"我|俺|本人|咱|我们|我家",
    "give_us": r"有没有.{0,10}给(我|我们|咱)",
    "course_words": r"课|班|培训学校|培训机构|学[^历费时]|推荐|报名|哪里|哪有|哪家|去哪",
    "policy_words": (r"多少|标准|流程|材料|什么是|是什么|啥|怎么|哪些|规定|条例|第.{1,4}条|"
                     r"多久|区别"),
    "greeting": r"^(你好|您好|谢谢|感谢|再见|拜拜|哈+|嗯+|好的|ok|hi|hello|嗨|喂|在吗)",
}


class CueFeatures(TransformerMixin, BaseEstimator):
    """Binary regex cues, so a phrase split around its object still counts."""

    def fit(self, texts: Sequence[str], y: object = None) -> CueFeatures:
        self.patterns_ = [re.compile(p) for p in CUES.values()]
        return self

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        rows = [[1.0 if p.search(t) else 0.0 for p in self.patterns_] for t in texts]
        return sparse.csr_matrix(np.asarray(rows, dtype=np.float64))


@dataclass(frozen=True)
class Intent:
    label: str  # one of LABELS, or "uncertain"
    confidence: float  # the top class probability
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def route(self) -> str:
        """The label to act on: an uncertain message is answered as a policy question."""
        return "policy" if self.label == UNCERTAIN else self.label


def load_examples(path: Path = DATA_FILE) -> tuple[list[str], list[str]]:
    """``(texts, labels)`` from the YAML file, in file order (deterministic)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    texts: list[str] = []
    labels: list[str] = []
    for label in LABELS:
        for example in data.get(label) or []:
            texts.append(str(example))
            labels.append(label)
    return texts, labels


class _Normalise(TransformerMixin, BaseEstimator):
    """``search_text`` plus trimmed punctuation, for the cue regexes."""

    def fit(self, texts: Sequence[str], y: object = None) -> _Normalise:
        return self

    def transform(self, texts: Sequence[str]) -> list[str]:
        return [search_text(t).strip().rstrip("。.！!~～ ") for t in texts]


def build_pipeline() -> Pipeline:
    """Unfitted pipeline; its input is raw text (it normalises itself)."""
    chars = TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, sublinear_tf=True,
                            preprocessor=search_text)
    cues = Pipeline([("norm", _Normalise()), ("cue", CueFeatures())])
    features = FeatureUnion([("chars", chars), ("cues", cues)],
                            transformer_weights={"chars": 1.0, "cues": CUE_WEIGHT})
    # newton-cg reaches lbfgs's solution (probabilities within 0.006) ten times faster here.
    classifier = LogisticRegression(C=C, solver="newton-cg", max_iter=2000,
                                    random_state=RANDOM_STATE)
    return Pipeline([("features", features), ("clf", classifier)])


_model: Pipeline | None = None
_lock = threading.Lock()


def model() -> Pipeline:
    """The fitted pipeline, trained once per process on first use."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                texts, labels = load_examples()
                _model = build_pipeline().fit(texts, labels)
    return _model


def _probabilities(text: str) -> dict[str, float]:
    fitted = model()
    probs = fitted.predict_proba([text])[0]
    return {str(label): float(p) for label, p in zip(fitted.classes_, probs, strict=True)}


def _decide(scores: dict[str, float]) -> Intent:
    label = max(scores, key=scores.__getitem__)
    confidence = scores[label]
    return Intent(label if confidence >= THRESHOLD else UNCERTAIN, confidence, scores)


def classify(text: str, context: Sequence[str] = ()) -> Intent:
    """The intent of ``text``; ``context`` holds earlier user turns, oldest first.

    Context is used only when the message alone is short or unclear: "那农民工呢？" after
    an eligibility question is an eligibility question, while "谢谢" stays smalltalk
    whatever came before it.
    """
    text = (text or "").strip()
    if not text:
        return Intent(UNCERTAIN, 0.0, dict.fromkeys(LABELS, 0.0))
    alone = _decide(_probabilities(text))
    previous = next((c for c in reversed(context) if c and c.strip()), None)
    if previous is None:
        return alone
    if alone.label in ("smalltalk", "out_of_scope") and alone.confidence >= SURE_ASIDE:
        return alone
    if alone.label != UNCERTAIN and len(search_text(text)) > SHORT_FOLLOW_UP:
        return alone
    joined = _probabilities(f"{previous.strip()}，{text}")
    mixed = {k: 0.5 * alone.scores[k] + 0.5 * joined[k] for k in alone.scores}
    return _decide(mixed)
