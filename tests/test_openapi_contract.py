"""``/openapi.json`` is what a mini-program developer integrates from: every operation says
in Chinese what it does, which credentials it accepts, what it answers (typed), which
errors (``ErrorOut``, with their codes) and shows an example; the worker profile's choices
are the domain's own lists; every error code the code base can raise is in the registry
(``api.error_codes``) and every registered code is raised somewhere; lists page by cursor.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.error_codes import CODES
from api.openapi import markdown
from api.schemas import CaseIn, MatchIn
from corpus.domain.profile import MODES, TRAVEL
from corpus.domain.vocabulary import EMPLOYMENT_STATUSES, groups, levels, physical_limits
from corpus.settings import Settings
from tests.test_schemathesis import KEY, small_home
from tests.test_service import login

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "corpus", "assistant", "matcher")
METHODS = ("get", "post", "put", "patch", "delete")
SCHEMES = {"WorkerSession", "AccountToken", "PartnerKey"}
CHINESE = re.compile(r"[\u4e00-\u9fff]")
ERROR_REF = "#/components/schemas/ErrorOut"


@pytest.fixture(scope="module")
def settings(embedder: object, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return small_home(tmp_path_factory.mktemp("contract"), None)


@pytest.fixture(scope="module")
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict[str, Any]:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    return r.json()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, item in spec["paths"].items()
            for method, op in item.items() if method in METHODS]


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


# -- every operation ---------------------------------------------------------------------
def test_every_operation_is_described_in_chinese(spec: dict[str, Any]) -> None:
    missing = [f"{m} {p}" for m, p, op in operations(spec)
               if not CHINESE.search(op.get("summary", ""))
               or not CHINESE.search(op.get("description", ""))]
    assert not missing, missing
    assert len(operations(spec)) >= 30
    for tag in spec["tags"]:
        assert CHINESE.search(tag["name"]) and CHINESE.search(tag["description"])
    used = {t for _, _, op in operations(spec) for t in op.get("tags", [])}
    assert used <= {t["name"] for t in spec["tags"]}


def test_every_operation_declares_who_may_call_it(spec: dict[str, Any]) -> None:
    assert set(spec["components"]["securitySchemes"]) == SCHEMES
    assert spec["components"]["securitySchemes"]["PartnerKey"]["name"] == "X-API-Key"
    for method, path, op in operations(spec):
        assert "security" in op, f"{method} {path}"
        for requirement in op["security"]:
            assert set(requirement) <= SCHEMES, f"{method} {path}"
    by_path = {(m, p): op["security"] for m, p, op in operations(spec)}
    assert by_path[("GET", "/v1/documents")] == [{"AccountToken": []}]  # admin only
    assert {"PartnerKey": []} in by_path[("POST", "/v1/match")]
    assert {"WorkerSession": []} in by_path[("POST", "/v1/chat/sessions/{session_id}/match")]
    assert by_path[("GET", "/v1/vocabulary")] == []  # open
    assert {} in by_path[("POST", "/v1/ask")]  # a caller is optional


def test_every_success_response_is_typed(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        ok = {s: r for s, r in op["responses"].items() if s.startswith("2")}
        assert ok, f"{method} {path}"
        for status, response in ok.items():
            if status == "204":
                continue
            for media, body in response["content"].items():
                schema = body.get("schema", {})
                assert schema and schema != {}, f"{method} {path} {status} {media}"
                if media == "application/json":
                    resolved = resolve(spec, schema)
                    assert resolved.get("type") in ("object", "array") or "anyOf" in resolved, \
                        f"{method} {path} answers an untyped body"


def test_every_error_response_is_error_out_with_its_codes(spec: dict[str, Any]) -> None:
    text = str(spec)
    assert "HTTPValidationError" not in text and "#/components/schemas/ValidationError" not in text
    for method, path, op in operations(spec):
        errors = {s: r for s, r in op["responses"].items() if s[0] in "45"}
        assert "500" in errors, f"{method} {path}"
        for status, response in errors.items():
            media = response["content"]["application/json"]
            assert media["schema"] == {"$ref": ERROR_REF}, f"{method} {path} {status}"
            for code, example in media["examples"].items():
                assert example["value"]["code"] == code and CODES[code].status == int(status)
        assert op["x-error-codes"] and all(f"`{c}`" in op["description"]
                                           for c in op["x-error-codes"])
    ops = {(m, p): op for m, p, op in operations(spec)}
    assert "invalid_request" in ops[("POST", "/v1/match")]["x-error-codes"]
    assert "bad_group" in ops[("POST", "/v1/match")]["x-error-codes"]
    assert "session_not_found" in ops[("GET", "/v1/chat/sessions/{session_id}/messages")][
        "x-error-codes"]


def _has_example(spec: dict[str, Any], node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    if "example" in node or "examples" in node:
        return True
    if "$ref" in node:
        return _has_example(spec, resolve(spec, node))
    return any(_has_example(spec, node.get(k)) for k in ("schema", "items")) or any(
        _has_example(spec, s) for s in node.get("anyOf", []))


def test_every_operation_shows_an_example(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        bodies = [m for r in ("requestBody",) if r in op for m in op[r]["content"].values()]
        bodies += [m for s, r in op["responses"].items() if s.startswith("2")
                   for m in r.get("content", {}).values()]
        params = [p for p in op.get("parameters", []) if _has_example(spec, p)]
        assert params or any(_has_example(spec, m) for m in bodies) or \
            op["responses"].get("204"), f"{method} {path} has no example"


def test_the_docs_and_the_description_carry_the_error_table(spec: dict[str, Any]) -> None:
    description = spec["info"]["description"]
    for code in CODES:
        assert f"`{code}`" in description
    docs = ROOT / "docs" / "api.md"
    assert docs.read_text(encoding="utf-8") == markdown(spec), (
        "docs/api.md is out of date: python -m api.openapi > docs/api.md")


# -- one worker profile ------------------------------------------------------------------
PROFILE_TAKERS = ("AskIn", "SessionIn", "EligibilityIn", "MatchIn", "GuideIn", "CaseIn",
                  "CaseUpdate", "HandoutIn")


def test_one_profile_schema_whose_choices_are_the_domain_lists(spec: dict[str, Any]) -> None:
    models = spec["components"]["schemas"]
    for name in PROFILE_TAKERS:
        taken = str(models[name]["properties"]["profile"])
        assert "#/components/schemas/WorkerProfile" in taken, name
    profile = models["WorkerProfile"]["properties"]
    assert profile["groups"]["items"]["enum"] == list(groups().names)
    assert profile["not_groups"]["items"]["enum"] == list(groups().names)
    assert profile["physical_limits"]["items"]["enum"] == list(physical_limits().codes)
    assert profile["mode"]["enum"] == list(MODES)
    assert profile["travel"]["enum"] == list(TRAVEL)
    assert profile["employment_status"]["enum"] == list(EMPLOYMENT_STATUSES)
    level = profile["certificates"]["items"]["anyOf"][0]["properties"]["level"]
    assert level["enum"] == list(levels().names)
    assert models["WorkerProfile"]["additionalProperties"] is True  # rule facts pass


def test_the_profile_schema_accepts_what_was_accepted() -> None:
    """Aliases, a list written as text and extra facts reach the domain parser unchanged."""
    sent = {"groups": "农村妇女;退伍军人", "certificates": ["电工"], "mode": "面授",
            "age": "40", "veteran_years": 3, "physical_limits": "恐高"}
    assert MatchIn(profile=sent).profile == sent
    assert CaseIn(profile={}).profile == {}
    with pytest.raises(ValueError, match="NaN"):
        MatchIn(profile={"age": float("nan")})


# -- cursor paging -----------------------------------------------------------------------
def _walk(client: TestClient, url: str, key: str, headers: dict[str, str]) -> list[Any]:
    seen: list[Any] = []
    after = None
    for _ in range(100):
        r = client.get(url, params={"limit": 7, **({"after": after} if after else {})},
                       headers=headers)
        assert r.status_code == 200, r.text
        seen += r.json()[key]
        after = r.json().get("next_cursor")
        if after is None:
            return seen
    raise AssertionError("paging never ended")


def test_programs_and_cases_page_by_cursor(client: TestClient) -> None:
    partner = {"X-API-Key": KEY}
    programs = _walk(client, "/v1/programs", "programs", partner)
    every = client.get("/v1/programs", params={"limit": 200}, headers=partner).json()
    assert [p["program_id"] for p in programs] == [p["program_id"] for p in every["programs"]]
    assert "next_cursor" not in every  # absent on the last page: old exact bodies hold
    counselor = login(client, "counselor", "counsel-secret-1")
    for n in range(9):
        assert client.post("/v1/cases", json={"notes": f"第{n}个"},
                           headers=counselor).status_code == 201
    cases = _walk(client, "/v1/cases", "cases", counselor)
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)) >= 9 and ids == sorted(ids, reverse=True)
    r = client.get("/v1/cases", params={"after": "999999"}, headers=counselor)
    assert r.status_code == 400 and r.json()["code"] == "bad_cursor"


def test_documents_page_by_cursor_in_a_header(client: TestClient) -> None:
    admin = login(client, "admin", "admin-secret-1")
    every = client.get("/v1/documents", headers=admin).json()
    assert len(every) >= 2
    pages, after = [], None
    while True:
        r = client.get("/v1/documents", params={"limit": 1, **({"after": after} if after
                                                                 else {})}, headers=admin)
        pages += r.json()
        after = r.headers.get("X-Next-Cursor")
        if after is None:
            break
    assert pages == every


# -- the registry of error codes ---------------------------------------------------------
def _sources() -> list[Path]:
    return [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
            if "migrations" not in p.parts]


def _code_params(trees: dict[Path, ast.AST]) -> dict[str, int]:
    """Functions with a ``code`` parameter, and its position (``_check(…, "catalog_invalid")``)."""
    out: dict[str, int] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                names = [a.arg for a in node.args.args]
                if "code" in names:
                    out[node.name] = names.index("code")
    return out


def raised_codes() -> tuple[set[str], list[re.Pattern[str]]]:
    """Every error code written in the code base: ``code = "…"`` in a class, ``code="…"``
    in a call, a ``code`` parameter's default or argument, ``_error("…")``,
    ``{"code": "…"}``, ``("…", "中文…")`` tables, and ``range_code:`` in rule data.
    f-strings (``code=f"bad_{name}"``) come back as patterns."""
    codes: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in _sources()}
    params = _code_params(trees)

    def text(node: ast.AST | None) -> str | None:
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) \
            else None

    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    target = stmt.targets[0] if isinstance(stmt, ast.Assign) else getattr(
                        stmt, "target", None)
                    if isinstance(target, ast.Name) and target.id == "code" and text(
                            getattr(stmt, "value", None)):
                        codes.add(text(stmt.value))  # type: ignore[arg-type]
            elif isinstance(node, ast.FunctionDef):
                args = node.args
                positional = list(zip(args.args[::-1], args.defaults[::-1], strict=False))
                for arg, default in [*positional,
                                     *zip(args.kwonlyargs, args.kw_defaults, strict=True)]:
                    if arg.arg == "code" and text(default):
                        codes.add(text(default))  # type: ignore[arg-type]
            elif isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
                for kw in node.keywords:
                    if kw.arg == "code" and text(kw.value):
                        codes.add(text(kw.value))  # type: ignore[arg-type]
                    elif kw.arg == "code" and isinstance(kw.value, ast.JoinedStr):
                        parts = [re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z_]+"
                                 for v in kw.value.values]
                        patterns.append(re.compile("".join(parts) + "$"))
                for arg in node.args:  # messages.get(status, ("http_error", "中文…"))
                    if isinstance(arg, ast.Tuple) and len(arg.elts) == 2 and text(
                            arg.elts[0]) and CHINESE.search(text(arg.elts[1]) or ""):
                        codes.add(text(arg.elts[0]))  # type: ignore[arg-type]
                if name == "_error" and node.args and text(node.args[0]):
                    codes.add(text(node.args[0]))  # type: ignore[arg-type]
                if name in params and len(node.args) > params[name] and text(
                        node.args[params[name]]):
                    codes.add(text(node.args[params[name]]))  # type: ignore[arg-type]
            elif isinstance(node, ast.Dict):
                keys = [text(k) for k in node.keys]
                if "code" in keys and "message" in keys:  # an error object
                    codes.add(text(node.values[keys.index("code")]) or "")
                for key, value in zip(node.keys, node.values, strict=True):
                    # a status → (code, Chinese message) table (api/app.py)
                    if isinstance(key, ast.Constant) and isinstance(key.value, int) and \
                            isinstance(value, ast.Tuple) and text(value.elts[0]):
                        codes.add(text(value.elts[0]))  # type: ignore[arg-type]
    for data in (ROOT / "assistant").rglob("*.yaml"):
        codes |= set(re.findall(r"^\s*range_code:\s*([a-z_]+)", data.read_text("utf-8"), re.M))
    codes.discard("error")  # JntError's own default, always overridden by a subclass
    return {c for c in codes if re.fullmatch(r"[a-z][a-z0-9_]*", c)}, patterns


def test_every_raised_code_is_registered_and_every_registered_code_is_raised() -> None:
    codes, patterns = raised_codes()
    unregistered = sorted(codes - set(CODES))
    assert not unregistered, f"add to api/error_codes.py: {unregistered}"
    unused = sorted(c for c in set(CODES) - codes if not any(p.match(c) for p in patterns))
    assert not unused, f"registered but raised nowhere: {unused}"
