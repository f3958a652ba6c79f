"""Text forms for matching: the search form, the script of a text, and the eval form.

Policy texts arrive in Simplified and Traditional characters, sometimes with Taiwan
wording (``最佳化`` for ``优化``) and with pinyin annotations (``業(yè)``). Indexing and
querying must map all of these onto one form, or a Simplified question never finds a
Traditional passage. Converters are built once per process: building one costs about a
millisecond, which adds up when every query and every chunk goes through here.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Literal

import opencc
import yaml

Script = Literal["zh-Hans", "zh-Hant"]

WORDING_FILE = Path(__file__).with_name("lexicon") / "wording.yaml"

# Tone-marked vowels: an annotation needs at least one, so legit Latin in parentheses
# such as ``(中國)``, ``(X)`` or ``(app)`` is never mistaken for pinyin.
TONE_MARKS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
PINYIN_LETTERS = "a-zü" + TONE_MARKS
CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"

_SYLLABLE = f"[{PINYIN_LETTERS}]{{1,7}}"
PINYIN_ANNOTATION = re.compile(
    rf"(?<=[{CJK_CHARS}])[(（]"
    rf"(?=[{PINYIN_LETTERS} ]*[{TONE_MARKS}])"
    rf"{_SYLLABLE}(?: {_SYLLABLE}){{0,3}}"
    r"[)）]"
)

_converters: dict[str, opencc.OpenCC] = {}


def converter(config: str) -> opencc.OpenCC:
    """One OpenCC converter per config for the whole process."""
    conv = _converters.get(config)
    if conv is None:
        conv = _converters[config] = opencc.OpenCC(config)
    return conv


def strip_pinyin(s: str) -> str:
    """Delete pinyin annotations written after a character: ``業(yè)`` → ``業``."""
    return PINYIN_ANNOTATION.sub("", s)


def find_pinyin(s: str) -> list[re.Match[str]]:
    """The pinyin annotations in ``s``, for cleaning to report what it deletes."""
    return list(PINYIN_ANNOTATION.finditer(s))


class Wording:
    """Taiwan → mainland wording applied after ``t2s``, longest phrase first.

    ``keep`` phrases map to themselves: they stop a shorter entry from firing inside
    them (``生产线上`` must not become ``生产在线``).
    """

    def __init__(self, replace: dict[str, str], keep: list[str]) -> None:
        self.table = {**replace, **{k: k for k in keep}}
        keys = sorted(self.table, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, keys))) if keys else None

    def apply(self, s: str) -> str:
        if self.pattern is None:
            return s
        return self.pattern.sub(lambda m: self.table[m.group(0)], s)


@lru_cache(maxsize=1)
def wording() -> Wording:
    """The wording table from ``lexicon/wording.yaml`` (data, so it can grow without code)."""
    data = yaml.safe_load(WORDING_FILE.read_text(encoding="utf-8")) or {}
    replace: dict[str, str] = {}
    for section in data.get("replace", {}).values():
        replace.update(section or {})
    return Wording(replace, list(data.get("keep") or []))


def normal_form(text: str) -> str:
    """``search_text`` without lower-casing: what readers of a worker's words match on.

    Interests such as "PLC编程" keep their case.
    """
    s = unicodedata.normalize("NFKC", text or "")
    return wording().apply(converter("t2s").convert(s))


def search_text(s: str) -> str:
    """The form used for indexing and querying: NFKC, Simplified, mainland wording, lowercase.

    Plain ``t2s`` plus our own table rather than OpenCC ``tw2sp``: ``tw2sp`` rewrites
    common words (建立→创建, 新增→添加, 指标→指针, 整合→集成, 档案→文件) and only fires on
    Traditional input, so a Simplified query and a Traditional passage with the same
    word would end up different. The table is keyed on Simplified forms, so both
    scripts go through exactly the same rules, and the result is idempotent.
    """
    s = unicodedata.normalize("NFKC", s)
    s = converter("t2s").convert(s)
    s = wording().apply(s)
    return s.lower()


def _changed_chars(s: str, config: str) -> int:
    """How many characters of ``s`` the converter changes."""
    converted = converter(config).convert(s)
    if len(converted) == len(s):
        return sum(a != b for a, b in zip(s, converted, strict=True))
    conv = converter(config)
    return sum(conv.convert(ch) != ch for ch in s)


def detect_script(s: str) -> Script:
    """``zh-Hant`` when more characters are Traditional-only than Simplified-only."""
    traditional = _changed_chars(s, "t2s")
    simplified = _changed_chars(s, "s2t")
    return "zh-Hant" if traditional > simplified else "zh-Hans"


def to_script(s: str, script: Script) -> str:
    """Convert for display in the reader's script, keeping the policy's own wording.

    Traditional uses ``s2tw``: the glyphs readers in Taiwan and Hong Kong use every day
    (為, 裡, 群眾) without ``s2twp``'s vocabulary rewriting, which would turn the
    programme name 互联网+ into 網際網路+ and 数据 into 資料 inside quoted policy text.
    Plain ``s2t`` gives OpenCC's etymological forms (爲, 裏, 羣) that look dated.
    """
    if script == "zh-Hant":
        return converter("s2tw").convert(s)
    if script == "zh-Hans":
        return converter("t2s").convert(s)
    raise ValueError(f"unknown script: {script!r}")


def eval_normalize(s: str) -> str:
    """Exactly the eval README's ``normalize``: pinyin out, t2s, NFKC, letters and digits."""
    s = strip_pinyin(s)
    s = converter("t2s").convert(s)
    s = unicodedata.normalize("NFKC", s)
    return "".join(ch for ch in s if ch.isalnum())
