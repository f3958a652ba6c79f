"""Remove what is not the policy from a loaded text, and say what was removed.

Scraped policy texts carry pinyin annotations, mis-decoded spans, copyright footers,
wiki chrome and repeated titles. Each is handled by one small step; ``clean_text`` runs
them in order. Every deletion is recorded in ``CleanResult.dropped`` so nothing
disappears silently. Cleaning never changes the document's script or wording: the
Traditional seed stays Traditional, and what remains is the document's own text.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from corpus.normalize import CJK_CHARS, PINYIN_LETTERS, TONE_MARKS, find_pinyin
from corpus.page_layout import unpage

BOILERPLATE_FILE = Path(__file__).with_name("lexicon") / "boilerplate.yaml"


@dataclass(frozen=True)
class Dropped:
    """One removed line or span. ``replacement`` is what took its place (repairs only)."""

    reason: str
    text: str
    replacement: str = ""


@dataclass
class CleanResult:
    text: str
    dropped: list[Dropped] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        """Drops per reason, for reports."""
        return Counter(d.reason for d in self.dropped)


Step = Callable[[str, list[Dropped]], str]


def clean_text(text: str) -> CleanResult:
    """Run every cleaning step in order; the order matters (see ``STEPS``)."""
    dropped: list[Dropped] = []
    for step in STEPS:
        text = step(text, dropped)
    return CleanResult(text=text, dropped=dropped)


# --- character-level steps ---------------------------------------------------------

INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]+")
MARKUP_COMMENT = re.compile(r"<!--.*?-->", re.S)


def normalize_newlines(text: str, dropped: list[Dropped]) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def drop_invisible_chars(text: str, dropped: list[Dropped]) -> str:
    """Zero-width characters split words for search without showing on screen."""
    return _drop_matches(INVISIBLE, text, dropped, "invisible_char")


def drop_markup_comments(text: str, dropped: list[Dropped]) -> str:
    """``<!-- INFO END -->`` markers in the law files are markup, not law."""
    return _drop_matches(MARKUP_COMMENT, text, dropped, "markup_comment")


def drop_page_chrome(text: str, dropped: list[Dropped]) -> str:
    """A PDF's running headers, footers and page numbers; lines the page width broke are
    joined (``corpus.page_layout``). Only text with page breaks (a PDF's) is touched."""
    text, removed = unpage(text)
    dropped.extend(Dropped(reason, line) for reason, line in removed)
    return text


def strip_pinyin_annotations(text: str, dropped: list[Dropped]) -> str:
    """``就業(yè)創業`` → ``就業創業``; legit parentheses such as ``(中國)`` stay."""
    matches = find_pinyin(text)
    dropped.extend(Dropped("pinyin", m.group(0)) for m in matches)
    return _cut(text, ((m.start(), m.end()) for m in matches))


def _drop_matches(pattern: re.Pattern[str], text: str, dropped: list[Dropped],
                  reason: str) -> str:
    matches = list(pattern.finditer(text))
    dropped.extend(Dropped(reason, m.group(0)) for m in matches)
    return _cut(text, ((m.start(), m.end()) for m in matches))


def _cut(text: str, spans: Iterable[tuple[int, int]]) -> str:
    pieces, pos = [], 0
    for start, end in spans:
        pieces.append(text[pos:start])
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


# --- mojibake ----------------------------------------------------------------------
#
# Seed 001's garbled spans are GBK bytes of the right text decoded one byte out of
# phase (“專項行動計劃” = a1b0 8ca3 ed97 …, read as b08c a3ed 97d0 … = 皩ｍ椥…), then
# NFKC-folded (ｍ → m), with pinyin fragments such as ``yōu)`` glued in and the bytes at
# the edges lost as ``?``. A repair re-encodes a run to GBK and decodes it again one byte
# later; the classic UTF-8-read-as-GBK mojibake (鍦ㄧ嚎 → 在线) is tried as well. A
# repair is accepted only when it yields ordinary characters; what cannot be repaired
# is dropped, but only where at least two independent signs of corruption agree.

DANGLING_PINYIN = re.compile(
    rf"(?<![(（A-Za-z{TONE_MARKS}])[{PINYIN_LETTERS}]{{0,6}}[{TONE_MARKS}]"
    rf"[{PINYIN_LETTERS}]{{0,6}}\)"
)
LOST_CHAR = "?\ufffd"
CP936_SINGLE_BYTES = {"€": b"\x80"}  # Windows' GBK decodes 0x80 as the euro sign
SEED_SYMBOLS = set("\ufffd€") | {chr(c) for c in range(0x80, 0xA0)}
CLUSTER_GAP = 3
MAX_GROW = 12
MAX_RUN = 64
HARD_SIGN = re.compile(f"[{LOST_CHAR}€\x80-\x9f]|{DANGLING_PINYIN.pattern}")
SEPARATOR = re.compile(r"[\s,，。、;；:：]")
MIN_REPAIRED_CJK = 2
MIN_GAIN = 2


def repair_mojibake(text: str, dropped: list[Dropped]) -> str:
    """Repair or drop garbled spans; each one is recorded with reason ``mojibake``."""
    counts = Counter(text)
    pieces, pos = [], 0
    for start, end, seeds in _seed_clusters(text):
        start, end = _grow_span(text, start, end, counts)
        if start < pos:
            continue
        replacement, repaired = _repair_span(text[start:end], counts)
        if not repaired and (seeds < 2 or not HARD_SIGN.search(text[start:end])):
            continue  # rare characters alone may be real; dropping needs lost bytes too
        start, end, replacement = _shrink_to_change(text, start, end, replacement)
        pieces += [text[pos:start], replacement]
        pos = end
        dropped.append(Dropped("mojibake", text[start:end], replacement))
    pieces.append(text[pos:])
    return "".join(pieces)


def _shrink_to_change(text: str, start: int, end: int, new: str) -> tuple[int, int, str]:
    """Leave genuine characters that a repair kept out of the recorded span."""
    while start < end and new and text[start] == new[0]:
        start, new = start + 1, new[1:]
    while start < end and new and text[end - 1] == new[-1]:
        end, new = end - 1, new[:-1]
    return start, end, new


def _seed_clusters(text: str) -> list[tuple[int, int, int]]:
    """Spans of nearby corruption signs: rare characters, lost bytes, orphan pinyin."""
    seeds = sorted(
        [(m.start(), m.end()) for m in DANGLING_PINYIN.finditer(text)]
        + [(i, i + 1) for i, ch in enumerate(text) if _is_seed(ch)]
    )
    clusters: list[tuple[int, int, int]] = []
    for start, end in seeds:
        if clusters:
            c_start, c_end, n = clusters[-1]
            gap = text[c_end:start]
            if len(gap) <= CLUSTER_GAP and not SEPARATOR.search(gap):
                clusters[-1] = (c_start, max(c_end, end), n + 1)
                continue
        clusters.append((start, end, 1))
    return clusters


def _grow_span(text: str, start: int, end: int, counts: Counter[str]) -> tuple[int, int]:
    """Widen a cluster to the garble around it.

    A garbled run ends where bytes were lost, so a ``?`` is taken in but never crossed;
    otherwise only characters found nowhere else in the document are taken, and real text
    among them is given back by ``_repair_run``, which keeps ordinary edges as they are.
    """
    return _grow(text, start, -1, counts), _grow(text, end, +1, counts)


def _grow(text: str, edge: int, step: int, counts: Counter[str]) -> int:
    taken = 0
    while True:
        nxt = edge - 1 if step < 0 else edge
        if not 0 <= nxt < len(text):
            return edge
        ch = text[nxt]
        if ch in LOST_CHAR:
            return edge + step
        if _is_seed(ch):
            edge += step
        elif taken < MAX_GROW and _garble_capable(ch) and counts[ch] == 1:
            edge += step
            taken += 1
        elif _bridge(ch) and 0 <= nxt + step < len(text) and (
            text[nxt + step] in LOST_CHAR or _is_seed(text[nxt + step])
        ):
            edge += step
        else:
            return edge


def _garble_capable(ch: str) -> bool:
    """Mis-decoded GBK yields CJK, kana, bopomofo, Greek, box drawing: anything non-ASCII."""
    return not ch.isascii() and not ch.isspace() and not SEPARATOR.match(ch)


def _is_seed(ch: str) -> bool:
    return ch in SEED_SYMBOLS or _is_rare(ch)


def _bridge(ch: str) -> bool:
    """ASCII that NFKC made of a fullwidth garble character (ｍ → m, ！ → !)."""
    return ch.isascii() and (ch.isalpha() or ch in "!#$%&*+<=>@^_`|~")


def _repair_span(span: str, counts: Counter[str]) -> tuple[str, int]:
    """The span with lost-byte marks and orphan pinyin removed and garbled runs re-decoded.

    Returns the replacement and how many runs were repaired. A run with a rare character
    that cannot be repaired is dropped; one made of ordinary characters is re-decoded
    only next to lost bytes, and kept as it is when that does not clearly help.
    """
    body = DANGLING_PINYIN.sub("\ufffd", span)
    near_lost_bytes = bool(HARD_SIGN.search(span))
    outside = counts - Counter(span)
    pieces, repaired = [], 0
    for run in re.split(f"[{LOST_CHAR}]+", body):
        seeded = any(map(_is_seed, run))
        fixed = _repair_run(run, outside, seeded=seeded) if seeded or near_lost_bytes else None
        if fixed is not None:
            pieces.append(fixed)
            repaired += 1
        elif seeded:
            pieces.append(_ordinary_edges(run, outside))
        else:
            pieces.append(run)
    return "".join(pieces), repaired


def _ordinary_edges(run: str, vocab: Counter[str]) -> str:
    """What to keep of an unrepairable run: ordinary characters before and after the garble."""
    bad = [i for i, ch in enumerate(run) if _is_seed(ch) or not _ordinary(ch, vocab)]
    return run[: bad[0]] + run[bad[-1] + 1:] if bad else run


def _repair_run(run: str, vocab: Counter[str], *, seeded: bool) -> str | None:
    """Best re-decoding of some stretch of the run; the rest is kept if it is ordinary text.

    Growth may have taken genuine characters next to the garble, so every sub-range is
    tried as the garbled core (runs are a few dozen characters at most).
    """
    best: tuple[int, str] | None = None
    for start, end in _sub_ranges(len(run)):
        head, core, tail = run[:start], run[start:end], run[end:]
        if not all(_ordinary(ch, vocab) for ch in head + tail):
            continue
        for decoded in _redecodings(core):
            if _better_reading(core, decoded, vocab, seeded=seeded):
                score = sum(map(_is_cjk, decoded)) * 10 - len(head) - len(tail)
                if best is None or score > best[0]:
                    best = (score, head + decoded + tail)
    return best[1] if best else None


def _sub_ranges(n: int) -> Iterable[tuple[int, int]]:
    if n > MAX_RUN:
        yield 0, n
        return
    for start in range(n):
        for end in range(start + 1, n + 1):
            yield start, end


def _better_reading(core: str, decoded: str, vocab: Counter[str], *, seeded: bool) -> bool:
    """Ordinary characters only, and more familiar than the garble; clearly more for a
    run without rare characters (everyday GB2312 characters garbled into each other)."""
    if not _plausible_repair(decoded, vocab):
        return False
    gain = _familiarity(decoded, vocab) - _familiarity(core, vocab)
    return gain >= (1 if seeded else MIN_GAIN)


def _familiarity(s: str, vocab: Counter[str]) -> int:
    """2 per character the document uses elsewhere, 1 per everyday character."""
    return sum(2 if vocab[ch] > 0 else int(_is_common(ch)) for ch in s if _is_cjk(ch))


def _redecodings(run: str) -> Iterable[str]:
    """Candidate originals: GBK read one byte late, and UTF-8 read as GBK."""
    variants = [_gbk_bytes(run, fullwidth=True), _gbk_bytes(run, fullwidth=False)]
    for raw in dict.fromkeys(v for v in variants if v is not None):
        shifted = _decode_prefix(raw[1:], "gbk")
        if shifted:
            yield shifted
        utf8 = _decode_prefix(raw.lstrip(bytes(range(0x80, 0xC0))), "utf-8")
        if utf8:
            yield utf8


def _gbk_bytes(run: str, *, fullwidth: bool) -> bytes | None:
    out = bytearray()
    for ch in run:
        if ch in CP936_SINGLE_BYTES:
            out += CP936_SINGLE_BYTES[ch]
            continue
        if fullwidth and "!" <= ch <= "~":
            ch = chr(ord(ch) + 0xFEE0)
        try:
            out += ch.encode("gbk")
        except UnicodeEncodeError:
            return None
    return bytes(out)


def _decode_prefix(raw: bytes, encoding: str) -> str:
    """Decode, leaving out an incomplete character at the end; '' when bytes are invalid."""
    try:
        return codecs.getincrementaldecoder(encoding)().decode(raw, final=False)
    except UnicodeDecodeError:
        return ""


def _plausible_repair(decoded: str, vocab: Counter[str]) -> bool:
    cjk = [ch for ch in decoded if _is_cjk(ch)]
    if len(cjk) < MIN_REPAIRED_CJK:
        return False
    return all(_ordinary(ch, vocab) for ch in decoded)


def _plausible(ch: str, vocab: Counter[str]) -> bool:
    """A character the document uses elsewhere, or one of the everyday ones."""
    if _is_cjk(ch):
        return vocab[ch] > 0 or _is_common(ch)
    return ch.isascii() and ch.isalnum()


def _ordinary(ch: str, vocab: Counter[str]) -> bool:
    return _plausible(ch, vocab) or _is_punct(ch)


def _is_punct(ch: str) -> bool:
    return ch in "“”‘’《》〈〉「」『』、，。；：！？（）【】—…·"


def _is_cjk(ch: str) -> bool:
    return bool(CJK_RE.fullmatch(ch))


CJK_RE = re.compile(f"[{CJK_CHARS}]")


@lru_cache(maxsize=65536)
def _is_rare(ch: str) -> bool:
    """Outside GB2312 and Big5 level 1: rare in real text, frequent in garbled output."""
    if not _is_cjk(ch):
        return False
    return not (_encodable(ch, "gb2312") or _in_big5_level1(ch))


@lru_cache(maxsize=65536)
def _is_common(ch: str) -> bool:
    """GB2312 level 1 or Big5 level 1: the characters everyday text is made of."""
    try:
        if 0xB0 <= ch.encode("gb2312")[0] <= 0xD7:
            return True
    except UnicodeEncodeError:
        pass
    return _in_big5_level1(ch)


def _in_big5_level1(ch: str) -> bool:
    try:
        return 0xA440 <= int.from_bytes(ch.encode("big5"), "big") <= 0xC67E
    except UnicodeEncodeError:
        return False


def _encodable(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


# --- line-level steps ---------------------------------------------------------------


@dataclass(frozen=True)
class Boilerplate:
    lines: list[tuple[str, re.Pattern[str]]]
    tail_lines: int
    title: re.Pattern[str]
    url: re.Pattern[str]
    source: re.Pattern[str]
    web_address: re.Pattern[str]


@lru_cache(maxsize=1)
def boilerplate() -> Boilerplate:
    """Patterns from ``lexicon/boilerplate.yaml``: data, so new sites need no code."""
    data = yaml.safe_load(BOILERPLATE_FILE.read_text(encoding="utf-8"))
    lines = [(reason, re.compile(p)) for reason, pats in data["lines"].items() for p in pats]
    footer = data["page_footer"]
    return Boilerplate(
        lines=lines,
        tail_lines=int(footer["tail_lines"]),
        title=re.compile(footer["title"]),
        url=re.compile(footer["url"]),
        source=re.compile(footer["source"]),
        web_address=re.compile(footer["web_address"]),
    )


def boilerplate_reason(line: str) -> str | None:
    """Why a line is boilerplate, or None when it is content."""
    stripped = line.strip()
    for reason, pattern in boilerplate().lines:
        if pattern.fullmatch(stripped):
            return reason
    return None


def drop_boilerplate_lines(text: str, dropped: list[Dropped]) -> str:
    """Copyright and licence footers, site navigation, reading-time banners, wiki labels."""
    kept = []
    for line in text.split("\n"):
        reason = boilerplate_reason(line) if line.strip() else None
        if reason:
            dropped.append(Dropped(reason, line.strip()))
        else:
            kept.append(line)
    return "\n".join(kept)


def drop_page_footer(text: str, dropped: list[Dropped]) -> str:
    """``标题:…`` + ``地址: http…`` appended by a scraper, and 来源 lines that are URLs.

    A 来源 line naming an organisation (来源:内蒙古自治区人力资源社会保障厅) is kept:
    it tells the reader who issued the text, which users ask about.
    """
    bp = boilerplate()
    lines = text.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    tail = set(filled[-bp.tail_lines:])
    drop: dict[int, str] = {}
    for pos, i in enumerate(filled):
        line = lines[i].strip()
        if i not in tail:
            continue
        nxt = lines[filled[pos + 1]].strip() if pos + 1 < len(filled) else ""
        if _is_page_footer(line, nxt, bp):
            drop[i] = line
    dropped.extend(Dropped("page_footer", line) for line in drop.values())
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def _is_page_footer(line: str, next_line: str, bp: Boilerplate) -> bool:
    if bp.url.fullmatch(line) or (bp.title.fullmatch(line) and bp.url.fullmatch(next_line)):
        return True
    source = bp.source.fullmatch(line)
    return bool(source and bp.web_address.search(source.group("value")))


TOC_SEPARATOR = re.compile(r"[,，]")
TOC_MIN_ITEMS = 4
TOC_MIN_SHARE = 0.6


def drop_toc_lines(text: str, dropped: list[Dropped]) -> str:
    """A run-together contents line: most of its comma-separated items are headings below."""
    lines = text.split("\n")
    others = Counter(line.strip() for line in lines if line.strip())
    kept = []
    for line in lines:
        items = [item.strip() for item in TOC_SEPARATOR.split(line) if item.strip()]
        headed = sum(1 for item in items if others[item] > 0 and item != line.strip())
        if len(items) >= TOC_MIN_ITEMS and headed / len(items) >= TOC_MIN_SHARE:
            dropped.append(Dropped("table_of_contents", line.strip()))
        else:
            kept.append(line)
    return "\n".join(kept)


INFOBOX_LINE = re.compile(r"\s*[•·●▪]?\s*[^:：]{1,8}[:：]\s*(?P<value>.+)")


def drop_repeated_title(text: str, dropped: list[Dropped]) -> str:
    """Later copies of the first line, and an infobox line that only restates it."""
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return text
    title = lines[first].strip()
    kept = lines[: first + 1]
    for line in lines[first + 1:]:
        infobox = INFOBOX_LINE.fullmatch(line)
        if line.strip() == title or (infobox and infobox.group("value").strip() == title):
            dropped.append(Dropped("duplicate_title", line.strip()))
        else:
            kept.append(line)
    return "\n".join(kept)


MIN_DUPLICATE_LEN = 8


def drop_consecutive_duplicates(text: str, dropped: list[Dropped]) -> str:
    """A line repeated right after itself is a scraping artefact (short table cells excepted)."""
    kept: list[str] = []
    previous = None
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped and stripped == previous and len(stripped) >= MIN_DUPLICATE_LEN:
            dropped.append(Dropped("duplicate_line", stripped))
            continue
        kept.append(line)
        if stripped:
            previous = stripped
    return "\n".join(kept)


def tidy_whitespace(text: str, dropped: list[Dropped]) -> str:
    """Strip indentation and trailing blanks; one empty line between paragraphs at most."""
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


# Page chrome first of all, so no later step sees a header in mid-sentence. Mojibake
# next: it reads the raw garble, pinyin fragments included. Pinyin next, so
# line patterns see ``營業執照`` rather than ``營業(yè)執(zhí)照``. Contents lines are
# recognised by the headings they list, before wiki labels (全文) are dropped.
STEPS: list[Step] = [
    normalize_newlines,
    drop_invisible_chars,
    drop_markup_comments,
    drop_page_chrome,
    repair_mojibake,
    strip_pinyin_annotations,
    drop_toc_lines,
    drop_boilerplate_lines,
    drop_page_footer,
    drop_repeated_title,
    drop_consecutive_duplicates,
    tidy_whitespace,
]
