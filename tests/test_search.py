"""Hybrid search on the shipped corpus: scripts, wording, filters and bad input."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from corpus.errors import IndexUnavailable, InvalidInput
from corpus.index import IndexStore
from corpus.search import Searcher


def ids(hits) -> list[str]:
    return [h.chunk_id for h in hits]


def test_result_shape(shipped_searcher: Searcher) -> None:
    hits = shipped_searcher.search("退役军人职业技能培训", k=3)
    assert len(hits) == 3
    d = hits[0].to_dict()
    assert set(d) == {"chunk_id", "doc_id", "title", "section", "text", "score",
                      "source_kind", "source_note"}
    assert hits[0].score >= hits[1].score >= hits[2].score


def test_traditional_and_simplified_questions_find_the_same_clause(shipped_searcher) -> None:
    simp = shipped_searcher.search("江西计划遴选建设多少所第三方社会培训评价组织", k=3)
    trad = shipped_searcher.search("江西計劃遴選建設多少所第三方社會培訓評價組織", k=3)
    assert ids(simp)[0] == ids(trad)[0]


def test_taiwan_wording_in_the_document_is_found_with_mainland_words(shipped_searcher) -> None:
    # The 江西 plan says 網際網路/最佳化; a mainland reader types 互联网/优化.
    hits = shipped_searcher.search("江西 互联网+职业技能培训 线上培训平台", k=5,
                                   region="江西省")
    assert any(h.doc_id == "jx-2022-training-plan" for h in hits)


def test_quotes_keep_the_documents_own_script(shipped_searcher) -> None:
    hits = shipped_searcher.search("江西技能人才总量", k=3, region="江西省")
    jx = [h for h in hits if h.doc_id == "jx-2022-training-plan"]
    assert jx and any(ch in jx[0].text for ch in "職業技術訓練規劃")


def test_colloquial_veteran_question_reaches_veteran_clauses(shipped_searcher) -> None:
    hits = shipped_searcher.search("我当过兵，能参加补贴培训吗？", k=5)
    assert any("退役軍人" in h.text or "退役军人" in h.text for h in hits)


def test_region_filter_keeps_national_and_that_region_only(shipped_searcher) -> None:
    hits = shipped_searcher.search("职业技能培训品牌", k=20, region="江西省")
    assert hits
    regions = {h.doc_id for h in hits}
    assert "nm-2022-training-brand-plan" not in regions
    assert "hb-2020-1x-report" not in regions


def test_city_filter_inherits_province(shipped_searcher) -> None:
    province = ids(shipped_searcher.search("培训品牌", k=10, region="内蒙古自治区"))
    city = ids(shipped_searcher.search("培训品牌", k=10, region="呼和浩特市"))
    assert province == city


def test_doc_type_and_date_filters(shipped_searcher) -> None:
    laws = shipped_searcher.search("职业培训", k=10, doc_type="法律")
    assert laws and all(h.doc_id.startswith("law-") for h in laws)
    old = shipped_searcher.search("职业技能培训", k=30, as_of=dt.date(2010, 1, 1))
    assert old and all(h.doc_id not in {"jx-2022-training-plan", "nm-2022-training-brand-plan"}
                       for h in old)


@pytest.mark.parametrize("query,code", [
    ("", "empty_query"), ("   ", "empty_query"), ("问" * 2001, "query_too_long"),
])
def test_bad_queries(shipped_searcher, query, code) -> None:
    with pytest.raises(InvalidInput) as err:
        shipped_searcher.search(query)
    assert err.value.code == code


def test_unknown_region_and_bad_k(shipped_searcher) -> None:
    with pytest.raises(InvalidInput) as err:
        shipped_searcher.search("培训", region="火星")
    assert err.value.code == "unknown_region"
    for bad_k in (0, 101, "5"):
        with pytest.raises(InvalidInput):
            shipped_searcher.search("培训", k=bad_k)  # type: ignore[arg-type]


def test_modes_differ_and_hybrid_fuses_both(shipped_searcher) -> None:
    q = "内蒙古盟市级职业技能培训品牌的培训绩效标准"
    bm = ids(shipped_searcher.search(q, k=50, mode="bm25"))
    de = ids(shipped_searcher.search(q, k=50, mode="dense"))
    hy = ids(shipped_searcher.search(q, k=10))
    assert bm[:10] != de[:10]
    assert set(hy) <= set(bm) | set(de)  # fusion only reorders the two candidate lists


def test_index_built_with_another_model_is_refused(shipped_settings, embedder, tmp_path) -> None:
    import shutil

    store_root = tmp_path / "index"
    shutil.copytree(shipped_settings.index_dir, store_root)
    store = IndexStore(store_root)
    manifest_path = store.current() / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["model_id"] = "bge-small-zh:0000"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexUnavailable) as err:
        Searcher(store, embedder).search("培训")
    assert err.value.code == "index_model_mismatch"
    assert "重建" in err.value.message


def test_missing_index_is_a_clear_error(tmp_path, embedder) -> None:
    with pytest.raises(IndexUnavailable) as err:
        Searcher(IndexStore(tmp_path / "nothing"), embedder).search("培训")
    assert err.value.code == "index_missing"


def test_reader_follows_the_current_pointer(empty_library, tmp_path) -> None:
    from corpus.home import searcher
    from tests.test_library import HUBEI, NEIMENGGU, copy_with_sidecar

    empty_library.ingest([copy_with_sidecar(NEIMENGGU, tmp_path / "in")])
    s = searcher(empty_library.settings)
    assert {h.doc_id for h in s.search("1+X证书", k=5)} == {"nm-2022-training-brand-plan"}
    empty_library.ingest([copy_with_sidecar(HUBEI, tmp_path / "in")])
    assert "hb-2020-1x-report" in {h.doc_id for h in s.search("1+X证书", k=5)}


def test_the_clause_shape_bonus_leaves_open_questions_alone(shipped_searcher) -> None:
    """Only a question with a form (多少, 什么时候, 哪些人 …) is reranked by clause shape."""
    saved = shipped_searcher.shape_bonus
    try:
        with_bonus = ids(shipped_searcher.search("退役军人职业技能培训", k=10))
        shipped_searcher.shape_bonus = 0.0
        without = ids(shipped_searcher.search("退役军人职业技能培训", k=10))
    finally:
        shipped_searcher.shape_bonus = saved
    assert with_bonus == without


def test_an_amount_question_prefers_clauses_with_amounts(shipped_searcher) -> None:
    from corpus.clause_shape import clause_shapes
    from corpus.normalize import search_text

    hits = shipped_searcher.search("失业保险费按多少比例缴纳", k=3)
    assert "amount" in clause_shapes(search_text(hits[0].text))
