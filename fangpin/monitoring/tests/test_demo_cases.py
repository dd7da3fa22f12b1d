"""`fangpin demo-cases`: a village's worth of cases in every stage, each made by the services and consistent."""

import datetime as dt
from collections import Counter

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone

from fangpin.accounts.models import User
from fangpin.assistance.choices import RISK_MEASURES
from fangpin.assistance.models import AssistanceMeasure
from fangpin.core.models import ObjectChange, StatusChange
from fangpin.monitoring.models import CaseObjection, MonitoringCase, Visit
from fangpin.monitoring.services import followup
from fangpin.monitoring.services.elimination import add_months, elimination_criteria
from fangpin.monitoring.services.workflow import CASE_WORKFLOW

S = MonitoringCase.Status
COUNTY = "421223"


@pytest.fixture
def demo(db):
    """A synthetic village (Chongyang), its demo accounts, a screening, then the demo cases."""
    call_command("load_regions", verbosity=0)
    call_command("load_parameters", verbosity=0)
    call_command(
        "synth", "--scale", "village", "--seed", "2", "--households-per-village", "260", "--no-datasets"
    )
    call_command("demo_users", "--county", COUNTY)
    call_command("screen", "--region", COUNTY)
    call_command("demo_cases", "--region", COUNTY, "--share", "1")
    return timezone.localdate()


def timeline(case):
    kind = ContentType.objects.get_for_model(MonitoringCase)
    return list(StatusChange.objects.filter(content_type=kind, object_id=case.pk).order_by("time", "id"))


def test_cases_in_every_stage_each_consistent(demo):
    today = demo
    all_cases = list(MonitoringCase.objects.select_related("household__region", "cadre"))
    statuses = Counter(c.status for c in all_cases)
    assert set(statuses) == set(S.values), f"missing: {set(S.values) - set(statuses)}"
    assert statuses[S.MONITORED] > len(all_cases) / 2  # most are being assisted

    for case in all_cases:
        changes = timeline(case)
        # The timeline, in time order, leads from the clue to the case's status, each step by its owner.
        assert changes[0].transition == "open" and changes[0].to_status == S.CLUE
        for before, after in zip(changes, changes[1:], strict=False):
            assert after.from_status == before.to_status, case.pk
        assert changes[-1].to_status == case.status
        assert changes[-1].time == case.stage_entered_at
        assert changes[0].time == case.created_at <= case.stage_entered_at <= timezone.now()
        for change in changes[1:]:
            assert change.user.has_perm(CASE_WORKFLOW.by_name[change.transition].permission)
        dates = [case.created_at.date(), case.checked_on, case.reviewed_on, case.notice_start, case.announced_on,
                 case.recorded_on]  # fmt: skip
        present = [d for d in dates if d]
        assert present == sorted(present) and present[-1] <= today, case.pk
        if case.status in (*MonitoringCase.ENROLLED, S.ELIMINATED):
            assert case.cadre is not None and case.monitoring_contact
            assert case.identified_month == f"{case.recorded_on:%Y%m}"
            assert case.notice_start + dt.timedelta(days=case.notice_days) <= case.recorded_on
        if case.channel == "department":
            assert case.warnings.exists()
            assert all(w.first_seen_at <= case.created_at for w in case.warnings.all())

    # Spread over time, not all made today.
    enrolled = [c for c in all_cases if c.status in MonitoringCase.ENROLLED]
    assert len({c.identified_month for c in enrolled}) >= 4
    assert min(c.created_at for c in all_cases).date() < today - dt.timedelta(days=180)

    # Measures: eliminated and eliminating households all have them; most monitored ones match their risks.
    for case in enrolled + [c for c in all_cases if c.status == S.ELIMINATED]:
        measures = list(case.measures.all())
        alerts = {a.code for a in followup.assistance_alerts(case, today)}
        if case.status != S.MONITORED:
            assert measures
        elif not measures:
            assert "no_measure" in alerts or case.recorded_on > add_months(today, -1)
        for risk in case.risks:
            wanted = RISK_MEASURES.get(risk)
            if measures and wanted and not {m.category for m in measures} & wanted:
                assert "risk_mismatch" in alerts
        assert all(m.start_on >= case.recorded_on and m.start_on <= today for m in measures)
        assert all(v.visited_on >= case.recorded_on and v.visited_on <= today for v in case.visits.all())


def test_elimination_only_for_eligible_households(demo):
    today = demo
    finished = MonitoringCase.objects.filter(status__in=[S.ELIMINATED, *MonitoringCase.ELIMINATING])
    assert finished.filter(status=S.ELIMINATED).exists()
    for case in finished.select_related("household"):
        assert not case.whole_household_no_labour
        assert case.elimination_proposed_on >= add_months(case.recorded_on, 6)
        failed = [c.title for c in elimination_criteria(case, today) if not c.passed]
        assert failed == [], (case.pk, failed)
        if case.status == S.ELIMINATED:
            assert case.eliminated_month == f"{case.eliminated_on:%Y%m}"


def test_worklists_have_something_to_show(demo):
    today = demo
    county = User.objects.get(username="demo_county")
    work = followup.worklist(county, today)
    assert work.overdue and work.alerts and work.unvisited
    assert {a.code for _, alerts in work.alerts for a in alerts} >= {"no_measure", "risk_mismatch"}
    assert CaseObjection.objects.filter(outcome="pending", case__status=S.NOTICE).exists()
    assert CaseObjection.objects.filter(outcome="upheld", case__status=S.REJECTED).exists()
    demo_village = User.objects.get(username="demo_village")
    assert followup.worklist(demo_village, today).waiting  # the demo login has steps waiting for it


def test_dates_moved_back_are_on_record_and_rerun_adds_nothing(demo):
    bulk = ObjectChange.objects.filter(source="command:demo-cases", action="update", object_id__isnull=True)
    moved = {change.content_type.model for change in bulk}
    assert {"monitoringcase", "statuschange", "assistancemeasure", "visit"} <= moved
    counts = [m.objects.count() for m in (MonitoringCase, StatusChange, AssistanceMeasure, Visit, User)]
    call_command("demo_cases", "--region", COUNTY, "--share", "1")
    assert [
        m.objects.count() for m in (MonitoringCase, StatusChange, AssistanceMeasure, Visit, User)
    ] == counts
