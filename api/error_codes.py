"""The one list of error codes a client can meet: code → HTTP status, Chinese meaning, when.

Why one list: an integrator (the WeChat mini-program's developer) switches on ``code``, so
the codes are part of the contract. ``api.openapi`` renders this table into the OpenAPI
description and each operation's error responses, ``docs/api.md`` is generated from it
(``python -m api.error_codes > docs/api.md``), and ``tests/test_openapi_contract.py`` checks
that every code raised anywhere in the code base is listed here and every code listed here
is raised somewhere.

``status`` is what the HTTP API answers; ``cli`` marks codes only ``jnt --json`` prints.
Codes inside a job's ``error`` object (``job_lost``, ``cancelled``) are listed too: a client
reads them from ``GET /v1/jobs/{id}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorCode:
    status: int
    meaning: str
    when: str
    cli: bool = False  # only the command line reports it


E = ErrorCode
CODES: dict[str, ErrorCode] = {
    # -- the request's shape -------------------------------------------------------------
    "invalid_request": E(422, "请求参数有误",
        "字段缺失、类型不对、超长、含无法保存的字符；detail 列出字段路径和中文原因"),
    "malformed_json": E(400, "请求内容不是有效的 JSON", "请求体无法解析"),
    "body_too_large": E(413, "请求内容太大", "请求体超过 1 MB（上传文件另有上限）"),
    "not_found": E(404, "找不到", "地址不存在，或找不到所请求的对象"),
    "method_not_allowed": E(405, "不支持这种请求方法", "用错了 HTTP 方法"),
    "http_error": E(400, "请求无法处理", "其他 HTTP 层面的错误"),
    "invalid_input": E(400, "输入有误", "其他无法接受的输入"),
    "bad_k": E(400, "条数 k 超出范围", "k 不在允许的范围内"),
    "bad_cursor": E(400, "分页游标无效", "after 不是上一页返回的 next_cursor"),
    "empty_query": E(400, "查询为空", "q 为空或只有空白"),
    "query_too_long": E(400, "查询太长", "q 超过检索的长度上限"),
    "question_too_long": E(400, "问题太长", "提问超过长度上限"),
    "bad_idempotency_key": E(400, "Idempotency-Key 无效", "幂等键为空、太长或含非法字符"),
    # -- the worker profile and rules ----------------------------------------------------
    "bad_profile": E(400, "画像格式不对", "profile 不是 JSON 对象，或某字段应为列表却不是"),
    "unknown_region": E(400, "地区无法识别", "province/city/county/region 不是已知的行政区"),
    "inconsistent_region": E(400, "地区前后矛盾", "城市不在所填的省内等"),
    "bad_group": E(400, "人群无法识别", "groups 中有不在人群词表（groups.yaml）中的词"),
    "bad_age": E(400, "年龄无效", "age 不是 14–100 之间的整数"),
    "impossible_age": E(400, "年龄不可能", "规则事实中的年龄超出可能范围"),
    "bad_level": E(400, "证书等级无法识别", "certificates 中的等级不在 levels.yaml 中"),
    "bad_certificate": E(400, "证书格式不对", "certificates 的一项既不是文字也不是对象"),
    "bad_physical_limit": E(400, "身体限制无法识别",
        "physical_limits 中有不在 physical_limits.yaml 中的项"),
    "bad_mode": E(400, "培训方式无法识别", "mode 不是 线下／线上／线上线下结合 或其别名"),
    "bad_travel": E(400, "出行范围无法识别",
        "travel 不是 same_county／same_city／same_province／anywhere"),
    "bad_max_hours": E(400, "最长课时无效", "max_hours 不是非负数字"),
    "bad_budget_yuan": E(400, "预算无效", "budget_yuan 不是非负数字"),
    "bad_fact": E(400, "事实取值无效", "资格检查的事实取值不符合事实表"),
    "bad_weights": E(400, "权重无效", "weights 中有未知因素或无效取值"),
    "rule_not_found": E(404, "找不到这条规则", "rule_id 不存在"),
    "program_not_found": E(404, "找不到这个培训项目", "program_id（或 why_not）不在目录中"),
    # -- who is calling -----------------------------------------------------------------
    "auth_required": E(401, "需要登录或凭证", "没有提供所需的会话凭证、账号凭证或 API 密钥"),
    "unauthorized": E(401, "未授权", "凭证不被接受"),
    "invalid_token": E(401, "凭证无效", "Bearer 凭证被篡改、种类不对或格式错误"),
    "token_expired": E(401, "凭证已过期", "请重新登录或重新开始对话"),
    "token_revoked": E(401, "凭证已失效", "密码、权限变更或已退出登录后，旧凭证失效"),
    "account_disabled": E(401, "账号不可用", "账号已停用或角色已变"),
    "invalid_api_key": E(401, "API 密钥无效", "X-API-Key 不是已配置的密钥"),
    "bad_credentials": E(401, "用户名或密码不正确", "登录失败"),
    "account_locked": E(429, "账号已锁定", "连续输错密码，账号暂时锁定"),
    "forbidden": E(403, "没有权限", "凭证有效但无权使用此功能（如劳动者凭证调用顾问接口）"),
    "token_mismatch": E(403, "凭证与会话不符", "会话凭证属于另一个会话"),
    "account_required": E(403, "需要顾问或管理员账号", "个案只能由账号使用，API 密钥不行"),
    "rate_limited": E(429, "请求太频繁", "超过每分钟限额；响应带 Retry-After"),
    "wechat_invalid_code": E(401, "微信登录 code 无效", "code 已用过、过期或不属于本小程序"),
    "wechat_unavailable": E(502, "微信服务暂不可用", "调用微信 code2session 失败"),
    "wechat_sandbox_code": E(401, "沙箱登录 code 无效",
        "沙箱模式下 code 不是 sandbox-<名字> 形式（仅测试环境）"),
    "wechat_sandbox_with_credentials": E(500, "沙箱与真实微信凭证同时配置",
        "服务拒绝启动（运维问题）"),
    "wechat_not_configured": E(503, "未配置微信小程序", "服务端没有设置 JNT_WECHAT_APPID／SECRET"),
    # -- conversations, feedback, idempotency -------------------------------------------
    "session_not_found": E(404, "找不到这个会话", "会话编号不存在"),
    "turn_not_found": E(404, "找不到这条回答", "turn_id 不存在或不是回答"),
    "idempotency_mismatch": E(409, "幂等键已用于另一请求", "同一 Idempotency-Key 发送了不同内容"),
    "idempotency_in_progress": E(409, "同一请求正在处理",
        "同一 Idempotency-Key 的第一次请求尚未完成"),
    # -- cases and the hand-out ---------------------------------------------------------
    "case_not_found": E(404, "找不到这个个案", "个案不存在或不属于当前顾问"),
    "conflict": E(409, "冲突", "与现有数据冲突"),
    "worker_ref_taken": E(409, "劳动者编号已被使用", "worker_ref 与已有个案重复"),
    "already_handed_over": E(409, "会话已转为个案", "同一对话不能重复转个案"),
    "bad_worker_ref": E(400, "劳动者编号格式不对", "worker_ref 含不允许的字符"),
    "personal_worker_ref": E(400, "劳动者编号含个人信息", "worker_ref 像手机号或身份证号"),
    "null_field": E(400, "字段不能为空", "这个字段不能设为 null"),
    "no_programs": E(400, "没有选择项目", "推荐单至少要有一个项目"),
    "too_many_programs": E(400, "项目太多", "推荐单最多 20 个项目"),
    "profile_or_case": E(400, "画像与个案只能二选一", "profile 和 case_id 同时提供或都没有"),
    "worker_ref_with_case": E(400, "用个案时不能另填劳动者编号", "case_id 与 worker_ref 同时提供"),
    # -- documents, catalog and jobs (admin) --------------------------------------------
    "not_multipart": E(400, "应为文件上传", "请求不是 multipart/form-data"),
    "no_files": E(400, "没有文件", "上传请求中没有文件"),
    "one_file_only": E(400, "一次只能导入一个文件", "目录导入上传了多个文件"),
    "bad_filename": E(400, "文件名无效", "文件名含路径或非法字符"),
    "filename_too_long": E(400, "文件名太长", "文件名超过上限"),
    "duplicate_file": E(400, "文件重复", "同一请求中同名文件出现两次"),
    "duplicate_id": E(400, "文档编号重复", "两个文件得到同一个文档编号"),
    "document_not_found": E(404, "找不到这个文档", "doc_id 不存在"),
    "document_too_large": E(400, "文档超出导入限制",
        "解压大小、成员数、压缩比、页数等超过 JNT_DOC_MAX_*"),
    "ingest_failed": E(400, "文档无法导入", "文件无法成为文档"),
    "unsupported_type": E(400, "不支持的文件类型", "不是 txt/md/docx/pdf 等支持的格式"),
    "unreadable": E(400, "文件无法读取", "文件损坏或无法打开"),
    "undecodable": E(400, "文件编码无法识别", "文本文件不是可识别的编码"),
    "empty_document": E(400, "文档没有内容", "清理后没有正文"),
    "pdf_encrypted": E(400, "PDF 已加密", "加密的 PDF 无法读取"),
    "pdf_no_text": E(400, "PDF 没有文字", "扫描件等没有可提取文字的 PDF"),
    "bad_front_matter": E(400, "文档头信息有误", "文档开头的元数据格式不对"),
    "bad_sidecar": E(400, "元数据文件有误", ".meta.yaml 格式不对"),
    "bad_metadata": E(400, "元数据无效", "文档元数据字段取值无效"),
    "catalog_invalid": E(422, "目录有错误行",
        "目录文件有无效行；detail 是逐行报告（可用 skip_bad_rows 跳过）"),
    "catalog_empty": E(422, "目录没有数据行", "目录文件只有表头或为空"),
    "catalog_bad_header": E(422, "目录表头有误", "表头重复或无法识别"),
    "catalog_missing_columns": E(422, "目录缺少必填列", "缺少 program_id、title 等列"),
    "catalog_bad_encoding": E(422, "目录编码无法识别", "不是 UTF-8／GBK 等可识别的编码"),
    "catalog_unreadable": E(422, "目录文件无法读取", "Excel 文件损坏等"),
    "catalog_unsupported_format": E(422, "目录格式不支持", "不是 CSV 或 XLSX"),
    "shortage_invalid": E(400, "紧缺目录有错误行", "紧缺职业目录文件有无效行", cli=True),
    "job_not_found": E(404, "找不到这个任务", "job_id 不存在"),
    "job_lost": E(200, "任务已丢失",
        "任务的执行进程停止了心跳；出现在 GET /v1/jobs/{id} 的 error 中"),
    "cancelled": E(200, "任务已取消", "管理员取消了任务；出现在 GET /v1/jobs/{id} 的 error 中"),
    "job_timeout": E(200, "任务超时",
        "任务运行超过 JNT_JOB_TIME_LIMIT_SECONDS；出现在 GET /v1/jobs/{id} 的 error 中"),
    "busy": E(409, "正在进行另一个写操作", "同一数据目录的导入、删除或重建索引在排队等待超时"),
    "disk_full": E(507, "磁盘空间已满", "写入时磁盘已满，操作未完成"),
    # -- the service's own state --------------------------------------------------------
    "index_unavailable": E(503, "检索索引不可用", "还没有发布的索引，或索引正在构建"),
    "index_missing": E(503, "索引文件缺失", "索引目录中缺少文件"),
    "index_build_corrupt": E(500, "共享索引损坏", "取回的共享索引与摘要不符（运维问题）"),
    "index_mismatch": E(500, "索引与数据不一致", "提交的数据与构建索引时不同（运维问题）"),
    "index_format": E(503, "索引格式不对", "索引文件损坏或版本不符"),
    "index_model_mismatch": E(503, "索引与模型不符", "索引由另一个嵌入模型构建"),
    "model_missing": E(503, "嵌入模型缺失", "模型文件不存在"),
    "model_invalid": E(503, "嵌入模型文件无效", "模型文件损坏"),
    "model_load_failed": E(503, "嵌入模型无法加载", "加载模型失败"),
    "bad_rule_file": E(500, "规则文件有误", "服务端规则数据无效（运维问题）"),
    "bad_cues": E(500, "对话词表有误", "服务端对话线索数据无效（运维问题）"),
    "bad_trusted_proxies": E(500, "JNT_TRUSTED_PROXIES 配置有误",
        "受信代理不是 IP 或网段（运维问题）"),
    "not_ready": E(503, "服务尚未就绪", "/readyz：数据库或数据目录不可写，或没有索引"),
    "internal": E(500, "服务内部错误", "未预期的错误；日志中有同一 X-Request-ID 的记录"),
    # -- accounts (command line) --------------------------------------------------------
    "bad_username": E(400, "用户名无效", "jnt users add 的用户名不合规", cli=True),
    "bad_role": E(400, "角色无效", "角色不是 counselor 或 admin", cli=True),
    "weak_password": E(400, "密码太弱", "密码太短或太简单", cli=True),
    "user_not_found": E(404, "找不到这个账号", "用户名不存在（POST /v1/auth/unlock 与 jnt users）"),
    # -- command line only -------------------------------------------------------------
    "usage": E(400, "命令用法有误", "参数缺失或不认识", cli=True),
    "interrupted": E(400, "已中断", "按了 Ctrl-C", cli=True),
    "bad_date": E(400, "日期格式不对", "--as-of 等日期参数无效", cli=True),
    "bad_query_line": E(400, "查询文件的一行无效", "批量查询文件中有无效行", cli=True),
    "empty_question": E(400, "问题为空", "jnt ask 没有问题", cli=True),
    "file_not_found": E(400, "找不到文件", "命令行指定的文件不存在", cli=True),
    "id_with_many_files": E(400, "--id 只能用于一个文件", "导入多个文件时指定了 --id", cli=True),
    "no_program": E(400, "没有指定项目", "jnt match --why-not 缺少项目编号", cli=True),
}

# What the profile parser (corpus/domain/profile.py) refuses a WorkerProfile with.
PROFILE_CODES = ("bad_profile", "unknown_region", "inconsistent_region", "bad_group", "bad_age",
                 "bad_level", "bad_certificate", "bad_physical_limit", "bad_mode", "bad_travel",
                 "bad_max_hours", "bad_budget_yuan")
# Codes every operation can answer, whatever it does.
EVERYWHERE = ("rate_limited", "internal")


def raises(*codes: str) -> dict[str, Any]:
    """``openapi_extra`` for a route: the domain codes it can answer besides the ones
    ``api.openapi`` adds from its shape (auth, body, parameters). Unknown codes fail fast."""
    unknown = [code for code in codes if code not in CODES]
    if unknown:
        raise KeyError(f"error codes not in api.error_codes.CODES: {unknown}")
    return {"x-error-codes": list(codes)}


def table_markdown() -> str:
    """The error-code table (Markdown), for the OpenAPI description and docs/api.md."""
    rows = ["| 代码 | HTTP | 含义 | 何时出现 |", "|---|---|---|---|"]
    for code, spec in CODES.items():
        status = "仅命令行" if spec.cli else ("任务 error" if spec.status == 200 else spec.status)
        rows.append(f"| `{code}` | {status} | {spec.meaning} | {spec.when} |")
    return "\n".join(rows)


if __name__ == "__main__":  # python -m api.error_codes: the table for docs/api.md
    print(table_markdown())
