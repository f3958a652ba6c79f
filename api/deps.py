"""What routers are given: settings and the long-lived objects of one home.

Every getter reads the settings the app was created with (``app.state.settings``), so a
test builds an app on its own home, and any of them can be swapped through
``app.dependency_overrides``. Importing ``api.models`` here registers the service tables
on ``corpus.db.Base`` before any engine is created.
"""

from __future__ import annotations

import functools
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import sessionmaker

import api.models  # noqa: F401  (registers users and jobs on Base)
from api import matching
from api.courses import class_reply
from assistant.answer import Assistant
from assistant.dialogue import Conversations
from assistant.home import assistant, conversations
from corpus import home
from corpus.library import Library
from corpus.search import Searcher
from corpus.settings import Settings
from matcher.occupations import OccupationResolver
from matcher.ranking import Matcher


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_searcher(settings: SettingsDep) -> Searcher:
    return home.searcher(settings)


def get_assistant(settings: SettingsDep) -> Assistant:
    return assistant(settings)


def get_conversations(settings: SettingsDep) -> Conversations:
    """Conversations whose questions about classes are answered from the catalog."""
    chats = conversations(settings)
    chats.courses = functools.partial(class_reply, settings)
    return chats


def get_matcher(settings: SettingsDep) -> Matcher:
    return matching.matcher(settings)


def get_resolver(settings: SettingsDep) -> OccupationResolver:
    return matching.resolver(settings)


def get_library(settings: SettingsDep) -> Library:
    return home.library(settings)


def get_db(settings: SettingsDep) -> sessionmaker:
    """Sessions on the home's database with every table (service tables included)."""
    from api.models import IdempotencyKey
    from api.users import user_sessions

    # An engine built before api.models was imported lacks the service tables; every
    # POST with an Idempotency-Key (the chat widget sends one) needs this one.
    return user_sessions(settings, IdempotencyKey.__table__)
