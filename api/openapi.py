"""The OpenAPI document as a contract: what a mini-program developer integrates from.

FastAPI's generated document is completed here, in one place, from what the routes declare:
  * every operation's ``security`` (the schemes its dependencies declare, ``[]`` when open;
    ``{}`` listed too when a caller is optional);
  * its error responses, all ``ErrorOut`` — the codes a route declares with
    ``api.error_codes.raises`` plus the ones its shape implies (a body: ``invalid_request``,
    ``malformed_json``, ``body_too_large``; a scheme: the auth codes; every metered route:
    ``rate_limited``; everything: ``internal``), grouped by status, each with an example,
    listed in ``x-error-codes`` and in the description;
  * FastAPI's ``HTTPValidationError`` is removed: a 422 here is ``ErrorOut`` with
    ``detail = [{field, reason}]``;
  * the error-code table (``api.error_codes``) in the API description, shown in ``/docs``.
``python -m api.openapi`` writes ``docs/api.md`` from the same document.
"""

from __future__ import annotations

import sys
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.error_codes import CODES, EVERYWHERE, table_markdown
from api.profile_schema import WorkerProfile
from api.schemas import CatalogImportIn, DocumentsUploadIn, ErrorOut

REF = "#/components/schemas/{model}"
UNMETERED = ("/healthz", "/readyz", "/metrics")
METHODS = ("get", "post", "put", "patch", "delete")
AUTH_CODES = {
    "WorkerSession": ("auth_required", "invalid_token", "token_expired", "forbidden",
                      "token_mismatch"),
    "AccountToken": ("auth_required", "invalid_token", "token_expired", "token_revoked",
                     "account_disabled", "forbidden"),
    "PartnerKey": ("auth_required", "invalid_api_key", "forbidden"),
}
OPTIONAL_AUTH = ("invalid_token", "token_expired", "token_revoked", "account_disabled",
                 "invalid_api_key")

TAGS = [
    {"name": "对话", "description": "劳动者的对话：匿名开始会话（得到会话凭证）、提问、历史、评价，"
                                  "以及按本会话画像匹配项目。"},
    {"name": "微信小程序", "description": "小程序登录：wx.login 的 code 换会话凭证。"},
    {"name": "政策问答", "description": "一问一答，回答引用政策原文。"},
    {"name": "政策检索", "description": "检索政策文件片段。"},
    {"name": "就业指导", "description": "顾问工作台：资格检查、项目匹配、引导式提问、推荐单、"
                                    "画像可选值。"},
    {"name": "培训项目", "description": "培训项目目录。"},
    {"name": "个案", "description": "顾问的个案记录（顾问或管理员账号）。"},
    {"name": "参考数据", "description": "职业分类、紧缺职业目录（公开）。"},
    {"name": "账号", "description": "顾问和管理员登录、退出、解锁。"},
    {"name": "管理", "description": "管理员：政策文件、目录导入、后台任务。"},
    {"name": "运维", "description": "存活、就绪检查与 Prometheus 指标。"},
]

DESCRIPTION = """技能通：职业技能培训政策问答、劳动者对话、培训项目匹配与管理接口。

## 凭证
- **WorkerSession**（劳动者）：`POST /v1/chat/sessions` 或 `POST /v1/wechat/login` 返回的
  `token`，放在 `Authorization: Bearer …` 中，只能打开自己的会话。
- **PartnerKey**（合作方后台，如小程序服务端）：请求头 `X-API-Key`。
- **AccountToken**（就业指导员 counselor／管理员 admin）：`POST /v1/auth/login` 返回的 `token`，
  放在 `Authorization: Bearer …` 中。管理接口只接受管理员账号。

每个接口的 `security` 列出它接受的凭证；`[]` 表示公开。凭证无效时一律拒绝（401），不会当作匿名。

## 错误
所有错误都是 `{code, message, detail}`（见 `ErrorOut`）：按 `code` 处理，`message` 是可以直接
展示的中文说明。请求格式错误为 422 `invalid_request`，`detail` 为 `[{field, reason}]`；
JSON 无法解析为 400 `malformed_json`；业务上的拒绝有各自的代码（如 `bad_group`、
`unknown_region`）。每个接口的错误响应列出它可能返回的代码（也见 `x-error-codes`）。

## 分页
列表接口用游标分页：`?after=&limit=`，响应中的 `next_cursor` 作为下一次的 `after`，
最后一页为空。

## 幂等与限流
创建类 POST 接受 `Idempotency-Key`：同一个键的重试返回第一次的结果（响应头
`Idempotent-Replayed: true`）。超过限额时 429 `rate_limited`，带 `Retry-After` 和
`X-RateLimit-*`。每个响应带 `X-Request-ID`。

## 错误代码表
"""


def install(app: FastAPI) -> None:
    """Serve the completed document at ``/openapi.json`` (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def build(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes,
                         description=DESCRIPTION + table_markdown(), tags=TAGS)
    components = schema.setdefault("components", {})
    models = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        models.pop(name, None)
    for model in (ErrorOut, WorkerProfile, CatalogImportIn, DocumentsUploadIn):
        _add_model(models, model)
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                _complete(path, item[method])
    return schema


def _add_model(models: dict[str, Any], model: Any) -> None:
    found = model.model_json_schema(ref_template=REF)
    for name, sub in found.pop("$defs", {}).items():
        models.setdefault(name, sub)
    models.setdefault(model.__name__, found)


def _complete(path: str, op: dict[str, Any]) -> None:
    op.setdefault("security", [])
    codes = _codes(path, op)
    responses = op.setdefault("responses", {})
    responses.pop("422", None)  # FastAPI's HTTPValidationError
    for status, response in responses.items():
        if status.startswith("2") and response.get("description") == "Successful Response":
            response["description"] = "成功"
    by_status: dict[int, list[str]] = {}
    for code in codes:
        spec = CODES[code]
        if not spec.cli and spec.status >= 400:
            by_status.setdefault(spec.status, []).append(code)
    for status, listed in sorted(by_status.items()):
        responses[str(status)] = _error_response(listed)
    op["x-error-codes"] = [code for code in codes if not CODES[code].cli]
    listing = "、".join(f"`{c}`" for c in op["x-error-codes"])
    op["description"] = (op.get("description") or "").rstrip() + f"\n\n可能的错误代码：{listing}。"


def _codes(path: str, op: dict[str, Any]) -> list[str]:
    declared = list(op.get("x-error-codes", []))
    implied: list[str] = []
    if op.get("parameters") or op.get("requestBody"):
        implied.append("invalid_request")
    content = op.get("requestBody", {}).get("content", {})
    if content:
        implied += ["body_too_large"]
        if "application/json" in content:
            implied += ["malformed_json"]
    if {} in op["security"]:  # a caller is optional: only a bad credential is refused
        implied += OPTIONAL_AUTH
    else:
        implied += [c for requirement in op["security"] for scheme in requirement
                    for c in AUTH_CODES[scheme]]
    implied += [c for c in EVERYWHERE if not (c == "rate_limited" and path in UNMETERED)]
    return list(dict.fromkeys(declared + implied))


def _error_response(codes: list[str]) -> dict[str, Any]:
    meanings = "；".join(f"`{c}` {CODES[c].meaning}" for c in codes)
    return {"description": meanings, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/ErrorOut"},
        "examples": {code: {"summary": CODES[code].meaning, "value": {
            "code": code, "message": f"{CODES[code].meaning}。", "detail": None}}
            for code in codes}}}}


# -- docs/api.md -------------------------------------------------------------------------
def markdown(schema: dict[str, Any]) -> str:
    """docs/api.md: the description, then one line per operation (generated; do not edit)."""
    schemes = {"WorkerSession": "劳动者", "AccountToken": "账号", "PartnerKey": "密钥"}
    lines = ["# 技能通 API", "", "<!-- 由 `python -m api.openapi > docs/api.md` 生成，请勿手改 -->",
             "", schema["info"]["description"], "", "## 接口", "",
             "| 方法 | 路径 | 说明 | 凭证 | 错误代码 |", "|---|---|---|---|---|"]
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            who = "、".join(schemes[s] for r in op["security"] for s in r) or "公开"
            if {} in op["security"] and op["security"] != [{}]:
                who += "（可选）"
            codes = " ".join(f"`{c}`" for c in op["x-error-codes"])
            lines.append(f"| {method.upper()} | `{path}` | {op.get('summary', '')} | {who} | "
                         f"{codes} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Write the document's Markdown to stdout, from an app on a throw-away home."""
    import tempfile
    from pathlib import Path

    from api.app import create_app
    from corpus.settings import Settings

    with tempfile.TemporaryDirectory() as home:
        app = create_app(Settings(home=Path(home)))  # type: ignore[call-arg]
        sys.stdout.write(markdown(app.openapi()))


if __name__ == "__main__":
    main()
