"""The answer contract: grounded, cited, in the user's script, and safe on bad input."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from corpus.db import Chunk, Document
from corpus.errors import InvalidInput
from corpus.normalize import detect_script, to_script

SPEC_KEYS = {"answer", "verdict", "abstained", "citations", "rule_trace", "missing_facts",
             "follow_up", "script"}


def test_answer_object_has_the_documented_fields(shipped_assistant) -> None:
    d = shipped_assistant.answer("内蒙古职业技能培训品牌多久征集公布一次？").to_dict()
    assert set(d) >= SPEC_KEYS
    assert d["citations"] and {"chunk_id", "doc_id", "title", "section", "quote"} <= set(
        d["citations"][0])


def test_every_citation_points_at_an_indexed_chunk_holding_the_quote(shipped_assistant) -> None:
    index, _ = shipped_assistant.searcher.index()
    texts = {r.chunk_id: r.text for r in index.records}
    from corpus.normalize import eval_normalize

    for q in ("江西计划遴选建设多少所第三方社会培训评价组织？", "我当过兵，能参加补贴培训吗？",
              "线上培训平台能纳入两个目录一系统吗？"):
        answer = shipped_assistant.answer(q)
        for c in answer.citations:
            assert c.chunk_id in texts
            assert eval_normalize(c.quote) in eval_normalize(texts[c.chunk_id])


def test_traditional_in_traditional_out_quotes_included(shipped_assistant) -> None:
    answer = shipped_assistant.answer("內蒙古的培訓品牌多久徵集公佈一次？")
    assert answer.script == "zh-Hant"
    assert detect_script(answer.answer) == "zh-Hant"
    assert answer.citations
    for c in answer.citations:
        assert to_script(c.quote, "zh-Hant") == c.quote  # nothing left in Simplified
    assert "徵集" in answer.answer or "品牌" in answer.answer


def test_simplified_in_gets_simplified_quotes_from_a_traditional_document(shipped_assistant
                                                                         ) -> None:
    answer = shipped_assistant.answer("江西计划遴选建设多少所第三方社会培训评价组织？")
    assert answer.script == "zh-Hans"
    assert any(c.doc_id == "jx-2022-training-plan" for c in answer.citations)
    assert "組織" not in answer.answer and "组织" in answer.answer


def test_unrelated_question_abstains_and_points_to_12333(shipped_assistant) -> None:
    answer = shipped_assistant.answer("住房公积金怎么提取？")
    assert answer.abstained
    assert "12333" in answer.answer
    assert answer.verdict is None


@pytest.mark.parametrize("question,code", [("", "empty_question"), ("   ", "empty_question"),
                                           ("问" * 10_000, "question_too_long")])
def test_bad_questions_get_a_clear_error(shipped_assistant, question, code) -> None:
    with pytest.raises(InvalidInput) as err:
        shipped_assistant.answer(question)
    assert err.value.code == code


@pytest.mark.parametrize("question", ["😀😀😀", "？？？！！！", "......"])
def test_emoji_or_punctuation_gets_a_request_to_rephrase(shipped_assistant, question) -> None:
    answer = shipped_assistant.answer(question)
    assert answer.abstained and not answer.citations
    assert "问题" in answer.answer


def test_english_question_gets_a_sensible_reply(shipped_assistant) -> None:
    answer = shipped_assistant.answer("Can veterans get training subsidies?")
    assert answer.abstained and "中文" in answer.answer


def test_markup_and_injection_strings_are_just_text(shipped_assistant, shipped_settings) -> None:
    from corpus.home import library

    with library(shipped_settings).sessions() as s:
        before = (s.scalar(select(func.count(Document.id))), s.scalar(select(func.count(Chunk.id))))
    answer = shipped_assistant.answer("<script>alert(1)</script>退役军人能参加职业技能培训吗？")
    assert "<script>" not in answer.answer
    shipped_assistant.answer("'; DROP TABLE documents; -- 培训补贴")
    with library(shipped_settings).sessions() as s:
        after = (s.scalar(select(func.count(Document.id))), s.scalar(select(func.count(Chunk.id))))
    assert before == after


LEADS = ("可以", "不可以", "要看条件", "文件规定", "现有政策文件没有")


@pytest.mark.parametrize("question", [
    "我在赣州打工，去年被辞退了，能参加政府补贴的技能培训吗？",
    "湖北那个专项行动里，学校里在读学生的培训归省人社厅管吗？",
    "俺们机构去年培训了500人，合格率88%，能评内蒙古自治区级品牌不？",
    "职业中介机构能不能扣押求职者的身份证？",
    "失业保险金每个月能领多少钱？",
])
def test_a_reply_reads_on_a_phone(shipped_assistant, question: str) -> None:
    """The first sentence answers; quotes live only in the citations (at most three,
    never a title); the whole reply is short."""
    answer = shipped_assistant.answer(question)
    assert answer.answer.startswith(LEADS), answer.answer
    assert len(answer.answer) <= 300
    assert len(answer.citations) <= 3
    for c in answer.citations:
        assert c.quote not in answer.answer
        assert c.quote.strip("《》") != c.title


def test_a_stated_figure_below_the_threshold_is_no(shipped_assistant) -> None:
    answer = shipped_assistant.answer(
        "俺们机构去年培训了500人，合格率88%，能评内蒙古自治区级品牌不？")
    assert answer.verdict == "no"
    assert "88%" in answer.answer and "90%" in answer.answer


def test_another_places_regulation_is_answered_with_its_scope(shipped_assistant) -> None:
    answer = shipped_assistant.answer(
        "我在广东东莞打工，河南省职业培训条例里的免费培训我能参加吗？")
    assert answer.verdict != "yes"
    assert "河南省的规定" in answer.answer
    # 「只适用于河南省」 rests on where the document says it applies, quoted with the answer
    henan = {c.doc_id for c in answer.citations[:1]}
    assert any(c.doc_id in henan and "本省行政区域内" in c.quote for c in answer.citations), \
        [c.quote for c in answer.citations]


def test_the_scope_statement_is_quoted_only_when_the_reply_rests_on_it(shipped_assistant) -> None:
    answer = shipped_assistant.answer("我在河南郑州，河南省职业培训条例里的免费培训我能参加吗？")
    assert "只适用于" not in answer.answer
    assert not any("本省行政区域内" in c.quote and "适用" in c.quote for c in answer.citations)


def test_a_relative_is_not_granted_what_the_clause_gives_the_veteran(shipped_assistant) -> None:
    answer = shipped_assistant.answer(
        "我老公是退役军人，我作为家属能享受退役军人的免费职业技能培训吗？")
    assert answer.verdict != "yes"


def test_every_verdict_is_traceable_to_its_clause_and_readings(shipped_assistant) -> None:
    answer = shipped_assistant.answer("退役军人能参加政府组织的免费职业技能培训吗？")
    assert answer.verdict in ("yes", "no", "conditional")
    trace = answer.rule_trace[0]
    assert set(trace["probabilities"]) == {"yes", "no", "conditional"}
    assert trace["clause"] == answer.citations[0].quote or \
        to_script(trace["clause"], answer.script) == answer.citations[0].quote


def test_an_expired_document_says_so_in_one_line(shipped_assistant) -> None:
    # (the plan states this count; it gives none for 高技能人才培训基地, so that one is refused)
    question = "江西十四五职业技能培训规划里，新职业培训示范基地要建多少个？"
    answer = shipped_assistant.answer(question, as_of=dt.date(2026, 11, 26))
    assert answer.citations[0].doc_id == "jx-2022-training-plan"
    assert answer.expired and answer.answer.count("有效期至2025-12-31") == 1
    before = shipped_assistant.answer(question, as_of=dt.date(2024, 6, 1))
    assert not before.expired


def test_money_question_without_an_amount_on_file_abstains(shipped_assistant) -> None:
    answer = shipped_assistant.answer("在广州考电工证补贴能领多少钱？")
    assert answer.abstained and "12333" in answer.answer


def test_a_question_about_procedure_is_answered_from_the_text(shipped_assistant) -> None:
    answer = shipped_assistant.answer("我在九江上班，培训补贴怎么申请？")
    assert answer.verdict is None and not answer.rule_trace
    assert not answer.abstained
    # 九江 is in 江西: the passages come from 江西's own or national policies only.
    other_provinces = {"hb-2020-1x-report", "nm-2022-training-brand-plan",
                       "reg-henan-vocational-training", "reg-ningbo-skills-training",
                       "reg-shandong-employment-promotion"}
    assert answer.citations
    assert not {c.doc_id for c in answer.citations} & other_provinces


def _questions(name: str) -> list[str]:
    path = Path(__file__).parent / "data" / name
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def test_abstention_on_questions_written_by_the_team(shipped_assistant) -> None:
    """On 40 questions nobody trained on (written 2026-11-22, kept out of every training set).
    The earlier hand-calibrated check abstained on 88% here but refused 16% of the answerable
    questions of the 346-item dev set; the learned check refuses ≤ 5% and abstains on 72%
    (18 of 25) here — the floor below is that figure, not the target."""
    _keeps_the_abstention_floors(shipped_assistant)


def _keeps_the_abstention_floors(assistant) -> None:
    unanswerable = _questions("team_unanswerable.jsonl")
    answerable = _questions("team_answerable.jsonl")
    abstained = sum(assistant.answer(q).abstained for q in unanswerable)
    wrongly = [q for q in answerable if assistant.answer(q).abstained]
    assert abstained / len(unanswerable) >= 0.7
    assert len(wrongly) / len(answerable) <= 0.05, wrongly


def test_abstention_holds_in_a_home_with_another_regions_upload(shipped_settings, tmp_path
                                                                 ) -> None:
    """An upload's clauses are judged against the lower unseen-document threshold, so an
    unanswerable question about the shipped topics could be "answered" from an upload on
    the same topics (河南 and 郑州 employment and unemployment-insurance rules). The same
    floors as on the shipped home must hold."""
    import shutil

    from assistant.answer import Assistant
    from assistant.home import rulebook
    from assistant.reading.region_qa import load_regions
    from corpus.home import library, searcher

    home = tmp_path / "mixed"
    shutil.copytree(shipped_settings.home, home)
    settings = shipped_settings.model_copy(update={"home": home, "database_url": None})
    uploads = [p for c in load_regions() if c.name in ("r01_henan", "r02_zhengzhou")
               for p in c.documents()]
    assert len(library(settings).ingest(uploads).added) == 5
    _keeps_the_abstention_floors(Assistant(searcher(settings), rulebook()))


def test_conditions_read_all_of_and_any_of_from_the_clause() -> None:
    from assistant.replies import conditions

    passage = ("第十四条 具备下列条件的失业人员，可以领取失业保险金：（一）按照规定参加失业保险，"
               "所在单位和本人已按照规定履行缴费义务满1年的；（二）非因本人意愿中断就业的；"
               "（三）已办理失业登记，并有求职要求的。")
    header, items = conditions("第十四条 具备下列条件的失业人员，可以领取失业保险金：", passage)
    assert header == "需同时满足：" and len(items) == 3 and items[1] == "非因本人意愿中断就业的"
    passage = "有下列情形之一的，停止领取失业保险金：（一）重新就业的；（二）应征服兵役的；"
    header, items = conditions("有下列情形之一的，停止领取失业保险金：", passage)
    assert header == "满足其中一条即可：" and items == ["重新就业的", "应征服兵役的"]
    # an 或者 inside one condition offers two ways to meet it; the conditions still all hold
    header, items = conditions("农民合同制工人连续工作满一年，所在单位已按规定缴纳失业保险费"
                               "满一年，劳动合同期满未续订或者提前解除劳动合同的，"
                               "可以申请一次性生活补助金。")
    assert header == "需同时满足：" and len(items) == 3
    # an 或者 between the conditions: either will do
    header, items = conditions("连续工作满一年的，或者所在单位缴费满一年的，可以申请补助。")
    assert header == "满足其中一条即可：" and len(items) == 2


def test_what_an_authority_decides_is_not_shown_as_the_askers_condition() -> None:
    """「各地根据实际情况」 and 「一定的」 leave the decision to the authority, and 最低 in
    「最低生活保障」 or 以上 in 「县级以上」 limits nothing: none is a condition the asker can
    meet. With no condition left, the reply names who the clause is for."""
    from assistant.replies import conditions

    header, items = conditions("各地根据实际情况，对参加培训的就业困难人员和零就业家庭成员、"
                               "城市最低生活保障家庭成员，在培训期间给予一定的生活费补贴。")
    assert header.startswith("适用于以下人员") and "零就业家庭" in items
    assert not any("根据实际" in i or "一定" in i for i in items)
    header, items = conditions("县级以上人民政府应当对参加职业培训的失业人员给予补贴。")
    assert not any("县级以上" in i for i in items)
    # a limit with a figure, or a 「…的」 condition, still is one
    assert conditions("连续工作满一年，劳动合同期满未续订的，可以申请补助。")[1] \
        == ["连续工作满一年", "劳动合同期满未续订的"]


def test_a_clause_inside_or_after_a_list_is_answered_with_the_list() -> None:
    """The answering sentence is often one item of a list (its words matched the question)
    or a paragraph that points back to the list (符合前款规定的…): its conditions are the
    list's, under its header's any-of; a list of a fund's uses is no list of conditions."""
    from assistant.replies import conditions

    passage = ("第十五条 失业人员同时符合下列条件的，可以领取失业保险金：\n"
               "（一）失业前已经缴纳失业保险费累计满一年，或者不满一年但本人有领取期限的；\n"
               "（二）非因本人意愿中断就业的；\n（三）已经办理失业登记，并有求职要求的。\n"
               "符合前款规定的失业人员，户籍不在参保地，按月领取确有困难的，"
               "可以领取一次性生活补助金。")
    header, items = conditions("（二）非因本人意愿中断就业的；", passage)
    # the item asked about first; the 或者 inside item (一) does not make the list any-of
    assert header == "需同时满足：" and items[0] == "非因本人意愿中断就业的" and len(items) == 3
    header, items = conditions("符合前款规定的失业人员，户籍不在参保地，按月领取确有困难的，"
                               "可以领取一次性生活补助金。", passage)
    assert header == "需同时满足：" and len(items) == 4
    assert items[3] == "户籍不在参保地，按月领取确有困难的"
    passage = ("非因本人意愿中断就业包括下列情形：（一）劳动合同终止的；"
               "（二）被用人单位解除劳动合同的；")
    header, items = conditions("（二）被用人单位解除劳动合同的；", passage)
    assert header == "满足其中一条即可："
    assert items == ["被用人单位解除劳动合同的", "劳动合同终止的"]
    passage = "失业保险基金用于下列支出：（一）失业保险金；（二）领取失业保险金期间的医疗补助金；"
    assert conditions("（二）领取失业保险金期间的医疗补助金；", passage)[1] == []
    assert conditions("失业保险基金用于下列支出：", passage)[1] == []


def test_it_depends_always_says_on_what() -> None:
    """A clause with no recognisable condition word: the reply points to the cited clause
    instead of standing bare, and does not repeat the quote."""
    from assistant.replies import SEE_CLAUSE, conditions, verdict_reply

    clause = "第三十六条 国家依托和支持职业院校等教育资源，开展职业技能培训。"
    assert conditions(clause)[1] == []
    reply = verdict_reply("conditional", [], conditions(clause), "", "", "您属于哪类人员？")
    assert reply.splitlines() == ["要看条件。", SEE_CLAUSE]


def test_a_grant_to_named_people_says_whom_it_is_for() -> None:
    """「要看条件」 on a clause that names its beneficiaries lists them, and the follow-up
    offers them first as choices."""
    from assistant.replies import conditions, follow_up

    clause = "面向农村转移劳动力、返乡农民工、退役军人等，开展职业指导和职业技能培训。"
    header, items = conditions(clause)
    assert header.startswith("适用于以下人员") and items == ["农民工", "退役军人"]
    assert conditions("为退役军人提供职业技能培训。") == ("适用于：", ["退役军人"])
    question, choices = follow_up({}, clause)
    assert question == "您属于哪类人员？" and choices[:2] == ["农民工", "退役军人"]
    assert len(choices) == len(set(choices)) <= 6


def test_where_the_asker_is_is_asked_only_for_a_regional_clause() -> None:
    from assistant.replies import follow_up

    veteran = {"groups": ["退役军人"]}
    assert follow_up(veteran, "", regional=True) == ("您在哪个省、市？", [])
    assert follow_up(veteran, "", regional=False)[0] == "您是否符合上面的条件？"


def test_a_quote_from_a_reprint_says_so(shipped_assistant) -> None:
    """The shipped 人社部 Q&A is a machine-reworded reprint: every citation of it carries
    its source note, in the asker's script; citations of official texts carry none."""
    reprint = "mohrss-2020-internet-plus-qa"
    note = "转载文本，以人社部发布的原文为准"
    cited = []
    for question in ("互联网+职业技能培训计划的目标任务是什么？",
                     "互聯網+職業技能培訓計劃的目標任務是什麼？"):
        answer = shipped_assistant.answer(question)
        for c in answer.citations:
            if c.doc_id == reprint:
                cited.append(c)
                assert c.note == to_script(note, answer.script)
            elif c.doc_id == "nm-2022-training-brand-plan":  # an official text
                assert c.note == ""
    assert cited, "the question about the Q&A's own plan should cite the Q&A"


def test_a_clause_from_a_document_the_model_never_saw_is_held_to_its_own_threshold() -> None:
    """The answerability threshold is calibrated on the shipped documents; a clause from an
    uploaded region's rules is judged against the threshold chosen on the team's region
    corpora, which the model was not fitted on, and only there."""
    import math
    from types import SimpleNamespace

    from assistant.answer import Assistant
    from assistant.reading.model import load

    model = load("answerable")
    assert model is not None
    shipped, unseen = model.meta["threshold"], model.meta["unseen_document_threshold"]
    assert unseen < shipped and len(model.meta["documents"]) == 15
    p = (shipped + unseen) / 2  # between the two thresholds
    weight = dict(zip(model.features, model.coef[0], strict=True))["lead_cosine"]
    x = (math.log(p / (1 - p)) - model.intercept[0]) / weight
    assert abs(model.probabilities({"lead_cosine": x})["answerable"] - p) < 1e-6

    def seen(doc_id: str) -> SimpleNamespace:
        return SimpleNamespace(answerable_features={"lead_cosine": x}, unknown_term="",
                               clause=SimpleNamespace(hit=SimpleNamespace(doc_id=doc_id)))

    assert not Assistant.answerable(seen(model.meta["documents"][0]))
    assert Assistant.answerable(seen("cq-unemployment-insurance"))


def test_another_regions_clause_is_only_answered_no_when_the_model_is_as_sure_as_at_home(
) -> None:
    """On the region corpora the shipped model's 「不可以」 was right 58% of the times it
    was said (81% on the team's questions): a clause from a document it was not trained on
    needs the higher "no" probability chosen there, and below it gets 「要看条件」."""
    from types import SimpleNamespace

    from assistant.answer import Assistant
    from assistant.reading.model import load

    model = load("verdict")
    assert model is not None
    no_min, unseen = model.meta["no_min"], model.meta["unseen_no_min"]
    assert no_min < unseen < 1.0 and len(model.meta["documents"]) == 15
    # a reading that leans "no" with a probability between the two thresholds
    between = next(x for x in (i / 20 for i in range(1, 200))
                   if no_min + 0.05 < model.probabilities({"scope_outside": x})["no"]
                   < unseen - 0.05)
    assert model.probabilities({"scope_outside": between})["no"] > 0.5

    def seen(doc_id: str) -> SimpleNamespace:
        return SimpleNamespace(verdict_features={"scope_outside": between}, wording=None,
                               comparison=SimpleNamespace(fails=0),
                               clause=SimpleNamespace(hit=SimpleNamespace(doc_id=doc_id)))

    assert Assistant.decide_verdict(seen(model.meta["documents"][0]))[0] == "no"
    assert Assistant.decide_verdict(seen("cq-unemployment-insurance"))[0] == "conditional"
    # a stated figure that fails the clause's limit settles it on any document
    failing = seen("cq-unemployment-insurance")
    failing.comparison = SimpleNamespace(fails=1)
    assert Assistant.decide_verdict(failing)[0] == "no"


def test_a_new_question_is_read_without_the_questions_before_it() -> None:
    """In a widget session 「我今年52岁，在郑州领失业金快到期了，还没找到工作怎么办」 came after
    two questions on other topics, whose words pulled another article first. Earlier
    questions carry over only to a message that continues them; what the asker said of
    themselves always does."""
    from assistant.answer import topic_turns

    asked = ["郑州的失业保险条例现在还有效吗？", "学电工考证，政府给报销吗？"]
    told = "我在郑州一个厂里干了两年，厂子倒闭了"
    new = "我今年52岁，在郑州领失业金快到期了，还没找到工作怎么办"
    assert topic_turns(new, asked) == []
    assert topic_turns(new, [told, *asked]) == [told]
    for follow_up in ("那一个月能领多少？",                      # short
                      "那我老婆在外地交的社保，她能在郑州领吗？",  # opens by pointing back
                      "我老婆也是从农村出来打工的，她自己也能参加培训吗？",
                      "我已经到法定退休年龄了，还能享受这个补贴吗？"):
        assert topic_turns(follow_up, asked) == asked, follow_up


def test_a_question_whether_something_is_required_is_answered_in_its_terms() -> None:
    """「要不要持健康证上岗？」 was answered 「可以。」: a required thing is 需要 / 不需要. Only the
    asking clause counts (「单位必须给我交社保，我要是不想交能行吗」 asks a permission)."""
    from assistant.reading.question import read_question
    from assistant.replies import verdict_lead, verdict_reply

    assert read_question("家政阿姨要不要持健康证上岗？").asks_need
    assert read_question("小企业到2025年也必须开展技能人才评价吗？").asks_need
    assert not read_question("单位必须给我交社保，我要是不想交能行吗").asks_need
    assert not read_question("我是退伍军人，能参加免费培训吗？").asks_need
    assert verdict_lead("yes", [], asks_need=True) == "需要。"
    assert verdict_lead("no", [], asks_need=True) == "不需要。"
    assert verdict_lead("yes", []) == "可以。"
    reply = verdict_reply("conditional", [], ("需同时满足：", ["甲的"]), "", "", None, True)
    assert reply.startswith("要看条件。")


def test_whether_a_document_is_still_in_force_is_answered_from_its_own_clauses(
        shipped_assistant) -> None:
    """「…规定现在还有效吗」 once got 「可以。」: a document's validity is a fact about the
    document, answered from the clause that repeals or enacts it, never with a verdict."""
    answer = shipped_assistant.answer("国务院1993年发布的国有企业职工待业保险规定，现在还有效吗？")
    assert answer.verdict is None and not answer.abstained
    assert "废止" in answer.answer, answer.answer
    assert answer.citations[0].doc_id == "reg-unemployment-insurance"


def test_asked_whether_it_is_in_force_a_document_is_quoted_where_it_says_so_of_itself(
        shipped_assistant) -> None:
    """Its 施行 sentence carries few of the asker's words (「本条例自发布之日起施行」); the
    repeal of another regulation beside it carries more, and once was quoted instead."""
    answer = shipped_assistant.answer("失业保险条例现在还有效吗？")
    assert answer.verdict is None and not answer.abstained
    assert "本条例自" in answer.answer and "施行" in answer.answer, answer.answer


@pytest.mark.parametrize("question", ["以工代训是什么意思", "什么叫稳岗返还？",
                                      "零工驿站是什么意思？"])
def test_the_meaning_of_a_term_the_files_never_use_is_not_made_up(shipped_assistant,
                                                                 question: str) -> None:
    """No shipped text uses 以工代训, 稳岗 or 驿站: a definition of some other term (职业教育法
    第二条 「本法所称职业教育，是指…」) is not its meaning, nor is a synonym of part of the
    term (零工 → 灵活就业). The reply says which term."""
    answer = shipped_assistant.answer(question)
    assert answer.abstained and not answer.citations
    term = answer.rule_trace[0]["term"]
    assert term in question and f"“{term}”" in answer.answer


def test_the_meaning_of_a_term_the_files_use_is_quoted(shipped_assistant) -> None:
    answer = shipped_assistant.answer("什么是失业保险金？")
    assert not answer.abstained and "失业保险金" in answer.citations[0].quote
