"""Review findings, each pinned by a test: a planned measure has not helped yet; an objection is decided once,
during its notice; the worklist costs a constant number of queries; a notice nobody closes is flagged; a
household cancelled during elimination is not eliminated; warning links are logged; a cadre refusal names
nobody."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangpin.assistance import services as assistance
from fangpin.core.models import ObjectChange
from fangpin.core.testing import make_household
from fangpin.core.workflow import ConcurrentChange, TransitionRefused
from fangpin.monitoring.models import CaseObjection, MonitoringCase
from fangpin.monitoring.services import cases, elimination, followup
from fangpin.monitoring.tests.test_case_services import (
    AFTER,
    frozen_clock,
    make_warning,
    new_case,
    step_to,
    today,
)

S = MonitoringCase.Status


@pytest.fixture
def clock(tree):
    yield from frozen_clock()


def test_a_measure_that_has_not_started_does_not_count(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.MONITORED)
    clock.shift(dt.timedelta(days=200))
    later = today() + dt.timedelta(days=30)
    for category, subtype in (("health", "医疗救助"), ("employment", "转移就业")):
        assistance.add_measure(
            case,
            user=cast["township_officer"],
            category=category,
            subtype=subtype,
            start_on=later,
            provider="县直",
        )
    assert {a.code for a in followup.assistance_alerts(case, today())} >= {"no_measure", "no_developmental"}
    for key, value in AFTER.items():
        setattr(case, key, value)
    failed = {c.code: c.reason for c in elimination.elimination_criteria(case, today()) if not c.passed}
    assert "measures" in failed and "尚未开始" in failed["measures"]
    with pytest.raises(TransitionRefused, match="至少落实 1 项帮扶措施"):
        cases.propose_elimination(
            MonitoringCase.objects.get(pk=case.pk), user=cast["village_cadre"], method="assisted", **AFTER
        )
    assert followup.assistance_alerts(case, later) == []  # from its first day it counts


def _on_notice_with_objection(case, cast, clock):
    step_to(case, cast, clock, S.NOTICE)
    return cases.record_objection(case, user=cast["village_cadre"], received_on=today(), content="收入不实")


def test_an_objection_is_decided_once(clock, cast, households):
    case = new_case(households["a"], cast)
    objection = _on_notice_with_objection(case, cast, clock)
    stale = CaseObjection.objects.get(pk=objection.pk)
    cases.handle_objection(objection, user=cast["village_cadre"], outcome="upheld", handling="核实属实")
    with pytest.raises(TransitionRefused, match="已处理"):
        cases.handle_objection(objection, user=cast["village_cadre"], outcome="dismissed", handling="改判")
    with pytest.raises(ConcurrentChange, match="已被他人处理"):
        cases.handle_objection(stale, user=cast["village_cadre"], outcome="dismissed", handling="同时")
    assert CaseObjection.objects.get(pk=objection.pk).outcome == "upheld"


def test_an_objection_is_dated_within_its_notice(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.NOTICE)
    for day in (today() + dt.timedelta(days=1), case.notice_start - dt.timedelta(days=1)):
        with pytest.raises(ValidationError, match="公示开始日期"):
            cases.record_objection(case, user=cast["village_cadre"], received_on=day, content="异议")
    assert not case.objections.exists()


def test_an_objection_cannot_be_decided_after_its_notice(clock, cast, households):
    case = new_case(households["a"], cast)
    objection = _on_notice_with_objection(case, cast, clock)
    cases.reject_case(case, user=cast["village_cadre"], reason="经核实不符合条件")
    with pytest.raises(TransitionRefused, match="公示已结束"):
        cases.handle_objection(objection, user=cast["village_cadre"], outcome="dismissed", handling="补记")


def test_the_worklist_costs_the_same_for_many_cases(clock, cast, tree):
    def build(n):
        for _ in range(n):
            case = new_case(make_household(tree.village_a), cast)
            step_to(case, cast, clock, S.MONITORED)
        clock.shift(dt.timedelta(days=40))

    def count():
        with CaptureQueriesContext(connection) as queries:
            work = followup.worklist(cast["county_officer"], today())
        return len(queries), work

    build(2)
    few, work = count()
    assert len(work.alerts) == 2
    build(6)
    many, work = count()
    assert len(work.alerts) == 8
    assert many == few


def test_a_notice_nobody_closes_is_overdue(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.NOTICE)
    ends = case.notice_start + dt.timedelta(days=case.notice_days)
    assert followup.overdue_reasons(case, ends + dt.timedelta(days=2)) == []
    reasons = followup.overdue_reasons(case, ends + dt.timedelta(days=3))
    assert any("未结束公示" in r for r in reasons)


def test_a_household_cancelled_during_elimination_is_not_eliminated(clock, cast, households):
    household = households["a"]
    case = new_case(household, cast)
    step_to(case, cast, clock, S.ELIM_CHECKED)
    household.refresh_from_db()
    type(household).WORKFLOW.apply(household, "cancel", user=cast["county_officer"], comment="迁出")
    with pytest.raises(TransitionRefused, match="已注销"):
        cases.approve_elimination(case, user=cast["county_officer"])
    assert MonitoringCase.objects.get(pk=case.pk).status == S.ELIM_CHECKED


def test_linking_warnings_is_logged(clock, cast, households):
    household = households["a"]
    first = make_warning(household, code="JC-01")
    case = cases.open_case(household, user=cast["village_cadre"], channel="department", warnings=[first])
    second = make_warning(household, code="JC-02", title="收入骤减")
    cases.clues_from_warnings([second], user=cast["village_cadre"])
    logged = ObjectChange.objects.filter(object_repr__startswith=f"监测对象 #{case.pk} 关联预警")
    assert [entry.after["ids"] for entry in logged.order_by("id")] == [[first.pk], [second.pk]]
    assert all(entry.user == cast["village_cadre"] for entry in logged)


def test_a_cadre_refusal_names_nobody(clock, cast, households):
    case = new_case(households["a"], cast)
    with pytest.raises(ValidationError) as refused:
        cases.assign_cadre(case, user=cast["township_officer"], cadre=cast["outsider"])
    assert "outsider" not in str(refused.value) and "不存在" in str(refused.value)
