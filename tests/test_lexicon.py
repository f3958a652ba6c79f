"""The synonym table is validated data: every entry a string, every key a term the
shipped policy texts use (an expansion to a word no text holds finds nothing)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from corpus.normalize import search_text

LEXICON = Path(__file__).resolve().parents[1] / "corpus" / "lexicon"
TEXTS = Path(__file__).resolve().parents[1] / "corpus" / "texts"
TABLE: dict = yaml.safe_load((LEXICON / "synonyms.yaml").read_text(encoding="utf-8"))


@cache
def shipped_text() -> str:
    return "\n".join(search_text(p.read_text(encoding="utf-8")) for p in TEXTS.rglob("*")
                     if p.suffix in (".md", ".txt") and "PROVENANCE" not in p.name)


def test_every_entry_is_a_list_of_strings() -> None:
    # YAML reads 4050 as a number; the loader needs text
    bad = {k: v for k, v in TABLE.items()
           if not isinstance(k, str) or not isinstance(v, list)
           or not all(isinstance(x, str) and x for x in v)}
    assert bad == {}


@pytest.mark.parametrize("key", sorted(TABLE))
def test_each_key_is_a_term_of_the_shipped_texts(key: str) -> None:
    assert search_text(key) in shipped_text()


def test_no_phrase_contains_its_own_key() -> None:
    # such a phrase only ever matches a query that already holds the key
    assert [(k, p) for k, v in TABLE.items() for p in v if search_text(k) in search_text(p)] == []
