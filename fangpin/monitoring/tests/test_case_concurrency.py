"""Two officials acting on the same case at once (issue #5 part 9): one wins, the other is told "已被他人修改",
and nothing of the loser is half-applied — neither its fields, nor a StatusChange, nor a change-log entry.

On SQLite the race is simulated with two separately loaded instances (each official's page was loaded before
the other acted). On PostgreSQL a real two-thread race runs as well.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from fangpin.accounts.services import create_user
from fangpin.core.models import StatusChange
from fangpin.core.testing import PASSWORD
from fangpin.core.workflow import TransitionRefused
from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.services import cases
from fangpin.monitoring.tests.test_case_services import (
    AFTER,
    CHECK,
    TZ,
    S,
    add_measures,
    db_state,
    frozen_clock,
    history,
    new_case,
    step_to,
    today,
)


@pytest.fixture
def clock(tree):
    yield from frozen_clock()


STALE = "已被他人修改"


@pytest.fixture
def colleague(tree):
    """A second cadre of village A: two people who may both act on the village's cases."""
    return create_user("village_cadre_2", role="village", region_code=tree.village_a.code, password=PASSWORD)


def loaded_twice(case):
    return MonitoringCase.objects.get(pk=case.pk), MonitoringCase.objects.get(pk=case.pk)


def test_two_household_checks_at_once(clock, cast, households, colleague):
    case = new_case(households["a"], cast)
    mine, theirs = loaded_twice(case)
    cases.record_check(mine, user=cast["village_cadre"], **CHECK)
    state = db_state(case)
    with pytest.raises(TransitionRefused, match=STALE):
        cases.record_check(
            theirs,
            user=colleague,
            **{
                **CHECK,
                "category": "sudden_hardship",
                "risks": ["accident", "disability"],
                "risk_tier": "high",
            },
        )
    assert db_state(case) == state  # nothing of the loser was written
    row = MonitoringCase.objects.get(pk=case.pk)
    assert (row.status, row.category, row.risks, row.risk_tier) == (
        S.CHECKED,
        "unstable_exited",
        ["illness"],
        "medium",
    )
    assert [c.transition for c in history(case)] == ["open", "check"]
    assert history(case)[-1].user == cast["village_cadre"]
    # The loser's object is back to what it was, with the status now current, so a reload shows the winner.
    assert theirs.category == "" and theirs.risks == [] and theirs.status == S.CHECKED


def test_check_and_rejection_at_once(clock, cast, households, colleague):
    case = new_case(households["a"], cast)
    mine, theirs = loaded_twice(case)
    cases.reject_case(mine, user=cast["village_cadre"], reason="核实后不符合条件")
    state = db_state(case)
    with pytest.raises(TransitionRefused, match=STALE):
        cases.record_check(theirs, user=colleague, **CHECK)
    assert db_state(case) == state
    row = MonitoringCase.objects.get(pk=case.pk)
    assert row.status == S.REJECTED and row.category == "" and row.consent_signed_on is None


def test_township_audit_and_county_rejection_at_once(clock, cast, households, tree):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.NOTICED)
    second = create_user("township_2", role="township", region_code=tree.township.code, password=PASSWORD)
    mine, theirs = loaded_twice(case)
    cases.audit_case(mine, user=cast["township_officer"], comment="审核通过")
    state = db_state(case)
    with pytest.raises(TransitionRefused, match=STALE):
        cases.reject_case(theirs, user=second, reason="入户复核不符合")
    assert db_state(case) == state
    assert MonitoringCase.objects.get(pk=case.pk).status == S.AUDITED


def test_two_elimination_proposals_at_once(clock, cast, households, colleague):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.ELIM_PROPOSED)
    # Put it back to monitoring through the workflow, then race two proposals.
    cases.withdraw_elimination(case, user=cast["village_cadre"], reason="补充材料")
    mine, theirs = loaded_twice(case)
    cases.propose_elimination(mine, user=cast["village_cadre"], method="assisted", **AFTER)
    state = db_state(case)
    with pytest.raises(TransitionRefused, match=STALE):
        cases.propose_elimination(theirs, user=colleague, method="natural", **AFTER)
    assert db_state(case) == state
    assert MonitoringCase.objects.get(pk=case.pk).elimination_method == "assisted"


def test_assigning_a_cadre_on_a_stale_page_does_not_undo_a_step(clock, cast, households, tree):
    """Naming a cadre is not a status step, but it must not write back the status (or anything else) the
    official's stale page still holds: the other official's step stays applied."""
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.MONITORED)
    add_measures(case, cast)
    clock.move_to(dt.datetime(2026, 7, 10, 10, 0, tzinfo=TZ))
    stale, fresh = loaded_twice(case)
    cases.propose_elimination(fresh, user=cast["village_cadre"], method="assisted", **AFTER)
    successor = create_user(
        "village_cadre_2", role="village", region_code=tree.village_a.code, password=PASSWORD
    )
    try:
        cases.assign_cadre(stale, user=cast["township_officer"], cadre=successor)
    except TransitionRefused as exc:  # refusing is an acceptable answer too
        assert STALE in " ".join(exc.messages)
    row = MonitoringCase.objects.get(pk=case.pk)
    assert row.status == S.ELIM_PROPOSED, "the stale save reverted the proposal"
    assert row.elimination_method == "assisted" and row.after_wage == AFTER["after_wage"]
    assert row.after_net_income == AFTER["after_net_income"]


def test_two_recordings_at_once(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.ANNOUNCED)
    cases.assign_cadre(case, user=cast["township_officer"], cadre=cast["village_cadre"], contact="张建国")
    mine, theirs = loaded_twice(case)
    # An announced case cannot be rejected any more; the race is between two county officials recording.
    cases.record_case(mine, user=cast["county_officer"])
    state = db_state(case)
    with pytest.raises(TransitionRefused, match=STALE):
        cases.record_case(theirs, user=cast["county_officer"])
    assert db_state(case) == state
    assert [c.transition for c in history(case)].count("record") == 1


# ---------------------------------------------------------------- a real race (PostgreSQL only)


POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a real concurrent race needs PostgreSQL row locks"
)


def _race(functions):
    """Run each function in its own thread, all released at once; return what each returned or raised."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - the outcome is what we compare
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
def test_real_race_on_postgresql(tree, cast, households, colleague):
    from fangpin.monitoring import services

    services.load_default_parameters()
    case = new_case(households["a"], cast)
    first, second = loaded_twice(case)
    check = {**CHECK, "checked_on": today(), "consent_signed_on": today()}
    results = _race(
        [
            lambda: cases.record_check(first, user=cast["village_cadre"], **check),
            lambda: cases.record_check(
                second, user=colleague, **{**check, "category": "sudden_hardship", "risks": ["accident"]}
            ),
        ]
    )
    lost = [r for r in results if isinstance(r, Exception)]
    won = [r for r in results if not isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], TransitionRefused) and STALE in " ".join(lost[0].messages)
    row = MonitoringCase.objects.get(pk=case.pk)
    winner = won[0]
    assert row.status == S.CHECKED
    assert (row.category, row.risks) == (winner.category, winner.risks)
    assert StatusChange.objects.filter(object_id=case.pk, transition="check").count() == 1


@POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
def test_real_race_opening_two_clues_on_postgresql(tree, cast, households, colleague):
    household = households["a"]
    results = _race(
        [
            lambda: cases.open_case(household, user=cast["village_cadre"], channel="cadre"),
            lambda: cases.open_case(household, user=colleague, channel="self_report"),
        ]
    )
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(lost) == 1 and isinstance(lost[0], TransitionRefused), results
    assert MonitoringCase.objects.filter(household=household).count() == 1
