"""``jnt`` as an administrator runs it: a real process on a real home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def jnt(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "JNT_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(proc.stderr)
    return proc


def test_search_json(shipped_settings) -> None:
    out = jnt(shipped_settings.home, "search", "我当过兵，能参加补贴培训吗？", "--k", "3", "--json")
    results = json.loads(out.stdout)
    assert len(results) == 3
    assert set(results[0]) == {"chunk_id", "doc_id", "title", "section", "text", "score",
                               "source_kind", "source_note"}


def test_batch_queries(shipped_settings, tmp_path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in [
        {"id": "a", "question": "江西技能人才总量", "context": []},
        {"id": "b", "question": "那高技能人才呢？", "context": ["江西技能人才总量有多少"]},
    ]), encoding="utf-8")
    out = jnt(shipped_settings.home, "search", "--queries", str(queries), "--k", "2")
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert [x["id"] for x in lines] == ["a", "b"]
    assert all(len(x["results"]) == 2 for x in lines)


@pytest.mark.parametrize("args,code", [
    (["search", "", "--json"], "empty_query"),
    (["search", "培训", "--region", "火星", "--json"], "unknown_region"),
    (["docs", "remove", "no-such-doc", "--json"], "document_not_found"),
])
def test_errors_are_json_with_a_code_and_exit_2(shipped_settings, args, code) -> None:
    proc = jnt(shipped_settings.home, *args, check=False)
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["code"] == code
    assert "Traceback" not in proc.stderr


def test_ingest_list_remove_in_a_new_home(tmp_path) -> None:
    home = tmp_path / "home"
    doc = tmp_path / "notice.md"
    doc.write_text("---\ntitle: 某市技能培训补贴通知\nregion: 赣州市\ndoc_type: 通知\n---\n"
                   "一、补贴对象\n退役军人参加技能培训，按规定给予培训补贴。\n", encoding="utf-8")
    report = json.loads(jnt(home, "ingest", str(doc), "--json").stdout)
    assert report["added"] == ["notice"]
    listed = json.loads(jnt(home, "docs", "list", "--json").stdout)
    assert listed[0]["region"] == "赣州市" and listed[0]["chunks"] == 1
    hits = json.loads(jnt(home, "search", "退伍军人补贴", "--json").stdout)
    assert hits[0]["section"] == "一、补贴对象"
    jnt(home, "docs", "remove", "notice")
    assert json.loads(jnt(home, "docs", "list", "--json").stdout) == []


def test_search_in_a_brand_new_home_sets_it_up(tmp_path) -> None:
    home = tmp_path / "new-home"
    hits = json.loads(jnt(home, "search", "内蒙古培训品牌", "--k", "1", "--json").stdout)
    assert hits and hits[0]["doc_id"] == "nm-2022-training-brand-plan"
    assert (home / "jnt.db").exists() and (home / "index" / "CURRENT").exists()
