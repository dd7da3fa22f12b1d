"""The clue lifecycle of spec §7.3 through the services, written from the issue and the spec: every step taken
by its role at its level and refused for everyone else (PermissionDenied) or out of scope (Http404), each
writing exactly one StatusChange and one change-log entry, and nothing for a refused step; two officials acting
on stale copies (one wins, the other gets ConcurrentChange and nothing half-written); overdue escalation on the
day after the deadline and resumption where the clue was.

The helpers at the top (`at`, `nothing_written`, the extra users) are shared by the other test_clue_* files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.signals import post_save
from django.http import Http404

from fangpin.accounts.services import create_user
from fangpin.core.models import ObjectChange, StatusChange
from fangpin.core.testing import PASSWORD
from fangpin.core.workflow import ConcurrentChange, TransitionRefused
from fangpin.supervision.models import Clue, ClueBatch, ClueEvidence
from fangpin.supervision.services import clues, evidence

S = Clue.Status
PDF = b"%PDF-1.4\n% evidence\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF photo"


def soon(days: int = 30) -> dt.date:
    return dt.date.today() + dt.timedelta(days=days)


# ---------------------------------------------------------------------------------------------------- helpers


def make_people(cast, tree) -> dict:
    """The cast plus the users the clue rules need: a township user of 天城镇 (another township of the same
    county), a city-level department (spot checks are the city's), a city-level supervisor and a supervisor of
    another county."""
    extra = {
        "tiancheng": create_user(
            "tiancheng", role="township", region_code=tree.township_2.code, password=PASSWORD
        ),
        "city_department": create_user(
            "city_civil",
            role="department",
            region_code=tree.city.code,
            password=PASSWORD,
            department="civil_affairs",
        ),
        "city_supervisor": create_user(
            "city_supervisor", role="supervisor", region_code=tree.city.code, password=PASSWORD
        ),
        "tongshan_supervisor": create_user(
            "tongshan_supervisor", role="supervisor", region_code=tree.other_county.code, password=PASSWORD
        ),
    }
    return {**cast, **extra}


@pytest.fixture
def people(cast, tree):
    return make_people(cast, tree)


def pool_clue(people, household, title="暗访发现：脱贫户家庭成员在财政供养名单") -> Clue:
    """A clue entered by hand (an unannounced visit) in the supervisors' pool of the household's county."""
    supervisor = people["supervisor"] if household.region.path.startswith("421223") else None
    supervisor = supervisor or people["tongshan_supervisor"]
    return clues.create_clue(
        user=supervisor,
        source="unannounced_visit",
        region=household.region,
        title=title,
        description="暗访中群众反映。",
        household=household,
    )


def at(
    state, people, tree, household, *, classification="data_error", unit=None, department="", proof=True
) -> Clue:
    """A clue of `household`, assigned to 白霓镇 (or `unit`, or `department` of `unit`), walked by the right
    roles to `state`.

    `proof` uploads the evidence the next step needs (verification evidence in 核查中, rectification evidence in
    整改中/问责中); pass False to test the guards that ask for it."""
    sup, unit_user, city = people["supervisor"], people["township_officer"], people["city_department"]
    if unit is not None and unit.pk != tree.township.pk:
        unit_user = people["tiancheng"] if unit.pk == tree.township_2.pk else people["county_officer"]
    if department:
        unit_user = {"medical_insurance": people["medical_officer"]}[department]
    clue = pool_clue(people, household)
    if state == S.GENERATED:
        return clue
    unit = unit or tree.township
    clues.assign(clue, user=sup, unit=unit, department=department, lead_official="王镇长", deadline=soon())
    if state == S.ASSIGNED:
        return clue
    clues.start_verifying(clue, user=unit_user)
    if state in (S.VERIFYING, S.UNFOUNDED):
        if proof or state == S.UNFOUNDED:
            evidence.add_evidence(clue, user=unit_user, name="核查记录.pdf", content=PDF)
        if state == S.UNFOUNDED:
            clues.close_unfounded(clue, user=unit_user, verification_note="同名不同人，线索不实")
        return clue
    clues.confirm(clue, user=unit_user, classification=classification, verification_note="经核查属实")
    if state == S.CONFIRMED:
        return clue
    actions = ["exclude"] if classification == "discipline" else ["correct_data"]
    clues.start_rectifying(clue, user=unit_user, actions=actions)
    if state == S.ACCOUNTABILITY or (classification == "discipline" and state != S.RECTIFYING):
        clues.hold_accountable(clue, user=sup)
        if state != S.ACCOUNTABILITY:
            clues.record_accountability(
                clue, user=sup, accountability_type="party_discipline", persons_accountable=1
            )
    if state in (S.RECTIFYING, S.ACCOUNTABILITY):
        if proof:
            evidence.add_evidence(clue, user=unit_user, name="整改材料.pdf", content=PDF)
        return clue
    evidence.add_evidence(clue, user=unit_user, name="整改材料.pdf", content=PDF)
    clues.mark_rectified(clue, user=unit_user, rectification_note="已整改到位")
    if state == S.RECTIFIED:
        return clue
    clues.select_for_spot_check(clue, user=city)
    if state == S.SPOT_CHECK:
        return clue
    if state == S.CLOSED:
        return clues.pass_spot_check(clue, user=city, note="抽查属实")
    if state == S.ESCALATED:
        raise AssertionError("use clues.escalate on a clue in the stage you want")
    raise AssertionError(state)


def clue_ct():
    return ContentType.objects.get_for_model(Clue)


def status_changes(clue) -> list[str]:
    return list(
        StatusChange.objects.filter(content_type=clue_ct(), object_id=clue.pk).values_list(
            "transition", flat=True
        )
    )


def log_entries(clue) -> int:
    return ObjectChange.objects.filter(content_type=clue_ct(), object_id=clue.pk).count()


def snapshot(clue) -> dict:
    """Everything a clue step could write: the row, its timeline, its change log, evidence and batches."""
    return {
        "row": Clue.objects.filter(pk=clue.pk).values().get(),
        "status_changes": StatusChange.objects.count(),
        "log": ObjectChange.objects.count(),
        "files": ClueEvidence.objects.count(),
        "batches": ClueBatch.objects.count(),
    }


@contextlib.contextmanager
def nothing_written(*objs):
    """Assert the block (a refused step) left every clue's row, the timelines and the change log untouched."""
    before = [snapshot(c) for c in objs]
    yield
    assert [snapshot(c) for c in objs] == before


@contextlib.contextmanager
def one_step(clue, transition):
    """Assert the block wrote exactly one StatusChange (named `transition`) and one change-log entry."""
    steps, logs = status_changes(clue), log_entries(clue)
    yield
    assert status_changes(clue) == [*steps, transition]
    assert log_entries(clue) == logs + 1


# --------------------------------------------------------------------------------------- the transition table
# name: (source state, classification, the call, who may, who holds no permission for it)
HANDLERS_REFUSED = ("supervisor", "city_department", "city_admin", "leader")
SUPERVISOR_REFUSED = ("township_officer", "county_officer", "city_department", "city_admin", "leader")
SPOT_REFUSED = ("supervisor", "township_officer", "county_officer", "leader")
# A county department sees only the clues handed to it, so a township's clue is out of its scope.
OUT_OF_SCOPE = ("tiancheng", "outsider", "tongshan_supervisor", "village_cadre", "medical_officer")

STEPS = {
    "start_verifying": (S.ASSIGNED, "data_error", lambda c, u, t: clues.start_verifying(c, user=u)),
    "confirm": (
        S.VERIFYING,
        "data_error",
        lambda c, u, t: clues.confirm(c, user=u, classification="data_error", verification_note="查实"),
    ),
    "unfounded": (
        S.VERIFYING,
        "data_error",
        lambda c, u, t: clues.close_unfounded(c, user=u, verification_note="查否"),
    ),
    "start_rectifying": (
        S.CONFIRMED,
        "data_error",
        lambda c, u, t: clues.start_rectifying(c, user=u, actions=["correct_data"]),
    ),
    "rectified": (
        S.RECTIFYING,
        "data_error",
        lambda c, u, t: clues.mark_rectified(c, user=u, rectification_note="已更正"),
    ),
    "hold_accountable": (S.RECTIFYING, "discipline", lambda c, u, t: clues.hold_accountable(c, user=u)),
    "record_accountability": (
        S.ACCOUNTABILITY,
        "discipline",
        lambda c, u, t: clues.record_accountability(
            c, user=u, accountability_type="government_sanction", persons_accountable=2
        ),
    ),
    "select_spot_check": (S.RECTIFIED, "data_error", lambda c, u, t: clues.select_for_spot_check(c, user=u)),
    "spot_check_pass": (
        S.SPOT_CHECK,
        "data_error",
        lambda c, u, t: clues.pass_spot_check(c, user=u, note="属实"),
    ),
    "spot_check_fail": (
        S.SPOT_CHECK,
        "data_error",
        lambda c, u, t: clues.fail_spot_check(c, user=u, note="整改材料不实"),
    ),
    "close": (S.RECTIFIED, "data_error", lambda c, u, t: clues.close(c, user=u)),
    "escalate": (S.VERIFYING, "data_error", lambda c, u, t: clues.escalate(c, user=u, reason="弄虚作假")),
}
TARGET = {
    "start_verifying": S.VERIFYING,
    "confirm": S.CONFIRMED,
    "unfounded": S.UNFOUNDED,
    "start_rectifying": S.RECTIFYING,
    "rectified": S.RECTIFIED,
    "hold_accountable": S.ACCOUNTABILITY,
    "record_accountability": S.ACCOUNTABILITY,
    "select_spot_check": S.SPOT_CHECK,
    "spot_check_pass": S.CLOSED,
    "spot_check_fail": S.RECTIFYING,
    "close": S.CLOSED,
    "escalate": S.ESCALATED,
}
WHO = {
    "start_verifying": ("township_officer", HANDLERS_REFUSED),
    "confirm": ("township_officer", HANDLERS_REFUSED),
    "unfounded": ("township_officer", HANDLERS_REFUSED),
    "start_rectifying": ("township_officer", HANDLERS_REFUSED),
    "rectified": ("township_officer", HANDLERS_REFUSED),
    "hold_accountable": ("supervisor", SUPERVISOR_REFUSED),
    "record_accountability": ("supervisor", SUPERVISOR_REFUSED),
    "select_spot_check": ("city_department", SPOT_REFUSED),
    "spot_check_pass": ("city_department", SPOT_REFUSED),
    "spot_check_fail": ("city_department", SPOT_REFUSED),
    "close": ("supervisor", SUPERVISOR_REFUSED),
    "escalate": ("supervisor", SUPERVISOR_REFUSED),
}


@pytest.mark.parametrize("name", list(STEPS))
def test_each_step_by_its_role_refused_for_others_and_out_of_scope(name, people, tree, households):
    source, classification, call = STEPS[name]
    allowed, refused = WHO[name]
    clue = at(source, people, tree, households["a"], classification=classification)
    for key in refused:
        with nothing_written(clue), pytest.raises(PermissionDenied):
            call(clue, people[key], tree)
        assert clue.status == source  # the instance is left as it was too
    for key in OUT_OF_SCOPE:
        with nothing_written(clue), pytest.raises(Http404):
            call(clue, people[key], tree)
    with one_step(clue, name):
        call(clue, people[allowed], tree)
    assert clue.status == TARGET[name]
    assert Clue.objects.get(pk=clue.pk).status == TARGET[name]
    change = StatusChange.objects.filter(content_type=clue_ct(), object_id=clue.pk).last()
    assert (change.from_status, change.to_status, change.user) == (source, TARGET[name], people[allowed])
    entry = ObjectChange.objects.filter(content_type=clue_ct(), object_id=clue.pk).first()
    assert (entry.action, entry.user, entry.before["status"], entry.after["status"]) == (
        "update",
        people[allowed],
        source,
        TARGET[name],
    )


def test_assign_is_the_supervisors_and_the_pool_is_not_found_for_everyone_else(people, tree, households):
    clue = at(S.GENERATED, people, tree, households["a"])
    for key in ("township_officer", "county_officer", "city_department", "medical_officer"):
        with nothing_written(clue), pytest.raises(Http404):  # units do not see the pool at all
            clues.assign(clue, user=people[key], unit=tree.township, lead_official="王镇长", deadline=soon())
    with one_step(clue, "assign"):
        clues.assign(
            clue, user=people["supervisor"], unit=tree.township, lead_official="王镇长", deadline=soon()
        )
    clue.refresh_from_db()
    assert (clue.status, clue.assigned_region, clue.lead_official) == (S.ASSIGNED, tree.township, "王镇长")


@pytest.mark.parametrize("key", ["tongshan_supervisor", "tiancheng", "outsider"])
def test_assign_out_of_scope_is_not_found(key, people, tree, households):
    """Out of scope looks exactly like not found, whatever unit the outsider names (here: their own)."""
    clue = at(S.GENERATED, people, tree, households["a"])
    own_unit = tree.township_2 if key == "tiancheng" else tree.other_township
    with nothing_written(clue), pytest.raises(Http404):
        clues.assign(clue, user=people[key], unit=own_unit, lead_official="李镇长", deadline=soon())


def test_a_city_level_supervisor_assigns_and_a_county_unit_handles(people, tree, households):
    clue = at(S.GENERATED, people, tree, households["a"])
    clues.assign(
        clue, user=people["city_supervisor"], unit=tree.county, lead_official="县防贫办", deadline=soon()
    )
    with one_step(clue, "start_verifying"):
        clues.start_verifying(clue, user=people["county_officer"])
    # the township does not see a clue handed to the county's own unit
    with nothing_written(clue), pytest.raises(Http404):
        clues.confirm(
            clue, user=people["township_officer"], classification="data_error", verification_note="x"
        )


def test_spot_checks_are_refused_below_the_city_with_the_reason(people, tree, households):
    # handed to the county department, which so sees it and rectifies it, but may not spot-check it
    clue = at(S.RECTIFIED, people, tree, households["a"], unit=tree.county, department="medical_insurance")
    with nothing_written(clue), pytest.raises(TransitionRefused, match="市级"):
        clues.select_for_spot_check(clue, user=people["medical_officer"])  # a county department
    with one_step(clue, "select_spot_check"):
        clues.select_for_spot_check(clue, user=people["city_admin"])
    for name in ("spot_check_pass", "spot_check_fail"):
        with nothing_written(clue), pytest.raises(TransitionRefused, match="市级"):
            STEPS[name][2](clue, people["medical_officer"], tree)


def test_resume_is_the_supervisors_and_returns_to_the_stage(people, tree, households):
    clue = at(S.CONFIRMED, people, tree, households["a"])
    clues.escalate(clue, user=people["supervisor"], reason="弄虚作假")
    for key in SUPERVISOR_REFUSED:
        with nothing_written(clue), pytest.raises(PermissionDenied):
            clues.resume(clue, user=people[key])
    for key in OUT_OF_SCOPE:
        with nothing_written(clue), pytest.raises(Http404):
            clues.resume(clue, user=people[key])
    with one_step(clue, "resume_confirmed"):
        clues.resume(clue, user=people["supervisor"], comment="已核实")
    assert Clue.objects.get(pk=clue.pk).status == S.CONFIRMED


def test_the_whole_discipline_loop_writes_one_status_change_per_step(people, tree, households):
    sup, unit, city = people["supervisor"], people["township_officer"], people["city_department"]
    clue = at(S.GENERATED, people, tree, households["a"])
    clues.assign(clue, user=sup, unit=tree.township, lead_official="王镇长", deadline=soon())
    clues.start_verifying(clue, user=unit)
    clues.confirm(clue, user=unit, classification="discipline", verification_note="村干部优亲厚友")
    clues.start_rectifying(clue, user=unit, actions=["exclude", "recover_funds"])
    clues.hold_accountable(clue, user=sup)
    clues.record_accountability(clue, user=sup, accountability_type="judicial", persons_accountable=1)
    evidence.add_evidence(clue, user=unit, name="追缴凭证.jpg", content=JPEG)
    clues.mark_rectified(clue, user=unit, rectification_note="已清退并追缴", funds_recovered=Decimal("3600"))
    clues.select_for_spot_check(clue, user=city)
    clues.fail_spot_check(clue, user=city, note="追缴不到位")
    clues.mark_rectified(clue, user=unit, rectification_note="补齐追缴", funds_recovered=Decimal("7200"))
    clues.select_for_spot_check(clue, user=city)
    clues.pass_spot_check(clue, user=city, note="属实")
    assert status_changes(clue) == [
        "open", "assign", "start_verifying", "confirm", "start_rectifying", "hold_accountable",
        "record_accountability", "rectified", "select_spot_check", "spot_check_fail", "rectified",
        "select_spot_check", "spot_check_pass",
    ]  # fmt: skip
    # one change-log entry per step (plus the creation), each naming its acting user
    assert log_entries(clue) == 13
    clue.refresh_from_db()
    assert (clue.status, clue.closed_on, clue.funds_recovered) == (S.CLOSED, dt.date.today(), Decimal("7200"))
    assert (clue.accountability_type, clue.persons_accountable) == ("judicial", 1)


def test_closing_an_unspotted_rectified_clue_and_an_unfounded_one_record_the_day(people, tree, households):
    rectified = at(S.RECTIFIED, people, tree, households["a"])
    with one_step(rectified, "close"):
        clues.close(rectified, user=people["supervisor"], comment="整改到位，销号")
    unfounded = at(S.UNFOUNDED, people, tree, households["b"])
    for clue in (rectified, unfounded):
        clue.refresh_from_db()
        assert clue.closed_on == dt.date.today()
    assert unfounded.status == S.UNFOUNDED and rectified.status == S.CLOSED


@pytest.mark.parametrize("state", [S.UNFOUNDED, S.CLOSED])
def test_a_finished_clue_takes_no_further_step(state, people, tree, households):
    clue = at(state, people, tree, households["a"])
    for name in ("start_verifying", "confirm", "start_rectifying", "rectified", "close"):
        _, _, call = STEPS[name]
        allowed = WHO[name][0]
        with nothing_written(clue), pytest.raises(TransitionRefused, match="当前状态"):
            call(clue, people[allowed], tree)
    with nothing_written(clue), pytest.raises(TransitionRefused):
        clues.escalate(clue, user=people["supervisor"], reason="弄虚作假")


# ------------------------------------------------------------------------------------------------ concurrency


def two_copies(clue):
    return Clue.objects.get(pk=clue.pk), Clue.objects.get(pk=clue.pk)


def test_two_officials_on_stale_copies_one_wins_the_other_changes_nothing(people, tree, households):
    clue = at(S.VERIFYING, people, tree, households["a"])
    mine, theirs = two_copies(clue)
    clues.confirm(
        mine, user=people["township_officer"], classification="discipline", verification_note="查实"
    )
    after_win = snapshot(clue)
    with pytest.raises(ConcurrentChange):
        clues.close_unfounded(theirs, user=people["county_officer"], verification_note="查否")
    assert snapshot(clue) == after_win  # nothing of the loser's step was written
    assert theirs.status == S.CONFIRMED  # and the loser's copy shows what the other official did
    row = Clue.objects.get(pk=clue.pk)
    assert (row.verification_note, row.closed_on) == ("查实", None)
    assert status_changes(clue)[-1] == "confirm" and status_changes(clue).count("unfounded") == 0


def test_two_supervisors_assigning_the_same_clue(people, tree, households):
    clue = at(S.GENERATED, people, tree, households["a"])
    mine, theirs = two_copies(clue)
    clues.assign(mine, user=people["supervisor"], unit=tree.township, lead_official="王镇长", deadline=soon())
    after_win = snapshot(clue)
    with pytest.raises(ConcurrentChange):
        clues.assign(
            theirs, user=people["city_supervisor"], unit=tree.county, lead_official="县长", deadline=soon(5)
        )
    assert snapshot(clue) == after_win
    assert Clue.objects.get(pk=clue.pk).assigned_region == tree.township


def test_a_spot_check_and_a_supervisors_close_on_stale_copies(people, tree, households):
    clue = at(S.RECTIFIED, people, tree, households["a"])
    mine, theirs = two_copies(clue)
    clues.close(mine, user=people["supervisor"])
    after_win = snapshot(clue)
    with pytest.raises(ConcurrentChange):
        clues.select_for_spot_check(theirs, user=people["city_department"])
    assert snapshot(clue) == after_win


def test_escalating_a_stale_copy_is_refused_and_keeps_the_real_stage(people, tree, households):
    clue = at(S.VERIFYING, people, tree, households["a"])
    mine, theirs = two_copies(clue)
    clues.confirm(
        mine, user=people["township_officer"], classification="data_error", verification_note="查实"
    )
    with pytest.raises(ConcurrentChange):
        clues.escalate(theirs, user=people["supervisor"], reason="弄虚作假")
    row = Clue.objects.get(pk=clue.pk)
    assert (row.status, row.escalated_from, row.escalation_reason) == (S.CONFIRMED, "", "")


def test_two_stale_accountability_records_one_wins(people, tree, households):
    """Recording the accountability result keeps the clue in 问责中, so a state-only check cannot see that
    another supervisor recorded a result first: the second must not silently overwrite it."""
    clue = at(S.ACCOUNTABILITY, people, tree, households["a"], classification="discipline")
    mine, theirs = two_copies(clue)
    clues.record_accountability(
        mine, user=people["supervisor"], accountability_type="party_discipline", persons_accountable=3
    )
    after_win = snapshot(clue)
    with pytest.raises(ConcurrentChange):
        clues.record_accountability(
            theirs,
            user=people["city_supervisor"],
            accountability_type="organisational",
            persons_accountable=1,
        )
    assert snapshot(clue) == after_win


def test_a_spot_check_draw_is_never_half_written(people, tree, households):
    """If a drawn clue is closed by a supervisor while the draw is running, the draw either stops with
    ConcurrentChange having selected nothing, or skips that clue: never selects some and then fails."""
    first = at(S.RECTIFIED, people, tree, households["a"])
    second = at(S.RECTIFIED, people, tree, households["b"])

    def close_second_meanwhile(sender, instance, created, **kwargs):
        if created and instance.transition == "select_spot_check" and instance.object_id == first.pk:
            Clue.objects.filter(pk=second.pk).update(status=S.CLOSED)

    post_save.connect(close_second_meanwhile, sender=StatusChange, dispatch_uid="h4-draw")
    try:
        try:
            chosen = clues.draw_spot_checks(user=people["city_department"], share=Decimal("1"), seed=3)
        except ConcurrentChange:
            chosen = None
    finally:
        post_save.disconnect(sender=StatusChange, dispatch_uid="h4-draw")
    if chosen is None:
        assert Clue.objects.get(pk=first.pk).status == S.RECTIFIED, "draw failed but left a clue selected"
        assert "select_spot_check" not in status_changes(first)
    else:
        assert [c.pk for c in chosen] == [first.pk]
        assert Clue.objects.get(pk=first.pk).status == S.SPOT_CHECK


# ------------------------------------------------------------------------------------------------- escalation


@pytest.mark.parametrize("state", [S.ASSIGNED, S.VERIFYING, S.CONFIRMED, S.RECTIFYING, S.ACCOUNTABILITY])
def test_overdue_escalation_fires_the_day_after_the_deadline_and_resumes_the_stage(
    state, people, tree, households
):
    clue = at(state, people, tree, households["a"], classification="discipline")
    deadline = Clue.objects.get(pk=clue.pk).deadline
    with nothing_written(clue):
        assert clues.escalate_overdue(deadline) == 0  # on the deadline the unit is still on time
    assert clues.overdue(Clue.objects.get(pk=clue.pk), deadline) == 0
    with one_step(clue, "escalate"):
        assert clues.escalate_overdue(deadline + dt.timedelta(days=1)) == 1
    clue.refresh_from_db()
    assert (clue.status, clue.escalated_from) == (S.ESCALATED, state)
    assert str(deadline) in clue.escalation_reason
    change = StatusChange.objects.filter(content_type=clue_ct(), object_id=clue.pk).last()
    assert change.user is None and str(deadline) in change.comment
    entry = ObjectChange.objects.filter(content_type=clue_ct(), object_id=clue.pk).first()
    assert entry.source == "job:escalate-clues"
    with nothing_written(clue):  # the next night does not escalate it again
        assert clues.escalate_overdue(deadline + dt.timedelta(days=2)) == 0
    with one_step(clue, f"resume_{state}"):
        clues.resume(clue, user=people["supervisor"], deadline=soon(60))
    clue.refresh_from_db()
    assert (clue.status, clue.deadline) == (state, soon(60))


@pytest.mark.parametrize("state", [S.RECTIFIED, S.SPOT_CHECK, S.CLOSED, S.UNFOUNDED, S.GENERATED])
def test_overdue_escalation_leaves_rectified_and_closed_clues_alone(state, people, tree, households):
    clue = at(state, people, tree, households["a"])
    later = soon(400)
    with nothing_written(clue):
        assert clues.escalate_overdue(later) == 0
    assert clues.overdue(Clue.objects.get(pk=clue.pk), later) == 0


def test_an_escalated_overdue_clue_still_counts_its_days_overdue(people, tree, households):
    """The ledger's overdue count must not lose the clues the job escalated for being overdue."""
    clue = at(S.RECTIFYING, people, tree, households["a"])
    deadline = Clue.objects.get(pk=clue.pk).deadline
    clues.escalate_overdue(deadline + dt.timedelta(days=1))
    assert clues.overdue(Clue.objects.get(pk=clue.pk), deadline + dt.timedelta(days=3)) == 3


def test_only_the_overdue_clue_is_escalated(people, tree, households):
    late = at(S.VERIFYING, people, tree, households["a"])
    on_time = at(S.VERIFYING, people, tree, households["b"])
    Clue.objects.filter(pk=on_time.pk).update(deadline=soon(60))
    row, steps = Clue.objects.filter(pk=on_time.pk).values().get(), status_changes(on_time)
    assert clues.escalate_overdue(soon(31)) == 1
    assert Clue.objects.get(pk=late.pk).status == S.ESCALATED
    assert (Clue.objects.filter(pk=on_time.pk).values().get(), status_changes(on_time)) == (row, steps)


def test_manual_escalation_needs_a_reason_and_resumes_where_it_was(people, tree, households):
    clue = at(S.RECTIFIED, people, tree, households["a"])
    with nothing_written(clue), pytest.raises(TransitionRefused, match="原因"):
        clues.escalate(clue, user=people["supervisor"], reason="  ")
    clues.escalate(clue, user=people["supervisor"], reason="整改材料弄虚作假")
    with nothing_written(clue), pytest.raises(TransitionRefused):
        clues.escalate(clue, user=people["supervisor"], reason="再次督办")
    with nothing_written(clue), pytest.raises(ValidationError, match="整改时限"):
        clues.resume(clue, user=people["supervisor"], deadline=dt.date.today() - dt.timedelta(days=1))
    clues.resume(clue, user=people["supervisor"])
    assert Clue.objects.get(pk=clue.pk).status == S.RECTIFIED


def test_resuming_a_clue_that_is_not_escalated_is_refused_with_a_reason(people, tree, households):
    clue = at(S.VERIFYING, people, tree, households["a"])
    with nothing_written(clue), pytest.raises(TransitionRefused):
        clues.resume(clue, user=people["supervisor"])
    with nothing_written(clue), pytest.raises(PermissionDenied):
        clues.resume(clue, user=people["township_officer"])
