"""The home's private state (database, uploads, logs) readable by the service's user only.

The database holds accounts and what workers asked, uploads are unpublished documents, logs
name users and addresses: none of it is for other local users. Called once per process by
the CLI and the service before anything is written:

* the process umask becomes 0077, so whatever is created later (SQLite's journal files, an
  upload's folder and files, an index build) is 0600 / 0700 from its first byte;
* the SQLite file is created 0600 here if it does not exist yet (SQLite gives its ``-wal``,
  ``-shm`` and ``-journal`` files the database file's mode);
* what an older version left readable is tightened once: the database files, and the
  ``uploads`` and ``logs`` trees.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

from corpus.settings import Settings

PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700
PRIVATE_TREES = ("uploads", "logs")
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def sqlite_path(settings: Settings) -> Path | None:
    """The database file, when the database is a file."""
    url = make_url(settings.db_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def _tighten(path: Path) -> None:
    if path.is_symlink():
        return  # never chmod what a link points to outside the home
    if path.is_dir():
        path.chmod(PRIVATE_DIR)
        for child in path.iterdir():
            _tighten(child)
    elif path.exists():
        path.chmod(PRIVATE_FILE)


def protect_home(settings: Settings) -> Path:
    """Make (or tighten) the home's private state; returns the home."""
    os.umask(0o077)
    home = settings.ensure_home()
    for name in PRIVATE_TREES:
        (home / name).mkdir(mode=PRIVATE_DIR, exist_ok=True)
        _tighten(home / name)
    database = sqlite_path(settings)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
        for path in (database, *(Path(f"{database}{s}") for s in SQLITE_SIDE_FILES)):
            _tighten(path)
    return home
