"""The data-quality checks: "not a monitoring object" on a household, every case check, `quality_issues`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from fangpin.assistance.choices import DEVELOPMENTAL, RISK_MEASURES, MeasureCategory
from fangpin.monitoring.case_quality.rules import (
    CHECKED_STATUSES,
    RISK_RULES,
    SEVERITY_RANK,
    WATER_FIELDS,
    Issue,
    S,
)
from fangpin.monitoring.choices import EliminationMethod, RiskType
from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.services.elimination import add_months, has_no_labour
from fangpin.monitoring.services.followup import Parameters, assistance_alerts
from fangpin.registry.choices import LABOUR_CAPABLE, UNSAFE_HOUSING_GRADES, HouseholdType
from fangpin.registry.models import Household


def _label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def _risk(code: str) -> str:
    return RiskType(code).label


def _categories(measures) -> str:
    names = sorted({MeasureCategory(m.category).label for m in measures})
    return "、".join(names) if names else "无"


def _month(text: str, day: dt.date | None) -> dt.date | None:
    """The first day of a YYYYMM month, falling back to `day`'s month."""
    if len(text or "") == 6 and text.isdigit():
        return dt.date(int(text[:4]), int(text[4:]), 1)
    return day.replace(day=1) if day else None


def current_case(household: Household) -> MonitoringCase | None:
    """The household's open case if any, else its latest eliminated one (rejected cases are not monitoring)."""
    cases = sorted(household.cases.all(), key=lambda c: c.pk)
    open_cases = [c for c in cases if c.is_open]
    if open_cases:
        return open_cases[-1]
    eliminated = [c for c in cases if c.status == S.ELIMINATED]
    return eliminated[-1] if eliminated else None


# ---------------------------------------------------------------- household checks: "not a monitoring object"


def household_issues(household: Household, case: MonitoringCase | None) -> list[Issue]:
    """1_02_001 and 1_02_002 for an active household with no case in identification or monitoring."""
    if household.status != Household.Status.ACTIVE or (case is not None and case.is_open):
        return []
    out = []
    kind = HouseholdType(household.household_type).label if household.household_type else "农户"
    eliminated = case is not None and case.status == S.ELIMINATED
    if household.housing_grade in UNSAFE_HOUSING_GRADES and not eliminated:
        out.append(
            Issue(
                "1_02_001",
                f"危房等级为“{household.get_housing_grade_display()}”，该{kind}未纳入监测对象"
                "（没有正在识别或监测帮扶中的记录）",
                household,
            )
        )
    failed = [_label(Household, name) for name in WATER_FIELDS if getattr(household, name) is False]
    if failed:
        out.append(
            Issue(
                "1_02_002",
                f"饮水安全指标{'、'.join(failed)}为“否”，该{kind}未纳入监测对象",
                household,
            )
        )
    return out


# ---------------------------------------------------------------- case checks


@dataclass
class Facts:
    """What the case checks read, loaded once per case."""

    case: MonitoringCase
    household: Household
    members: list
    measures: list
    day: dt.date
    params: Parameters

    @property
    def eliminated(self) -> bool:
        return self.case.status == S.ELIMINATED

    @property
    def assisted(self) -> bool:
        return self.case.elimination_method == EliminationMethod.ASSISTED

    @property
    def labour_count(self) -> int:
        return sum(1 for m in self.members if m.labour_skill in LABOUR_CAPABLE)

    def issue(self, rule: str, explanation: str) -> Issue:
        return Issue(rule, explanation, self.household, self.case)


def check_housing_after_elimination(f: Facts) -> Iterable[Issue]:
    if not f.eliminated:
        return
    grade = f.household.housing_grade
    if grade in UNSAFE_HOUSING_GRADES:
        yield f.issue(
            "1_02_008",
            f"风险已于 {f.case.eliminated_on or f.case.eliminated_month or '（日期未填）'} 消除，"
            f"现登记危房等级为“{f.household.get_housing_grade_display()}”",
        )
    elif f.case.after_housing_damaged:
        yield f.issue("1_02_008", "风险已消除，但“风险消除后是否住房损毁”为“是”")


def check_identification_fields(f: Facts) -> Iterable[Issue]:
    c = f.case
    missing = [
        name
        for name, empty in (
            ("identified_month", not c.identified_month),
            ("risks", not c.risks),
            ("per_capita_income", c.per_capita_income is None),
            ("net_income", c.net_income is None),
            ("dropout", c.dropout is None),
            ("uninsured_member", c.uninsured_member is None),
            ("housing_unsafe", c.housing_unsafe is None),
            ("water_unsafe", c.water_unsafe is None),
        )
        if empty
    ]
    if missing:
        yield f.issue("1_11_002", "未填写：" + "、".join(_label(MonitoringCase, n) for n in missing))


def check_after_fields(f: Facts) -> Iterable[Issue]:
    if not f.eliminated:
        return
    missing = [n for n in MonitoringCase.AFTER_FIELDS if getattr(f.case, n) is None]
    if missing:
        yield f.issue("1_11_004", "未填写：" + "、".join(_label(MonitoringCase, n) for n in missing))


def check_assisted_without_measure(f: Facts) -> Iterable[Issue]:
    """1_11_009: only measures started by the elimination count; developmental ones are required when the
    household has labour, as the elimination criteria require."""
    if not (f.eliminated and f.assisted):
        return
    until = f.case.eliminated_on or f.day
    taken = [m for m in f.measures if m.start_on <= until]
    if not taken:
        yield f.issue("1_11_009", f"风险消除方式为“帮扶消除”，但 {until} 前未登记任何帮扶措施")
    elif f.labour_count and not any(m.category in DEVELOPMENTAL for m in taken):
        yield f.issue(
            "1_11_009",
            f"风险消除方式为“帮扶消除”，家庭有劳动能力成员 {f.labour_count} 人，"
            f"但未实施产业、就业、金融或公益岗位帮扶（已登记：{_categories(taken)}）",
        )


def check_timing(f: Facts) -> Iterable[Issue]:
    """1_11_010 and 5_12_007, as the worklist's assistance alerts raise them."""
    codes = {"no_measure": "1_11_010", "no_developmental": "5_12_007"}
    for alert in assistance_alerts(f.case, f.day, f.params):
        if alert.code in codes:
            yield f.issue(codes[alert.code], alert.detail)


def check_disaster_subtype(f: Facts) -> Iterable[Issue]:
    if RiskType.NATURAL_DISASTER in (f.case.risks or []) and not f.case.disaster_subtype:
        yield f.issue("2_11_005", f"致贫返贫风险含“{_risk(RiskType.NATURAL_DISASTER)}”，因自然灾害子项为空")


def check_risk_measures(f: Facts) -> Iterable[Issue]:
    """A risk without its matching measure. An enrolled case gets the same grace as the worklist's alert (the
    measure deadline) and is left to 1_11_010 while it has no measure at all."""
    if not f.eliminated:
        months = f.params.get(f.household.region, "measure_deadline_months")
        recorded = f.case.recorded_on
        if months is None or recorded is None or f.day < add_months(recorded, months) or not f.measures:
            return
    categories = {m.category for m in f.measures}
    for risk in f.case.risks or []:
        rule = RISK_RULES.get(risk)
        if rule is None or (rule[1] and not f.eliminated):
            continue
        wanted = RISK_MEASURES[risk]
        if not categories & wanted:
            names = "、".join(MeasureCategory(c).label for c in sorted(wanted))
            yield f.issue(
                rule[0],
                f"致贫返贫风险含“{_risk(risk)}”，已登记的帮扶措施（{_categories(f.measures)}）中没有{names}",
            )


def check_lack_of_labour(f: Facts) -> Iterable[Issue]:
    """4_11_009 (all members, not eliminated), else 5_11_029 (≥4 persons, ≥½), else the ¼ rule: one issue, the
    strictest that applies."""
    if RiskType.LACK_OF_LABOUR not in (f.case.risks or []) or not f.members:
        return
    total, labour = len(f.members), f.labour_count
    detail = f"致贫返贫风险含“缺劳动力”，家庭成员 {total} 人中有劳动能力（普通、技能或弱劳动力）{labour} 人"
    if labour == total and not f.eliminated:
        yield f.issue("4_11_009", detail)
    elif total >= 4 and labour * 2 >= total:
        yield f.issue("5_11_029", detail + "，达到一半以上")
    elif labour * 4 > total:
        yield f.issue("labour_quarter", detail + "，超过四分之一")


def check_income_at_elimination(f: Facts) -> Iterable[Issue]:
    if not (f.eliminated and f.assisted):
        return
    line = f.params.get(f.household.region, "monitoring_line")
    if line is None:
        return
    if f.case.after_per_capita_income is not None:
        label, value = _label(MonitoringCase, "after_per_capita_income"), f.case.after_per_capita_income
    elif f.household.per_capita_income is not None:
        label = f"{f.household.income_year} 年登记的家庭人均纯收入"
        value = f.household.per_capita_income
    else:
        return
    if Decimal(value) < Decimal(line):
        yield f.issue(
            "4_11_010",
            f"风险消除方式为“帮扶消除”，{label} {value} 元，低于 {f.day.year} 年监测范围 {line} 元",
        )


def check_employment_without_labour(f: Facts) -> Iterable[Issue]:
    if RiskType.EMPLOYMENT_UNSTABLE in (f.case.risks or []) and has_no_labour(f.household):
        yield f.issue(
            "5_15_013",
            f"致贫返贫风险含“{_risk(RiskType.EMPLOYMENT_UNSTABLE)}”，家庭成员 {len(f.members)} 人劳动技能均为"
            "丧失劳动力或无劳动力",
        )


def check_illness(f: Facts) -> Iterable[Issue]:
    if RiskType.ILLNESS not in (f.case.risks or []):
        return
    if not any(m.serious_illness or m.chronic_disease for m in f.members):
        yield f.issue(
            "5_15_015",
            f"致贫返贫风险含“因病”，家庭成员 {len(f.members)} 人的健康状况中没有“患有大病”或“长期慢性病”",
        )
    spent = f.case.out_of_pocket
    if spent is not None and Decimal(spent) == 0:
        yield f.issue("5_15_020", "致贫返贫风险含“因病”，识别时合规自付支出为 0 元")


def check_early_elimination(f: Facts) -> Iterable[Issue]:
    """Guizhou: an assisted elimination in the identification month or the next one."""
    if not (f.eliminated and f.assisted):
        return
    start = _month(f.case.identified_month, f.case.recorded_on)
    end = _month(f.case.eliminated_month, f.case.eliminated_on)
    if start and end and end <= add_months(start, 1):
        yield f.issue(
            "gz_early_elimination",
            f"识别监测时间 {start:%Y%m}，消除监测时间 {end:%Y%m}，风险消除方式为“帮扶消除”：在识别当月或次月即消除",
        )


CASE_CHECKS = (
    check_housing_after_elimination,
    check_identification_fields,
    check_after_fields,
    check_assisted_without_measure,
    check_timing,
    check_disaster_subtype,
    check_risk_measures,
    check_lack_of_labour,
    check_income_at_elimination,
    check_employment_without_labour,
    check_illness,
    check_early_elimination,
)


def case_issues(case: MonitoringCase, day: dt.date, params: Parameters | None = None) -> list[Issue]:
    """Every case check on an enrolled or eliminated case (none for a case in identification or rejected)."""
    if case.status not in CHECKED_STATUSES:
        return []
    household = case.household
    facts = Facts(
        case,
        household,
        list(household.members.all()),
        list(case.measures.all()),
        day,
        params or Parameters(day),
    )
    return [issue for check in CASE_CHECKS for issue in check(facts)]


def sort_key(issue: Issue):
    return (issue.household.region.path, issue.household.number, SEVERITY_RANK[issue.severity], issue.rule)


def quality_issues(case_or_household, day: dt.date, params: Parameters | None = None) -> list[Issue]:
    """The issues of one case, or of one household (its registry checks and its current case's checks)."""
    params = params or Parameters(day)
    if isinstance(case_or_household, MonitoringCase):
        return case_issues(case_or_household, day, params)
    household = case_or_household
    case = current_case(household)
    out = household_issues(household, case)
    if case is not None:
        case.household = household  # the prefetched household, not a fresh query per check
        out += case_issues(case, day, params)
    return sorted(out, key=sort_key)
