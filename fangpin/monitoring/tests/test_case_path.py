"""The whole path through the services: a warning becomes a clue, the household is enrolled, assisted and its
risk eliminated, each step by the role that owns it, on the days the rules allow."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from fangpin.assistance import services as assistance
from fangpin.core.models import StatusChange
from fangpin.core.workflow import TransitionRefused
from fangpin.monitoring import services
from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.services import cases, elimination, followup
from fangpin.monitoring.tests.test_case_services import AFTER

S = MonitoringCase.Status
DAY0 = dt.datetime(2026, 1, 5, 9, 0)


@pytest.fixture
def params(tree):
    services.load_default_parameters()


def enrol(case, cast, traveller):
    """Take `case` from clue to monitored; `traveller` moves the clock."""
    village, township, county = cast["village_cadre"], cast["township_officer"], cast["county_officer"]
    cases.record_check(
        case,
        user=village,
        category="unstable_exited",
        risks=["illness"],
        checked_on=dt.date(2026, 1, 5),
        consent_signed_on=dt.date(2026, 1, 5),
        housing_unsafe=False,
        dropout=False,
        uninsured_member=False,
        water_unsafe=False,
    )
    cases.record_comparison(case, user=county, result="比对无异常")
    cases.record_review(
        case, user=village, reviewed_on=dt.date(2026, 1, 5), minutes="村民代表会议一致同意纳入"
    )
    cases.start_notice(case, user=village)
    traveller.shift(dt.timedelta(days=5))
    cases.end_notice(case, user=village)
    cases.audit_case(case, user=township)
    cases.approve_case(case, user=county)
    cases.announce_case(case, user=township)
    cases.assign_cadre(case, user=township, cadre=village, contact="张建国", contact_phone="13972100001")
    cases.record_case(case, user=county)
    return case


def test_warning_to_eliminated(params, cast, households):
    household = households["a"]
    with time_machine.travel(DAY0, tick=False) as traveller:
        case = cases.open_case(household, user=cast["village_cadre"], channel="cadre", clue_note="走访发现")
        enrol(case, cast, traveller)
        case.refresh_from_db()
        assert case.status == S.MONITORED
        assert case.identified_month == "202601"
        assert case.income_year == 2025 and case.per_capita_income == household.per_capita_income

        traveller.shift(dt.timedelta(days=40))
        alerts = {a.code for a in followup.assistance_alerts(case, dt.date.today())}
        assert alerts == {"no_measure"}
        assistance.add_measure(
            case,
            user=cast["medical_officer"],
            category="health",
            subtype="医疗救助",
            amount=Decimal("3000"),
            start_on=dt.date.today(),
            provider="县医保局",
        )
        assistance.add_measure(
            case,
            user=cast["township_officer"],
            category="employment",
            subtype="转移就业",
            start_on=dt.date.today(),
            provider="县人社局",
        )
        assert followup.assistance_alerts(case, dt.date.today()) == []

        after = dict(AFTER)
        with pytest.raises(TransitionRefused, match="监测帮扶满 6 个月"):
            cases.propose_elimination(case, user=cast["village_cadre"], method="assisted", **after)
        assert MonitoringCase.objects.get(pk=case.pk).status == S.MONITORED
        assert case.after_wage is None  # a refused step leaves the object as it was

        traveller.shift(dt.timedelta(days=160))
        for key, value in after.items():
            setattr(case, key, value)
        case.after_per_capita_income = Decimal("18000")
        failed = [c for c in elimination.elimination_criteria(case, dt.date.today()) if not c.passed]
        assert failed == []
        cases.propose_elimination(case, user=cast["village_cadre"], method="assisted", **after)
        assert case.after_per_capita_income == Decimal("18000.00")
        cases.record_elim_review(
            case, user=cast["village_cadre"], reviewed_on=dt.date.today(), minutes="评议通过"
        )
        cases.start_elim_notice(case, user=cast["village_cadre"])
        with pytest.raises(TransitionRefused, match="公示期未满"):
            cases.end_elim_notice(case, user=cast["village_cadre"])
        traveller.shift(dt.timedelta(days=5))
        cases.end_elim_notice(case, user=cast["village_cadre"])
        cases.check_elimination(case, user=cast["township_officer"])
        cases.approve_elimination(case, user=cast["county_officer"])
        case.refresh_from_db()
        assert case.status == S.ELIMINATED and case.eliminated_month == "202608"

        # A new risk later opens a new case that keeps the history.
        again = cases.open_case(household, user=cast["village_cadre"], channel="self_report")
        assert again.previous_case == case
    steps = list(
        StatusChange.objects.filter(object_id=case.pk, content_type__model="monitoringcase").values_list(
            "transition", flat=True
        )
    )
    assert steps == [
        "open", "check", "compare", "review", "start_notice", "end_notice", "audit", "approve", "announce", "record",
        "propose_elimination", "elim_review", "elim_start_notice", "elim_end_notice", "elim_check", "elim_approve",
    ]  # fmt: skip
