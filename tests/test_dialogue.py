"""Conversations: facts and topic carry over, corrections stick, restarts lose nothing."""

from __future__ import annotations

import pytest

from assistant.dialogue import Conversations
from assistant.home import assistant
from assistant.store import chat_sessions
from corpus.errors import NotFound


@pytest.fixture()
def chats(shipped_settings) -> Conversations:
    return Conversations(chat_sessions(shipped_settings.db_url), assistant(shipped_settings))


def test_follow_up_is_answered_in_the_topic_of_the_earlier_turn(chats) -> None:
    sid = chats.start()
    chats.say(sid, "湖北的1+X证书培训面向哪些人？")
    answer = chats.say(sid, "那退役军人呢？")
    assert any(c.doc_id == "hb-2020-1x-report" for c in answer.citations)


def test_facts_are_remembered_and_corrected(chats, shipped_settings) -> None:
    sid = chats.start()
    chats.say(sid, "我当过兵，在赣州，能参加补贴培训吗？")
    chats.say(sid, "不对，我在九江")
    with chat_sessions(shipped_settings.db_url)() as db:
        from assistant.store import ChatSession

        facts = db.get(ChatSession, sid).facts
    assert facts.get("city") == "九江市"
    assert "退役军人" in facts.get("groups", [])


def test_conversation_survives_a_restart(shipped_settings, database_url) -> None:
    url = database_url or shipped_settings.db_url  # the home's SQLite, then PostgreSQL
    chats = Conversations(chat_sessions(url), assistant(shipped_settings))
    sid = chats.start()
    chats.say(sid, "内蒙古的培训品牌多久征集公布一次？")
    restarted = Conversations(chat_sessions(url), assistant(shipped_settings))
    history = restarted.history(sid)
    assert [t["role"] for t in history] == ["user", "assistant"]
    assert history[1]["answer"]["citations"]


def test_unknown_session_is_a_clear_error(chats) -> None:
    with pytest.raises(NotFound) as err:
        chats.say("no-such-session", "你好")
    assert err.value.code == "session_not_found"
