"""bench/external_answers.py's renderer: a law rendered as .docx or .pdf must ingest to
the same document as its markdown, or the bench's md→docx→pdf comparison measures the
renderer instead of the loaders."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.external_answers import EXTERNAL, read_markdown, render_corpus
from corpus.library import prepare
from corpus.normalize import eval_normalize

pytest.importorskip("docx")
pytest.importorskip("reportlab")

LAW = "上海市职业教育条例(2018-11-22)"  # dates under the title, chapters, lists


def _one_law(tmp_path: Path, fmt: str) -> Path:
    out = tmp_path / fmt
    out.mkdir()
    return next(p for p in render_corpus(EXTERNAL / "ext_a", fmt, out) if p.stem == LAW)


def test_read_markdown_keeps_every_line_but_the_marker() -> None:
    title, lines = read_markdown(EXTERNAL / "ext_a" / f"{LAW}.md")
    assert title == "上海市职业教育条例"
    assert lines[0].startswith("2004年5月20日")  # the adoption line is text too
    assert "第一章  总则" in lines and not any(line.startswith("<!--") for line in lines)
    assert sum(line.startswith("第") and "条" in line[:8] for line in lines) > 30


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_rendered_file_ingests_to_the_markdowns_chunks(tmp_path: Path, fmt: str) -> None:
    md, rendered = prepare(_one_law(tmp_path, "md")), prepare(_one_law(tmp_path, fmt))
    assert rendered.path.with_name(rendered.path.name + ".meta.yaml").is_file()
    assert rendered.meta.id == md.meta.id == "sh-vocational-education"
    assert rendered.meta.title == md.meta.title
    assert [c.section for c in rendered.chunks] == [c.section for c in md.chunks]
    assert [eval_normalize(c.text) for c in rendered.chunks] == \
        [eval_normalize(c.text) for c in md.chunks]


def test_the_pooled_row_reads_latency_from_every_answer_and_weighs_each_share() -> None:
    from bench.external_answers import format_results, pooled

    def result(name: str, times: list[float], false_no: float, yeses: int) -> dict:
        return {"corpus": name, "format": "md", "answerable": 10, "unanswerable": 2,
                "cover": 0.9, "refused": 0.1, "wrong_quote": 0.0, "abstain": 0.5,
                "r@5": 1.0, "verdict": 0.5, "false_yes": 0.0, "false_no": false_no,
                "judged": 8, "noes": 2, "yeses": yeses, "errors": 0, "documents": 1,
                "chunks": 9, "seconds": 1.0, "misses": [], "times": times,
                "p50_s": None, "p90_s": None}

    row = pooled([result("a", [1.0, 2.0, 3.0], 0.5, 2), result("b", [4.0, 5.0], 0.0, 6)])
    assert row["p50_s"] == 3.0 and row["p90_s"] == 5.0
    assert row["false_no"] == 0.125  # one wrong 「不可以」 in eight 「可以」 questions
    table = format_results([result("a", [1.0, 2.0, 3.0], 0.5, 2),
                            result("b", [4.0, 5.0], 0.0, 6)])
    all_row = next(line for line in table.splitlines() if line.startswith("all "))
    assert "  3.00   5.00" in all_row and all_row.endswith(" 0.125")
