"""Answers on regulations nobody tuned for: the frozen external check, answer side (issue 12).

    python bench/external_answers.py                          # ext_a, ext_b, ext_c as markdown
    python bench/external_answers.py --formats md,docx,pdf    # the same texts as uploads
    python bench/external_answers.py --shipped-home /tmp/home # plus the shipped dev set
    python bench/external_answers.py --corpus ext_a --json    # one corpus, JSON

``bench/external_retrieval.py`` says whether the right clause is *found* on another
region's rules; issue 12 asks that an administrator's upload be *answered* as well as the
shipped corpus. So each corpus is ingested alone into a temporary home (never ``var/``)
and every question goes through the path the chat API takes (``Conversations.say`` on a
fresh session, with the catalog lookup the service adds), scored by
``assistant.evaluation`` itself — ``evaluate_answers`` with a timing wrapper, so cover,
refusals and abstention mean here exactly what ``jnt eval answers`` means by them.

Per corpus and format it prints: answerable n, cover (a quoted clause contains gold
evidence), refused (abstained on an answerable item), wrong quote (answered, but no
quoted clause contains the evidence), abstain (on the unanswerable items), p50/p90
latency of one answer, and hybrid R@5 of retrieval, so a drop from md to pdf shows
whether it is lost in extraction (R@5 falls too) or in answering.

Uploads are not markdown: ``--formats docx,pdf`` renders each law as a government-style
Word file (one paragraph per line) and a text-layer PDF (STSong-Light, lines broken at
the page width, a running header, 「- N -」 page numbers), each with the markdown's
sidecar beside it so the doc_id and metadata stay the same. ``tests/policy_files.py`` is
not used for this: its writer always adds a made-up 上海 masthead, 文号, subsidy tables and
an application form, which are text the questions were not written against.

``ext_c`` is held out (``tests/data/external/README.md``): only its figures are printed,
never its misses, questions or answers, in the table and in ``--json`` alike.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.answer import Answer  # noqa: E402
from assistant.dialogue import Conversations  # noqa: E402
from assistant.evaluation import evaluate_answers, figures  # noqa: E402
from assistant.reading.region_qa import RegionCorpus, load_regions  # noqa: E402
from bench.external_retrieval import DEV, EXTERNAL, HELD_OUT, K, check_frozen  # noqa: E402
from corpus.evaluation import _score, load_qa, run_system  # noqa: E402
from corpus.home import library  # noqa: E402
from corpus.loaders import SIDECAR_SUFFIX  # noqa: E402
from corpus.settings import Settings, get_settings  # noqa: E402

FORMATS = ("md", "docx", "pdf")
SHIPPED_QA = ROOT.parent / "shared" / "eval" / "dev_qa.jsonl"
MODE = "hybrid"  # the mode the assistant searches with

# The PDF page of a printed 公文 (GB/T 9704): 28 characters a line, 22 lines a page.
LINE_CHARS = 28
PAGE_LINES = 22
FONT = "STSong-Light"
INDENT = "　　"
CHAPTER = re.compile(r"^第[一二三四五六七八九十百零]+[章节编]")


# --- rendering the markdown as an upload ---------------------------------------------


def read_markdown(path: Path) -> tuple[str, list[str]]:
    """The law's title and its other lines, headings without their ``#`` markers.

    The LawRefBook files put the title in the first ``#`` line, then the adoption and
    revision dates, a ``<!-- INFO END -->`` marker and the text, one paragraph a line;
    a Word or PDF copy of the same law holds the same lines, less the marker."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line and not line.startswith("<!--")]
    title = path.stem.split("(")[0]
    if lines and lines[0].startswith("# "):
        title = lines.pop(0).lstrip("#").strip()
    return title, [line.lstrip("#").strip() for line in lines]


def write_docx(title: str, lines: Sequence[str], path: Path) -> Path:
    """A Word file as a government site posts one: a centred title, chapter headings
    centred, every other line its own paragraph, and a running header that the loader
    must not read as text."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    document = docx.Document()
    document.core_properties.title = "Microsoft Word - 文件"  # what real files carry
    section = document.sections[0]
    section.header.paragraphs[0].text = running_header(title)
    section.footer.paragraphs[0].text = "- 1 -"
    heading = document.add_paragraph(title)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.runs[0].font.size, heading.runs[0].font.bold = Pt(18), True
    for line in lines:
        paragraph = document.add_paragraph(line)
        if CHAPTER.match(line):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.save(str(path))
    return path


def wrap(text: str, width: int = LINE_CHARS) -> list[str]:
    """A paragraph broken every ``width`` characters after a two-space indent, as a
    printed page breaks it (never inside a run of ASCII letters or digits, which a
    renderer keeps together): the loader has to join these lines again."""
    text = INDENT + text
    out: list[str] = []
    while len(text) > width:
        cut = width
        while cut > 0 and text[cut - 1].isascii() and text[cut - 1].isalnum() \
                and text[cut].isascii() and text[cut].isalnum():
            cut -= 1
        cut = cut or width
        out.append(text[:cut])
        text = text[cut:]
    out.append(text)
    return out


def pdf_lines(title: str, lines: Sequence[str]) -> list[tuple[str, str]]:
    """(alignment, text) as printed: the title and chapter headings centred ("c"), the
    rest wrapped at the page width ("l")."""
    out: list[tuple[str, str]] = [("c", title), ("c", "")]
    for line in lines:
        if CHAPTER.match(line) and len(line) <= LINE_CHARS:
            out.append(("c", line))
        else:
            out += [("l", part) for part in wrap(line)]
    return out


def write_pdf(title: str, lines: Sequence[str], path: Path) -> Path:
    """A text-layer PDF: running header and 「- N -」 on every page, 22 lines a page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    width, height = A4
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setTitle(title)
    printed = pdf_lines(title, lines)
    header = running_header(title)
    for number, start in enumerate(range(0, len(printed), PAGE_LINES), start=1):
        pdf.setFont(FONT, 9)
        pdf.drawCentredString(width / 2, height - 40, header)
        pdf.drawCentredString(width / 2, 30, f"- {number} -")
        pdf.setFont(FONT, 15)
        y = height - 90
        for align, text in printed[start:start + PAGE_LINES]:
            if align == "c":
                pdf.drawCentredString(width / 2, y, text)
            else:
                pdf.drawString(80, y, text)
            y -= 31
        pdf.showPage()
    pdf.save()
    return path


def running_header(title: str) -> str:
    """The compilation a printed law comes from, repeated atop every page."""
    region = re.match(r"^(.{2,3}?[省市区])", title)
    return f"{region.group(1) if region else ''}地方性法规汇编"


def render_corpus(folder: Path, fmt: str, out: Path) -> list[Path]:
    """The corpus's files as ``fmt`` in ``out``, each with its sidecar copied beside it
    (``<name>.<fmt>.meta.yaml``, which ``corpus.loaders.read_sidecar`` looks for), so
    every document keeps its doc_id and the gold still names it."""
    paths = []
    for source in sorted(folder.glob("*.md")):
        sidecar = source.with_name(source.name + SIDECAR_SUFFIX)
        if fmt == "md":
            target = out / source.name
            shutil.copyfile(source, target)
        else:
            target = out / f"{source.stem}.{fmt}"
            title, lines = read_markdown(source)
            (write_docx if fmt == "docx" else write_pdf)(title, lines, target)
        if sidecar.is_file():
            shutil.copyfile(sidecar, target.with_name(target.name + SIDECAR_SUFFIX))
        paths.append(target)
    return paths


# --- asking the way the API asks -------------------------------------------------------


class ApiPath:
    """What ``evaluate_answers`` calls (``.answer`` and ``.searcher``), answered through
    ``Conversations.say`` on a fresh session, as ``POST /v1/chat/sessions/…/messages``
    does; a follow-up's earlier turns are said first in the same session. Times each
    scored answer and keeps it, so the misses can show what was quoted."""

    def __init__(self, chats: Conversations) -> None:
        self.chats = chats
        self.searcher = chats.assistant.searcher
        self.latencies: list[float] = []
        self.answers: dict[str, Answer] = {}

    def answer(self, question: str, context: Sequence[str] = ()) -> Answer:
        session = self.chats.start(None, channel="web")
        for turn in context:
            self.chats.say(session, turn)
        start = time.perf_counter()
        reply = self.chats.say(session, question)
        self.latencies.append(time.perf_counter() - start)
        self.answers[question] = reply
        return reply


def api_conversations(settings: Settings) -> Conversations:
    """The chat service's conversations for this home (``api.deps.get_conversations``:
    the home's assistant plus the catalog lookup for questions about classes)."""
    from api.courses import class_reply
    from assistant.home import conversations

    chats = conversations(settings)
    chats.courses = functools.partial(class_reply, settings)
    return chats


def adapt(item: dict[str, Any]) -> dict[str, Any]:
    """An external item in the shipped set's shape, which ``score_item`` reads: ``doc``
    (set when answerable; the gold doc_id stands for the path), ``type`` from ``kind``,
    Simplified, colloquial (the README: residents' words), no verdict to judge."""
    return {"id": item["id"], "question": item["question"], "context": [],
            "lang": "zh-Hans", "style": "colloquial", "type": item.get("kind", "other"),
            "doc": item["gold"][0]["doc_id"] if item.get("answerable") and item["gold"]
            else None, "evidence": item.get("evidence") or [], "verdict": "n/a"}


def measure(path: ApiPath, qa_path: Path) -> dict[str, Any]:
    """Answer figures with the project's scorer, plus latency and retrieval R@5.

    The service answers one question itself before it takes traffic (``api/warmup.py``),
    so the first, slow answer of a fresh home is not a latency anyone sees: it is asked
    here too, untimed and unscored."""
    from api.warmup import QUESTION

    path.chats.assistant.answer(QUESTION)
    started = time.perf_counter()
    report = evaluate_answers(path, qa_path)  # type: ignore[arg-type]
    rows = report["items"]
    qa = load_qa(qa_path)
    answerable = [q for q in qa if q.get("doc")]
    ranks, _ = run_system(path.searcher, answerable, MODE, K)
    rank_of = {q["id"]: r for q, r in zip(answerable, ranks, strict=True)}
    asked = {q["id"]: q for q in qa}
    ok = [r for r in rows if r["error"] is None and r["answerable"]]
    wrong = [r for r in ok if not r["abstained"] and not r["covered"]]
    times = sorted(path.latencies)
    misses = []
    for row in rows:
        if not row["answerable"] and not row["abstained"]:
            outcome = "answered unanswerable"
        elif row["answerable"] and row["error"]:
            outcome = f"error {row['error']}"
        elif row["answerable"] and row["abstained"]:
            outcome = "refused"
        elif row["answerable"] and not row["covered"]:
            outcome = "wrong quote"
        else:
            continue
        item = asked[row["id"]]
        reply = path.answers.get(item["question"])
        misses.append({
            "id": row["id"], "outcome": outcome, "gold_rank": rank_of.get(row["id"]),
            "question": item["question"],
            "quoted": [f"{c.doc_id} › {c.section_short or c.section}"
                       for c in (reply.citations if reply else [])][:3],
            "reply": (row.get("answer") or "")[:80]})
    figs = figures(rows)
    return {
        "items": len(rows), "answerable": len(ok),
        "unanswerable": sum(1 for r in rows if r["error"] is None and not r["answerable"]),
        "errors": figs["errors"], "cover": figs["cover"],
        "refused": figs["refused"],
        "wrong_quote": round(len(wrong) / len(ok), 4) if ok else None,
        "abstain": figs["abstain"], "verdict": figs["verdict"],
        "false_yes": figs["false_yes"], "false_no": figs["false_no"],
        "judged": sum(1 for r in ok if r["expected_verdict"] in ("yes", "no", "conditional")),
        "noes": sum(1 for r in ok if r["expected_verdict"] == "no"),
        "yeses": sum(1 for r in ok if r["expected_verdict"] == "yes"),
        **_latency(times), "times": times,
        f"r@{K}": _score(ranks, K)[f"recall@{K}"],
        "seconds": round(time.perf_counter() - started, 1),
        "misses": misses,
    }


def _latency(times: list[float]) -> dict[str, float | None]:
    times = sorted(times)
    return {"p50_s": round(statistics.median(times), 3) if times else None,
            "p90_s": round(times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))], 3)
            if times else None}


def measure_corpus(corpus: str, fmt: str, base: Settings) -> dict[str, Any]:
    """One frozen external corpus rendered as ``fmt``, ingested alone, answered."""
    folder = EXTERNAL / corpus
    items = [adapt(q) for q in load_qa(folder / "questions.jsonl")]
    return measure_folder(corpus, folder, items, fmt, base)


def measure_region(corpus: RegionCorpus, base: Settings) -> dict[str, Any]:
    """One of the team's region corpora (``assistant/data/regions``): its items are in the
    shipped set's shape already, verdicts included. No model was fitted on them, but the
    answerability threshold and the 「不可以」 threshold for unseen documents were chosen
    on them: their refused, abstain and verdict figures are calibration figures, their
    cover and R@5 untuned ones."""
    return measure_folder(corpus.name, corpus.folder, corpus.items(), "md", base)


def measure_folder(name: str, folder: Path, items: list[dict[str, Any]], fmt: str,
                   base: Settings) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"jnt-{name}-{fmt}-") as tmp:
        files = Path(tmp) / "files"
        files.mkdir()
        settings = base.model_copy(update={"home": Path(tmp) / "home", "database_url": None})
        ingested = library(settings).ingest(render_corpus(folder, fmt, files))
        qa_path = Path(tmp) / "qa.jsonl"
        qa_path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in items),
                           encoding="utf-8")
        result = measure(ApiPath(api_conversations(settings)), qa_path)
    return {"corpus": name, "format": fmt, "documents": len(ingested.added),
            "chunks": ingested.chunks, **result}


def measure_shipped(home: Path, base: Settings, qa_path: Path) -> dict[str, Any]:
    """The shipped dev set on a home made by ``jnt setup``, through the same path."""
    settings = base.model_copy(update={"home": home})
    result = measure(ApiPath(api_conversations(settings)), qa_path)
    return {"corpus": "shipped", "format": "dev_qa", "documents": None, "chunks": None,
            **result}


# --- output ----------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.3f}"


def pooled(results: list[dict[str, Any]]) -> dict[str, Any]:
    """All corpora as one: each figure weighted by the items it is a share of."""
    def mean(key: str, weight: str) -> float | None:
        parts = [(r[key], r[weight]) for r in results if r[key] is not None and r[weight]]
        total = sum(w for _, w in parts)
        return round(sum(v * w for v, w in parts) / total, 4) if total else None

    return {"corpus": "all", "format": results[0]["format"],
            "answerable": sum(r["answerable"] for r in results),
            "unanswerable": sum(r["unanswerable"] for r in results),
            "cover": mean("cover", "answerable"), "refused": mean("refused", "answerable"),
            "wrong_quote": mean("wrong_quote", "answerable"),
            "abstain": mean("abstain", "unanswerable"), f"r@{K}": mean(f"r@{K}", "answerable"),
            "verdict": mean("verdict", "judged"), "false_yes": mean("false_yes", "noes"),
            "false_no": mean("false_no", "yeses"),
            **_latency([t for r in results for t in r["times"]]),
            "errors": sum(r["errors"] for r in results), "documents": None, "misses": []}


def format_results(results: list[dict[str, Any]]) -> str:
    """The table, then the dev corpora's misses; never a held-out question."""
    lines = [f"{'corpus':14s} {'fmt':6s} {'n':>3s} {'cover':>6s} {'refused':>7s} "
             f"{'wrongq':>6s} {'abstain':>7s} {'R@' + str(K):>6s} {'p50 s':>6s} "
             f"{'p90 s':>6s} {'err':>3s} {'verdict':>7s} {'f.yes':>6s} {'f.no':>6s}"]
    rows = [*results, pooled(results)] if len(results) > 1 and not any(
        r["corpus"] in HELD_OUT for r in results) else results
    for r in rows:
        tag = " (held out)" if r["corpus"] in HELD_OUT else ""
        lines.append(
            f"{r['corpus']:14s} {r['format']:6s} {r['answerable']:3d} {_pct(r['cover'])} "
            f"{_pct(r['refused']):>7s} {_pct(r['wrong_quote'])} {_pct(r['abstain']):>7s} "
            f"{_pct(r[f'r@{K}'])} {r['p50_s'] or 0:6.2f} {r['p90_s'] or 0:6.2f} "
            f"{r['errors']:3d} {_pct(r['verdict']):>7s} {_pct(r['false_yes'])} "
            f"{_pct(r['false_no'])}{tag}")
    for r in results:
        if r["documents"] is not None:
            lines.append(f"{r['corpus']} {r['format']}: {r['documents']} documents, "
                         f"{r['chunks']} chunks, {r['unanswerable']} unanswerable, "
                         f"{r['seconds']} s")
    for r in results:
        if r["corpus"] in HELD_OUT or r["corpus"] == "shipped":
            continue  # held-out misses are never shown; the shipped set has its own tools
        lines.append(f"misses {r['corpus']} {r['format']}: {len(r['misses'])}")
        for m in r["misses"]:
            lines.append(f"  {m['id']} {m['outcome']} (gold r={m['gold_rank'] or '-'}) "
                         f"{m['question']} → {'; '.join(m['quoted']) or '-'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--corpus", action="append", choices=(*DEV, *HELD_OUT),
                        help="a corpus to measure (repeatable; default all three)")
    parser.add_argument("--formats", default="md",
                        help="comma-separated, of md,docx,pdf (default md)")
    parser.add_argument("--regions", action="store_true",
                        help="measure the team's region corpora instead (assistant/data/regions)")
    parser.add_argument("--shipped-home", type=Path, default=None,
                        help="a home set up with `jnt setup`: adds the shipped dev set's row")
    parser.add_argument("--shipped-qa", type=Path, default=SHIPPED_QA,
                        help="the shipped dev set (default ../shared/eval/dev_qa.jsonl)")
    args = parser.parse_args()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        parser.error(f"unknown format(s): {', '.join(unknown)}; choose from md, docx, pdf")
    check_frozen()
    base = get_settings()
    started = time.perf_counter()
    if args.regions:
        results = [measure_region(c, base) for c in load_regions()]
    else:
        results = [measure_corpus(c, f, base) for c in (args.corpus or [*DEV, *HELD_OUT])
                   for f in formats]
    if args.shipped_home is not None:
        results.append(measure_shipped(args.shipped_home, base, args.shipped_qa))
    for r in results:
        if r["corpus"] in HELD_OUT:
            r.pop("misses")  # never let a held-out question out, in any output
    if args.json:
        print(json.dumps({"results": results,
                          "seconds": round(time.perf_counter() - started, 1)},
                         ensure_ascii=False, indent=2))
    else:
        print(format_results(results))
        print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
