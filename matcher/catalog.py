"""The training-program catalog and shortage lists of one home: import, list, version.

An import is all-or-nothing, like ``corpus.library``: the whole file is read and checked
before anything is written, a file with bad rows is refused (unless the caller asks to skip
them) with a report naming every bad line, and the write is one transaction, so a failure
half-way leaves the catalog exactly as it was. Job-center catalogs run to 100,000 rows, so
rows go in as bulk INSERT/UPDATE statements against one query of the ids already stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.orm import sessionmaker

from corpus.db import Base, get_engine, session_factory
from corpus.errors import InvalidInput
from corpus.settings import Settings
from matcher.catalog_format import Parsed, RowError, parse_file, parse_shortage_file
from matcher.db import CatalogState, Program, ShortageEntry, bump_version

log = logging.getLogger(__name__)
_SHOWN_ERRORS = 5  # how many bad rows the one-line message names; the detail has them all


_TABLE = Program.__table__
_DELETE = delete(_TABLE).where(_TABLE.c.program_id == bindparam("_id"))


@dataclass
class ImportReport:
    file: str
    rows: int = 0  # data rows read (header and blank lines not counted)
    imported: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0  # bad rows left out (only with skip_bad_rows)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ShortageReport:
    file: str
    rows: int = 0
    imported: int = 0
    replaced: int = 0  # entries of the same region and period that the file superseded
    skipped: int = 0
    lists: list[dict[str, Any]] = field(default_factory=list)  # region, period, entries
    errors: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@lru_cache(maxsize=8)
def _sessions(url: str) -> sessionmaker:
    """Sessions whose database has the catalog tables, even if the engine was first built
    before ``matcher.db`` was imported (``get_engine`` creates only the tables it knows)."""
    Base.metadata.create_all(get_engine(url),
                             tables=[Program.__table__, ShortageEntry.__table__,
                                     CatalogState.__table__])
    return session_factory(url)


def sessions(settings: Settings) -> sessionmaker:
    settings.ensure_home()
    return _sessions(settings.db_url)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _check(parsed: Parsed, path: Path, skip_bad_rows: bool, code: str, report: Any) -> None:
    """Refuse an empty file, and a file with bad rows unless they are to be skipped."""
    if parsed.total == 0:
        raise InvalidInput(f"{path.name} 没有数据行。", code="catalog_empty",
                           detail={"file": path.name})
    report.errors = [e.to_dict() for e in parsed.errors]
    report.skipped = len(parsed.bad_lines)
    if parsed.errors and not skip_bad_rows:
        raise InvalidInput(_refusal(path, parsed), code=code, detail=report.to_dict())


def _refusal(path: Path, parsed: Parsed) -> str:
    shown: list[RowError] = []
    for error in parsed.errors:
        if error.line not in {e.line for e in shown}:
            shown.append(error)
        if len(shown) == _SHOWN_ERRORS:
            break
    listed = "；".join(f"第 {e.line} 行：{e.reason}" for e in shown)
    more = "等" if len(parsed.bad_lines) > len(shown) else ""
    return (f"{path.name} 有 {len(parsed.bad_lines)} 行无法导入，未写入任何数据。{listed}{more}。"
            "请修正后重新导入，或加 --skip-bad-rows 只导入其余各行。")


def import_catalog(settings: Settings, path: Path | str, *, skip_bad_rows: bool = False,
                   is_sample: bool = False) -> ImportReport:
    """Import (upsert by program_id) a catalog file; raises ``InvalidInput`` with code
    ``catalog_invalid`` and the full report as detail when it has bad rows."""
    path = Path(path)
    parsed = parse_file(path)
    report = ImportReport(file=path.name, rows=parsed.total)
    _check(parsed, path, skip_bad_rows, "catalog_invalid", report)
    stamp = {"is_sample": is_sample, "source": path.name, "updated_at": _now()}
    records = [row.record() | stamp for row in parsed.rows]
    with sessions(settings)() as session, session.begin():
        existing = set(session.scalars(select(Program.program_id)))
        known = [{"_id": r["program_id"]} for r in records if r["program_id"] in existing]
        if known:  # a re-imported row is rewritten whole: delete + insert beats UPDATE
            session.execute(_DELETE, known)
        if records:  # Core executemany: ORM per-row bookkeeping would cost more than SQLite
            session.execute(insert(_TABLE), records)
        bump_version(session, stamp["updated_at"])
    report.updated, report.imported = len(known), len(records)
    report.created = report.imported - report.updated
    log.info("catalog import %s: %d created, %d updated, %d skipped", path.name,
             report.created, report.updated, report.skipped)
    return report


def import_shortage(settings: Settings, path: Path | str, *,
                    skip_bad_rows: bool = False) -> ShortageReport:
    """Import a shortage list; each (region, period) in the file replaces the stored one."""
    path = Path(path)
    parsed = parse_shortage_file(path)
    report = ShortageReport(file=path.name, rows=parsed.total)
    _check(parsed, path, skip_bad_rows, "shortage_invalid", report)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in parsed.rows:
        groups.setdefault((item.region, item.period), []).append({
            "region": item.region, "period": item.period, "occupation": item.occupation,
            "occupation_code": item.occupation_code, "rank": item.rank,
            "source": item.source or path.name})
    with sessions(settings)() as session, session.begin():
        for (region, period), entries in groups.items():
            gone = session.execute(delete(ShortageEntry).where(
                ShortageEntry.region == region, ShortageEntry.period == period))
            report.replaced += gone.rowcount or 0
            session.execute(insert(ShortageEntry), entries)
            report.lists.append({"region": region, "period": period, "entries": len(entries)})
        bump_version(session, _now())
    report.imported = len(parsed.rows)
    log.info("shortage import %s: %d entries in %d lists", path.name, report.imported,
             len(groups))
    return report


def _plain(program: Program) -> dict[str, Any]:
    out = {c.key: getattr(program, c.key) for c in Program.__table__.columns}
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in out.items()}


def list_programs(settings: Settings, limit: int | None = 50) -> list[dict[str, Any]]:
    """Stored programs ordered by id, as JSON-ready dicts."""
    with sessions(settings)() as session:
        query = select(Program).order_by(Program.program_id)
        if limit is not None:
            query = query.limit(limit)
        return [_plain(p) for p in session.scalars(query)]


def count_programs(settings: Settings) -> int:
    with sessions(settings)() as session:
        return session.scalar(select(func.count()).select_from(Program)) or 0


def catalog_version(settings: Settings) -> str:
    """Changes whenever programs or shortage lists change, so rankings may be cached on it.

    Programs: count and newest ``updated_at`` (every import stamps the rows it writes).
    Shortage lists are small and their ids can be reused after a replace, so their
    content is hashed instead.
    """
    with sessions(settings)() as session:
        count, newest = session.execute(
            select(func.count(), func.max(Program.updated_at)).select_from(Program)).one()
        shortage = session.execute(select(
            ShortageEntry.region, ShortageEntry.period, ShortageEntry.occupation,
            ShortageEntry.occupation_code, ShortageEntry.rank).order_by(ShortageEntry.id)).all()
    digest = hashlib.sha1(repr(shortage).encode("utf-8")).hexdigest()[:12]
    stamp = newest.isoformat() if newest else "-"
    return f"{count}:{stamp}:{len(shortage)}:{digest}"
