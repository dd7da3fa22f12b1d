"""Rule files: YAML, one per rule set, plus `common.yaml` whose parameters, facts and features every set may
use. See docs/rules.md for the format. Loading checks the structure; `compiler.check` checks the expressions.

Every problem found is collected as a `RuleError` naming where it is (rule code, fact or feature name), the
offending token and the reason in Chinese, so `fangpin rules check FILE` can print all of them at once.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

RULES_DIR = Path(__file__).with_name("rules")
COMMON = "common"
SUBJECTS = {"household": "户", "person": "人"}
PRODUCES = {"warning": "监测预警", "quality": "数据质量问题", "clue": "问题线索"}
SEVERITIES = {"high": "高", "medium": "中", "low": "低"}
PARAMETER_TYPES = ("decimal", "integer", "date", "string")
BUILTIN_PARAMETERS = {"as_of": "date", "as_of_year": "integer"}


@dataclass(frozen=True)
class RuleError:
    where: str
    token: str
    message: str

    def __str__(self) -> str:
        token = f"“{self.token}”" if self.token else ""
        return f"{self.where}：{token}{self.message}"


class RuleSetInvalid(Exception):
    """A rule file that does not load or compile; `errors` lists every problem."""

    def __init__(self, errors: list[RuleError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class Parameter:
    key: str
    title: str
    type: str
    unit: str = ""


@dataclass(frozen=True)
class Fact:
    """A per-person value from one department dataset, joined by normalised ID number."""

    name: str
    title: str
    dataset: str
    value: str  # "exists", or one aggregate: count(*), sum(col), max(col), min(col)
    where: str = ""
    owner: str = COMMON  # the rule set that declares it


@dataclass(frozen=True)
class Feature:
    """A per-household value: one aggregate over the household's members."""

    name: str
    title: str
    value: str  # count(*), count_if(cond), sum(expr), max(expr), min(expr)
    owner: str = COMMON


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    subject: str
    produces: str
    severity: str
    basis: str
    condition: str
    evidence: tuple[str, ...]
    explanation: str
    datasets: tuple[str, ...] = ()
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    rule_set: str = ""
    version: str = ""

    def in_effect(self, day: dt.date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )


@dataclass
class RuleSet:
    name: str
    title: str
    version: str
    parameters: dict[str, Parameter] = field(default_factory=dict)
    facts: dict[str, Fact] = field(default_factory=dict)
    features: dict[str, Feature] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    text: str = ""
    common_text: str = ""

    @property
    def sha256(self) -> str:
        """Fingerprint of exactly what ran: the set's file and the common file it used."""
        return hashlib.sha256((self.text + "\n---\n" + self.common_text).encode("utf-8")).hexdigest()

    def rule(self, code: str) -> Rule:
        return next(r for r in self.rules if r.code == code)


def _date(value, where: str, key: str, errors: list[RuleError]) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors.append(RuleError(where, str(value), f"{key} 不是日期（应为 YYYY-MM-DD）"))
        return None


def _text(d: dict, key: str, where: str, errors: list[RuleError], required=True) -> str:
    value = d.get(key)
    if value is None or str(value).strip() == "":
        if required:
            errors.append(RuleError(where, key, "缺少必填项"))
        return ""
    return str(value).strip()


def _mapping(doc: dict, key: str, where: str, errors: list[RuleError]) -> dict:
    value = doc.get(key) or {}
    if not isinstance(value, dict):
        errors.append(RuleError(where, key, "应为“名称: 定义”的映射"))
        return {}
    return value


def _parse(text: str, source: str, errors: list[RuleError], owner: str | None = None) -> dict | None:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"第 {mark.line + 1} 行" if mark else ""
        errors.append(RuleError(source, at, f"不是有效的 YAML：{getattr(exc, 'problem', exc)}"))
        return None
    if not isinstance(doc, dict):
        errors.append(RuleError(source, "", "规则文件应为 YAML 映射（set、version、rules …）"))
        return None
    return doc


def _declarations(doc: dict, owner: str, errors: list[RuleError]):
    parameters, facts, features = {}, {}, {}
    for key, d in _mapping(doc, "parameters", "参数", errors).items():
        where = f"参数 {key}"
        d = d if isinstance(d, dict) else {}
        ptype = d.get("type", "decimal")
        if ptype not in PARAMETER_TYPES:
            errors.append(RuleError(where, str(ptype), f"类型应为 {'/'.join(PARAMETER_TYPES)}"))
        if key in BUILTIN_PARAMETERS:
            errors.append(RuleError(where, key, "与内置参数同名"))
        parameters[key] = Parameter(
            key, _text(d, "title", where, errors), ptype, str(d.get("unit", "") or "")
        )
    for name, d in _mapping(doc, "facts", "部门数据事实", errors).items():
        where = f"事实 {name}"
        d = d if isinstance(d, dict) else {}
        facts[name] = Fact(
            name,
            _text(d, "title", where, errors),
            _text(d, "from", where, errors),
            _text(d, "value", where, errors),
            _text(d, "where", where, errors, required=False),
            owner,
        )
    for name, d in _mapping(doc, "features", "户特征", errors).items():
        where = f"特征 {name}"
        d = d if isinstance(d, dict) else {}
        features[name] = Feature(
            name, _text(d, "title", where, errors), _text(d, "value", where, errors), owner
        )
    return parameters, facts, features


def load_text(text: str, *, source: str = "规则文件", common_text: str | None = None) -> RuleSet:
    """Load one rule set from YAML text (with the common declarations); raises RuleSetInvalid listing every
    structural problem. Expressions are checked by `compiler.check`."""
    errors: list[RuleError] = []
    if common_text is None:
        common_text = (RULES_DIR / f"{COMMON}.yaml").read_text(encoding="utf-8")
    common = _parse(common_text, "common.yaml", errors) or {}
    doc = _parse(text, source, errors)
    if doc is None:
        raise RuleSetInvalid(errors)
    name = _text(doc, "set", source, errors)
    rule_set = RuleSet(
        name=name,
        title=_text(doc, "title", source, errors),
        version=_text(doc, "version", source, errors),
        text=text,
        common_text=common_text,
    )
    c_params, c_facts, c_features = _declarations(common, COMMON, errors)
    params, facts, features = _declarations(doc, name, errors)
    for kind, mine, shared in (
        ("参数", params, c_params),
        ("事实", facts, c_facts),
        ("特征", features, c_features),
    ):
        for key in mine.keys() & shared.keys():
            errors.append(RuleError(f"{kind} {key}", key, "已在 common.yaml 中声明，不能重复声明"))
    names = {}
    for key in [*facts, *c_facts, *features, *c_features]:
        if key in names:
            errors.append(RuleError(f"名称 {key}", key, "事实与特征不能同名"))
        names[key] = True
    rule_set.parameters = c_params | params
    rule_set.facts = c_facts | facts
    rule_set.features = c_features | features

    raw_rules = doc.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        errors.append(RuleError(source, "rules", "应为非空的规则列表"))
        raw_rules = []
    seen: set[str] = set()
    for index, d in enumerate(raw_rules, start=1):
        if not isinstance(d, dict):
            errors.append(RuleError(f"第 {index} 条规则", "", "应为映射"))
            continue
        code = str(d.get("code") or f"第 {index} 条规则")
        where = f"规则 {code}"
        if code in seen:
            errors.append(RuleError(where, code, "规则代码重复"))
        seen.add(code)
        subject = _text(d, "subject", where, errors)
        if subject and subject not in SUBJECTS:
            errors.append(RuleError(where, subject, "subject 应为 household 或 person"))
        produces = _text(d, "produces", where, errors)
        if produces and produces not in PRODUCES:
            errors.append(RuleError(where, produces, f"produces 应为 {'/'.join(PRODUCES)}"))
        severity = _text(d, "severity", where, errors)
        if severity and severity not in SEVERITIES:
            errors.append(RuleError(where, severity, f"severity 应为 {'/'.join(SEVERITIES)}"))
        evidence = d.get("evidence") or []
        datasets = d.get("datasets") or []
        if not isinstance(evidence, list) or not isinstance(datasets, list):
            errors.append(RuleError(where, "evidence/datasets", "应为列表"))
            evidence, datasets = [], []
        effective = d.get("effective") or {}
        if not isinstance(effective, dict):
            errors.append(RuleError(where, "effective", "应为 {from: 日期, to: 日期}"))
            effective = {}
        start = _date(effective.get("from"), where, "effective.from", errors)
        end = _date(effective.get("to"), where, "effective.to", errors)
        if start and end and end < start:
            errors.append(RuleError(where, "effective", "截止日期早于起始日期"))
        rule_set.rules.append(
            Rule(
                code=code,
                title=_text(d, "title", where, errors),
                subject=subject,
                produces=produces,
                severity=severity,
                basis=_text(d, "basis", where, errors),
                condition=_text(d, "condition", where, errors),
                evidence=tuple(str(e) for e in evidence),
                explanation=_text(d, "explanation", where, errors),
                datasets=tuple(str(x) for x in datasets),
                effective_from=start,
                effective_to=end,
                rule_set=name,
                version=rule_set.version,
            )
        )
    if errors:
        raise RuleSetInvalid(errors)
    return rule_set


def load_file(path: Path | str) -> RuleSet:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleSetInvalid([RuleError(str(path), "", f"无法读取：{exc}")]) from exc
    return load_text(text, source=path.name)


def builtin_set_names() -> list[str]:
    return sorted(p.stem for p in RULES_DIR.glob("*.yaml") if p.stem != COMMON)


def load_builtin(name: str) -> RuleSet:
    """A shipped rule set; parsed once per version of its file and of common.yaml (incremental re-screening
    asks for them on every edit)."""
    path = RULES_DIR / f"{name}.yaml"
    common = RULES_DIR / f"{COMMON}.yaml"
    return _load_builtin(path, path.stat().st_mtime_ns, common.stat().st_mtime_ns if common.exists() else 0)


@functools.lru_cache(maxsize=32)
def _load_builtin(path: Path, _mtime: int, _common_mtime: int) -> RuleSet:
    return load_file(path)
