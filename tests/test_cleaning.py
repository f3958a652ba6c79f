"""Cleaning on the real shipped texts: what goes, what must stay, and that it is all logged."""

from __future__ import annotations

import json
import unicodedata
from functools import cache
from pathlib import Path

import pytest

from corpus.cleaning import CleanResult, boilerplate_reason, clean_text
from corpus.loaders import load_file
from corpus.normalize import PINYIN_ANNOTATION, detect_script, eval_normalize, strip_pinyin

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "corpus" / "texts" / "seeds"
POLICIES = ROOT / "corpus" / "texts" / "policies"
DEV_QA = Path(__file__).parent / "data" / "dev_qa.jsonl"

SEED_000 = "000_4bfc8dd77b64c4ab.txt"  # 江西, Traditional, wiki page
SEED_001 = "001_6869cc14234ec324.txt"  # 湖北, Traditional, pinyin + garbled tail
SEED_002 = "002_2b4b239ca6ca9801.txt"  # 人社部 Q&A, Simplified, web footer
SEED_003 = "003_46314927d86d8b12.txt"  # 内蒙古, Simplified, repeated title

ALL_TEXTS = sorted(SEEDS.glob("0*.txt")) + sorted(POLICIES.rglob("*.md"))


@cache
def raw(name: str) -> str:
    return load_file(SEEDS / name).text


@cache
def cleaned(name: str) -> CleanResult:
    return clean_text(raw(name))


def lines_of(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def dropped_texts(name: str, reason: str) -> list[str]:
    return [d.text for d in cleaned(name).dropped if d.reason == reason]


def test_shipped_copies_are_complete() -> None:
    assert [p.name for p in sorted(SEEDS.glob("0*.txt"))] == [SEED_000, SEED_001, SEED_002,
                                                            SEED_003]
    assert len(list(POLICIES.rglob("*.md"))) == 11
    assert (POLICIES / "PROVENANCE.txt").is_file()
    assert (POLICIES / "laws" / "PROVENANCE.txt").is_file()


# --- nothing of substance lost ----------------------------------------------------------


def dev_items() -> list[dict]:
    items = [json.loads(line) for line in DEV_QA.read_text(encoding="utf-8").splitlines()]
    return [item for item in items if item["doc"]]


@pytest.mark.parametrize("item", dev_items(), ids=lambda item: item["id"])
def test_every_evidence_survives_cleaning(item: dict) -> None:
    text = eval_normalize(cleaned(item["doc"]).text)
    for evidence in item["evidence"]:
        assert eval_normalize(evidence) in text, evidence


@pytest.mark.parametrize("path", ALL_TEXTS, ids=lambda p: p.name)
def test_no_pinyin_or_boilerplate_survives(path: Path) -> None:
    result = clean_text(load_file(path).text)
    assert not PINYIN_ANNOTATION.search(result.text)
    assert "<!--" not in result.text
    for line in lines_of(result.text):
        assert boilerplate_reason(line) is None, line


@pytest.mark.parametrize("path", ALL_TEXTS, ids=lambda p: p.name)
def test_cleaning_is_idempotent(path: Path) -> None:
    once = clean_text(load_file(path).text)
    twice = clean_text(once.text)
    assert twice.text == once.text
    assert twice.dropped == []


@pytest.mark.parametrize("path", ALL_TEXTS, ids=lambda p: p.name)
def test_every_drop_is_recorded_with_a_reason(path: Path) -> None:
    original = load_file(path).text
    result = clean_text(original)
    without_pinyin = strip_pinyin(original)
    for drop in result.dropped:
        assert drop.reason and drop.text
        source = original if drop.reason in ("pinyin", "mojibake") else without_pinyin
        assert drop.text in source, drop
    # Apart from recorded repairs, cleaning only deletes: same characters, fewer of them.
    removed = sum(len(d.text) - len(d.replacement) for d in result.dropped)
    kept = len("".join(result.text.split()))
    assert kept == len("".join(original.split())) - removed + whitespace_in(result.dropped)


def whitespace_in(drops: list) -> int:
    return sum(len(d.text) - len("".join(d.text.split())) for d in drops)


def test_policies_only_lose_markup_comments() -> None:
    for path in sorted(POLICIES.rglob("*.md")):
        result = clean_text(load_file(path).text)
        assert {d.reason for d in result.dropped} <= {"markup_comment"}, path.name
        assert [d.text for d in result.dropped] in ([], ["<!-- INFO END -->"])


# --- script and wording are the document's own --------------------------------------


def test_cleaning_keeps_the_documents_script() -> None:
    assert detect_script(cleaned(SEED_000).text) == "zh-Hant"
    assert detect_script(cleaned(SEED_001).text) == "zh-Hant"
    assert "職業技能培訓" in cleaned(SEED_000).text
    assert "結構逐步最佳化" in cleaned(SEED_000).text  # Taiwan wording kept as written
    assert "掛鈎" in cleaned(SEED_000).text  # a real rare character is not mojibake


def test_seed_000_lines_are_unchanged_original_lines() -> None:
    original = {line.strip() for line in raw(SEED_000).split("\n")}
    for line in lines_of(cleaned(SEED_000).text):
        assert line in original, line


# --- seed 001: pinyin and mojibake --------------------------------------------------


def test_pinyin_annotations_are_removed() -> None:
    assert "就業(yè)創(chuàng)業(yè)" in raw(SEED_001)
    text = cleaned(SEED_001).text
    assert "為促進就業創業,助力湖北疫後重振" in text or "為促進就業創業,助力湖北疫后重振" in text
    assert "(yè)" not in text
    assert len(dropped_texts(SEED_001, "pinyin")) == len(PINYIN_ANNOTATION.findall(raw(SEED_001)))


def test_legit_parentheses_stay() -> None:
    assert "阿里巴巴(中國)有限公司" in cleaned(SEED_001).text
    text_002 = cleaned(SEED_002).text
    assert "《提高职业技能行动方案( 2019—2021年)》" in text_002
    assert "(人社部发〔〕10号)" in text_002
    assert "何謂“1+X”證書?“1”為學歷證書" in cleaned(SEED_001).text  # a real question mark


def test_garbled_tail_of_seed_001_is_repaired() -> None:
    text = cleaned(SEED_001).text
    assert "統籌安排“專項行動計劃”,在校學生由省教育廳負責" in text
    assert "公司將實操考試轉變在線考試" in text
    assert "完成培訓的總將超過2.5萬人" in text
    for garble in ("皩", "椥", "袆", "媱", "藬", "樵诰", "€", "?cè)", "?yōu)", "?shù)"):
        assert garble not in text


def test_mojibake_repairs_are_recorded() -> None:
    repairs = [(d.text, d.replacement) for d in cleaned(SEED_001).dropped
               if d.reason == "mojibake"]
    assert repairs == [
        ("?cè)藬?shù)", ""),
        ("?yōu)樵诰€", "在線"),
        ("?!皩m椥袆佑媱潯敝?", "“專項行動計劃”"),
    ]


def phase_slipped(text: str) -> str:
    """GBK bytes read one byte late, the first byte lost: how seed 001 was damaged."""
    data = text.encode("gbk")
    return "?" + unicodedata.normalize("NFKC", data[1:].decode("gbk", errors="replace"))


CONTEXT = "各地要加强组织领导，落实职业培训补贴政策，推进专项行动计划和在线培训平台建设。"


@pytest.mark.parametrize(
    ("garble", "recovered"),
    [
        # UTF-8 read as GBK, with the bytes of the last character lost.
        ("在线培训".encode().decode("gbk", errors="replace"), "在线培"),
        ("职业培训补贴".encode().decode("gbk", errors="replace"), "职业培补贴"),
        # GBK read one byte late (Traditional text, as in seed 001); the lost first byte
        # takes “ with it, the unpaired last byte ”.
        (phase_slipped("“專項行動計劃”"), "專項行動計劃"),
    ],
)
def test_generic_mojibake_repair(garble: str, recovered: str) -> None:
    result = clean_text(f"通知\n{CONTEXT}\n開展{garble}工作。\n{CONTEXT}完毕。")
    assert result.text.split("\n")[2] == f"開展{recovered}工作。"
    assert [d.reason for d in result.dropped] == ["mojibake"]


def test_rare_characters_without_other_damage_are_kept() -> None:
    text = "第一条 掛鈎機制。第二条 皩椥为古字示例。"
    assert clean_text(text).text == text


def test_unrepairable_garble_with_lost_bytes_is_dropped() -> None:
    result = clean_text("他名叫皩椥?é)同志。")
    assert result.text == "他名叫同志。"
    assert result.dropped[0].reason == "mojibake"


# --- boilerplate --------------------------------------------------------------------


def test_seed_001_footer_is_dropped() -> None:
    assert dropped_texts(SEED_001, "copyright_footer") == [
        "Copyright ? 2001-2024 湖北荊楚網絡科技股份有限公司 All Rights Reserved",
        "營業執照 - 增值電信業務許可證 - 互聯網出版機構 - 網絡視聽節目許可證 - 廣播電視節目許可證",
        "版權為 荊楚網 www.cnhubei.com 所有 未經同意不得復制或鏡像",
    ]
    assert cleaned(SEED_001).text.endswith("免修相應的課程。")


def test_seed_000_wiki_chrome_toc_and_repeated_title() -> None:
    result = cleaned(SEED_000)
    assert result.counts() == {"table_of_contents": 1, "wiki_chrome": 2, "site_navigation": 3,
                               "duplicate_title": 2}
    lines = lines_of(result.text)
    assert lines[0] == "江西省“十四五”職業技能培訓規劃"
    assert lines.count("江西省“十四五”職業技能培訓規劃") == 1
    assert not any(line.startswith("全文,一、發展基礎") for line in lines)
    assert "• 印發時間:2022年9月20日" in lines  # infobox fact kept
    assert not any("中文名" in line for line in lines)  # infobox line that restates the title
    assert "內容解讀" in lines and "一、發展基礎" in lines  # real headings stay
    assert lines[-1].startswith("《規劃》明確")


def test_seed_002_reading_time_and_page_footer() -> None:
    result = cleaned(SEED_002)
    assert result.counts() == {"reading_time": 1, "page_footer": 2}
    assert not result.text.startswith("本篇文章")
    assert "地址:http" not in result.text and "标题:" not in result.text
    assert result.text.endswith("应当依法予以处罚。")


def test_seed_003_repeated_title_dropped_and_issuer_kept() -> None:
    result = cleaned(SEED_003)
    assert result.counts() == {"duplicate_title": 1}
    lines = lines_of(result.text)
    assert lines[:2] == ["关于印发《内蒙古自治区培育打造职业技能培训品牌实施方案》的通知",
                         "内人社办发〔2022〕213号"]
    assert lines[-1] == "来源:内蒙古自治区人力资源社会保障厅"
    assert "附件:职业技能培训品牌评价指标" in lines


@pytest.mark.parametrize(
    "line",
    [
        "相关词条", "热门词条", "联系我们", "聯絡我們", "返回顶部",
        "Copyright © 2024 某某市人力资源和社会保障局",
        "版权所有：某某市人民政府办公室 主办",
        "本文章共1200字，读完约3分钟",
        "京ICP备05070218号",
        "责任编辑：张三",
        "基本信息",
    ],
)
def test_boilerplate_variants_are_recognised(line: str) -> None:
    assert boilerplate_reason(line) is not None


@pytest.mark.parametrize(
    "line",
    [
        "申请人应当提交营业执照副本、许可证复印件等材料。",
        "依法保护知识产权，打击侵犯版权行为。",
        "职业培训机构联系我们的服务窗口办理登记。",
        "第五条 全文公布后施行。",
        "目录清单管理",
    ],
)
def test_policy_sentences_are_not_boilerplate(line: str) -> None:
    assert boilerplate_reason(line) is None


def test_source_line_kept_when_issuer_dropped_when_url() -> None:
    body = "第一条 为了促进就业，制定本办法。\n第二条 本办法自发布之日起施行。\n"
    assert clean_text(body + "来源：人力资源社会保障部").text.endswith("来源：人力资源社会保障部")
    result = clean_text(body + "来源：http://www.gov.cn/zhengce/content.htm")
    assert result.text.endswith("施行。")
    assert result.counts() == {"page_footer": 1}


def test_address_line_in_the_body_is_content() -> None:
    body = ["第一条 申报网址如下。", "地址: http://www.example.gov.cn/apply"] + [
        f"第{n}条 其他规定。" for n in "二三四五六七"]
    assert clean_text("\n".join(body)).text == "\n".join(body)


def test_consecutive_duplicate_lines_but_not_short_cells() -> None:
    line = "第一条 培训补贴按季度发放到个人账户。"
    result = clean_text(f"某某办法\n{line}\n{line}\n是\n是")
    assert result.text == f"某某办法\n{line}\n是\n是"
    assert result.counts() == {"duplicate_line": 1}


def test_whitespace_is_tidied_without_recording() -> None:
    result = clean_text("\r\n  标题\r\n\r\n\r\n\r\n　　正文第一段。  \r\n")
    assert result.text == "标题\n\n正文第一段。"
    assert result.dropped == []


# --- a PDF's page chrome ---------------------------------------------------------------

WIDTH = 28


def _printed(*paragraphs: str) -> list[str]:
    """Paragraphs broken every ``WIDTH`` characters, as on a printed page."""
    return [p[i:i + WIDTH] for p in paragraphs for i in range(0, len(p), WIDTH)]


FIRST = ("第一条　为了规范职业技能培训补贴的申领和发放，根据国家和本市有关规定，"
         "结合实际，制定本办法。")
SECOND = ("第二条　本办法适用于本市行政区域内的职业技能培训补贴，"
          "由人力资源社会保障部门负责组织实施。")
HEADER = "某某市人力资源和社会保障局规范性文件"
_lines = _printed(FIRST, SECOND)
PAGED = "\n\f\n".join([
    "\n".join([HEADER, "关于做好职业技能培训补贴工作的通知", *_lines[:-1], "- 1 -"]),
    "\n".join([HEADER, _lines[-1], "一、申请条件", "（一）在本市登记失业的人员。", "- 2 -"]),
    "\n".join([HEADER, "附件1", "某某市人力资源和社会保障局", "- 3 -"]),
])


def test_running_headers_and_page_numbers_are_dropped_and_logged() -> None:
    result = clean_text(PAGED)
    assert "规范性文件" not in result.text and "- 2 -" not in result.text
    assert result.counts()["page_header"] >= 3
    assert result.counts()["page_number"] + result.counts()["page_header"] >= 6
    assert "\f" not in result.text


def test_lines_broken_by_the_page_width_are_joined_but_clauses_start_anew() -> None:
    lines = clean_text(PAGED).text.split("\n")
    assert FIRST in lines
    assert SECOND in lines  # across a page break, with the header and page number between
    assert "一、申请条件" in lines and "（一）在本市登记失业的人员。" in lines
    assert "附件1" in lines and "某某市人力资源和社会保障局" in lines


def test_text_without_pages_is_not_rejoined() -> None:
    text = "\n".join(_printed(FIRST))
    assert clean_text(text).text == text
