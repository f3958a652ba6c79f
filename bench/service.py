"""What the benchmarks that start a real `jnt serve` share."""

from __future__ import annotations

import contextlib
import time

import httpx


def wait_ready(base: str, timeout: float = 600) -> None:
    """Poll ``/readyz`` until the service answers 200, or give up after ``timeout`` s."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        time.sleep(0.5)
    raise SystemExit(f"{base}: the service did not become ready")
