"""What every case step shares: the permission and scope checks, the one conditional UPDATE of a step, and
the timeline row of a step taken outside the transition table."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from fangpin.core.models import StatusChange
from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.services.workflow import CASE_WORKFLOW

S = MonitoringCase.Status


def _require(user, permission: str, label: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied(f"您没有权限{label}")


def _visible_case(case: MonitoringCase, user) -> MonitoringCase:
    if not MonitoringCase.objects.visible_to(user).filter(pk=case.pk).exists():
        raise Http404("未找到该监测对象")
    return case


def take_step(case: MonitoringCase, name: str, *, user, comment: str = "", **fields: Any) -> MonitoringCase:
    """Record `fields` and take workflow step `name` in one conditional UPDATE; on refusal nothing changes, in
    the database or on `case`."""
    _visible_case(case, user)
    fields["stage_entered_at"] = timezone.now()
    return CASE_WORKFLOW.apply(
        case,
        name,
        user=user,
        comment=comment,
        changes=fields,
        clean=lambda obj: obj.full_clean(
            exclude=["household", "cadre", "previous_case", "created_by"], validate_constraints=False
        ),
    )


def _status_change(case, transition, before, after, user, comment="") -> None:
    StatusChange.objects.create(
        content_type=ContentType.objects.get_for_model(MonitoringCase),
        object_id=case.pk,
        field="status",
        transition=transition,
        from_status=before,
        to_status=after,
        user=user,
        comment=comment,
    )
