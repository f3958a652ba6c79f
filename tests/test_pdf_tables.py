"""Tables in a text-layer PDF come out as 「列名：值；列名：值」 rows, like a Word table's.

The tables here are text drawn at column positions with no ruling lines, as government
PDFs print them: the generator's 补贴标准 and 目录 (tests/policy_files.py), and tables of
other shapes drawn below (four columns, a header cell wrapping to a second line, a value
wrapping, an empty cell, right-aligned figures, a header repeated on the next page, a
row drawn as one text object). Two-column layouts that are not tables (a contact block
beside the issuer, 「附件：1. … 2. …」, issuers side by side) and PDFs without tables
must come out exactly as before tables were read: compared with a snapshot taken before
the change and with the earlier loader, re-run here (``before``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from corpus.chunking import chunk_document
from corpus.cleaning import clean_text
from corpus.docx_text import docx_lines
from corpus.loaders import load_file, normalize_newlines
from corpus.page_layout import PAGE_BREAK, ROW_MARK, join_wrapped, unpage
from corpus.table_rows import row_line
from tests.policy_files import (
    CATALOG_HEADER,
    FONT,
    RUNNING_HEADER,
    SUBSIDY_CAPTION,
    SUBSIDY_HEADER,
    SUBSIDY_ROWS,
    _wrap,
    catalog_rows,
    items,
    make_spec,
    table_rows,
    write_docx,
    write_pdf,
)

SNAPSHOT = Path(__file__).parent / "data" / "pdf_tables" / "plain_notice.cleaned.txt"


@dataclass(frozen=True)
class Cell:
    x: float
    text: str
    right: bool = False


Page = list[list[Cell]]  # printed lines, each the cells drawn on it


def write_positioned_pdf(path: Path, pages: list[Page], size: float = 12,
                         pitch: float = 24, gaps: dict[tuple[int, int], float] | None = None
                         ) -> Path:
    """Each cell drawn by itself at its x, a running header and 「- N -」 on every page.
    ``gaps``: (page, line) → the distance from the line above when it is not ``pitch``
    (a wrapped cell's second line sits closer)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    width, height = A4
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for number, lines in enumerate(pages, start=1):
        pdf.setFont(FONT, 9)
        pdf.drawCentredString(width / 2, height - 40, RUNNING_HEADER)
        pdf.drawCentredString(width / 2, 30, f"- {number} -")
        pdf.setFont(FONT, size)
        y = height - 90 + pitch
        for i, line in enumerate(lines):
            y -= (gaps or {}).get((number - 1, i), pitch)
            for cell in line:
                (pdf.drawRightString if cell.right else pdf.drawString)(cell.x, y, cell.text)
        pdf.showPage()
    pdf.save()
    return path


def plain_pages() -> list[Page]:
    """A notice without a table, ending in layouts that look like columns but are not:
    the 附件 list, a contact block beside the issuer and date, issuers side by side.
    (tests/data/pdf_tables/plain_notice.cleaned.txt is its text before tables were read.)"""
    prose = [[Cell(80, line)] for kind, text in items(make_spec(2, style="notice"))
             if kind in ("l1", "l2", "l3", "para") for line in _wrap(text, 28)]
    closing = [
        [Cell(80, "附件："), Cell(128, "1. 职业技能培训补贴标准")],
        [Cell(128, "2. 职业技能培训补贴申请表")],
        [Cell(128, "3. 职业（工种）目录")],
        [Cell(80, "联系人：张三"), Cell(500, "上海市人力资源和社会保障局", right=True)],
        [Cell(80, "联系电话：021-12345678"), Cell(500, "2023年5月8日", right=True)],
        [Cell(80, "邮箱：px@example.cn"), Cell(500, "（此件主动公开）", right=True)],
        [Cell(100, "上海市人力资源和社会保障局"), Cell(360, "上海市财政局")],
        [Cell(100, "2023年5月8日"), Cell(360, "2023年5月8日")],
    ]
    lines = prose[:60] + closing
    return [lines[i:i + 28] for i in range(0, len(lines), 28)]


def before(path: Path) -> str:
    """The cleaned text as the loader made it before tables were read: pypdf's text of
    each page, pages apart, through cleaning."""
    from pypdf import PdfReader

    pages = [(page.extract_text() or "").strip("\n") for page in PdfReader(str(path)).pages]
    return clean_text(normalize_newlines(f"\n{PAGE_BREAK}\n".join(pages)).strip("\n")).text


def cleaned(path: Path) -> str:
    return clean_text(load_file(path).text).text


# --- the generator's tables --------------------------------------------------------------


@pytest.fixture(scope="module")
def notice_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pdf(make_spec(3, style="notice"),
                     tmp_path_factory.mktemp("pdf-tables") / "notice.pdf")


def test_each_subsidy_row_names_its_columns_under_the_caption(notice_pdf: Path) -> None:
    lines = cleaned(notice_pdf).split("\n")
    at = lines.index(SUBSIDY_CAPTION)
    expected = [row_line(SUBSIDY_HEADER, row) for row in SUBSIDY_ROWS]
    assert lines[at + 1:at + 1 + len(expected)] == expected
    assert "职业（工种）：电工；等级：四级/中级工；补贴标准（元）：2200" in lines


def test_a_pdf_row_is_chunked_as_the_word_row_is(notice_pdf: Path, tmp_path: Path) -> None:
    """Under 附件1 and its caption, in a chunk of the same kind as the .docx's."""
    import docx

    row = "职业（工种）：育婴员；等级：四级/中级工；补贴标准（元）：1800"
    word_text = "\n".join(docx_lines(docx.Document(str(write_docx(
        make_spec(3, style="notice"), tmp_path / "notice.docx")))))
    chunked = {}
    for name, text in (("pdf", cleaned(notice_pdf)), ("docx", word_text)):
        chunks = chunk_document(name, text, "上海市职业技能培训补贴管理办法")
        chunked[name] = [(c.kind, c.section) for c in chunks if row in c.text]
    assert chunked["pdf"] == chunked["docx"]
    assert chunked["pdf"][0][1] == "附件1：职业技能培训补贴标准"


def test_pdf_and_word_write_the_same_rows(notice_pdf: Path, tmp_path: Path) -> None:
    import docx

    word = docx_lines(docx.Document(str(write_docx(make_spec(3, style="notice"),
                                                   tmp_path / "notice.docx"))))
    pdf = cleaned(notice_pdf).split("\n")
    for row in SUBSIDY_ROWS:
        line = row_line(SUBSIDY_HEADER, row)
        assert line in word and line in pdf


def test_the_form_to_fill_in_is_not_a_table(notice_pdf: Path) -> None:
    """附件2's 申请表 is a grid of labels (no figure); its first row names no column."""
    text = cleaned(notice_pdf)
    assert "申请人姓名：" not in text and "身份证号码：" not in text
    assert "申请人姓名" in text and "申请金额（元）" in text


def test_lines_around_the_tables_are_as_before(notice_pdf: Path) -> None:
    """Everything but the rows is the earlier loader's text, line for line: the 补贴标准
    cells were its only lines that changed (the form is not a table)."""
    rows = {row_line(SUBSIDY_HEADER, row) for row in SUBSIDY_ROWS}
    cells = {cell for row in table_rows("subsidy", make_spec(3, style="notice")) for cell in row}
    new = [line for line in cleaned(notice_pdf).split("\n") if line not in rows]
    old = [line for line in before(notice_pdf).split("\n") if line not in cells]
    assert new == old


def test_a_table_over_several_pages_keeps_its_first_pages_header(tmp_path: Path) -> None:
    """The 目录 runs over pages with its header printed once; every row keeps it."""
    spec = make_spec(14)
    path = write_pdf(spec, tmp_path / "long.pdf")
    from pypdf import PdfReader

    assert len(PdfReader(str(path)).pages) >= 10
    lines = cleaned(path).split("\n")
    expected = [row_line(CATALOG_HEADER, row) for row in catalog_rows(spec.catalog_rows)]
    at = lines.index(expected[0])
    assert lines[at:at + len(expected)] == expected


# --- tables of another shape --------------------------------------------------------------

SHAPE_CAPTION = "2024年度紧缺职业（工种）培训补贴目录"
SHAPE_HEADER = ["序号", "职业（工种）", "培训等级", "补贴标准（元/人）"]
COLUMNS = (80, 120, 290, 450)  # 序号 centred on 86, the amount right-aligned on 450


def _shape_row(n: int, job: str, level: str, amount: str) -> list[Cell]:
    cells = [Cell(86, str(n)), Cell(COLUMNS[1], job)]
    if level:
        cells.append(Cell(COLUMNS[2], level))
    return [*cells, Cell(COLUMNS[3], amount, right=True)]


def _shape_header() -> list[list[Cell]]:
    return [[Cell(80, "序号"), Cell(COLUMNS[1], "职业（工种）"), Cell(COLUMNS[2], "培训等级"),
             Cell(402, "补贴标准")],
            [Cell(402, "（元/人）")]]


def shaped_pdf(path: Path) -> Path:
    """Four columns; the header's last cell wraps; one 职业 wraps; one row has no 等级;
    the header is printed again on page 2. Wrapped lines sit 14pt under, rows 24pt."""
    page1: Page = [
        [Cell(80, "　　各区人力资源和社会保障局：现将2024年度紧缺职业目录印发给你们。")],
        [Cell(150, SHAPE_CAPTION)],
        *_shape_header(),
        _shape_row(1, "养老护理员", "四级/中级工", "2000"),
        _shape_row(2, "制冷空调系统", "三级/高级工", "3200"),
        [Cell(COLUMNS[1], "安装维修工")],
        _shape_row(3, "电子商务师", "", "1600"),
    ]
    page2: Page = [
        *_shape_header(),
        _shape_row(4, "健康照护师", "五级/初级工", "12000"),
        _shape_row(5, "网约配送员", "五级/初级工", "800"),
        [Cell(80, "　　注：补贴标准为每人每个等级的最高额度，同一等级只能享受一次。")],
    ]
    gaps = {(0, 3): 14, (0, 6): 14, (1, 1): 14}
    return write_positioned_pdf(path, [page1, page2], gaps=gaps)


SHAPE_ROWS = [
    ["1", "养老护理员", "四级/中级工", "2000"],
    ["2", "制冷空调系统安装维修工", "三级/高级工", "3200"],
    ["3", "电子商务师", "", "1600"],
    ["4", "健康照护师", "五级/初级工", "12000"],
    ["5", "网约配送员", "五级/初级工", "800"],
]


def test_a_four_column_table_with_wrapped_cells_over_two_pages(tmp_path: Path) -> None:
    lines = cleaned(shaped_pdf(tmp_path / "shaped.pdf")).split("\n")
    at = lines.index(SHAPE_CAPTION)
    assert lines[at + 1:at + 6] == [row_line(SHAPE_HEADER, row) for row in SHAPE_ROWS]
    assert lines[at + 3] == "序号：3；职业（工种）：电子商务师；补贴标准（元/人）：1600"
    assert lines[at + 6].startswith("注：补贴标准为每人每个等级的最高额度")
    assert not any(line.startswith(("序号：序号", "补贴标准", "（元/人）")) for line in lines)


def test_a_one_page_table_leaves_no_mark(tmp_path: Path) -> None:
    page: Page = [[Cell(150, SHAPE_CAPTION)], _shape_header()[0],
                  _shape_row(1, "养老护理员", "四级/中级工", "2000"),
                  _shape_row(2, "电工", "四级/中级工", "1500")]
    path = write_positioned_pdf(tmp_path / "one.pdf", [page])
    text = cleaned(path)
    assert ROW_MARK not in text and "\f" not in text
    assert "序号：2；职业（工种）：电工；培训等级：四级/中级工；补贴标准：1500" in text.split("\n")


@pytest.mark.parametrize("drawn", ["one text object", "one string"])
def test_figures_are_never_joined_to_the_next_cell(tmp_path: Path, drawn: str) -> None:
    """A row drawn as one text object (pypdf reads it as 「1 电工 四级 1500」) or as one
    string with the cells spaced apart is still split at its columns."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    rows = [["序号", "职业", "等级", "补贴标准（元/人）"], ["1", "电工", "四级", "1500"],
            ["2", "焊工", "三级", "2600"], ["3", "钳工", "五级", "900"]]
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    pdf = canvas.Canvas(str(tmp_path / "t.pdf"))
    text = pdf.beginText(80, 760)
    text.setFont(FONT, 12)
    for row in rows:
        if drawn == "one string":
            text.textLine("　　".join(cell.ljust(4, "　") for cell in row))
            continue
        x = 0.0
        for target, cell in zip((0, 60, 160, 260), row, strict=True):
            text.moveCursor(target - x, 0)
            x = target
            text.textOut(cell)
        text.moveCursor(-x, 24)
    pdf.drawText(text)
    pdf.showPage()
    pdf.save()
    lines = cleaned(tmp_path / "t.pdf").split("\n")
    assert "序号：1；职业：电工；等级：四级；补贴标准（元/人）：1500" in lines
    assert "序号：3；职业：钳工；等级：五级；补贴标准（元/人）：900" in lines


# --- what is not a table ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_positioned_pdf(tmp_path_factory.mktemp("plain") / "plain.pdf", plain_pages())


def test_a_pdf_without_tables_comes_out_as_before(plain_pdf: Path) -> None:
    text = cleaned(plain_pdf)
    assert text == SNAPSHOT.read_text(encoding="utf-8")
    assert text == before(plain_pdf)


def test_two_column_layouts_are_not_made_rows(plain_pdf: Path) -> None:
    lines = cleaned(plain_pdf).split("\n")
    assert "联系人：张三" in lines and "上海市财政局" in lines
    assert "附件：" in lines and "2. 职业技能培训补贴申请表" in lines
    assert not any("；" in line and line.count("：") >= 2 for line in lines), lines


def test_a_marked_row_is_never_joined_nor_sets_the_width() -> None:
    prose = "为了规范职业技能培训补贴的申领和发放根据国家和本市有关规定结合实际"
    row = f"{ROW_MARK}职业（工种）：育婴员；等级：四级/中级工；补贴标准（元）：1800"
    lines = [prose, prose[:20], row, row, "注：同一职业（工种）同一等级的培训补贴"]
    assert join_wrapped(lines) == [prose + prose[:20], row[1:], row[1:], lines[-1]]
    assert unpage(f"表\n{row}")[0] == f"表\n{row[1:]}"
