"""Tables in a PDF's text layer, read back as rows 「列名：值；列名：值」.

A 补贴标准 table in a printed notice is text drawn at column positions, usually with no
ruling lines; pypdf's text puts each cell on a line of its own or the row's cells side
by side ("1 电工 四级 1500"). Either way a row retrieved alone as a chunk no longer says
which figure is the amount, so the PDF loader writes a row the way the Word loader does
(``row_line``): each value after its column's name.

The cells' places come from pypdf itself: ``extract_text`` hands every run of text it
emits, with its text matrix, to a visitor, so the page's text is exactly what it was
before and each run has an x and y. Runs on one baseline form a printed line; a gap of
more than ``CELL_GAP`` em between runs separates cells. A table is a header line (two or
more short labels: no figures, no 「：」, no list numbers) followed by lines whose every
cell sits under exactly one header cell. A line closer to the one above than the rows
are to each other is a cell's text wrapping (``WRAP_SHARE``), and joins the cells
above it. A new table needs two body rows and a figure somewhere in them: a grid of
labels without one is a form to fill in (附件2's 申请表), whose first row names nothing.
A table that reaches the bottom of a page continues on the next one under the same
header, whether the header is printed again or not.

What a table replaces in the page's text is exactly its own runs; every other line is
left as pypdf wrote it. Each row line starts with ``ROW_MARK`` so that
``corpus.page_layout`` neither joins it with its neighbours nor counts it in the page's
line width, and removes the mark.
"""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from corpus.page_layout import CLAUSE_START, EDGE_LINES, PAGE_NUMBER, ROW_MARK
from corpus.table_rows import row_line

CELL_GAP = 1.0  # em of empty space between two runs that makes them separate cells
SAME_LINE = 0.3  # em: runs whose baselines differ by less are one printed line
WRAP_SHARE = 0.8  # a line nearer than this share of the row pitch is a wrapped cell
MAX_HEADER_CELL = 30
SPACE_RUN = re.compile(r"[ \u3000\t]{2,}")
HEADER_FORBIDDEN = set("：:。；;！？!?")


@dataclass(frozen=True)
class Run:
    """A piece of text pypdf emitted, where it starts on the page, and its font size."""

    text: str
    x: float
    y: float
    size: float


@dataclass
class Cell:
    x0: float
    x1: float
    text: str
    runs: set[int]


@dataclass
class Line:
    """Cells printed on one baseline, left to right."""

    y: float
    size: float
    cells: list[Cell]

    @property
    def runs(self) -> set[int]:
        return set().union(*(c.runs for c in self.cells))

    @property
    def texts(self) -> list[str]:
        return [c.text for c in self.cells]


@dataclass
class Table:
    """A header, its columns' x ranges, and body rows (one value or ``""`` a column)."""

    header: list[str]
    first_line: list[str]  # the header as printed on its first line, to spot a repeat
    columns: list[tuple[float, float]]
    rows: list[list[str]] = field(default_factory=list)
    runs: set[int] = field(default_factory=set)
    last_y: float = 0.0


def text_width(text: str, size: float) -> float:
    """Printed width estimated from the characters: wide (CJK) glyphs 1 em, others ½."""
    return size * sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


def _matrix_place(cm: Sequence[float], tm: Sequence[float], size: float) -> tuple[float, float,
                                                                                   float]:
    """Page x, y of a run's start, and its font size in page units (tm, then cm)."""
    x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
    y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
    c, d = tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]
    return x, y, abs(size) * (math.hypot(c, d) or 1.0)


def read_runs(page: Any) -> tuple[str, list[Run]]:
    """pypdf's text of ``page`` (unchanged) and the runs it was written from."""
    runs: list[Run] = []

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], _font: Any,
              size: float) -> None:
        if text:
            runs.append(Run(text, *_matrix_place(cm, tm, size or 1.0)))

    text = page.extract_text(visitor_text=visit) or ""
    return text, runs


def _cells(index: int, run: Run) -> list[Cell]:
    """A run's cells: text separated by two or more spaces was drawn apart."""
    text = run.text.rstrip()
    cells: list[Cell] = []
    pos = 0
    for part in SPACE_RUN.split(text):
        start = text.index(part, pos)
        pos = start + len(part)
        stripped = part.strip()
        if stripped:
            x0 = run.x + text_width(text[:start + len(part) - len(part.lstrip())], run.size)
            cells.append(Cell(x0, x0 + text_width(stripped, run.size), stripped, {index}))
    return cells


def printed_lines(runs: list[Run]) -> list[Line]:
    """The runs grouped into printed lines, top to bottom; runs that span several lines
    (a newline inside) have no single place and are left out."""
    placed = [(i, r) for i, r in enumerate(runs) if r.text.strip() and "\n" not in r.text.strip()]
    placed.sort(key=lambda item: -item[1].y)
    lines: list[Line] = []
    for index, run in placed:
        cells = _cells(index, run)
        if lines and abs(lines[-1].y - run.y) < SAME_LINE * max(run.size, lines[-1].size):
            lines[-1].cells.extend(cells)
        else:
            lines.append(Line(run.y, run.size, cells))
    for line in lines:
        line.cells = _merge_close(sorted(line.cells, key=lambda c: c.x0), line.size)
    return [line for line in lines if line.cells]


def _merge_close(cells: list[Cell], size: float) -> list[Cell]:
    merged: list[Cell] = []
    for cell in cells:
        if merged and cell.x0 - merged[-1].x1 < CELL_GAP * size:
            last = merged[-1]
            merged[-1] = Cell(last.x0, max(last.x1, cell.x1), _glue(last.text, cell.text),
                              last.runs | cell.runs)
        else:
            merged.append(cell)
    return merged


def _glue(left: str, right: str) -> str:
    """Join a cell's pieces: nothing between CJK, one space between Latin words or digits."""
    a, b = left[-1:], right[:1]
    return left + (" " if a.isascii() and b.isascii() and a.isalnum() and b.isalnum() else "") \
        + right


def _is_header(line: Line) -> bool:
    """Two or more short labels: no figures, no 「：」 or sentence ends, none opening a
    clause (1. / （一） / 附件…), as a list or a 「附件：1. …」 block would."""
    if len(line.cells) < 2:
        return False
    for text in line.texts:
        if len(text) > MAX_HEADER_CELL or HEADER_FORBIDDEN & set(text) or CLAUSE_START.match(text):
            return False
        if text.replace(".", "").replace("-", "").isdigit():
            return False
    return True


def _place(line: Line, columns: list[tuple[float, float]]) -> list[str] | None:
    """The line's cells by column, or ``None`` when a cell overlaps no column or two, or
    two cells share one. A placed cell widens its column (a header is often narrower
    than the values under it)."""
    row = [""] * len(columns)
    wider = list(columns)
    for cell in line.cells:
        under = [j for j, (lo, hi) in enumerate(columns) if cell.x0 < hi and cell.x1 > lo]
        if len(under) != 1 or row[under[0]]:
            return None
        j = under[0]
        row[j] = cell.text
        wider[j] = (min(wider[j][0], cell.x0), max(wider[j][1], cell.x1))
    columns[:] = wider
    return row


def _fitting(lines: list[Line], start: int, columns: list[tuple[float, float]]
             ) -> list[tuple[Line, list[str]]]:
    """The lines from ``start`` on whose cells all sit under the columns (which widen)."""
    out: list[tuple[Line, list[str]]] = []
    for line in lines[start:]:
        row = _place(line, columns)
        if row is None:
            break
        out.append((line, row))
    return out


def _pitch(previous: Line, placed: list[tuple[Line, list[str]]]) -> float:
    """The distance between rows: the median over lines with every column filled."""
    gaps = []
    above = previous
    for line, row in placed:
        if all(row):
            gaps.append(above.y - line.y)
        above = line
    return statistics.median(gaps) if gaps else 0.0


def _tight(above: Line, line: Line, pitch: float) -> bool:
    """``line`` is nearer to ``above`` than rows are to each other: wrapped cell text."""
    return pitch > 0 and above.y - line.y < WRAP_SHARE * pitch


def _fold(target: list[str], row: list[str]) -> None:
    for j, value in enumerate(row):
        if value:
            target[j] = _glue(target[j], value) if target[j] else value


def _take_header(table: Table, top: Line, placed: list[tuple[Line, list[str]]],
                 header: list[str] | None) -> tuple[Line, int]:
    """Fold the tight lines under a header line into ``header`` (``None``: drop them);
    the header's last line and how many lines were taken."""
    pitch = _pitch(top, placed)
    taken = 0
    for line, row in placed:
        if not _tight(top, line, pitch):
            break
        if header is not None:
            _fold(header, row)
        table.runs |= line.runs
        top, taken = line, taken + 1
    return top, taken


def _take_rows(table: Table, top: Line, placed: list[tuple[Line, list[str]]]) -> int:
    """Add ``placed`` to ``table`` as rows, a tight line joining the row above; stop at a
    line with a single cell that is no such continuation. The number of lines taken."""
    pitch = _pitch(top, placed)
    taken = 0
    for line, row in placed:
        if table.rows and _tight(top, line, pitch):
            _fold(table.rows[-1], row)
        elif sum(1 for value in row if value) >= 2:
            table.rows.append(row)
        else:
            break
        table.runs |= line.runs
        table.last_y = line.y
        top, taken = line, taken + 1
    return taken


def _new_table(lines: list[Line], i: int) -> tuple[Table, int] | None:
    """A table whose header is ``lines[i]``, and the index of the line after it."""
    header = lines[i]
    if not _is_header(header):
        return None
    columns = [(c.x0, c.x1) for c in header.cells]
    table = Table(list(header.texts), list(header.texts), columns, runs=set(header.runs),
                  last_y=header.y)
    placed = _fitting(lines, i + 1, table.columns)
    top, wrapped = _take_header(table, header, placed, table.header)
    taken = _take_rows(table, top, placed[wrapped:])
    body = "".join(value for row in table.rows for value in row)
    if len(table.rows) < 2 or not any(ch.isdigit() for ch in body):
        return None
    return table, i + 1 + wrapped + taken


def _continued(lines: list[Line], carried: Table) -> tuple[Table, int] | None:
    """Rows at the top of a page that go on with the table the last page ended in, and
    the index of the line after them. A repeated header is dropped, not made a row."""
    start = next((k for k, line in enumerate(lines[:EDGE_LINES]) if len(line.cells) >= 2),
                 None)
    if start is None:
        return None
    table = Table(carried.header, carried.first_line, list(carried.columns))
    placed = _fitting(lines, start, table.columns)
    top, skipped = lines[start], 0
    if placed and lines[start].texts == carried.first_line:
        table.runs |= top.runs
        top, wrapped = _take_header(table, top, placed[1:], None)
        skipped = 1 + wrapped
    taken = _take_rows(table, top, placed[skipped:])
    if not table.rows:
        return None
    return table, start + skipped + taken


def find_tables(lines: list[Line], carried: Table | None = None) -> list[Table]:
    """The tables on a page, top to bottom; ``carried`` is the table the previous page
    ended in, which the first rows here may continue."""
    tables: list[Table] = []
    i = 0
    if carried is not None:
        found = _continued(lines, carried)
        if found:
            tables.append(found[0])
            i = found[1]
    while i < len(lines):
        made = _new_table(lines, i)
        if made:
            tables.append(made[0])
            i = made[1]
        else:
            i += 1
    return tables


def _ends_page(table: Table, lines: list[Line]) -> bool:
    """Nothing but a page number is printed below the table."""
    below = [line for line in lines if line.y < table.last_y and not line.runs & table.runs]
    return all(PAGE_NUMBER.fullmatch(" ".join(line.texts)) for line in below)


def _spans(table: Table, runs: list[Run]) -> tuple[int, int] | None:
    """The first and last run of the table, when no other text is printed between."""
    first, last = min(table.runs), max(table.runs)
    inside = (i for i in range(first, last + 1) if i not in table.runs)
    if any(runs[i].text.strip() for i in inside):
        return None
    return first, last


def render(runs: list[Run], tables: list[Table]) -> str:
    """The page's text with each table's runs replaced by its row lines."""
    starts: dict[int, tuple[int, Table]] = {}
    for table in tables:
        span = _spans(table, runs)
        if span:
            starts[span[0]] = (span[1], table)
    out: list[str] = []
    i = 0
    while i < len(runs):
        if i not in starts:
            out.append(runs[i].text)
            i += 1
            continue
        last, table = starts[i]
        if out and not out[-1].endswith("\n"):
            out.append("\n")
        out.extend(f"{ROW_MARK}{row_line(table.header, row)}\n" for row in table.rows)
        i = last + 1
    return "".join(out)


class TableReader:
    """Reads a PDF's pages in order, remembering a table that runs off a page's bottom."""

    def __init__(self) -> None:
        self.carried: Table | None = None

    def page_text(self, page: Any) -> str:
        """The page's text as pypdf extracts it, with table rows as 「列名：值」 lines."""
        text, runs = read_runs(page)
        if "".join(r.text for r in runs) != text:  # not the text pypdf built: leave it
            self.carried = None
            return text
        lines = printed_lines(runs)
        tables = find_tables(lines, self.carried)
        self.carried = tables[-1] if tables and _ends_page(tables[-1], lines) else None
        return render(runs, tables) if tables else text
