"""Rate-limit buckets shared by every node on one PostgreSQL database.

Each draw is one atomic statement per key: ``INSERT … ON CONFLICT (key) DO UPDATE`` that
refills the bucket by the time elapsed on the *database server's* clock
(``statement_timestamp()``, so the nodes' clocks do not matter), takes a token when there
is one, and returns what is left. Concurrent draws on one key queue on its row lock, so
N nodes together allow what one would.

On SQLite (one home, one machine) the in-process ``TokenBuckets`` stay in use: a shared
table would cost a write transaction per request on a database with a single writer.

The limiter must never take the service down: when the database fails, the node falls
back to its own in-process buckets and logs a warning (at most once a minute).
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from api.security import Quota, TokenBuckets
from corpus.settings import Settings

log = logging.getLogger("jnt.api")

# ``refill`` is the bucket after the time since its last draw; a token is taken when
# one is there. Every SET expression sees the row as it was before this statement.
_REFILL = ("LEAST(:cap, b.tokens + GREATEST(0.0, EXTRACT(EPOCH FROM "
           "statement_timestamp() - b.updated_at)) * :rate)")
DRAW = text(f"""
INSERT INTO rate_buckets AS b (key, tokens, allowed, updated_at)
VALUES (:key, :cap - 1, true, statement_timestamp())
ON CONFLICT (key) DO UPDATE SET
  tokens = CASE WHEN {_REFILL} >= 1 THEN {_REFILL} - 1 ELSE {_REFILL} END,
  allowed = {_REFILL} >= 1,
  updated_at = GREATEST(b.updated_at, statement_timestamp())
RETURNING tokens, allowed
""")
# Any bucket idle for a minute is full again (limits are per minute), so idle rows carry
# nothing and are deleted, which keeps the table as small as the set of active callers.
PRUNE = text("DELETE FROM rate_buckets "
             "WHERE updated_at < statement_timestamp() - interval '5 minutes'")


class SharedBuckets:
    """Token buckets in the ``rate_buckets`` table; same answers as ``TokenBuckets``."""

    shared = True
    PRUNE_EVERY_SECONDS = 60.0
    WARN_EVERY_SECONDS = 60.0

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.fallback = TokenBuckets()
        self._pruned = time.monotonic()
        self._warned = 0.0

    def take_all(self, keys: list[tuple[str, int]]) -> list[Quota]:
        """Draw on each bucket in turn, stopping at the first refusal."""
        try:
            return self._draw(keys)
        except SQLAlchemyError as exc:
            now = time.monotonic()
            if now - self._warned > self.WARN_EVERY_SECONDS:
                self._warned = now
                log.warning("shared rate limits unavailable (%s); this node limits on its "
                            "own until the database answers", type(exc).__name__)
            return self.fallback.take_all(keys)

    def _draw(self, keys: list[tuple[str, int]]) -> list[Quota]:
        quotas = []
        with self.engine.begin() as conn:
            for key, per_minute in keys:
                if per_minute <= 0:
                    quotas.append(Quota(True, 0, 0, 0.0))
                    continue
                tokens, allowed = conn.execute(DRAW, {"key": key[:200],
                                                      "cap": float(per_minute),
                                                      "rate": per_minute / 60.0}).one()
                wait = 0.0 if allowed else (1.0 - tokens) * 60.0 / per_minute
                quotas.append(Quota(bool(allowed), per_minute, int(tokens), wait))
                if not allowed:
                    break
            if time.monotonic() - self._pruned > self.PRUNE_EVERY_SECONDS:
                self._pruned = time.monotonic()
                conn.execute(PRUNE)
        return quotas


def buckets_for(settings: Settings) -> TokenBuckets | SharedBuckets:
    """Shared buckets when the database is PostgreSQL (several nodes), else in-process."""
    from corpus.db import get_engine

    if not settings.db_url.startswith("postgresql"):
        return TokenBuckets()
    return SharedBuckets(get_engine(settings.db_url))
