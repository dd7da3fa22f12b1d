"""Back-dating: what the services stamped "now" moved to the planned days, each bulk update logged."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from fangpin.assistance.models import AssistanceMeasure
from fangpin.core.changelog import log_bulk
from fangpin.core.models import StatusChange
from fangpin.monitoring.demo_cases.data import ELIMINATION, IDENTIFICATION
from fangpin.monitoring.models import CaseObjection, MonitoringCase, Visit, Warning

if TYPE_CHECKING:
    from fangpin.monitoring.demo_cases.context import Context
    from fangpin.monitoring.demo_cases.planning import Plan


def _shift(model, rows: list, fields: list[str], description: str) -> None:
    if rows:
        model._base_manager.bulk_update(rows, fields, batch_size=400)
        log_bulk(model, "update", len(rows), description=f"演示数据：{description}（{len(rows)} 条）")


def _shift_status_changes(plans: list[Plan], after: int, names) -> int:
    """Status changes written since `after` (a pk) get their step's planned time; returns the newest pk."""
    stamps = {(p.case.pk, name): p.stamps[name] for p in plans for name in names if name in p.stamps}
    rows = list(
        StatusChange.objects.filter(
            content_type__app_label="monitoring", content_type__model="monitoringcase", pk__gt=after
        ).only("pk", "object_id", "transition", "time")
    )
    moved = [row for row in rows if (row.object_id, row.transition) in stamps]
    for row in moved:
        row.time = stamps[(row.object_id, row.transition)]
    _shift(StatusChange, moved, ["time"], "监测对象状态变更时间改为计划日期")
    return max((row.pk for row in rows), default=after)


def _shift_identification(plans: list[Plan], ctx: Context) -> None:
    """Phase 1: what the identification steps stamped with today."""
    for plan in plans:
        case, last = plan.case, [s for s in plan.steps if s in IDENTIFICATION or s == "reject"]
        case.created_at = plan.stamps["open"]
        case.stage_entered_at = case.updated_at = plan.stamps["reject" if plan.rejected_at else last[-1]]
        if case.compared_on:
            case.compared_on = plan.days["compare"]
        if case.recorded_on:
            case.recorded_on = case.cadre_since = plan.days["record"]
            case.identified_month = f"{case.recorded_on:%Y%m}"
    fields = ["created_at", "stage_entered_at", "updated_at", "compared_on", "recorded_on", "cadre_since",
              "identified_month"]  # fmt: skip
    _shift(MonitoringCase, [p.case for p in plans], fields, "监测对象登记、比对、录入日期改为计划日期")
    names = (*IDENTIFICATION, "reject")
    ctx.status_changes_before = _shift_status_changes(plans, ctx.status_changes_before, names)
    objections = [p.objection for p in plans if p.objection and "row" in p.objection]
    for objection in objections:
        objection["row"].created_at = objection["stamp"]
    _shift(CaseObjection, [o["row"] for o in objections], ["created_at"], "公示异议登记时间改为收到日期")
    warnings = []
    for plan in plans:
        for warning in plan.warnings:
            if warning.first_seen_at > plan.stamps["open"]:  # seen by an earlier screening than this one
                warning.first_seen_at = plan.stamps["open"] - dt.timedelta(days=plan.rng.randint(1, 5))
                warnings.append(warning)
    _shift(Warning, warnings, ["first_seen_at"], "转为线索的预警，首次发现时间改为线索登记之前")


def _shift_follow_up(plans: list[Plan], ctx: Context) -> None:
    """Phase 2: measures, visits and the elimination steps."""
    measures = [m for p in plans for m in p.measures if "row" in m]
    for measure in measures:
        measure["row"].created_at = measure["row"].updated_at = measure["stamp"]
    _shift(
        AssistanceMeasure,
        [m["row"] for m in measures],
        ["created_at", "updated_at"],
        "帮扶措施登记时间改为开始日期",
    )
    visits = [v for p in plans for v in p.visits if "row" in v]
    for visit in visits:
        visit["row"].created_at = visit["stamp"]
    _shift(Visit, [v["row"] for v in visits], ["created_at"], "走访记录登记时间改为走访日期")
    eliminating = [p for p in plans if p.case.elimination_proposed_on]
    for plan in eliminating:
        case, last = plan.case, [s for s in plan.steps if s in ELIMINATION][-1]
        case.elimination_proposed_on = plan.days["propose_elimination"]
        case.stage_entered_at = case.updated_at = plan.stamps[last]
        if case.eliminated_on:
            case.eliminated_on = plan.days["elim_approve"]
            case.eliminated_month = f"{case.eliminated_on:%Y%m}"
    fields = [
        "elimination_proposed_on",
        "stage_entered_at",
        "updated_at",
        "eliminated_on",
        "eliminated_month",
    ]
    _shift(MonitoringCase, [p.case for p in eliminating], fields, "风险消除日期改为计划日期")
    _shift_status_changes(plans, ctx.status_changes_before, ELIMINATION)
