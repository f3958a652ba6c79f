"""Load the models and the index when a node starts, not on a worker's first question.

A fresh process pays for loading the embedder, the index and the reading models on the
first question it answers (7.9 s on a quiet machine, measured by an outside tester).
A background thread started with the service answers one question itself, so that wait
is moved off the worker's path. ``/readyz`` does not wait for it: a node still warming
answers correctly, only more slowly.
"""

from __future__ import annotations

import logging
import threading
import time

from corpus.settings import Settings

log = logging.getLogger("jnt.api.warmup")
# Any question in the assistant's scope: it loads the same models every question does.
QUESTION = "失业人员参加职业技能培训有补贴吗？"


def _warm(settings: Settings) -> None:
    from api import matching
    from assistant.home import assistant

    start = time.perf_counter()
    try:
        assistant(settings).answer(QUESTION)
        matching.matcher(settings)
    except Exception as exc:  # noqa: BLE001 — a cold node still serves; it is only slower
        log.warning("warm-up failed (%s); the first requests will load what they need",
                    type(exc).__name__)
        return
    log.info("warm-up done in %.1f s", time.perf_counter() - start)


def start(settings: Settings) -> None:
    """Warm this process in the background (``JNT_WARM_UP=false`` turns it off)."""
    if settings.warm_up:
        threading.Thread(target=_warm, args=(settings,), name="jnt-warmup",
                         daemon=True).start()
