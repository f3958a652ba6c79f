"""The assistant objects of one home, built once per process."""

from __future__ import annotations

from functools import lru_cache

from assistant.answer import Assistant
from assistant.dialogue import Conversations
from assistant.rules.engine import RuleBook
from assistant.store import chat_sessions
from corpus.home import searcher
from corpus.settings import Settings, get_settings


@lru_cache(maxsize=1)
def rulebook() -> RuleBook:
    return RuleBook.load()


@lru_cache(maxsize=4)
def _assistant(settings: Settings) -> Assistant:
    return Assistant(searcher(settings), rulebook())


def assistant(settings: Settings | None = None) -> Assistant:
    return _assistant(settings or get_settings())


def conversations(settings: Settings | None = None) -> Conversations:
    settings = settings or get_settings()
    return Conversations(chat_sessions(settings.db_url), assistant(settings))
