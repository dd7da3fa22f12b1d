"""Opening a case (登记线索): by hand or from warnings, one at a time or a whole village, with the warnings
attached."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from fangpin.core import changelog
from fangpin.core.workflow import ConcurrentChange, TransitionRefused
from fangpin.monitoring.choices import Channel
from fangpin.monitoring.models import MonitoringCase, Warning
from fangpin.monitoring.services.cases.common import _require, _status_change
from fangpin.registry.models import Household

S = MonitoringCase.Status


def open_case(
    household: Household,
    *,
    user,
    channel: str,
    clue_note: str = "",
    warnings: Iterable[Warning] = (),
) -> MonitoringCase:
    """Register a clue (线索) for `household`. A household has one open case at a time; after an eliminated or
    rejected case a new one starts and points back to it (history kept)."""
    _require(user, "monitoring.add_monitoringcase", "登记监测线索")
    if not Household.objects.visible_to(user).filter(pk=household.pk).exists():
        raise Http404("未找到该户")
    if household.status != Household.Status.ACTIVE:
        raise TransitionRefused("该户已注销，不能登记监测线索")
    if channel not in Channel.values:
        raise ValidationError({"channel": "请选择监测方式"})
    current = household.cases.exclude(status__in=MonitoringCase.CLOSED).first()
    if current is not None:
        raise TransitionRefused(
            f"该户已有监测对象记录 #{current.pk}（{current.get_status_display()}），不能重复登记"
        )
    warnings = list(warnings)
    own = Warning.objects.visible_to(user).filter(household=household, pk__in=[w.pk for w in warnings])
    if own.count() != len({w.pk for w in warnings}):
        raise ValidationError({"warnings": "所选预警不属于该户或不在您的管辖范围内"})
    previous = household.cases.filter(status__in=MonitoringCase.CLOSED).order_by("-created_at").first()
    try:
        with transaction.atomic(), changelog.acting(user):
            case = MonitoringCase.objects.create(
                household=household,
                channel=channel,
                clue_note=clue_note,
                previous_case=previous,
                stage_entered_at=timezone.now(),
                created_by=user,
            )
            _link_warnings(case, warnings)
            _status_change(case, "open", "", S.CLUE, user, clue_note)
    except IntegrityError as exc:  # another official registered the same household a moment ago
        raise ConcurrentChange("该户刚刚已被他人登记为监测线索，请刷新页面") from exc
    return case


def _link_warnings(case: MonitoringCase, warnings: list[Warning]) -> None:
    if not warnings:
        return
    case.warnings.add(*warnings)
    # Logged against the warnings (not the auto-created link table, whose content type may not exist yet).
    changelog.log_bulk(
        Warning,
        "bulk_update",
        len(warnings),
        description=f"监测对象 #{case.pk} 关联预警 {len(warnings)} 条",
        ids=[w.pk for w in warnings],
    )


@dataclass
class BulkClues:
    created: list[MonitoringCase] = field(default_factory=list)
    attached: int = 0  # warnings added to a household's existing open case
    skipped: list[str] = field(default_factory=list)


def clues_from_warnings(warnings: Iterable[Warning], *, user) -> BulkClues:
    """Turn open monitoring warnings into clues, one per household (a village's in one click). Warnings of a
    household that already has an open case are attached to it instead."""
    _require(user, "monitoring.add_monitoringcase", "登记监测线索")
    by_household: dict[int, list[Warning]] = defaultdict(list)
    ids = [w.pk for w in warnings]
    visible = (
        Warning.objects.visible_to(user)
        .filter(pk__in=ids)
        .select_related("household")
        .order_by("household_id", "rule_code")
    )
    result = BulkClues()
    seen = set()
    for warning in visible:
        seen.add(warning.pk)
        if warning.status != Warning.Status.OPEN or warning.produces != Warning.Produces.WARNING:
            result.skipped.append(f"预警 #{warning.pk}（{warning.rule_title}）不是待核实的监测预警")
            continue
        by_household[warning.household_id].append(warning)
    if len(seen) != len(set(ids)):
        raise Http404("未找到部分预警")
    for household_warnings in by_household.values():
        household = household_warnings[0].household
        current = household.cases.exclude(status__in=MonitoringCase.CLOSED).first()
        if current is not None:
            with transaction.atomic(), changelog.acting(user):
                _link_warnings(current, household_warnings)
            result.attached += len(household_warnings)
            continue
        note = "部门筛查预警：" + "；".join(f"{w.rule_code} {w.rule_title}" for w in household_warnings)
        try:
            result.created.append(
                open_case(
                    household,
                    user=user,
                    channel=Channel.DEPARTMENT,
                    clue_note=note,
                    warnings=household_warnings,
                )
            )
        except TransitionRefused as exc:
            result.skipped.append(f"户 {household.number}：{exc.messages[0]}")
    return result
