"""Database models and engine for documents and chunks (SQLAlchemy 2, SQLite by default).

SQLite runs in WAL mode so readers keep working while an ingest writes.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker


class Base(DeclarativeBase):
    pass


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    doc_number: Mapped[str | None] = mapped_column(String(120))
    issuer: Mapped[str | None] = mapped_column(String(300))
    region: Mapped[str] = mapped_column(String(60), index=True)
    published: Mapped[dt.date | None] = mapped_column(Date)
    effective_from: Mapped[dt.date | None] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    doc_type: Mapped[str | None] = mapped_column(String(60))
    source: Mapped[str | None] = mapped_column(Text)
    # official | reprint | news | unknown (corpus.metadata.SOURCE_KINDS); the note is what
    # a citation of this document says about it, e.g. 「转载文本，以人社部发布的原文为准」.
    source_kind: Mapped[str] = mapped_column(String(20), server_default="unknown")
    source_note: Mapped[str | None] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(300))
    fmt: Mapped[str] = mapped_column(String(10))
    raw_sha256: Mapped[str] = mapped_column(String(64))
    # Hash of cleaned text + metadata: equal hash means re-ingesting changes nothing.
    content_hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    cleaning_log: Mapped[list] = mapped_column(JSON, default=list)
    ingested_at: Mapped[dt.datetime] = mapped_column(DateTime)

    chunks: Mapped[list[Chunk]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="Chunk.ordinal"
    )


class Chunk(Base):
    __tablename__ = "chunks"

    id: Mapped[str] = mapped_column(String(160), primary_key=True)
    doc_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # "text" | "table"
    text: Mapped[str] = mapped_column(Text)  # the document's own words, as quoted to users

    document: Mapped[Document] = relationship(back_populates="chunks")


class IndexBuild(Base):
    """A published index build, shared through the database so every node serves the same
    one (``corpus.index_sync``); the row with the highest ``seq`` is current."""

    __tablename__ = "index_builds"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    # sha256 of the build's file list with each file's sha256: checked before unpacking.
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    archive: Mapped[bytes] = mapped_column(LargeBinary)  # tar.gz of the build folder
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    Base.metadata.create_all(engine)
    return engine


def session_factory(url: str) -> sessionmaker:
    return sessionmaker(get_engine(url), expire_on_commit=False)
