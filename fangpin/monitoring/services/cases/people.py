"""The people around a case: its cadre (帮扶责任人), reassigned one case or many at a time, and the visits."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from fangpin.core import changelog
from fangpin.core.workflow import ConcurrentChange, TransitionRefused
from fangpin.monitoring.models import MonitoringCase, Visit
from fangpin.monitoring.services.cases.common import _require, _visible_case
from fangpin.monitoring.services.workflow import today

S = MonitoringCase.Status


def assign_cadre(
    case: MonitoringCase, *, user, cadre, unit: str = "", contact: str = "", contact_phone: str = ""
) -> MonitoringCase:
    """Name the assistance cadre (帮扶责任人) and the monitoring contact. The cadre must be an official who can
    see the household."""
    _visible_case(case, user)
    _require(user, "monitoring.assign_cadre", "指定帮扶责任人")
    if not case.is_open:
        raise TransitionRefused("已办结的监测对象不能更换帮扶责任人")
    if cadre is not None and not MonitoringCase.objects.visible_to(cadre).filter(pk=case.pk).exists():
        # No name in the message: it must not tell whether a user elsewhere exists.
        raise ValidationError({"cadre": "所选人员不存在或其管辖范围不含该户，不能担任帮扶责任人"})
    with transaction.atomic(), changelog.acting(user):
        current = MonitoringCase.objects.select_for_update().get(pk=case.pk)
        if current.status != case.status:
            raise ConcurrentChange("该记录已被他人修改，请刷新页面后重试")
        if cadre is not None and cadre.pk != current.cadre_id:
            current.cadre, current.cadre_since = cadre, today()
        current.cadre_unit = unit or current.cadre_unit
        current.monitoring_contact = contact or current.monitoring_contact
        current.monitoring_contact_phone = contact_phone or current.monitoring_contact_phone
        current.full_clean(exclude=["household", "previous_case", "created_by"], validate_constraints=False)
        current.save(
            update_fields=[
                "cadre", "cadre_since", "cadre_unit", "monitoring_contact", "monitoring_contact_phone", "updated_at",
            ]
        )  # fmt: skip
    for name in (
        "cadre_id",
        "cadre_since",
        "cadre_unit",
        "monitoring_contact",
        "monitoring_contact_phone",
        "updated_at",
    ):
        setattr(case, name, getattr(current, name))
    case._state.fields_cache.pop("cadre", None)
    return case


def reassign_cadre(from_cadre, to_cadre, *, user, cases=None) -> int:
    """Cadres rotate: move every open case of `from_cadre` that `user` can see (or just `cases`) to
    `to_cadre`, who must be able to see each of them. All or nothing."""
    _require(user, "monitoring.assign_cadre", "调整帮扶责任人")
    queryset = (
        MonitoringCase.objects.visible_to(user)
        .filter(cadre=from_cadre)
        .exclude(status__in=MonitoringCase.CLOSED)
    )
    if cases is not None:
        queryset = queryset.filter(pk__in=[c.pk for c in cases])
    chosen = list(queryset.select_related("household"))
    reachable = set(
        MonitoringCase.objects.visible_to(to_cadre)
        .filter(pk__in=[c.pk for c in chosen])
        .values_list("pk", flat=True)
    )
    outside = [c.household.number for c in chosen if c.pk not in reachable]
    if outside:
        raise ValidationError(f"{to_cadre} 的管辖范围不含以下户，未做任何调整：{'、'.join(outside[:10])}")
    with transaction.atomic(), changelog.acting(user):
        for case in chosen:
            case.cadre, case.cadre_since = to_cadre, today()
            case.save(update_fields=["cadre", "cadre_since", "updated_at"])
    return len(chosen)


def add_visit(
    case: MonitoringCase, *, user, visited_on: dt.date, method: str, findings: str, follow_up: str = ""
) -> Visit:
    _visible_case(case, user)
    _require(user, "monitoring.add_visit", "登记走访记录")
    if not case.is_enrolled:
        raise TransitionRefused("只有监测帮扶中的户可以登记走访记录")
    if visited_on > today():
        raise ValidationError({"visited_on": "走访日期不能晚于今天"})
    if case.recorded_on and visited_on < case.created_at.date():
        raise ValidationError({"visited_on": "走访日期不能早于线索登记日期"})
    visit = Visit(
        case=case, visitor=user, visited_on=visited_on, method=method, findings=findings, follow_up=follow_up
    )
    visit.full_clean(exclude=["case", "visitor"])
    with transaction.atomic(), changelog.acting(user):
        visit.save()
    return visit
