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
