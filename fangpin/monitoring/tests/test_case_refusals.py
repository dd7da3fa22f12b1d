"""Every refused step of the monitoring-case workflow (issue #5 part 9, spec §3.2, §3.4, §3.7, §3.9): wrong role,
wrong level, out of scope, broken invariant, notice not over, objections, elimination criteria unmet. Each
refusal carries its Chinese reason and leaves the database exactly as it was (no StatusChange, no change log).

Notice convention tested here: a notice of N days started on day D covers D … D+N−1 and may be ended from
day D+N (5-day notice started 5 January: refused on 9 January, allowed on 10 January).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fangpin.core.testing import make_household
from fangpin.core.workflow import TransitionRefused
from fangpin.monitoring.choices import RiskType
from fangpin.monitoring.models import CaseObjection, MonitoringCase, PolicyParameter
from fangpin.monitoring.services import cases, elimination
from fangpin.monitoring.tests.test_case_services import (
    AFTER,
    CHECK,
    D0,
    TZ,
    S,
    add_measures,
    db_state,
    frozen_clock,
    new_case,
    step_to,
    today,
)
from fangpin.registry.models import Person
from fangpin.registry.services import cancel_household


@pytest.fixture
def clock(tree):
    yield from frozen_clock()


def refused(call, exc, match, case=None):
    """`call` raises `exc` with `match` in its message and leaves the database unchanged."""
    state = db_state(case)
    with pytest.raises(exc) as info:
        call()
    text = " ".join(info.value.messages) if isinstance(info.value, ValidationError) else str(info.value)
    assert match in text, text
    assert db_state(case) == state
    return info.value


# ---------------------------------------------------------------- wrong role / wrong level

STEP_CALLS = {
    "check": lambda c, u: cases.record_check(c, user=u, **CHECK),
    "compare": lambda c, u: cases.record_comparison(c, user=u, result="无异常"),
    "review": lambda c, u: cases.record_review(c, user=u, reviewed_on=D0, minutes="同意"),
    "start_notice": lambda c, u: cases.start_notice(c, user=u),
    "audit": lambda c, u: cases.audit_case(c, user=u),
    "approve": lambda c, u: cases.approve_case(c, user=u),
    "announce": lambda c, u: cases.announce_case(c, user=u),
    "record": lambda c, u: cases.record_case(c, user=u),
}
STEP_STATUS = {
    "check": S.CLUE, "compare": S.CHECKED, "review": S.COMPARED, "start_notice": S.REVIEWED,
    "audit": S.NOTICED, "approve": S.AUDITED, "announce": S.APPROVED, "record": S.ANNOUNCED,
}  # fmt: skip


@pytest.mark.parametrize(
    "step, user",
    [
        ("check", "township_officer"),  # a township officer checking a household
        ("check", "county_officer"),
        ("compare", "village_cadre"),  # department comparison is the county's
        ("compare", "township_officer"),
        ("review", "township_officer"),  # the democratic review is the village's
        ("review", "county_officer"),
        ("start_notice", "county_officer"),
        ("audit", "village_cadre"),  # the audit is the township's
        ("audit", "county_officer"),
        ("approve", "village_cadre"),  # a village cadre approving
        ("approve", "township_officer"),
        ("announce", "village_cadre"),
        ("announce", "county_officer"),
        ("record", "township_officer"),
        ("record", "village_cadre"),
        ("approve", "medical_officer"),  # a department user sees the case but decides nothing
        ("approve", "supervisor"),
        ("approve", "leader"),
        ("check", "city_admin"),
    ],
)
def test_wrong_role_or_level_is_permission_denied(clock, cast, households, step, user):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, STEP_STATUS[step])
    refused(lambda: STEP_CALLS[step](case, cast[user]), PermissionDenied, "您没有权限", case)
    assert MonitoringCase.objects.get(pk=case.pk).status == STEP_STATUS[step]


@pytest.mark.parametrize(
    "status, call, user",
    [
        (S.MONITORED, "propose", "township_officer"),
        (S.MONITORED, "propose", "county_officer"),
        (S.ELIM_NOTICED, "elim_check", "village_cadre"),
        (S.ELIM_NOTICED, "elim_check", "county_officer"),
        (S.ELIM_CHECKED, "elim_approve", "township_officer"),
        (S.ELIM_CHECKED, "elim_approve", "village_cadre"),
    ],
)
def test_elimination_steps_belong_to_their_level(clock, cast, households, status, call, user):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, status)
    calls = {
        "propose": lambda u: cases.propose_elimination(case, user=u, method="assisted", **AFTER),
        "elim_check": lambda u: cases.check_elimination(case, user=u),
        "elim_approve": lambda u: cases.approve_elimination(case, user=u),
    }
    if call == "propose":
        add_measures(case, cast)
        clock.move_to(dt.datetime(2026, 7, 10, 10, 0, tzinfo=TZ))
    refused(lambda: calls[call](cast[user]), PermissionDenied, "您没有权限", case)


@pytest.mark.parametrize("user", ["supervisor", "leader", "medical_officer"])
def test_read_only_roles_cannot_open_a_case(clock, cast, households, user):
    refused(
        lambda: cases.open_case(households["a"], user=cast[user], channel="cadre"),
        PermissionDenied,
        "您没有权限",
    )


def test_rejection_belongs_to_the_owner_of_the_pending_step(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.AUDITED)  # waiting for the county
    refused(
        lambda: cases.reject_case(case, user=cast["village_cadre"], reason="不符合"),
        TransitionRefused,
        "不由您办理",
        case,
    )
    refused(
        lambda: cases.reject_case(case, user=cast["township_officer"], reason="不符合"),
        TransitionRefused,
        "不由您办理",
        case,
    )
    cases.reject_case(case, user=cast["county_officer"], reason="比对发现财政供养人员")
    assert MonitoringCase.objects.get(pk=case.pk).status == S.REJECTED


def test_rejection_needs_a_reason(clock, cast, households):
    case = new_case(households["a"], cast)
    for reason in ("", "   "):
        refused(
            lambda r=reason: cases.reject_case(case, user=cast["village_cadre"], reason=r),
            TransitionRefused,
            "必须填写意见或原因",
            case,
        )


def test_comparison_needs_a_result(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.CHECKED)
    refused(
        lambda: cases.record_comparison(case, user=cast["county_officer"], result=""),
        TransitionRefused,
        "必须填写",
        case,
    )


def test_a_step_out_of_order_is_refused(clock, cast, households):
    case = new_case(households["a"], cast)
    refused(
        lambda: cases.approve_case(case, user=cast["county_officer"]), TransitionRefused, "不能执行", case
    )
    step_to(case, cast, clock, S.CHECKED)
    refused(
        lambda: cases.record_check(case, user=cast["village_cadre"], **CHECK),
        TransitionRefused,
        "不能执行",
        case,
    )


# ---------------------------------------------------------------- out of scope: not found, nothing written


@pytest.mark.parametrize("user", ["village_cadre_b", "outsider"])
def test_out_of_scope_steps_are_not_found(clock, cast, households, user):
    outsider = cast[user]
    case = new_case(households["a"], cast)
    refused(lambda: cases.open_case(households["a"], user=outsider, channel="cadre"), Http404, "")
    refused(lambda: cases.record_check(case, user=outsider, **CHECK), Http404, "", case)
    refused(lambda: cases.reject_case(case, user=outsider, reason="不符合"), Http404, "", case)
    refused(
        lambda: cases.assign_cadre(case, user=outsider, cadre=outsider, contact="某人"), Http404, "", case
    )
    step_to(case, cast, clock, S.AUDITED)
    refused(lambda: cases.approve_case(case, user=outsider), Http404, "", case)
    step_to(case, cast, clock, S.MONITORED)
    refused(
        lambda: cases.add_visit(case, user=outsider, visited_on=today(), method="home", findings="正常"),
        Http404,
        "",
        case,
    )
    add_measures(case, cast)
    clock.move_to(dt.datetime(2026, 7, 10, 10, 0, tzinfo=TZ))
    refused(
        lambda: cases.propose_elimination(case, user=outsider, method="assisted", **AFTER), Http404, "", case
    )


def test_out_of_scope_township_is_not_found(clock, cast, households):
    # 白霓镇's officer and 村C (天城镇): same county, other township.
    case = cases.open_case(households["c"], user=cast["county_officer"], channel="cadre")
    refused(lambda: cases.reject_case(case, user=cast["township_officer"], reason="x"), Http404, "", case)


@pytest.mark.parametrize("user", ["village_cadre_b", "outsider"])
def test_out_of_scope_objections_are_not_found(clock, cast, households, user):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.NOTICE)
    objection = cases.record_objection(
        case, user=cast["village_cadre"], received_on=today(), content="其家庭有经营性收入"
    )
    refused(
        lambda: cases.record_objection(case, user=cast[user], received_on=today(), content="x"),
        Http404,
        "",
        case,
    )
    refused(
        lambda: cases.handle_objection(objection, user=cast[user], outcome="dismissed", handling="x"),
        Http404,
        "",
        case,
    )
    assert CaseObjection.objects.get(pk=objection.pk).outcome == CaseObjection.Outcome.PENDING


# ---------------------------------------------------------------- invariants at the household check


def check(case, cast, **changes):
    return lambda: cases.record_check(case, user=cast["village_cadre"], **{**CHECK, **changes})


def test_unstable_exited_requires_an_exited_household(clock, cast, tree):
    ordinary = make_household(tree.village_a, household_type="ordinary")
    case = new_case(ordinary, cast)
    refused(check(case, cast, category="unstable_exited"), TransitionRefused, "要求户类型为“脱贫户”", case)
    assert case.category == ""  # the refused values are not left on the object either
    cases.record_check(case, user=cast["village_cadre"], **{**CHECK, "category": "edge_vulnerable"})


def test_edge_vulnerable_requires_an_ordinary_household(clock, cast, households):
    case = new_case(households["a"], cast)  # 脱贫户
    refused(check(case, cast, category="edge_vulnerable"), TransitionRefused, "要求户类型为“一般农户”", case)


@pytest.mark.parametrize("household_type", ["exited", "ordinary"])
def test_sudden_hardship_fits_either_household_type(clock, cast, tree, household_type):
    case = new_case(make_household(tree.village_a, household_type=household_type), cast)
    cases.record_check(case, user=cast["village_cadre"], **{**CHECK, "category": "sudden_hardship"})
    assert MonitoringCase.objects.get(pk=case.pk).status == S.CHECKED


def test_category_is_required(clock, cast, households):
    case = new_case(households["a"], cast)
    refused(check(case, cast, category=""), (TransitionRefused, ValidationError), "监测对象类别", case)


def test_six_risks_are_refused(clock, cast, households):
    case = new_case(households["a"], cast)
    six = ["illness", "education", "disability", "accident", "industry_failure", "employment_unstable"]
    refused(check(case, cast, risks=six), TransitionRefused, "最多 5 项", case)
    cases.record_check(case, user=cast["village_cadre"], **{**CHECK, "risks": six[:5]})


def test_duplicate_risks_are_refused(clock, cast, households):
    case = new_case(households["a"], cast)
    refused(check(case, cast, risks=["illness", "illness"]), TransitionRefused, "不能重复", case)


def test_no_risk_is_refused(clock, cast, households):
    case = new_case(households["a"], cast)
    refused(check(case, cast, risks=[]), TransitionRefused, "至少选择一项", case)


def test_natural_disaster_needs_its_sub_item(clock, cast, households):
    case = new_case(households["a"], cast)
    refused(check(case, cast, risks=["natural_disaster"]), TransitionRefused, "因自然灾害子项", case)
    cases.record_check(
        case,
        user=cast["village_cadre"],
        **{**CHECK, "risks": ["natural_disaster"], "disaster_subtype": "flood"},
    )
    assert MonitoringCase.objects.get(pk=case.pk).disaster_subtype == "flood"


def test_other_risk_needs_a_remark(clock, cast, households):
    case = new_case(households["a"], cast)
    refused(check(case, cast, risks=["other"]), TransitionRefused, "风险备注", case)


def test_no_consent_is_refused(clock, cast, households):
    case = new_case(households["a"], cast)
    refused(check(case, cast, consent_signed_on=None), TransitionRefused, "承诺授权书", case)
    refused(
        check(case, cast, consent_signed_on=D0 + dt.timedelta(days=1)),
        TransitionRefused,
        "不能晚于今天",
        case,
    )


def test_check_date_cannot_be_in_the_future(clock, cast, households):
    case = new_case(households["a"], cast)
    refused(check(case, cast, checked_on=D0 + dt.timedelta(days=1)), TransitionRefused, "不能晚于今天", case)


def test_invariants_are_checked_again_at_audit(clock, cast, households):
    """A household re-typed after the check (脱贫户 → 一般农户) no longer fits 脱贫不稳定户 at the audit."""
    household = households["a"]
    case = new_case(household, cast)
    step_to(case, cast, clock, S.NOTICED)
    type(household).objects.filter(pk=household.pk).update(household_type="ordinary", exit_year=None)
    case = MonitoringCase.objects.get(pk=case.pk)
    refused(lambda: cases.audit_case(case, user=cast["township_officer"]), TransitionRefused, "户类型", case)


KNOWN = RiskType.values


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    risks=st.lists(
        st.one_of(st.sampled_from(KNOWN), st.text(min_size=0, max_size=6)), min_size=0, max_size=8
    ),
    subtype=st.sampled_from(["", "flood"]),
    remark=st.sampled_from(["", "   ", "房屋被洪水冲毁"]),
)
def test_any_risk_list_is_accepted_exactly_when_valid(cast, households, risks, subtype, remark):
    """Spec §3.4: 1–5 distinct risks of the 11-value table; 因自然灾害 needs its sub-item, 其他 a remark."""
    valid = (
        1 <= len(risks) <= 5
        and len(set(risks)) == len(risks)
        and all(r in KNOWN for r in risks)
        and ("natural_disaster" not in risks or subtype)
        and ("other" not in risks or remark.strip())
    )
    with transaction.atomic():
        case = cases.open_case(households["a"], user=cast["village_cadre"], channel="cadre")
        call = lambda: cases.record_check(  # noqa: E731
            case,
            user=cast["village_cadre"],
            **{
                **CHECK,
                "checked_on": today(),
                "consent_signed_on": today(),
                "risks": risks,
                "disaster_subtype": subtype,
                "risk_remark": remark,
            },
        )
        if valid:
            call()
            assert MonitoringCase.objects.get(pk=case.pk).risks == risks
        else:
            state = db_state(case)
            with pytest.raises((TransitionRefused, ValidationError)):
                call()
            assert db_state(case) == state
        transaction.set_rollback(True)


# ---------------------------------------------------------------- the village notice


def test_notice_cannot_end_before_day_five(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.NOTICE)  # notice started on D0 = 2026-01-05
    assert MonitoringCase.objects.get(pk=case.pk).notice_days == 5
    clock.shift(dt.timedelta(days=4))  # 2026-01-09: the notice's fifth day is not over
    refused(lambda: cases.end_notice(case, user=cast["village_cadre"]), TransitionRefused, "公示期未满", case)
    clock.shift(dt.timedelta(days=1))  # 2026-01-10
    cases.end_notice(case, user=cast["village_cadre"])
    assert MonitoringCase.objects.get(pk=case.pk).status == S.NOTICED


def test_notice_days_is_a_parameter(clock, cast, tree, households):
    PolicyParameter.objects.create(
        key="notice_days",
        region=tree.county,
        effective_from=dt.date(2025, 1, 1),
        value="7",
        tag="L",
        source="县定",
    )
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.NOTICE)
    assert MonitoringCase.objects.get(pk=case.pk).notice_days == 7
    clock.shift(dt.timedelta(days=6))
    refused(lambda: cases.end_notice(case, user=cast["village_cadre"]), TransitionRefused, "公示期未满", case)
    clock.shift(dt.timedelta(days=1))
    cases.end_notice(case, user=cast["village_cadre"])


def test_notice_cannot_start_in_the_future(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.REVIEWED)
    refused(
        lambda: cases.start_notice(case, user=cast["village_cadre"], start=D0 + dt.timedelta(days=1)),
        TransitionRefused,
        "不能晚于今天",
        case,
    )


def test_pending_objection_blocks_the_end_of_notice(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.NOTICE)
    objection = cases.record_objection(
        case, user=cast["village_cadre"], received_on=today(), content="该户有车辆", raised_by="村民王某"
    )
    clock.shift(dt.timedelta(days=5))
    refused(lambda: cases.end_notice(case, user=cast["village_cadre"]), TransitionRefused, "尚未处理", case)
    refused(
        lambda: cases.handle_objection(
            objection, user=cast["village_cadre"], outcome="dismissed", handling=""
        ),
        ValidationError,
        "核查处理情况",
        case,
    )
    cases.handle_objection(
        objection, user=cast["village_cadre"], outcome="dismissed", handling="车辆为亲属所有，已核实"
    )
    cases.end_notice(case, user=cast["village_cadre"])
    assert MonitoringCase.objects.get(pk=case.pk).status == S.NOTICED


def test_upheld_objection_blocks_the_end_of_notice_and_leads_to_rejection(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.NOTICE)
    objection = cases.record_objection(
        case, user=cast["village_cadre"], received_on=today(), content="有商铺"
    )
    cases.handle_objection(objection, user=cast["village_cadre"], outcome="upheld", handling="核实属实")
    clock.shift(dt.timedelta(days=5))
    refused(lambda: cases.end_notice(case, user=cast["village_cadre"]), TransitionRefused, "异议成立", case)
    cases.reject_case(case, user=cast["village_cadre"], reason="公示异议成立：家庭有商铺经营")
    assert MonitoringCase.objects.get(pk=case.pk).status == S.REJECTED


def test_objections_only_during_a_notice(clock, cast, households):
    case = new_case(households["a"], cast)
    refused(
        lambda: cases.record_objection(case, user=cast["village_cadre"], received_on=today(), content="x"),
        TransitionRefused,
        "只有公示期间",
        case,
    )
    step_to(case, cast, clock, S.NOTICE)
    refused(
        lambda: cases.record_objection(case, user=cast["village_cadre"], received_on=today(), content=" "),
        ValidationError,
        "异议内容",
        case,
    )
    refused(
        lambda: cases.record_objection(case, user=cast["supervisor"], received_on=today(), content="x"),
        PermissionDenied,
        "您没有权限",
        case,
    )


def test_elimination_notice_follows_the_same_convention(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.ELIM_NOTICE)
    start = MonitoringCase.objects.get(pk=case.pk).elim_notice_start
    clock.shift(dt.timedelta(days=4))
    refused(
        lambda: cases.end_elim_notice(case, user=cast["village_cadre"]), TransitionRefused, "公示期未满", case
    )
    objection = cases.record_objection(
        case, user=cast["village_cadre"], received_on=today(), content="仍在住院"
    )
    clock.shift(dt.timedelta(days=1))
    assert today() == start + dt.timedelta(days=5)
    refused(
        lambda: cases.end_elim_notice(case, user=cast["village_cadre"]), TransitionRefused, "尚未处理", case
    )
    cases.handle_objection(objection, user=cast["village_cadre"], outcome="upheld", handling="属实")
    refused(
        lambda: cases.end_elim_notice(case, user=cast["village_cadre"]), TransitionRefused, "异议成立", case
    )
    cases.withdraw_elimination(case, user=cast["village_cadre"], reason="公示异议成立，继续监测")
    assert MonitoringCase.objects.get(pk=case.pk).status == S.MONITORED


# ---------------------------------------------------------------- elimination criteria, each on its own


@pytest.fixture
def monitored(clock, cast, households):
    """A case recorded on 2026-01-10 with a health and an employment measure, the clock on 2026-07-10."""
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.MONITORED)
    add_measures(case, cast)
    clock.move_to(dt.datetime(2026, 7, 10, 10, 0, tzinfo=TZ))
    return case


def propose(case, cast, method="assisted", **changes):
    return lambda: cases.propose_elimination(
        case, user=cast["village_cadre"], method=method, **{**AFTER, **changes}
    )


def failing(case):
    return {c.code for c in elimination.elimination_criteria(case, today()) if not c.passed}


def test_everything_holds_on_the_exact_six_month_day(monitored, cast):
    case = monitored
    for key, value in AFTER.items():
        setattr(case, key, value)
    case.after_per_capita_income = Decimal("18000")  # the service derives it from the net income
    case.elimination_method = "assisted"
    assert failing(case) == set()
    cases.propose_elimination(case, user=cast["village_cadre"], method="assisted", **AFTER)
    assert MonitoringCase.objects.get(pk=case.pk).status == S.ELIM_PROPOSED


def test_less_than_six_months_is_refused_the_day_before(monitored, cast, clock):
    clock.move_to(dt.datetime(2026, 7, 9, 10, 0, tzinfo=TZ))  # recorded 2026-01-10
    err = refused(propose(monitored, cast), TransitionRefused, "监测帮扶满 6 个月", monitored)
    assert "2026-07-10" in " ".join(err.messages)
    assert monitored.after_wage is None and monitored.status == S.MONITORED


def test_no_measure_is_refused(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.MONITORED)
    clock.move_to(dt.datetime(2026, 7, 10, 10, 0, tzinfo=TZ))
    refused(propose(case, cast, method="natural"), TransitionRefused, "至少落实 1 项帮扶措施", case)


def test_assisted_elimination_with_labour_needs_a_developmental_measure(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.MONITORED)
    add_measures(case, cast, categories=(("health", "医疗救助"),))
    clock.move_to(dt.datetime(2026, 7, 10, 10, 0, tzinfo=TZ))
    refused(propose(case, cast, method="assisted"), TransitionRefused, "开发式帮扶", case)
    # 自然消除 does not rest on assistance: the developmental criterion does not apply.
    cases.propose_elimination(case, user=cast["village_cadre"], method="natural", **AFTER)


def test_income_below_the_line_is_refused(monitored, cast):
    # 2 persons, net 16 000 → 8 000 per person, below the 2026 line of 8 600 yuan.
    low = dict(
        after_wage=Decimal("10000"), after_net_income=Decimal("16000"), after_out_of_pocket=Decimal("0")
    )
    refused(propose(monitored, cast, **low), TransitionRefused, "低于监测范围", monitored)


def test_registered_income_below_the_line_is_refused(monitored, cast):
    income = monitored.household.incomes.get(year=2025)
    income.wage = Decimal("10000")
    income.save()
    refused(propose(monitored, cast), TransitionRefused, "低于监测范围", monitored)


def test_rigid_expenditure_over_the_ratio_is_refused(monitored, cast):
    # 80 % of 36 000 is 28 800: 28 800 passes, 28 801 does not.
    refused(
        propose(monitored, cast, after_out_of_pocket=Decimal("28801")),
        TransitionRefused,
        "刚性支出",
        monitored,
    )
    cases.propose_elimination(
        monitored,
        user=cast["village_cadre"],
        method="assisted",
        **{**AFTER, "after_out_of_pocket": Decimal("28800")},
    )


@pytest.mark.parametrize(
    "field, text",
    [
        ("after_dropout", "失学辍学"),
        ("after_uninsured", "未参加基本医疗保险"),
        ("after_housing_damaged", "住房"),
        ("after_water_damaged", "饮水"),
    ],
)
def test_three_guarantees_gap_is_refused(monitored, cast, field, text):
    refused(propose(monitored, cast, **{field: True}), TransitionRefused, text, monitored)


@pytest.mark.parametrize("grade", ["C", "D"])
def test_dangerous_house_is_refused(monitored, cast, grade):
    type(monitored.household).objects.filter(pk=monitored.household_id).update(housing_grade=grade)
    case = MonitoringCase.objects.get(pk=monitored.pk)
    refused(propose(case, cast), TransitionRefused, "住房不安全", case)


def test_unsafe_water_indicator_is_refused(monitored, cast):
    type(monitored.household).objects.filter(pk=monitored.household_id).update(water_quality_ok=False)
    case = MonitoringCase.objects.get(pk=monitored.pk)
    refused(propose(case, cast), TransitionRefused, "饮水安全", case)


@pytest.mark.parametrize("method", ["assisted", "natural"])
def test_whole_household_without_labour_is_never_eliminated(monitored, cast, method):
    Person.objects.filter(household=monitored.household).update(labour_skill="lost")
    case = MonitoringCase.objects.get(pk=monitored.pk)
    refused(propose(case, cast, method=method), TransitionRefused, "整户无劳动能力", case)


@pytest.mark.parametrize("missing", list(MonitoringCase.AFTER_FIELDS))
def test_every_post_elimination_field_is_mandatory(monitored, cast, missing):
    after = {k: v for k, v in AFTER.items() if k != missing}
    if missing == "after_per_capita_income":
        after["after_per_capita_income"] = None
    label = str(MonitoringCase._meta.get_field(missing).verbose_name)
    refused(
        lambda: cases.propose_elimination(monitored, user=cast["village_cadre"], method="assisted", **after),
        TransitionRefused,
        label,
        monitored,
    )


def test_elimination_method_is_required(monitored, cast):
    refused(propose(monitored, cast, method=""), TransitionRefused, "风险消除方式", monitored)


def test_net_income_must_follow_its_items(monitored, cast):
    refused(
        propose(monitored, cast, after_net_income=Decimal("40000")), TransitionRefused, "不一致", monitored
    )


def test_criteria_are_checked_again_by_the_township_and_the_county(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.ELIM_NOTICED)
    type(case.household).objects.filter(pk=case.household_id).update(housing_grade="D")
    case = MonitoringCase.objects.get(pk=case.pk)
    refused(
        lambda: cases.check_elimination(case, user=cast["township_officer"]), TransitionRefused, "住房", case
    )
    type(case.household).objects.filter(pk=case.household_id).update(housing_grade="B")
    case = MonitoringCase.objects.get(pk=case.pk)
    cases.check_elimination(case, user=cast["township_officer"])
    Person.objects.filter(household=case.household).update(labour_skill="none")
    case = MonitoringCase.objects.get(pk=case.pk)
    refused(
        lambda: cases.approve_elimination(case, user=cast["county_officer"]),
        TransitionRefused,
        "整户无劳动能力",
        case,
    )


def test_criteria_explain_each_pass_and_fail(monitored):
    case = monitored
    case.elimination_method = "assisted"
    criteria = elimination.elimination_criteria(case, today())
    by_code = {c.code: c for c in criteria}
    assert not by_code["after_fields"].passed and "风险消除后" in by_code["after_fields"].reason
    assert by_code["months"].passed and "2026-01-10" in by_code["months"].reason
    assert by_code["measures"].passed and "2" in by_code["measures"].reason
    assert all(c.title and c.reason for c in criteria)


# ---------------------------------------------------------------- one open case per household; cancelled


def test_a_household_with_an_open_case_cannot_get_another(clock, cast, households):
    case = new_case(households["a"], cast)
    refused(lambda: new_case(households["a"], cast), TransitionRefused, "不能重复登记")
    step_to(case, cast, clock, S.MONITORED)
    refused(
        lambda: cases.open_case(households["a"], user=cast["county_officer"], channel="department"),
        TransitionRefused,
        "不能重复登记",
    )


def test_a_cancelled_household_gets_no_clue(clock, cast, households):
    cancel_household(households["a"], user=cast["county_officer"], reason="全户迁出")
    refused(lambda: new_case(households["a"], cast), TransitionRefused, "已注销")


@pytest.mark.parametrize("status", [S.CLUE, S.NOTICED, S.AUDITED, S.ANNOUNCED])
def test_a_household_cancelled_during_identification_is_not_enrolled(clock, cast, households, status):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, status)
    cancel_household(households["a"], user=cast["county_officer"], reason="全户迁出")
    case = MonitoringCase.objects.get(pk=case.pk)
    calls = {
        S.CLUE: lambda: cases.record_check(case, user=cast["village_cadre"], **CHECK),
        S.NOTICED: lambda: cases.audit_case(case, user=cast["township_officer"]),
        S.AUDITED: lambda: cases.approve_case(case, user=cast["county_officer"]),
        S.ANNOUNCED: lambda: cases.record_case(case, user=cast["county_officer"]),
    }
    if status == S.ANNOUNCED:
        cases.assign_cadre(case, user=cast["township_officer"], cadre=cast["village_cadre"], contact="张建国")
    refused(calls[status], TransitionRefused, "已注销", case)


def test_recording_needs_a_cadre_and_a_contact(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.ANNOUNCED)
    refused(
        lambda: cases.record_case(case, user=cast["county_officer"]), TransitionRefused, "帮扶责任人", case
    )
    cases.assign_cadre(case, user=cast["township_officer"], cadre=cast["village_cadre"])
    refused(
        lambda: cases.record_case(case, user=cast["county_officer"]), TransitionRefused, "监测联系人", case
    )


# ---------------------------------------------------------------- dates must follow the order of the steps


def test_notice_cannot_start_before_the_review(clock, cast, households):
    """A notice publishes the review's result: backdating it before the review would let it end at once."""
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.REVIEWED)  # reviewed on D0
    refused(
        lambda: cases.start_notice(case, user=cast["village_cadre"], start=D0 - dt.timedelta(days=5)),
        TransitionRefused,
        "公示",
        case,
    )


def test_review_cannot_precede_the_household_check(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.COMPARED)  # checked on D0
    refused(
        lambda: cases.record_review(
            case, user=cast["village_cadre"], reviewed_on=D0 - dt.timedelta(days=1), minutes="同意"
        ),
        TransitionRefused,
        "评议日期",
        case,
    )


def test_elimination_needs_a_measure_for_the_identified_risk(clock, cast, households):
    """Spec §3.9: "identified ≥ 6 months and with ≥ 1 measure for the identified risk can start elimination".
    An illness risk answered by an employment measure alone is not enough."""
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.MONITORED)
    add_measures(case, cast, categories=(("employment", "转移就业"),))
    clock.move_to(dt.datetime(2026, 7, 10, 10, 0, tzinfo=TZ))
    refused(propose(case, cast), TransitionRefused, "不符合风险消除条件", case)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    flags=st.fixed_dictionaries(
        {
            "after_dropout": st.booleans(),
            "after_housing_damaged": st.booleans(),
            "after_uninsured": st.booleans(),
            "after_water_damaged": st.booleans(),
        }
    ),
    out_of_pocket=st.integers(min_value=0, max_value=40000),
)
def test_any_post_elimination_snapshot_is_accepted_exactly_when_criteria_hold(
    monitored, cast, flags, out_of_pocket
):
    """With income well above the line: accepted iff no 三保障/water gap and out-of-pocket ≤ 80 % of net income."""
    ok = not any(flags.values()) and out_of_pocket <= 28800
    with transaction.atomic():
        case = MonitoringCase.objects.get(pk=monitored.pk)
        call = propose(case, cast, after_out_of_pocket=Decimal(out_of_pocket), **flags)
        if ok:
            call()
            assert MonitoringCase.objects.get(pk=case.pk).status == S.ELIM_PROPOSED
        else:
            state = db_state(case)
            with pytest.raises(TransitionRefused, match="不符合风险消除条件"):
                call()
            assert db_state(case) == state
        transaction.set_rollback(True)
