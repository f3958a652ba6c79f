"""Multipart uploads read with the standard library (no python-multipart dependency).

Files are written under ``$JNT_HOME/uploads/<random>/`` with their base names only, so a
job reads them from disk (not from a request's memory) and a name cannot escape the folder.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

from fastapi import Request

from api.fields import bad_char, safe
from corpus.errors import InvalidInput
from corpus.settings import Settings


@dataclass
class Upload:
    folder: Path
    files: list[Path] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


MAX_NAME_CHARS = 200  # documents.filename and programs.source hold 300; leave room
MAX_NAME_BYTES = 255  # what the file system allows for one name (NAME_MAX)


def _safe_name(raw: str) -> str:
    """The upload's own name, refused (400) rather than cleaned when it cannot be a plain
    file name: path parts, control or invalid characters, or a name longer than the
    database column or the file system allows would otherwise fail later, as a 500."""
    shown = safe(raw[:MAX_NAME_CHARS])
    name = raw.strip()
    if "/" in name or "\\" in name:
        raise InvalidInput(f"文件名“{shown}”不能包含路径（/ 或 \\），请只上传文件本身。",
                           code="bad_filename", detail={"reason": "path"})
    reason = bad_char(name)
    if reason:
        raise InvalidInput(f"文件名“{shown}”中{reason}，请改名后重新上传。",
                           code="bad_filename", detail={"reason": "character"})
    if len(name) > MAX_NAME_CHARS or len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise InvalidInput(f"文件名太长（最多 {MAX_NAME_CHARS} 个字符），请改短后重新上传。",
                           code="filename_too_long",
                           detail={"max_chars": MAX_NAME_CHARS, "max_bytes": MAX_NAME_BYTES})
    if not name or name in {".", ".."} or name.startswith("."):
        raise InvalidInput(f"文件名“{shown}”无效。", code="bad_filename",
                           detail={"reason": "empty_or_hidden"})
    return name


async def read_upload(request: Request, settings: Settings) -> Upload:
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise InvalidInput("请用 multipart/form-data 上传文件。", code="not_multipart")
    body = await request.body()
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    upload = Upload(settings.ensure_home() / "uploads" / uuid.uuid4().hex)
    try:
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            payload = part.get_payload(decode=True) or b""
            if filename:
                path = upload.folder / _safe_name(_utf8(filename))
                if path in upload.files:
                    raise InvalidInput(f"文件“{safe(path.name)}”重复上传。",
                                       code="duplicate_file")
                upload.folder.mkdir(parents=True, exist_ok=True)
                path.write_bytes(payload)
                upload.files.append(path)
            elif isinstance(name, str):
                upload.fields[name] = payload.decode("utf-8", "replace")
    except Exception:
        upload.cleanup()
        raise
    if not upload.files:
        raise InvalidInput("没有收到文件。", code="no_files")
    return upload


def _utf8(name: str) -> str:
    """Browsers send UTF-8 file names raw; the parser reads them as surrogate escapes."""
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeError:
        return name


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}
