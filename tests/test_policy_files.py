"""Policy files as administrators get them, uploaded through ``POST /v1/documents``.

A Word 办法 with auto-numbered 第X条 and a PDF 通知 with running headers, both with a
补贴标准 table, an application form in 附件2, a signature block and 抄送/印发 lines
(tests/policy_files.py), are uploaded into a copy of the shipped home; once the job is
done, everyday questions find the table row, the auto-numbered article and the
attachment, and nothing of the page chrome or the signature is ever a hit. Plus the source
flag: the shipped reprint says in every hit that it is one.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.users import create_user
from corpus.chunking import chunk_document
from corpus.db import Chunk
from corpus.home import library as open_library
from corpus.search import Searcher
from corpus.settings import Settings
from tests.policy_files import (
    DATE,
    DOC_NUMBER,
    PRINTED_LINE,
    RUNNING_HEADER,
    make_spec,
    write_docx,
    write_pdf,
)
from tests.test_service import login, wait_for

DOCX_ID, PDF_ID = "sh-2023-subsidy-rules", "sh-2023-subsidy-notice"
NEW = {DOCX_ID, PDF_ID}
SIDECAR = f"id: {DOCX_ID}\nregion: 上海市\nsource_kind: official\n"


@pytest.fixture(scope="module")
def uploaded(shipped_settings: Settings, tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[TestClient, dict[str, str], Settings]:
    """A copy of the shipped home with both files uploaded as an admin would."""
    folder = tmp_path_factory.mktemp("policy-files")
    home = folder / "home"
    shutil.copytree(shipped_settings.home, home)
    settings = Settings(home=home)  # type: ignore[call-arg]
    create_user(settings, "admin", "admin-secret-1", "admin")
    client = TestClient(create_app(settings))
    admin = login(client, "admin", "admin-secret-1")
    docx = write_docx(make_spec(3), folder / "rules.docx")
    pdf = write_pdf(make_spec(3, style="notice"), folder / f"{PDF_ID}.pdf")
    uploads = [[("files", (docx.name, docx.read_bytes(), "application/octet-stream")),
                ("files", (docx.name + ".meta.yaml", SIDECAR.encode(), "application/yaml"))],
               [("files", (pdf.name, pdf.read_bytes(), "application/pdf"))]]
    for files in uploads:
        r = client.post("/v1/documents", headers=admin, files=files)
        assert r.status_code == 202, r.text
        job = wait_for(client, r.json()["job_id"], admin)
        assert job["status"] == "done", job
    return client, admin, settings


def search(client: TestClient, q: str, k: int = 5) -> list[dict[str, Any]]:
    r = client.get("/v1/search", params={"q": q, "k": k})
    assert r.status_code == 200, r.text
    return r.json()["results"]


def new_hits(client: TestClient, q: str, k: int = 5) -> list[dict[str, Any]]:
    return [h for h in search(client, q, k) if h["doc_id"] in NEW]


def test_a_table_row_answers_an_everyday_question_about_the_amount(uploaded) -> None:
    client, _, _ = uploaded
    hits = new_hits(client, "育婴员考了四级证书，能拿多少培训补贴？")
    assert hits, "the 补贴标准 row was not found"
    row = hits[0]
    assert "育婴员" in row["text"] and "1800" in row["text"]
    assert row["section"].startswith("附件1")


def test_a_pdf_table_row_is_stored_as_column_name_and_value(uploaded) -> None:
    """The uploaded PDF's 补贴标准 table: each row a 「列名：值」 line in a chunk under 附件1,
    as the .docx's rows are, and found by the everyday question."""
    client, _, settings = uploaded
    with open_library(settings).sessions() as session:
        chunks = session.scalars(select(Chunk).where(Chunk.doc_id == PDF_ID)).all()
    row = "职业（工种）：育婴员；等级：四级/中级工；补贴标准（元）：1800"
    holding = [c for c in chunks if row in c.text]
    assert holding and holding[0].section.startswith("附件1"), [c.text for c in chunks]
    hits = [h for h in new_hits(client, "育婴员考了四级证书，能拿多少培训补贴？", k=10)
            if h["doc_id"] == PDF_ID]
    assert hits and row in hits[0]["text"], hits


def test_an_auto_numbered_article_is_found_and_cited_by_its_number(uploaded) -> None:
    client, _, _ = uploaded
    hits = [h for h in new_hits(client, "设立职业学校应当具备哪些条件") if h["doc_id"] == DOCX_ID]
    assert hits
    # 设立职业学校 is the 十七th article of the generated 办法; Word numbers it, not the text.
    assert hits[0]["section"].endswith("第十七条"), hits[0]["section"]
    assert hits[0]["text"].startswith("第十七条 设立职业学校")


def test_an_attachment_is_a_section_of_its_own(uploaded) -> None:
    client, _, _ = uploaded
    hits = new_hits(client, "拿到职业技能等级证书以后多久之内要申请培训补贴？")
    assert any("12个月内" in h["text"] and h["section"].startswith("附件2") for h in hits), hits


def test_signature_and_distribution_lines_are_kept_but_never_answers(uploaded) -> None:
    client, _, settings = uploaded
    for q in ("上海市人力资源和社会保障局 上海市财政局 2023年5月8日", "抄送 印发 办公室"):
        for hit in new_hits(client, q, k=20):
            assert DATE not in hit["text"] and "抄送" not in hit["text"], hit
            assert "印发" not in hit["text"] and "此件主动公开" not in hit["text"], hit
    library = open_library(settings)
    for doc_id in NEW:
        doc = library.document(doc_id)
        assert DATE in doc.text and PRINTED_LINE.split("　")[0] in doc.text  # stored, not lost
        kinds = {c.kind for c in chunk_document(doc_id, doc.text, doc.title, keep_closing=True)}
        assert "closing" in kinds


def test_no_page_header_or_page_number_inside_chunks(uploaded) -> None:
    _, _, settings = uploaded
    library = open_library(settings)
    with library.sessions() as session:
        chunks = session.scalars(select(Chunk.text).where(Chunk.doc_id.in_(NEW))).all()
    assert chunks
    for text in chunks:
        assert RUNNING_HEADER not in text
        assert not re.search(r"-\s*\d+\s*-", text), text
        assert "\f" not in text
    for doc_id in NEW:
        assert RUNNING_HEADER not in library.document(doc_id).text
    pdf = library.document(PDF_ID)
    # Lines the page width broke are joined: a long clause is one line again.
    assert "根据《中华人民共和国职业教育法》和其他有关法律" in pdf.text


def test_the_masthead_gives_title_and_doc_number(uploaded) -> None:
    client, admin, _ = uploaded
    docs = {d["id"]: d for d in client.get("/v1/documents", headers=admin,
                                              params={"limit": 100}).json()}
    assert docs[PDF_ID]["title"] == "上海市职业技能培训补贴管理办法"
    assert docs[PDF_ID]["doc_number"] == DOC_NUMBER
    assert docs[DOCX_ID]["region"] == "上海市"
    assert docs[DOCX_ID]["source_kind"] == "official"
    assert docs[PDF_ID]["source_kind"] == "unknown" and docs[PDF_ID]["source_note"] is None


def test_the_reworded_reprint_says_so_in_every_hit(shipped_searcher: Searcher) -> None:
    hits = shipped_searcher.search("互联网+职业技能培训计划 线上培训补贴", k=20)
    reprint = [h for h in hits if h.doc_id == "mohrss-2020-internet-plus-qa"]
    assert reprint
    for hit in reprint:
        assert hit.to_dict()["source_kind"] == "reprint"
        assert hit.to_dict()["source_note"] == "转载文本，以人社部发布的原文为准"
    official = [h for h in hits if h.doc_id == "nm-2022-training-brand-plan"]
    assert all(h.source_note is None for h in official)


def test_shipped_sidecars_state_a_valid_source(shipped_settings: Settings) -> None:
    docs = {d["id"]: d for d in open_library(shipped_settings).documents()}
    assert docs["mohrss-2020-internet-plus-qa"]["source_kind"] == "reprint"
    assert docs["hb-2020-1x-report"]["source_kind"] == "news"
    assert docs["jx-2022-training-plan"]["source_kind"] == "reprint"
    assert docs["nm-2022-training-brand-plan"]["source_kind"] == "official"


def test_generated_files_are_what_they_claim(tmp_path: Path) -> None:
    """The fixtures themselves: Word numbering is not in the paragraph text, the PDF has
    a header and page numbers on every page."""
    import docx
    from pypdf import PdfReader

    path = write_docx(make_spec(1), tmp_path / "a.docx")
    paragraphs = [p.text for p in docx.Document(str(path)).paragraphs]
    assert not any(p.startswith("第一条") for p in paragraphs)
    pdf = PdfReader(str(write_pdf(make_spec(2), tmp_path / "a.pdf")))
    assert len(pdf.pages) >= 2
    for n, page in enumerate(pdf.pages, start=1):
        text = page.extract_text()
        assert RUNNING_HEADER in text and f"- {n} -" in text


def test_an_administrators_sidecar_beats_the_masthead_guess(tmp_path: Path) -> None:
    """The title and 文号 read off a .docx masthead are guesses; the sidecar the
    administrator wrote wins, and without one the guess is used."""
    from corpus.library import prepare

    docx = write_docx(make_spec(2), tmp_path / "rules.docx")
    guessed = prepare(docx).meta
    assert guessed.doc_number == DOC_NUMBER
    (tmp_path / "rules.docx.meta.yaml").write_text(
        "id: sh-rules\ntitle: 管理员填写的标题\ndoc_number: 沪人社规〔2099〕1号\n",
        encoding="utf-8")
    meta = prepare(docx).meta
    assert (meta.title, meta.doc_number) == ("管理员填写的标题", "沪人社规〔2099〕1号")
