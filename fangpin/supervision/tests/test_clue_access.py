"""Who sees which clue (issue #6 part 7, part 9): supervisors see every clue of their region including the pool
of unassigned ones; units see only the clues handed to them; a township sees none of another township's
clues, and everything it tries on one is "not found" with nothing written. Also clues generated from the
comparison hits of the screening engine (part 1) and the view log of personal data."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from fangpin.core.models import ObjectChange
from fangpin.core.workflow import TransitionRefused
from fangpin.monitoring.models import ScreeningRun, Warning
from fangpin.supervision.models import Clue, ClueAccess
from fangpin.supervision.services import clues, evidence
from fangpin.supervision.tests.test_clue_lifecycle import (
    PDF,
    STEPS,
    S,
    at,
    clue_ct,
    make_people,
    nothing_written,
    soon,
    status_changes,
)


@pytest.fixture
def people(cast, tree):
    return make_people(cast, tree)


# These tests call the services directly; the page-level scope tests are in test_scope_clues.py.
SCOPE_COVERED_URLS: set[str] = set()


def visible(user) -> set[int]:
    return set(clues.clues_visible_to(user).values_list("pk", flat=True))


def test_supervisors_see_the_pool_and_units_do_not(people, tree, households):
    pool = at(S.GENERATED, people, tree, households["a"]).pk
    tongshan_pool = at(S.GENERATED, people, tree, households["d"]).pk
    assert visible(people["supervisor"]) == {pool}
    assert visible(people["city_supervisor"]) == {pool, tongshan_pool}
    assert visible(people["tongshan_supervisor"]) == {tongshan_pool}
    for key in ("county_officer", "township_officer", "tiancheng", "city_department", "medical_officer",
                "city_admin", "outsider", "village_cadre", "leader"):  # fmt: skip
        assert visible(people[key]) == set(), key


def test_units_see_only_the_clues_handed_to_them(people, tree, households):
    baini = at(S.ASSIGNED, people, tree, households["a"]).pk
    county = at(S.ASSIGNED, people, tree, households["b"], unit=tree.county).pk
    tiancheng = at(S.ASSIGNED, people, tree, households["c"], unit=tree.township_2).pk
    assert visible(people["township_officer"]) == {baini}
    assert visible(people["tiancheng"]) == {tiancheng}
    assert visible(people["county_officer"]) == {baini, county, tiancheng}
    assert visible(people["supervisor"]) == {baini, county, tiancheng}
    assert visible(people["city_department"]) == {baini, county, tiancheng}
    for key in ("outsider", "tongshan_supervisor", "village_cadre", "village_cadre_b"):
        assert visible(people[key]) == set(), key


@pytest.mark.parametrize(
    "state",
    [S.ASSIGNED, S.VERIFYING, S.CONFIRMED, S.RECTIFYING, S.RECTIFIED, S.SPOT_CHECK, S.CLOSED, S.UNFOUNDED],
)
def test_a_township_sees_none_of_another_townships_clues(state, people, tree, households):
    clue = at(state, people, tree, households["a"])
    other = people["tiancheng"]
    assert visible(other) == set()
    assert not evidence.evidence_visible_to(other).exists()
    assert visible(people["township_officer"]) == {clue.pk}


def test_everything_a_township_tries_on_another_townships_clue_is_not_found(people, tree, households):
    other = people["tiancheng"]
    for source, classification, call in STEPS.values():
        clue = at(source, people, tree, households["a"], classification=classification)
        with nothing_written(clue), pytest.raises(Http404):
            call(clue, other, tree)
    clue = at(S.VERIFYING, people, tree, households["a"])
    with nothing_written(clue), pytest.raises(Http404):
        evidence.add_evidence(clue, user=other, name="核查.pdf", content=PDF)


def test_an_escalated_pool_clue_stays_out_of_the_units_sight(people, tree, households):
    """A clue escalated before it was handed over is still the supervisors' pool: no unit was given it."""
    pool = at(S.GENERATED, people, tree, households["a"])
    try:
        clues.escalate(pool, user=people["supervisor"], reason="举报人反映线索被压案不办")
    except TransitionRefused:  # also acceptable: an unassigned clue cannot be escalated at all
        pool.refresh_from_db()
        assert pool.status == S.GENERATED
    for key in ("county_officer", "township_officer", "medical_officer", "city_department"):
        assert pool.pk not in visible(people[key]), key
    assert pool.pk in visible(people["supervisor"])


def test_log_access_records_who_saw_a_clue_and_how(people, tree, households):
    clue = at(S.ASSIGNED, people, tree, households["a"])
    clues.log_access(clue, people["township_officer"], "page")
    clues.log_access(clue, people["supervisor"], "api")
    clues.log_access(clue, people["supervisor"], "export")
    rows = list(ClueAccess.objects.filter(clue=clue).order_by("id").values_list("user__username", "channel"))
    assert rows == [("township_officer", "page"), ("supervisor", "api"), ("supervisor", "export")]


# -------------------------------------------------------------------------------------- from comparison hits


def hit(household, *, produces="clue", code="BD-03", person=True, sources=("部门数据：财政", "户籍")):
    run = ScreeningRun.objects.create(region=household.region, as_of=dt.date.today(), status="succeeded")
    member = household.members.first() if person else None
    return Warning.objects.create(
        rule_code=code,
        rule_set="comparison",
        rule_version="1",
        rule_title=f"比对规则 {code}",
        produces=produces,
        severity="high",
        subject_key=member.id_number if member else household.number,
        household=household,
        person=member,
        as_of=dt.date.today(),
        evidence={
            "inputs": [
                {"name": f"input_{i}", "value": True, "source": s}
                for i, s in enumerate([*sources, sources[0]])
            ],
            "rows": [{"dataset": "财政供养人员", "id_number": "4212231980********"}],
        },
        explanation=f"{code} 命中：该户成员在比对数据中。",
        raised_by=run,
        last_seen_by=run,
        first_seen_at=dt.datetime.now(dt.UTC),
        last_seen_at=dt.datetime.now(dt.UTC),
    )


def test_clues_come_only_from_clue_hits_with_their_evidence_and_sources(people, tree, households):
    clue_hit = hit(households["a"])
    warning = hit(households["a"], produces="warning", code="FX-01")
    quality = hit(households["b"], produces="quality", code="ZL-01")
    made = clues.clues_from_warnings([clue_hit, warning, quality], user=people["supervisor"])
    assert len(made.created) == 1 and len(made.skipped) == 2
    assert Clue.objects.count() == 1
    clue = Clue.objects.get()
    assert (clue.warning, clue.rule_code, clue.source) == (clue_hit, "BD-03", "comparison")
    assert clue.evidence == clue_hit.evidence
    assert clue.sources == "部门数据：财政；户籍"
    assert (clue.household, clue.person, clue.region) == (households["a"], clue_hit.person, tree.village_a)
    assert (clue.assigned_region, clue.status, clue.description) == (
        tree.county,
        S.GENERATED,
        clue_hit.explanation,
    )
    assert status_changes(clue) == ["open"]
    assert all(re.search("[\u4e00-\u9fff]", reason) for reason in made.skipped)


def test_a_hit_becomes_one_clue_only(people, tree, households):
    first = hit(households["a"])
    made = clues.clues_from_warnings([first, first], user=people["supervisor"])
    assert len(made.created) == 1
    again = clues.clues_from_warnings([first, hit(households["b"])], user=people["supervisor"])
    assert len(again.created) == 1 and len(again.skipped) == 1 and "已生成" in again.skipped[0]
    assert Clue.objects.filter(warning=first).count() == 1 and Clue.objects.count() == 2


def test_hits_out_of_scope_are_not_found_and_nothing_is_generated(people, tree, households):
    mine, theirs = hit(households["a"]), hit(households["d"])
    log = ObjectChange.objects.count()
    with pytest.raises(Http404):
        clues.clues_from_warnings([mine, theirs], user=people["supervisor"])
    assert not Clue.objects.exists() and ObjectChange.objects.count() == log
    with pytest.raises(PermissionDenied):
        clues.clues_from_warnings([mine], user=people["county_officer"])
    assert not Clue.objects.exists()


def test_the_generated_clue_is_logged_under_its_real_number(people, tree, households):
    clue = clues.clues_from_warnings([hit(households["a"])], user=people["supervisor"]).created[0]
    created = ObjectChange.objects.get(content_type=clue_ct(), object_id=clue.pk, action="create")
    assert created.user == people["supervisor"]
    assert created.after["number"] == clue.number
    assert clue.number in created.object_repr


def test_a_generated_clue_is_assigned_like_any_other(people, tree, households):
    clue = clues.clues_from_warnings([hit(households["a"])], user=people["supervisor"]).created[0]
    assert clue.pk not in visible(people["township_officer"])
    clues.assign(clue, user=people["supervisor"], unit=tree.township, lead_official="王镇长", deadline=soon())
    assert clue.pk in visible(people["township_officer"])
    assert clue.pk not in visible(people["tiancheng"])
