"""The team's occupation synonyms against the 2022 classification, which wins.

A counselor found 「挡车工」 (an alias of 织布工) resolved to 车工 as an exact synonym: the
team's phrase 车工 matched inside the longer official alias. The audit below lists every
synonym entry that contradicts the classification, so the table cannot regress:

* its key *is* an official name or alias of an occupation it does not map to (the
  classification's occupation must be among its targets, first);
* its key sits inside an official name or alias of another occupation and would capture it:
  resolving that official text yields the synonym's target.
"""

from __future__ import annotations

from collections import defaultdict

from corpus.normalize import search_text
from matcher.occupations import OccupationResolver, synonym_table
from matcher.reference import classification


def _official() -> dict[str, list[str]]:
    """Every official name and alias (normal form, ≥ 2 characters) → the occupations it
    names, names before aliases."""
    out: dict[str, list[str]] = defaultdict(list)
    for occ in classification().occupations:
        for text in (occ.name, *occ.aliases):
            key = search_text(text)
            if len(key) >= 2 and occ.code not in out[key]:
                out[key].append(occ.code)
    return out


def _targets(names: tuple[str, ...]) -> list[str]:
    return [o.code for o in map(classification().find, names) if o]


def _label(codes: list[str]) -> str:
    return "、".join(classification().by_code[c].name for c in codes)


def same_key_contradictions() -> list[str]:
    official = _official()
    found = []
    for key, names in synonym_table().items():
        owners = official.get(key, [])
        targets = _targets(names)
        if owners and set(targets[:len(owners)]) != set(owners):
            found.append(f"{key} → {'、'.join(names)}，但大典中“{key}”是{_label(owners)}")
    return found


def capture_contradictions() -> list[str]:
    found = []
    keys = synonym_table()
    for text, owners in _official().items():
        inside = [k for k in keys if k in text and k != text
                  and not set(_targets(keys[k])) <= set(owners)]
        if not inside:
            continue
        for hit in OccupationResolver.named(text):
            if hit.via == "synonym" and hit.code not in owners:
                found.append(f"大典“{text}”（{_label(owners)}）被同义词"
                             f"{'、'.join(inside)}解析为{hit.name}")
    return found


def test_no_synonym_key_is_an_official_word_for_another_occupation() -> None:
    found = same_key_contradictions()
    assert not found, "\n".join(found)


def test_no_synonym_captures_a_longer_official_name_or_alias() -> None:
    found = capture_contradictions()
    assert not found, "\n".join(found)


def test_every_synonym_target_is_an_official_occupation() -> None:
    for key, names in synonym_table().items():
        assert len(_targets(names)) == len(names), key


def test_an_alias_wins_over_a_synonym_inside_it() -> None:
    for text in ("挡车工", "我以前在纺织厂做挡车工"):
        found = OccupationResolver.named(text)
        assert [r.name for r in found] == ["织布工"], found
        assert found[0].via == "alias"


def test_an_official_name_inside_a_longer_alias_does_not_count() -> None:
    # 叉车工 is an alias of 起重装卸机械操作工; the name 车工 inside it is not a lathe operator
    assert [r.name for r in OccupationResolver.named("叉车工")] == ["起重装卸机械操作工"]


def test_separate_phrases_each_count() -> None:
    names = {r.name for r in OccupationResolver.named("做过挡车工，会电焊")}
    assert names == {"织布工", "焊工"}


def test_synonyms_still_resolve_outside_official_words() -> None:
    assert OccupationResolver.named("开叉车的")[0].name == "起重装卸机械操作工"
    assert OccupationResolver.named("电焊")[0].name == "焊工"


def test_an_alias_written_with_its_marker_reads_as_the_name() -> None:
    occ = classification().find("光伏组件制造工")
    assert occ is not None and all(not a.endswith("L") for a in occ.aliases)
