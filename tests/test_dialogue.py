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


def _facts(settings, sid: str) -> dict:
    from assistant.store import ChatSession

    with chat_sessions(settings.db_url)() as db:
        return dict(db.get(ChatSession, sid).facts or {})


def test_a_later_statement_adds_to_the_facts_and_drops_nothing(chats, shipped_settings) -> None:
    sid = chats.start()
    chats.say(sid, "我是残疾人，在南昌，能参加免费的技能培训吗？")
    chats.say(sid, "我现在没工作")
    facts = _facts(shipped_settings, sid)
    assert "残疾人" in facts["groups"]
    assert facts.get("employment_status") == "unemployed"
    assert facts.get("city") == "南昌市"


def test_a_statement_of_facts_is_acknowledged_with_what_applies(chats, shipped_settings) -> None:
    sid = chats.start()
    answer = chats.say(sid, "我是退役军人，在赣州")
    assert answer.answer.startswith("好的，已记下：退役军人，赣州市")
    assert not answer.abstained and answer.citations
    assert _facts(shipped_settings, sid)["groups"] == ["退役军人"]


@pytest.mark.parametrize("text", ["我是退役军人，在赣州有啥培训可以参加",
                                  "我在南昌失业了 哪里能学技术"])
def test_facts_with_a_question_without_a_question_mark_are_answered_as_asked(
        chats, shipped_settings, text: str) -> None:
    """Workers often type no ？: an interrogative word still makes it a question, so the
    reply answers it rather than only noting the facts."""
    sid = chats.start()
    answer = chats.say(sid, text)
    assert not answer.answer.startswith("好的，已记下")
    assert _facts(shipped_settings, sid).get("groups") or _facts(shipped_settings, sid).get("city")


def test_a_quick_reply_records_the_fact_and_answers_again(chats, shipped_settings) -> None:
    """Whatever follow-up question the first answer asks, its first choice is recorded as
    the fact it names and the earlier question is answered again with it."""
    sid = chats.start()
    first = chats.say(sid, "能参加政府补贴的职业技能培训吗？")
    assert first.verdict == "conditional" and first.follow_up and first.quick_replies
    again = chats.say(sid, first.quick_replies[0])
    assert again.answer.startswith("好的，已记下")
    history = chats.history(sid)
    assert [t["role"] for t in history] == ["user", "assistant"] * 2
    facts = _facts(shipped_settings, sid)
    assert first.quick_replies[0] in (facts.get("groups") or []) or facts.get("conditions_answer")


def _asked_about_conditions(chats: Conversations) -> tuple[str, object]:
    """A question whose answer lists conditions and asks whether the asker meets them."""
    sid = chats.start()
    first = chats.say(sid, "我是失业人员，在南昌，能领失业保险金吗？")
    assert first.verdict == "conditional" and first.follow_up == "您是否符合上面的条件？"
    return sid, first


@pytest.mark.parametrize(("reply", "verdict"), [("符合", "yes"), ("不符合", "no")])
def test_meeting_the_conditions_or_not_settles_the_verdict(chats, reply, verdict) -> None:
    sid, first = _asked_about_conditions(chats)
    again = chats.say(sid, reply)
    assert again.verdict == verdict and again.follow_up is None
    assert again.citations[0].quote == first.citations[0].quote  # the same clause decides
    lead = "可以。" if verdict == "yes" else "不可以。"
    assert lead in again.answer.splitlines()[1]
    assert "缴费义务满1年" in again.answer  # the conditions the asker said they meet or not


def test_not_knowing_leaves_it_open_and_is_not_asked_again(chats) -> None:
    sid, _ = _asked_about_conditions(chats)
    again = chats.say(sid, "不清楚")
    assert again.verdict == "conditional" and again.follow_up is None


def test_a_bare_reply_settles_only_its_own_question(chats) -> None:
    sid, _ = _asked_about_conditions(chats)
    chats.say(sid, "符合")
    later = chats.say(sid, "失业人员能参加职业培训吗？")
    assert later.verdict != "no"  # 「符合」 is not read as part of the new question
    assert not later.answer.startswith("可以。按您说的")


def test_a_group_chosen_from_the_chips_is_read_with_the_question(chats) -> None:
    """After 「退役军人」 the question is answered for a veteran, and the next follow-up
    asks something else."""
    sid = chats.start()
    first = chats.say(sid, "能参加政府补贴的职业技能培训吗？")
    assert first.follow_up == "您属于哪类人员？" and "退役军人" in first.quick_replies
    again = chats.say(sid, "退役军人")
    assert again.follow_up != first.follow_up
    assert any("退役军人" in c.quote for c in again.citations)


def test_a_short_follow_up_keeps_asking_for_a_verdict(chats) -> None:
    sid = chats.start()
    chats.say(sid, "退役军人能参加政府组织的免费职业技能培训吗？")
    answer = chats.say(sid, "那我老婆呢？")
    assert answer.verdict in ("yes", "no", "conditional") or answer.abstained
    assert answer.verdict != "yes"  # the clause names the veteran, not the family


def test_a_figure_asked_about_earlier_is_not_taken_for_the_askers_own(chats) -> None:
    """「一个月给多少钱」 asks about a monthly rate; read as the asker's one month, it turned
    the next eligibility question into 「不可以。您说的是1个月，而规定要求不低于1年」."""
    sid = chats.start()
    chats.say(sid, "失业保险金一个月能领多少钱？")
    answer = chats.say(sid, "我被单位辞退了，能领失业保险金吗？")
    assert "1个月" not in answer.answer and "您说的是" not in answer.answer
    assert answer.verdict != "no"


def test_a_figure_the_asker_stated_in_an_earlier_turn_still_counts(chats) -> None:
    sid = chats.start()
    chats.say(sid, "我在单位一共交了8个月失业保险，能领多久？")
    answer = chats.say(sid, "我被单位辞退了，能领失业保险金吗？")
    assert answer.verdict == "no" and "8个月" in answer.answer


@pytest.mark.parametrize(("turn", "stated"), [
    ("失业金一个月给多少钱", ""),                      # the figure is what is asked
    ("补贴每人每年最多几次？", ""),
    ("我交了8个月，能领多久", "我交了8个月"),          # a statement before the ask
    ("交了8个月能领吗", "交了8个月能领吗"),            # a yes/no ask states its figures
    ("我失业半年了", "我失业半年了"),
])
def test_what_an_earlier_turn_says_of_the_asker(turn: str, stated: str) -> None:
    from assistant.reading.question import stated_in

    assert stated_in(turn) == stated


def test_a_question_of_its_own_is_not_taken_for_the_reply_to_a_follow_up(chats) -> None:
    """After 「您是否符合上面的条件？」 a new question that happens to name a group is
    answered as asked (in its own script), not recorded as the reply to the old one."""
    sid, first = _asked_about_conditions(chats)
    answer = chats.say(sid, "領失業金要去哪裡辦手續？")
    assert not answer.answer.startswith(("好的", "好的，已记下"))
    assert answer.script == "zh-Hant"


def test_a_short_question_of_another_kind_is_not_forced_into_a_verdict(chats) -> None:
    """「那我老婆呢？」 after a yes/no question asks yes/no again; 「要去哪里办手续？」 asks
    where, and gets no 「可以」/「要看条件」 of the earlier question's kind."""
    sid = chats.start()
    chats.say(sid, "我是失业人员，能领失业保险金吗？")
    answer = chats.say(sid, "要去哪里办手续？")
    assert answer.verdict is None
