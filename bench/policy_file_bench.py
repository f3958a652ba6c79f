"""Ingest-to-searchable time for a 50-page policy .docx and .pdf through the admin endpoint.

    python bench/policy_file_bench.py [--pages 50] [--seed-index PATH] [--keep]

A fresh temporary home gets the shipped corpus (``jnt setup``; with ``--seed-index`` an
index folder to copy first, so unchanged vectors are reused and set-up is quicker — not
timed either way), an admin account, and a real ``jnt serve`` on 127.0.0.1. The document
is tests/policy_files.py's government-style 办法 (real 上海 regulation articles, Word
auto-numbering, a 补贴标准 table and a 职业目录 table in 附件, signature, 抄送/印发),
made long enough that its PDF prints ``--pages`` pages; the .docx is the same document.

Each file is uploaded with ``POST /v1/documents``; from the upload on, ``/v1/search`` is
asked every 0.2 s an everyday question only the new document answers (a 补贴标准 row)
until a hit from it comes back. Prints per file: pages, characters, chunks, the time from
upload to that first hit, and the ingest job's own duration (its updated_at − created_at
as the service recorded them), then one JSON line.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.service import free_port, unlimited_env, wait_ready  # noqa: E402
from tests.policy_files import PolicySpec, make_spec, write_docx, write_pdf  # noqa: E402

JNT = [sys.executable, "-m", "api.cli"]
QUESTION = "育婴员考了四级证书，能拿多少培训补贴？"
ADMIN, PASSWORD = "bench-admin", "bench-admin-secret-1"
POLL_SECONDS = 0.2


def spec_for_pages(pages: int, folder: Path) -> tuple[PolicySpec, int]:
    """The spec whose PDF prints at least ``pages`` pages, and that page count."""
    from pypdf import PdfReader

    size = max(1, pages * 3 // 5)  # the PDF page holds fewer than 616
    while True:
        spec = make_spec(size)
        probe = write_pdf(spec, folder / "probe.pdf")
        printed = len(PdfReader(str(probe)).pages)
        probe.unlink()
        if printed >= pages or size > pages * 4:
            return spec, printed
        size += max(1, (pages - printed) // 2)


def measure(client: httpx.Client, path: Path, doc_id: str) -> dict:
    """Upload, then search until the new document answers; then the job's own figures."""
    with path.open("rb") as fh:
        t0 = time.monotonic()
        r = client.post("/v1/documents", files=[("files", (path.name, fh.read()))])
    r.raise_for_status()
    job_id = r.json()["job_id"]
    searchable = None
    while searchable is None and time.monotonic() - t0 < 1800:
        hits = client.get("/v1/search", params={"q": QUESTION, "k": 10}).json()["results"]
        if any(h["doc_id"] == doc_id for h in hits):
            searchable = time.monotonic() - t0
        else:
            time.sleep(POLL_SECONDS)
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(POLL_SECONDS)
    if job["status"] != "done":
        raise SystemExit(f"ingest of {path.name} failed: {job['error']}")
    took = (dt.datetime.fromisoformat(job["updated_at"])
            - dt.datetime.fromisoformat(job["created_at"])).total_seconds()
    docs = {d["id"]: d for d in client.get("/v1/documents", params={"limit": 500}).json()}
    return {"file": path.name, "bytes": path.stat().st_size,
            "chunks": docs[doc_id]["chunks"],
            "upload_to_searchable_s": round(searchable, 2) if searchable else None,
            "job_seconds": round(took, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--seed-index", type=Path, default=None,
                        help="an index folder to copy into the new home first")
    parser.add_argument("--keep", action="store_true", help="keep the temporary home")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jnt-policy-file-bench-"))
    home = work / "home"
    env = unlimited_env(home, JNT_SECRET_KEY="policy-file-bench-secret")
    server = None
    try:
        if args.seed_index and (args.seed_index / "CURRENT").exists():
            shutil.copytree(args.seed_index, home / "index")
        subprocess.run([*JNT, "setup"], env=env, cwd=ROOT, check=True, capture_output=True)
        subprocess.run([*JNT, "users", "add", ADMIN, "--role", "admin", "--password", PASSWORD],
                       env=env, cwd=ROOT, check=True, capture_output=True)
        spec, printed = spec_for_pages(args.pages, work)
        # Titles differ, so no chunk of the PDF reuses a vector embedded for the .docx
        # (the title is embedded with every chunk): both are timed from scratch.
        pdf_spec = dataclasses.replace(spec, title=spec.title.replace("办法", "实施细则"))
        files = [(write_docx(spec, work / "sh-bench-rules.docx"), "sh-bench-rules"),
                 (write_pdf(pdf_spec, work / "sh-bench-rules-pdf.pdf"), "sh-bench-rules-pdf")]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([*JNT, "serve", "--host", "127.0.0.1", "--port", str(port)],
                                  env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        wait_ready(base)
        with httpx.Client(base_url=base, timeout=120) as client:
            token = client.post("/v1/auth/login", json={"username": ADMIN,
                                                        "password": PASSWORD}).json()["token"]
            client.headers["Authorization"] = f"Bearer {token}"
            client.get("/v1/search", params={"q": QUESTION})  # the searcher is loaded
            results = [measure(client, path, doc_id) for path, doc_id in files]
        chars = sum(len(p) for c in spec.chapters for a in c.articles for p in a)
        print(f"document: {printed} PDF pages, {chars} characters of articles; "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
        for r in results:
            print(f"{r['file']:>24}: {r['bytes']:>8} bytes  {r['chunks']:>4} chunks  "
                  f"upload→searchable {r['upload_to_searchable_s']} s  "
                  f"ingest job {r['job_seconds']} s")
        print(json.dumps({"pdf_pages": printed, "results": results}, ensure_ascii=False))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
