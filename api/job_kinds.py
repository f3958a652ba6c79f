"""What each kind of job does, given its parameters and files: the only place a job's
work is defined, so any node can run a job another node accepted.

A handler gets a ``JobContext``: the claiming node's settings, the job's JSON ``params``,
the folder its payload was unpacked into (on the claiming node's own home), and the
progress callback (which also raises when the job is cancelled or out of time).

An upload travels as a tar of its folder (``pack`` / ``unpack``) in ``job_payloads``.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.settings import Settings

Progress = Callable[[float], None]


@dataclass
class JobContext:
    settings: Settings
    params: dict[str, Any]
    progress: Progress
    folder: Path | None = None


Handler = Callable[[JobContext], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def kind(name: str) -> Callable[[Handler], Handler]:
    """Register a handler under ``name`` (tests register their own kinds too)."""
    def register(handler: Handler) -> Handler:
        HANDLERS[name] = handler
        return handler
    return register


def steps(progress: Progress) -> Callable[[int, int], None]:
    """The library counts steps (done, total); a job reports a fraction."""
    return lambda done, total: progress(done / total if total else 1.0)


@kind("ingest")
def ingest(ctx: JobContext) -> dict[str, Any]:
    from corpus import home

    assert ctx.folder is not None, "an ingest job carries its upload"
    return home.library(ctx.settings).ingest([ctx.folder],
                                             progress=steps(ctx.progress)).to_dict()


@kind("catalog_import")
def catalog_import(ctx: JobContext) -> dict[str, Any]:
    from matcher.catalog import import_catalog

    assert ctx.folder is not None, "a catalog import carries its file"
    path = ctx.folder / str(ctx.params["filename"])
    return import_catalog(ctx.settings, path,
                          skip_bad_rows=bool(ctx.params.get("skip_bad_rows"))).to_dict()


@kind("reindex")
def reindex(ctx: JobContext) -> dict[str, Any]:
    from corpus import home

    return {"index_build": home.library(ctx.settings).rebuild_index(
        progress=steps(ctx.progress))}


# -- payloads ------------------------------------------------------------------------------
def pack(folder: Path) -> bytes:
    """The folder's plain files as an uncompressed tar (documents are mostly compressed
    already; speed matters more than size here)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                tar.add(path, arcname=path.name, recursive=False)
    return buffer.getvalue()


def unpack(data: bytes, folder: Path) -> Path:
    """Into ``folder`` (created); the ``data`` filter refuses links, devices and paths
    that would leave the folder, whoever wrote the row."""
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        tar.extractall(folder, filter="data")
    return folder
