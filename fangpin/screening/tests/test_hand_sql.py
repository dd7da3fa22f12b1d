"""The benchmark's hand-written baseline (bench/screening_hand.sql, run by bench/hand.py) computes what the
engine computes: the same (rule, household, person) hits over the whole catalogue, on the world where every
rule hits (evidence values too), with repeated and lower-case/padded department rows, on all the golden cases'
must-not-hit sides together, and on edge rows the golden cases do not have."""

from __future__ import annotations

import importlib.util
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from fangpin.screening.tests.fixtures import AS_OF, PARAMS, World, catalogue_codes, days_ago, dec, screen
from fangpin.screening.tests.golden_cases import CASES, rich_world_with_subjects

ROOT = Path(__file__).resolve().parents[3]


def _load_hand():
    spec = importlib.util.spec_from_file_location("bench_hand", ROOT / "bench" / "hand.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hand = _load_hand()


def hand_table(world: World, *, params=None, **inputs) -> pa.Table:
    con = duckdb.connect()
    try:
        hand.register_inputs(con, world.inputs(**inputs))
        return hand.hand_hits(con, AS_OF, PARAMS if params is None else params)
    finally:
        con.close()


def keys(table: pa.Table) -> set[tuple]:
    return set(
        zip(
            table.column("rule").to_pylist(),
            table.column("household_id").to_pylist(),
            table.column("person_id").to_pylist(),
            strict=True,
        )
    )


def messy(world: World) -> World:
    """Every department row delivered twice, the second copy with its ID number lower-cased and padded."""
    for rows in world.rows.values():
        for row in list(rows):
            rows.append(row | {"id_number": f"  {row['id_number'].lower()} "})
    return world


def _like(ours, theirs):
    """The engine writes amounts as text ("15000.00"); the baseline as JSON numbers."""
    return Decimal(theirs) if isinstance(ours, Decimal) and isinstance(theirs, str) else theirs


def assert_same_evidence(table: pa.Table, engine: pa.Table) -> None:
    """Every hit's evidence holds the engine's names and values (amounts compared as numbers)."""
    ours = {
        (r["rule"], r["household_id"], r["person_id"]): json.loads(r["evidence"], parse_float=Decimal)
        for r in table.to_pylist()
    }
    for row in engine.to_pylist():
        mine = ours[(row["rule"], row["household_id"], row["person_id"])]
        theirs = json.loads(row["evidence"])
        assert mine.keys() == theirs.keys(), row["rule"]
        assert mine == {k: _like(mine[k], v) for k, v in theirs.items()}, row["rule"]


@pytest.fixture(scope="module")
def rich():
    """The world where every rule hits (with each rule's boundary subject too), and the engine's hits."""
    world, subjects = rich_world_with_subjects()
    return world, subjects, screen(world).hits


def test_schema_and_parameters(rich):
    world, _, _ = rich
    table = hand_table(world)
    assert [(f.name, f.type) for f in table.schema] == [
        ("rule", pa.string()),
        ("household_id", pa.int64()),
        ("person_id", pa.int64()),
        ("evidence", pa.string()),
    ]
    assert set(hand.sql_parameters(hand.hand_sql())) == set(PARAMS) | {"as_of"}
    for evidence in table.column("evidence").to_pylist():
        assert isinstance(json.loads(evidence), dict)


def test_same_hits_as_engine_on_the_rich_world(rich):
    world, subjects, engine = rich
    table = hand_table(world)
    expected, got = keys(engine), keys(table)
    assert got == expected, {"missing": sorted(expected - got), "extra": sorted(got - expected)}
    assert table.num_rows == engine.num_rows  # no hit twice
    assert {rule for rule, _, _ in got} == set(catalogue_codes())
    assert_same_evidence(table, engine)
    # each golden case: the hit subject hits, the boundary subject does not
    for code, (hit, boundary) in subjects.items():
        assert (code, hit["household_id"], hit.get("person_id")) in got, code
        assert (code, boundary["household_id"], boundary.get("person_id")) not in got, code


def test_parameters_as_text(rich):
    """bench/screening.py passes the values of the parameters CSV, as text."""
    world, _, engine = rich
    assert keys(hand_table(world, params={k: str(v) for k, v in PARAMS.items()})) == keys(engine)


def test_repeated_rows_and_messy_id_numbers():
    world = messy(rich_world_with_subjects()[0])
    engine = screen(world).hits
    table = hand_table(world)
    assert keys(table) == keys(engine)
    assert table.num_rows == engine.num_rows
    assert_same_evidence(table, engine)  # sums and counts see each distinct row once


def test_boundary_worlds():
    """Every rule's must-not-hit case, without the hit cases beside it (one world: one engine run)."""
    world = World()
    boundary = {code: case.build(world, False) for code, case in CASES.items()}
    engine = screen(world).hits
    got = keys(hand_table(world))
    assert got == keys(engine)
    for code, subject in boundary.items():
        assert (code, subject["household_id"], subject.get("person_id")) not in got, code


def test_undelivered_datasets_are_empty_views():
    """register_inputs makes a view with the schema's columns for a dataset that was not delivered."""
    world, _ = rich_world_with_subjects()
    con = duckdb.connect()
    try:
        assert hand.register_inputs(con, world.inputs(withhold=("pension",))) == ["pension"]
        assert con.sql("SELECT count(*) FROM ds_pension").fetchall() == [(0,)]
        assert hand.hand_hits(con, AS_OF, PARAMS).num_rows > 0
    finally:
        con.close()


def test_edges():
    """What the golden cases do not show: rows dated after the as-of date or with no date or no ID number, a
    registry ID number written with a lower-case x and padding, a household with no members, repeated rows in
    counts and sums."""
    world = World()
    poor = world.household(household_type="脱贫户", per_capita_income=dec(5000), member_count=1)
    p = world.person(poor, id_number=" 42122319800505123x ", disabled=True, disability_card="X1", dibao=True)
    key = "42122319800505123X"
    world.record("medical_settlement", key, visit_type="住院", admitted_on=AS_OF, self_paid=dec(7000))
    world.record("medical_settlement", key, visit_type="住院", admitted_on=days_ago(-1), self_paid=dec(90000))
    world.record("medical_settlement", key, visit_type="住院", admitted_on=None, self_paid=dec(90000))
    world.record("medical_settlement", key, visit_type="住院", admitted_on=AS_OF, self_paid=dec(80000))
    world.rows["medical_settlement"][-1]["id_number"] = None
    world.record("disability_card", p, issued_on=days_ago(-1), category="肢体", grade="四级")
    for _ in range(2):  # the same car twice, and a second car
        world.record("vehicle_registration", key, plate="鄂L1", vehicle_type="小型轿车", registered_on=AS_OF)
    world.record("vehicle_registration", key, plate="鄂L2", vehicle_type="小型轿车", registered_on=AS_OF)
    world.record("death_record", key, death_date=None)
    world.record("minimum_living", key, start_date=days_ago(10), end_date=days_ago(-5))
    world.record("minimum_living", key, start_date=days_ago(900), end_date=days_ago(800))
    world.record("public_payroll", key, staff_type="事业编制", hired_on=None)
    world.household(per_capita_income=dec(5000), member_count=2)  # no members
    engine = screen(world).hits
    table = hand_table(world)
    assert keys(table) == keys(engine)
    rules = {rule for rule, _, _ in keys(table)}
    assert {"BD-04", "BD-08", "JC-07", "JC-04", "ZL-10", "ZL-11"} <= rules and "BD-03" not in rules
    assert_same_evidence(table, engine)
