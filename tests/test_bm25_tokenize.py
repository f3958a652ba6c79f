import numpy as np

from corpus.bm25 import BM25
from corpus.normalize import search_text
from corpus.tokenize import expand, query_terms, tokenize


def test_domain_terms_stay_whole() -> None:
    tokens = tokenize("退役军人可以参加职业技能等级证书培训，1+x证书试点，建档立卡贫困劳动力")
    for term in ("退役军人", "职业技能等级证书", "1+x", "建档立卡"):
        assert term in tokens


def test_stopwords_and_punctuation_are_dropped() -> None:
    tokens = tokenize("我们的培训有哪些？！")
    assert "的" not in tokens and "？" not in tokens and "培训" in tokens


def test_colloquial_words_expand_to_policy_terms() -> None:
    assert "退役军人" in expand("我当过兵")
    assert search_text("线上培训") in expand("网课也算吗")  # in its normalised form
    assert "农民工" in expand("从农村出来打工的")
    weights = query_terms("我当过兵")
    assert weights["退役军人"] < weights["当过兵"]


def test_a_certificate_named_by_its_trade_expands_like_the_generic_one() -> None:
    """Workers say 考电工证 / 考叉车证 where the lexicon says 考证 (a "…" phrase)."""
    for question in ("考焊工证的钱能报吗", "考叉车证要多少钱", "我想考个厨师证"):
        terms = expand(search_text(question))
        assert "鉴定" in terms and "证书" in terms, question
    assert "职业技能鉴定补贴" in expand(search_text("考电工证的钱谁出"))


def test_a_gap_phrase_needs_its_own_words_and_a_short_name() -> None:
    for question in ("我在考虑要不要开证明", "参考电工证书的样子", "考完试以后高级工等级证怎么拿"):
        assert "鉴定" not in expand(search_text(question)), question


def test_context_terms_weigh_less_than_the_question() -> None:
    weights = query_terms("那证书呢", context=["江西的补贴培训"])
    assert weights["证书"] == 1.0
    assert 0 < weights["江西"] < 1.0


def test_bm25_prefers_the_document_with_the_rare_term() -> None:
    docs = [["培训", "补贴", "退役军人"], ["培训", "补贴", "农民工"], ["培训", "计划"]]
    bm25 = BM25.build(docs)
    scores = bm25.scores({"退役军人": 1.0, "培训": 1.0})
    assert int(np.argmax(scores)) == 0
    assert scores[0] > scores[1] > 0
    assert bm25.scores({"不存在": 1.0}).sum() == 0


def test_bm25_round_trips_through_disk(tmp_path) -> None:
    bm25 = BM25.build([["a", "b"], ["b", "c"]])
    bm25.save(tmp_path)
    loaded = BM25.load(tmp_path)
    q = {"b": 1.0, "c": 0.5}
    assert np.allclose(bm25.scores(q), loaded.scores(q))
