"""Turn a policy file on disk into plain text plus its metadata.

Every way a file can fail to become text ends in an ``IngestError`` with a Chinese
message the person importing it can act on; nothing here returns half a document.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from corpus.document_limits import (
    DocumentLimits,
    check_chars,
    check_pages,
    check_text,
    check_zip,
)
from corpus.errors import IngestError
from corpus.page_layout import PAGE_BREAK
from corpus.table_rows import grid_lines

FORMATS: dict[str, str] = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".pdf": "pdf",
}
SUPPORTED_LABEL = ".txt、.md、.html/.htm、.docx、.pdf"
SIDECAR_SUFFIX = ".meta.yaml"

# Declared charsets that real Chinese pages use for what is really GB18030.
CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030"}
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)

HTML_DROP_TAGS = ["script", "style", "nav", "header", "footer", "noscript", "template",
                  "iframe", "svg", "form", "button", "select", "head"]
HTML_BLOCK_TAGS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "div", "section",
                   "article", "main", "aside", "blockquote", "pre", "dt", "dd", "table",
                   "caption", "ul", "ol", "dl", "figcaption", "address", "hr"]
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
WRAP_BETWEEN_CJK = re.compile(rf"(?<=[{CJK}])[ \t\r\n]*\n[ \t\r\n]*(?=[{CJK}])")

# Share of control / private-use characters above which "decoded" bytes are garbage.
MAX_JUNK_SHARE = 0.01


@dataclass(frozen=True)
class LoadedFile:
    """A file's text (front matter removed), its metadata, format and raw-bytes hash.

    ``front_matter`` is what the file's author wrote as metadata (YAML front matter of a
    text file); ``detected`` is what was read off a .docx or .pdf's masthead or a web
    page's <title> — a guess, which a sidecar written by the administrator overrides."""

    text: str
    front_matter: dict[str, Any] = field(default_factory=dict)
    fmt: str = "txt"
    raw_sha256: str = ""
    detected: dict[str, Any] = field(default_factory=dict)


def load_file(path: Path, limits: DocumentLimits | None = None) -> LoadedFile:
    """Read any supported file into text; raise ``IngestError`` with a Chinese message.

    ``limits`` (default: the settings') bound what the file may expand to; a .docx's zip
    is measured before python-docx parses it, a PDF's pages before they are read.
    """
    path = Path(path)
    fmt = format_of(path)
    limits = limits or DocumentLimits.from_settings()
    raw = read_bytes(path)
    if not raw.strip():
        raise _empty(path)
    if fmt == "docx":
        check_zip(raw, path, limits)
    if fmt == "pdf":
        text, front_matter = extract_pdf(raw, path, limits)
    else:
        text, front_matter = EXTRACTORS[fmt](raw, path)
    check_text(text, path, limits)
    text = normalize_newlines(text).strip("\n")
    if not text.strip():
        raise _empty(path)
    # what .docx/.pdf mastheads and a web page's <title> say is a guess a sidecar overrides
    guessed = fmt in ("docx", "pdf", "html")
    return LoadedFile(text=text, front_matter={} if guessed else front_matter, fmt=fmt,
                      raw_sha256=hashlib.sha256(raw).hexdigest(),
                      detected=front_matter if guessed else {})


def read_sidecar(path: Path) -> dict[str, Any]:
    """Metadata from ``<file>.meta.yaml`` beside the file, or ``{}`` when there is none."""
    path = Path(path)
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not sidecar.is_file():
        return {}
    text = decode_text(sidecar.read_bytes(), sidecar)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise IngestError(f"元数据文件 {sidecar.name} 不是有效的 YAML，请检查格式。",
                          code="bad_sidecar", detail=str(exc)) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise IngestError(f"元数据文件 {sidecar.name} 应为“键: 值”形式的映射。",
                          code="bad_sidecar", detail={"type": type(data).__name__})
    return data


def format_of(path: Path) -> str:
    """The format name for a file extension; unknown extensions are refused up front."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise IngestError(
            f"不支持的文件类型“{path.suffix or '（无扩展名）'}”：{path.name}。"
            f"目前支持 {SUPPORTED_LABEL}。",
            code="unsupported_type",
            detail={"file": path.name, "supported": sorted(set(FORMATS))},
        )
    return fmt


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise IngestError(f"找不到文件：{path}", code="file_not_found",
                          detail=str(path)) from exc
    except OSError as exc:
        raise IngestError(f"无法读取文件：{path.name}（{exc.strerror}）", code="unreadable",
                          detail=str(path)) from exc


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- plain text and markdown -------------------------------------------------------


def decode_text(raw: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030; binary is refused."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            return _strict_decode(raw, encoding, path).lstrip("\ufeff")
    if b"\x00" in raw:
        raise _undecodable(path, "文件含有二进制内容（NUL 字节）")
    for encoding in ("utf-8", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text
    raise _undecodable(path, "既不是 UTF-8 也不是 GB18030/GBK 编码的文本")


def _strict_decode(raw: bytes, encoding: str, path: Path) -> str:
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _undecodable(path, f"声明为 {encoding} 但内容无法按此解码") from exc
    if not _looks_like_text(text):
        raise _undecodable(path, "内容含大量控制字符，像是二进制文件")
    return text


def _looks_like_text(text: str) -> bool:
    """GB18030 decodes many binary byte soups without error; control chars give them away."""
    if not text:
        return True
    junk = sum(1 for ch in text if _is_junk_char(ch))
    return junk / len(text) <= MAX_JUNK_SHARE


def _is_junk_char(ch: str) -> bool:
    if ch in "\t\n\r\f\v":
        return False
    return unicodedata.category(ch) in ("Cc", "Co", "Cs", "Cn")


FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


def split_front_matter(text: str, path: Path) -> tuple[str, dict[str, Any]]:
    """YAML between leading ``---`` lines becomes metadata and leaves the text."""
    text = normalize_newlines(text)
    match = FRONT_MATTER.match(text)
    if not match:
        return text, {}
    try:
        data = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError as exc:
        raise IngestError(f"{path.name} 开头 --- 之间的元数据不是有效的 YAML，请检查格式。",
                          code="bad_front_matter", detail=str(exc)) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        # A leading horizontal rule pair, not metadata: keep the text as it is.
        return text, {}
    return text[match.end():], data


def extract_plain(raw: bytes, path: Path) -> tuple[str, dict[str, Any]]:
    return split_front_matter(decode_text(raw, path), path)


# --- html ---------------------------------------------------------------------------


def decode_html(raw: bytes, path: Path) -> str:
    """BOM, then the page's own ``<meta charset>``, then UTF-8, then GB18030."""
    if raw.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_text(raw, path)
    declared = _declared_charset(raw)
    candidates = [declared] if declared else []
    candidates += [enc for enc in ("utf-8", "gb18030") if enc != declared]
    for encoding in candidates:
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if _looks_like_text(text):
            return text
    raise _undecodable(path, "网页编码无法识别（试过页面声明的编码、UTF-8、GB18030）")


def _declared_charset(raw: bytes) -> str | None:
    match = META_CHARSET.search(raw[:4096])
    if not match:
        return None
    name = match.group(1).decode("ascii", "ignore").lower()
    name = CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def html_to_text(html: str) -> tuple[str, dict[str, Any]]:
    """Visible content as lines: headings, paragraphs, list items, table rows."""
    from bs4 import BeautifulSoup, Comment

    soup = BeautifulSoup(html, "lxml")
    meta: dict[str, Any] = {}
    title = page_title(soup.title.get_text(strip=True)) if soup.title else None
    if title:
        meta["title"] = title
    for tag in soup.find_all(HTML_DROP_TAGS):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    _collapse_source_whitespace(soup)
    for table in soup.find_all("table"):
        if table.find("table"):  # a layout table around others: its cells are blocks
            continue
        rows = [[c.get_text(" ", strip=True) for c in tr.find_all(["td", "th"], recursive=False)]
                for tr in table.find_all("tr")]
        table.replace_with(soup.new_string("\n" + "\n".join(grid_lines(rows)) + "\n"))
    for cell in soup.find_all(["td", "th"]):
        cell.insert_before(soup.new_string("\n"))
        cell.insert_after(soup.new_string("\n"))
    for br in soup.find_all("br"):
        br.replace_with(soup.new_string("\n"))
    for tag in soup.find_all(HTML_BLOCK_TAGS):
        tag.insert_before(soup.new_string("\n"))
        tag.insert_after(soup.new_string("\n"))
    lines = (" ".join(line.split()) for line in soup.get_text().split("\n"))
    return "\n".join(line for line in lines if line), meta


def page_title(raw: str) -> str | None:
    """A web page's <title> is the document's title plus the site's name
    (关于…的通知_某市人民政府网): the part that reads as a title, else the first part."""
    parts = [p.strip() for p in re.split(r"\s*[_|｜]\s*|\s+[-–—]\s+", raw) if p.strip()]
    return next((p for p in parts if TITLE_LINE.fullmatch(p)), parts[0] if parts else None)


def _collapse_source_whitespace(soup: Any) -> None:
    """Source line breaks are layout, not text: join them the way a browser renders them."""
    from bs4 import NavigableString

    for node in soup.find_all(string=True):
        if type(node) is not NavigableString or node.find_parent("pre"):
            continue
        text = WRAP_BETWEEN_CJK.sub("", str(node))
        text = re.sub(r"\s+", " ", text)
        if text != str(node):
            node.replace_with(soup.new_string(text))


def extract_html(raw: bytes, path: Path) -> tuple[str, dict[str, Any]]:
    return html_to_text(decode_html(raw, path))


# --- docx and pdf -------------------------------------------------------------------


def extract_docx(raw: bytes, path: Path) -> tuple[str, dict[str, Any]]:
    """Body paragraphs and tables in document order (``corpus.docx_text``): Word's
    auto-numbers written out, each table row a 「列名：值；…」 line; headers and footers,
    which repeat on every page, are not read."""
    import docx

    from corpus.docx_text import docx_lines

    try:
        document = docx.Document(io.BytesIO(raw))
    except Exception as exc:  # python-docx raises zipfile/KeyError/ValueError variants
        raise _undecodable(path, "不是有效的 Word（.docx）文件，可能已损坏") from exc
    lines = docx_lines(document)
    return "\n".join(lines), masthead_meta(lines, document.core_properties.title)


# A 公文's first lines: 「…文件」 masthead, 文号, then the title (关于…的通知, …办法).
DOC_NUMBER_LINE = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[［(（]\d{4}[〕\]］)）]\d{1,4}号")
TITLE_LINE = re.compile(r"(?:关于|關於).{2,80}|.{4,60}(?:通知|意见|办法|规定|方案|细则|决定|条例"
                        r"|规划|公告|通告|批复|规则|标准|目录|指引|意見|辦法|規定|細則)")
JUNK_TITLE = re.compile(r"^(?:Microsoft Word|WPS|untitled|文档\d*$|新建)", re.I)
MASTHEAD_LINES = 12


def masthead_meta(lines: list[str], core_title: str | None) -> dict[str, Any]:
    """文号 and title from a 公文's first lines; the file's own title property only when
    the text has none and it is not an editor's placeholder ("Microsoft Word - 附件1")."""
    meta: dict[str, Any] = {}
    head = [line.strip() for line in lines if line.strip()][:MASTHEAD_LINES]
    for line in head:
        if "doc_number" not in meta and DOC_NUMBER_LINE.fullmatch(line):
            meta["doc_number"] = line
        elif "title" not in meta and TITLE_LINE.fullmatch(line) and not line.endswith("文件"):
            meta["title"] = line
    if "title" not in meta and core_title and not JUNK_TITLE.match(core_title.strip()):
        meta["title"] = core_title.strip()
    return meta


def extract_pdf(raw: bytes, path: Path,
                limits: DocumentLimits | None = None) -> tuple[str, dict[str, Any]]:
    """The text layer of every page; a PDF without one is a scan and needs OCR first.

    A table's rows become 「列名：值；…」 lines as a Word table's do (``corpus.pdf_tables``).
    The page count is checked before any page is read, and reading stops as soon as the
    text passes the character limit, so a hostile PDF costs bounded time and memory."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    from corpus.pdf_tables import TableReader

    limits = limits or DocumentLimits.from_settings()
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(f"{path.name} 是加密的 PDF，请先解除密码保护再导入。",
                              code="pdf_encrypted", detail=path.name)
        check_pages(len(reader.pages), path, limits)
        pages: list[str] = []
        chars = 0
        tables = TableReader()  # a table may run on from one page to the next
        for page in reader.pages:
            pages.append(tables.page_text(page))
            chars += len(pages[-1])
            check_chars(chars, path, limits)
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise _undecodable(path, "不是有效的 PDF 文件，可能已损坏") from exc
    # Pages stay apart (form feed) so cleaning can tell a running header from text.
    text = f"\n{PAGE_BREAK}\n".join(page.strip("\n") for page in pages)
    if not text.replace(PAGE_BREAK, "").strip():
        raise IngestError(
            f"{path.name} 中没有可提取的文字，看起来是扫描件（图片）。"
            "请先做文字识别（OCR），或提供 Word/文本版本后再导入。",
            code="pdf_no_text",
            detail={"file": path.name, "pages": len(pages)},
        )
    title = (reader.metadata or {}).get("/Title") if reader.metadata else None
    return text, masthead_meta(text.split("\n"), str(title) if title else None)


EXTRACTORS = {
    "txt": extract_plain,
    "md": extract_plain,
    "html": extract_html,
    "docx": extract_docx,
    "pdf": extract_pdf,
}


def _undecodable(path: Path, why: str) -> IngestError:
    return IngestError(f"无法读取 {path.name} 的文字：{why}。", code="undecodable",
                       detail={"file": path.name})


def _empty(path: Path) -> IngestError:
    return IngestError(f"{path.name} 没有任何文字内容（空文件或只有空白）。",
                       code="empty_document", detail={"file": path.name})
