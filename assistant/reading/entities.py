"""Named things the question and the clause disagree on.

"在校学生的培训是由省人社厅负责吗" against a clause that gives it to 省教育厅; "线上培训补贴从
就业补助资金列支吗" against 专账资金; "1指的是职业资格证书吗" against 学历证书. When the
question names a thing of some kind that the answering sentence does not, and the sentence
names another thing of that kind, the question's premise is wrong: the answer is no.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.reading.cues import cues
from corpus.normalize import search_text
from corpus.tokenize import tokenize

_MIN = 2
_FRAGMENT = re.compile(r"[，,；;。]")


@lru_cache(maxsize=4096)
def named(text: str) -> dict[str, frozenset[str]]:
    """Words of ``text`` (search form) ending in an entity kind's suffix, by kind."""
    s = search_text(text)
    words = set(tokenize(s))
    out: dict[str, frozenset[str]] = {}
    for kind, cue in cues()["entity"].items():
        found = {w for w in words if len(w) > _MIN and any(w.endswith(x) for x in cue.words)}
        found |= {w for w in cue.words if len(w) >= 3 and w in s}
        if found:
            out[kind] = frozenset(found)
    return out


def _best_fragment(question: str, sentence: str) -> str:
    """The comma-separated part of the sentence that speaks of what the question asks
    about (its own words other than the named things)."""
    terms = set(tokenize(search_text(question)))
    parts = [p for p in _FRAGMENT.split(sentence) if p.strip()]
    return max(parts, key=lambda p: sum(len(t) for t in terms if len(t) >= 2 and t in
                                        search_text(p)), default=sentence)


def conflict(question: str, sentence: str) -> list[tuple[str, str]]:
    """The question's named things that the sentence — or the part of it about the
    question's subject — replaces by another of their kind."""
    found = _conflict(question, sentence)
    return found or _conflict(question, _best_fragment(question, sentence))


def _conflict(question: str, sentence: str) -> list[tuple[str, str]]:
    """``(what the question says, what the sentence says instead)`` pairs."""
    asked, stated = named(question), named(sentence)
    norm = search_text(sentence)
    out = []
    for kind, words in asked.items():
        missing = [w for w in words if w not in norm]
        others = [w for w in stated.get(kind, frozenset()) if w not in search_text(question)]
        if missing and others and len(missing) == len(words):
            out.append((sorted(missing)[0], sorted(others)[0]))
    return out
