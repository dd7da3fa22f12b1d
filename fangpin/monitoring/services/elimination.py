"""Risk-elimination criteria (spec §3.9): each one with pass/fail and why, shown on the case page and enforced by
the elimination steps. All must hold; a whole household without labour is never eliminated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from fangpin.assistance.choices import RISK_MEASURES, MeasureCategory
from fangpin.monitoring.choices import EliminationMethod, RiskType
from fangpin.monitoring.models import MonitoringCase
from fangpin.registry.choices import LABOUR_CAPABLE, UNSAFE_HOUSING_GRADES


@dataclass(frozen=True)
class Criterion:
    code: str
    title: str
    passed: bool
    reason: str


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (clamped to the month's last day)."""
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def started_measures(case: MonitoringCase, day: dt.date) -> list:
    """The case's measures already under way on `day`: a measure planned to start later has not helped yet.
    Reads `case.measures.all()`, so a prefetch serves it."""
    return [m for m in case.measures.all() if m.start_on <= day]


def has_no_labour(household) -> bool:
    """整户无劳动能力: the household has members and none of them can work (not even weak labour)."""
    skills = list(household.members.values_list("labour_skill", flat=True))
    return bool(skills) and not any(skill in LABOUR_CAPABLE for skill in skills)


def has_labour(household) -> bool:
    """Some member can work (weak labour included). Uses the `has_labour` annotation when a list query set it."""
    annotated = getattr(household, "has_labour", None)
    if annotated is not None:
        return annotated
    return household.members.filter(labour_skill__in=LABOUR_CAPABLE).exists()


def elimination_criteria(case: MonitoringCase, day: dt.date) -> list[Criterion]:
    """Every criterion of spec §3.9 for `case` on `day`."""
    from fangpin.monitoring.services.workflow import MissingParameter, workflow_parameter

    household = case.household
    region = household.region
    out: list[Criterion] = []

    def param(key):
        try:
            return workflow_parameter(key, region, day)
        except MissingParameter as exc:
            out.append(Criterion(key, "参数", False, str(exc)))
            return None

    min_months = param("elimination_min_months")
    if min_months is not None:
        if case.recorded_on is None:
            out.append(Criterion("months", f"监测帮扶满 {min_months} 个月", False, "尚未录入监测"))
        else:
            since = add_months(case.recorded_on, min_months)
            out.append(
                Criterion(
                    "months",
                    f"监测帮扶满 {min_months} 个月",
                    day >= since,
                    f"{case.recorded_on} 录入监测，{since} 起满 {min_months} 个月",
                )
            )

    measures = started_measures(case, day)
    planned = len(case.measures.all()) - len(measures)
    out.append(
        Criterion(
            "measures",
            "至少落实 1 项帮扶措施",
            bool(measures),
            (
                f"已实施帮扶措施 {len(measures)} 项"
                if measures
                else "尚未实施帮扶措施"
                if planned
                else "尚未登记帮扶措施"
            )
            + (f"（另有 {planned} 项尚未开始，不计入）" if planned else ""),
        )
    )
    categories = {m.category for m in measures}
    labels = dict(RiskType.choices)
    unanswered = [
        f"风险“{labels.get(risk, risk)}”须有{'、'.join(MeasureCategory(c).label for c in sorted(wanted))}措施"
        for risk in case.risks or []
        if (wanted := RISK_MEASURES.get(risk)) and not categories & wanted
    ]
    out.append(
        Criterion(
            "risk_measures",
            "已识别的风险均有对应帮扶措施",
            not unanswered,
            "；".join(unanswered) if unanswered else "各项风险均已落实对应措施",
        )
    )
    if case.elimination_method == EliminationMethod.ASSISTED and has_labour(household):
        developmental = [m for m in measures if m.developmental]
        out.append(
            Criterion(
                "developmental",
                "有劳动力户帮扶消除须已实施开发式帮扶",
                bool(developmental),
                f"已实施开发式帮扶措施 {len(developmental)} 项"
                if developmental
                else "未实施产业、就业、金融或公益岗位帮扶",
            )
        )

    no_labour = has_no_labour(household)
    out.append(
        Criterion(
            "labour",
            "非整户无劳动能力户",
            not no_labour,
            "整户无劳动能力，落实兜底保障后持续跟踪，不标注风险消除" if no_labour else "家庭有劳动能力成员",
        )
    )

    missing = [
        str(MonitoringCase._meta.get_field(name).verbose_name)
        for name in MonitoringCase.AFTER_FIELDS
        if getattr(case, name) is None
    ]
    out.append(
        Criterion(
            "after_fields",
            "风险消除后指标已填写",
            not missing,
            "未填写：" + "、".join(missing) if missing else "已填写全部风险消除后指标",
        )
    )

    line = param("monitoring_line")
    if line is not None:
        latest = household.incomes.order_by("-year").first()
        values = []
        if latest is not None:
            values.append((f"{latest.year} 年登记收入", latest.per_capita_net_income))
        if case.after_per_capita_income is not None:
            values.append(("风险消除后", case.after_per_capita_income))
        low = [f"{label}人均纯收入 {value} 元" for label, value in values if Decimal(value) < Decimal(line)]
        out.append(
            Criterion(
                "income",
                "人均纯收入稳定高于当年监测范围",
                bool(values) and not low,
                (
                    "没有收入记录"
                    if not values
                    else ("、".join(low) + f"，低于监测范围 {line} 元")
                    if low
                    else "、".join(f"{label} {value} 元" for label, value in values)
                    + f"，高于监测范围 {line} 元"
                ),
            )
        )

    ratio = param("rigid_expense_ratio")
    if ratio is not None:
        spent, income = case.after_out_of_pocket, case.after_net_income
        if spent is None or income is None:
            out.append(
                Criterion("rigid", "刚性支出已稳定解决", False, "未填写风险消除后合规自付支出或家庭纯收入")
            )
        else:
            limit = Decimal(income) * Decimal(ratio)
            ok = Decimal(income) > 0 and Decimal(spent) <= limit
            out.append(
                Criterion(
                    "rigid",
                    "刚性支出已稳定解决",
                    ok,
                    f"合规自付支出 {spent} 元，家庭纯收入 {income} 元的 {ratio} 为 {limit:.2f} 元",
                )
            )

    gaps = []
    if case.after_dropout:
        gaps.append("有义务教育阶段适龄儿童少年失学辍学")
    if case.after_housing_damaged or household.housing_grade in UNSAFE_HOUSING_GRADES:
        gaps.append(f"住房不安全（{household.get_housing_grade_display() or '住房损毁'}）")
    if case.after_uninsured:
        gaps.append("有家庭成员未参加基本医疗保险")
    water = [
        household.water_quantity_ok,
        household.water_quality_ok,
        household.water_convenience_ok,
        household.water_reliability_ok,
    ]
    if case.after_water_damaged or any(v is False for v in water):
        gaps.append("饮水安全未达标")
    out.append(
        Criterion(
            "guarantees",
            "“三保障”和饮水安全已巩固",
            not gaps,
            "；".join(gaps) if gaps else "义务教育、基本医疗、住房安全和饮水安全均有保障",
        )
    )
    return out


def is_eligible(case: MonitoringCase, day: dt.date) -> bool:
    return all(c.passed for c in elimination_criteria(case, day))
