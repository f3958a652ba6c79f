"""A Word file's body as the reader sees it: auto-numbers written out, tables as sentences.

Government .docx files number their 第X条 / 一、 / （一） / 1. with Word's automatic
numbering, so the number is not in the paragraph's text; without it a chunk cannot be
cited as 第十二条 and the question "第十二条怎么说" finds nothing. ``Numbering`` replays
Word's counters from numbering.xml. A table row becomes one line 「列名：值；列名：值」,
so a 补贴标准 row is a sentence retrieval can match ("育婴员四级补贴多少" → the row with
育婴员, 四级 and its amount), instead of a row of bare cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from corpus.table_rows import grid_lines

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DIGITS = "零一二三四五六七八九"
LEGAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
HEAVENLY_STEMS = "甲乙丙丁戊己庚辛壬癸"
EARTHLY_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
PARENTHESIZED = "⑴⑵⑶⑷⑸⑹⑺⑻⑼⑽⑾⑿⒀⒁⒂⒃⒄⒅⒆⒇"
FULL_STOP = "⒈⒉⒊⒋⒌⒍⒎⒏⒐⒑⒒⒓⒔⒕⒖⒗⒘⒙⒚⒛"
ROMAN = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
         (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]


def chinese_counting(n: int, digits: str = DIGITS, units: str = "十百千") -> str:
    """1 → 一, 10 → 十, 21 → 二十一, 105 → 一百零五 (Word's chineseCounting)."""
    if n <= 0:
        return digits[0]
    if n >= 10000:
        return str(n)
    parts: list[str] = []
    zero = False
    for power, unit in ((1000, units[2]), (100, units[1]), (10, units[0]), (1, "")):
        d, n = divmod(n, power)
        if d:
            if zero:
                parts.append(digits[0])
            parts.append(digits[d] + unit)
            zero = False
        elif parts:
            zero = True
    text = "".join(parts)
    return text[1:] if text.startswith(digits[1] + units[0]) else text


def _letters(n: int, upper: bool) -> str:
    letter = chr(ord("A" if upper else "a") + (n - 1) % 26)
    return letter * ((n - 1) // 26 + 1)


def _roman(n: int) -> str:
    out = ""
    for value, numeral in ROMAN:
        while n >= value:
            out, n = out + numeral, n - value
    return out


def _cycle(symbols: str, n: int) -> str:
    return symbols[(n - 1) % len(symbols)]


def format_number(fmt: str, n: int) -> str:
    """``n`` as Word renders number format ``fmt``; unknown formats fall back to decimal."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting",
               "taiwaneseCounting", "taiwaneseCountingThousand", "koreanCounting"):
        return chinese_counting(n)
    if fmt == "chineseLegalSimplified":
        return chinese_counting(n, LEGAL_DIGITS, "拾佰仟")
    if fmt in ("ideographDigital", "taiwaneseDigital", "japaneseDigitalTenThousand"):
        return "".join("〇一二三四五六七八九"[int(d)] for d in str(n))
    if fmt in ("ideographTraditional",):
        return _cycle(HEAVENLY_STEMS, n)
    if fmt in ("ideographZodiac",):
        return _cycle(EARTHLY_BRANCHES, n)
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese", "ideographEnclosedCircle"):
        return CIRCLED[n - 1] if 0 < n <= len(CIRCLED) else str(n)
    if fmt == "decimalEnclosedParen":
        return PARENTHESIZED[n - 1] if 0 < n <= len(PARENTHESIZED) else f"({n})"
    if fmt == "decimalEnclosedFullstop":
        return FULL_STOP[n - 1] if 0 < n <= len(FULL_STOP) else f"{n}."
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return "".join(chr(ord(d) + 0xFEE0) for d in str(n))
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("lowerLetter", "upperLetter"):
        return _letters(n, fmt == "upperLetter")
    if fmt in ("lowerRoman", "upperRoman"):
        return _roman(n).upper() if fmt == "upperRoman" else _roman(n)
    if fmt in ("none", "bullet"):
        return ""
    return str(n)


@dataclass(frozen=True)
class Level:
    fmt: str
    text: str  # lvlText, e.g. "第%1条", "（%2）"
    start: int
    suffix: str  # "tab" | "space" | "nothing"


def _val(element: Any, tag: str, default: str | None = None) -> str | None:
    found = element.find(W + tag) if element is not None else None
    return found.get(W + "val", default) if found is not None else default


class Numbering:
    """Word's list counters, replayed in document order.

    Counters belong to the abstract list (several ``w:num`` sharing one continue each
    other, as in Word) unless a ``w:num`` restarts it with ``startOverride``; using a
    level resets the levels below it.
    """

    def __init__(self, document: Any) -> None:
        self.levels: dict[str, dict[int, Level]] = {}
        self.abstract_of: dict[str, str] = {}
        self.overrides: dict[str, dict[int, int]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.started: set[str] = set()
        self.styles = document.styles
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        for abstract in root.findall(W + "abstractNum"):
            levels: dict[int, Level] = {}
            for lvl in abstract.findall(W + "lvl"):
                levels[int(lvl.get(W + "ilvl", "0"))] = Level(
                    _val(lvl, "numFmt", "decimal") or "decimal", _val(lvl, "lvlText", "") or "",
                    int(_val(lvl, "start", "1") or 1), _val(lvl, "suff", "tab") or "tab")
            self.levels[abstract.get(W + "abstractNumId", "")] = levels
        for num in root.findall(W + "num"):
            num_id = num.get(W + "numId", "")
            self.abstract_of[num_id] = _val(num, "abstractNumId", "") or ""
            for override in num.findall(W + "lvlOverride"):
                start = _val(override, "startOverride")
                if start is not None:
                    ilvl = int(override.get(W + "ilvl", "0"))
                    self.overrides.setdefault(num_id, {})[ilvl] = int(start)

    def label(self, paragraph: Any) -> str:
        """The number Word shows before ``paragraph`` (with its separator), or ``""``."""
        found = self._num_pr(paragraph)
        if found is None:
            return ""
        num_id, ilvl = found
        abstract = self.abstract_of.get(num_id)
        levels = self.levels.get(abstract or "")
        if not levels or ilvl not in levels:
            return ""
        counters = self.counters.setdefault(abstract or "", {})
        if num_id in self.overrides and num_id not in self.started:
            self.started.add(num_id)
            for lvl, start in self.overrides[num_id].items():
                counters[lvl] = start - 1
        counters[ilvl] = counters.get(ilvl, levels[ilvl].start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        level = levels[ilvl]
        text = level.text
        for k, lvl in levels.items():
            if f"%{k + 1}" in text:
                value = counters.get(k, lvl.start)
                text = text.replace(f"%{k + 1}", format_number(lvl.fmt, value))
        if not text or level.suffix == "nothing" or text[-1] in "、．.)）：:":
            return text
        return text + " "

    def _num_pr(self, paragraph: Any) -> tuple[str, int] | None:
        """(numId, ilvl) from the paragraph, else from its style chain; numId 0 means none."""
        p_pr = paragraph._p.pPr
        num_pr = p_pr.find(W + "numPr") if p_pr is not None else None
        style = paragraph.style
        while num_pr is None and style is not None:
            s_pr = style.element.find(W + "pPr")
            num_pr = s_pr.find(W + "numPr") if s_pr is not None else None
            style = style.base_style
        if num_pr is None:
            return None
        num_id = _val(num_pr, "numId")
        if not num_id or num_id == "0":
            return None
        return num_id, int(_val(num_pr, "ilvl", "0") or 0)


def _row_cells(row: Any) -> list[str]:
    cells: list[str] = []
    seen: set[int] = set()
    for cell in row.cells:
        if id(cell._tc) in seen:  # a merged cell is returned once per grid column
            continue
        seen.add(id(cell._tc))
        cells.append(" ".join(cell.text.split()))
    return cells


def table_lines(table: Any) -> list[str]:
    """A Word table's rows as ``corpus.table_rows.grid_lines`` writes them."""
    return grid_lines([_row_cells(r) for r in table.rows])


def docx_lines(document: Any) -> list[str]:
    """Body paragraphs and tables in document order (headers, footers, notes excluded)."""
    from docx.table import Table

    numbering = Numbering(document)
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(table_lines(block))
        else:
            label = numbering.label(block)
            lines.append(label + block.text if block.text.strip() or not label else "")
    return lines
