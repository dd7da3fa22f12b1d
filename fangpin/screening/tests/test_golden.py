"""Golden cases: every catalogue rule hits where it must and not one step across its boundary."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from fangpin.screening.tests.fixtures import (
    AS_OF,
    PARAMS,
    SCHEMA,
    World,
    born,
    catalogue,
    catalogue_codes,
    check_char,
    days_ago,
    dec,
    hits_of,
    id_number,
    is_valid_id,
    screen,
)
from fangpin.screening.tests.golden_cases import CASES

CODES = catalogue_codes()
RULES = {c.rule.code: c.rule for c in catalogue().compiled}


def _subject_key(code: str, subject: dict) -> tuple:
    if RULES[code].subject == "household":
        return (subject["household_id"], None)
    return (subject["household_id"], subject["person_id"])


def _keys(hits: list[dict]) -> list[tuple]:
    return [(h["household_id"], h["person_id"]) for h in hits]


def test_every_rule_has_a_golden_case():
    assert len(CODES) == 43
    assert set(CASES) == set(CODES)


@pytest.mark.parametrize("code", CODES)
def test_rule_hits(code):
    case = CASES[code]
    world = World()
    subject = case.build(world, True)
    result = screen(world, {code})
    hits = hits_of(result, code)
    assert _keys(hits) == [_subject_key(code, subject)]
    hit = hits[0]
    rule = RULES[code]
    assert (hit["rule_set"], hit["rule_version"], hit["subject"], hit["as_of"]) == (
        rule.rule_set,
        rule.version,
        rule.subject,
        AS_OF,
    )
    if rule.subject == "person":
        assert hit["id_number"] == subject["id_number"]
    else:
        assert hit["id_number"] is None
    evidence = json.loads(hit["evidence"])
    assert set(evidence) == set(rule.evidence)
    for key, value in case.evidence.items():
        assert evidence[key] == value, (key, evidence)
    for fragment in case.text:
        assert fragment in hit["explanation"], (fragment, hit["explanation"])
    assert "{" not in hit["explanation"]
    assert result.counts == {code: 1}
    assert result.skipped == {}


@pytest.mark.parametrize("code", CODES)
def test_rule_boundary_does_not_hit(code):
    world = World()
    CASES[code].build(world, False)
    result = screen(world, {code})
    assert hits_of(result, code) == []
    assert result.counts == {code: 0}


# ------------------------------------------------------------------ ID numbers and ages (the builders themselves)


def test_id_number_builder():
    assert check_char("11010519491231002") == "X"  # the standard's own example
    assert is_valid_id("11010519491231002X")
    assert not is_valid_id("110105194912310021")
    number = id_number(dt.date(1980, 1, 1), 1)
    assert is_valid_id(number) and number[6:14] == "19800101"


def test_age_helpers():
    assert born(16) == dt.date(2010, 6, 30)
    assert born(16, days=1) == dt.date(2010, 7, 1)
    assert days_ago(365) == dt.date(2025, 6, 30)


@pytest.mark.parametrize(
    ("birth", "working_age"),
    [(born(16), True), (born(16, days=1), False), (born(60, days=1), True), (born(60), False)],
)
def test_labour_age_bounds_through_the_feature(birth, working_age):
    """labour_members counts 16 to 59 year-olds inclusive: JC-04 fires only when nobody is of working age."""
    world = World()
    h = world.household(per_capita_income=dec(10000))
    world.person(h, birth_date=birth)
    assert screen(world, {"JC-04"}).counts["JC-04"] == (0 if working_age else 1)


@pytest.mark.parametrize(("as_of", "of_age"), [(dt.date(2026, 2, 28), False), (dt.date(2026, 3, 1), True)])
def test_leap_day_birth_comes_of_age_on_1_march(as_of, of_age):
    """Born 29 February 2008: not yet 18 on 28 February 2026, 18 on 1 March 2026."""
    world = World()
    h = world.household(per_capita_income=dec(10000))
    world.person(h, birth_date=dt.date(2008, 2, 29))
    result = screen(world, {"JC-04"}, as_of=as_of, params=PARAMS | {"labour_age_min": 18})
    assert result.counts["JC-04"] == (0 if of_age else 1)


# ------------------------------------------------------------------ department rows


def test_id_numbers_match_with_lower_case_x_and_spaces():
    world = World()
    h = world.household()
    p = world.person(h, id_number="11010519491231002X", birth_date=dt.date(1949, 12, 31))
    world.record("death_record", "  11010519491231002x ", death_date=dt.date(2026, 2, 1))
    result = screen(world, {"BD-01"})
    assert _keys(hits_of(result, "BD-01")) == [(h["household_id"], p["person_id"])]
    # the hit keeps the registry's own ID number
    assert hits_of(result, "BD-01")[0]["id_number"] == "11010519491231002X"


def test_registry_id_with_spaces_and_lower_case_x_matches_clean_department_id():
    world = World()
    h = world.household()
    p = world.person(h, id_number=" 11010519491231002x")
    world.record("death_record", "11010519491231002X", death_date=dt.date(2026, 2, 1))
    assert _keys(hits_of(screen(world, {"BD-01"}), "BD-01")) == [(h["household_id"], p["person_id"])]


def test_a_different_person_does_not_match():
    world = World()
    h, p = world.family()
    other = id_number(dt.date(1980, 5, 5), 999)
    assert other != p["id_number"]
    world.record("death_record", other, death_date=dt.date(2026, 2, 1))
    assert screen(world, {"BD-01"}).counts["BD-01"] == 0


def test_same_row_delivered_twice_is_one_hit():
    world = World()
    h, p = world.family()
    for _ in range(2):
        world.record("death_record", p, death_date=dt.date(2026, 2, 1))
        world.record("disability_card", p, issued_on=days_ago(10), category="肢体", grade="二级")
    result = screen(world, {"BD-01", "JC-11"})
    assert result.counts == {"BD-01": 1, "JC-11": 1}


def _assistance(rows: list[tuple[str, dt.date]]) -> dict:
    world = World()
    h, p = world.family()
    for amount, day in rows:
        world.record("temporary_assistance", p, amount=dec(amount), assistance_date=day, reason="因病")
    hits = hits_of(screen(world, {"JC-17"}), "JC-17")
    assert len(hits) == 1
    return json.loads(hits[0]["evidence"])


def test_identical_rows_do_not_double_a_sum():
    day = days_ago(40)
    assert _assistance([("800", day), ("800", day)]) == {"temporary_assistance_recent": "800.00"}


def test_two_different_rows_add_up():
    assert _assistance([("800", days_ago(40)), ("800", days_ago(41))]) == {
        "temporary_assistance_recent": "1600.00"
    }
    assert _assistance([("800", days_ago(40)), ("700", days_ago(40))]) == {
        "temporary_assistance_recent": "1500.00"
    }


def test_rows_after_as_of_are_not_seen_in_a_sum():
    assert _assistance([("800", AS_OF), ("5000", AS_OF + dt.timedelta(days=1))]) == {
        "temporary_assistance_recent": "800.00"
    }


def test_identical_medical_rows_do_not_double_the_cumulative_self_pay():
    world = World()
    h, p = world.family(world.household(household_type="脱贫户"))
    for _ in range(2):  # 2 x 6000 would exceed 10196; one 6000 does not
        world.record(
            "medical_settlement", p, visit_type="住院", admitted_on=days_ago(30), self_paid=dec(6000)
        )
    assert screen(world, {"JC-09"}).counts["JC-09"] == 0


def test_department_rows_after_as_of_are_not_seen_for_exists_and_max():
    world = World()
    h, p = world.family()
    late = AS_OF + dt.timedelta(days=1)
    world.record("minimum_living", p, start_date=late)
    world.record("employment", p, status="失业", start_date=late)
    world.record("death_record", p, death_date=late)
    result = screen(world, {"JC-15", "JC-18", "BD-01"})
    assert result.counts == {"JC-15": 0, "JC-18": 0, "BD-01": 0}


def test_later_as_of_sees_the_rows():
    world = World()
    h, p = world.family()
    world.record("death_record", p, death_date=AS_OF + dt.timedelta(days=1))
    assert screen(world, {"BD-01"}, as_of=AS_OF + dt.timedelta(days=1)).counts["BD-01"] == 1


# ------------------------------------------------------------------ datasets not delivered


@pytest.mark.parametrize(
    ("code", "dataset"),
    [("BD-08", "disability_card"), ("BD-13", "school_enrolment"), ("JC-07", "medical_settlement")],
)
def test_rule_over_undelivered_dataset_is_skipped(code, dataset):
    world = World()
    CASES[code].build(world, True)
    for _ in range(3):  # people who would all "lack a record"
        world.family(disabled=True, birth_date=born(10), education=None, student_status="小学")
    result = screen(world, {code}, withhold=(dataset,))
    assert result.skipped == {code: [dataset]}
    assert dataset in result.missing_datasets
    assert code not in result.counts
    assert hits_of(result, code) == []


def test_empty_delivery_is_not_missing():
    world = World()
    CASES["BD-08"].build(world, True)
    result = screen(world, {"BD-08"})
    assert result.skipped == {} and result.missing_datasets == []
    assert result.counts == {"BD-08": 1}


def test_skipping_one_rule_keeps_the_others():
    world = World()
    for code in ("BD-08", "JC-05"):
        CASES[code].build(world, True)
    result = screen(world, {"BD-08", "BD-01", "JC-05"}, deliver_all=False)
    assert result.skipped == {"BD-01": ["death_record"], "BD-08": ["disability_card"]}
    assert result.counts == {"JC-05": 1}


def test_schema_declares_every_dataset_the_builder_delivers():
    world = World()
    world.family()
    assert set(world.inputs().datasets) == set(SCHEMA.datasets)


def test_parameter_values_show_in_the_explanation():
    world = World()
    CASES["JC-01"].build(world, True)
    hits = hits_of(screen(world, {"JC-01"}, params=PARAMS | {"monitoring_line": Decimal("8000.50")}), "JC-01")
    assert "8,000.50" in hits[0]["explanation"]


def test_same_row_with_differently_written_id_does_not_double_a_sum():
    world = World()
    h, p = world.family(id_number="11010519491231002X", birth_date=dt.date(1949, 12, 31))
    day = days_ago(40)
    world.record(
        "temporary_assistance", "11010519491231002X", amount=dec(800), assistance_date=day, reason="因病"
    )
    world.record(
        "temporary_assistance", " 11010519491231002x", amount=dec(800), assistance_date=day, reason="因病"
    )
    hits = hits_of(screen(world, {"JC-17"}), "JC-17")
    assert json.loads(hits[0]["evidence"]) == {"temporary_assistance_recent": "800.00"}
