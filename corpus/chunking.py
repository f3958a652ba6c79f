"""Structure-aware chunking: headings become a section path on every chunk.

Policy documents number their parts (``第X章``, ``一、``, ``（一）``, ``专栏N``, ``1.``,
``第X条``); a chunk that carries that path can be cited as "四、… › （十一）… › 专栏5"
and retrieval sees the heading words too. Chunks keep offsets into the cleaned text,
and tables (runs of short cell lines) stay whole so an indicator is never cut from its
figure.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

NUM = "一二三四五六七八九十百零〇两"
SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")

# Heading markers by kind. Which kind nests in which is learnt per document (a law
# puts （一） items inside 第X条, a plan puts 1. items inside （一）), so only the order
# of first appearance matters; the names below are just kinds.
HEADING_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("chapter", re.compile(rf"^第[{NUM}\d]+[章編编]")),
    ("section", re.compile(rf"^第[{NUM}\d]+[節节](?![点點])")),
    ("article", re.compile(rf"^第[{NUM}\d]+[条條](?:之[{NUM}]+)?")),
    ("cn-num", re.compile(rf"^[{NUM}]+[、．]")),
    ("cn-paren", re.compile(rf"^[（(][{NUM}]+[）)]")),
    ("box", re.compile(r"^[专專][栏欄]\s*\d+")),
    ("num", re.compile(r"^\d{1,2}(?:[、．]|\.(?!\d))")),
    ("num-paren", re.compile(r"^[（(]\d{1,2}[）)]")),
]
# Inside an article (第X条) everything but a higher structural heading is body text:
# the article is what a citation names.
STRUCTURAL = {"chapter", "section", "article"}
MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+")


@dataclass(frozen=True)
class ChunkDraft:
    id: str
    ordinal: int
    section: str
    start: int
    end: int
    kind: str
    text: str


@dataclass
class _Line:
    start: int
    end: int
    text: str  # stripped


@dataclass
class _Block:
    path: tuple[str, ...]
    lines: list[_Line]
    kind: str = "text"
    heading_only: bool = False

    @property
    def chars(self) -> int:
        return sum(len(line.text) for line in self.lines)


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            out.append(_Line(pos + lead, pos + lead + len(stripped), stripped))
        pos += len(raw)
    return out


def heading_label(line: str) -> tuple[str, str] | None:
    """The kind and short label of a heading line, or ``None`` for body text.

    A numbered paragraph such as "（四）完善……体系。面向城乡……" is a heading whose
    label is its first clause; the paragraph itself stays body text.
    """
    md = MARKDOWN_HEADING.match(line)
    bare = line[md.end():] if md else line
    for kind, pattern in HEADING_KINDS:
        found = pattern.match(bare)
        if found:
            return kind, found.group(0) if kind == "article" else _label(bare)
    if md:
        return f"md{len(md.group(1))}", _label(bare)
    if len(line) <= 80 and line[-1] in "？?" and not re.match(r"^[问答問]", line):
        return "question", line
    return None


def _label(text: str) -> str:
    head = re.split(r"[。:：；;]", text, maxsplit=1)[0].strip()
    return head if len(head) <= 40 else head[:40] + "…"


def _is_cell(line: str) -> bool:
    return len(line) <= 40 and not re.search(r"[。；;]$", line) and heading_label(line) is None


class _Outline:
    """The open headings; a kind's depth is fixed when the document first uses it."""

    def __init__(self) -> None:
        self.depth: dict[str, int] = {}
        self.stack: list[tuple[int, str]] = []

    def accepts(self, kind: str) -> bool:
        in_article = any(k == self.depth.get("article") for k, _ in self.stack)
        return not in_article or kind in STRUCTURAL

    def open(self, kind: str, label: str) -> None:
        if kind not in self.depth:
            self.depth[kind] = (self.stack[-1][0] + 1) if self.stack else 0
        level = self.depth[kind]
        self.stack = [h for h in self.stack if h[0] < level]
        self.stack.append((level, label))

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(label for _, label in self.stack)


def _blocks(lines: list[_Line], title: str) -> list[_Block]:
    outline = _Outline()
    blocks: list[_Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        head = heading_label(line.text)
        is_title = i < 3 and (_same(line.text, title) or line.text.startswith("# "))
        if head and (is_title or not outline.accepts(head[0])):
            head = None
        if head:
            outline.open(*head)
        path = outline.path
        # A run of ≥6 short cell lines is a table: keep it whole with its caption.
        run = i + (1 if head else 0)
        j = run
        while j < len(lines) and _is_cell(lines[j].text):
            j += 1
        if j - run >= 6:
            blocks.append(_Block(path, lines[i:j], kind="table"))
            i = j
            continue
        if head:
            blocks.append(_Block(path, [line], heading_only=True))
        elif blocks and blocks[-1].path == path and blocks[-1].kind == "text":
            blocks[-1].lines.append(line)
            blocks[-1].heading_only = False
        else:
            blocks.append(_Block(path, [line]))
        i += 1
    return blocks


def _same(a: str, b: str) -> bool:
    norm = re.compile(r"[\W_#]+")
    return bool(b) and norm.sub("", a) == norm.sub("", b)


def _drop_bare_headings(blocks: list[_Block]) -> list[_Block]:
    """A heading with no body of its own lives on in its children's section path."""
    kept = []
    for k, block in enumerate(blocks):
        nxt = blocks[k + 1] if k + 1 < len(blocks) else None
        if block.heading_only and len(block.lines) == 1 and nxt is not None and \
                len(nxt.path) > len(block.path) and nxt.path[: len(block.path)] == block.path:
            continue
        kept.append(block)
    return kept


def _split(lines: list[_Line], max_chars: int) -> list[tuple[int, int]]:
    """Spans (start, end) of pieces no longer than ``max_chars`` where possible,
    cut at line ends first and at sentence ends inside long lines."""
    units: list[tuple[int, int]] = []
    for line in lines:
        if len(line.text) <= max_chars:
            units.append((line.start, line.end))
            continue
        pos = line.start
        for sentence in SENTENCE_END.split(line.text):
            if sentence:
                units.append((pos, pos + len(sentence)))
                pos += len(sentence)
    pieces: list[tuple[int, int]] = []
    for start, end in units:
        if pieces and end - pieces[-1][0] <= max_chars:
            pieces[-1] = (pieces[-1][0], end)
        else:
            pieces.append((start, end))
    return pieces


def chunk_document(
    doc_id: str, text: str, title: str = "", max_chars: int = 360, min_chars: int = 60
) -> list[ChunkDraft]:
    """Cut a cleaned document into chunks with section paths and stable ids."""
    drafts: list[tuple[str, int, int, str]] = []
    for block in _drop_bare_headings(_blocks(_lines(text), title)):
        section = " › ".join(block.path)
        if block.kind == "table":
            drafts.append((section, block.lines[0].start, block.lines[-1].end, "table"))
            continue
        spans = _split(block.lines, max_chars)
        if len(spans) > 1 and spans[-1][1] - spans[-1][0] < min_chars:
            spans[-2:] = [(spans[-2][0], spans[-1][1])]
        drafts.extend((section, s, e, "text") for s, e in spans)

    chunks: list[ChunkDraft] = []
    seen: dict[str, int] = {}
    for ordinal, (section, start, end, kind) in enumerate(drafts):
        body = text[start:end]
        digest = hashlib.sha1(f"{section}\n{body}".encode()).hexdigest()[:10]
        seen[digest] = seen.get(digest, 0) + 1
        suffix = "" if seen[digest] == 1 else f"-{seen[digest]}"
        chunks.append(ChunkDraft(f"{doc_id}:{digest}{suffix}", ordinal, section, start, end,
                                 kind, body))
    return chunks
