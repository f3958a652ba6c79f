"""The chat's reply about classes says only what the catalog found."""

from __future__ import annotations

from typing import Any

import pytest

import api.courses as courses
from corpus.settings import Settings


class _Found:
    def __init__(self, found: dict[str, Any]) -> None:
        self.found = found

    def match(self, profile: dict[str, Any], k: int) -> dict[str, Any]:
        return self.found


def _reply(monkeypatch: pytest.MonkeyPatch, found: dict[str, Any]) -> str | None:
    monkeypatch.setattr(courses, "matcher", lambda settings: _Found(found))
    answer = courses.class_reply(Settings(), "包头有没有焊工三级班", {})
    return answer.answer if answer else None


def test_a_notice_without_classes_lists_no_empty_heading(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _reply(monkeypatch, {"results": [], "notice": "包头市目前没有可报名的焊工三级班"})
    assert text is not None and text.startswith("包头市目前没有可报名的焊工三级班")
    assert "这些班" not in text


def test_classes_are_listed_under_their_heading(monkeypatch: pytest.MonkeyPatch) -> None:
    found = {"results": [{"title": "焊工三级", "provider": "包头技师学院", "city": "包头市"}],
             "notice": None}
    text = _reply(monkeypatch, found)
    assert text is not None and text.splitlines()[:2] == ["目录里有这些相关的班：",
                                                          "1. 焊工三级（包头技师学院，包头市）"]


def test_nothing_found_leaves_the_question_to_the_policies(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    assert _reply(monkeypatch, {"results": [], "notice": None}) is None
