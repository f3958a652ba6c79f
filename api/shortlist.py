"""A counselor's shortlist as an Excel workbook (.xlsx), built from ranked results."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

COLUMNS = (("项目编号", "program_id"), ("项目名称", "title"), ("职业（工种）", "occupation"),
           ("职业编码", "occupation_code"), ("培训等级", "level"), ("培训机构", "provider"),
           ("省份", "province"), ("城市", "city"), ("培训方式", "mode"), ("课时", "hours"),
           ("收费标准（元）", "fee_yuan"), ("开班日期", "start_date"), ("总分", "score"))


def shortlist_xlsx(programs: list[dict[str, Any]]) -> bytes:
    """One row per program with its reasons; sample programs stay marked 示例数据."""
    book = Workbook()
    sheet = book.active
    sheet.title = "候选清单"
    sheet.append([label for label, _ in COLUMNS] + ["推荐理由"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for program in programs:
        values = [program.get(key) for _, key in COLUMNS]
        reasons = "；".join(map(str, program.get("reasons") or []))
        sheet.append([_plain(v) for v in values] + [reasons])
    widths = (16, 36, 16, 12, 10, 28, 10, 10, 10, 6, 12, 12, 8, 60)
    for column, width in zip("ABCDEFGHIJKLMN", widths, strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        row[-1].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float) or value is None else str(value)
