"""The question and clause readers against their cases (tests/reading/cases.yaml), and the
word lists they read with."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.reading.cues import cues, validate
from assistant.reading.entities import conflict
from assistant.reading.figures import answers_figure
from assistant.reading.question import read_question
from assistant.reading.scope import read_scope
from assistant.reading.thresholds import compare, within
from corpus.errors import InvalidInput
from corpus.normalize import search_text

CASES = yaml.safe_load((Path(__file__).parent / "reading" / "cases.yaml").read_text("utf-8"))


def test_every_word_list_is_valid_and_literal() -> None:
    loaded = cues()
    assert {"clause", "question", "entity"} <= set(loaded)
    with pytest.raises(InvalidInput):
        validate({"clause": {"bad": {"why": "x", "words": ["不得.*"]}}})
    with pytest.raises(InvalidInput):
        validate({"clause": {"dup": {"why": "x", "words": ["不得", "不得"]}}})
    with pytest.raises(InvalidInput):
        validate({"clause": {"trad": {"why": "x", "words": ["禁止從事"]}}})


@pytest.mark.parametrize("question", CASES["asks_verdict"]["asking"])
def test_yes_no_questions_ask_for_a_verdict(question: str) -> None:
    assert read_question(question).asks_verdict


@pytest.mark.parametrize("question", CASES["asks_verdict"]["not_asking"])
def test_other_questions_do_not(question: str) -> None:
    assert not read_question(question).asks_verdict


@pytest.mark.parametrize(("form", "question"),
                         [(f, q) for f, qs in CASES["form"].items() for q in qs])
def test_question_form(form: str, question: str) -> None:
    assert read_question(question).form == form


@pytest.mark.parametrize(("question", "negated"), CASES["negated"])
def test_negations_the_asker_states(question: str, negated: str | None) -> None:
    found = read_question(question).negated
    if negated is None:
        assert not found
    else:
        assert any(negated in f for f in found), found


@pytest.mark.parametrize(("question", "clause", "meets", "fails"), CASES["thresholds"])
def test_stated_figures_against_thresholds(question: str, clause: str, meets: int,
                                           fails: int) -> None:
    result = compare(question, clause)
    assert (result.meets, result.fails) == (meets, fails)


@pytest.mark.parametrize(("question", "clause", "inside"), CASES["within"])
def test_which_step_of_a_schedule_a_stated_figure_falls_in(question: str, clause: str,
                                                          inside: bool) -> None:
    assert within(question, clause) is inside


@pytest.mark.parametrize(("region", "facts", "question", "relation"), CASES["scope"])
def test_where_a_document_applies(region: str, facts: dict, question: str, relation: str
                                  ) -> None:
    assert read_scope(region, facts, search_text(question)).relation == relation


@pytest.mark.parametrize(("question", "sentence", "asked", "stated"), CASES["conflict"])
def test_named_things_the_question_gets_wrong(question: str, sentence: str,
                                              asked: str | None, stated: str | None) -> None:
    found = conflict(question, sentence)
    if asked is None:
        assert not found
    else:
        assert found and found[0][0].endswith(asked[-3:]) and found[0][1].endswith(stated[-3:])


@pytest.mark.parametrize(("question", "text", "answered"), CASES["figures"])
def test_the_kind_of_figure_asked_for(question: str, text: str, answered: bool | None) -> None:
    assert answers_figure(question, [text]) is answered


@pytest.mark.parametrize(("question", "relatives"), CASES["relatives"])
def test_relatives_the_asker_claims_through(question: str, relatives: list[str]) -> None:
    assert read_question(question).family == relatives


def test_a_heading_is_never_a_clause() -> None:
    """A title line cannot be the answering sentence ("文件规定：# 河南省职业培训条例")."""
    from assistant.evidence import sentences

    text = "# 某省职业培训条例\n## 第一章 总则\n第一条 为了规范职业培训，制定本条例。"
    assert sentences(text) == ["第一条 为了规范职业培训，制定本条例。"]


@pytest.mark.parametrize(("probs", "verdict"), [
    ({"yes": 0.80, "no": 0.15, "conditional": 0.05}, "yes"),
    ({"yes": 0.70, "no": 0.25, "conditional": 0.05}, "conditional"),  # unsure either way
    ({"yes": 0.30, "no": 0.45, "conditional": 0.25}, "no"),
    ({"yes": 0.20, "no": 0.38, "conditional": 0.42}, "conditional"),
    # leaning yes without being sure is 「要看条件」, never 「不可以」 (下岗、办了失业登记 …)
    ({"yes": 0.48, "no": 0.41, "conditional": 0.11}, "conditional"),
])
def test_yes_and_no_each_need_their_own_confidence(probs: dict, verdict: str) -> None:
    from assistant.reading.verdict import verdict_of

    assert verdict_of(probs, yes_min=0.74, no_min=0.4) == verdict


@pytest.mark.parametrize(("question", "said"), CASES["statement"])
def test_what_the_asker_states_besides_the_ask(question: str, said: str) -> None:
    assert read_question(question).statement == said


@pytest.mark.parametrize(("question", "term"), CASES["term"])
def test_the_term_whose_meaning_is_asked(question: str, term: str) -> None:
    assert read_question(question).term == term


@pytest.mark.parametrize(("question", "skip"), CASES["skip"])
def test_a_step_put_off_is_told_from_steps_in_order(question: str, skip: list[str]) -> None:
    assert read_question(question).skip == skip


def test_a_passage_holding_only_its_title_never_answers() -> None:
    """A chunk that is just the document's name ("内蒙古…实施方案") was quoted as the answer
    (「文件规定：内蒙古自治区…实施方案」); the next passage with a clause answers instead."""
    from assistant.reading.clause import read_clause
    from corpus.bm25 import BM25
    from corpus.search import SearchHit

    title = "某自治区培育打造职业技能培训品牌实施方案"
    only_title = SearchHit("c1", "d1", title, "", title, 9.0)
    text = "到2025年，建立三级职业技能培训品牌评价指标体系，均衡培育职业技能培训品牌。"
    clause = SearchHit("c2", "d1", title, "二、工作任务", text, 8.0)
    bm25 = BM25.build([["培训", "品牌"], ["品牌"]])
    read = read_clause([only_title, clause], {"培训", "品牌"}, bm25)
    assert read is not None and read.hit is clause
    assert all(q.text != title for q in read.quotes)


@pytest.mark.parametrize(("question", "form", "quoted"), [
    ("安排残疾人就业的比例最低是多少", "number", 1),
    ("残疾人就业保障金怎么交", "procedure", 0),  # no figure asked: the most relevant sentence
])
def test_a_question_after_a_figure_is_answered_by_the_sentence_stating_it(
        question: str, form: str, quoted: int) -> None:
    from assistant.reading.clause import figures_wanted, read_clause
    from corpus.bm25 import BM25
    from corpus.search import SearchHit

    sentences = ["用人单位应当按照一定比例安排残疾人就业，缴纳残疾人就业保障金。",
                 "用人单位安排残疾人就业的比例不得低于本单位在职职工总数的1.5%。"]
    hit = SearchHit("c1", "d1", "某条例", "第八条", "".join(sentences), 9.0)
    bm25 = BM25.build([["比例", "安排", "残疾人", "就业", "保障金"], ["比例"], ["培训"]])
    terms = {"比例", "安排", "残疾人", "就业", "保障金"}
    read = read_clause([hit], terms, bm25, figures_wanted(question, form))
    assert read is not None and read.sentence == sentences[quoted]


@pytest.mark.parametrize(("question", "quoted"), [
    ("这个失业保险条例是哪年开始实行的", 0),
    ("这个失业保险条例现在还有效吗", 0),
    ("旧的企业职工失业保险条例是哪年通过的", 1),  # a date, not when this one began
])
def test_asked_when_a_document_began_its_own_start_is_quoted(question: str, quoted: int) -> None:
    """The repeal of the old regulation beside it holds more of the asker's words and a date
    too (郑州市失业保险条例 第三十八条); asked when this one began, its 施行 answers."""
    from assistant.reading.clause import figures_wanted, read_clause
    from assistant.reading.question import read_question
    from corpus.bm25 import BM25
    from corpus.search import SearchHit

    sentences = ["本条例自2005年5月1日起施行。",
                 "1994年10月27日通过的《郑州市企业职工失业保险条例》同时废止。"]
    hit = SearchHit("c1", "d1", "郑州市失业保险条例", "第三十八条", "".join(sentences), 9.0)
    terms = {"失业", "保险", "条例", "企业", "职工", "通过"}
    bm25 = BM25.build([sorted(terms), ["条例"], ["培训"]])
    norm = search_text(question)
    read = read_clause([hit], terms, bm25, figures_wanted(norm, read_question(question).form))
    assert read is not None and read.sentence == sentences[quoted]


@pytest.mark.parametrize(("line", "heading"), [
    ("为进一步提升培训质量，自治区制定了《某实施方案》，现印发给你们，请认真贯彻执行。", True),
    ("现就有关事项通知如下：", True),
    ("2021年12月1日", True),
    ("某自治区人力资源和社会保障厅", True),
    ("县级以上人民政府人力资源社会保障部门负责本行政区域的职业培训工作。", False),
    ("培训补贴标准可按规定上浮30%。", False),
])
def test_issuing_lines_and_titles_are_not_clauses(line: str, heading: bool) -> None:
    from assistant.evidence import is_heading

    assert is_heading(line, "某实施方案") is heading


def test_meaning_agreement_is_the_cosine_split_by_dimension() -> None:
    """The answerability model reads the question–sentence cosine one dimension at a time;
    the parts must add up to the cosine (scaled), and a sentence is embedded once."""
    import numpy as np

    from assistant.reading.meaning import SCALE, SentenceVectors, agreement

    rng = np.random.default_rng(0)
    q, s = (v / np.linalg.norm(v) for v in rng.normal(size=(2, 8)))
    parts = agreement(q, s)
    assert len(parts) == 8
    assert abs(sum(parts.values()) - SCALE * float(q @ s)) < 1e-6

    class Counting:
        model_id, dim, calls = "fake", 8, 0

        def encode_passages(self, texts: list[str]) -> np.ndarray:
            Counting.calls += 1
            return np.ones((len(texts), 8), dtype=np.float32)

    vectors = SentenceVectors(Counting())  # type: ignore[arg-type]
    vectors("第一条 为了规范职业培训，制定本条例。")
    vectors("第一条 为了规范职业培训，制定本条例。")
    assert Counting.calls == 1


@pytest.mark.parametrize(("said", "quoted"), [("我交了三年", 0), ("我交了六年", 1),
                                              ("交了十几年了", 0), ("", 0)])
def test_an_asker_who_states_a_figure_is_answered_by_their_step_of_a_schedule(
        said: str, quoted: int) -> None:
    """「交了六年」 is answered by the 5–10-year step; 「十几年」 states no figure it can
    compare, and then the best-matching sentence stays."""
    from assistant.reading.clause import figures_wanted, read_clause
    from corpus.bm25 import BM25
    from corpus.search import SearchHit

    steps = ["累计缴费时间满1年不足5年的，领取失业保险金的期限最长为12个月；",
             "累计缴费时间满5年不足10年的，领取失业保险金的期限最长为18个月；"]
    hit = SearchHit("c1", "d1", "失业保险条例", "第十七条", "".join(steps), 9.0)
    bm25 = BM25.build([["缴费", "失业保险金", "期限"], ["期限"], ["培训"]])
    terms = {"失业保险金", "期限", "缴费"}
    read = read_clause([hit], terms, bm25, figures_wanted("失业金能领多久", "number"),
                       search_text(f"{said}，失业金能领多久"))
    assert read is not None and read.sentence == steps[quoted]
