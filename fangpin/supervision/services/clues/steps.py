"""The clue lifecycle's steps, each one conditional UPDATE through the declared transition table, and what
follows from deadlines (overdue, escalation)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from fangpin.accounts.models import Department
from fangpin.core import changelog
from fangpin.core.workflow import ConcurrentChange, TransitionRefused, Workflow
from fangpin.geo.models import Region
from fangpin.supervision.models import Clue, ClueBatch, unit_label
from fangpin.supervision.services.clues.access import _require, _visible, clues_visible_to, today
from fangpin.supervision.services.workflow import (
    CLUE_WORKFLOW,
    DEADLINE_STAGES,
    HANDLE_PERMISSION,
    at_city_level,
    at_city_or_above,
    handles,
)

S = Clue.Status


def take_step(clue: Clue, name: str, *, user, comment: str = "", **fields: Any) -> Clue:
    """Record `fields` and take lifecycle step `name` in one conditional UPDATE; on refusal nothing changes."""
    _visible(clue, user)
    step = CLUE_WORKFLOW.by_name.get(name)
    if step is not None and step.permission == HANDLE_PERMISSION and not handles(clue, user):
        raise PermissionDenied(
            f"该问题线索交办给{unit_label(clue.assigned_region, clue.assigned_department)}，由其办理"
        )
    fields["stage_entered_at"] = timezone.now()
    return CLUE_WORKFLOW.apply(
        clue,
        name,
        user=user,
        comment=comment,
        changes=fields,
        expect={"updated_at": clue.updated_at},
        clean=lambda obj: obj.full_clean(
            exclude=["number", "warning", "batch", "household", "person", "created_by"],
            validate_constraints=False,
        ),
    )


def assign(
    clue: Clue,
    *,
    user,
    unit: Region,
    lead_official: str,
    deadline: dt.date,
    batch: ClueBatch | None = None,
    comment: str = "",
    department: str = "",
) -> Clue:
    """交办 one clue to a county or township unit inside the supervisor's region, or to a line department of
    the city or a county (`department`)."""
    _visible(clue, user)
    if unit is None:
        raise ValidationError({"assigned_region": "交办须填写承办单位"})
    if not Region.objects.visible_to(user).filter(pk=unit.pk).exists():
        raise ValidationError({"assigned_region": "承办单位不在您的管辖范围内"})
    if not (clue.region.path.startswith(unit.path)):
        raise ValidationError({"assigned_region": "承办单位须为问题所在地的县（市、区）或乡镇"})
    if department and department not in Department.values:
        raise ValidationError({"assigned_department": f"未知的部门：{department}"})
    if deadline is not None and deadline < today():
        raise ValidationError({"deadline": "整改时限不能早于今天"})
    return take_step(
        clue,
        "assign",
        user=user,
        comment=comment,
        assigned_region=unit,
        assigned_department=department,
        lead_official=lead_official,
        deadline=deadline,
        batch=batch,
    )


def assign_batch(
    clues: Iterable[Clue],
    *,
    user,
    title: str,
    unit: Region,
    lead_official: str,
    deadline: dt.date,
    note: str = "",
    department: str = "",
) -> ClueBatch:
    """交办 several clues together as one batch: all or none."""
    clues = list(clues)
    if not clues:
        raise ValidationError("请选择要交办的问题线索")
    try:
        return _assign_batch(
            clues,
            user=user,
            title=title,
            unit=unit,
            lead_official=lead_official,
            deadline=deadline,
            note=note,
            department=department,
        )
    except Exception:
        for clue in clues:
            clue.refresh_from_db()
        raise


def _assign_batch(clues, *, user, title, unit, lead_official, deadline, note, department):
    with transaction.atomic(), changelog.acting(user):
        batch = ClueBatch(
            title=title,
            assigned_region=unit,
            assigned_department=department,
            lead_official=lead_official,
            deadline=deadline,
            note=note,
            created_by=user,
        )
        batch.full_clean()
        batch.save()
        for clue in clues:
            assign(
                clue,
                user=user,
                unit=unit,
                lead_official=lead_official,
                deadline=deadline,
                batch=batch,
                department=department,
            )
    return batch


def start_verifying(clue: Clue, *, user) -> Clue:
    return take_step(clue, "start_verifying", user=user)


def confirm(clue: Clue, *, user, classification: str, verification_note: str) -> Clue:
    return take_step(
        clue, "confirm", user=user, classification=classification, verification_note=verification_note
    )


def close_unfounded(clue: Clue, *, user, verification_note: str) -> Clue:
    return take_step(clue, "unfounded", user=user, verification_note=verification_note, closed_on=today())


def start_rectifying(clue: Clue, *, user, actions: list[str]) -> Clue:
    return take_step(clue, "start_rectifying", user=user, actions=list(actions))


def hold_accountable(clue: Clue, *, user, comment: str = "") -> Clue:
    return take_step(clue, "hold_accountable", user=user, comment=comment)


def record_accountability(
    clue: Clue, *, user, accountability_type: str, persons_accountable: int, note: str = ""
) -> Clue:
    return take_step(
        clue, "record_accountability", user=user, accountability_type=accountability_type,
        persons_accountable=persons_accountable, accountability_note=note,
    )  # fmt: skip


def mark_rectified(
    clue: Clue,
    *,
    user,
    rectification_note: str,
    funds_stopped: Decimal = Decimal(0),
    funds_recovered: Decimal = Decimal(0),
) -> Clue:
    return take_step(
        clue, "rectified", user=user, rectification_note=rectification_note,
        funds_stopped=funds_stopped, funds_recovered=funds_recovered,
    )  # fmt: skip


def select_for_spot_check(clue: Clue, *, user) -> Clue:
    return take_step(clue, "select_spot_check", user=user)


def pass_spot_check(clue: Clue, *, user, note: str = "") -> Clue:
    return take_step(
        clue, "spot_check_pass", user=user, comment=note, spot_check_note=note, closed_on=today()
    )


def fail_spot_check(clue: Clue, *, user, note: str) -> Clue:
    return take_step(clue, "spot_check_fail", user=user, comment=note, spot_check_note=note)


def awaiting_spot_check(user):
    """The rectified clues `user` could draw for a spot check — `at_city_level`'s rule as a query: none below
    the city, never the clues handed to the user's own unit."""
    queryset = clues_visible_to(user).filter(status=S.RECTIFIED)
    if getattr(user, "is_superuser", False):
        return queryset
    if not at_city_or_above(user):
        return queryset.none()
    if getattr(user, "department", ""):
        queryset = queryset.exclude(assigned_region_id=user.region_id, assigned_department=user.department)
    return queryset


def draw_spot_checks(*, user, share: Decimal, seed: int | None = None) -> list[Clue]:
    """A city department samples `share` (0–1) of the rectified clues it can see for re-checking; at least
    one when any is waiting. The draw is random (or seeded) so units cannot predict it."""
    import math
    import random

    if not (Decimal(0) < Decimal(share) <= Decimal(1)):
        raise ValidationError({"share": "抽查比例应大于 0 且不超过 1"})
    _require(user, "supervision.spot_check_clue", "抽查问题线索")
    # Refuse a county department at once, whatever it can see (a clue of its own would be refused anyway).
    if reason := at_city_level(Clue(), user):
        raise TransitionRefused(reason)
    waiting = list(awaiting_spot_check(user).order_by("pk"))
    if not waiting:
        return []
    chosen = random.Random(seed).sample(waiting, max(1, math.ceil(len(waiting) * float(share))))
    selected = []
    with transaction.atomic():
        for clue in sorted(chosen, key=lambda c: c.pk):
            try:
                selected.append(select_for_spot_check(clue, user=user))
            except ConcurrentChange:
                continue
    return selected


def close(clue: Clue, *, user, comment: str = "") -> Clue:
    return take_step(clue, "close", user=user, comment=comment, closed_on=today())


def escalate(clue: Clue, *, user, reason: str) -> Clue:
    """督办: overdue or falsified; the clue keeps where it was, to resume from there."""
    return take_step(
        clue, "escalate", user=user, comment=reason, escalated_from=clue.status, escalation_reason=reason
    )


def resume(clue: Clue, *, user, comment: str = "", deadline: dt.date | None = None) -> Clue:
    """Lift the escalation: back to the stage it was in, optionally with a new deadline."""
    _visible(clue, user)
    name = f"resume_{clue.escalated_from}"
    if clue.status != S.ESCALATED or name not in CLUE_WORKFLOW.by_name:
        _require(user, "supervision.supervise_clue", "恢复办理")
        raise TransitionRefused(f"当前状态为“{clue.get_status_display()}”，不能执行“恢复办理”")
    fields: dict[str, Any] = {}
    if deadline is not None:
        if deadline < today():
            raise ValidationError({"deadline": "整改时限不能早于今天"})
        fields["deadline"] = deadline
    return take_step(clue, f"resume_{clue.escalated_from}", user=user, comment=comment, **fields)


def escalate_overdue(day: dt.date, *, user=None, source: str = "job:escalate-clues") -> int:
    """Escalate every clue whose deadline passed before `day` while it was still being verified or rectified
    (the nightly job; also `fangpin escalate-clues`). Returns how many were escalated."""
    overdue = Clue.objects.filter(status__in=DEADLINE_STAGES, deadline__lt=day)
    count = 0
    for clue in overdue:
        reason = f"超过整改时限 {clue.deadline}（{(day - clue.deadline).days} 天）"
        try:
            with changelog.change_context(source=source):
                _system_step(clue, reason)
            count += 1
        except ConcurrentChange:
            continue
    return count


def _system_step(clue: Clue, reason: str) -> None:
    """The overdue job acts without a user: the step is the job's by definition, so no permission applies."""
    step = dataclasses.replace(CLUE_WORKFLOW.by_name["escalate"], permission=None)
    Workflow([step]).apply(
        clue, "escalate", user=AnonymousUser(), comment=reason,
        changes={"escalated_from": clue.status, "escalation_reason": reason, "stage_entered_at": timezone.now()},
    )  # fmt: skip


def overdue(clue: Clue, day: dt.date) -> int:
    """Days past the deadline, 0 if not overdue."""
    stage = clue.escalated_from if clue.status == S.ESCALATED else clue.status
    if stage in DEADLINE_STAGES and clue.deadline and clue.deadline < day:
        return (day - clue.deadline).days
    return 0
