"""A table as self-describing lines, the same for every loader (.docx, .pdf, .html).

A row retrieved alone as a chunk quote must say which figure is the amount, so each data
row becomes 「列名：值；列名：值」 under the table's caption; chunking (``chunking.ROW``)
and retrieval then see a Word row, a PDF row and a web page's row alike.
"""

from __future__ import annotations

from collections.abc import Sequence


def row_line(header: Sequence[str], row: Sequence[str]) -> str:
    """A table row as one line 「列名：值；列名：值」, empty cells left out."""
    return "；".join(f"{name}：{value}" for name, value in zip(header, row, strict=True) if value)


def grid_lines(rows: list[list[str]]) -> list[str]:
    """Each data row as 「列名：值；…」 under the first row's names; a title row spanning the
    table stays a line of its own; a table without a header row (too short, an empty or
    numeric name) keeps ``a | b``, and so does a row whose cells do not line up."""
    rows = [cells for cells in rows if any(cells)]
    lines: list[str] = []
    width = max((len(r) for r in rows), default=0)
    while rows and len(rows[0]) == 1 and width > 1:  # a title row merged across the table
        lines.append(rows.pop(0)[0])
    if len(rows) < 2 or not all(rows[0]) or _numeric_share(rows[0]) > 0:
        return lines + [" | ".join(c for c in r if c) for r in rows]
    header = rows[0]
    for row in rows[1:]:
        if len(row) != len(header):
            lines.append(" | ".join(c for c in row if c))
            continue
        line = row_line(header, row)
        if line:
            lines.append(line)
    return lines


def _numeric_share(cells: list[str]) -> float:
    return sum(1 for c in cells if c.replace(".", "").isdigit()) / max(len(cells), 1)
