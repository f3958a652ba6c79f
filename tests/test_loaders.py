"""Loading real files of every supported format, and refusing the ones we cannot read."""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

import pytest

from corpus.errors import IngestError
from corpus.loaders import LoadedFile, load_file, page_title, read_sidecar

SEEDS = Path(__file__).resolve().parent.parent / "corpus" / "texts" / "seeds"
CJK = re.compile("[\u4e00-\u9fff]")


def expect_error(path: Path, code: str) -> IngestError:
    with pytest.raises(IngestError) as info:
        load_file(path)
    err = info.value
    assert err.code == code
    assert CJK.search(err.message), "messages are shown to Chinese users as they are"
    return err


# --- plain text and markdown -----------------------------------------------------------

SAMPLE = "第一条 为了提高劳动者职业技能，制定本条例。\n第二条 職業訓練補貼按規定發放。\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_txt_encodings_decode_to_the_same_text(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "policy.txt"
    path.write_bytes(SAMPLE.encode(encoding))
    loaded = load_file(path)
    assert loaded.text == SAMPLE.strip("\n")
    assert loaded.fmt == "txt"
    assert not loaded.text.startswith("\ufeff")


def test_gbk_only_text_is_read_as_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes("关于印发《职业技能提升行动方案》的通知".encode("gbk"))
    assert load_file(path).text == "关于印发《职业技能提升行动方案》的通知"


def test_crlf_becomes_lf(tmp_path: Path) -> None:
    path = tmp_path / "dos.txt"
    path.write_bytes("第一行\r\n第二行\r第三行".encode())
    assert load_file(path).text == "第一行\n第二行\n第三行"


def test_sha256_is_of_the_raw_bytes(tmp_path: Path) -> None:
    raw = "---\ntitle: 测试\n---\n正文".encode("utf-8-sig")
    path = tmp_path / "a.md"
    path.write_bytes(raw)
    assert load_file(path).raw_sha256 == hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize("suffix", [".md", ".txt"])
def test_front_matter_is_parsed_and_removed(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"doc{suffix}"
    path.write_text(
        "---\ntitle: 失业保险条例\ndoc_number: 国务院令第258号\npublished: 1999-01-22\n---\n"
        "# 失业保险条例\n\n第一条 为了保障失业人员失业期间的基本生活。\n",
        encoding="utf-8",
    )
    loaded = load_file(path)
    assert loaded.front_matter["title"] == "失业保险条例"
    assert loaded.front_matter["doc_number"] == "国务院令第258号"
    assert str(loaded.front_matter["published"]) == "1999-01-22"
    assert loaded.text.startswith("# 失业保险条例")
    assert "doc_number" not in loaded.text
    assert loaded.fmt == ("md" if suffix == ".md" else "txt")


def test_front_matter_after_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.md"
    path.write_bytes("---\nregion: 湖北\n---\n正文内容".encode("utf-8-sig"))
    loaded = load_file(path)
    assert loaded.front_matter == {"region": "湖北"}
    assert loaded.text == "正文内容"


def test_broken_front_matter_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text("---\ntitle: [未闭合\n---\n正文", encoding="utf-8")
    expect_error(path, "bad_front_matter")


def test_rule_pair_that_is_not_a_mapping_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "rules.md"
    path.write_text("---\n这是正文的一段\n---\n后面的正文", encoding="utf-8")
    loaded = load_file(path)
    assert loaded.front_matter == {}
    assert "这是正文的一段" in loaded.text


def test_only_front_matter_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "meta_only.md"
    path.write_text("---\ntitle: 空文件\n---\n\n  \n", encoding="utf-8")
    expect_error(path, "empty_document")


def test_shipped_seeds_load_as_text() -> None:
    seeds = sorted(SEEDS.glob("0*.txt"))
    assert len(seeds) == 4
    for path in seeds:
        loaded = load_file(path)
        assert loaded.fmt == "txt"
        assert loaded.front_matter == {}
        assert loaded.raw_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert load_file(seeds[0]).text.startswith("江西省“十四五”職業技能培訓規劃")


# --- html -------------------------------------------------------------------------

HTML_PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>关于开展职业技能培训的通知_人社局</title>
<style>p { color: red }</style><script>var 广告 = "不应出现";</script></head>
<body>
<header>网站首页 | 政务公开</header>
<nav><a href="/">首页</a><a href="/x">导航栏目</a></nav>
<h1>关于开展职业技能
培训的通知</h1>
<p>各县（市、区）人力资源和社会保障局：</p>
<p>为做好<b>职业技能</b>培训工作，现通知如下。<br>一、培训对象为农民工。</p>
<ul><li>补贴标准每人1500元</li><li>培训时长不少于40课时</li></ul>
<table><tr><th>工种</th><th>课时</th></tr><tr><td>电工</td><td>80</td></tr></table>
<!-- 注释不应出现 -->
<footer>版权所有 某某人社局</footer>
</body></html>
"""


def test_html_gb2312_page(tmp_path: Path) -> None:
    path = tmp_path / "notice.html"
    path.write_bytes(HTML_PAGE.encode("gb18030"))
    loaded = load_file(path)
    assert loaded.fmt == "html"
    assert loaded.text.split("\n") == [
        "关于开展职业技能培训的通知",
        "各县（市、区）人力资源和社会保障局：",
        "为做好职业技能培训工作，现通知如下。",
        "一、培训对象为农民工。",
        "补贴标准每人1500元",
        "培训时长不少于40课时",
        "工种：电工；课时：80",
    ]
    # the page's <title> without the site's name, as a guess an administrator's sidecar beats
    assert loaded.front_matter == {}
    assert loaded.detected == {"title": "关于开展职业技能培训的通知"}


@pytest.mark.parametrize("raw, title", [
    ("关于做好2024年职业技能培训工作的通知_政策文件_某市人民政府",
     "关于做好2024年职业技能培训工作的通知"),
    ("某市人民政府网 | 某市职业技能提升行动实施方案", "某市职业技能提升行动实施方案"),
    ("职业培训补贴申领指南 - 某某人社局", "职业培训补贴申领指南"),
    ("就业创业", "就业创业"),
])
def test_a_page_title_drops_the_sites_name(raw: str, title: str) -> None:
    assert page_title(raw) == title


def test_a_layout_table_keeps_its_cells_apart_and_a_data_table_inside_is_read(
        tmp_path: Path) -> None:
    page = ("<html><body><table><tr><td><p>第一条 为了促进就业，制定本办法。</p>"
            "<table><tr><th>职业</th><th>补贴标准（元）</th></tr>"
            "<tr><td>电工</td><td>1500</td></tr><tr><td>焊工</td><td>1200</td></tr></table>"
            "</td><td>右栏</td></tr></table></body></html>")
    path = tmp_path / "layout.html"
    path.write_text(page, encoding="utf-8")
    assert load_file(path).text.split("\n") == [
        "第一条 为了促进就业，制定本办法。", "职业：电工；补贴标准（元）：1500",
        "职业：焊工；补贴标准（元）：1200", "右栏"]


def test_html_without_charset_is_detected(tmp_path: Path) -> None:
    body = "<html><body><p>職業訓練補貼申請須知</p><p>第二段</p></body></html>"
    utf8 = tmp_path / "utf8.htm"
    utf8.write_bytes(body.encode("utf-8"))
    gbk = tmp_path / "gbk.htm"
    gbk.write_bytes(body.replace("職業訓練補貼申請須知", "职业培训补贴申请须知").encode("gb18030"))
    assert load_file(utf8).text == "職業訓練補貼申請須知\n第二段"
    assert load_file(gbk).text == "职业培训补贴申请须知\n第二段"


def test_html_wrong_declared_charset_falls_back(tmp_path: Path) -> None:
    path = tmp_path / "liar.html"
    page = '<html><head><meta charset="utf-8"></head><body><p>就业创业</p></body></html>'
    path.write_bytes(page.encode("gb18030"))
    assert load_file(path).text == "就业创业"


def test_html_with_only_scripts_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "shell.html"
    path.write_text("<html><head><script>app()</script></head><body><nav>首页</nav>"
                    "</body></html>", encoding="utf-8")
    expect_error(path, "empty_document")


# --- docx -------------------------------------------------------------------------


def test_docx_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.core_properties.title = "短期技能培训补贴标准"
    document.add_heading("短期技能培训补贴标准", level=1)
    document.add_paragraph("一、补贴对象为登记失业人员。")
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([["工种", "课时", "补贴（元）"], ["电工", "80", "1200"],
                             ["育婴员", "", "900"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    merged = document.add_table(rows=1, cols=3)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "合并单元格"
    merged.cell(0, 2).text = "末列"
    document.add_paragraph("二、申请材料见附件。")
    path = tmp_path / "subsidy.docx"
    document.save(str(path))

    loaded = load_file(path)
    assert loaded.fmt == "docx"
    # A row is a sentence of 列名：值 pairs (empty cells left out); a table without a
    # header row keeps its cells.
    assert loaded.text.split("\n") == [
        "短期技能培训补贴标准",
        "一、补贴对象为登记失业人员。",
        "工种：电工；课时：80；补贴（元）：1200",
        "工种：育婴员；补贴（元）：900",
        "合并单元格 | 末列",
        "二、申请材料见附件。",
    ]
    assert loaded.detected == {"title": "短期技能培训补贴标准"}  # a guess: sidecars win
    assert loaded.front_matter == {}


def _numbered(document, text: str, num_id: int, ilvl: int = 0):
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    paragraph = document.add_paragraph(text)
    paragraph._p.get_or_add_pPr().append(parse_xml(
        f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'))
    return paragraph


def _abstract(document, abstract_id: int, levels: list[tuple[str, str]],
              start_override: int | None = None) -> None:
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    numbering = document.part.numbering_part.element
    lvls = "".join(f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
                   f'<w:lvlText w:val="{text}"/></w:lvl>' for i, (fmt, text) in enumerate(levels))
    first_num = numbering.find(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}num")
    abstract = parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
                         f'{lvls}</w:abstractNum>')
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    override = (f'<w:lvlOverride w:ilvl="0"><w:startOverride w:val="{start_override}"/>'
                f'</w:lvlOverride>' if start_override else "")
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{abstract_id}">'
                               f'<w:abstractNumId w:val="{abstract_id}"/>{override}</w:num>'))


def test_docx_auto_numbering_is_written_into_the_text(tmp_path: Path) -> None:
    """Word keeps 第X条 / 一、/（一）/ 1. in numbering.xml; the loader renders them as
    Word does, lower levels restarting under a new higher one."""
    docx = pytest.importorskip("docx")
    document = docx.Document()
    _abstract(document, 80, [("chineseCounting", "第%1条")])
    _abstract(document, 81, [("chineseCounting", "%1、"), ("chineseCounting", "（%2）"),
                             ("decimal", "%3.")])
    _abstract(document, 82, [("ideographTraditional", "%1、")])
    _abstract(document, 83, [("decimal", "%1．")], start_override=9)
    for i in range(12):
        _numbered(document, f"条文{i + 1}。", 80)
    _numbered(document, "总体要求", 81, 0)
    _numbered(document, "指导思想", 81, 1)
    _numbered(document, "第一项", 81, 2)
    _numbered(document, "第二项", 81, 2)
    _numbered(document, "工作任务", 81, 0)
    _numbered(document, "扩大规模", 81, 1)
    _numbered(document, "重新计数", 81, 2)
    _numbered(document, "甲项", 82)
    _numbered(document, "乙项", 82)
    _numbered(document, "从九开始", 83)
    document.sections[0].header.paragraphs[0].text = "页眉：某某厅规范性文件"
    document.sections[0].footer.paragraphs[0].text = "- 1 -"
    path = tmp_path / "numbered.docx"
    document.save(str(path))

    lines = load_file(path).text.split("\n")
    assert lines[0] == "第一条 条文1。"
    assert lines[9] == "第十条 条文10。" and lines[11] == "第十二条 条文12。"
    assert lines[12:19] == ["一、总体要求", "（一）指导思想", "1.第一项", "2.第二项",
                            "二、工作任务", "（一）扩大规模", "1.重新计数"]
    assert lines[19:] == ["甲、甲项", "乙、乙项", "9．从九开始"]
    assert not any("页眉" in line or line == "- 1 -" for line in lines)


@pytest.mark.parametrize("fmt,n,expected", [
    ("chineseCounting", 1, "一"), ("chineseCounting", 10, "十"), ("chineseCounting", 21, "二十一"),
    ("chineseCounting", 105, "一百零五"), ("chineseCountingThousand", 110, "一百一十"),
    ("ideographTraditional", 3, "丙"), ("decimalEnclosedCircle", 2, "②"),
    ("upperRoman", 4, "IV"), ("lowerLetter", 27, "aa"), ("ideographDigital", 10, "一〇"),
])
def test_word_number_formats(fmt: str, n: int, expected: str) -> None:
    from corpus.docx_text import format_number

    assert format_number(fmt, n) == expected


def test_docx_masthead_gives_doc_number_and_title(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.core_properties.title = "Microsoft Word - 附件1"
    for line in ("江西省人力资源和社会保障厅文件", "赣人社发〔2023〕7号",
                 "关于做好2023年职业技能培训补贴工作的通知", "各设区市人力资源和社会保障局："):
        document.add_paragraph(line)
    path = tmp_path / "notice.docx"
    document.save(str(path))
    assert load_file(path).detected == {
        "doc_number": "赣人社发〔2023〕7号", "title": "关于做好2023年职业技能培训补贴工作的通知"}


def test_corrupt_docx_is_undecodable(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive" * 10)
    expect_error(path, "undecodable")


# --- pdf --------------------------------------------------------------------------


def make_pdf(path: Path, pages: list[list[str]]) -> None:
    pytest.importorskip("reportlab")
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path))
    for lines in pages:
        if lines:
            pdf.setFont("STSong-Light", 12)
        else:
            pdf.rect(50, 50, 400, 600, fill=1)  # a "scanned image": ink, no text
        for i, line in enumerate(lines):
            pdf.drawString(72, 760 - 20 * i, line)
        pdf.showPage()
    pdf.save()


def test_pdf_text_layer_all_pages(tmp_path: Path) -> None:
    path = tmp_path / "rules.pdf"
    make_pdf(path, [["第一条 为了规范职业培训活动，制定本条例。", "第二条 本条例适用于本省。"],
                    ["第三条 職業訓練應當堅持就業導向。"]])
    loaded = load_file(path)
    assert loaded.fmt == "pdf"
    assert loaded.text.count("\f") == 1  # pages stay apart for cleaning (page chrome)
    lines = loaded.text.split("\n")
    assert lines[0].startswith("第一条 为了规范职业培训活动")
    assert "第二条 本条例适用于本省。" in lines
    assert lines[-1] == "第三条 職業訓練應當堅持就業導向。"


def test_pdf_without_text_is_a_scan(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    make_pdf(path, [[], []])
    err = expect_error(path, "pdf_no_text")
    assert "扫描" in err.message
    assert err.detail["pages"] == 2


def test_corrupt_pdf_is_undecodable(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 4)
    expect_error(path, "undecodable")


# --- refusals ---------------------------------------------------------------------


def test_binary_with_nul_bytes_is_undecodable(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    expect_error(path, "undecodable")


def test_random_bytes_without_nul_are_undecodable(tmp_path: Path) -> None:
    path = tmp_path / "noise.md"
    path.write_bytes(random.Random(7).randbytes(4096).replace(b"\x00", b"\x01"))
    expect_error(path, "undecodable")


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  ", "\u3000\n".encode()])
@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_empty_or_blank_file(tmp_path: Path, content: bytes, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(content)
    expect_error(path, "empty_document")


@pytest.mark.parametrize("suffix", [".pdf", ".docx", ".html"])
def test_zero_byte_files_are_empty(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"zero{suffix}"
    path.write_bytes(b"")
    expect_error(path, "empty_document")


@pytest.mark.parametrize("name", ["table.xlsx", "old.doc", "README", "scan.jpg"])
def test_unknown_extension_lists_supported_types(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("内容", encoding="utf-8")
    err = expect_error(path, "unsupported_type")
    for supported in (".txt", ".md", ".html", ".docx", ".pdf"):
        assert supported in err.message
    assert ".docx" in err.detail["supported"]


def test_missing_file(tmp_path: Path) -> None:
    expect_error(tmp_path / "nope.txt", "file_not_found")


def test_extension_is_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "UPPER.TXT"
    path.write_text("职业技能", encoding="utf-8")
    assert load_file(path) == LoadedFile(
        text="职业技能", front_matter={}, fmt="txt",
        raw_sha256=hashlib.sha256("职业技能".encode()).hexdigest())


# --- sidecar ----------------------------------------------------------------------


def test_sidecar_is_read_when_present(tmp_path: Path) -> None:
    path = tmp_path / "policy.txt"
    path.write_text("正文", encoding="utf-8")
    assert read_sidecar(path) == {}
    (tmp_path / "policy.txt.meta.yaml").write_text(
        "title: 江西省“十四五”职业技能培训规划\nregion: 江西\n", encoding="utf-8")
    assert read_sidecar(path) == {"title": "江西省“十四五”职业技能培训规划", "region": "江西"}


@pytest.mark.parametrize("content", ["title: [未闭合", "- 只是\n- 一个列表\n"])
def test_bad_sidecar_is_reported(tmp_path: Path, content: str) -> None:
    path = tmp_path / "policy.md"
    path.write_text("正文", encoding="utf-8")
    (tmp_path / "policy.md.meta.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(IngestError) as info:
        read_sidecar(path)
    assert info.value.code == "bad_sidecar"
