"""The OpenAPI document is a contract the service keeps: schemathesis drives every operation
of the app in process, with each kind of caller, on SQLite and on PostgreSQL.

Checks: no 5xx (``not_a_server_error``), every response matches its declared schema
(``response_schema_conformance``), status code and content type are declared ones.
Bounded and reproducible: a fixed seed, deterministic generation, few examples per
operation (``MAX_EXAMPLES``), so the file stays within a few minutes on two cores.

Nothing is excluded. WeChat's code2session cannot be reached in process, so the WeChat
login runs in its sandbox (``JNT_WECHAT_SANDBOX``: ``sandbox-<name>`` codes). The worker's
credential is used on its own session (a random session id would only ever meet 404), and
the rate limits are raised so the run measures the endpoints, not the limiter (429 is
declared everywhere, and tested elsewhere). Generation is hypothesis over each operation's
strategy (its examples, then generated requests), not schemathesis's pytest plugin, whose
lazy-fixture loader reads a private pytest attribute that pytest 9 removed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.users import create_user
from corpus.home import library
from corpus.settings import Settings
from matcher.catalog import import_catalog
from matcher.sample import generate, write_csv
from tests.postgres import BACKENDS, fresh_schema

KEY = "k-partner-contract-0123"
SEEDS = Path(__file__).resolve().parent.parent / "corpus" / "texts" / "seeds"
DOCS = ("001_6869cc14234ec324.txt", "002_2b4b239ca6ca9801.txt")
SEED = 20261127
MAX_EXAMPLES = 4
CALLERS = ("anonymous", "worker", "partner", "counselor", "admin")
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          content_type_conformance]
UNLIMITED = {"rate_limit_key_per_minute": 1_000_000,
             "rate_limit_session_per_minute": 1_000_000,
             "rate_limit_address_per_minute": 1_000_000,
             "login_attempts_per_address_per_minute": 1_000_000}


@dataclass
class Contract:
    app: FastAPI
    headers: dict[str, dict[str, str]]
    session_id: str
    seen: dict[str, int] = field(default_factory=lambda: {"requests": 0})


def small_home(folder: Path, database_url: str | None) -> Settings:
    """Two small policy files (a full corpus takes minutes to embed), a sample catalog, a
    partner key and two accounts."""
    settings = Settings(home=folder / "home", database_url=database_url,  # type: ignore[arg-type]
                        api_keys=f"partner:{KEY}", wechat_sandbox=True, **UNLIMITED)
    docs = folder / "docs"
    docs.mkdir()
    for name in DOCS:
        for path in (SEEDS / name, SEEDS / f"{name}.meta.yaml"):
            shutil.copy(path, docs / path.name)
    library(settings).ingest([docs])
    csv = folder / "catalog.csv"
    write_csv(generate(40), csv)
    import_catalog(settings, csv, is_sample=True)
    create_user(settings, "admin", "admin-secret-1", "admin")
    create_user(settings, "counselor", "counsel-secret-1", "counselor")
    return settings


def _login(client: TestClient, username: str, password: str) -> dict[str, str]:
    r = client.post("/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture(scope="module", params=BACKENDS)
def contract(request: pytest.FixtureRequest, embedder: Any,
             tmp_path_factory: pytest.TempPathFactory) -> Contract:
    url = None
    if request.param == "postgresql":
        url = fresh_schema(request.getfixturevalue("postgres_database"))
    settings = small_home(tmp_path_factory.mktemp(f"contract-{request.param}"), url)
    app = create_app(settings)
    client = TestClient(app)
    r = client.post("/v1/chat/sessions", json={"profile": {"city": "赣州市",
                                                         "groups": ["退役军人"]}})
    assert r.status_code == 201, r.text
    session = r.json()
    headers = {"anonymous": {}, "partner": {"X-API-Key": KEY},
               "worker": {"Authorization": f"Bearer {session['token']}"},
               "counselor": _login(client, "counselor", "counsel-secret-1"),
               "admin": _login(client, "admin", "admin-secret-1")}
    for who, url in (("admin", "/v1/documents"), ("counselor", "/v1/cases"),
                     ("partner", "/v1/programs"),
                     ("worker", f"/v1/chat/sessions/{session['session_id']}/messages")):
        assert client.get(url, headers=headers[who]).status_code == 200, who
    return Contract(app, headers, session["session_id"])


def _cases(schema: Any, operation: Any) -> Any:
    """The operation's own examples first, then generated requests."""
    examples = schema.get_strategies_from_examples(operation)
    return st.one_of(*examples, operation.as_strategy()) if examples else \
        operation.as_strategy()


def _run(schema: Any, operation: Any, contract: Contract) -> str | None:
    """Every generated request, once per kind of caller; the first failure, or None."""

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=_cases(schema, operation))
    def run(case: Any) -> None:
        generated = dict(case.headers or {})
        for caller in CALLERS:
            case.headers = {**generated, **contract.headers[caller]}
            if caller == "worker" and "session_id" in (case.path_parameters or {}):
                case.path_parameters["session_id"] = contract.session_id
            contract.seen["requests"] += 1
            try:
                response = case.call_and_validate(app=contract.app, checks=CHECKS)
                if response.status_code < 300:
                    contract.seen[f"ok:{caller}"] = contract.seen.get(f"ok:{caller}", 0) + 1
            except (Exception, BaseExceptionGroup) as failure:
                raise AssertionError(f"as {caller}: {failure}") from failure

    try:
        run()
    except (Exception, BaseExceptionGroup) as failure:  # every operation runs; all are listed
        return f"{operation.label}: {failure}"
    return None


def test_every_operation_keeps_its_contract(contract: Contract) -> None:
    config = schemathesis.Config.from_dict({"seed": SEED})
    schema = schemathesis.openapi.from_asgi("/openapi.json", contract.app, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    failures = [f for f in (_run(schema, op, contract) for op in operations) if f]
    print(f"\n[schemathesis] operations={len(operations)} requests={contract.seen['requests']} "
          f"failures={len(failures)} 2xx by caller="
          f"{ {c: contract.seen.get(f'ok:{c}', 0) for c in CALLERS} }")
    assert len(operations) >= 30
    assert not failures, "\n\n".join(failures)
    for caller in CALLERS:  # every credential really opened something
        assert contract.seen.get(f"ok:{caller}", 0) > 0, caller
