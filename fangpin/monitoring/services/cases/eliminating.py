"""The risk-elimination steps (spec §3.9): proposal, review, notice, township check, county approval, withdrawal;
the criteria are re-checked at each (services.elimination)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fangpin.core.workflow import TransitionRefused
from fangpin.monitoring.choices import EliminationMethod
from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.services.cases.common import take_step
from fangpin.monitoring.services.cases.identification import _notice_days
from fangpin.monitoring.services.workflow import today

S = MonitoringCase.Status


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
