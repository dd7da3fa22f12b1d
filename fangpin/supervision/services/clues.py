"""Clue services: every write of the clue lifecycle is one function here, atomic, scoped, logged, refused with
a Chinese reason when a rule is broken. Reads go through `clues_visible_to`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from fangpin.accounts.models import Department
from fangpin.core import changelog
from fangpin.core.models import Counter, StatusChange
from fangpin.core.workflow import ConcurrentChange, TransitionRefused, Workflow
from fangpin.geo.models import Region
from fangpin.monitoring.models import Warning
from fangpin.supervision.choices import ClueSource
from fangpin.supervision.models import Clue, ClueAccess, ClueBatch, unit_label
from fangpin.supervision.services.workflow import (
    CLUE_WORKFLOW,
    DEADLINE_STAGES,
    HANDLE_PERMISSION,
    at_city_level,
    handles,
)

S = Clue.Status


def today() -> dt.date:
    return timezone.localdate()


def sees_only_own_department(user) -> bool:
    """A county (or township) line department's users see only what was handed to their department; city
    departments, who spot-check (seed §15), see every handed-over clue of the city."""
    region = getattr(user, "region", None)
    return bool(
        getattr(user, "department", "")
        and not user.is_superuser
        and (region is None or region.level not in ("city", "province"))
    )


def batches_visible_to(user):
    """The batches `user` may see: scoped by the unit they were handed to, like their clues."""
    queryset = ClueBatch.objects.visible_to(user)
    if sees_only_own_department(user):
        queryset = queryset.filter(assigned_department=user.department)
    return queryset


def clues_visible_to(user):
    """The clues `user` may see: those assigned within their region; units other than supervisors see a clue
    only once it has been handed over to them (not the supervisors' unassigned pool), and a county department
    only those handed to it (`sees_only_own_department`)."""
    queryset = Clue.objects.visible_to(user)
    if not user.has_perm("supervision.supervise_clue"):
        queryset = queryset.exclude(status=S.GENERATED).exclude(
            status=S.ESCALATED, escalated_from=S.GENERATED
        )
    if sees_only_own_department(user):
        queryset = queryset.filter(assigned_department=user.department)
    return queryset


def _visible(clue: Clue, user) -> Clue:
    if not clues_visible_to(user).filter(pk=clue.pk).exists():
        raise Http404("未找到该问题线索")
    return clue


def _require(user, permission: str, label: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied(f"您没有权限{label}")


def log_access(clue: Clue, user, channel: str) -> None:
    """Record that `user` saw `clue`'s personal data (page, api, export)."""
    ClueAccess.objects.create(clue=clue, user=user, channel=channel)


def county_of(region: Region) -> Region:
    node = region
    while node is not None and node.level not in ("county", "city", "province"):
        node = node.parent
    return node or region


def next_number() -> str:
    """线索编号: XS, the year, and the year's next serial (a counter taken in the caller's transaction)."""
    year = timezone.localdate().year
    return f"XS{year}{Counter.next_value(f'clue:{year}'):07d}"


def _opened(clue: Clue, user, comment: str = "") -> None:
    StatusChange.objects.create(
        content_type=ContentType.objects.get_for_model(Clue),
        object_id=clue.pk,
        field="status",
        transition="open",
        from_status="",
        to_status=clue.status,
        user=user,
        comment=comment,
    )


@dataclass
class Generated:
    created: list[Clue] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def clues_from_warnings(warnings: Iterable[Warning], *, user) -> Generated:
    """Turn comparison hits (warnings that produce a clue) into clues with their evidence and sources, one per
    warning, in the pool of the household's county (待交办). A warning already turned into a clue is skipped."""
    _require(user, "supervision.supervise_clue", "生成问题线索")
    ids = {w.pk for w in warnings}
    visible = list(
        Warning.objects.visible_to(user).filter(pk__in=ids).select_related("household__region", "person")
    )
    if len(visible) != len(ids):
        raise Http404("未找到部分比对结果")
    result = Generated()
    taken = set(Clue.objects.filter(warning__in=visible).values_list("warning_id", flat=True))
    for warning in visible:
        if warning.produces != Warning.Produces.CLUE:
            result.skipped.append(f"{warning.rule_code} {warning.rule_title}：不是问题线索类比对结果")
            continue
        if warning.pk in taken:
            result.skipped.append(f"{warning.rule_code} {warning.rule_title}：已生成问题线索")
            continue
        household = warning.household
        with transaction.atomic(), changelog.acting(user):
            clue = Clue.objects.create(
                number=next_number(),
                source=ClueSource.COMPARISON,
                rule_code=warning.rule_code,
                warning=warning,
                household=household,
                person=warning.person,
                region=household.region,
                assigned_region=county_of(household.region),
                title=warning.rule_title,
                description=warning.explanation,
                evidence=warning.evidence,
                sources=_sources(warning),
                stage_entered_at=timezone.now(),
                created_by=user,
            )
            _opened(clue, user, f"由比对规则 {warning.rule_code} 生成")
        result.created.append(clue)
    return result


def _sources(warning: Warning) -> str:
    """The distinct data sources a hit's inputs came from (registry fields and department datasets)."""
    inputs = (warning.evidence or {}).get("inputs", [])
    return "；".join(dict.fromkeys(i.get("source", "") for i in inputs if i.get("source")))[:300]


def create_clue(
    *,
    user,
    source: str,
    region: Region,
    title: str,
    description: str,
    household=None,
    person=None,
    amount_involved: Decimal = Decimal(0),
) -> Clue:
    """A clue entered by hand (unannounced visit, hotline, audit, inspection), in the pool of its county."""
    _require(user, "supervision.supervise_clue", "登记问题线索")
    if source == ClueSource.COMPARISON or source not in ClueSource.values:
        raise ValidationError({"source": "请选择线索来源（大数据比对线索由比对结果生成）"})
    if not Region.objects.visible_to(user).filter(pk=region.pk).exists():
        raise ValidationError({"region": "问题所在地不在您的管辖范围内"})
    if household is not None and household.region_id != region.pk:
        raise ValidationError({"household": "涉及户不在问题所在地"})
    if person is not None and (household is None or person.household_id != household.pk):
        raise ValidationError({"person": "涉及人员不属于涉及户"})
    clue = Clue(
        number="",
        source=source,
        region=region,
        assigned_region=county_of(region),
        household=household,
        person=person,
        title=title,
        description=description,
        amount_involved=amount_involved,
        stage_entered_at=timezone.now(),
        created_by=user,
    )
    clue.full_clean(exclude=["number", "warning", "batch"])
    with transaction.atomic(), changelog.acting(user):
        clue.number = next_number()  # taken only if the clue is written
        clue.save()
        _opened(clue, user, "人工登记")
    return clue


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
    # Only what the user may check: not the clues handed to their own department.
    waiting = [
        clue
        for clue in clues_visible_to(user).filter(status=S.RECTIFIED).order_by("pk")
        if at_city_level(clue, user) is None
    ]
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
