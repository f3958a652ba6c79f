"""Multi-turn conversations: the session remembers the worker's facts and the topic.

A follow-up ("那退役军人呢？", "网课也算吗？") is answered with the earlier questions as
retrieval context, so the topic and its entities carry over; a correction ("不对，我在
九江") replaces the fact and the previous question is answered again with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import sessionmaker

from assistant import replies
from assistant.answer import Answer, Assistant, clean_question
from assistant.facts import apply_correction, extract_facts
from assistant.intent import classify
from assistant.reading.question import is_statement
from assistant.store import ChatSession, Turn, _now
from assistant.streaming import Opening
from corpus.errors import NotFound
from corpus.normalize import detect_script, to_script

CONTEXT_TURNS = 2
# A reply to a pending follow-up question is short ("退役军人", "赣州", "符合").
PENDING_REPLY_CHARS = 12
_CORRECTION = re.compile(r"^\s*(不对|不是|错了|我说错了|说错了|更正|纠正|更正一下|不，|不,)")


# Answers a question about classes from the catalog, or None; the service provides it
# (the assistant does not depend on the matcher).
CourseFinder = Callable[[str, dict[str, Any]], "Answer | None"]


class Conversations:
    def __init__(self, sessions: sessionmaker, assistant: Assistant,
                 courses: CourseFinder | None = None) -> None:
        self.sessions = sessions
        self.assistant = assistant
        self.courses = courses

    def start(self, profile: dict[str, Any] | None = None, channel: str = "cli") -> str:
        with self.sessions() as db, db.begin():
            chat = ChatSession(channel=channel, facts=dict(profile or {}))
            db.add(chat)
        return chat.id

    def say(self, session_id: str, text: str, opening: Opening | None = None) -> Answer:
        """One user message in, one answer out. A correction re-answers the last question
        with the corrected facts; a reply to the pending follow-up question (a quick-reply
        chip, or "赣州") records its fact and re-answers; a bare statement of facts ("我是
        退役军人，在赣州") is acknowledged and answered with what applies to that person.

        ``opening`` hears the reply's first line(s) as soon as they are settled (for a
        stream); the turn is written only once the whole answer is made."""
        text = clean_question(text)
        tell = opening or (lambda _: None)
        with self.sessions() as db, db.begin():
            chat = self._get(db, session_id)
            said, asked = _read_history(chat.turns)
            last = next((t.answer for t in reversed(chat.turns) if t.role == "assistant"), None)
            facts = dict(chat.facts or {})
            new_facts = extract_facts(text)
            if asked and _CORRECTION.match(text):
                facts = apply_correction(facts, text)
                answer = self._again(asked, facts, opening=opening)
            elif asked and _answers_pending(last, text, new_facts):
                facts = _record_reply(facts, text, new_facts, last, asked[0])
                tell(note := f"{replies.noted(new_facts)}\n")
                answer = self._again(asked, facts, text if new_facts else None, opening)
                answer.answer = note + answer.answer
            elif new_facts and is_statement(text):
                facts = apply_correction(facts, text)
                tell(note := f"{replies.noted(facts)}\n")
                answer = self.assistant.answer(replies.about_person(facts), [], facts,
                                               opening=opening)
                answer.answer = note + answer.answer
            else:
                facts = apply_correction(facts, text)  # merges lists, replaces places
                answer = self._about_classes(text, facts) or self.assistant.answer(
                    text, said[-CONTEXT_TURNS:], facts, opening=opening)
            ordinal = len(chat.turns)
            db.add(Turn(session_id=chat.id, ordinal=ordinal, role="user", text=text))
            db.add(Turn(session_id=chat.id, ordinal=ordinal + 1, role="assistant",
                        text=answer.answer, answer=answer.to_dict()))
            chat.facts = facts
            chat.updated_at = _now()
        return answer

    def _about_classes(self, text: str, facts: dict[str, Any]) -> Answer | None:
        if self.courses is None or classify(text).label != "courses":
            return None
        answer = self.courses(text, facts)
        if answer is not None:
            answer.script = detect_script(text)
            answer.answer = to_script(answer.answer, answer.script)  # type: ignore[arg-type]
        return answer

    def _again(self, asked: tuple[str, list[str]], facts: dict[str, Any],
               reply: str | None = None, opening: Opening | None = None) -> Answer:
        """The last real question answered again with what is known now. A reply that
        states a fact ("退役军人") is read as the turn before the question, the way a
        worker who says who they are and then asks is read."""
        question, context = asked
        if reply:
            context = [*context, reply][-CONTEXT_TURNS:]
        return self.assistant.answer(question, context, facts, opening=opening)

    def history(self, session_id: str) -> list[dict[str, Any]]:
        with self.sessions() as db:
            chat = self._get(db, session_id)
            return [{"id": t.id, "role": t.role, "text": t.text, "answer": t.answer,
                     "created_at": t.created_at.isoformat()} for t in chat.turns]

    @staticmethod
    def _get(db: Any, session_id: str) -> ChatSession:
        chat = db.get(ChatSession, session_id) if isinstance(session_id, str) else None
        if chat is None:
            raise NotFound("找不到这个会话，请重新开始对话。", code="session_not_found",
                           detail={"session_id": session_id})
        return chat


def _read_history(turns: list[Turn]) -> tuple[list[str], tuple[str, list[str]] | None]:
    """What the user has said that a new question is read after (every turn but a bare
    符合 / 不清楚, which means nothing out of its question), and the last real question
    with what was said around it: the turns before it and the replies after it that
    stated a fact ("退役军人"). Not a question: a reply to a pending follow-up, a bare
    statement of facts, a correction — so answering "the last question" again always
    answers a question."""
    said: list[str] = []
    found: tuple[str, list[str]] | None = None
    last: dict[str, Any] | None = None
    for turn in turns:
        if turn.role == "assistant":
            last = turn.answer
            continue
        text, facts = turn.text, extract_facts(turn.text)
        if found is not None and (_CORRECTION.match(text) or _answers_pending(last, text, facts)):
            if not facts:
                continue
            found = (found[0], [*found[1], text][-CONTEXT_TURNS:])
        elif not (facts and is_statement(text)):
            found = (text, said[-CONTEXT_TURNS:])
        said.append(text)
    return said, found


def _answers_pending(last: dict[str, Any] | None, text: str, new_facts: dict[str, Any]) -> bool:
    """A chip, or a short statement of a fact; a question of its own ("領失業金要去哪裡辦
    手續？" names a group too) is a new question, not the reply."""
    if not last or not last.get("follow_up") or len(text) > PENDING_REPLY_CHARS:
        return False
    return (text.strip() in (last.get("quick_replies") or [])
            or bool(new_facts) and is_statement(text))


def _record_reply(facts: dict[str, Any], text: str, new_facts: dict[str, Any],
                  last: dict[str, Any] | None, question: str) -> dict[str, Any]:
    """A stated fact merges into the profile; a bare 符合/不符合/不清楚 is kept as the
    answer to the pending question about ``question``'s conditions, so it is never asked
    again and settles that question's verdict."""
    facts = apply_correction(facts, text) if new_facts else dict(facts)
    if not new_facts and last and last.get("follow_up"):
        facts["conditions_answer"] = {"question": question, "reply": text.strip()}
    return facts
