"""Hostile documents are refused by size before they are parsed: a zip-bomb .docx, a flood
of paragraphs, a PDF with too many pages. The files are built here, small on disk."""

from __future__ import annotations

import functools
import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from corpus.db import Document
from corpus.document_limits import DocumentLimits
from corpus.errors import IngestError
from corpus.library import Library
from corpus.loaders import load_file
from tests.conftest import make_settings

docx = pytest.importorskip("docx")

PARAGRAPH = b"<w:p><w:r><w:t>\xe7\xac\xac\xe4\xb8\x80\xe6\x9d\xa1</w:t></w:r></w:p>"  # 第一条
GENEROUS = DocumentLimits(unpacked_bytes=10**9, zip_members=10**6, compression_ratio=1e9,
                          paragraphs=10**7, chars=10**9, pdf_pages=10**6)


def _limits(**changes: float) -> DocumentLimits:
    return DocumentLimits(**{**GENEROUS.__dict__, **changes})


@functools.cache
def _real_docx_parts() -> tuple[tuple[str, bytes], ...]:
    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("第一条 补贴对象为登记失业人员。")
    document.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return tuple((name, archive.read(name)) for name in archive.namelist())


def _valid_docx_parts() -> dict[str, bytes]:
    """The parts of a real (tiny) .docx, so a hostile one differs only where intended."""
    return dict(_real_docx_parts())


def _write_docx(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def _flooded_docx(path: Path, paragraphs: int) -> Path:
    """word/document.xml with ``paragraphs`` repeated paragraphs (deeply repeated XML)."""
    parts = _valid_docx_parts()
    head, _, _ = parts["word/document.xml"].partition(b"<w:body>")
    parts["word/document.xml"] = (head + b"<w:body>" + PARAGRAPH * paragraphs
                                  + b"</w:body></w:document>")
    return _write_docx(path, parts)


@pytest.fixture()
def never_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The point of the limits: python-docx must not even start on a hostile file."""
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("python-docx parsed a document that should have been refused")

    _real_docx_parts()  # built with the real python-docx before it is replaced
    monkeypatch.setattr(docx, "Document", refuse)


def _refused(path: Path, limits: DocumentLimits | None = None) -> IngestError:
    with pytest.raises(IngestError) as caught:
        load_file(path, limits)
    error = caught.value
    assert error.code == "document_too_large"
    assert path.name in error.message and "上限" in error.message
    assert "Traceback" not in error.message
    return error


def test_zip_bomb_docx_is_refused_by_compression_ratio(tmp_path: Path, never_parsed) -> None:
    # ~5 MB of XML that deflates ~1000:1: the default ratio ceiling (100) stops it.
    path = _flooded_docx(tmp_path / "bomb.docx", 120_000)
    assert path.stat().st_size < 200_000
    error = _refused(path)
    assert error.detail["limit"] == "doc_max_compression_ratio"


def test_unpacked_size_is_checked_before_parsing(tmp_path: Path, never_parsed) -> None:
    path = _flooded_docx(tmp_path / "big.docx", 20_000)
    error = _refused(path, _limits(unpacked_bytes=500_000))
    assert error.detail["limit"] == "doc_max_unpacked_bytes"


def test_too_many_paragraphs_are_counted_while_streaming(tmp_path: Path, never_parsed) -> None:
    path = _flooded_docx(tmp_path / "flood.docx", 5_000)
    error = _refused(path, _limits(paragraphs=1_000))
    assert error.detail["limit"] == "doc_max_paragraphs"
    assert error.detail["value"] > 1_000


def test_too_many_zip_members(tmp_path: Path, never_parsed) -> None:
    parts = _valid_docx_parts()
    parts.update({f"word/media/x{i}.bin": b"x" for i in range(1_100)})
    error = _refused(_write_docx(tmp_path / "members.docx", parts))
    assert error.detail["limit"] == "doc_max_zip_members"


def test_a_normal_docx_still_loads_under_the_defaults(tmp_path: Path) -> None:
    path = _flooded_docx(tmp_path / "ok.docx", 200)
    loaded = load_file(path)
    assert loaded.text.count("第一条") == 200


def test_pdf_pages_are_counted_before_any_page_is_read(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(5):
        writer.add_blank_page(width=200, height=200)
    path = tmp_path / "pages.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    error = _refused(path, _limits(pdf_pages=3))
    assert error.detail["limit"] == "doc_max_pdf_pages"


def test_characters_of_any_format(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("补贴标准。" * 500, encoding="utf-8")
    error = _refused(path, _limits(chars=1_000))
    assert error.detail["limit"] == "doc_max_chars"


def test_ingest_over_the_limit_stores_nothing(tmp_path: Path, never_parsed) -> None:
    """Through the library and its settings (``JNT_DOC_MAX_*``): the whole ingest is
    refused with the code, and neither a row nor an index build is left behind."""
    settings = make_settings(tmp_path / "home", doc_max_paragraphs=1_000)
    library = Library(settings, lambda: pytest.fail("no index may be built"))  # type: ignore[arg-type, return-value]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("第一条 补贴对象为登记失业人员。\n", encoding="utf-8")
    _flooded_docx(folder / "flood.docx", 5_000)
    with pytest.raises(IngestError) as caught:
        library.ingest([folder])
    assert caught.value.code == "document_too_large"
    with library.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 0
    assert library.store.current() is None


def test_a_hostile_upload_fails_its_job_with_the_code(tmp_path: Path, never_parsed) -> None:
    """Through the admin API: the job fails with ``document_too_large`` and a Chinese
    message, no document is listed and the upload folder is gone."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.users import create_user

    settings = make_settings(tmp_path / "home")
    create_user(settings, "root", "root-secret-1", "admin")
    client = TestClient(create_app(settings))
    token = client.post("/v1/auth/login", json={"username": "root",
                                                "password": "root-secret-1"}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    bomb = _flooded_docx(tmp_path / "通知.docx", 120_000).read_bytes()
    r = client.post("/v1/documents", headers=auth, files=[("files", ("通知.docx", bomb,
                                                                     "application/zip"))])
    assert r.status_code == 202, r.text
    client.app.state.jobs.join()  # type: ignore[attr-defined]
    job = client.get(f"/v1/jobs/{r.json()['job_id']}", headers=auth).json()
    assert job["status"] == "failed"
    assert job["error"]["code"] == "document_too_large"
    assert "通知.docx" in job["error"]["message"]
    assert client.get("/v1/documents", headers=auth).json() == []
    assert not list((settings.home / "uploads").glob("*/*"))
