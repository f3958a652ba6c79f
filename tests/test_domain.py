"""One vocabulary, one profile: every package reads groups, levels and places alike.

The words below are what counselors and workers type; each must mean the same group or
level to the profile parser (matching), the rules' fact registry (eligibility), the catalog
importer and the chat reader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from assistant.facts import extract_facts
from assistant.replies import follow_up
from assistant.rules.check import check
from assistant.rules.engine import default_book
from corpus.domain import vocabulary
from corpus.domain.profile import facts_from_profile, parse_profile
from corpus.domain.vocabulary import GroupFile, LevelFile, groups, levels
from corpus.errors import InvalidInput
from corpus.regions import regions
from matcher import catalog_format, guide, vocab

# shared/schemas/worker_profile.md, the `groups` controlled vocabulary
SCHEMA_GROUPS = {
    "农民工", "退役军人", "高校毕业生", "在校学生", "城镇登记失业人员", "就业困难人员",
    "脱贫劳动力", "零就业家庭成员", "两后生", "低保家庭", "残疾人", "妇女", "企业职工",
    "灵活就业人员", "退捕渔民", "青年",
}

# (what is typed, the group it names): names, labels, colloquial words, Traditional
GROUP_WORDS = [
    ("农村妇女", "妇女"), ("下岗工人", "城镇登记失业人员"), ("失业人员", "城镇登记失业人员"),
    ("当过兵", "退役军人"), ("退伍军人", "退役军人"), ("退伍軍人", "退役军人"),
    ("外卖骑手", "灵活就业人员"), ("建档立卡户", "脱贫劳动力"), ("农村转移劳动力", "农民工"),
    ("农民工（农村转移劳动力）", "农民工"), ("低保户", "低保家庭"), ("上岸渔民", "退捕渔民"),
    ("残疾人", "残疾人"), ("应届毕业生", "高校毕业生"),
    # the texts' formal names: 最低生活保障 for 低保, 就业困难者, 双后生 (江西, 湖北)
    ("城市最低生活保障家庭成员", "低保家庭"), ("就业困难者", "就业困难人员"),
    ("“双后生”", "两后生"),
]


def test_the_group_vocabulary_is_the_schemas() -> None:
    assert set(groups().names) == SCHEMA_GROUPS
    assert set(groups().offered) <= SCHEMA_GROUPS


@pytest.mark.parametrize(("word", "group"), GROUP_WORDS)
def test_a_group_word_means_one_group_everywhere(word: str, group: str) -> None:
    assert parse_profile({"groups": [word]}).groups == (group,)
    assert default_book().registry.normalize({"groups": [word]})["groups"] == [group]
    assert facts_from_profile({"groups": [word]})["groups"] == [group]
    assert catalog_format._groups(word) == [group]


def test_what_matching_accepts_the_eligibility_check_accepts() -> None:
    """Every literal word of the group file: the profile and the rules agree on it."""
    book = default_book()
    for cue in groups().cues:
        word = cue.pattern.pattern
        if cue.group is None or not word.isalnum():
            continue
        matched = parse_profile({"groups": [word]}).groups
        checked = book.registry.normalize({"groups": [word]})["groups"]
        assert list(matched) == checked, word
        check({"province": "江西省", "groups": [word]}, as_of="2024-06-01")


def test_an_unknown_group_is_refused_alike() -> None:
    for read in (lambda: parse_profile({"groups": ["外星人"]}),
                 lambda: check({"groups": ["外星人"]}, as_of="2024-06-01")):
        with pytest.raises(InvalidInput) as error:
            read()
        assert error.value.code == "bad_group"
        assert "退役军人" in error.value.message


@pytest.mark.parametrize(("spelling", "code"), [
    ("五级", "五级"), ("初级工", "五级"), ("四级/中级工", "四级"), ("中级", "四级"),
    ("4级", "四级"), ("三级／高级工", "三级"), ("技师", "二级"), ("高级技师", "一级"),
    ("专项能力", "专项职业能力"),
])
def test_a_level_spelling_means_one_level_everywhere(spelling: str, code: str) -> None:
    assert vocab.level(spelling) == code  # the catalog importer
    [cert] = parse_profile({"certificates": [{"occupation": "电工", "level": spelling}]}
                           ).certificates
    assert cert.level == code
    name = levels().name(code)
    registry = default_book().registry
    assert registry.normalize({"certificate_levels": [spelling]})["certificate_levels"] == [name]


@pytest.mark.parametrize(("said", "code"), [
    ("我有电工中级证", "四级"), ("我考了焊工高级工证", "三级"), ("我有電工技師證", "二级")])
def test_the_chat_reads_levels_with_the_same_ladder(said: str, code: str) -> None:
    [cert] = extract_facts(said)["certificates"]
    assert cert["level"] == code


def test_the_ladder_runs_from_five_to_one() -> None:
    assert levels().ladder == ("五级", "四级", "三级", "二级", "一级")
    assert [levels().rank(c) for c in levels().ladder] == [0, 1, 2, 3, 4]
    assert levels().rank("专项职业能力") is None


def test_a_profile_becomes_the_facts_the_rules_read() -> None:
    facts = facts_from_profile({
        "county": "朝阳区", "province": "北京", "groups": "当过兵、农村妇女", "age": 35,
        "certificates": [{"occupation": "电工", "level": "中级工"}], "gender": "女",
        "skills_text": "会开叉车"})
    assert facts["province"] == "北京市" and facts["city"] == "北京市"
    assert facts["county"] == "朝阳区"
    assert facts["groups"] == ["退役军人", "妇女"]
    assert facts["certificate_levels"] == ["四级/中级工"]
    assert facts["subject"] == "worker"
    assert facts["gender"] == "女"  # a rule may read it; the matcher's profile never does
    assert "skills_text" not in facts
    assert "gender" not in parse_profile({"gender": "女"}).raw


def test_municipalities_are_known_once() -> None:
    table = regions()
    for name in ("北京市", "天津市", "上海市", "重庆市"):
        assert table.resolve(name).is_municipality
    for name in ("河北省", "广州市", "朝阳区"):
        assert not table.resolve(name).is_municipality


def test_quick_choices_come_from_the_vocabulary_and_read_back() -> None:
    question, chips = follow_up({})
    assert chips == [groups().short(g) for g in groups().offered]
    [asked] = [q for q in guide.QUESTIONS if q.field == "groups"]
    assert [label for label, _ in asked.options][:-1] == chips
    for chip, group in zip(chips, groups().offered, strict=True):
        assert groups().canonical(chip) == [group]  # a tapped chip records its group
        assert extract_facts(f"我是{chip}").get("groups") == [group]


def test_the_groups_ask_lists_the_vocabulary() -> None:
    ask = default_book().registry.spec("groups").ask
    assert "{choices}" not in ask
    assert all(groups().short(g) in ask for g in groups().names)


def _group_file() -> dict[str, Any]:
    return yaml.safe_load(vocabulary.GROUPS_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("spoil", [
    lambda d: d.update(offered=["外星人"]),
    lambda d: d["groups"]["退役军人"].update(status="retired"),
    lambda d: d["groups"]["退役军人"]["says"].append("当过(兵"),
    lambda d: d["groups"]["退役军人"].update(nouns=["退伍军人"]),
    lambda d: d.update(exclusive=[["在校学生", "外星人"]]),
])
def test_a_broken_group_file_is_refused(spoil: Any) -> None:
    data = _group_file()
    spoil(data)
    with pytest.raises(ValidationError):
        GroupFile.model_validate(data)


def test_a_level_spelling_may_name_only_one_level() -> None:
    data = yaml.safe_load(Path(vocabulary.LEVELS_FILE).read_text(encoding="utf-8"))
    data["ladder"][0]["aliases"].append("中级")
    with pytest.raises(ValidationError):
        LevelFile.model_validate(data)
