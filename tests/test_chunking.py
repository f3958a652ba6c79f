import re
from pathlib import Path

import pytest

from corpus.chunking import chunk_document, heading_label
from corpus.library import prepare

SHIPPED = Path(__file__).resolve().parent.parent / "corpus" / "texts"
JIANGXI = SHIPPED / "seeds" / "000_4bfc8dd77b64c4ab.txt"
VETERANS_LAW = SHIPPED / "policies" / "laws" / "退役军人保障法(2020-11-11).md"
ALL_FILES = sorted(p for p in SHIPPED.rglob("*") if p.suffix in {".txt", ".md"}
                   and p.name != "PROVENANCE.txt")


@pytest.fixture(scope="module")
def jiangxi():
    return prepare(JIANGXI)


def test_section_path_nests_chapter_item_and_box(jiangxi) -> None:
    sections = {c.section for c in jiangxi.chunks}
    pattern = re.compile(r"四、大力提升職業技能培訓供給能力 › \(十一\)[^›]+ › 專欄5[^›]+(?: › .+)?")
    assert any(pattern.fullmatch(s) for s in sections), sections


def test_indicator_table_stays_whole(jiangxi) -> None:
    tables = [c for c in jiangxi.chunks if c.kind == "table"]
    assert len(tables) == 1
    table = tables[0].text
    assert "專欄1" in table
    for cell in ("開展政府補貼性職業技能培訓(人次)", "≥150萬", "新建公共實訓基地(個)", "≥6"):
        assert cell in table


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_offsets_point_into_the_cleaned_text(path: Path) -> None:
    doc = prepare(path)
    assert doc.chunks
    for chunk in doc.chunks:
        assert doc.text[chunk.start:chunk.end] == chunk.text
        assert chunk.kind == "table" or len(chunk.text) <= 420


def test_ids_are_stable_and_unique(jiangxi) -> None:
    again = chunk_document(jiangxi.meta.id, jiangxi.text, jiangxi.meta.title)
    assert [c.id for c in again] == [c.id for c in jiangxi.chunks]
    assert len({c.id for c in again}) == len(again)


def test_an_edit_keeps_the_ids_of_untouched_chunks(jiangxi) -> None:
    edited = jiangxi.text.replace("新建公共實訓基地", "新建公共實訓基地等", 1)
    before = {c.id for c in jiangxi.chunks}
    after = {c.id for c in chunk_document(jiangxi.meta.id, edited, jiangxi.meta.title)}
    assert len(before - after) == 1


def test_law_articles_are_cited_by_article_number() -> None:
    doc = prepare(VETERANS_LAW)
    for chunk in doc.chunks:
        m = re.match(r"第[一二三四五六七八九十百零]+条", chunk.text)
        if m:
            assert chunk.section.endswith(m.group(0)), chunk.section
            assert chunk.section.startswith("第")
    # enumerated items inside an article are part of the article, not headings
    assert not any(c.section.endswith("的退役军人") for c in doc.chunks)


@pytest.mark.parametrize("line,kind", [
    ("一、發展基礎", "cn-num"), ("（十一）加大公共職業技能培訓網路建設", "cn-paren"),
    ("(一)指導思想", "cn-paren"), ("專欄5 職業技能提升培訓場地、設備共建共享", "box"),
    ("专栏3 省级乡村振兴", "box"), ("1.產訓結合試點城市。遴選……", "num"),
    ("第三章 退役安置", "chapter"), ("第十二条 国家……", "article"),
    ("## 一、总体要求", "cn-num"),
])
def test_heading_kinds(line: str, kind: str) -> None:
    found = heading_label(line)
    assert found is not None and found[0] == kind


@pytest.mark.parametrize("line", [
    "2019年以來,從失業保險基金提取18億元專賬資金", "3.5%的增长", "≥150萬",
])
def test_body_lines_are_not_headings(line: str) -> None:
    assert heading_label(line) is None


# --- 公文 structure: attachments, Word tables, what frames the text ----------------------

GONGWEN = """上海市人力资源和社会保障局文件
沪人社规〔2023〕12号
上海市职业技能培训补贴管理办法
各区人力资源和社会保障局：
一、补贴对象
（一）登记失业人员。在本市登记失业并参加职业技能培训的人员，按规定享受培训补贴。
1. 取得证书的，按附件1的标准补贴。
附件：1. 职业技能培训补贴标准
2. 职业技能培训补贴申请表
上海市人力资源和社会保障局　上海市财政局
2023年5月8日
（此件主动公开）
附件1
职业技能培训补贴标准
职业（工种）：育婴员；等级：四级/中级工；补贴标准（元）：1800
职业（工种）：电工；等级：四级/中级工；补贴标准（元）：2200
职业（工种）：焊工；等级：三级/高级工；补贴标准（元）：3000
附件2：职业技能培训补贴申请表
申请人应当在取得证书之日起12个月内提出申请。
抄送：人力资源社会保障部职业能力建设司。
上海市人力资源和社会保障局办公室　　2023年5月9日印发"""


def test_notice_headings_chain_and_attachments_restart_the_path() -> None:
    chunks = chunk_document("d", GONGWEN, "上海市职业技能培训补贴管理办法")
    item = next(c for c in chunks if "在本市登记失业" in c.text)
    assert item.section == "一、补贴对象 › （一）登记失业人员"
    table = next(c for c in chunks if "育婴员" in c.text)
    assert table.kind == "table" and table.section == "附件1：职业技能培训补贴标准"
    assert "焊工" in table.text and table.text.startswith("附件1")
    form = next(c for c in chunks if "12个月内" in c.text)
    assert form.section == "附件2：职业技能培训补贴申请表"


def test_masthead_signature_and_distribution_lines_are_no_chunks() -> None:
    chunks = chunk_document("d", GONGWEN, "上海市职业技能培训补贴管理办法")
    body = "\n".join(c.text for c in chunks)
    assert "沪人社规〔2023〕12号" in body  # the 文号 is asked about; it stays
    for line in ("上海市人力资源和社会保障局文件", "2023年5月8日",
                 "此件主动公开", "抄送", "印发", "附件：1.", "上海市财政局"):
        assert line not in body, line
    closing = [c for c in chunk_document("d", GONGWEN, "", keep_closing=True)
               if c.kind == "closing"]
    assert [c.text for c in closing][-2:] == ["抄送：人力资源社会保障部职业能力建设司。",
                                             "上海市人力资源和社会保障局办公室　　2023年5月9日印发"]
    for c in closing:
        assert GONGWEN[c.start:c.end] == c.text


def test_long_word_tables_are_cut_between_rows_under_their_caption() -> None:
    rows = "\n".join(f"序号：{i}；职业（工种）：工种{i}；补贴标准（元）：{1000 + i}"
                     for i in range(1, 41))
    chunks = chunk_document("d", f"二、补贴标准\n表1 职业技能培训补贴标准\n{rows}", "")
    tables = [c for c in chunks if c.kind == "table"]
    assert len(tables) > 1 and all(len(c.text) <= 360 for c in tables)
    assert all(c.section == "二、补贴标准 › 表1 职业技能培训补贴标准" for c in tables)
    assert all(line.startswith(("序号：", "表1", "二、")) for c in tables
               for line in c.text.split("\n"))


@pytest.mark.parametrize("line,annex", [
    ("附件1", True), ("附件 2", True), ("附件3：职业技能培训补贴申请表", True), ("附件", True),
    ("附件：1. 职业技能培训补贴标准", False), ("附件:职业技能培训品牌评价指标", False),
])
def test_attachment_headings(line: str, annex: bool) -> None:
    found = heading_label(line)
    assert (found is not None and found[0] == "annex") == annex
