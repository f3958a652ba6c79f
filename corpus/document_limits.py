"""How large a document may become once unpacked, checked before it is parsed.

A .docx is a zip of XML: 1 MB on disk can inflate to gigabytes, and python-docx builds an
lxml tree of all of it (a review saw 1.4 GB grow to 8 GB before the kernel stepped in).
So the zip's central directory is read first (member count, declared sizes, ratio), then
every member is decompressed as a stream and counted — declared sizes can lie — before
python-docx sees a byte. A PDF's page count and extracted text are bounded the same way.
Every refusal is an ``IngestError`` with code ``document_too_large`` and a Chinese message.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from corpus.errors import IngestError
from corpus.settings import Settings, get_settings

STREAM_CHUNK = 1 << 20
# Ratios only matter for members large enough to hurt; tiny XML parts compress freely.
RATIO_FLOOR_BYTES = 1 << 20
PARAGRAPH_TAGS = (b"<w:p>", b"<w:p ")
MAIN_PART = "word/document.xml"


@dataclass(frozen=True)
class DocumentLimits:
    """The ceilings one file must stay under (``JNT_DOC_MAX_*`` settings)."""

    unpacked_bytes: int
    zip_members: int
    compression_ratio: float
    paragraphs: int
    chars: int
    pdf_pages: int

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> DocumentLimits:
        s = settings or get_settings()
        return cls(unpacked_bytes=s.doc_max_unpacked_bytes, zip_members=s.doc_max_zip_members,
                   compression_ratio=s.doc_max_compression_ratio,
                   paragraphs=s.doc_max_paragraphs, chars=s.doc_max_chars,
                   pdf_pages=s.doc_max_pdf_pages)


def too_large(path: Path, what: str, value: float, limit: float, setting: str) -> IngestError:
    return IngestError(
        f"{path.name} 超出了导入限制：{what}（{_fmt(value)}，上限 {_fmt(limit)}）。"
        "文件可能已损坏或被构造过；如确属正常文件，请拆分后再导入，"
        f"或由管理员调大 JNT_{setting.upper()}。",
        code="document_too_large",
        detail={"file": path.name, "limit": setting, "value": value, "max": limit},
    )


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def check_zip(raw: bytes, path: Path, limits: DocumentLimits) -> None:
    """Refuse a zip that unpacks to too much, before any XML parser runs.

    A file that is not a zip at all is left to the format's own reader, which says
    "damaged" in its own words.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    with archive:
        members = archive.infolist()
        if len(members) > limits.zip_members:
            raise too_large(path, "压缩包内文件数过多", len(members), limits.zip_members,
                            "doc_max_zip_members")
        declared = sum(m.file_size for m in members)
        if declared > limits.unpacked_bytes:
            raise too_large(path, "解压后总大小过大（字节）", declared, limits.unpacked_bytes,
                            "doc_max_unpacked_bytes")
        for member in members:
            _check_ratio(path, member.file_size, member.compress_size, limits)
        total = 0
        for member in members:
            total = _stream_member(archive, member, path, limits, total)


def _check_ratio(path: Path, unpacked: int, packed: int, limits: DocumentLimits) -> None:
    if unpacked < RATIO_FLOOR_BYTES:
        return
    ratio = unpacked / max(packed, 1)
    if ratio > limits.compression_ratio:
        raise too_large(path, "压缩比异常（疑似压缩炸弹）", round(ratio, 1),
                        limits.compression_ratio, "doc_max_compression_ratio")


def _stream_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, path: Path,
                   limits: DocumentLimits, total: int) -> int:
    """Decompress one member chunk by chunk, counting real bytes (and paragraphs)."""
    paragraphs = 0
    tail = b""
    size = 0
    try:
        with archive.open(member) as fh:
            while chunk := fh.read(STREAM_CHUNK):
                size += len(chunk)
                total += len(chunk)
                if total > limits.unpacked_bytes:
                    raise too_large(path, "解压后总大小过大（字节）", total,
                                    limits.unpacked_bytes, "doc_max_unpacked_bytes")
                _check_ratio(path, size, member.compress_size, limits)
                if member.filename == MAIN_PART:
                    window = tail + chunk
                    paragraphs += sum(window.count(tag) for tag in PARAGRAPH_TAGS)
                    tail = window[-(len(PARAGRAPH_TAGS[0]) - 1):]
                    if paragraphs > limits.paragraphs:
                        raise too_large(path, "段落数过多", paragraphs, limits.paragraphs,
                                        "doc_max_paragraphs")
    except IngestError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return total  # damaged: python-docx will refuse it with "undecodable"
    return total


def check_pages(pages: int, path: Path, limits: DocumentLimits) -> None:
    if pages > limits.pdf_pages:
        raise too_large(path, "PDF 页数过多", pages, limits.pdf_pages, "doc_max_pdf_pages")


def check_chars(chars: int, path: Path, limits: DocumentLimits) -> None:
    if chars > limits.chars:
        raise too_large(path, "文字量过大（字符）", chars, limits.chars, "doc_max_chars")


def check_text(text: str, path: Path, limits: DocumentLimits) -> None:
    """Characters and lines of the extracted text (every format ends here)."""
    check_chars(len(text), path, limits)
    lines = text.count("\n") + 1
    if lines > limits.paragraphs:
        raise too_large(path, "段落数过多", lines, limits.paragraphs, "doc_max_paragraphs")
