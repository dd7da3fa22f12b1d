"""Assistance-measure services: add, change and remove a case's measures, scoped and logged."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404

from fangpin.assistance.models import AssistanceMeasure
from fangpin.core import changelog
from fangpin.core.workflow import TransitionRefused
from fangpin.monitoring.models import MonitoringCase

# Measures are planned from county approval on (spec §3.7 RECORDED: "measures planned") and kept until
# elimination; a closed case's measures are history.
MEASURE_STATUSES = (MonitoringCase.Status.APPROVED, MonitoringCase.Status.ANNOUNCED, *MonitoringCase.ENROLLED)


def _editable_case(case: MonitoringCase, user, permission: str, label: str) -> None:
    if not MonitoringCase.objects.visible_to(user).filter(pk=case.pk).exists():
        raise Http404("未找到该监测对象")
    if not user.has_perm(permission):
        raise PermissionDenied(f"您没有权限{label}")
    if case.status not in MEASURE_STATUSES:
        raise TransitionRefused(f"监测对象处于“{case.get_status_display()}”，不能{label}")


def add_measure(case: MonitoringCase, *, user, **fields: Any) -> AssistanceMeasure:
    _editable_case(case, user, "assistance.add_assistancemeasure", "登记帮扶措施")
    measure = AssistanceMeasure(case=case, created_by=user, **fields)
    measure.full_clean(exclude=["case", "created_by"])
    with transaction.atomic(), changelog.acting(user):
        measure.save()
    return measure


def change_measure(measure: AssistanceMeasure, *, user, **fields: Any) -> AssistanceMeasure:
    _editable_case(measure.case, user, "assistance.change_assistancemeasure", "修改帮扶措施")
    for key, value in fields.items():
        setattr(measure, key, value)
    measure.full_clean(exclude=["case", "created_by"])
    with transaction.atomic(), changelog.acting(user):
        measure.save()
    return measure


def delete_measure(measure: AssistanceMeasure, *, user) -> None:
    _editable_case(measure.case, user, "assistance.delete_assistancemeasure", "删除帮扶措施")
    with transaction.atomic(), changelog.acting(user):
        measure.delete()
