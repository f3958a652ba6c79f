"""Streaming a reply while it is being made.

A reply is read on a phone, first sentence first (可以。/ 不可以。/ 要看条件。/ 文件规定：…),
and that sentence is settled before the quotes for the citations are chosen. The answer
pipeline therefore takes an optional :data:`Opening` listener and calls it with the
reply's opening as soon as it is final; everything else (the rest of the text, the
citations, the stored turn) arrives with the finished :class:`~assistant.answer.Answer`,
exactly as without a listener, so streaming never has its own answer logic.

:class:`Relay` runs such a pipeline in a worker thread and hands what it emits to the
thread that writes the response, with a timeout so that thread can send heartbeats.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from corpus.normalize import to_script

# Called with a piece of the reply's text (in the user's script) once it can no longer
# change; the pieces, in order, begin the reply's final text.
Opening = Callable[[str], None]
T = TypeVar("T")


def in_script(opening: Opening | None, script: str) -> Opening | None:
    """``opening`` fed in the asker's script, the way the finished reply is written."""
    if opening is None:
        return None
    return lambda text: opening(to_script(text, script))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Item:
    """What the worker emitted (``kind`` of its choosing), or how it ended: ``result``
    with its return value, ``error`` with the exception it raised."""

    kind: str
    value: Any


class Relay(Generic[T]):
    """``work(emit)`` in a daemon thread; :meth:`next` returns its items in order.

    The work runs to its end even when nobody reads any more (a client that went away):
    what it commits is then complete, never half-written. The thread runs in a copy of
    the caller's context, so its log lines keep the request's id.
    """

    def __init__(self, work: Callable[[Callable[[str, Any], None]], T]) -> None:
        self._items: queue.Queue[Item] = queue.Queue()
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._run, work),
                                        name="jnt-relay", daemon=True)
        self._thread.start()

    def _emit(self, kind: str, value: Any) -> None:
        self._items.put(Item(kind, value))

    def _run(self, work: Callable[[Callable[[str, Any], None]], T]) -> None:
        try:
            result = work(self._emit)
        except BaseException as exc:  # noqa: BLE001  (handed to the reader, not lost)
            self._items.put(Item("error", exc))
        else:
            self._items.put(Item("result", result))

    def next(self, timeout: float | None = None) -> Item | None:
        """The next item, or ``None`` when nothing came within ``timeout`` seconds."""
        try:
            return self._items.get(timeout=timeout)
        except queue.Empty:
            return None
