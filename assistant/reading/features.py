"""The question and its answering clause side by side, as named numbers for the verdict
and answerability models. Every feature is a general reading — negation, relatives,
thresholds, places, prohibitions, conditions — never a word from one question."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.reading.clause import CLAUSE_CUES, ClauseReading
from assistant.reading.cues import clause_cue
from assistant.reading.figures import answers_figure
from assistant.reading.question import QuestionReading, asked_act
from assistant.reading.scope import Scope
from assistant.reading.thresholds import Comparison
from corpus.normalize import search_text

_PROHIBITED_OBJECT = 14


def _bigrams(s: str) -> set[str]:
    return {s[i:i + 2] for i in range(len(s) - 1)}


def _overlap(a: str, b: str) -> int:
    return len(_bigrams(a) & _bigrams(b))


def _share_in(part: str, text: str) -> float:
    grams = _bigrams(part)
    return len(grams & _bigrams(text)) / len(grams) if grams else 0.0


_STATEMENT_FULL = 40  # characters of self-description beyond which more says no more
# Chinese legal drafting puts a grant's condition in a topic phrase closed by 的 (实施就业
# 歧视的，劳动者可以…; 对残疾人从事个体经营的，应当…): whether the asker's words carry
# that phrase tells 「可以」 (the asker said it) from 「要看条件」 (the asker did not).
_CONDITION_PHRASE = re.compile(r"[^，,；;。：:、]{3,40}的(?=[，,])")


def condition_phrases(sentence: str) -> list[str]:
    return [m.group(0)[:-1] for m in _CONDITION_PHRASE.finditer(sentence)]


@dataclass
class Reading:
    """Everything read for one question, kept for the reply and the trace."""

    question: QuestionReading
    clause: ClauseReading | None
    scope: Scope
    comparison: Comparison
    features: dict[str, float] = field(default_factory=dict)


def verdict_features(q: QuestionReading, c: ClauseReading | None, scope: Scope,
                     comparison: Comparison, conflicts: list[tuple[str, str]] | None = None,
                     said: str = "") -> dict[str, float]:
    """``said``: everything the asker has said in this conversation, the question included."""
    f: dict[str, float] = {
        "q_first_person": float(q.first_person),
        "q_family": float(bool(q.family)),
        "q_absolute": float(bool(q.absolute)),
        "q_skip": float(bool(q.skip)),
        "q_legality": float(q.legality),
        "q_negated": float(bool(q.negated)),
        "scope_outside": float(scope.relation == "outside"),
        "scope_hukou_only": float(scope.relation == "hukou_only"),
        "scope_inside": float(scope.relation == "inside"),
        "scope_regional_unknown": float(scope.relation == "unknown"),
        "threshold_fails": float(min(comparison.fails, 2)),
        "threshold_meets": float(min(comparison.meets, 2)),
    }
    if c is None:
        return f
    sentence = search_text(c.sentence)
    passage = search_text(c.hit.text)
    if len(q.statement) >= 2:
        # how much the asker says of themselves, and how much of it the clause speaks of
        f["stmt_len"] = min(len(q.statement), _STATEMENT_FULL) / _STATEMENT_FULL
        f["stmt_in_sentence"] = _share_in(q.statement, sentence)
        f["stmt_in_passage"] = _share_in(q.statement, passage)
    else:
        f["stmt_none"] = 1.0
    for name in CLAUSE_CUES:
        f[f"c_{name}"] = float(bool(c.cues[name]))
        f[f"p_{name}"] = float(bool(c.passage_cues[name]))
    f["neg_overlap"] = float(any(_overlap(n[1:], sentence) >= 2 for n in q.negated))
    f["family_mismatch"] = float(bool(q.family) and not c.cues["family"]
                                 and not c.passage_cues["family"])
    f["legality_x_prohibition"] = float(q.legality and bool(c.cues["prohibition"]))
    f["skip_x_sequence"] = float(bool(q.skip) and bool(c.cues["sequence"] or c.cues["duty"]))
    f["absolute_x_condition"] = float(bool(q.absolute) and bool(c.cues["condition"]))
    f["asks_prohibited"] = float(_asks_prohibited(q.text, sentence))
    f["entity_conflict"] = float(bool(conflicts))
    f["grant_only"] = float(bool(c.cues["grant"]) and not c.cues["condition"]
                            and not c.cues["prohibition"])
    # The clause states the very act asked about (…纳入“两个目录一系统” / 能否将…纳入…):
    # a rule's own words, asked back, lean "yes" unless a condition goes unsaid.
    act = asked_act(q.text)
    f["ask_in_sentence"] = _share_in(act, sentence)
    f["ask_in_passage"] = _share_in(act, passage)
    phrases = condition_phrases(sentence)
    if phrases:
        covered = min(_share_in(p, said or q.text) for p in phrases)
        f["cond_phrase"] = 1.0
        f["cond_said"] = covered
        f["cond_said_most"] = float(covered >= 0.5)
    # Which policy words the answering sentence uses: the model learns that 符合条件的
    # leans "it depends" and 鼓励 leans "yes" from the team's data, word by word.
    for name, words in c.cues.items():
        for word in words:
            f[f"w:{name}:{word}"] = 1.0
    return f


def _asks_prohibited(question: str, sentence: str) -> bool:
    """The question is about the very act the clause forbids (不得扣押…证件 / 押身份证)."""
    for m in clause_cue("prohibition").pattern.finditer(sentence):
        act = sentence[m.end():m.end() + _PROHIBITED_OBJECT]
        if _overlap(act, question) >= 3:
            return True
    return False


def answerability_features(q: QuestionReading, c: ClauseReading | None, check: Any,
                           top_score: float, foreign_place: bool,
                           bm25_idf: Callable[[str], float],
                           off_topic: float = 0.0,
                           passage: dict[str, float] | None = None) -> dict[str, float]:
    """``check`` is :class:`assistant.abstain.Answerability` for the same hits."""
    sentence = search_text(c.sentence) if c else ""
    # The answering passage whole (the figure may sit in the next sentence or a table
    # cell), and the best sentence of the runner-up passage.
    figure = answers_figure(q.text, [c.hit.text, *(x.text for x in c.quotes[1:2])] if c else [])
    top_uncovered = max((bm25_idf(t) for t in check.uncovered[:1]), default=0.0)
    return {
        "off_topic": float(off_topic),
        # how much of the question's rarer vocabulary the answering passage and its best
        # sentence carry (the reranker's readings of the chosen passage)
        "clause_share": float((passage or {}).get("sentence_share", 0.0)),
        "passage_share": float((passage or {}).get("passage_share", 0.0)),
        # the reranker's belief that the chosen passage answers, and its meaning-level
        # closeness to the question: a near-miss passage shares words but not the point
        "lead_answers_p": float((passage or {}).get("answers_p", 0.0)),
        "lead_cosine": float((passage or {}).get("dense_cosine", 0.0)),
        # the earlier hand-calibrated decision (coverage, unseen concepts, missing sums)
        "coverage_check_fails": float(not check.answerable),
        "figure_missing": float(figure is False),
        "figure_held": float(figure is True),
        "top_uncovered_idf": min(top_uncovered / 10.0, 1.5),
        "uncovered_terms": float(min(len(check.uncovered), 4)),
        "coverage": float(check.coverage),
        "unseen": float(min(len(check.unseen), 3)),
        "money_missing": float(check.asks_money and not check.states_money),
        "asks_money": float(q.asks_money),
        "asks_list": float(q.asks_list),
        "asks_date": float(q.form == "date"),
        "asks_number": float(q.form == "number"),
        "foreign_place": float(foreign_place),
        "top_score": float(top_score),
        "quote_score": float(min((c.quotes[0].score if c else 0.0) / 20.0, 2.0)),
        "sentence_digits": float(any(ch.isdigit() for ch in sentence)),
    }
