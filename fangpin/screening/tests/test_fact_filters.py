"""What the engine does for speed must not change a hit: the ID key's cheap form equals UPPER(TRIM(...)) for
every string, and a dataset's rows that no fact's condition keeps are dropped before grouping only when that
cannot change a fact."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from fangpin.screening import compiler, engines, rules
from fangpin.screening.tests.fixtures import AS_OF, PARAMS, World, id_number

ID_TEXT = st.text(
    alphabet=st.sampled_from([" ", "x", "X", "0", "1", "9", "a", "ß", "é", "\u2003", *compiler.PADDING])
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), ID_TEXT), min_size=1, max_size=20))
def test_id_key_is_upper_trim_of_the_padding_for_every_string(values):
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE ids (id VARCHAR)")
        con.executemany("INSERT INTO ids VALUES (?)", [[v] for v in values])
        fast, plain = zip(
            *con.execute(
                f"SELECT {compiler.id_key_sql('id')}, UPPER(TRIM(id, ?)) FROM ids", [compiler.PADDING]
            ).fetchall(),
            strict=True,
        )
    finally:
        con.close()
    assert fast == plain


def vehicle_rules(facts: dict) -> compiler.Compiler:
    names = list(facts)
    doc = {
        "set": "test",
        "title": "测试",
        "version": "1",
        "facts": {
            name: {"title": name, "from": "vehicle_registration", **spec} for name, spec in facts.items()
        },
        "rules": [
            {
                "code": "T-01",
                "title": "测试规则",
                "subject": "person",
                "produces": "warning",
                "severity": "low",
                "basis": "测试",
                "datasets": ["vehicle_registration"],
                "condition": " OR ".join(f"{n} > 0" if facts[n]["value"] != "exists" else n for n in names),
                "evidence": names,
                "explanation": "、".join(f"{{{n}}}" for n in names),
            }
        ],
    }
    c = compiler.Compiler([rules.load_text(yaml.safe_dump(doc, allow_unicode=True), source="t.yaml")])
    assert c.errors == []
    return c


RECENT = {"value": "count(*)", "where": "registered_on > days_before(:as_of, 30)"}
NORMAL = {"value": "exists", "where": "status = '正常'"}
ANY = {"value": "count(*)"}


def id_ending_in_x() -> str:
    return next(n for seq in range(1, 100) if (n := id_number(dt.date(1990, 1, 1), seq)).endswith("X"))


def vehicles_world() -> tuple[World, dict]:
    world = World()
    old = AS_OF - dt.timedelta(days=400)
    recent = AS_OF - dt.timedelta(days=5)
    people = {}
    for name in ("only_cancelled_old", "normal_old", "repeated", "none"):
        _, people[name] = world.family()
    _, people["recent_cancelled"] = world.family(id_number=id_ending_in_x())
    world.record(
        "vehicle_registration", people["only_cancelled_old"], plate="A1", status="注销", registered_on=old
    )
    world.record("vehicle_registration", people["normal_old"], plate="B1", status="正常", registered_on=old)
    written = " " + people["recent_cancelled"]["id_number"].lower() + " "  # padded, lower-case x
    world.record("vehicle_registration", written, plate="C1", status="注销", registered_on=recent)
    world.record(
        "vehicle_registration", people["recent_cancelled"], plate="C2", status="注销", registered_on=recent
    )
    for _ in range(2):  # the same row delivered twice counts once
        world.record(
            "vehicle_registration", people["repeated"], plate="D1", status="注销", registered_on=recent
        )
    # a row dated after the as-of date is not read at all
    world.record(
        "vehicle_registration",
        people["none"],
        plate="E1",
        status="正常",
        registered_on=AS_OF + dt.timedelta(days=1),
    )
    return world, people


def evidence_by_person(result: engines.Result, people: dict) -> dict:
    by_id = {p["person_id"]: name for name, p in people.items()}
    return {by_id[h["person_id"]]: json.loads(h["evidence"]) for h in result.hits.to_pylist()}


def test_rows_no_fact_keeps_are_dropped_before_grouping_and_the_facts_are_unchanged():
    c = vehicle_rules({"cars_recent": RECENT, "car_normal": NORMAL})
    plan = c.plan(AS_OF, PARAMS)
    (facts,) = plan.facts_sql.values()
    assert (
        "registered_on >" in facts.split("WHERE", 1)[1].split("GROUP BY")[0]
    )  # the filter is before grouping
    world, people = vehicles_world()
    assert evidence_by_person(engines.run(plan, world.inputs()), people) == {
        "normal_old": {"cars_recent": 0, "car_normal": True},
        "recent_cancelled": {"cars_recent": 2, "car_normal": False},
        "repeated": {"cars_recent": 1, "car_normal": False},
    }


def test_a_fact_without_a_condition_keeps_every_row_of_its_dataset():
    c = vehicle_rules({"cars_recent": RECENT, "cars_any": ANY})
    plan = c.plan(AS_OF, PARAMS)
    world, people = vehicles_world()
    assert evidence_by_person(engines.run(plan, world.inputs()), people) == {
        "only_cancelled_old": {"cars_recent": 0, "cars_any": 1},
        "normal_old": {"cars_recent": 0, "cars_any": 1},
        "recent_cancelled": {"cars_recent": 2, "cars_any": 2},
        "repeated": {"cars_recent": 1, "cars_any": 1},
    }


def test_the_id_key_matches_padded_and_lower_case_department_ids():
    world = World()
    _, person = world.family(id_number=id_ending_in_x())
    c = vehicle_rules({"car_normal": NORMAL})
    world.record(
        "vehicle_registration",
        "  " + person["id_number"].lower() + " ",
        plate="F1",
        status="正常",
        registered_on=AS_OF,
    )
    result = engines.run(c.plan(AS_OF, PARAMS), world.inputs())
    assert result.counts == {"T-01": 1}


def test_without_explanations_the_hits_and_evidence_are_the_same():
    from fangpin.screening.tests.fixtures import catalogue
    from fangpin.screening.tests.golden_cases import rich_world

    plan = catalogue().plan(AS_OF, PARAMS)
    inputs = rich_world().inputs()
    full = engines.run(plan, inputs)
    bare = engines.run(plan, inputs, explain=False)
    assert bare.counts == full.counts and full.hits.num_rows > 40
    assert bare.hits.drop_columns(["explanation"]).equals(full.hits.drop_columns(["explanation"]))
    assert bare.hits.column("explanation").null_count == bare.hits.num_rows
    assert full.hits.column("explanation").null_count == 0


def test_duckdb_spills_into_its_own_directory_and_removes_it(tmp_path, monkeypatch):
    """DuckDB's default spill directory is `.tmp` in the working directory: gigabytes at national scale,
    left in whatever directory `fangpin screen` ran from."""
    monkeypatch.chdir(tmp_path)
    runner = engines.DuckDBRunner(engines.load_schema())
    ((spill,),) = runner.con.execute("SELECT current_setting('temp_directory')").fetchall()
    assert spill == runner.spill.name and not spill.startswith(str(tmp_path))
    world, people = vehicles_world()
    plan = vehicle_rules({"cars_recent": RECENT}).plan(AS_OF, PARAMS)
    runner.load(plan, world.inputs())
    runner.close()
    assert not Path(spill).exists() and not (tmp_path / ".tmp").exists()
