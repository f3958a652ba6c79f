"""The ``/v1`` service through HTTP: answers, conversations, matching, access control,
bad input (the right status, the error shape, nothing stored), limits, ops and jobs.

Reads run on a copy of the shipped home (so writes here never disturb other tests); the
ingest test gets a fresh home of its own.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.models import Job, User
from api.security import session_token
from api.users import create_user, user_sessions
from assistant.store import ChatSession, Feedback, Turn
from corpus.settings import Settings
from matcher.catalog import count_programs, import_catalog
from matcher.sample import generate, write_csv

SEEDS = Path(__file__).resolve().parent.parent / "corpus" / "texts" / "seeds"
NEIMENGGU = SEEDS / "003_46314927d86d8b12.txt"
ORIGIN = "https://widget.example"
KEY = "k-partner-0123456789"
SHAPE = {"code", "message", "detail"}


def settings_for(home: Path, **extra: Any) -> Settings:
    return Settings(home=home, api_keys=f"partner:{KEY}", cors_origins=ORIGIN,  # type: ignore[arg-type]
                    **extra)


def service_home(shipped: Settings, factory: pytest.TempPathFactory, name: str,
                 programs: int = 200) -> Settings:
    """A copy of the shipped home with a sample catalog, the partner key, and an admin and a
    counselor account: what a service test runs against."""
    home = factory.mktemp(name) / "home"
    shutil.copytree(shipped.home, home)
    out = settings_for(home)
    csv = home / "catalog.csv"
    write_csv(generate(programs), csv)
    import_catalog(out, csv, is_sample=True)
    create_user(out, "admin", "admin-secret-1", "admin")
    create_user(out, "counselor", "counsel-secret-1", "counselor")
    return out


@pytest.fixture(scope="module")
def settings(shipped_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return service_home(shipped_settings, tmp_path_factory, "service")


@pytest.fixture(scope="module")
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


def login(client: TestClient, username: str, password: str) -> dict[str, str]:
    r = client.post("/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture(scope="module")
def admin(client: TestClient) -> dict[str, str]:
    return login(client, "admin", "admin-secret-1")


@pytest.fixture(scope="module")
def counselor(client: TestClient) -> dict[str, str]:
    return login(client, "counselor", "counsel-secret-1")


def new_session(client: TestClient) -> tuple[str, dict[str, str]]:
    r = client.post("/v1/chat/sessions", json={})
    assert r.status_code == 201, r.text
    body = r.json()
    return body["session_id"], {"Authorization": f"Bearer {body['token']}"}


def counts(settings: Settings) -> dict[str, int]:
    with user_sessions(settings)() as db:
        return {model.__name__: db.scalar(select(func.count()).select_from(model)) or 0
                for model in (ChatSession, Turn, Feedback, User, Job)}


def assert_error(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == SHAPE
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    assert "Traceback" not in r.text
    if code:
        assert body["code"] == code
    return body


# -- answers and conversations -----------------------------------------------------------
def test_ask_returns_the_answer_object(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": "退役军人参加职业技能培训有补贴吗？",
                                     "region": "赣州市"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert {"answer", "verdict", "citations", "rule_trace", "missing_facts",
            "follow_up", "facts"} <= set(body)
    assert body["answer"]
    assert body["facts"].get("city") == "赣州市"


def test_a_three_turn_conversation_with_history_and_feedback(client: TestClient,
                                                             settings: Settings) -> None:
    session_id, auth = new_session(client)
    url = f"/v1/chat/sessions/{session_id}/messages"
    first = client.post(url, json={"text": "我当过兵，在赣州"}, headers=auth)
    assert first.status_code == 200, first.text
    second = client.post(url, json={"text": "能参加补贴培训吗？"}, headers=auth)
    assert second.status_code == 200, second.text
    reply = second.json()
    assert "退役军人" in reply["facts"].get("groups", [])  # the follow-up kept the facts
    third = client.post(url, json={"text": "去哪里报名？"}, headers=auth)
    assert third.status_code == 200
    history = client.get(url, headers=auth).json()["turns"]
    assert [t["role"] for t in history] == ["user", "assistant"] * 3
    assert history[3]["id"] == reply["turn_id"]

    before = counts(settings)
    r = client.post("/v1/feedback", json={"turn_id": reply["turn_id"], "rating": "down",
                                          "reason": "没说清楚去哪里申请"}, headers=auth)
    assert r.status_code == 201, r.text
    with user_sessions(settings)() as db:
        row = db.get(Feedback, r.json()["id"])
        assert row is not None and row.turn_id == reply["turn_id"] and row.rating == -1
    # another worker cannot rate this answer, and nothing more is stored
    _, other = new_session(client)
    assert_error(client.post("/v1/feedback", json={"turn_id": reply["turn_id"],
                                                   "rating": "up"}, headers=other),
                 403, "token_mismatch")
    assert counts(settings)["Feedback"] == before["Feedback"] + 1


def test_a_question_about_classes_is_answered_from_the_catalog(client: TestClient,
                                                                settings: Settings) -> None:
    from matcher.catalog import list_programs

    program = list_programs(settings, limit=1)[0]
    session_id, auth = new_session(client)
    url = f"/v1/chat/sessions/{session_id}/messages"
    r = client.post(url, json={"text": f"{program['city'] or program['province']}有没有"
                                       f"{program['occupation']}的培训班？"}, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["intent"] == "courses"
    assert body["answer"].startswith("目录里有这些相关的班")
    assert "/console" in body["answer"] and not body["abstained"]


def test_a_conversation_survives_a_restart(settings: Settings) -> None:
    first = TestClient(create_app(settings))
    session_id, auth = new_session(first)
    url = f"/v1/chat/sessions/{session_id}/messages"
    assert first.post(url, json={"text": "我当过兵，在赣州"}, headers=auth).status_code == 200
    second = TestClient(create_app(settings))  # a new process on the same home
    r = second.post(url, json={"text": "能参加补贴培训吗？"}, headers=auth)
    assert r.status_code == 200, r.text
    assert "退役军人" in r.json()["facts"].get("groups", [])
    assert len(second.get(url, headers=auth).json()["turns"]) == 4


# -- counselor endpoints -----------------------------------------------------------------
def test_eligibility(client: TestClient, counselor: dict[str, str]) -> None:
    r = client.post("/v1/eligibility", json={"profile": {"groups": ["退役军人"],
                                                         "city": "赣州市"}},
                    headers=counselor)
    assert r.status_code == 200, r.text
    assert r.json()["results"]
    assert_error(client.post("/v1/eligibility", json={"profile": {}}), 401, "auth_required")


def test_match_and_guide_with_an_api_key(client: TestClient, settings: Settings) -> None:
    key = {"X-API-Key": KEY}
    profile = {"city": "赣州市", "interests": ["电工"], "groups": ["退役军人"]}
    r = client.post("/v1/match", json={"profile": profile, "k": 5}, headers=key)
    assert r.status_code == 200, r.text
    body = r.json()
    # the copied shipped home may already hold another module's sample programs
    assert body["catalog"] == count_programs(settings) >= 200 and 1 <= len(body["results"]) <= 5
    top = body["results"][0]["program_id"]
    why = client.post("/v1/match", json={"profile": profile, "why_not": top}, headers=key)
    assert why.status_code == 200 and why.json()["program_id"] == top
    guided = client.post("/v1/match/guide", json={"profile": profile, "k": 3}, headers=key)
    assert guided.status_code == 200, guided.text
    assert {"top", "stable", "next_question"} <= set(guided.json())


def test_programs(client: TestClient, counselor: dict[str, str], settings: Settings) -> None:
    r = client.get("/v1/programs", params={"limit": 5, "offset": 10}, headers=counselor)
    assert r.status_code == 200
    assert r.json()["total"] == count_programs(settings) >= 200
    assert len(r.json()["programs"]) == 5
    pid = r.json()["programs"][0]["program_id"]
    assert client.get(f"/v1/programs/{pid}", headers=counselor).json()["program_id"] == pid
    assert_error(client.get("/v1/programs/NOPE", headers=counselor), 404, "program_not_found")


def test_programs_are_found_by_part_of_their_title(client: TestClient,
                                                   counselor: dict[str, str]) -> None:
    """A counselor asking "why not that welding class?" finds it without knowing its id."""
    every = client.get("/v1/programs", params={"limit": 200}, headers=counselor).json()
    title = every["programs"][0]["title"]
    word = title[:2]
    found = client.get("/v1/programs", params={"q": word, "limit": 200}, headers=counselor)
    assert found.status_code == 200
    body = found.json()
    assert 1 <= body["total"] < every["total"] and len(body["programs"]) == min(body["total"], 200)
    assert all(word in (p["title"] + p["occupation"] + p["provider"] + p["program_id"])
               for p in body["programs"])
    none = client.get("/v1/programs", params={"q": "%_没有这种项目"}, headers=counselor)
    assert none.json() == {"total": 0, "programs": []}


def test_the_vocabulary_offers_what_the_profile_accepts(client: TestClient) -> None:
    """The console's choices (groups, levels, physical limits, modes, travel) come from the
    profile's own vocabulary, so every offered value parses."""
    from corpus.domain.profile import parse_profile

    body = client.get("/v1/vocabulary").json()
    limits = [x["code"] for x in body["physical_limits"]]
    assert "不能久站" in [x["label"] for x in body["physical_limits"]]
    profile = parse_profile({
        "groups": [g["code"] for g in body["groups"] if g["offered"]],
        "physical_limits": limits,
        "certificates": [{"occupation": "电工", "level": body["levels"][0]["code"]}],
        "mode": body["modes"][-1], "travel": body["travel"][0]["code"],
    }, lambda name: None)
    assert set(profile.physical_limits) == set(limits) and profile.groups


def test_occupations_and_shortage(client: TestClient) -> None:
    r = client.get("/v1/occupations", params={"q": "电焊"})
    assert r.status_code == 200 and r.json()
    assert "焊" in r.json()[0]["name"]
    shortage = client.get("/v1/shortage", params={"region": "赣州市"})
    assert shortage.status_code == 200 and shortage.json()["occupations"]
    assert_error(client.get("/v1/shortage", params={"region": "火星"}), 400, "unknown_region")


# -- access control ----------------------------------------------------------------------
def test_admin_endpoints_refuse_everyone_but_an_admin(client: TestClient,
                                                      counselor: dict[str, str],
                                                      admin: dict[str, str]) -> None:
    _, worker = new_session(client)
    assert_error(client.get("/v1/documents"), 401, "auth_required")
    assert_error(client.get("/v1/documents", headers=worker), 403, "forbidden")
    assert_error(client.get("/v1/documents", headers=counselor), 403, "forbidden")
    assert_error(client.get("/v1/documents", headers={"X-API-Key": KEY}), 403, "forbidden")
    assert_error(client.post("/v1/documents/reindex", headers=counselor), 403)
    r = client.get("/v1/documents", headers=admin)
    assert r.status_code == 200 and len(r.json()) > 10
    assert_error(client.post("/v1/auth/login", json={"username": "admin",
                                                     "password": "wrong-password"}),
                 401, "bad_credentials")


def test_a_bad_catalog_is_refused_with_its_report(client: TestClient, admin: dict[str, str],
                                                  settings: Settings, tmp_path: Path) -> None:
    before = count_programs(settings)
    rows = generate(3, seed=7)
    rows[1]["mode"] = "坐火箭"
    rows[2]["province"] = "火星"
    path = tmp_path / "bad.csv"
    write_csv(rows, path)
    r = client.post("/v1/catalog/import", headers=admin,
                    files={"file": ("bad.csv", path.read_bytes(), "text/csv")})
    body = assert_error(r, 422, "catalog_invalid")
    assert {e["line"] for e in body["detail"]["errors"]} == {3, 4}
    assert body["detail"]["imported"] == 0
    assert count_programs(settings) == before
    missing = client.post("/v1/catalog/import", headers=admin, files={
        "file": ("cols.csv", "program_id,title\nX1,缺列\n".encode(), "text/csv")})
    assert_error(missing, 422, "catalog_missing_columns")
    assert count_programs(settings) == before


# -- bad input changes nothing -----------------------------------------------------------
def test_bad_input_gets_the_error_shape_and_stores_nothing(client: TestClient,
                                                           settings: Settings) -> None:
    session_id, auth = new_session(client)
    url = f"/v1/chat/sessions/{session_id}/messages"
    before = counts(settings)
    assert_error(client.post(url, content=b'{"text": "\xe4\xbd', headers={
        **auth, "Content-Type": "application/json"}), 400, "malformed_json")
    body = assert_error(client.post(url, json={"text": 5}, headers=auth), 422,
                        "invalid_request")
    assert body["detail"][0]["field"] == "body.text"
    assert_error(client.post("/v1/ask", json={"question": "培训" * 600_000}), 413,
                 "body_too_large")
    assert_error(client.post("/v1/ask", json={"question": "培" * 2001}), 422)
    assert_error(client.post("/v1/chat/sessions/0000/messages", json={"text": "你好"},
                             headers=auth), 404, "session_not_found")
    expired = {"Authorization": f"Bearer {session_token(settings, session_id, ttl=-5)}"}
    assert_error(client.post(url, json={"text": "你好"}, headers=expired), 401, "token_expired")
    forged = {"Authorization": auth["Authorization"][:-4] + "AAAA"}
    assert_error(client.post(url, json={"text": "你好"}, headers=forged), 401, "invalid_token")
    assert_error(client.post(url, json={"text": "你好"}), 401, "auth_required")
    assert_error(client.post("/v1/match", json={"profile": {}}), 401, "auth_required")
    assert_error(client.post("/v1/match", json={"profile": {}},
                             headers={"X-API-Key": "nope"}), 401, "invalid_api_key")
    assert_error(client.get("/v1/nowhere"), 404, "not_found")
    assert counts(settings) == before


# -- limits and ops ----------------------------------------------------------------------
def test_rate_limit(settings: Settings) -> None:
    limited = TestClient(create_app(settings_for(settings.home,
                                                 rate_limit_address_per_minute=3)))
    statuses = [limited.get("/v1/shortage").status_code for _ in range(4)]
    assert statuses[:3] == [200, 200, 200]
    assert_error(limited.get("/v1/shortage"), 429, "rate_limited")


def test_cors_allows_only_the_configured_origin(client: TestClient) -> None:
    preflight = {"Access-Control-Request-Method": "POST"}
    ok = client.options("/v1/ask", headers={"Origin": ORIGIN, **preflight})
    assert ok.headers.get("access-control-allow-origin") == ORIGIN
    other = client.options("/v1/ask", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in other.headers
    simple = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_readyz_and_metrics(client: TestClient, tmp_path: Path) -> None:
    assert client.get("/readyz").json() == {"status": "ready"}
    empty = TestClient(create_app(settings_for(tmp_path / "empty")))
    assert_error(empty.get("/readyz"), 503, "not_ready")
    client.get("/v1/occupations", params={"q": "叉车"})
    text = client.get("/metrics").text
    assert 'jnt_requests_total{method="GET",route="/v1/occupations",status="200"}' in text
    assert 'jnt_request_seconds_bucket{route="/v1/occupations",le="+Inf"}' in text


def wait_for(client: TestClient, job_id: str, headers: dict[str, str]) -> dict[str, Any]:
    for _ in range(600):
        job = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError("job did not finish")


def test_reindex_runs_as_a_job(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post("/v1/documents/reindex", headers=admin)
    assert r.status_code == 202, r.text
    job = wait_for(client, r.json()["job_id"], admin)
    assert job["status"] == "done" and job["progress"] == 1.0, job
    assert job["result"]["index_build"]
    assert client.get("/v1/search", params={"q": "培训补贴"}).status_code == 200
    assert_error(client.get("/v1/jobs/nope", headers=admin), 404, "job_not_found")


def test_upload_ingests_into_a_fresh_home(tmp_path: Path, embedder: Any) -> None:
    settings = settings_for(tmp_path / "fresh")
    create_user(settings, "root", "root-secret-1", "admin")
    client = TestClient(create_app(settings))
    auth = login(client, "root", "root-secret-1")
    sidecar = NEIMENGGU.with_name(NEIMENGGU.name + ".meta.yaml")
    files = [("files", (NEIMENGGU.name, NEIMENGGU.read_bytes(), "text/plain")),
             ("files", (sidecar.name, sidecar.read_bytes(), "application/yaml"))]
    r = client.post("/v1/documents", headers=auth, files=files)
    assert r.status_code == 202, r.text
    job = wait_for(client, r.json()["job_id"], auth)
    assert job["status"] == "done", job
    assert job["result"]["added"] == ["nm-2022-training-brand-plan"]
    docs = client.get("/v1/documents", headers=auth).json()
    assert [d["id"] for d in docs] == ["nm-2022-training-brand-plan"]
    assert_error(client.delete("/v1/documents/nope", headers=auth), 404, "document_not_found")
    assert not list((settings.home / "uploads").glob("*/*"))  # uploads cleaned up
    assert json.loads(client.get("/readyz").text) == {"status": "ready"}
