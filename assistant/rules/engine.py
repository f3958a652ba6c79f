"""Evaluate eligibility rules against what we know about a person or an organisation.

The logic is three-valued because the assistant rarely knows everything: a condition on a
fact nobody has told us is *unknown*, not false, and the answer then names the facts that
would settle it and the question to ask for the first one. Dates matter as much as facts:
a rule outside its ``effective`` window is reported as expired (or not yet effective) and
never applied silently, because an outdated subsidy quoted as current misleads people.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, NoReturn

import yaml
from pydantic import ValidationError

from assistant.rules import panel
from assistant.rules.model import (
    AllNode,
    AnyNode,
    Condition,
    FactFile,
    FactSpec,
    Leaf,
    NotNode,
    Rule,
    RuleFile,
    RuleFileError,
    explain,
    parse_rule,
)
from assistant.rules.panel import PanelItem
from corpus.domain.vocabulary import groups, levels
from corpus.errors import InvalidInput, NotFound
from corpus.normalize import search_text
from corpus.regions import NATIONAL, Region, regions

DEFAULT_FOLDER = Path(__file__).parent
FACTS_FILE = "facts.yaml"

Status = Literal["pass", "fail", "unknown"]
RuleStatus = Literal["applies", "does_not_apply", "undetermined", "expired", "not_yet_effective"]

_TYPE_NAMES = {
    "str": "文字", "int": "整数", "float": "数字", "bool": "是或否（true/false）",
    "date": "日期（如 2024-01-01）", "list[str]": "文字列表", "enum": "规定的取值之一",
}
_REGION_LEVEL_NAMES = {"province": "省级行政区", "prefecture": "地级行政区（市、地区、州、盟）",
                       "county": "县级行政区"}
#: Short prefecture names that are mostly other words in a question (阿里巴巴, 中山大学).
_NOT_PLACES = frozenset({"阿里", "中山"})


# -- facts ---------------------------------------------------------------------------


def _bad(name: str, spec: FactSpec | None, value: Any, why: str,
         code: str = "bad_fact") -> NoReturn:
    """Refuse a value with a Chinese message that names the fact, so the user can fix it."""
    label = f"“{spec.label}”（{name}）" if spec else f"“{name}”"
    raise InvalidInput(f"事实{label}的取值 {value!r} 无效：{why}", code=code,
                       detail={"fact": name, "value": repr(value)})


class FactRegistry:
    """The facts of ``facts.yaml``: checks and canonicalises values before any rule sees them.

    Canonical forms make rules simple and exact: "湖北" becomes "湖北省", "退伍军人" becomes
    "退役军人", "失业" becomes ``unemployed``, so a rule compares like with like.
    """

    def __init__(self, specs: Mapping[str, FactSpec]) -> None:
        self.specs = dict(specs)

    def spec(self, name: str) -> FactSpec:
        spec = self.specs.get(name)
        if spec is None:
            raise InvalidInput(f"未知的事实“{name}”：事实登记表（facts.yaml）中没有这一项。",
                               code="bad_fact", detail={"fact": name})
        return spec

    def normalize(self, facts: Mapping[str, Any] | None) -> dict[str, Any]:
        """Checked, canonical facts; ``None`` values count as not known."""
        if facts is not None and not isinstance(facts, Mapping):
            raise InvalidInput("事实应为“名称: 取值”的映射（JSON 对象）。", code="bad_fact")
        clean = {name: self.value(name, value) for name, value in (facts or {}).items()
                 if value is not None}
        return _fill_regions(clean)

    def value(self, name: str, value: Any) -> Any:
        """One value checked against its fact's type, in canonical form."""
        spec = self.spec(name)
        checker = _CHECKERS[spec.type]
        return checker(name, spec, value)

    def display(self, name: str, value: Any) -> str:
        """A value as a person reads it: enum labels, units, dates, lists joined with 、."""
        spec = self.specs[name]
        if isinstance(value, list):
            return "、".join(self.display(name, v) for v in value)
        if isinstance(value, bool):
            return "是" if value else "否"
        if spec.values and isinstance(value, str):
            return spec.values.get(value, value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, dt.date):
            return value.isoformat()
        return f"{value}{spec.unit}"


def _check_str(name: str, spec: FactSpec, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        _bad(name, spec, value, f"应为{_TYPE_NAMES['str']}。")
    value = value.strip()
    if spec.region_level:
        return _check_region(name, spec, value)
    return value


def _check_region(name: str, spec: FactSpec, value: str) -> str:
    region = regions().find(value)
    if region is None:
        _bad(name, spec, value, "不是已知的地区名称。")
    level = spec.region_level
    municipality = region.is_municipality
    if region.level != level and not (level == "prefecture" and municipality):
        _bad(name, spec, value, f"应为{_REGION_LEVEL_NAMES[level or 'province']}。")
    return region.name


def _check_int(name: str, spec: FactSpec, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            _bad(name, spec, value, f"应为{_TYPE_NAMES['int']}。")
    return _check_range(name, spec, value)


def _check_float(name: str, spec: FactSpec, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        _bad(name, spec, value, f"应为{_TYPE_NAMES['float']}。")
    return _check_range(name, spec, float(value))


def _check_range(name: str, spec: FactSpec, value: Any) -> Any:
    low = spec.min if spec.min is not None else float("-inf")
    high = spec.max if spec.max is not None else float("inf")
    if not low <= value <= high:
        bounds = f"{_num(spec.min) if spec.min is not None else '不限'}到" \
                 f"{_num(spec.max) if spec.max is not None else '不限'}"
        _bad(name, spec, value, f"超出可能的范围（{bounds}{spec.unit}）。", code=spec.range_code)
    return value


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _check_bool(name: str, spec: FactSpec, value: Any) -> bool:
    if not isinstance(value, bool):
        _bad(name, spec, value, f"应为{_TYPE_NAMES['bool']}。")
    return value


def _check_date(name: str, spec: FactSpec, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    _bad(name, spec, value, f"应为{_TYPE_NAMES['date']}。")


def _allowed(name: str, spec: FactSpec, value: Any) -> str:
    """An enum or list item in canonical form: its key, from the key, label or an alias."""
    if not isinstance(value, str):
        _bad(name, spec, value, f"应为{_TYPE_NAMES['str']}。")
    value = value.strip()
    values = spec.values or {}
    if not values or value in values:
        return value
    if value in spec.aliases:
        return spec.aliases[value]
    for key, label in values.items():
        if value == label:
            return key
    if spec.vocabulary == "groups":
        named = groups().canonical(value)  # "农村妇女" → 妇女, as the profile reads it
        if len(named) == 1:
            return named[0]
    level = levels().code(value) if spec.vocabulary == "levels" else None
    if level:
        return levels().name(level)  # "三级／高级工", spaced or full-width
    choices = "、".join(f"{k}（{v}）" if k != v else k for k, v in values.items())
    _bad(name, spec, value, f"可选的取值为：{choices}。")


def _check_enum(name: str, spec: FactSpec, value: Any) -> str:
    return _allowed(name, spec, value)


def _check_list(name: str, spec: FactSpec, value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        _bad(name, spec, value, f"应为{_TYPE_NAMES['list[str]']}。")
    items: list[str] = []
    for item in value:
        canonical = _allowed(name, spec, item)
        if canonical not in items:
            items.append(canonical)
    return items


_CHECKERS = {
    "str": _check_str, "int": _check_int, "float": _check_float, "bool": _check_bool,
    "date": _check_date, "enum": _check_enum, "list[str]": _check_list,
}


def _fill_regions(facts: dict[str, Any]) -> dict[str, Any]:
    """Derive ``province`` (and ``city``) from a more specific place, and refuse
    contradictions: a rule on the province must not miss someone who only named a city."""
    table = regions()
    chain = [("county", facts.get("county")), ("city", facts.get("city")),
             ("province", facts.get("province"))]
    known = [(key, table.find(name)) for key, name in chain if name]
    for (key, region), (other_key, other) in zip(known, known[1:], strict=False):
        if region and other and other.name not in table.applicable_names(region.name):
            raise InvalidInput(
                f"地区信息前后矛盾：{region.name}不属于{other.name}，请核对所在省份和城市。",
                code="bad_fact", detail={"fact": key, "value": region.name,
                                         "conflicts_with": {other_key: other.name}})
    if known:
        lineage = table.lineage(known[0][1])  # type: ignore[arg-type]
        for region in lineage:
            if region.level == "province":
                facts.setdefault("province", region.name)
            elif region.level == "prefecture" and known[0][0] == "county":
                facts.setdefault("city", region.name)
    return facts


# -- results -------------------------------------------------------------------------


@dataclass
class ConditionTrace:
    id: str
    kind: Literal["leaf", "all", "any", "not", "subject"]
    description: str
    status: Status
    fact: str | None = None
    value_seen: Any = None
    cite: dict[str, Any] | None = None


@dataclass
class RuleResult:
    rule_id: str
    title: str
    region: str
    status: RuleStatus
    verdict: Literal["yes", "no", "conditional"] | None
    outcome: dict[str, Any]
    trace: list[ConditionTrace] = field(default_factory=list)
    missing_facts: list[str] = field(default_factory=list)
    follow_up: str | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)
    subject: list[str] = field(default_factory=list)
    effective: dict[str, str | None] = field(default_factory=dict)
    as_of: str = ""
    note: str | None = None
    interpretation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO strings)."""
        return _jsonable(asdict(self))


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, dt.date):
        return obj.isoformat()
    return obj


# -- evaluation ----------------------------------------------------------------------


def _leaf_status(leaf: Leaf, facts: Mapping[str, Any]) -> Status:
    """One comparison in three-valued logic: a missing fact is unknown, never false."""
    seen = facts.get(leaf.fact)
    if seen is None:
        return "unknown"
    value = leaf.value
    result = _COMPARE[leaf.op](seen, value)
    return "pass" if result else "fail"


def _between(seen: Any, value: Any) -> bool:
    return value[0] <= seen <= value[1]


_COMPARE = {
    "eq": lambda seen, value: seen == value,
    "ne": lambda seen, value: seen != value,
    "in": lambda seen, value: seen in value,
    "not_in": lambda seen, value: seen not in value,
    "contains": lambda seen, value: value in seen,
    "contains_any": lambda seen, value: any(v in seen for v in value),
    "gte": lambda seen, value: seen >= value,
    "gt": lambda seen, value: seen > value,
    "lte": lambda seen, value: seen <= value,
    "lt": lambda seen, value: seen < value,
    "between": _between,
    "exists": lambda seen, value: seen not in ("", [], ()),
    "is_true": lambda seen, value: seen is True,
    "is_false": lambda seen, value: seen is False,
}

_COMPOSITE_WORDS = {"all": "满足以下全部条件", "any": "满足以下任一条件",
                    "not": "不属于以下情形"}
_OP_WORDS = {
    "eq": "=", "ne": "≠", "in": "属于", "not_in": "不属于", "contains": "包含",
    "gte": "≥", "gt": ">", "lte": "≤", "lt": "<",
}


class _Run:
    """One evaluation: walks the condition tree, recording the trace as it goes."""

    def __init__(self, registry: FactRegistry, facts: Mapping[str, Any]) -> None:
        self.registry = registry
        self.facts = facts
        self.trace: list[ConditionTrace] = []

    def node(self, node: Condition) -> tuple[Status, list[str]]:
        """The node's status and, when unknown, the facts that would settle it."""
        if isinstance(node, Leaf):
            return self.leaf(node)
        slot = self._reserve(node)
        if isinstance(node, NotNode):
            status, missing = self.node(node.not_)
            status = {"pass": "fail", "fail": "pass", "unknown": "unknown"}[status]
        else:
            status, missing = _combine(node, self._children(node))
        self._fill(slot, node, status)
        return status, missing

    def _children(self, node: AllNode | AnyNode) -> list[tuple[Status, list[str]]]:
        children = node.all if isinstance(node, AllNode) else node.any
        return [self.node(child) for child in children]

    def leaf(self, leaf: Leaf) -> tuple[Status, list[str]]:
        status = _leaf_status(leaf, self.facts)
        seen = self.facts.get(leaf.fact)
        self.trace.append(ConditionTrace(
            id=leaf.id, kind="leaf", description=self.describe(leaf), status=status,
            fact=leaf.fact, value_seen=_jsonable(seen), cite=leaf.cite.model_dump()))
        return status, ([leaf.fact] if status == "unknown" else [])

    def describe(self, leaf: Leaf) -> str:
        """A condition in words, generated from fact, op and value: "户籍所在省 = 湖北省"."""
        label = self.registry.specs[leaf.fact].label
        if leaf.op == "exists":
            return f"{label}：已知"
        if leaf.op in ("is_true", "is_false"):
            return f"{label}：{'是' if leaf.op == 'is_true' else '否'}"
        shown = self.registry.display(leaf.fact, leaf.value)
        if leaf.op == "contains_any":
            return f"{label} 包含以下任一项：{shown}"
        if leaf.op == "between":
            low, high = (self.registry.display(leaf.fact, v) for v in leaf.value)
            return f"{label} 在 {low} 至 {high} 之间"
        return f"{label} {_OP_WORDS[leaf.op]} {shown}"

    def _reserve(self, node: AllNode | AnyNode | NotNode) -> int | None:
        if node.id is None:
            return None
        self.trace.append(ConditionTrace(id=node.id, kind="all", description="", status="unknown"))
        return len(self.trace) - 1

    def _fill(self, slot: int | None, node: AllNode | AnyNode | NotNode, status: Status) -> None:
        if slot is None:
            return
        kind = "all" if isinstance(node, AllNode) else "any" if isinstance(node, AnyNode) else "not"
        default = _COMPOSITE_WORDS[kind]
        self.trace[slot] = ConditionTrace(id=node.id or "", kind=kind,
                                          description=node.label or default, status=status)


def _combine(node: AllNode | AnyNode,
             results: list[tuple[Status, list[str]]]) -> tuple[Status, list[str]]:
    """``all``: fail beats unknown beats pass; ``any``: pass beats unknown beats fail."""
    statuses = [status for status, _ in results]
    decisive, default = ("fail", "pass") if isinstance(node, AllNode) else ("pass", "fail")
    if decisive in statuses:
        return decisive, []
    if "unknown" in statuses:
        missing = [f for status, facts in results if status == "unknown" for f in facts]
        return "unknown", list(dict.fromkeys(missing))
    return default, []


def _timing(rule: Rule, as_of: dt.date) -> tuple[RuleStatus, str] | None:
    start, end = rule.effective.from_, rule.effective.to
    day = as_of.isoformat()
    if as_of < start:
        return "not_yet_effective", f"该规定自 {start.isoformat()} 起施行，在 {day} 尚未生效。"
    if end is not None and as_of > end:
        return "expired", f"该规定的适用期已于 {end.isoformat()} 结束，在 {day} 已不适用。"
    return None


# -- the rule book -------------------------------------------------------------------


class RuleBook:
    """All rules of a folder, validated against the fact registry, ready to evaluate."""

    def __init__(self, registry: FactRegistry, rules: Iterable[tuple[Rule, str]]) -> None:
        self.registry = registry
        self.rules: dict[str, Rule] = {}
        self.files: dict[str, str] = {}  # rule id → file name
        self._triggers: dict[str, list[list[str]]] = {}
        for rule, file in rules:
            self._add(rule, file)

    # -- loading --------------------------------------------------------------------
    @classmethod
    def load(cls, folder: Path | str = DEFAULT_FOLDER) -> RuleBook:
        """``facts.yaml`` and every other ``*.yaml`` of ``folder``, or a clear error."""
        folder = Path(folder)
        registry = FactRegistry(_load_facts(folder / FACTS_FILE))
        rules: list[tuple[Rule, str]] = []
        for path in sorted(folder.glob("*.yaml")):
            if path.name == FACTS_FILE:
                continue
            rules.extend((rule, path.name) for rule in _load_rules(path))
        return cls(registry, rules)

    def _add(self, rule: Rule, file: str) -> None:
        if rule.id in self.rules:
            raise RuleFileError(f"规则编号 {rule.id} 在 {self.files[rule.id]} 和 {file} 中重复。",
                                detail={"file": file, "rule": rule.id})
        try:
            rule = _check_rule(rule, self.registry)
        except (InvalidInput, ValueError) as error:
            message = getattr(error, "message", str(error))
            raise RuleFileError(f"规则文件 {file} 中的规则 {rule.id} 有误：{message}",
                                detail={"file": file, "rule": rule.id}) from error
        self.rules[rule.id] = rule
        self.files[rule.id] = file
        self._triggers[rule.id] = [[search_text(t) for t in group] for group in rule.triggers]

    def rule(self, rule_id: str) -> Rule:
        rule = self.rules.get(rule_id)
        if rule is None:
            raise NotFound(f"没有编号为 {rule_id} 的规则。", code="rule_not_found",
                           detail={"rule_id": rule_id})
        return rule

    # -- evaluating -----------------------------------------------------------------
    def evaluate(self, rule_id: str, facts: Mapping[str, Any] | None,
                 as_of: dt.date | None = None) -> RuleResult:
        rule = self.rule(rule_id)
        return self._evaluate(rule, self.registry.normalize(facts), as_of or dt.date.today())

    def evaluate_all(self, facts: Mapping[str, Any] | None, as_of: dt.date | None = None,
                     region: str | None = None) -> list[RuleResult]:
        """Every rule for the facts' subject (and compatible with ``region`` if given)."""
        clean = self.registry.normalize(facts)
        place = [regions().resolve(region)] if region else None
        subject = clean.get("subject")
        chosen = [rule for rule in self.rules.values()
                  if (subject is None or subject in rule.subject)
                  and (place is None or _region_compatible(rule.region, place))]
        return [self._evaluate(rule, clean, as_of or dt.date.today()) for rule in chosen]

    def _evaluate(self, rule: Rule, facts: Mapping[str, Any], as_of: dt.date) -> RuleResult:
        result = RuleResult(
            rule_id=rule.id, title=rule.title, region=rule.region, status="undetermined",
            verdict=None, outcome=rule.outcome.model_dump(), subject=list(rule.subject),
            effective={"from": rule.effective.from_.isoformat(),
                       "to": rule.effective.to.isoformat() if rule.effective.to else None},
            as_of=as_of.isoformat(), interpretation=rule.interpretation,
            citations=[rule.reference.model_dump()])
        timing = _timing(rule, as_of)
        if timing is not None:
            result.status, result.note = timing
            return result
        if self._wrong_subject(rule, facts, result):
            return result
        run = _Run(self.registry, facts)
        status, missing = run.node(rule.conditions)
        result.trace.extend(run.trace)
        result.status = {"pass": "applies", "fail": "does_not_apply",
                         "unknown": "undetermined"}[status]  # type: ignore[assignment]
        result.verdict = {"pass": rule.outcome.verdict_if_pass, "fail": "no",
                          "unknown": None}[status]  # type: ignore[assignment]
        result.missing_facts = missing
        if missing:
            result.follow_up = self.registry.specs[missing[0]].ask
        result.citations = _unique([rule.reference.model_dump()]
                                   + [t.cite for t in result.trace if t.cite])
        return result

    def _wrong_subject(self, rule: Rule, facts: Mapping[str, Any], result: RuleResult) -> bool:
        """A rule about enterprises does not apply to a worker, and says so."""
        subject = facts.get("subject")
        if subject is None or subject in rule.subject:
            return False
        shown = "、".join(self.registry.display("subject", s) for s in rule.subject)
        result.trace.append(ConditionTrace(
            id="subject", kind="subject", description=f"主体类型 属于 {shown}", status="fail",
            fact="subject", value_seen=subject, cite=rule.reference.model_dump()))
        result.status, result.verdict = "does_not_apply", "no"
        result.note = f"该规定针对{shown}，不适用于{self.registry.display('subject', subject)}。"
        return True

    # -- the counselor's view ---------------------------------------------------------
    def assess(self, rule_id: str, facts: Mapping[str, Any] | None,
               as_of: dt.date | None = None) -> PanelItem:
        """One rule as the eligibility panel shows it (``assistant.rules.panel``): the
        matcher asks this, not ``evaluate``, so its subsidy claims match the panel."""
        return panel.assess(self, rule_id, facts, as_of)

    def holds_rules_for(self, place: str, as_of: dt.date | None = None) -> bool:
        """Whether a rule in force is of ``place`` or a region containing it (not national)."""
        return panel.holds_rules_for(self, place, as_of or dt.date.today())

    def describe(self, leaf: Leaf) -> str:
        """A condition in words, as the trace words it."""
        return _Run(self.registry, {}).describe(leaf)

    # -- relevance ------------------------------------------------------------------
    def relevant(self, question: str, facts: Mapping[str, Any] | None = None) -> list[Rule]:
        """Rules the question is about, for the place the question or the facts point to.

        A rule is topically relevant when every trigger group has a term in the question's
        search form. A regional rule is kept when the question names a compatible place,
        the facts' place (or, for a rule that itself restricts by 户籍, the 户籍) is
        compatible, or no place is known at all — evaluation then asks for the province.
        """
        text = search_text(question or "")
        clean = self.registry.normalize(facts)
        mentioned = places_in(text)
        scored = []
        for index, rule in enumerate(self.rules.values()):
            score = _trigger_score(self._triggers[rule.id], text)
            if score and self._place_ok(rule, mentioned, clean):
                scored.append((-score, index, rule))
        return [rule for *_, rule in sorted(scored, key=lambda item: item[:2])]

    def _place_ok(self, rule: Rule, mentioned: list[Region], facts: Mapping[str, Any]) -> bool:
        if rule.region == NATIONAL:
            return True
        keys = ["county", "city", "province"]
        if "hukou_province" in rule.reads:
            keys.append("hukou_province")
        known = list(mentioned)
        for key in keys:
            if facts.get(key):
                known.append(regions().resolve(facts[key]))
        return not known or _region_compatible(rule.region, known)


def _trigger_score(groups: list[list[str]], text: str) -> int:
    """How many trigger terms occur, or 0 unless every group has one."""
    score = 0
    for group in groups:
        hits = sum(1 for term in group if term in text)
        if not hits:
            return 0
        score += hits
    return score


def _region_compatible(rule_region: str, places: list[Region]) -> bool:
    """Someone in a place inside the rule's region, or a place the rule's region lies in
    (a province when the rule is for one of its cities), may be concerned by the rule."""
    table = regions()
    rule_place = table.resolve(rule_region)
    rule_lineage = {r.name for r in table.lineage(rule_place)}
    return any(rule_place.name in table.applicable_names(p.name) or p.name in rule_lineage
               for p in places)


@lru_cache(maxsize=1)
def _place_pattern() -> tuple[re.Pattern[str], dict[str, Region]]:
    """Province and prefecture names, full and short, longest first."""
    table = regions()
    names: dict[str, Region] = {}
    for region in table.by_code.values():
        if region.level not in ("province", "prefecture"):
            continue
        names.setdefault(region.name, region)
        short = re.sub(r"(维吾尔|壮族|回族)?(自治区|特别行政区|省|市|地区|自治州|盟)$", "",
                       region.name)
        if len(short) >= 2 and short not in _NOT_PLACES:
            names.setdefault(short, region)
    keys = sorted(names, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, keys))), names


def places_in(text: str) -> list[Region]:
    """The provinces and prefectures a question names (in its search form)."""
    pattern, names = _place_pattern()
    found: list[Region] = []
    for match in pattern.finditer(text):
        region = names[match.group(0)]
        if region not in found:
            found.append(region)
    return found


# -- loading helpers -----------------------------------------------------------------


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise RuleFileError(f"找不到规则文件 {path.name}。", detail={"file": path.name}) from error
    except yaml.YAMLError as error:
        raise RuleFileError(f"规则文件 {path.name} 不是合法的 YAML：{error}",
                            detail={"file": path.name}) from error


def _load_facts(path: Path) -> dict[str, FactSpec]:
    try:
        specs = FactFile.model_validate(_read_yaml(path)).facts
    except ValidationError as error:
        raise RuleFileError(f"事实登记表 {path.name} 格式有误：{explain(error)}",
                            detail={"file": path.name}) from error
    return {name: _with_vocabulary(spec) for name, spec in specs.items()}


_LITERAL = re.compile(r"[^\\.^$*+?{}\[\]|()]+")


def _with_vocabulary(spec: FactSpec) -> FactSpec:
    """A fact over the shared vocabulary, with its values and aliases filled in from it."""
    if spec.vocabulary == "groups":
        vocabulary = groups()
        values = {name: vocabulary.label(name) for name in vocabulary.names}
        aliases = {c.pattern.pattern: c.group for c in vocabulary.cues
                   if c.group and _LITERAL.fullmatch(c.pattern.pattern)}
        choices = "、".join(vocabulary.short(n) for n in vocabulary.names)
    elif spec.vocabulary == "levels":
        ladder = levels()
        values = {name: name for name in ladder.names.values()}
        aliases = {word: ladder.name(code) for word, code in ladder.spellings.items()}
        choices = "、".join(values)
    else:
        return spec
    return spec.model_copy(update={"values": values, "aliases": aliases,
                                   "ask": spec.ask.replace("{choices}", choices)})


def _load_rules(path: Path) -> list[Rule]:
    data = _read_yaml(path)
    try:
        parsed = RuleFile.model_validate(data)
    except ValidationError as error:
        raise RuleFileError(f"规则文件 {path.name} 格式有误：{explain(error)}",
                            detail={"file": path.name}) from error
    return [parse_rule(raw, path.name, i) for i, raw in enumerate(parsed.rules)]


def _check_rule(rule: Rule, registry: FactRegistry) -> Rule:
    """Facts exist, values fit their facts (canonicalised), ids are unique, ``reads`` is
    exactly the facts the conditions read, and the region and subjects are known."""
    regions().resolve(rule.region)
    for subject in rule.subject:
        registry.value("subject", subject)
    leaves = list(_leaves(rule.conditions))
    ids = [leaf.id for leaf in leaves] + [n.id for n in _composites(rule.conditions) if n.id]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"条件编号重复：{'、'.join(duplicates)}")
    used = list(dict.fromkeys(leaf.fact for leaf in leaves))
    if set(used) != set(rule.reads):
        raise ValueError(f"reads 应与条件读取的事实一致：条件读取 {used}，reads 为 {rule.reads}")
    for name in rule.reads:
        registry.spec(name)
    conditions = _canonical(rule.conditions, registry)
    return rule.model_copy(update={"conditions": conditions})


def _canonical(node: Condition, registry: FactRegistry) -> Condition:
    if isinstance(node, Leaf):
        return node.model_copy(update={"value": _leaf_value(node, registry)})
    if isinstance(node, NotNode):
        return node.model_copy(update={"not_": _canonical(node.not_, registry)})
    if isinstance(node, AllNode):
        return node.model_copy(update={"all": [_canonical(c, registry) for c in node.all]})
    return node.model_copy(update={"any": [_canonical(c, registry) for c in node.any]})


def _leaf_value(leaf: Leaf, registry: FactRegistry) -> Any:
    """The leaf's value checked against its fact, so a typo fails at load, not at runtime."""
    spec = registry.spec(leaf.fact)
    is_list = spec.type == "list[str]"
    if leaf.op in ("contains", "contains_any") and not is_list:
        raise ValueError(f"条件 {leaf.id}：{leaf.op} 只能用于列表事实")
    if leaf.op in ("is_true", "is_false") and spec.type != "bool":
        raise ValueError(f"条件 {leaf.id}：{leaf.op} 只能用于是否类事实")
    if leaf.op in ("gte", "gt", "lte", "lt", "between") and spec.type not in ("int", "float",
                                                                            "date"):
        raise ValueError(f"条件 {leaf.id}：{leaf.op} 只能用于数字或日期事实")
    if is_list and leaf.op not in ("contains", "contains_any", "exists"):
        raise ValueError(f"条件 {leaf.id}：列表事实只能用 contains、contains_any 或 exists")
    if leaf.value is None:
        return None
    if is_list:
        scalar = registry.specs[leaf.fact].model_copy(update={"type": "enum"}) \
            if spec.values else spec.model_copy(update={"type": "str"})
        one = lambda v: _CHECKERS[scalar.type](leaf.fact, scalar, v)  # noqa: E731
    else:
        one = lambda v: registry.value(leaf.fact, v)  # noqa: E731
    if isinstance(leaf.value, list):
        return [one(v) for v in leaf.value]
    return one(leaf.value)


def _leaves(node: Condition) -> Iterable[Leaf]:
    if isinstance(node, Leaf):
        yield node
    elif isinstance(node, NotNode):
        yield from _leaves(node.not_)
    else:
        for child in (node.all if isinstance(node, AllNode) else node.any):
            yield from _leaves(child)


def _composites(node: Condition) -> Iterable[AllNode | AnyNode | NotNode]:
    if isinstance(node, Leaf):
        return
    yield node
    children = [node.not_] if isinstance(node, NotNode) else \
        node.all if isinstance(node, AllNode) else node.any
    for child in children:
        yield from _composites(child)


def _unique(cites: list[dict[str, Any] | None]) -> list[dict[str, Any]]:
    seen: set[tuple[str, str]] = set()
    out = []
    for cite in cites:
        if cite is None:
            continue
        key = (cite["doc"], cite["quote"])
        if key not in seen:
            seen.add(key)
            out.append(cite)
    return out


@lru_cache(maxsize=1)
def default_book() -> RuleBook:
    """The shipped rules, loaded once per process."""
    return RuleBook.load()


__all__ = ["ConditionTrace", "FactRegistry", "RuleBook", "RuleResult", "default_book",
           "places_in"]
