"""What the benchmarks that start a real `jnt serve` share."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from pathlib import Path

import httpx

UNLIMITED = "10000000"  # requests a minute: a benchmark measures the service, not its limits


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unlimited_env(home: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a benchmark's own `jnt serve` or `jnt setup`: offline, no rate
    limits, and the home given (the caller's database URL is dropped unless ``extra``
    sets one, so a benchmark never writes to the developer's database)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1",
           **{f"JNT_RATE_LIMIT_{kind}_PER_MINUTE": UNLIMITED
              for kind in ("KEY", "SESSION", "ADDRESS")}}
    env.pop("JNT_DATABASE_URL", None)
    if home is not None:
        env["JNT_HOME"] = str(home)
    return {**env, **extra}


def wait_ready(base: str, timeout: float = 600) -> None:
    """Poll ``/readyz`` until the service answers 200, or give up after ``timeout`` s."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        time.sleep(0.5)
    raise SystemExit(f"{base}: the service did not become ready")
