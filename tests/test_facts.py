"""Profile facts from what workers write: groups (first person only), places, age,
education, interests, certificates, who speaks, events, negation and corrections."""

from __future__ import annotations

import copy
import statistics
import time
from typing import Any

import pytest
import yaml

from assistant.facts import apply_correction, extract_facts
from corpus.domain.vocabulary import GROUPS_FILE

# shared/schemas/worker_profile.md, `groups`
VOCABULARY = {
    "农民工", "退役军人", "高校毕业生", "在校学生", "城镇登记失业人员", "就业困难人员",
    "脱贫劳动力", "零就业家庭成员", "两后生", "低保家庭", "残疾人", "妇女", "企业职工",
    "灵活就业人员", "退捕渔民", "青年",
}
STATUSES = {"employed", "unemployed", "student", "graduate_unemployed", "self_employed", "flexible"}


def has(facts: dict[str, Any], **expected: Any) -> bool:
    return all(facts.get(k) == v for k, v in expected.items())


def test_the_group_table_uses_only_the_controlled_vocabulary() -> None:
    data = yaml.safe_load(GROUPS_FILE.read_text(encoding="utf-8"))
    assert set(data["groups"]) <= VOCABULARY
    statuses = {spec["status"] for spec in data["groups"].values() if "status" in spec}
    assert statuses | set(data["status"]) <= STATUSES


@pytest.mark.parametrize(("text", "group"), [
    ("我当过兵", "退役军人"),
    ("我退伍三年了", "退役军人"),
    ("本人系退役军人", "退役军人"),
    ("我是打工的", "农民工"),
    ("我一直在外出务工", "农民工"),
    ("我是农村出来的", "农民工"),
    ("我是大学生", "高校毕业生"),
    ("我是应届毕业生", "高校毕业生"),
    ("我下岗了", "城镇登记失业人员"),
    ("失业半年了", "城镇登记失业人员"),
    ("我现在没工作", "城镇登记失业人员"),
    ("我家是贫困户", "脱贫劳动力"),
    ("我们家是建档立卡的", "脱贫劳动力"),
    ("我初中毕业不读了", "两后生"),
    ("我没考上高中", "两后生"),
    ("我是残疾人", "残疾人"),
    ("我腿有残疾", "残疾人"),
    ("我是外卖骑手", "灵活就业人员"),
    ("我开网约车的", "灵活就业人员"),
    ("我在平台上接单", "灵活就业人员"),
    ("以前打鱼的，禁捕上岸了", "退捕渔民"),
    ("我还在上学", "在校学生"),
    ("我是技校学生", "在校学生"),
    ("我是在校大学生", "在校学生"),
    ("我是全职妈妈", "妇女"),
])
def test_first_person_statements_set_groups(text: str, group: str) -> None:
    assert group in extract_facts(text).get("groups", []), extract_facts(text)


def test_a_self_introduction_without_a_subject_counts() -> None:
    assert extract_facts("退伍军人，在赣州，想学电工")["groups"] == ["退役军人"]
    assert extract_facts("作为一名退役军人，我想了解补贴")["groups"] == ["退役军人"]


@pytest.mark.parametrize("text", [
    "退役军人保障法第几条规定培训",
    "退役军人能参加补贴性培训吗",
    "哪些退役军人可以享受免费培训",
    "当过兵的人能参加吗",
    "我想问一下，打工的能拿培训补贴吗",
    "农民工可以申请技能提升补贴吗",
    "高校毕业生算不算补贴对象",
    "失业保险条例里技能提升补贴怎么规定",
    "残疾人就业条例规定了哪些培训措施",
    "企业职工岗位技能提升培训的补贴标准",
    "初中毕业生能参加劳动预备制培训吗",
    "如果我是退役军人能领多少",
    "我儿子当过兵，他能参加吗",
    "我老公是退伍军人",
    "我是退役军人家属",
    "我们的员工大多是农民工",
    "我算不算就业困难人员",
])
def test_questions_about_others_or_categories_set_no_group(text: str) -> None:
    facts = extract_facts(text)
    assert "groups" not in facts, facts
    assert "not_groups" not in facts, facts


def test_plain_policy_questions_yield_no_facts() -> None:
    for text in ["职业技能提升补贴的标准是多少", "1+X证书是什么意思", "培训补贴多久能到账",
                 "线上培训的学时怎么认定", "职工教育经费怎么提取"]:
        assert extract_facts(text) == {}, text


def test_negations_are_recorded_apart_and_never_add_a_group() -> None:
    assert extract_facts("我不是退役军人") == {"not_groups": ["退役军人"]}
    assert extract_facts("我没当过兵") == {"not_groups": ["退役军人"]}
    facts = extract_facts("我不是学生，我是退役军人")
    assert facts["groups"] == ["退役军人"]
    assert facts["not_groups"] == ["在校学生"]


def test_traditional_input_works_the_same() -> None:
    expected = {"groups": ["退役军人"], "city": "赣州市", "province": "江西省"}
    assert extract_facts("我當過兵，在贛州") == expected
    assert extract_facts("我当过兵，在赣州") == expected
    assert extract_facts("我是農民工，想學電工") == extract_facts("我是农民工，想学电工")


def test_employment_status() -> None:
    assert extract_facts("我下岗了")["employment_status"] == "unemployed"
    assert extract_facts("我是外卖骑手")["employment_status"] == "flexible"
    assert extract_facts("我在厂里上班")["employment_status"] == "employed"
    assert extract_facts("我是个体户")["employment_status"] == "self_employed"
    assert extract_facts("我在读技校")["employment_status"] == "student"
    graduate = extract_facts("大学毕业两年了还没工作")
    assert graduate["employment_status"] == "graduate_unemployed"
    assert "高校毕业生" in graduate["groups"]
    # what they did before, then what they do now: the later one is current
    assert extract_facts("以前在厂里上班，现在下岗了")["employment_status"] == "unemployed"


# --------------------------------------------------------------------------- places

@pytest.mark.parametrize(("text", "expected"), [
    ("在赣州", {"city": "赣州市", "province": "江西省"}),
    ("九江的", {"city": "九江市", "province": "江西省"}),
    ("我在江西于都", {"county": "于都县", "city": "赣州市", "province": "江西省"}),
    ("我在于都", {"county": "于都县", "city": "赣州市", "province": "江西省"}),
    ("我在吉林", {"province": "吉林省"}),
    ("我在吉林市", {"city": "吉林市", "province": "吉林省"}),
    # 城区 is the full name of several counties: only with its city
    ("我在长治市城区", {"county": "城区", "city": "长治市", "province": "山西省"}),
    # 内蒙古: 盟 and 旗, and the colloquial 锡盟 / 呼市
    ("我在锡林郭勒盟", {"city": "锡林郭勒盟", "province": "内蒙古自治区"}),
    ("我在锡盟正蓝旗", {"county": "正蓝旗", "city": "锡林郭勒盟", "province": "内蒙古自治区"}),
    ("我在呼市", {"city": "呼和浩特市", "province": "内蒙古自治区"}),
    ("在內蒙古阿拉善盟", {"city": "阿拉善盟", "province": "内蒙古自治区"}),
    # municipalities are province and city at once
    ("我在重庆", {"province": "重庆市", "city": "重庆市"}),
    ("北京朝阳区", {"county": "朝阳区", "city": "北京市", "province": "北京市"}),
    ("我在上海浦东新区", {"county": "浦东新区", "city": "上海市", "province": "上海市"}),
    ("天津和平区", {"county": "和平区", "city": "天津市", "province": "天津市"}),
    # a county-level city directly under its province has no prefecture
    ("我在仙桃", {"county": "仙桃市", "province": "湖北省"}),
])
def test_places(text: str, expected: dict[str, str]) -> None:
    facts = extract_facts(text)
    assert {k: facts[k] for k in ("province", "city", "county") if k in facts} == expected


@pytest.mark.parametrize("text", [
    "我住在城区",          # generic word, no city
    "我在朝阳区",          # Beijing or Changchun: not guessed
    "我是鼓楼区的",        # four cities have one
    "去中山大学学习",      # a university, not the city
    "我在合作社上班",      # 合作 is also a county name
    "宁波市职业技能培训条例第几条",  # a document, not where one lives
    "能按济南这个规定领辅助器具吗",
    "江西省人社厅发的通知",
    "阿里巴巴有培训吗",
])
def test_no_place_from_words_that_only_look_like_one(text: str) -> None:
    assert not {"province", "city", "county"} & set(extract_facts(text)), extract_facts(text)


def test_household_registration_is_kept_apart_from_where_one_lives() -> None:
    assert extract_facts("湖北户籍") == {"hukou_province": "湖北省"}
    # where one means to go is not where one lives; "这边" marks the speaker's own place
    assert has(extract_facts("我打算去上海打工，安徽这边有培训吗"), province="安徽省")
    assert "city" not in extract_facts("我准备到深圳找工作，想先学点技术")
    assert extract_facts("我们想去杭州发展，老家四川这边能先培训吗") == {"hukou_province": "四川省"}
    assert extract_facts("我是湖北人户口在湖北") == {"hukou_province": "湖北省"}
    facts = extract_facts("我是江西赣州人，在深圳打工")
    assert has(facts, hukou_province="江西省", city="深圳市", province="广东省")
    facts = extract_facts("我老家是四川的，现在在东莞")
    assert has(facts, hukou_province="四川省", city="东莞市")
    # the place of a document asked about is not the asker's: 「我是青岛的…，能按济南这个规定…」
    assert has(extract_facts("我是青岛的残疾人，能按济南这个规定去领免费辅助器具吗"),
               city="青岛市")


def test_a_denied_place_is_not_taken() -> None:
    assert has(extract_facts("我不在赣州，在九江"), city="九江市", province="江西省")


# ------------------------------------------------------------------ other facts

@pytest.mark.parametrize(("text", "age"), [
    ("我28岁", 28), ("二十八岁", 28), ("今年45", 45), ("我今年45了", 45), ("我都五十了", 50),
    ("本人今年三十周岁", 30),
])
def test_age(text: str, age: int) -> None:
    assert extract_facts(text)["age"] == age


@pytest.mark.parametrize("text", ["35岁以下的能参加吗", "年满16周岁可以报名吗",
                                  "16到24岁的青年可以参加吗", "我儿子18岁", "今年2024年的政策"])
def test_ages_that_are_conditions_or_someone_elses_are_ignored(text: str) -> None:
    assert "age" not in extract_facts(text)


@pytest.mark.parametrize(("text", "education"), [
    ("我初中毕业", "初中"), ("高中学历", "高中"), ("我读过中专", "中专"), ("我是大专生", "大专"),
    ("本科毕业", "本科"), ("我研究生毕业", "研究生"), ("没考上高中", "初中"),
    ("初中毕业后读了中专", "中专"),
])
def test_education(text: str, education: str) -> None:
    assert extract_facts(text)["education"] == education


def test_education_named_as_a_condition_is_ignored() -> None:
    assert "education" not in extract_facts("高中毕业生可以参加吗")
    assert "education" not in extract_facts("适合初中学历的培训课程有哪些")
    assert "education" not in extract_facts("本科及以上学历能申请吗")


@pytest.mark.parametrize(("text", "expected"), [
    ("我是江西技工学校今年的应届生", {"school_type": "vocational", "in_graduation_year": True,
                                     "years_since_graduation": 0}),
    ("我去年大专毕业，现在没工作", {"school_type": "vocational", "in_graduation_year": False,
                                  "years_since_graduation": 1}),
    ("我毕业两年了，本科", {"school_type": "university", "years_since_graduation": 2}),
    ("我是大四学生", {"school_type": "university", "in_final_school_year": True}),
    ("我在读高三", {"school_type": "high_school", "in_final_school_year": True}),
    ("我在南昌读大学", {"school_type": "university"}),
    ("我現在讀技校，明年畢業", {"school_type": "vocational", "in_final_school_year": True}),
])
def test_schooling(text: str, expected: dict[str, Any]) -> None:
    assert has(extract_facts(text), **expected)


@pytest.mark.parametrize("text", [
    "技校学生能补贴吗", "大学生能参加吗", "我想读技校", "我儿子今年技校毕业",
    "应届毕业生有什么政策",
])
def test_schooling_of_a_category_a_wish_or_someone_else_is_ignored(text: str) -> None:
    facts = extract_facts(text)
    assert not {"school_type", "in_graduation_year", "years_since_graduation"} & set(facts)


@pytest.mark.parametrize(("text", "interest"), [
    ("想学电工", "电工"), ("我想学电工有什么课", "电工"), ("我想學電工", "电工"),
    ("想学新能源汽车维修，哪里有班", "新能源汽车维修"), ("我想考电工证", "电工"),
    ("打算学个电焊", "电焊"), ("对育婴师比较感兴趣", "育婴师"),
])
def test_interests(text: str, interest: str) -> None:
    assert extract_facts(text)["interests_text"] == interest


def test_vague_or_someone_elses_interests_are_ignored() -> None:
    assert "interests_text" not in extract_facts("想学点技术")
    assert "interests_text" not in extract_facts("我儿子想学电工")
    assert "interests_text" not in extract_facts("学电工需要多少课时")


def test_certificates() -> None:
    electrician = {"occupation": "电工", "level": "四级"}
    assert extract_facts("有电工四级证")["certificates"] == [electrician]
    assert extract_facts("我有中级电工证和焊工证")["certificates"] == [
        {"occupation": "电工", "level": "四级"}, {"occupation": "焊工"}]
    assert extract_facts("考了叉车证")["certificates"] == [{"occupation": "叉车"}]
    assert extract_facts("我没有任何证书")["certificates"] == []
    for text in ["有没有电工证的培训", "我有驾驶证", "我老公有电工证", "拿到了合格证明"]:
        assert "certificates" not in extract_facts(text), text


@pytest.mark.parametrize(("text", "subject"), [
    ("我们是一家企业", "enterprise"), ("我们公司能申请以工代训吗", "enterprise"),
    ("我们培训机构想申请定点", "training_institution"),
    ("我们是一家民办培训学校", "training_institution"),
    ("我们学校能申请1+X试点吗", "school"),
])
def test_who_the_asker_speaks_for(text: str, subject: str) -> None:
    assert extract_facts(text)["subject"] == subject


def test_an_individual_is_no_organisation() -> None:
    for text in ["我在公司上班", "我们想找个培训机构", "我在技校读书"]:
        assert "subject" not in extract_facts(text), text


def test_an_organisation_speaking_makes_no_group_claim() -> None:
    facts = extract_facts("我们是退役军人创办的企业")
    assert facts == {"subject": "enterprise"}


def test_events() -> None:
    assert extract_facts("学完网课拿到了合格证明") == {
        "completed_online_course": True, "has_course_certificate": True}
    assert extract_facts("没签劳动合同") == {"has_labour_contract": False}
    assert extract_facts("公司跟我签了劳动合同") == {"has_labour_contract": True}
    assert extract_facts("网课学完了，但是还没拿到合格证") == {
        "completed_online_course": True, "has_course_certificate": False}
    assert extract_facts("没签劳动合同的能领补贴吗") == {}
    assert extract_facts("劳动合同法怎么规定的") == {}


def test_a_whole_introduction() -> None:
    facts = extract_facts("我是退伍军人，在江西于都，今年三十岁，高中毕业，想学新能源汽车维修，"
                          "有电工四级证，没签劳动合同")
    assert facts == {
        "groups": ["退役军人"], "county": "于都县", "city": "赣州市", "province": "江西省",
        "age": 30, "education": "高中", "school_type": "high_school",
        "interests_text": "新能源汽车维修",
        "certificates": [{"occupation": "电工", "level": "四级"}], "has_labour_contract": False,
    }


# ------------------------------------------------------------------ corrections

def test_a_corrected_place_replaces_the_whole_old_place() -> None:
    old = {"county": "于都县", "city": "赣州市", "province": "江西省", "age": 25}
    new = apply_correction(old, "不对，我在九江")
    assert new == {"city": "九江市", "province": "江西省", "age": 25}
    assert old["county"] == "于都县"  # the input is not modified


def test_a_place_only_asked_about_does_not_move_the_asker() -> None:
    """Where one lives and the place asked about are different facts (issue 9 §3)."""
    old = {"city": "南昌市", "province": "江西省"}
    assert apply_correction(old, "听说内蒙古品牌培训补贴能上浮30%，我们能照这个标准拿吗") == old
    assert apply_correction(old, "河南那个职业培训条例里的补贴我能申请吗") == old
    moved = {"city": "赤峰市", "province": "内蒙古自治区"}
    assert apply_correction(old, "我现在搬到赤峰了，能参加培训吗") == moved
    assert apply_correction(old, "赤峰") == moved  # a bare place as a reply is an answer
    assert apply_correction({}, "内蒙古的培训品牌能拿多少补贴") == {"province": "内蒙古自治区"}


def test_a_corrected_age() -> None:
    assert apply_correction({"age": 25}, "我说错了，我28岁") == {"age": 28}
    assert apply_correction({"age": 25}, "不是25，是28") == {"age": 28}
    assert apply_correction({"age": 25}, "说错了，28") == {"age": 28}


def test_a_corrected_group() -> None:
    new = apply_correction({"groups": ["退役军人"]}, "不对，我不是退役军人，我是农民工")
    assert new == {"groups": ["农民工"], "not_groups": ["退役军人"]}
    new = apply_correction({"groups": ["高校毕业生"]}, "说错了，我还在上学")
    assert new["groups"] == ["在校学生"]
    new = apply_correction({"not_groups": ["残疾人"]}, "其实我是残疾人")
    assert new == {"groups": ["残疾人"]}


def test_a_corrected_certificate_replaces_the_same_occupation_only() -> None:
    old = {"certificates": [{"occupation": "电工", "level": "四级"}, {"occupation": "焊工"}]}
    new = apply_correction(old, "我说错了，我有电工三级证")
    assert new["certificates"] == [{"occupation": "焊工"}, {"occupation": "电工", "level": "三级"}]


# ---------------------------------------------------------------------- speed

def test_extraction_takes_under_2_ms_per_call() -> None:
    texts = [
        "我當過兵，在贛州",
        "我是退伍军人，在江西于都，今年三十岁，高中毕业，想学新能源汽车维修，"
        "有电工四级证，学完网课拿到了合格证明，没签劳动合同",
        "职业技能提升补贴的标准是多少",
        "我们是一家企业，能不能申请以工代训补贴",
        "不对，我在九江",
    ]
    extract_facts(texts[0])  # warm-up: loads the region table and compiles the cues
    timings = []
    for _ in range(50):
        for text in texts:
            start = time.perf_counter()
            extract_facts(text)
            timings.append(time.perf_counter() - start)
    median = statistics.median(timings) * 1000
    print(f"extract_facts: median {median:.3f} ms, max {max(timings) * 1000:.3f} ms")
    assert median < 2.0


def test_extraction_is_pure() -> None:
    text = "我当过兵，在赣州"
    first = extract_facts(text)
    snapshot = copy.deepcopy(first)
    first["groups"].append("妇女")
    assert extract_facts(text) == snapshot
