"""Undo a printed page's layout in text extracted from a PDF.

A PDF's text layer is the page as printed: a running header and a 「- 3 -」 on every page,
and every line broken where the paper ended, mid-sentence. Left in, the header lands inside
chunks (and matches every query naming the issuer) and a broken line splits the words
retrieval needs ("培训补\\n贴"). The loader separates pages with a form feed; this module
drops what repeats at the pages' edges and page numbers, then joins lines that the page
width broke, keeping a line that starts a clause (第X条, 一、, （一）, 1., 附件, 抄送) as
the start of a paragraph. A table row the loader wrote as 「列名：值；…」
(``corpus.pdf_tables``) starts with ``ROW_MARK``: it is a line of its own, never joined
and not counted in the page's line width, and leaves without the mark.
"""

from __future__ import annotations

import math
import re
from collections import Counter

PAGE_BREAK = "\f"
ROW_MARK = "\x1e"  # ASCII record separator: this line is a table row, keep it whole
EDGE_LINES = 3  # header/footer candidates: this many lines at each end of a page
PAGE_NUMBER = re.compile(
    r"[-－—–―~\s]*[-－—–―~]\s*\d{1,4}\s*[-－—–―~][-－—–―~\s]*"  # - 3 -, — 3 —
    r"|第\s*\d{1,4}\s*页(?:\s*[,，/／]?\s*共\s*\d{1,4}\s*页)?"      # 第3页 共50页
    r"|\d{1,4}\s*[/／]\s*\d{1,4}"                                  # 3/50
    r"|[Pp]age\s*\d{1,4}(?:\s*of\s*\d{1,4})?")
CLAUSE_START = re.compile(
    r"^(?:第[一二三四五六七八九十百零〇两\d]+[章节節条條编編]"
    r"|[一二三四五六七八九十]+[、．]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}(?:[、．]|\.(?!\d))"
    r"|附件|附表|抄送|印发|[（(]此件|[★●■◆]|[【〔])")
SENTENCE_END = "。！？；：!?;:"
INDENT = re.compile(r"^(?:\u3000|\s{2,})")
FULL_LINE_SHARE = 0.85


def unpage(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The text without page chrome and with page-width breaks joined, and what was
    dropped as (reason, line). Text without page breaks is returned unchanged but for
    its row marks (a one-page PDF's table)."""
    if PAGE_BREAK not in text:
        return _unmark(text), []
    pages = [page.split("\n") for page in text.split(PAGE_BREAK)]
    running = _running_lines(pages)
    dropped: list[tuple[str, str]] = []
    lines: list[str] = []
    for page in pages:
        edges = _edge_indexes(page)
        for i, line in enumerate(page):
            stripped = line.strip()
            if i in edges and _key(stripped) in running:
                dropped.append(("page_header", stripped))
            elif i in edges and PAGE_NUMBER.fullmatch(stripped):
                dropped.append(("page_number", stripped))
            elif stripped:
                lines.append(line.rstrip())
    return "\n".join(join_wrapped(lines)), dropped


def _edge_indexes(page: list[str]) -> set[int]:
    filled = [i for i, line in enumerate(page) if line.strip()]
    return set(filled[:EDGE_LINES] + filled[-EDGE_LINES:])


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line))


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Lines (digits ignored) at the edge of at least half the pages, and of two or more."""
    if len(pages) < 2:
        return set()
    seen: Counter[str] = Counter()
    for page in pages:
        seen.update({_key(page[i].strip()) for i in _edge_indexes(page)})
    need = max(2, math.ceil(len(pages) / 2))
    return {key for key, n in seen.items() if n >= need and key}


def _unmark(text: str) -> str:
    return text.replace(ROW_MARK, "") if ROW_MARK in text else text


def join_wrapped(lines: list[str]) -> list[str]:
    """Join each line the page width broke to the next one (CJK: no space between); a
    marked table row stands alone and does not count towards the page's width."""
    width = _line_width([line for line in lines if not line.startswith(ROW_MARK)])
    out: list[str] = []
    previous = ""  # the last printed line, not the paragraph joined so far
    for line in lines:
        if line.startswith(ROW_MARK):
            out.append(line[len(ROW_MARK):])
            previous = ""  # nothing carries on a row
            continue
        if out and _continues(previous, line, width):
            out[-1] += _glue(out[-1], line.lstrip()) + line.lstrip()
        else:
            out.append(line)
        previous = line
    return out


def _line_width(lines: list[str]) -> int:
    """The printed line's width in characters: the 90th percentile of line lengths."""
    lengths = sorted(len(line) for line in lines if len(line.strip()) >= 8)
    if not lengths:
        return 0
    return lengths[min(len(lengths) - 1, int(len(lengths) * 0.9))]


def _continues(previous: str, line: str, width: int) -> bool:
    """``line`` carries on ``previous``'s sentence: ``previous`` filled the page's width
    without ending, and ``line`` neither is indented nor opens a clause."""
    if not width or len(previous) < FULL_LINE_SHARE * width or previous[-1] in SENTENCE_END:
        return False
    return not INDENT.match(line) and not CLAUSE_START.match(line.strip())


def _glue(left: str, right: str) -> str:
    a, b = left[-1:], right[:1]
    return " " if a.isascii() and b.isascii() and a.isalnum() and b.isalnum() else ""
