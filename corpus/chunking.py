"""Structure-aware chunking: headings become a section path on every chunk.

Policy documents number their parts (``第X章``, ``一、``, ``（一）``, ``专栏N``, ``1.``,
``第X条``); a chunk that carries that path can be cited as "四、… › （十一）… › 专栏5"
and retrieval sees the heading words too. Chunks keep offsets into the cleaned text,
and tables (runs of short cell lines) stay whole so an indicator is never cut from its
figure; a table read from Word (one 「列名：值；…」 line a row) is cut between rows, each
piece under the table's caption, so a 补贴标准 row is found by its own words.

An attachment (附件1 …) starts a section of its own at the top of the path. What frames a
公文 but answers nothing — the 「…文件」 masthead, the issuer-and-date signature,
「（此件主动公开）」, 抄送 and 印发 lines — stays in the stored text but becomes no chunk
(``CLOSING``): the index is built from chunks, and a signature is never an answer.
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
    ("annex", re.compile(r"^附件\s*\d{0,2}\s*$|^附件\s*\d{1,2}\s*[:：]\s*[^。；]{1,40}$")),
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
STRUCTURAL = {"annex", "chapter", "section", "article"}
# A table row as the Word loader writes it: two or more 「列名：值」 pairs.
ROW = re.compile(r"^[^：；]{1,24}：[^；]{0,120}(?:；[^：；]{1,24}：[^；]{0,120})+$")
# Non-content lines of a 公文 (see the module docstring).
# 附件说明: 「附件：1. …」 and the numbered titles under it list attachments, answer nothing.
ANNEX_LIST = re.compile(r"^附件\s*[:：]\s*\d{1,2}\s*[.．、]")
ANNEX_LIST_ITEM = re.compile(r"^\d{1,2}\s*[.．、][^。；]{1,40}$")
# The red 「…文件」 masthead only: the 文号 under it is asked about (「文号是什么」), it stays.
MASTHEAD = re.compile(r"^.{2,40}文件$")
MASTHEAD_LINES = 5
CLOSING_LINE = re.compile(r"^(?:抄送|抄报|主送|印发)[:：].*"
                          r"|^.{0,40}\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*印发$"
                          r"|^[（(]此件.{0,16}[）)]$")
CN_DAY = r"[\d一二三四五六七八九十]{1,3}"
SIGN_DATE = re.compile(rf"^(?:\d{{4}}|[〇○零一二三四五六七八九]{{4}})\s*年\s*{CN_DAY}\s*月"
                       rf"\s*{CN_DAY}\s*日$")
ISSUER = re.compile(r"^[\u4e00-\u9fff（）()]{2,30}"
                    r"(?:厅|局|部|委|委员会|政府|办公室|办公厅|院|会|中心|联合会|公司|集团|署|办)$")
MAX_SIGNERS = 4
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
    kind: str = "text"  # "text" | "table" (whole) | "rows" (cut between rows) | "closing"
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
            if kind == "annex":
                return kind, re.sub(r"\s+", "", bare)
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
    return len(line) <= 40 and not re.search(r"[。；;]$", line) and \
        heading_label(line) is None and not ROW.match(line)


class _Outline:
    """The open headings; a kind's depth is fixed when the document first uses it."""

    def __init__(self) -> None:
        self.depth: dict[str, int] = {}
        self.stack: list[tuple[int, str]] = []

    def accepts(self, kind: str) -> bool:
        in_article = any(k == self.depth.get("article") for k, _ in self.stack)
        return not in_article or kind in STRUCTURAL

    def open(self, kind: str, label: str) -> None:
        if kind == "annex":  # an attachment is a document of its own
            self.depth[kind] = 0
        if kind not in self.depth:
            self.depth[kind] = (self.stack[-1][0] + 1) if self.stack else 0
        level = self.depth[kind]
        self.stack = [h for h in self.stack if h[0] < level]
        self.stack.append((level, label))

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(label for _, label in self.stack)


def closing_lines(lines: list[_Line]) -> set[int]:
    """Indexes of the non-content lines: the masthead at the top, each date standing
    alone with the issuer lines just above it, 此件公开, 抄送 and 印发 lines."""
    out: set[int] = set()
    for i, line in enumerate(lines):
        if (i < MASTHEAD_LINES and MASTHEAD.match(line.text)) or CLOSING_LINE.match(line.text):
            out.add(i)
        elif ANNEX_LIST.match(line.text):
            out.add(i)
            k = i + 1
            while k < len(lines) and ANNEX_LIST_ITEM.match(lines[k].text):
                out.add(k)
                k += 1
        elif SIGN_DATE.match(line.text) and _ends_the_body(lines, i + 1):
            out.add(i)
            k = i - 1
            while k >= 0 and i - k <= MAX_SIGNERS and _is_issuer(lines[k].text):
                out.add(k)
                k -= 1
    return out


def _ends_the_body(lines: list[_Line], after: int) -> bool:
    """A signature closes the text when only 此件公开/抄送/印发 lines, an attachment or the
    end follow; a 印发通知's signature followed by the plan it sends is kept (its date is
    asked about: 「印发日期是什么」)."""
    if after >= len(lines):
        return True
    nxt = lines[after].text
    head = heading_label(nxt)
    return bool(CLOSING_LINE.match(nxt)) or (head is not None and head[0] == "annex")


def _is_issuer(text: str) -> bool:
    return all(ISSUER.match(part) for part in text.split())


def _is_caption(text: str) -> bool:
    return len(text) <= 40 and not re.search(r"[。；;，,]", text) and \
        heading_label(text) is None and not ROW.match(text)


def _blocks(lines: list[_Line], title: str) -> list[_Block]:
    outline = _Outline()
    blocks: list[_Block] = []
    closing = closing_lines(lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        if i in closing:
            blocks.append(_Block(outline.path, [line], kind="closing"))
            i += 1
            continue
        head = heading_label(line.text)
        is_title = i < 6 and (_same(line.text, title) or line.text.startswith("# "))
        if head and (is_title or not outline.accepts(head[0])):
            head = None
        taken = 1 if head else 0
        if head and head[0] == "annex" and i + 1 < len(lines) and i + 1 not in closing \
                and head[1] == line.text and _is_caption(lines[i + 1].text):
            head = ("annex", f"{line.text}：{lines[i + 1].text}")  # 附件1 + its title line
            taken = 2
        if head:
            outline.open(*head)
        path = outline.path
        # Rows read from a Word table: cut between rows, each piece under the caption.
        at = i + taken
        caption = at < len(lines) and at not in closing and _is_caption(lines[at].text)
        j = run = at + 1 if caption else at
        while j < len(lines) and j not in closing and ROW.match(lines[j].text):
            j += 1
        if j - run >= 2:
            label = (_label(lines[at].text),) if caption else ()
            blocks.append(_Block(path + label, lines[i:j], kind="rows"))
            i = j
            continue
        # A run of ≥6 short cell lines is a table: keep it whole with its caption.
        run = i + taken
        j = run
        while j < len(lines) and _is_cell(lines[j].text):
            j += 1
        if j - run >= 6:
            blocks.append(_Block(path, lines[i:j], kind="table"))
            i = j
            continue
        if head:
            blocks.append(_Block(path, lines[i:i + taken], heading_only=True))
            i += taken
            continue
        if blocks and blocks[-1].path == path and blocks[-1].kind == "text":
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
        if block.heading_only and len(block.lines) <= 2 and _bare(block.lines[0].text) and \
                nxt is not None and \
                len(nxt.path) > len(block.path) and nxt.path[: len(block.path)] == block.path:
            continue
        kept.append(block)
    return kept


def _bare(line: str) -> bool:
    """A heading line with nothing after its label: "（一）登记失业人员。在本市……" has a
    paragraph of its own, and dropping it would lose that paragraph."""
    text = MARKDOWN_HEADING.sub("", line)
    return len(text) <= len(_label(text)) + 1


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
    doc_id: str, text: str, title: str = "", max_chars: int = 360, min_chars: int = 60,
    *, keep_closing: bool = False,
) -> list[ChunkDraft]:
    """Cut a cleaned document into chunks with section paths and stable ids.

    Non-content lines (signature, 抄送, masthead: ``closing_lines``) become no chunk, so
    they are never indexed or cited; ``keep_closing`` returns them too, as kind
    ``closing``, for inspection."""
    drafts: list[tuple[str, int, int, str]] = []
    for block in _drop_bare_headings(_blocks(_lines(text), title)):
        section = " › ".join(block.path)
        if block.kind == "closing":
            if keep_closing:
                drafts.append((section, block.lines[0].start, block.lines[-1].end, "closing"))
            continue
        if block.kind == "rows":
            drafts.extend((section, s, e, "table") for s, e in _split(block.lines, max_chars))
            continue
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
