"""The hand-out as one printable A4 HTML page: its stylesheet inlined, no script, no
external asset (it renders offline and prints as is), every text HTML-escaped."""

from __future__ import annotations

from functools import lru_cache
from html import escape
from pathlib import Path

from api.handout import ESTIMATE_NOTE, Handout, ProgramSheet

CSS = Path(__file__).resolve().parent / "web" / "handout.css"
# Sent as a header too: even a crafted catalog value could load or run nothing.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@lru_cache(maxsize=1)
def _css() -> str:
    return CSS.read_text(encoding="utf-8").replace("</", "<\\/")


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _yuan(value: float | None) -> str:
    if value is None:
        return "未注明"
    return f"{value:,.0f} 元" if float(value).is_integer() else f"{value:,.2f} 元"


def _items(lines: list[str], css: str = "") -> str:
    attr = f' class="{css}"' if css else ""
    return "<ul>" + "".join(f"<li{attr}>{_e(line)}</li>" for line in lines) + "</ul>"


def _program(number: int, p: ProgramSheet) -> str:
    sample = ' <span class="sample">（示例数据）</span>' if p.is_sample else ""
    rows = [("项目编号", _e(p.program_id)), ("培训机构", _e(p.provider)),
            ("联系方式", _e(p.contact)), ("地址", _e(p.address)),
            ("上课时间", _e(p.timetable)), ("报名条件", _e(p.prerequisites)),
            ("补贴情况", _e(p.subsidy)), ("收费标准", _e(_yuan(p.fee_yuan))),
            ("预计个人支付", f"{_e(_yuan(p.out_of_pocket))}（估算）")]
    if p.score is not None:
        rows.append(("综合评分", _e(f"{p.score:.2f}")))
    table = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in rows)
    parts = [f'<section class="program"><h2>{number}. {_e(p.title)}{sample}</h2>',
             f"<table>{table}</table>"]
    if p.warnings:
        parts.append(_items(p.warnings, "warning"))
    if p.reasons:
        parts.append(f"<div><strong>推荐理由</strong>{_items(p.reasons)}</div>")
    parts.append("</section>")
    return "".join(parts)


def render_html(handout: Handout) -> str:
    meta = [("劳动者编号", handout.worker_ref), ("就业指导员", handout.counselor),
            ("就业服务机构", handout.job_center), ("日期", handout.date.isoformat())]
    dl = "".join(f"<dt>{label}</dt><dd>{_e(value)}</dd>" for label, value in meta)
    note = f'<p class="note">{_e(handout.note)}</p>' if handout.note else ""
    programs = "".join(_program(i, p) for i, p in enumerate(handout.programs, 1))
    assumptions = (f'<div class="assumptions"><strong>匹配时的假设</strong>'
                   f"{_items(handout.assumptions)}</div>" if handout.assumptions else "")
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-Hans\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>培训项目推荐单 {_e(handout.worker_ref)}</title>"
        f"<style>{_css()}</style></head><body>"
        f"<h1>培训项目推荐单</h1><dl class=\"meta\">{dl}</dl>{note}{programs}"
        f'<p class="estimate">{_e(ESTIMATE_NOTE)}</p>{assumptions}'
        '<div class="sign"><span>就业指导员签字：</span><span>劳动者签收：</span></div>'
        "</body></html>\n")
