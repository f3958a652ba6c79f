"""The long-lived objects of one home (library, searcher), built once per process."""

from __future__ import annotations

from functools import lru_cache

from corpus.embedder import get_embedder
from corpus.index import IndexStore
from corpus.library import Library
from corpus.search import Searcher
from corpus.settings import Settings, get_settings


def library(settings: Settings | None = None) -> Library:
    settings = settings or get_settings()
    return Library(settings, lambda: get_embedder(settings))


@lru_cache(maxsize=4)
def _searcher(settings: Settings) -> Searcher:
    store = IndexStore(settings.index_dir)
    if store.current() is None:
        library(settings).ensure_shipped()  # a new home works at once
    return Searcher(store, get_embedder(settings), fusion=settings.fusion,  # type: ignore[arg-type]
                    blend_alpha=settings.blend_alpha)


def searcher(settings: Settings | None = None) -> Searcher:
    return _searcher(settings or get_settings())
