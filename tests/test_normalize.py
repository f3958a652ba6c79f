"""Search form, script detection and the eval normalize, checked on the shipped seeds."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from corpus import normalize
from corpus.normalize import (
    converter,
    detect_script,
    eval_normalize,
    search_text,
    strip_pinyin,
    to_script,
)

SEEDS = Path(__file__).resolve().parent.parent / "corpus" / "texts" / "seeds"
SEED_000 = SEEDS / "000_4bfc8dd77b64c4ab.txt"  # Traditional, Taiwan wording
SEED_001 = SEEDS / "001_6869cc14234ec324.txt"  # Traditional, pinyin annotations
SEED_002 = SEEDS / "002_2b4b239ca6ca9801.txt"  # Simplified
SEED_003 = SEEDS / "003_46314927d86d8b12.txt"  # Simplified


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# --- strip_pinyin / eval_normalize ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("就業(yè)創(chuàng)業(yè)", "就業創業"),
        ("實現(xiàn)更高質(zhì)量", "實現更高質量"),
        ("職業（yè）教育", "職業教育"),
        ("國務院聯(lián) 防", "國務院聯 防"),
    ],
)
def test_strip_pinyin_removes_annotations(text: str, expected: str) -> None:
    assert strip_pinyin(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "《提高职业技能行动方案( 2019—2021年)》",
        "(人社部发〔〕10号)",
        "（2019—2021年）",
        "阿里巴巴(中國)有限公司",
        "“1+X”證書(X)",
        "支持移动(app)学习",
        "Pokémon(é) 不是汉字后的注音",
    ],
)
def test_strip_pinyin_keeps_legit_parentheses(text: str) -> None:
    assert strip_pinyin(text) == text


def test_eval_normalize_matches_readme_definition() -> None:
    assert eval_normalize("就業(yè)創業") == "就业创业"
    assert eval_normalize("至“十三五”期末,全省技能人才總量達 494.4萬人") == (
        "至十三五期末全省技能人才总量达4944万人"
    )
    assert eval_normalize("ＡＢＣ－１２３，（中國）") == "ABC123中国"


def test_eval_normalize_does_not_apply_search_wording() -> None:
    # The scorer uses plain t2s; the Taiwan wording table is for search only.
    assert eval_normalize("最佳化") == "最佳化"
    assert search_text("最佳化") == "优化"


# --- search_text --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("網際網路", "互联网"),
        ("最佳化", "优化"),
        ("程式", "程序"),
        ("計畫", "计划"),
        ("晶片", "芯片"),
        ("入口網站", "门户网站"),
        ("人工智慧", "人工智能"),
        ("積體電路", "集成电路"),
        ("智慧型終端", "智能终端"),
        ("智能型終端", "智能终端"),
        ("完善技術套用", "完善技术应用"),
        ("著力做好", "着力做好"),
        ("資料庫", "数据库"),
        ("巨量資料", "大数据"),
        ("服務品質", "服务质量"),
        ("網路+職業技能培訓", "网络+职业技能培训"),
        ("“网络+职业技能培训计划”", "“互联网+职业技能培训计划”"),
    ],
)
def test_search_text_maps_taiwan_wording_to_mainland(text: str, expected: str) -> None:
    assert search_text(text) == expected


def test_search_text_keeps_common_words_tw2sp_would_break() -> None:
    # OpenCC tw2sp turns these into 创建/添加/指针/内核/集成/文件/交互/查找/性能.
    words = "建立健全 新增取得 主要指標 核心 整合 檔案 互動 查詢 效能 設定"
    assert search_text(words) == "建立健全 新增取得 主要指标 核心 整合 档案 互动 查询 效能 设定"


def test_search_text_leaves_ambiguous_words_alone() -> None:
    assert search_text("申請資料") == "申请资料"  # materials, not data
    assert search_text("道德品質") == "道德品质"
    assert search_text("在生產線上工作") == "在生产线上工作"
    assert search_text("程式化") == "程式化"


def test_search_text_is_the_same_for_both_scripts() -> None:
    pairs = [
        ("線上培訓", "线上培训"),
        ("開展職業技能培訓", "开展职业技能培训"),
        ("數字技能", "数字技能"),
        ("網際網路+監管", "网际网路+监管"),
    ]
    for traditional, simplified in pairs:
        assert search_text(traditional) == search_text(simplified)
    assert search_text("線上培訓") == "在线培训"


def test_search_text_nfkc_and_lowercase() -> None:
    assert search_text("ＡＢＣ　１２３") == "abc 123"
    assert search_text("“1+X”證書") == "“1+x”证书"
    assert search_text("WeChat、APP") == "wechat、app"


@pytest.mark.parametrize("path", [SEED_000, SEED_001, SEED_002, SEED_003])
def test_search_text_is_idempotent_on_seeds(path: Path) -> None:
    once = search_text(read(path))
    assert search_text(once) == once


def test_search_text_of_simplified_policy_is_only_nfkc_and_lowercase() -> None:
    text = read(SEED_003)
    import unicodedata

    assert search_text(text) == unicodedata.normalize("NFKC", text).lower()


def test_search_text_reuses_converters_and_is_fast() -> None:
    assert converter("t2s") is converter("t2s")
    queries = ["職業技能培訓補貼怎麼申請", "农民工可以参加线上培训吗", "網際網路+職業技能"] * 700
    start = time.perf_counter()
    for q in queries:
        search_text(q)
    # ~30 µs per query with cached converters; building one per call costs ~1 ms.
    assert time.perf_counter() - start < 1.0


def test_wording_table_values_contain_no_keys() -> None:
    table = normalize.wording().table
    for key, value in table.items():
        if key == value:
            continue
        assert not any(k in value for k, v in table.items() if k != v), (key, value)


# --- detect_script / to_script ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "script"),
    [(SEED_000, "zh-Hant"), (SEED_001, "zh-Hant"), (SEED_002, "zh-Hans"),
     (SEED_003, "zh-Hans")],
)
def test_detect_script_on_seeds(path: Path, script: str) -> None:
    assert detect_script(read(path)) == script


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("職業訓練補貼怎麼領", "zh-Hant"),
        ("职业培训补贴怎么领", "zh-Hans"),
        ("", "zh-Hans"),
        ("1+X 123 abc", "zh-Hans"),
        ("培训", "zh-Hans"),
        ("中国人", "zh-Hans"),  # same in both scripts: the default
    ],
)
def test_detect_script_short_texts(text: str, script: str) -> None:
    assert detect_script(text) == script


def test_to_script_traditional_keeps_mainland_wording() -> None:
    assert to_script("为了推进互联网+职业技能培训，优化数据", "zh-Hant") == (
        "為了推進互聯網+職業技能培訓，優化數據"
    )
    assert to_script("群众里面", "zh-Hant") == "群眾裡面"  # Taiwan / HK glyphs, not 羣衆裏


def test_to_script_simplified_and_round_trip() -> None:
    assert to_script("職業技能培訓補貼", "zh-Hans") == "职业技能培训补贴"
    simplified = "开展政府补贴性职业技能培训150万人次以上"
    assert to_script(to_script(simplified, "zh-Hant"), "zh-Hans") == simplified


def test_to_script_rejects_unknown_script() -> None:
    with pytest.raises(ValueError):
        to_script("培训", "zh-Latn")  # type: ignore[arg-type]
