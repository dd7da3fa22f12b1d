"""Monitoring-case services: every write of the identification and elimination workflow is one function here,
atomic, scoped to the acting user, logged, and refused with a Chinese reason when a rule is broken.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from fangpin.core import changelog
from fangpin.core.models import StatusChange
from fangpin.core.workflow import ConcurrentChange, TransitionRefused
from fangpin.monitoring.choices import Channel, EliminationMethod
from fangpin.monitoring.models import CaseObjection, MonitoringCase, Visit, Warning
from fangpin.monitoring.services.elimination import has_no_labour
from fangpin.monitoring.services.workflow import CASE_WORKFLOW, MissingParameter, today, workflow_parameter
from fangpin.registry.models import Household

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


# ---------------------------------------------------------------- opening a case


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


# ---------------------------------------------------------------- identification steps


def _latest_income(household: Household, day: dt.date):
    return household.incomes.filter(year__lte=day.year).order_by("-year").first()


def record_check(
    case: MonitoringCase,
    *,
    user,
    category: str,
    risks: list[str],
    checked_on: dt.date,
    consent_signed_on: dt.date | None,
    risk_tier: str = "medium",
    disaster_subtype: str = "",
    risk_remark: str = "",
    check_note: str = "",
    housing_unsafe: bool | None = None,
    dropout: bool | None = None,
    uninsured_member: bool | None = None,
    water_unsafe: bool | None = None,
    comment: str = "",
) -> MonitoringCase:
    """入户核实: what the check found, with the household's signed consent; snapshots the income it is judged on."""
    income = _latest_income(case.household, checked_on or today())
    return take_step(
        case,
        "check",
        user=user,
        comment=comment,
        category=category,
        risks=list(risks),
        checked_on=checked_on,
        consent_signed_on=consent_signed_on,
        risk_tier=risk_tier,
        disaster_subtype=disaster_subtype,
        risk_remark=risk_remark,
        check_note=check_note,
        housing_unsafe=housing_unsafe,
        dropout=dropout,
        uninsured_member=uninsured_member,
        water_unsafe=water_unsafe,
        whole_household_no_labour=has_no_labour(case.household),
        income_year=income.year if income else None,
        net_income=income.net_income if income else None,
        per_capita_income=income.per_capita_net_income if income else None,
        claims_income=income.claims_income if income else None,
        out_of_pocket=income.compliant_out_of_pocket if income else None,
    )


def record_comparison(case: MonitoringCase, *, user, result: str) -> MonitoringCase:
    """部门数据比对: the county's conclusion after seeing the screening hits for this household."""
    return take_step(case, "compare", user=user, comment=result, compared_on=today(), comparison_note=result)


def record_review(case: MonitoringCase, *, user, reviewed_on: dt.date, minutes: str) -> MonitoringCase:
    return take_step(case, "review", user=user, reviewed_on=reviewed_on, review_minutes=minutes)


def _notice_days(case: MonitoringCase, day: dt.date) -> int:
    try:
        return workflow_parameter("notice_days", case.household.region, day)
    except MissingParameter as exc:
        raise TransitionRefused(str(exc)) from exc


def start_notice(case: MonitoringCase, *, user, start: dt.date | None = None) -> MonitoringCase:
    start = start or today()
    return take_step(
        case, "start_notice", user=user, notice_start=start, notice_days=_notice_days(case, start)
    )


def end_notice(case: MonitoringCase, *, user, comment: str = "") -> MonitoringCase:
    return take_step(case, "end_notice", user=user, comment=comment)


def record_objection(
    case: MonitoringCase, *, user, received_on: dt.date, content: str, raised_by: str = ""
) -> CaseObjection:
    """An objection received while the case is on notice (identification or elimination)."""
    _visible_case(case, user)
    _require(user, "monitoring.review_case", "登记公示异议")
    if case.status not in (S.NOTICE, S.ELIM_NOTICE):
        raise TransitionRefused("只有公示期间可以登记异议")
    if not content.strip():
        raise ValidationError({"content": "请填写异议内容"})
    start = case.notice_start if case.status == S.NOTICE else case.elim_notice_start
    if received_on > today() or (start and received_on < start):
        raise ValidationError({"received_on": f"收到异议的日期应在公示开始日期（{start}）与今天之间"})
    with transaction.atomic(), changelog.acting(user):
        return CaseObjection.objects.create(
            case=case,
            stage=case.status,
            received_on=received_on,
            content=content,
            raised_by=raised_by,
            recorded_by=user,
        )


def handle_objection(objection: CaseObjection, *, user, outcome: str, handling: str) -> CaseObjection:
    """Decide a pending objection (upheld or dismissed), once, while its notice is still running."""
    case = objection.case
    _visible_case(case, user)
    _require(user, "monitoring.review_case", "处理公示异议")
    if outcome not in (CaseObjection.Outcome.UPHELD, CaseObjection.Outcome.DISMISSED):
        raise ValidationError({"outcome": "请选择异议是否成立"})
    if not handling.strip():
        raise ValidationError({"handling": "请填写核查处理情况"})
    if objection.outcome != CaseObjection.Outcome.PENDING:
        raise TransitionRefused("该异议已处理，不能重新处理")
    if case.status != objection.stage:
        raise TransitionRefused("公示已结束，不能再处理该异议")
    with transaction.atomic(), changelog.acting(user):
        # Conditional, so two officials deciding the same objection cannot both win.
        updated = CaseObjection.objects.filter(pk=objection.pk, outcome=CaseObjection.Outcome.PENDING).update(
            outcome=outcome, handling=handling
        )
        if not updated:
            raise ConcurrentChange("该异议已被他人处理，请刷新页面后重试")
        before = changelog.serialize(objection)
        objection.outcome, objection.handling = outcome, handling
        changelog.write_change(objection, "update", before, changelog.serialize(objection))
    return objection


def audit_case(case: MonitoringCase, *, user, comment: str = "") -> MonitoringCase:
    return take_step(case, "audit", user=user, comment=comment)


def approve_case(case: MonitoringCase, *, user, comment: str = "") -> MonitoringCase:
    return take_step(case, "approve", user=user, comment=comment)


def announce_case(case: MonitoringCase, *, user, announced_on: dt.date | None = None) -> MonitoringCase:
    return take_step(case, "announce", user=user, announced_on=announced_on or today())


def record_case(case: MonitoringCase, *, user, comment: str = "") -> MonitoringCase:
    """录入: the household is now a monitoring object; 识别监测时间 is this month."""
    day = today()
    return take_step(
        case, "record", user=user, comment=comment, recorded_on=day, identified_month=f"{day:%Y%m}"
    )


def reject_case(case: MonitoringCase, *, user, reason: str) -> MonitoringCase:
    return take_step(case, "reject", user=user, comment=reason)


# ---------------------------------------------------------------- people


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


# ---------------------------------------------------------------- elimination steps


def propose_elimination(
    case: MonitoringCase,
    *,
    user,
    method: str,
    comment: str = "",
    proposed_on: dt.date | None = None,
    **after: Any,
) -> MonitoringCase:
    """拟消除: the village proposes elimination with the post-elimination indicators; every criterion must hold."""
    unknown = set(after) - set(MonitoringCase.AFTER_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    if method not in EliminationMethod.values:
        raise TransitionRefused("请选择风险消除方式（帮扶消除或自然消除）")
    if (
        "after_net_income" in after
        and "after_per_capita_income" not in after
        and after["after_net_income"] is not None
    ):
        size = case.household.member_count or 1
        after["after_per_capita_income"] = (Decimal(after["after_net_income"]) / size).quantize(
            Decimal("0.01")
        )
    return take_step(
        case, "propose_elimination", user=user, comment=comment, elimination_method=method,
        elimination_proposed_on=proposed_on or today(), **after,
    )  # fmt: skip


def record_elim_review(case: MonitoringCase, *, user, reviewed_on: dt.date, minutes: str) -> MonitoringCase:
    return take_step(
        case, "elim_review", user=user, elim_reviewed_on=reviewed_on, elim_review_minutes=minutes
    )


def start_elim_notice(case: MonitoringCase, *, user, start: dt.date | None = None) -> MonitoringCase:
    start = start or today()
    if start > today():
        raise TransitionRefused("公示开始日期不能晚于今天")
    return take_step(
        case,
        "elim_start_notice",
        user=user,
        elim_notice_start=start,
        elim_notice_days=_notice_days(case, start),
    )


def end_elim_notice(case: MonitoringCase, *, user, comment: str = "") -> MonitoringCase:
    return take_step(case, "elim_end_notice", user=user, comment=comment)


def check_elimination(case: MonitoringCase, *, user, comment: str = "") -> MonitoringCase:
    return take_step(case, "elim_check", user=user, comment=comment)


def approve_elimination(case: MonitoringCase, *, user, comment: str = "") -> MonitoringCase:
    day = today()
    return take_step(
        case, "elim_approve", user=user, comment=comment, eliminated_on=day, eliminated_month=f"{day:%Y%m}"
    )


def withdraw_elimination(case: MonitoringCase, *, user, reason: str) -> MonitoringCase:
    """Back to monitoring (objection upheld, township check failed, …)."""
    return take_step(case, "elim_withdraw", user=user, comment=reason)
