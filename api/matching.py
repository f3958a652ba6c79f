"""The matcher wired to the assistant for one home, built once per process.

The matcher does not import the assistant (dependencies point api → assistant, matcher →
corpus); the service hands it the rule book (subsidy eligibility, brand tiers) here.

Occupation vectors depend only on the model and the shipped classification, so they are
cached beside the converted model and shared by every home, like the model itself;
program vectors belong to a catalog and live in the home.
"""

from __future__ import annotations

from functools import lru_cache

from assistant.home import rulebook
from corpus.embedder import get_embedder
from corpus.settings import Settings, get_settings
from matcher.catalog import sessions
from matcher.occupations import OccupationResolver
from matcher.ranking import Matcher
from matcher.vectors import VectorCache


@lru_cache(maxsize=4)
def _resolver(settings: Settings) -> OccupationResolver:
    return OccupationResolver(get_embedder(settings), settings.model_cache.parent / "vectors")


def resolver(settings: Settings | None = None) -> OccupationResolver:
    return _resolver(settings or get_settings())


@lru_cache(maxsize=4)
def _matcher(settings: Settings) -> Matcher:
    cache = VectorCache(settings.home / "matcher" / "vectors", "programs",
                        get_embedder(settings))
    return Matcher(sessions(settings), _resolver(settings), cache, rulebook())


def matcher(settings: Settings | None = None) -> Matcher:
    return _matcher(settings or get_settings())
