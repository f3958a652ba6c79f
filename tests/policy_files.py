"""Policy files as administrators get them: government-style .docx and text-layer .pdf.

Real uploads are not markdown. A province's 办法 arrives as a Word file whose 第X条 are
Word auto-numbering (the number lives in numbering.xml, not in the paragraph), with a red
masthead and 文号, a 补贴标准 table in 附件1, an application form in 附件2, the issuer and
date under the body, and 抄送/印发 lines at the very end; or as a PDF printed from it, with
a running header, 「- 3 -」 page numbers and every line broken at the page's width.

The wording is real: articles come from the 上海 regulations under
tests/data/external/ext_a/ (verbatim copies, see the PROVENANCE.txt there), which are not
part of the shipped corpus, so a hit on them can only come from the uploaded file. The
masthead, 文号, dates and the subsidy figures in the tables are made up for testing (the
occupation names and levels are the national 职业分类/职业技能等级 ones); nothing here is
a real standard.

Used by tests/test_policy_files.py (small files) and bench/policy_file_bench.py (~50 pages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "tests" / "data" / "external" / "ext_a").glob("*.md"))
MAIN_SOURCE = next(p for p in SOURCES if p.name.startswith("上海市职业教育条例"))

ISSUER_LINES = ["上海市人力资源和社会保障局", "上海市财政局"]
MASTHEAD = "上海市人力资源和社会保障局文件"
DOC_NUMBER = "沪人社规〔2023〕12号"
DATE = "2023年5月8日"
RUNNING_HEADER = "上海市人力资源和社会保障局规范性文件"
CC_LINE = "抄送：人力资源社会保障部职业能力建设司，市发展改革委、市教委、市审计局。"
PRINTED_LINE = "上海市人力资源和社会保障局办公室　　2023年5月9日印发"
PUBLIC_NOTE = "（此件主动公开）"

SUBSIDY_CAPTION = "职业技能培训补贴标准"
SUBSIDY_HEADER = ["职业（工种）", "等级", "补贴标准（元）"]
SUBSIDY_ROWS = [
    ["育婴员", "四级/中级工", "1800"],
    ["养老护理员", "四级/中级工", "2000"],
    ["养老护理员", "三级/高级工", "2600"],
    ["中式烹调师", "五级/初级工", "1200"],
    ["电工", "四级/中级工", "2200"],
    ["焊工", "三级/高级工", "3000"],
    ["茶艺师", "四级/中级工", "1500"],
    ["网约配送员", "五级/初级工", "800"],
]
CATALOG_CAPTION = "职业（工种）目录"
CATALOG_HEADER = ["序号", "职业（工种）", "职业编码", "补贴等级"]
CATALOG_OCCUPATIONS = [
    "保育师", "家政服务员", "健康照护师", "美容师", "美发师", "西式面点师", "中式面点师",
    "汽车维修工", "电梯安装维修工", "制冷空调系统安装维修工", "物流服务师", "快递员",
    "仓储管理员", "互联网营销师", "电子商务师", "计算机程序设计员", "数控车工", "钳工",
    "砌筑工", "钢筋工", "架子工", "防水工", "装饰装修工", "园林绿化工", "农机修理工",
]
FORM_CAPTION = "职业技能培训补贴申请表"
FORM_ROWS = [["申请人姓名", "", "身份证号码", ""],
             ["培训职业（工种）", "", "培训等级", ""],
             ["证书编号", "", "申请金额（元）", ""]]
FORM_NOTES = ["填表说明：",
              "1. 本表由申请人本人填写，一式两份。",
              "2. 申请人应当在取得职业技能等级证书之日起12个月内提出申请，逾期不予受理。"]


@dataclass
class Chapter:
    title: str  # "总则", without 第X章
    articles: list[list[str]]  # each article: its paragraphs, the first without 第X条


@dataclass
class PolicySpec:
    """One document's content, laid out by the writers below."""

    title: str
    chapters: list[Chapter]
    style: str = "articles"  # "articles": 第X章/第X条; "notice": 一、/（一）/1.
    catalog_rows: int = 0
    extra: list[str] = field(default_factory=list)


def read_law(path: Path) -> list[Chapter]:
    """Chapters and articles of one markdown law (a law without chapters is one chapter)."""
    body = path.read_text(encoding="utf-8").split("<!-- INFO END -->", 1)[-1]
    title = path.stem.split("(")[0]
    chapters: list[Chapter] = []
    for line in (raw.strip() for raw in body.splitlines()):
        if not line:
            continue
        heading = re.match(r"^#+\s*第.+?章\s+(.+)$", line)
        if heading:
            chapters.append(Chapter(heading.group(1).strip(), []))
            continue
        if line.startswith("#"):
            continue
        if not chapters:
            chapters.append(Chapter(title.removeprefix("上海市"), []))
        article = re.match(r"^第[一二三四五六七八九十百零]+条\s*(.*)$", line)
        if article:
            chapters[-1].articles.append([article.group(1)])
        elif chapters[-1].articles:
            chapters[-1].articles[-1].append(line)
    return [c for c in chapters if c.articles]


def make_spec(pages: int = 3, style: str = "articles") -> PolicySpec:
    """Enough real articles for about ``pages`` printed pages (616 characters a page, the
    GB/T 9704 公文 page of 22 lines × 28 characters), the main law first."""
    wanted = pages * 616
    chapters: list[Chapter] = []
    size = 0
    sources = [MAIN_SOURCE] + [p for p in SOURCES if p != MAIN_SOURCE]
    for source in sources * 4:
        for chapter in read_law(source):
            kept = Chapter(chapter.title, [])
            for article in chapter.articles:
                if size >= wanted:
                    break
                kept.articles.append(article)
                size += sum(len(p) for p in article)
            if kept.articles:
                chapters.append(kept)
        if size >= wanted:
            break
    catalog = max(0, (pages - 10) * 3) if pages > 10 else 0
    return PolicySpec("上海市职业技能培训补贴管理办法", chapters, style, catalog_rows=catalog)


def catalog_rows(n: int) -> list[list[str]]:
    levels = ["五级/初级工", "四级/中级工", "三级/高级工"]
    return [[str(i + 1), f"{CATALOG_OCCUPATIONS[i % len(CATALOG_OCCUPATIONS)]}"
             + ("" if i < len(CATALOG_OCCUPATIONS) else f"（方向{i // len(CATALOG_OCCUPATIONS)}）"),
             f"4-{10 + i % 90:02d}-{1 + i % 9:02d}-{i % 99 + 1:02d}", levels[i % 3]]
            for i in range(n)]


# --- the document's parts as (kind, text) items, shared by both writers ----------------

CN = "一二三四五六七八九十"


def cn_number(n: int) -> str:
    """1–999 as written in 第X条: 十, 十一, 二十, 一百零五, 一百一十."""
    if n <= 10:
        return CN[n - 1]
    if n < 20:
        return "十" + CN[n - 11]
    if n < 100:
        tens, ones = divmod(n, 10)
        return CN[tens - 1] + "十" + (CN[ones - 1] if ones else "")
    hundreds, rest = divmod(n, 100)
    if not rest:
        return CN[hundreds - 1] + "百"
    tail = cn_number(rest) if rest >= 10 else "零" + CN[rest - 1]
    return CN[hundreds - 1] + "百" + ("一" + tail if 10 <= rest < 20 else tail)


def items(spec: PolicySpec) -> list[tuple[str, str]]:
    """The document in reading order. Kinds: masthead, number, title, chapter, article,
    para, l1/l2/l3 (notice levels), caption, table:<name>, annex, sign, date, note, cc."""
    out: list[tuple[str, str]] = [("masthead", MASTHEAD), ("number", DOC_NUMBER),
                                  ("title", spec.title)]
    if spec.style == "articles":
        article_no = 0
        for c, chapter in enumerate(spec.chapters, start=1):
            out.append(("chapter", f"第{cn_number(c)}章　{chapter.title}"))
            for article in chapter.articles:
                article_no += 1
                out.append(("article", f"第{cn_number(article_no)}条　{article[0]}"))
                out.extend(("para", p) for p in article[1:])
    else:
        out.append(("para", "各区人力资源和社会保障局、财政局，各有关单位："))
        out.append(("para", "为做好职业技能培训补贴工作，现就有关事项通知如下："))
        for c, chapter in enumerate(spec.chapters, start=1):
            out.append(("l1", f"{cn_number(c)}、{chapter.title}"))
            for a, article in enumerate(chapter.articles, start=1):
                out.append(("l2", f"（{cn_number(a)}）{article[0]}"))
                sub = 0
                for p in article[1:]:
                    item = re.match(r"^（[一二三四五六七八九十]+）(.*)$", p)
                    if item:
                        sub += 1
                        out.append(("l3", f"{sub}. {item.group(1)}"))
                    else:
                        out.append(("para", p))
    out.append(("para", "附件：1. 职业技能培训补贴标准"))
    out.append(("para", "2. 职业技能培训补贴申请表"))
    out += [("sign", line) for line in ISSUER_LINES]
    out += [("date", DATE), ("note", PUBLIC_NOTE)]
    out += [("annex", "附件1"), ("caption", SUBSIDY_CAPTION), ("table:subsidy", "")]
    out.append(("para", "注：同一职业（工种）同一等级的培训补贴，每人只能享受一次。"))
    if spec.catalog_rows:
        out += [("caption", CATALOG_CAPTION), ("table:catalog", "")]
    out += [("annex", "附件2"), ("caption", FORM_CAPTION), ("table:form", "")]
    out += [("para", line) for line in FORM_NOTES]
    out += [("cc", CC_LINE), ("cc", PRINTED_LINE)]
    return out


def table_rows(name: str, spec: PolicySpec) -> list[list[str]]:
    if name == "subsidy":
        return [SUBSIDY_HEADER, *SUBSIDY_ROWS]
    if name == "catalog":
        return [CATALOG_HEADER, *catalog_rows(spec.catalog_rows)]
    return [list(row) for row in FORM_ROWS]


# --- .docx ---------------------------------------------------------------------------

# Word's own numbering definitions, as Word writes them for a Chinese 公文 template.
ABSTRACT_ARTICLES, ABSTRACT_CHAPTERS, ABSTRACT_NOTICE = 90, 91, 92
NUMBERING_LEVELS = {
    ABSTRACT_ARTICLES: [("chineseCounting", "第%1条")],
    ABSTRACT_CHAPTERS: [("chineseCounting", "第%1章")],
    ABSTRACT_NOTICE: [("chineseCounting", "%1、"), ("chineseCounting", "（%2）"),
                      ("decimal", "%3.")],
}
AUTO_KINDS = {"article": (ABSTRACT_ARTICLES, 0), "chapter": (ABSTRACT_CHAPTERS, 0),
              "l1": (ABSTRACT_NOTICE, 0), "l2": (ABSTRACT_NOTICE, 1), "l3": (ABSTRACT_NOTICE, 2)}
NUMBER_IN_TEXT = re.compile(r"^(第[一二三四五六七八九十百]+[章条]　?|[一二三四五六七八九十]+、|"
                            r"（[一二三四五六七八九十]+）|\d+\.\s?)")


def _add_numbering(document: object) -> None:
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    numbering = document.part.numbering_part.element  # type: ignore[attr-defined]
    first_num = numbering.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}num")
    for abstract_id, levels in NUMBERING_LEVELS.items():
        lvls = "".join(
            f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
            f'<w:suff w:val="{"space" if "条" in text or "章" in text else "nothing"}"/>'
            f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/></w:lvl>'
            for i, (fmt, text) in enumerate(levels))
        abstract = parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
                             f'<w:multiLevelType w:val="multilevel"/>{lvls}</w:abstractNum>')
        if first_num is not None:
            first_num.addprevious(abstract)
        else:
            numbering.append(abstract)
        numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{abstract_id}">'
                                   f'<w:abstractNumId w:val="{abstract_id}"/></w:num>'))


def _number(paragraph: object, num_id: int, ilvl: int) -> None:
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    p_pr = paragraph._p.get_or_add_pPr()  # type: ignore[attr-defined]
    p_pr.append(parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/>'
                          f'<w:numId w:val="{num_id}"/></w:numPr>'))


def write_docx(spec: PolicySpec, path: Path, *, auto_number: bool = True) -> Path:
    """A 公文-style Word file; with ``auto_number`` the 第X条/一、/（一）/1. come from Word."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    document = docx.Document()
    document.core_properties.title = "Microsoft Word - 附件1"  # what real files carry
    if auto_number:
        _add_numbering(document)
    section = document.sections[0]
    section.header.paragraphs[0].text = RUNNING_HEADER
    section.footer.paragraphs[0].text = "- 1 -"
    for kind, text in items(spec):
        if kind.startswith("table:"):
            rows = table_rows(kind.split(":", 1)[1], spec)
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
            continue
        if auto_number and kind in AUTO_KINDS:
            paragraph = document.add_paragraph(NUMBER_IN_TEXT.sub("", text, count=1))
            _number(paragraph, *AUTO_KINDS[kind])
        else:
            paragraph = document.add_paragraph(text)
        if kind in ("masthead", "title", "number", "caption", "chapter"):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if kind in ("sign", "date"):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if kind == "masthead":
            run = paragraph.runs[0]
            run.font.size, run.font.bold = Pt(26), True
            run.font.color.rgb = RGBColor(0xE0, 0x00, 0x00)
    document.save(str(path))
    return path


# --- .pdf ----------------------------------------------------------------------------

LINE_CHARS = 28
PAGE_LINES = 22
FONT = "STSong-Light"
CELL_SEP = "\t"
TABLE_SIZE = 11  # a table is set smaller than the body, as printed notices do
COLUMN_GAP = 2.0  # em between the widest cell of a column and the next column
EMPTY_COLUMN = 4.0  # em left for a form's empty column (the space to write in)


def _wrap(text: str, width: int, indent: str = "　　") -> list[str]:
    """Break a paragraph every ``width`` characters, as a printed page does (never inside
    a run of ASCII letters or digits, which a renderer keeps together)."""
    text = indent + text
    lines: list[str] = []
    while len(text) > width:
        cut = width
        while 0 < cut < len(text) and text[cut - 1].isascii() and text[cut].isascii() \
                and text[cut - 1].isalnum() and text[cut].isalnum():
            cut -= 1
        lines.append(text[:cut or width])
        text = text[cut or width:]
    lines.append(text)
    return lines


def pdf_lines(spec: PolicySpec) -> list[tuple[str, str]]:
    """(alignment, text) lines as printed: c = centred, r = right, l = left, t = a table
    row, its cells separated by ``CELL_SEP`` (``write_pdf`` draws each in its column)."""
    out: list[tuple[str, str]] = []
    for kind, text in items(spec):
        if kind.startswith("table:"):
            for row in table_rows(kind.split(":", 1)[1], spec):
                out.append(("t", CELL_SEP.join(row)))
        elif kind in ("masthead", "number", "title", "caption", "chapter"):
            out.append(("c", text))
        elif kind in ("sign", "date"):
            out.append(("r", text))
        elif kind in ("annex", "cc"):
            out.append(("l", text))
        else:
            out += [("l", line) for line in _wrap(text, LINE_CHARS)]
    return out


def _table_columns(lines: list[tuple[str, str]], left: float) -> dict[int, list[float]]:
    """Each table row's cell x positions (by line index): the columns of its table, a
    run of consecutive ``t`` lines, are as wide as their widest cell plus a gap."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    out: dict[int, list[float]] = {}
    start = 0
    while start < len(lines):
        end = start
        while end < len(lines) and lines[end][0] == "t":
            end += 1
        if end == start:
            start += 1
            continue
        rows = [text.split(CELL_SEP) for _, text in lines[start:end]]
        widths = [max(stringWidth(cell, FONT, TABLE_SIZE) for cell in column)
                  or EMPTY_COLUMN * TABLE_SIZE for column in zip(*rows, strict=True)]
        xs = [left]
        for w in widths[:-1]:
            xs.append(xs[-1] + w + COLUMN_GAP * TABLE_SIZE)
        out.update(dict.fromkeys(range(start, end), xs))
        start = end
    return out


def write_pdf(spec: PolicySpec, path: Path) -> Path:
    """A text-layer PDF with a running header and 「- N -」 on every page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    width, height = A4
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setTitle(spec.title)
    lines = pdf_lines(spec)
    columns = _table_columns(lines, 80)
    numbered = list(enumerate(lines))
    pages = [numbered[i:i + PAGE_LINES] for i in range(0, len(numbered), PAGE_LINES)]
    size = 15
    for number, page in enumerate(pages, start=1):
        pdf.setFont(FONT, 9)
        pdf.drawCentredString(width / 2, height - 40, RUNNING_HEADER)
        pdf.drawCentredString(width / 2, 30, f"- {number} -")
        pdf.setFont(FONT, size)
        y = height - 90
        for index, (align, text) in page:
            if align == "c":
                pdf.drawCentredString(width / 2, y, text)
            elif align == "r":
                pdf.drawRightString(width - 80, y, text)
            elif align == "t":  # each cell at its column's x, as a printed table is
                pdf.setFont(FONT, TABLE_SIZE)
                for x, cell in zip(columns[index], text.split(CELL_SEP), strict=True):
                    if cell:
                        pdf.drawString(x, y, cell)
                pdf.setFont(FONT, size)
            else:
                pdf.drawString(80, y, text)
            y -= 31
        pdf.showPage()
    pdf.save()
    return path
