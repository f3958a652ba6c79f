"""A full disk, recognised wherever it surfaces, and reported as ``disk_full``.

It reaches us as ``OSError(ENOSPC)`` from a file write, as SQLite's "database or disk is
full", or wrapped in either by a library; the service (507) and the jobs (their error
object) report the same code and Chinese message as the CLI (``api.cli_errors``).
"""

from __future__ import annotations

import errno

from corpus.errors import JntError

MESSAGE = "磁盘空间已满，操作未完成。请清理磁盘空间后重试。"


class DiskFull(JntError):
    code = "disk_full"
    status = 507


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC (or a quota) anywhere in the exception chain, or SQLite's own wording."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DiskFull):
            return True
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if "database or disk is full" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def disk_full(detail: object = None) -> DiskFull:
    return DiskFull(MESSAGE, detail=detail)
