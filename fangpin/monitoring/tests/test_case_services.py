"""The monitoring-case services, tested from issue #5 and spec §3.7–§3.9: every step leaves exactly one
StatusChange and a change-log entry, warnings become clues (one or a village's in bulk), a new risk on an
eliminated household opens a new case that keeps the history, and cadres are reassigned all or nothing.

The helpers at the top (clock, drive, AFTER, db_state) are shared by the other case-test modules.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from fangpin.accounts.services import create_user
from fangpin.assistance import services as assistance
from fangpin.assistance.models import AssistanceMeasure
from fangpin.core.models import ObjectChange, StatusChange
from fangpin.core.testing import PASSWORD, make_household
from fangpin.core.workflow import TransitionRefused
from fangpin.monitoring import services
from fangpin.monitoring.models import CaseObjection, MonitoringCase, ScreeningRun, Visit, Warning
from fangpin.monitoring.services import cases

S = MonitoringCase.Status
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
# Monday 5 January 2026, mid-morning in Xianning: far from midnight, so UTC and local dates agree.
DAY0 = dt.datetime(2026, 1, 5, 10, 0, tzinfo=TZ)
D0 = DAY0.date()
# With the default path below the case is recorded (录入, identification month) on D0 + 5 days.
RECORDED = D0 + dt.timedelta(days=5)

CHECK = dict(
    category="unstable_exited",
    risks=["illness"],
    checked_on=D0,
    consent_signed_on=D0,
    housing_unsafe=False,
    dropout=False,
    uninsured_member=False,
    water_unsafe=False,
)
# Post-elimination indicators of a two-person household that passes every criterion: per-capita 18 000 yuan
# (above the 2026 line), out-of-pocket 2 000 yuan (far below 80 % of the net income).
AFTER = dict(
    after_dropout=False,
    after_housing_damaged=False,
    after_uninsured=False,
    after_water_damaged=False,
    after_wage=Decimal("30000"),
    after_property=Decimal("0"),
    after_transfer=Decimal("2000"),
    after_business=Decimal("5000"),
    after_business_cost=Decimal("1000"),
    after_net_income=Decimal("36000"),
    after_claims_income=Decimal("0"),
    after_out_of_pocket=Decimal("2000"),
)

ORDER = [
    S.CLUE, S.CHECKED, S.COMPARED, S.REVIEWED, S.NOTICE, S.NOTICED, S.AUDITED, S.APPROVED, S.ANNOUNCED,
    S.MONITORED, S.ELIM_PROPOSED, S.ELIM_REVIEWED, S.ELIM_NOTICE, S.ELIM_NOTICED, S.ELIM_CHECKED, S.ELIMINATED,
]  # fmt: skip


def frozen_clock():
    """Load the default parameters (the tree must exist) and freeze time at DAY0; yields the traveller, which
    tests move with .shift / .move_to. Each case-test module wraps it in its own `clock` fixture."""
    services.load_default_parameters()
    with time_machine.travel(DAY0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def clock(tree):
    yield from frozen_clock()


def today() -> dt.date:
    return timezone.localdate()


def step_to(case, cast, clock, target, *, check=None, method="assisted", after=None):
    """Drive `case` forward with the owner of each step until it reaches `target`. Moves the clock over the
    notice periods (5 days each) and, before proposing elimination, to six months after recording."""
    village, township, county = cast["village_cadre"], cast["township_officer"], cast["county_officer"]
    steps = {
        S.CLUE: lambda: cases.record_check(case, user=village, **(check or CHECK)),
        S.CHECKED: lambda: cases.record_comparison(case, user=county, result="比对无异常"),
        S.COMPARED: lambda: cases.record_review(case, user=village, reviewed_on=today(), minutes="同意纳入"),
        S.REVIEWED: lambda: cases.start_notice(case, user=village),
        S.NOTICE: lambda: (clock.shift(dt.timedelta(days=5)), cases.end_notice(case, user=village)),
        S.NOTICED: lambda: cases.audit_case(case, user=township),
        S.AUDITED: lambda: cases.approve_case(case, user=county),
        S.APPROVED: lambda: cases.announce_case(case, user=township),
        S.ANNOUNCED: lambda: (
            case.cadre_id is None
            and cases.assign_cadre(case, user=township, cadre=village, contact="张建国", contact_phone="13972100001"),
            cases.record_case(case, user=county),
        ),
        S.MONITORED: lambda: _propose(case, cast, clock, method, after),
        S.ELIM_PROPOSED: lambda: cases.record_elim_review(case, user=village, reviewed_on=today(), minutes="同意"),
        S.ELIM_REVIEWED: lambda: cases.start_elim_notice(case, user=village),
        S.ELIM_NOTICE: lambda: (clock.shift(dt.timedelta(days=5)), cases.end_elim_notice(case, user=village)),
        S.ELIM_NOTICED: lambda: cases.check_elimination(case, user=township),
        S.ELIM_CHECKED: lambda: cases.approve_elimination(case, user=county),
    }  # fmt: skip
    while case.status != target:
        assert ORDER.index(case.status) < ORDER.index(target), (case.status, target)
        steps[case.status]()
    return case


def _propose(case, cast, clock, method, after):
    if not case.measures.exists():
        add_measures(case, cast)
    six_months = dt.datetime(2026, 7, 10, 10, 0, tzinfo=TZ)
    if timezone.now() < six_months:
        clock.move_to(six_months)
    cases.propose_elimination(case, user=cast["village_cadre"], method=method, **(after or AFTER))


def add_measures(case, cast, categories=(("health", "医疗救助"), ("employment", "转移就业"))):
    """Measures that answer an illness risk and a household with labour."""
    for category, subtype in categories:
        assistance.add_measure(
            case,
            user=cast["township_officer"],
            category=category,
            subtype=subtype,
            start_on=today(),
            provider="县直部门",
        )


def new_case(household, cast, **kwargs):
    return cases.open_case(household, user=cast["village_cadre"], channel="cadre", **kwargs)


def db_state(case=None):
    """Everything a refused step could have touched: the case row and the counts of the logs and children."""
    state = {
        "cases": MonitoringCase.objects.count(),
        "status_changes": StatusChange.objects.count(),
        "object_changes": ObjectChange.objects.count(),
        "objections": CaseObjection.objects.count(),
        "measures": AssistanceMeasure.objects.count(),
        "visits": Visit.objects.count(),
    }
    if case is not None:
        state["row"] = MonitoringCase.objects.filter(pk=case.pk).values().get()
    return state


def make_warning(
    household, code="JC-01", produces="warning", status="open", title="家庭人均纯收入低于监测范围"
):
    run = ScreeningRun.objects.create(region=household.region, as_of=D0, status="succeeded")
    now = timezone.now()
    return Warning.objects.create(
        rule_code=code, rule_set="monitoring", rule_version="1", rule_title=title, produces=produces,
        severity="high", subject_key=f"h{household.pk}", household=household, status=status, as_of=D0,
        explanation=title, raised_by=run, last_seen_by=run, first_seen_at=now, last_seen_at=now,
    )  # fmt: skip


def history(case):
    return list(
        StatusChange.objects.filter(content_type__model="monitoringcase", object_id=case.pk).order_by("id")
    )


# ---------------------------------------------------------------- every step is on record


def test_every_step_writes_one_status_change_and_a_change_log_entry(clock, cast, households):
    actors = {
        S.CLUE: "village_cadre", S.CHECKED: "county_officer", S.COMPARED: "village_cadre",
        S.REVIEWED: "village_cadre", S.NOTICE: "village_cadre", S.NOTICED: "township_officer",
        S.AUDITED: "county_officer", S.APPROVED: "township_officer", S.ANNOUNCED: "county_officer",
        S.MONITORED: "village_cadre", S.ELIM_PROPOSED: "village_cadre", S.ELIM_REVIEWED: "village_cadre",
        S.ELIM_NOTICE: "village_cadre", S.ELIM_NOTICED: "township_officer", S.ELIM_CHECKED: "county_officer",
    }  # fmt: skip
    case = new_case(households["a"], cast, clue_note="走访发现因病支出大")
    [opened] = history(case)
    assert (opened.transition, opened.from_status, opened.to_status) == ("open", "", S.CLUE)
    assert opened.user == cast["village_cadre"] and opened.comment == "走访发现因病支出大"
    assert ObjectChange.objects.filter(
        content_type__model="monitoringcase", object_id=case.pk, action="create", user=cast["village_cadre"]
    ).exists()

    for source in ORDER[:-1]:
        nxt = ORDER[ORDER.index(source) + 1]
        if source == S.ANNOUNCED:  # naming the cadre is not a status step; do it before timing the record
            cases.assign_cadre(
                case, user=cast["township_officer"], cadre=cast["village_cadre"], contact="张建国"
            )
        if source == S.MONITORED:
            add_measures(case, cast)
        changes_before = len(history(case))
        log_before = ObjectChange.objects.filter(content_type__model="monitoringcase", object_id=case.pk)
        log_ids = set(log_before.values_list("id", flat=True))
        step_to(case, cast, clock, nxt)
        new = history(case)[changes_before:]
        assert len(new) == 1, (source, [c.transition for c in new])
        change = new[0]
        assert (change.from_status, change.to_status) == (source, nxt)
        assert change.user == cast[actors[source]], source
        assert change.time == timezone.now()  # frozen clock: written at the moment of the step
        logged = ObjectChange.objects.filter(content_type__model="monitoringcase", object_id=case.pk).exclude(
            id__in=log_ids
        )
        assert logged.exists(), source
        assert all(entry.user == cast[actors[source]] for entry in logged), source
        assert any((entry.after or {}).get("status") == nxt for entry in logged), source
        assert MonitoringCase.objects.get(pk=case.pk).status == nxt


def test_comments_and_reasons_are_kept_on_the_timeline(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.CHECKED)
    cases.record_comparison(case, user=cast["county_officer"], result="公安、不动产比对无异常")
    step_to(case, cast, clock, S.AUDITED)
    cases.reject_case(case, user=cast["county_officer"], reason="比对发现家庭成员为财政供养人员")
    last = history(case)[-1]
    assert (last.transition, last.to_status, last.user) == ("reject", S.REJECTED, cast["county_officer"])
    assert last.comment == "比对发现家庭成员为财政供养人员"
    compare = next(c for c in history(case) if c.transition == "compare")
    assert compare.comment == "公安、不动产比对无异常"


def test_check_snapshots_income_and_household_check(clock, cast, households):
    household = households["a"]
    case = new_case(household, cast)
    step_to(case, cast, clock, S.CHECKED)
    case.refresh_from_db()
    assert case.income_year == 2025
    assert case.per_capita_income == household.per_capita_income == Decimal("18000.00")
    assert case.consent_signed_on == D0 and case.checked_on == D0
    assert case.category == "unstable_exited" and case.risks == ["illness"]


def test_recording_sets_the_identification_month(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.MONITORED)
    case.refresh_from_db()
    assert case.recorded_on == RECORDED and case.identified_month == "202601"
    assert case.is_enrolled


# ---------------------------------------------------------------- warnings become clues


def test_one_warning_becomes_a_clue(clock, cast, households):
    warning = make_warning(households["a"])
    result = cases.clues_from_warnings([warning], user=cast["village_cadre"])
    [case] = result.created
    assert case.status == S.CLUE and case.channel == "department"
    assert list(case.warnings.all()) == [warning]
    assert "JC-01" in case.clue_note
    assert [c.transition for c in history(case)] == ["open"]
    assert history(case)[0].user == cast["village_cadre"]


def test_a_villages_warnings_in_bulk(clock, cast, tree, households):
    first, second = households["a"], make_household(tree.village_a)
    already = make_household(tree.village_a)
    open_case = new_case(already, cast)
    w1 = make_warning(first, "JC-01")
    w2 = make_warning(first, "JC-02", title="医保自付超过预警线")
    w3 = make_warning(second, "JC-01")
    w4 = make_warning(already, "JC-03", title="新增低保")
    quality = make_warning(second, "DQ-01", produces="quality", title="身份证号校验位错误")
    clue = make_warning(second, "SV-01", produces="clue", title="财政供养人员享受政策")
    resolved = make_warning(second, "JC-09", status="resolved")
    before = MonitoringCase.objects.count()

    result = cases.clues_from_warnings([w1, w2, w3, w4, quality, clue, resolved], user=cast["village_cadre"])

    assert MonitoringCase.objects.count() == before + 2  # one case per household, none for `already`
    by_household = {c.household_id: c for c in result.created}
    assert set(by_household) == {first.pk, second.pk}
    assert set(by_household[first.pk].warnings.all()) == {w1, w2}
    assert set(by_household[second.pk].warnings.all()) == {w3}
    assert result.attached == 1 and list(open_case.warnings.all()) == [w4]
    assert (
        len(result.skipped) == 3
    )  # quality, supervision clue and resolved warnings are not monitoring clues
    assert not quality.cases.exists() and not clue.cases.exists() and not resolved.cases.exists()
    for case in result.created:
        assert case.channel == "department" and [c.transition for c in history(case)] == ["open"]


def test_out_of_scope_warnings_are_not_found_and_nothing_is_created(clock, cast, households):
    mine = make_warning(households["a"])
    other_village = make_warning(households["b"])
    other_county = make_warning(households["d"])
    state = db_state()
    with pytest.raises(Http404):
        cases.clues_from_warnings([mine, other_village], user=cast["village_cadre"])
    with pytest.raises(Http404):
        cases.clues_from_warnings([mine, other_county], user=cast["county_officer"])
    assert db_state() == state


def test_warnings_to_clues_needs_the_permission(clock, cast, households):
    warning = make_warning(households["a"])
    for name in ("supervisor", "leader", "medical_officer"):
        with pytest.raises(Exception) as info:
            cases.clues_from_warnings([warning], user=cast[name])
        assert type(info.value).__name__ == "PermissionDenied", name
    assert not MonitoringCase.objects.exists()


# ---------------------------------------------------------------- history kept across cases


def test_new_risk_after_elimination_opens_a_new_case_linked_to_the_old(clock, cast, households):
    household = households["a"]
    old = new_case(household, cast)
    step_to(old, cast, clock, S.ELIMINATED)
    old_history = [c.transition for c in history(old)]
    clock.shift(dt.timedelta(days=90))
    new = cases.open_case(household, user=cast["village_cadre"], channel="self_report", clue_note="再次患病")
    assert new.pk != old.pk and new.previous_case == old and new.status == S.CLUE
    old.refresh_from_db()
    assert old.status == S.ELIMINATED and old.eliminated_month == "202607"
    assert [c.transition for c in history(old)] == old_history  # the old timeline is untouched
    assert old.measures.count() == 2  # and so are its measures
    assert [c.transition for c in history(new)] == ["open"]


def test_after_rejection_a_new_clue_links_the_rejected_case(clock, cast, households):
    household = households["a"]
    old = new_case(household, cast)
    cases.reject_case(old, user=cast["village_cadre"], reason="核实后不符合条件")
    new = new_case(household, cast)
    assert new.previous_case == old


# ---------------------------------------------------------------- cadres


def test_assign_cadre_refuses_a_cadre_who_cannot_see_the_household(clock, cast, households):
    case = new_case(households["a"], cast)
    state = db_state(case)
    with pytest.raises(ValidationError, match="管辖范围不含该户"):
        cases.assign_cadre(case, user=cast["township_officer"], cadre=cast["village_cadre_b"])
    assert db_state(case) == state


def test_reassign_cadre_moves_every_case_or_none(clock, cast, tree, households):
    township = cast["township_officer"]
    a1 = new_case(households["a"], cast)
    a2 = new_case(make_household(tree.village_a), cast)
    b1 = cases.open_case(households["b"], user=cast["village_cadre_b"], channel="cadre")
    for case in (a1, a2, b1):  # the township officer holds cases in two villages
        cases.assign_cadre(case, user=township, cadre=township, contact="张建国")
    rows = dict(MonitoringCase.objects.values_list("pk", "cadre_id"))
    state = db_state()
    # Village A's cadre cannot hold b1 (village B): nothing at all is moved.
    with pytest.raises(ValidationError, match="未做任何调整"):
        cases.reassign_cadre(township, cast["village_cadre"], user=township)
    assert dict(MonitoringCase.objects.values_list("pk", "cadre_id")) == rows
    assert db_state() == state

    clock.shift(dt.timedelta(days=3))
    assert cases.reassign_cadre(township, cast["village_cadre"], user=township, cases=[a1, a2]) == 2
    assert {MonitoringCase.objects.get(pk=c.pk).cadre_id for c in (a1, a2)} == {cast["village_cadre"].pk}
    assert MonitoringCase.objects.get(pk=a1.pk).cadre_since == D0 + dt.timedelta(days=3)
    assert MonitoringCase.objects.get(pk=b1.pk).cadre_id == township.pk

    successor = create_user("township_2", role="township", region_code=tree.township.code, password=PASSWORD)
    assert cases.reassign_cadre(cast["village_cadre"], successor, user=township) == 2
    assert cases.reassign_cadre(township, successor, user=township) == 1
    assert set(MonitoringCase.objects.values_list("cadre_id", flat=True)) == {successor.pk}


def test_reassign_cadre_needs_the_permission_and_stays_in_scope(clock, cast, tree, households):
    a1 = new_case(households["a"], cast)
    cases.assign_cadre(a1, user=cast["township_officer"], cadre=cast["village_cadre"])
    with pytest.raises(Exception) as info:
        cases.reassign_cadre(cast["village_cadre"], cast["township_officer"], user=cast["village_cadre"])
    assert type(info.value).__name__ == "PermissionDenied"
    # The other county's officer sees none of these cases: nothing moves.
    assert cases.reassign_cadre(cast["village_cadre"], cast["outsider"], user=cast["outsider"]) == 0
    assert MonitoringCase.objects.get(pk=a1.pk).cadre == cast["village_cadre"]


# ---------------------------------------------------------------- visits


def test_visits_only_on_enrolled_cases_and_not_in_the_future(clock, cast, households):
    case = new_case(households["a"], cast)
    with pytest.raises(TransitionRefused, match="监测帮扶中"):
        cases.add_visit(case, user=cast["village_cadre"], visited_on=today(), method="home", findings="正常")
    step_to(case, cast, clock, S.MONITORED)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        cases.add_visit(
            case,
            user=cast["village_cadre"],
            visited_on=today() + dt.timedelta(days=1),
            method="home",
            findings="正常",
        )
    visit = cases.add_visit(
        case, user=cast["village_cadre"], visited_on=today(), method="phone", findings="病情稳定"
    )
    assert visit.visitor == cast["village_cadre"] and visit.case == case
    with pytest.raises(Http404):
        cases.add_visit(case, user=cast["village_cadre_b"], visited_on=today(), method="home", findings="x")
    assert Visit.objects.count() == 1


def test_timing_through_time_machine_is_local(clock):
    # Guard for the helpers above: the frozen day is the Xianning calendar day.
    assert today() == D0
    with time_machine.travel(dt.datetime(2026, 1, 5, 23, 30, tzinfo=TZ), tick=False):
        assert timezone.localdate() == D0


def test_a_clue_takes_only_the_households_own_warnings(clock, cast, households):
    """Warnings attached to a clue are its evidence: another household's warning (here in another county)
    must not be attached, and nothing is created."""
    foreign = make_warning(households["d"])
    state = db_state()
    with pytest.raises((ValidationError, Http404, TransitionRefused)):
        cases.open_case(households["a"], user=cast["village_cadre"], channel="department", warnings=[foreign])
    assert db_state() == state
    assert not foreign.cases.exists()


def test_bulk_clues_skip_a_cancelled_household(clock, cast, households):
    from fangpin.registry.services import cancel_household

    warning = make_warning(households["a"])
    cancel_household(households["a"], user=cast["county_officer"], reason="全户迁出")
    result = cases.clues_from_warnings([warning], user=cast["village_cadre"])
    assert result.created == [] and len(result.skipped) == 1 and "已注销" in result.skipped[0]
    assert not MonitoringCase.objects.exists()


def test_no_cadre_change_on_a_closed_case(clock, cast, households):
    case = new_case(households["a"], cast)
    cases.reject_case(case, user=cast["village_cadre"], reason="不符合条件")
    state = db_state(case)
    with pytest.raises(TransitionRefused, match="已办结"):
        cases.assign_cadre(case, user=cast["township_officer"], cadre=cast["village_cadre"])
    assert db_state(case) == state
