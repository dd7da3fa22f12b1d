"""Computing an assessment: each unit's values, score, grade and must-talk flag, stored once per unit and year;
the results as a user may see them."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from fangpin.core import changelog
from fangpin.geo.models import Region
from fangpin.supervision.choices import Grade, UnitKind
from fangpin.supervision.models import AssessmentResult, Talk
from fangpin.supervision.services.assessment.metrics import (
    CENT,
    HUNDRED,
    S,
    Unit,
    as_unit,
    grade_for,
    handed_to,
    metrics_for,
)
from fangpin.supervision.services.assessment.organising import assessed_units, can_organise, indicators_for
from fangpin.supervision.services.governance import today


def escalated_count(unit: Unit | Region) -> int:
    """Clues handed to the unit that are escalated now: the "存在突出问题" of seed §16."""
    return handed_to(unit).filter(status=S.ESCALATED).count()


def evaluate(unit: Unit | Region, year: int, indicators, day: dt.date | None = None) -> dict:
    """One unit's indicator values, score, grade and must-talk flag (nothing stored)."""
    unit = as_unit(unit)
    values, score = {}, Decimal(0)
    for indicator in indicators:
        measured = metrics_for(unit.kind)[indicator.metric].compute(unit, year, day)
        values[indicator.metric] = {
            "title": indicator.title,
            "weight": str(indicator.weight),
            "value": str(measured.value),
            "basis": measured.basis,
        }
        score += indicator.weight * measured.value / HUNDRED
    score = score.quantize(CENT, ROUND_HALF_UP)
    grade = grade_for(score)
    escalated = escalated_count(unit)
    return {
        "values": {"indicators": values, "escalated_clues": escalated},
        "score": score,
        "grade": grade,
        "must_talk": grade == Grade.POOR or escalated > 0,
    }


def configured_kinds(region: Region, year: int) -> list[str]:
    """The kinds of unit whose indicators for the year are set (weights summing to 100)."""
    return [
        kind
        for kind in UnitKind.values
        if sum((i.weight for i in indicators_for(region, year, kind)), Decimal(0)) == HUNDRED
    ]


def assess(region: Region, year: int, *, user, day: dt.date | None = None) -> list[AssessmentResult]:
    """Compute and store the year's results of every unit `region` assesses whose kind has its indicators set
    (again: the rows are overwritten)."""
    if not can_organise(user, region):
        raise PermissionDenied("年度考核由本级（市、县）管理员组织")
    kinds = configured_kinds(region, year)
    if not kinds:
        raise ValidationError(f"{year} 年度考核指标未设置或权重之和不为 100，请先设置考核指标")
    indicators = {kind: indicators_for(region, year, kind) for kind in kinds}
    day = day or today()
    results = []
    with transaction.atomic(), changelog.acting(user):
        for unit in assessed_units(region, year):
            if unit.kind not in indicators:
                continue
            computed = evaluate(unit, year, indicators[unit.kind], day)
            row, _ = AssessmentResult.objects.update_or_create(
                unit=unit.region, department=unit.department, year=year, defaults=computed
            )
            results.append(row)
        # A unit no longer assessed (a department whose accounts were closed) leaves no stale result behind.
        stale = results_for(region, year, user=user).exclude(pk__in=[r.pk for r in results])
        if UnitKind.DEPARTMENT not in indicators:
            stale = stale.filter(department="")
        if UnitKind.REGION not in indicators:
            stale = stale.exclude(department="")
        for row in stale:
            row.delete()
    return results


def must_talk_reasons(result: AssessmentResult) -> list[str]:
    """Why a unit's leaders must be talked to (seed §16: "较差和存在突出问题")."""
    reasons = []
    if result.grade == Grade.POOR:
        reasons.append(f"{result.year} 年度综合评价为“较差”（{result.score} 分）")
    escalated = (result.values or {}).get("escalated_clues") or 0
    if escalated:
        reasons.append(f"存在突出问题：{escalated} 条问题线索被督办")
    return reasons


def results_for(region: Region, year: int, *, user):
    """The stored results of the units `region` assesses, as far as `user` may see them, best first."""
    return (
        AssessmentResult.objects.visible_to(user)
        .filter(Q(unit__parent=region, department="") | (Q(unit=region) & ~Q(department="")), year=year)
        .select_related("unit")
        .order_by("-score", "unit__path", "department")
    )


def must_talk_list(results, year: int, *, user) -> list[tuple[AssessmentResult, list[str], Talk | None]]:
    """The results whose unit must be talked to (seed §16), each with why and the talk held with that unit (or
    department) since the year began, if any, as far as `user` may see talks."""
    talks = {}
    for talk in Talk.objects.visible_to(user).filter(held_on__year__gte=year).order_by("held_on"):
        talks[(talk.region_id, talk.department)] = talk
    return [(r, must_talk_reasons(r), talks.get((r.unit_id, r.department))) for r in results if r.must_talk]
