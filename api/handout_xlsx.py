"""The hand-out as an Excel workbook: the programs on the first sheet (one row each), who,
for whom and when on the second and in every printed page's header.

Every text cell passes through ``inert``: a catalog title, a reason or a note beginning
with ``=``, ``+``, ``-``, ``@``, tab or CR would otherwise be a live formula (or become one
when the sheet is re-saved as CSV), so it is prefixed with an apostrophe and stored as text.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from api.handout import ESTIMATE_NOTE, Handout

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = (("项目编号", 16), ("项目名称", 32), ("培训机构", 24), ("联系方式", 18),
           ("地址", 28), ("上课时间", 30), ("报名条件", 28), ("补贴情况", 36),
           ("收费标准（元）", 12), ("预计个人支付（元，估算）", 14), ("综合评分", 9),
           ("推荐理由", 50), ("注意事项", 30))


def inert(value: Any) -> Any:
    """A value that cannot run as a formula: numbers as they are, text made plain."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))  # control characters XML cannot hold
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _put(sheet: Worksheet, values: list[Any]) -> None:
    sheet.append([inert(v) for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"  # never "f", whatever openpyxl guessed


def _header_text(text: str) -> str:
    return text.replace("&", "&&")  # "&" starts a header/footer code


def _programs(sheet: Worksheet, handout: Handout) -> None:
    sheet.title = "推荐项目"
    _put(sheet, [label for label, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for p in handout.programs:
        title = f"{p.title}（示例数据）" if p.is_sample else p.title
        _put(sheet, [p.program_id, title, p.provider, p.contact, p.address, p.timetable,
                     p.prerequisites, p.subsidy, p.fee_yuan, p.out_of_pocket, p.score,
                     "\n".join(p.reasons), "\n".join(p.warnings)])
    for index, (_, width) in enumerate(COLUMNS):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddHeader.left.text = _header_text(f"劳动者编号：{handout.worker_ref}")
    sheet.oddHeader.center.text = _header_text(f"培训项目推荐单　{handout.job_center}")
    sheet.oddHeader.right.text = _header_text(
        f"就业指导员：{handout.counselor}　{handout.date.isoformat()}")
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"


def _about(sheet: Worksheet, handout: Handout) -> None:
    sheet.title = "说明"
    rows = [("劳动者编号", handout.worker_ref), ("就业指导员", handout.counselor),
            ("就业服务机构", handout.job_center), ("日期", handout.date.isoformat()),
            ("给劳动者的说明", handout.note or "—"), ("费用说明", ESTIMATE_NOTE),
            ("匹配时的假设", "\n".join(handout.assumptions) or "—")]
    for label, value in rows:
        _put(sheet, [label, value])
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 90
    for label_cell, value_cell in sheet.iter_rows():
        label_cell.font = Font(bold=True)
        value_cell.alignment = Alignment(wrap_text=True, vertical="top")


def render_xlsx(handout: Handout) -> bytes:
    book = Workbook()
    _programs(book.active, handout)
    _about(book.create_sheet(), handout)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
