"""The alerts of spec §3.5, §3.7 and §3.8 fire on the right day, with the clock frozen (time_machine): no measure
one month after identification, labour but no developmental measure after six months, a measure that does not
answer a risk, identification steps past their limits, and visits due by risk tier.

The case used here is recorded (录入) on 2026-01-10, so "one month later" is 2026-02-10 and "six months later"
2026-07-10; the day before each of those is quiet.
"""

from __future__ import annotations

import datetime as dt

import pytest

from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.services import cases, followup
from fangpin.monitoring.tests.test_case_services import (
    CHECK,
    D0,
    RECORDED,
    TZ,
    S,
    add_measures,
    frozen_clock,
    make_warning,
    new_case,
    step_to,
    today,
)
from fangpin.registry.models import Person


@pytest.fixture
def clock(tree):
    yield from frozen_clock()


def at(clock, day: dt.date) -> dt.date:
    clock.move_to(dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=TZ))
    return today()


def codes(case) -> set[str]:
    case = MonitoringCase.objects.get(pk=case.pk)
    return {a.code for a in followup.assistance_alerts(case, today())}


@pytest.fixture
def enrolled(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.MONITORED)
    assert MonitoringCase.objects.get(pk=case.pk).recorded_on == RECORDED == dt.date(2026, 1, 10)
    return case


# ---------------------------------------------------------------- no measure one month after identification


def test_no_measure_alert_fires_exactly_one_month_after_identification(enrolled, clock, cast):
    at(clock, dt.date(2026, 2, 9))
    assert "no_measure" not in codes(enrolled)
    assert not [
        c for c, _ in followup.worklist(cast["township_officer"], today()).alerts if c.pk == enrolled.pk
    ]
    at(clock, dt.date(2026, 2, 10))
    assert "no_measure" in codes(enrolled)
    listed = dict(followup.worklist(cast["township_officer"], today()).alerts)
    assert any(a.code == "no_measure" for a in listed[MonitoringCase.objects.get(pk=enrolled.pk)])
    # The other county does not see it on its worklist.
    assert not followup.worklist(cast["outsider"], today()).alerts


def test_no_measure_alert_clears_once_a_measure_is_recorded(enrolled, clock, cast):
    at(clock, dt.date(2026, 3, 1))
    assert "no_measure" in codes(enrolled)
    add_measures(enrolled, cast)
    assert codes(enrolled) == set()


def test_alerts_are_only_for_enrolled_cases(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.ANNOUNCED)
    at(clock, dt.date(2026, 12, 1))
    assert codes(case) == set()


# ---------------------------------------------------------------- labour without a developmental measure


def test_no_developmental_measure_alert_fires_at_six_months(enrolled, clock, cast):
    add_measures(enrolled, cast, categories=(("health", "医疗救助"),))
    at(clock, dt.date(2026, 7, 9))
    assert "no_developmental" not in codes(enrolled)
    at(clock, dt.date(2026, 7, 10))
    assert "no_developmental" in codes(enrolled)
    add_measures(enrolled, cast, categories=(("public_post", "村级公益岗"),))
    assert "no_developmental" not in codes(enrolled)


def test_no_developmental_alert_skips_a_household_without_labour(enrolled, clock, cast):
    Person.objects.filter(household=enrolled.household).update(labour_skill="none")
    add_measures(enrolled, cast, categories=(("comprehensive", "纳入低保"),))
    at(clock, dt.date(2026, 12, 31))
    assert "no_developmental" not in codes(enrolled)


def test_weak_labour_counts_as_labour(enrolled, clock, cast):
    Person.objects.filter(household=enrolled.household).update(labour_skill="none")
    Person.objects.filter(household=enrolled.household, relation="head").update(labour_skill="weak")
    add_measures(enrolled, cast, categories=(("health", "医疗救助"),))
    at(clock, dt.date(2026, 7, 10))
    assert "no_developmental" in codes(enrolled)


# ---------------------------------------------------------------- a measure must answer the risk

MATCHES = {
    "illness": {"health": "医疗救助", "social": "社会捐赠", "comprehensive": "纳入低保"},
    "education": {"compulsory_edu": "控辍保学劝返", "other_edu": "雨露计划", "social": "结对帮扶"},
    "housing_unsafe": {"housing": "危房改造", "relocation": "易地扶贫搬迁"},
    "water_unsafe": {"water": "集中供水工程"},
}


@pytest.mark.parametrize("risk", list(MATCHES))
def test_a_measure_that_does_not_answer_the_risk_is_flagged(clock, cast, households, risk):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.MONITORED, check={**CHECK, "risks": [risk]})
    add_measures(case, cast, categories=(("industry", "种植业"),))
    at(clock, dt.date(2026, 2, 10))
    alerts = followup.assistance_alerts(MonitoringCase.objects.get(pk=case.pk), today())
    mismatch = [a for a in alerts if a.code == "risk_mismatch"]
    assert len(mismatch) == 1, alerts


@pytest.mark.parametrize("risk, category", [(r, c) for r, cs in MATCHES.items() for c in cs])
def test_a_matching_measure_answers_the_risk(clock, cast, households, risk, category):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.MONITORED, check={**CHECK, "risks": [risk]})
    add_measures(case, cast, categories=((category, MATCHES[risk][category]), ("employment", "转移就业")))
    at(clock, dt.date(2026, 8, 1))
    assert codes(case) == set()


def test_each_unanswered_risk_is_named(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.MONITORED, check={**CHECK, "risks": ["illness", "water_unsafe", "accident"]})
    add_measures(case, cast, categories=(("health", "大病保险"),))
    at(clock, dt.date(2026, 2, 10))
    alerts = [a for a in followup.assistance_alerts(case, today()) if a.code == "risk_mismatch"]
    assert len(alerts) == 1 and "因安全饮水" in alerts[0].detail and "饮水安全保障" in alerts[0].detail


# ---------------------------------------------------------------- overdue identification steps


def overdue(case, day=None):
    return followup.overdue_reasons(MonitoringCase.objects.get(pk=case.pk), day or today())


def test_clue_not_checked_within_its_limit_is_overdue(clock, cast, households):
    case = new_case(households["a"], cast)  # step_days_clue = 3
    at(clock, D0 + dt.timedelta(days=3))
    assert overdue(case) == []
    assert not followup.worklist(cast["village_cadre"], today()).overdue
    at(clock, D0 + dt.timedelta(days=4))
    [reason] = overdue(case)
    assert "超过时限 3 天" in reason
    listed = dict(followup.worklist(cast["village_cadre"], today()).overdue)
    assert list(listed) == [MonitoringCase.objects.get(pk=case.pk)]
    assert not followup.worklist(cast["village_cadre_b"], today()).overdue


def test_each_step_limit_counts_from_entering_the_step(clock, cast, households):
    case = new_case(households["a"], cast)
    at(clock, D0 + dt.timedelta(days=2))
    step_to(case, cast, clock, S.CHECKED)  # entered 2026-01-07; step_days_checked = 5
    at(clock, D0 + dt.timedelta(days=7))
    assert overdue(case) == []
    at(clock, D0 + dt.timedelta(days=8))
    assert any("超过时限 5 天" in r for r in overdue(case))


def test_whole_identification_deadline(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.NOTICE)  # left on notice: its own step limit fires too, checked elsewhere
    at(clock, D0 + dt.timedelta(days=20))
    assert not any("全程时限" in r for r in overdue(case))
    at(clock, D0 + dt.timedelta(days=21))
    assert any("超过全程时限 20 天" in r for r in overdue(case))


def test_enrolled_cases_are_not_overdue(enrolled, clock):
    at(clock, dt.date(2026, 6, 1))
    assert overdue(enrolled) == []


# ---------------------------------------------------------------- visits by risk tier


@pytest.mark.parametrize("tier, days", [("high", 30), ("medium", 60), ("low", 90)])
def test_unvisited_from_the_day_after_the_visit_is_due(clock, cast, households, tier, days):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.MONITORED, check={**CHECK, "risk_tier": tier})
    due = RECORDED + dt.timedelta(days=days)
    at(clock, due)
    assert followup.visit_due(MonitoringCase.objects.get(pk=case.pk), today()) == (due, 0)
    assert followup.unvisited(cast["village_cadre"], today()) == []
    at(clock, due + dt.timedelta(days=1))
    [(listed, listed_due, late)] = followup.unvisited(cast["village_cadre"], today())
    assert (listed.pk, listed_due, late) == (case.pk, due, 1)
    assert followup.unvisited(cast["village_cadre_b"], today()) == []


def test_a_visit_restarts_the_period(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.MONITORED, check={**CHECK, "risk_tier": "high"})
    at(clock, dt.date(2026, 2, 1))
    cases.add_visit(case, user=cast["village_cadre"], visited_on=today(), method="home", findings="已出院")
    at(clock, dt.date(2026, 3, 3))
    assert followup.unvisited(cast["township_officer"], today()) == []
    at(clock, dt.date(2026, 3, 4))
    assert [row[0].pk for row in followup.unvisited(cast["township_officer"], today())] == [case.pk]


# ---------------------------------------------------------------- worklists


def test_worklist_shows_the_step_waiting_for_each_role(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.AUDITED)

    def waiting(name):
        return {c.pk: steps for c, steps in followup.worklist(cast[name], today()).waiting}

    assert waiting("county_officer") == {case.pk: ["县级审定通过"]}
    assert waiting("township_officer") == {}
    assert waiting("village_cadre") == {}
    assert waiting("outsider") == {}


def test_worklist_counts_new_warnings_without_a_case(clock, cast, households):
    warning = make_warning(households["a"])
    make_warning(households["b"], "JC-02")
    assert followup.worklist(cast["village_cadre"], today()).warnings_without_case == 1
    assert followup.worklist(cast["township_officer"], today()).warnings_without_case == 2
    assert followup.worklist(cast["village_cadre"], today()).new_warnings == 1
    cases.clues_from_warnings([warning], user=cast["village_cadre"])
    assert followup.worklist(cast["village_cadre"], today()).warnings_without_case == 0
