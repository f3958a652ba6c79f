"""The HTTP surface of this issue: /healthz and /v1/search, errors in one shape."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api import app as app_module
from corpus.home import searcher


@pytest.fixture(scope="module")
def client(shipped_settings) -> TestClient:
    application = app_module.create_app()
    application.dependency_overrides[app_module.get_searcher] = lambda: searcher(shipped_settings)
    return TestClient(application)


def test_healthz(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_search(client) -> None:
    r = client.get("/v1/search", params={"q": "内蒙古培训品牌多久评一次", "k": 3,
                                         "region": "内蒙古"})
    assert r.status_code == 200
    body = r.json()
    assert len(body["results"]) == 3
    assert {"chunk_id", "doc_id", "title", "section", "text", "score"} <= set(body["results"][0])


@pytest.mark.parametrize("params,status,code", [
    ({"q": ""}, 400, "empty_query"),
    ({"q": "培训", "region": "火星"}, 400, "unknown_region"),
    ({"q": "培" * 2001}, 400, "query_too_long"),
    ({"q": "培训", "k": "many"}, 422, "invalid_request"),
    ({"q": "培训", "k": 0}, 422, "invalid_request"),
])
def test_bad_requests_get_the_error_shape(client, params, status, code) -> None:
    r = client.get("/v1/search", params=params)
    assert r.status_code == status
    body = r.json()
    assert set(body) == {"code", "message", "detail"}
    assert body["code"] == code
    assert "Traceback" not in r.text
