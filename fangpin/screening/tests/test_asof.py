"""As-of reproducibility at engine level: parameters and department rows are read as of the screening date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fangpin.screening.tests.fixtures import PARAMS, World, dec, screen

EARLIER = dt.date(2025, 6, 30)
LATER = dt.date(2026, 6, 30)
PARAMS_EARLIER = PARAMS | {"monitoring_line": Decimal("7600")}
PARAMS_LATER = PARAMS | {"monitoring_line": Decimal("8000")}
CODES = {"JC-01", "JC-02", "JC-04", "BD-01", "ZL-09"}


def _world() -> tuple[World, dict]:
    world = World()
    households = {}
    for income in ("7599.99", "7600.00", "7800.00", "7999.99", "8000.00"):
        h = world.household(per_capita_income=dec(income), income_year=2024)
        world.person(h, chronic_disease=True)
        households[income] = h
    _, p = world.family()
    world.record("death_record", p, death_date=dt.date(2026, 1, 1))  # between the two dates
    return world, households


def _table(result) -> list[dict]:
    return result.hits.to_pylist()


def test_later_parameters_give_different_hits():
    world, households = _world()
    earlier = screen(world, CODES, as_of=EARLIER, params=PARAMS_EARLIER)
    later = screen(world, CODES, as_of=LATER, params=PARAMS_LATER)

    def jc01(result):
        return {h["household_id"] for h in _table(result) if h["rule"] == "JC-01"}

    ids = {k: h["household_id"] for k, h in households.items()}
    assert jc01(earlier) == {ids["7599.99"]}
    assert jc01(later) == {ids["7599.99"], ids["7600.00"], ids["7800.00"], ids["7999.99"]}
    assert earlier.counts["BD-01"] == 0 and later.counts["BD-01"] == 1
    # income year 2024 is current for 2025, stale for 2026
    assert earlier.counts["ZL-09"] == 0 and later.counts["ZL-09"] == len(households)
    later_explanations = [h["explanation"] for h in _table(later) if h["rule"] == "JC-01"]
    assert all("8,000" in e and "2026" in e for e in later_explanations)
    assert {h["as_of"] for h in _table(later)} == {LATER}


def test_earlier_as_of_with_its_own_parameters_gives_exactly_the_earlier_hits():
    world, _ = _world()
    first = screen(world, CODES, as_of=EARLIER, params=PARAMS_EARLIER)
    screen(world, CODES, as_of=LATER, params=PARAMS_LATER)  # nothing carries over from a later run
    again = screen(world, CODES, as_of=EARLIER, params=PARAMS_EARLIER)
    assert first.hits.equals(again.hits)
    assert _table(first) == _table(again)
    assert first.counts == again.counts
    explanations = [h["explanation"] for h in _table(again) if h["rule"] == "JC-01"]
    assert explanations and all("7,600" in e and "2025" in e for e in explanations)
    assert {h["as_of"] for h in _table(again)} == {EARLIER}


def test_same_date_same_parameters_is_deterministic_across_fresh_inputs():
    a = screen(_world()[0], CODES, as_of=LATER, params=PARAMS_LATER)
    b = screen(_world()[0], CODES, as_of=LATER, params=PARAMS_LATER)
    assert a.counts == b.counts

    def strip(rows):
        keys = ("household_id", "person_id", "household_number", "id_number")
        return [{k: v for k, v in r.items() if k not in keys} for r in rows]

    assert strip(_table(a)) == strip(_table(b))


def test_plan_parameters_record_the_values_used():
    from fangpin.screening.tests.fixtures import catalogue

    plan = catalogue().plan(LATER, PARAMS_LATER, {"JC-01"})
    assert plan.parameters == {"monitoring_line": Decimal("8000")}
    assert plan.as_of == LATER
