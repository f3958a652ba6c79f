"""Case records (``/v1/cases``): pseudonymous references, a counselor sees only their own,
changes are checked before anything is written, a chat is handed over once; and the
0003 migration upgrades and downgrades on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

import api.db_migrate as db_migrate
from api.app import create_app
from api.models import Case, User
from api.users import user_sessions
from assistant.store import ChatSession, chat_sessions
from corpus.settings import Settings
from tests.case_home import KEY, VETERAN, login, make_home

REF = re.compile(r"C-\d{4}-\d{6}")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_home(tmp_path_factory.mktemp("cases"))


@pytest.fixture(scope="module")
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


@pytest.fixture(scope="module")
def a(client: TestClient) -> dict[str, str]:
    return login(client, "guwen-a", "counsel-secret-a")


@pytest.fixture(scope="module")
def b(client: TestClient) -> dict[str, str]:
    return login(client, "guwen-b", "counsel-secret-b")


@pytest.fixture(scope="module")
def admin(client: TestClient) -> dict[str, str]:
    return login(client, "admin", "admin-secret-1")


def stored(settings: Settings) -> list[Case]:
    with user_sessions(settings)() as db:
        return list(db.scalars(select(Case).order_by(Case.id)))


def assert_error(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"code", "message", "detail"} and body["code"] == code, body
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    return body


def new_case(client: TestClient, auth: dict[str, str], **fields: Any) -> dict[str, Any]:
    r = client.post("/v1/cases", json={"profile": VETERAN, **fields}, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()


# -- creating ------------------------------------------------------------------------------
def test_a_case_gets_a_pseudonymous_reference_and_keeps_no_identity(client: TestClient,
                                                                    a: dict) -> None:
    profile = {**VETERAN, "name": "张三", "phone": "13812345678",
               "skills_text": "会电焊，电话 138-1234-5678，身份证360702199001011234"}
    case = new_case(client, a, profile=profile, notes="想尽快开班", follow_up="2026-12-15",
                    program_ids=["E4", "W5"])
    assert REF.fullmatch(case["worker_ref"])
    assert case["counselor"] == "guwen-a" and case["outcome"] == "未定"
    assert case["follow_up"] == "2026-12-15" and case["program_ids"] == ["E4", "W5"]
    assert case["created_at"] and case["updated_at"]
    assert "name" not in case["profile"] and "phone" not in case["profile"]
    text = str(case["profile"])
    assert "13812345678" not in text and "360702199001011234" not in text
    assert "会电焊" in case["profile"]["skills_text"]
    second = new_case(client, a)
    assert second["worker_ref"] != case["worker_ref"]


@pytest.mark.parametrize("ref,code", [
    ("360702199001011234", "personal_worker_ref"),  # ID card
    ("13812345678", "personal_worker_ref"),  # mobile
    ("138-1234-5678", "personal_worker_ref"),
    ("张三", "bad_worker_ref"),
    ("a b", "bad_worker_ref"),
])
def test_references_that_could_name_the_worker_are_refused(client: TestClient, a: dict,
                                                           settings: Settings, ref: str,
                                                           code: str) -> None:
    before = len(stored(settings))
    assert_error(client.post("/v1/cases", json={"profile": VETERAN, "worker_ref": ref},
                             headers=a), 400, code)
    assert len(stored(settings)) == before


def test_a_chosen_reference_is_kept_once(client: TestClient, a: dict, b: dict) -> None:
    assert new_case(client, a, worker_ref="JX-2026-0007")["worker_ref"] == "JX-2026-0007"
    assert_error(client.post("/v1/cases", json={"worker_ref": "JX-2026-0007"}, headers=b),
                 409, "worker_ref_taken")


@pytest.mark.parametrize("body,status,code", [
    ({"profile": {"age": "很老"}}, 400, "bad_age"),
    ({"program_ids": ["E4", "NO-SUCH"]}, 404, "program_not_found"),
    ({"program_ids": [f"F{n:02d}" for n in range(1, 22)]}, 400, "too_many_programs"),
    ({"outcome": "成功"}, 422, "invalid_request"),
    ({"counselor_id": 1}, 422, "invalid_request"),
])
def test_bad_cases_are_refused_and_nothing_is_stored(client: TestClient, a: dict,
                                                     settings: Settings, body: dict,
                                                     status: int, code: str) -> None:
    before = len(stored(settings))
    assert_error(client.post("/v1/cases", json=body, headers=a), status, code)
    assert len(stored(settings)) == before


# -- who sees what -------------------------------------------------------------------------
def test_another_counselor_cannot_read_or_change_a_case(client: TestClient, a: dict, b: dict,
                                                        admin: dict) -> None:
    case = new_case(client, a, notes="只给 A 看")
    url = f"/v1/cases/{case['id']}"
    assert_error(client.get(url, headers=b), 404, "case_not_found")
    assert_error(client.patch(url, json={"notes": "B 改的"}, headers=b), 404, "case_not_found")
    assert client.get(url, headers=a).json()["notes"] == "只给 A 看"
    assert client.get(url, headers=admin).json()["counselor"] == "guwen-a"
    assert case["id"] not in [c["id"] for c in client.get("/v1/cases", headers=b).json()["cases"]]
    assert_error(client.get("/v1/cases/999999", headers=a), 404, "case_not_found")


def test_cases_need_an_account(client: TestClient) -> None:
    assert_error(client.get("/v1/cases"), 401, "auth_required")
    assert_error(client.post("/v1/cases", json={}, headers={"X-API-Key": KEY}), 403,
                 "account_required")


def test_a_list_is_ones_own_newest_first_page_by_page(client: TestClient, b: dict,
                                                      admin: dict) -> None:
    mine = [new_case(client, b, notes=f"第{n}个")["id"] for n in range(3)]
    listed = client.get("/v1/cases", params={"limit": 2}, headers=b).json()
    assert listed["total"] >= 3
    assert [c["id"] for c in listed["cases"]] == mine[::-1][:2]
    assert all(c["counselor"] == "guwen-b" for c in listed["cases"])
    rest = client.get("/v1/cases", params={"limit": 2, "offset": 2}, headers=b).json()
    assert rest["cases"][0]["id"] == mine[0]
    everyone = client.get("/v1/cases", params={"limit": 100}, headers=admin).json()
    assert {"guwen-a", "guwen-b"} <= {c["counselor"] for c in everyone["cases"]}
    assert_error(client.get("/v1/cases", params={"limit": 0}, headers=b), 422,
                 "invalid_request")


# -- changing ------------------------------------------------------------------------------
def test_an_update_changes_only_what_is_sent(client: TestClient, a: dict) -> None:
    case = new_case(client, a, notes="初次面谈", follow_up="2026-12-01", program_ids=["E4"])
    url = f"/v1/cases/{case['id']}"
    r = client.patch(url, json={"outcome": "已报名", "program_ids": ["W5", "E4", "W5"]},
                     headers=a)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["outcome"] == "已报名" and body["program_ids"] == ["W5", "E4"]
    assert body["notes"] == "初次面谈" and body["follow_up"] == "2026-12-01"
    assert body["updated_at"] > case["updated_at"] and body["created_at"] == case["created_at"]
    r = client.patch(url, json={"follow_up": None, "profile": {**VETERAN, "age": 41},
                                "notes": "已电话确认"}, headers=a)
    body = r.json()
    assert body["follow_up"] is None and body["profile"]["age"] == 41
    assert body["notes"] == "已电话确认" and body["outcome"] == "已报名"


@pytest.mark.parametrize("change,status,code", [
    ({"program_ids": ["E4", "NO-SUCH"]}, 404, "program_not_found"),
    ({"program_ids": [f"F{n:02d}" for n in range(1, 22)]}, 400, "too_many_programs"),
    ({"profile": {"travel": "月球"}}, 400, "bad_travel"),
    ({"outcome": None}, 400, "null_field"),
    ({"outcome": "成功"}, 422, "invalid_request"),
    ({"worker_ref": "C-2026-999999"}, 422, "invalid_request"),
])
def test_a_bad_update_changes_nothing(client: TestClient, a: dict, change: dict, status: int,
                                      code: str) -> None:
    case = new_case(client, a, notes="原样", program_ids=["E4"])
    url = f"/v1/cases/{case['id']}"
    assert_error(client.patch(url, json={"notes": "改了", **change}, headers=a), status, code)
    assert client.get(url, headers=a).json() == case


# -- handed over from a chat ----------------------------------------------------------------
def chat(settings: Settings, facts: dict[str, Any]) -> str:
    with chat_sessions(settings.db_url)() as db, db.begin():
        session = ChatSession(channel="web", facts=facts)
        db.add(session)
        db.flush()
        return session.id


def test_a_chat_is_handed_over_once(client: TestClient, settings: Settings, a: dict,
                                    b: dict) -> None:
    facts = {"groups": ["退役军人"], "city": "赣州市", "province": "江西省", "age": 35,
             "interests_text": "电工，我电话13812345678"}
    session_id = chat(settings, facts)
    r = client.post("/v1/cases/from-chat", json={"session_id": session_id,
                                                 "notes": "微信咨询转来"}, headers=a)
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["chat_session_id"] == session_id and REF.fullmatch(case["worker_ref"])
    assert case["profile"]["groups"] == ["退役军人"] and case["profile"]["age"] == 35
    assert "13812345678" not in case["profile"]["interests_text"]
    assert case["notes"] == "微信咨询转来" and case["counselor"] == "guwen-a"
    again = assert_error(client.post("/v1/cases/from-chat", json={"session_id": session_id},
                                     headers=a), 409, "already_handed_over")
    assert again["detail"] == {"case_id": case["id"]}
    other = assert_error(client.post("/v1/cases/from-chat", json={"session_id": session_id},
                                     headers=b), 409, "already_handed_over")
    assert other["detail"] is None  # not told which case it became
    assert_error(client.post("/v1/cases/from-chat", json={"session_id": "0" * 32},
                             headers=a), 404, "session_not_found")


def test_a_handed_over_case_outlives_its_chat(client: TestClient, settings: Settings,
                                              a: dict) -> None:
    session_id = chat(settings, {"city": "赣州市"})
    case = client.post("/v1/cases/from-chat", json={"session_id": session_id},
                       headers=a).json()
    with chat_sessions(settings.db_url)() as db, db.begin():
        db.delete(db.get(ChatSession, session_id))
    kept = client.get(f"/v1/cases/{case['id']}", headers=a).json()
    assert kept["chat_session_id"] is None and kept["profile"] == {"city": "赣州市"}


# -- the migration -------------------------------------------------------------------------
def test_migration_0003_upgrades_and_downgrades(tmp_path: Path,
                                                database_url: str | None) -> None:
    settings = Settings(home=tmp_path / "home", database_url=database_url)
    settings.ensure_home()
    cfg = db_migrate.config(settings.db_url)
    command.upgrade(cfg, "0002")
    engine = create_engine(settings.db_url, poolclass=NullPool)
    try:
        assert "cases" not in inspect(engine).get_table_names()
        command.upgrade(cfg, "0003")
        now = dt.datetime(2026, 12, 1, 9, 0)
        with engine.begin() as conn:
            conn.execute(User.__table__.insert().values(
                id=1, username="guwen", password_hash="x", role="counselor", active=True,
                created_at=now))
            conn.execute(Case.__table__.insert().values(
                worker_ref="C-2026-000001", counselor_id=1, profile={"city": "赣州市"},
                notes="", outcome="未定", program_ids=["E4"], created_at=now, updated_at=now))
        with engine.connect() as conn:
            row = conn.execute(select(Case.__table__)).one()
        assert row.profile == {"city": "赣州市"} and row.program_ids == ["E4"]
        with pytest.raises(IntegrityError), engine.begin() as conn:  # one reference, once
            conn.execute(Case.__table__.insert().values(
                worker_ref="C-2026-000001", counselor_id=1, profile={}, notes="",
                outcome="未定", program_ids=[], created_at=now, updated_at=now))
        command.downgrade(cfg, "0002")
        tables = set(inspect(engine).get_table_names())
        assert "cases" not in tables and {"users", "chat_sessions"} <= tables
        command.upgrade(cfg, "head")
        assert "cases" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
