"""Database models of the catalog: training programs and shortage-list entries.

They share ``corpus.db.Base`` (one database, one engine per home). API and CLI schemas are
separate (``matcher.catalog_format`` reads rows; ``matcher.ranking`` returns plain dicts).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from corpus.db import Base


class Program(Base):
    """One row of a job center's training-project catalog (shared/schemas/program_catalog.md),
    its values already normalised: levels, modes and brand tiers to their canonical names,
    rates to percentages 0–100, regions to full official names."""

    __tablename__ = "programs"

    program_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    occupation: Mapped[str] = mapped_column(String(120), index=True)
    occupation_code: Mapped[str | None] = mapped_column(String(20), index=True)
    level: Mapped[str | None] = mapped_column(String(20))
    certificate: Mapped[str | None] = mapped_column(String(40))
    provider: Mapped[str] = mapped_column(String(200))
    provider_type: Mapped[str | None] = mapped_column(String(40))
    province: Mapped[str] = mapped_column(String(60), index=True)
    city: Mapped[str | None] = mapped_column(String(60))
    county: Mapped[str | None] = mapped_column(String(60))
    mode: Mapped[str] = mapped_column(String(20))
    hours: Mapped[int | None] = mapped_column(Integer)
    days: Mapped[int | None] = mapped_column(Integer)
    fee_yuan: Mapped[float | None] = mapped_column(Float)
    subsidized: Mapped[bool | None] = mapped_column(Boolean)
    target_groups: Mapped[list] = mapped_column(JSON, default=list)
    industry: Mapped[str | None] = mapped_column(String(120))
    brand_level: Mapped[str | None] = mapped_column(String(20))
    trained_last_year: Mapped[int | None] = mapped_column(Integer)
    pass_rate: Mapped[float | None] = mapped_column(Float)
    employment_rate: Mapped[float | None] = mapped_column(Float)
    key_group_trained: Mapped[int | None] = mapped_column(Integer)
    order_based_ratio: Mapped[float | None] = mapped_column(Float)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    schedule: Mapped[str | None] = mapped_column(String(60))
    capacity: Mapped[int | None] = mapped_column(Integer)
    enrolled: Mapped[int | None] = mapped_column(Integer)
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    prerequisite: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(200))
    extra: Mapped[dict] = mapped_column(JSON, default=dict)  # unknown columns, kept as given
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)  # 示例数据
    source: Mapped[str | None] = mapped_column(String(300))  # the file it was imported from
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ShortageEntry(Base):
    """One occupation on a published shortage list (全国 “最缺工” ranking, a province's
    紧缺职业目录, a city's list). The newest period of a region is the list in force."""

    __tablename__ = "shortage_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region: Mapped[str] = mapped_column(String(60), index=True)
    period: Mapped[str] = mapped_column(String(20))
    occupation: Mapped[str] = mapped_column(String(120))
    occupation_code: Mapped[str | None] = mapped_column(String(20), index=True)
    rank: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(Text)


class CatalogState(Base):
    """One row whose ``version`` every catalog or shortage import increments in its own
    transaction: a ranking process learns the catalog changed from a primary-key read,
    not from scanning 100,000 rows (and another process's import is seen at once)."""

    __tablename__ = "catalog_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


def bump_version(session: Session, when: dt.datetime) -> None:
    """Increment the catalog version inside the caller's transaction."""
    state = session.get(CatalogState, 1, with_for_update=True)
    if state is None:
        session.add(CatalogState(id=1, version=1, changed_at=when))
    else:
        state.version += 1
        state.changed_at = when


def current_version(session: Session) -> int:
    state = session.get(CatalogState, 1, populate_existing=True)
    return state.version if state else 0
