"""The identification steps (spec §3.7): household check, department data comparison, review, notice and
objections, township audit, county approval, announcement, recording, rejection."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from fangpin.core import changelog
from fangpin.core.workflow import ConcurrentChange, TransitionRefused
from fangpin.monitoring.models import CaseObjection, MonitoringCase
from fangpin.monitoring.services.cases.common import _require, _visible_case, take_step
from fangpin.monitoring.services.elimination import has_no_labour
from fangpin.monitoring.services.workflow import MissingParameter, today, workflow_parameter
from fangpin.registry.models import Household

S = MonitoringCase.Status


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
