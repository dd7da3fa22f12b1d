"""The monitoring-case workflow (spec §3.7, §3.9) as one declared transition table, with its guards.

Identification: clue → household check (consent signed) → department data comparison → village review (minutes)
→ village notice (≥ notice_days, objections recorded) → township audit → county approval → announcement →
recorded (监测帮扶中). Elimination mirrors it: proposal (every criterion holds) → review → notice → township check
→ county approval → eliminated. Each step's permission belongs to one role, and so to one region level.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from fangpin.core.workflow import Transition, Workflow
from fangpin.monitoring.choices import (
    CATEGORY_HOUSEHOLD_TYPE,
    MAX_RISKS,
    Category,
    RiskType,
)
from fangpin.monitoring.models import CaseObjection, MonitoringCase
from fangpin.monitoring.services.parameters import (
    WORKFLOW_PARAMETERS,
    parameter_catalogue,
    resolve_parameters,
)
from fangpin.screening.compiler.rendering import coerce

S = MonitoringCase.Status


class MissingParameter(Exception):
    """A workflow parameter has no value for the region and day."""


def workflow_parameter(key: str, region, day: dt.date):
    """The value of a workflow (or rule) parameter in force for `region` on `day`, as its declared type."""
    chosen = resolve_parameters([key], region, day)
    if key not in chosen:
        title = _entry(key)["title"]
        raise MissingParameter(f"参数“{title}”（{key}）在 {day} 没有取值，请市级管理员在“政策参数”中配置")
    return coerce(chosen[key].value, parameter_type(key))


def _entry(key: str) -> dict:
    # The workflow's own keys first: the rule-set catalogue parses every rule file.
    return WORKFLOW_PARAMETERS.get(key) or parameter_catalogue()[key]


def parameter_type(key: str) -> str:
    return _entry(key)["type"]


def today() -> dt.date:
    return timezone.localdate()


# ---------------------------------------------------------------- guards: a Chinese reason, or None to allow


def check_is_complete(case: MonitoringCase, user) -> str | None:
    """Household check: consent signed, category consistent with the household type, 1–5 valid risks."""
    problems = []
    if not case.consent_signed_on:
        problems.append("未登记农户签署《承诺授权书》的日期")
    elif case.consent_signed_on > today():
        problems.append("承诺授权书签署日期不能晚于今天")
    if not case.checked_on:
        problems.append("未填写入户核实日期")
    elif case.checked_on > today():
        problems.append("入户核实日期不能晚于今天")
    problems += category_problems(case)
    problems += risk_problems(case)
    return "；".join(problems) or None


def category_problems(case: MonitoringCase) -> list[str]:
    if not case.category:
        return ["未选择监测对象类别"]
    required = CATEGORY_HOUSEHOLD_TYPE.get(Category(case.category))
    if required and case.household.household_type != required:
        return [
            f"监测对象类别“{Category(case.category).label}”要求户类型为“{_household_type_label(required)}”，"
            f"该户为“{case.household.get_household_type_display()}”"
        ]
    return []


def _household_type_label(code: str) -> str:
    from fangpin.registry.choices import HouseholdType

    return HouseholdType(code).label


def risk_problems(case: MonitoringCase) -> list[str]:
    risks = list(case.risks or [])
    problems = []
    if not risks:
        problems.append("至少选择一项致贫返贫风险")
    if len(risks) > MAX_RISKS:
        problems.append(f"致贫返贫风险最多 {MAX_RISKS} 项")
    if len(set(risks)) != len(risks):
        problems.append("致贫返贫风险不能重复")
    unknown = [r for r in risks if r not in RiskType.values]
    if unknown:
        problems.append(f"未知的风险类型：{'、'.join(map(str, unknown))}")
    if RiskType.NATURAL_DISASTER in risks and not case.disaster_subtype:
        problems.append("风险为“因自然灾害”时必须填写因自然灾害子项")
    if RiskType.OTHER in risks and not case.risk_remark.strip():
        problems.append("风险为“其他”时必须填写风险备注")
    return problems


def _dated_after(day: dt.date | None, earliest: dt.date | None, what: str, before_what: str) -> str | None:
    """A step's date may be neither in the future nor before the step it follows (no back-dating a notice
    to skip its days)."""
    if day is None:
        return f"未填写{what}"
    if day > today():
        return f"{what}不能晚于今天"
    if earliest is not None and day < earliest:
        return f"{what}不能早于{before_what}（{earliest}）"
    return None


def review_has_minutes(case: MonitoringCase, user) -> str | None:
    if not case.review_minutes.strip() or not case.reviewed_on:
        return "民主评议须填写评议日期和会议记录"
    return _dated_after(case.reviewed_on, case.checked_on, "评议日期", "入户核实日期")


def elim_review_has_minutes(case: MonitoringCase, user) -> str | None:
    if not case.elim_review_minutes.strip() or not case.elim_reviewed_on:
        return "民主评议须填写评议日期和会议记录"
    return _dated_after(case.elim_reviewed_on, case.elimination_proposed_on, "评议日期", "提出风险消除日期")


def notice_start_valid(case: MonitoringCase, user) -> str | None:
    return _dated_after(case.notice_start, case.reviewed_on, "公示开始日期", "民主评议日期")


def elim_notice_start_valid(case: MonitoringCase, user) -> str | None:
    return _dated_after(case.elim_notice_start, case.elim_reviewed_on, "公示开始日期", "民主评议日期")


def _notice_over(start: dt.date | None, days: int | None, stage: str, case: MonitoringCase) -> str | None:
    if start is None or days is None:
        return "尚未开始公示"
    ends = notice_end(start, days)
    if today() < ends:
        return f"公示期未满：{start} 起公示 {days} 天，{ends} 起方可结束公示"
    pending = case.objections.filter(stage=stage, outcome=CaseObjection.Outcome.PENDING).count()
    if pending:
        return f"公示期间有 {pending} 条异议尚未处理"
    upheld = case.objections.filter(stage=stage, outcome=CaseObjection.Outcome.UPHELD).exists()
    if upheld:
        return "公示异议成立，不能通过公示；请作出相应决定"
    return None


def notice_end(start: dt.date, days: int) -> dt.date:
    """The first day the notice may be closed: a notice of N days covers start … start + N − 1."""
    return start + dt.timedelta(days=days)


def notice_is_over(case: MonitoringCase, user) -> str | None:
    return _notice_over(case.notice_start, case.notice_days, S.NOTICE, case)


def elim_notice_is_over(case: MonitoringCase, user) -> str | None:
    return _notice_over(case.elim_notice_start, case.elim_notice_days, S.ELIM_NOTICE, case)


def cadre_assigned(case: MonitoringCase, user) -> str | None:
    missing = []
    if case.cadre_id is None:
        missing.append("帮扶责任人")
    if not case.monitoring_contact.strip():
        missing.append("监测联系人")
    return f"录入前须指定{'和'.join(missing)}" if missing else None


def household_active(case: MonitoringCase, user) -> str | None:
    if case.household.status != case.household.Status.ACTIVE:
        return "该户已注销，不能继续办理"
    return None


def elimination_allowed(case: MonitoringCase, user) -> str | None:
    from fangpin.monitoring.services.elimination import elimination_criteria

    if not case.elimination_method:
        return "请选择风险消除方式（帮扶消除或自然消除）"
    wrong_date = _dated_after(
        case.elimination_proposed_on, case.recorded_on, "提出风险消除日期", "录入监测日期"
    )
    if wrong_date:
        return wrong_date
    failed = [c for c in elimination_criteria(case, today()) if not c.passed]
    if failed:
        return "不符合风险消除条件：" + "；".join(f"{c.title}（{c.reason}）" for c in failed)
    return None


def amounts_consistent(case: MonitoringCase, user) -> str | None:
    """Post-elimination net income must follow the income formula from its items."""
    items = [
        case.after_wage,
        case.after_business,
        case.after_property,
        case.after_transfer,
        case.after_business_cost,
    ]
    if any(v is None for v in items) or case.after_net_income is None:
        return None  # the completeness criterion reports missing fields
    wage, business, prop, transfer, cost = (Decimal(v) for v in items)
    expected = wage + business + prop + transfer - cost
    if abs(expected - Decimal(case.after_net_income)) > Decimal("1"):
        return f"风险消除后家庭纯收入 {case.after_net_income} 元与各项收入减生产经营性支出之和 {expected} 元不一致"
    return None


def owns_pending_step(case: MonitoringCase, user) -> str | None:
    """Rejecting a case, or withdrawing an elimination, belongs to whoever owns the step the case waits for:
    the village before its review, the county at comparison and approval, the township at its audit."""
    pending = [
        t
        for t in CASE_WORKFLOW.by_name.values()
        if case.status in t.source and t.name not in ("reject", "elim_withdraw")
    ]
    if any(t.permission and user.has_perm(t.permission) for t in pending):
        return None
    labels = "、".join(t.label for t in pending)
    return f"当前环节（{labels}）不由您办理，不能在此环节作出该决定"


# ---------------------------------------------------------------- the table

OPEN_FOR_REJECTION = (S.CLUE, S.CHECKED, S.COMPARED, S.REVIEWED, S.NOTICE, S.NOTICED, S.AUDITED)

CASE_WORKFLOW = Workflow(
    [
        Transition("check", "入户核实", (S.CLUE,), S.CHECKED, "monitoring.check_case", (household_active, check_is_complete)),
        Transition("compare", "完成部门数据比对", (S.CHECKED,), S.COMPARED, "monitoring.compare_case", (household_active,), comment_required=True),
        Transition("review", "村级民主评议", (S.COMPARED,), S.REVIEWED, "monitoring.review_case", (review_has_minutes,)),
        Transition("start_notice", "开始村内公示", (S.REVIEWED,), S.NOTICE, "monitoring.review_case", (notice_start_valid,)),
        Transition("end_notice", "公示期满无异议", (S.NOTICE,), S.NOTICED, "monitoring.review_case", (notice_is_over,)),
        Transition("audit", "乡镇审核通过", (S.NOTICED,), S.AUDITED, "monitoring.audit_case", (household_active, check_is_complete)),
        Transition("approve", "县级审定通过", (S.AUDITED,), S.APPROVED, "monitoring.approve_case", (household_active, check_is_complete)),
        Transition("announce", "公告", (S.APPROVED,), S.ANNOUNCED, "monitoring.announce_case", (household_active,)),
        Transition("record", "录入系统，开始监测帮扶", (S.ANNOUNCED,), S.MONITORED, "monitoring.record_case", (household_active, cadre_assigned)),
        Transition("reject", "不予纳入", OPEN_FOR_REJECTION, S.REJECTED, "monitoring.reject_case", (owns_pending_step,), comment_required=True),
        Transition("propose_elimination", "提出风险消除", (S.MONITORED,), S.ELIM_PROPOSED, "monitoring.propose_elimination", (household_active, amounts_consistent, elimination_allowed)),
        Transition("elim_review", "风险消除民主评议", (S.ELIM_PROPOSED,), S.ELIM_REVIEWED, "monitoring.review_case", (household_active, elim_review_has_minutes,)),
        Transition("elim_start_notice", "开始风险消除公示", (S.ELIM_REVIEWED,), S.ELIM_NOTICE, "monitoring.review_case", (household_active, elim_notice_start_valid,)),
        Transition("elim_end_notice", "风险消除公示期满无异议", (S.ELIM_NOTICE,), S.ELIM_NOTICED, "monitoring.review_case", (household_active, elim_notice_is_over,)),
        Transition("elim_check", "乡镇核查通过", (S.ELIM_NOTICED,), S.ELIM_CHECKED, "monitoring.check_elimination", (household_active, elimination_allowed,)),
        Transition("elim_approve", "县级审定风险消除", (S.ELIM_CHECKED,), S.ELIMINATED, "monitoring.approve_elimination", (household_active, amounts_consistent, elimination_allowed)),
        Transition("elim_withdraw", "退回继续监测", MonitoringCase.ELIMINATING, S.MONITORED, "monitoring.withdraw_elimination", (owns_pending_step,), comment_required=True),
    ]
)  # fmt: skip

# Which step each open status waits for, and the per-step time limit parameter (spec §3.5, §3.7).
STEP_LIMIT_PARAMETER = {
    S.CLUE: "step_days_clue",
    S.CHECKED: "step_days_checked",
    S.COMPARED: "step_days_compared",
    S.REVIEWED: "step_days_reviewed",
    S.NOTICE: "step_days_notice",  # counted from the first day the notice may be closed
    S.NOTICED: "step_days_noticed",
    S.AUDITED: "step_days_audited",
    S.APPROVED: "step_days_approved",
    S.ANNOUNCED: "step_days_announced",
}


def steps_for(case: MonitoringCase, user) -> list:
    """The steps to offer `user` on `case`: the permitted ones, less a rejection or withdrawal that is not
    theirs at this stage (they would only be refused)."""
    return [
        t
        for t in CASE_WORKFLOW.available(case, user)
        if t.name not in ("reject", "elim_withdraw") or owns_pending_step(case, user) is None
    ]
