"""A household feature that counts the members a fact holds for is counted over the person pass's candidates
(so the features' own pass needs no ID key and no department join): the counts must equal the plain way's,
also with no person rule at all, and a person rule that reads a feature still gets it before its pass."""

from __future__ import annotations

import datetime as dt
import json

import yaml
from sqlglot import parse_one

from fangpin.screening import compiler, engines, rules
from fangpin.screening.tests.fixtures import AS_OF, PARAMS, World

HOUSEHOLD_RULE = {
    "code": "T-H",
    "title": "多人有车",
    "subject": "household",
    "produces": "warning",
    "severity": "low",
    "basis": "测试",
    "datasets": ["vehicle_registration"],
    "condition": "car_members > 1",
    "evidence": ["car_members", "members"],
    "explanation": "{car_members}/{members}",
}
PERSON_RULE_READING_A_FEATURE = {
    "code": "T-P",
    "title": "家中有他人有车",
    "subject": "person",
    "produces": "warning",
    "severity": "low",
    "basis": "测试",
    "datasets": ["vehicle_registration"],
    "condition": "NOT car_normal AND car_members > 0",
    "evidence": ["car_members"],
    "explanation": "{car_members}",
}
PERSON_RULE = {
    **PERSON_RULE_READING_A_FEATURE,
    "condition": "car_normal",
    "evidence": ["car_normal"],
    "explanation": "{car_normal}",
}


def rule_set(*rule_docs: dict, extra_features: dict | None = None) -> compiler.Compiler:
    doc = {
        "set": "test",
        "title": "测试",
        "version": "1",
        "facts": {
            "car_normal": {
                "title": "有正常车辆",
                "from": "vehicle_registration",
                "value": "exists",
                "where": "status = '正常'",
            }
        },
        "features": {
            "car_members": {"title": "有车成员数", "value": "count_if(car_normal)"},  # members: common.yaml
            **{name: {"title": name, "value": value} for name, value in (extra_features or {}).items()},
        },
        "rules": list(rule_docs),
    }
    c = compiler.Compiler([rules.load_text(yaml.safe_dump(doc, allow_unicode=True), source="t.yaml")])
    assert c.errors == []
    return c


def cars_world() -> tuple[World, dict]:
    """Households with 0, 1, 2 and 3 members who have a car (one of them padded and with a repeated row)."""
    world = World()
    households = {}
    for cars in range(4):
        household = world.household()
        households[cars] = household
        for i in range(4):
            _, person = world.family(household)
            if i < cars:
                written = f" {person['id_number']}\t" if i == 2 else person
                world.record(
                    "vehicle_registration", written, plate=f"P{i}", status="正常", registered_on=AS_OF
                )
                world.record(
                    "vehicle_registration", person, plate=f"P{i}", status="正常", registered_on=AS_OF
                )
    # a cancelled car, and a car registered after the as-of date, are not counted
    _, person = world.family(households[0])
    world.record("vehicle_registration", person, plate="X", status="注销", registered_on=AS_OF)
    world.record(
        "vehicle_registration", person, plate="Y", status="正常", registered_on=AS_OF + dt.timedelta(1)
    )
    return world, households


def household_evidence(result: engines.Result, households: dict) -> dict:
    by_id = {h["household_id"]: cars for cars, h in households.items()}
    return {
        by_id[h["household_id"]]: json.loads(h["evidence"])
        for h in result.hits.to_pylist()
        if h["rule"] == "T-H"
    }


def test_member_counts_come_from_the_person_candidates_with_no_person_rule():
    plan = rule_set(HOUSEHOLD_RULE).plan(AS_OF, PARAMS)
    assert list(plan.member_counts) == ["feat__test__car_members"]
    assert "id_key" not in plan.feature_sql  # the features' own pass joins no department data
    relations, _ = plan.statements()
    assert list(relations) == ["candidates_person", "screen_member_count", "candidates_household"]
    world, households = cars_world()
    assert household_evidence(engines.run(plan, world.inputs()), households) == {
        2: {"car_members": 2, "members": 4},
        3: {"car_members": 3, "members": 4},
    }


def test_member_counts_beside_person_rules_do_not_add_person_hits():
    plan = rule_set(HOUSEHOLD_RULE, PERSON_RULE).plan(AS_OF, PARAMS)
    assert plan.member_counts
    world, households = cars_world()
    result = engines.run(plan, world.inputs())
    assert result.counts == {"T-H": 2, "T-P": 1 + 2 + 3}
    assert household_evidence(result, households)[3] == {"car_members": 3, "members": 4}


def test_a_person_rule_reading_the_feature_gets_it_before_the_person_pass():
    plan = rule_set(HOUSEHOLD_RULE, PERSON_RULE_READING_A_FEATURE).plan(AS_OF, PARAMS)
    assert plan.member_counts == {} and "id_key" in plan.feature_sql
    world, households = cars_world()
    result = engines.run(plan, world.inputs())
    assert household_evidence(result, households) == {
        2: {"car_members": 2, "members": 4},
        3: {"car_members": 3, "members": 4},
    }
    # members without a car in households where someone has one: 3 + 2 + 1
    assert result.counts["T-P"] == 6


def test_a_count_that_holds_for_members_without_department_rows_is_not_taken_from_the_candidates():
    """`count_if(NOT car_normal)` holds for nearly everyone: counted over the candidates it would keep them all.
    It stays in the features' own pass, and so does an OR; an AND with the fact among its terms does not."""
    c = rule_set(HOUSEHOLD_RULE)
    doc_features = {
        "without_car": "count_if(NOT car_normal)",
        "car_or_head": "count_if(car_normal OR relation = '户主')",
        "car_and_head": "count_if((relation = '户主') AND (car_normal))",
    }
    assert c._needs_a_fact_row(c.features["car_members"].node.this)
    expectations = {"without_car": False, "car_or_head": False, "car_and_head": True}
    for name, value in doc_features.items():
        condition = parse_one(value, read="duckdb").this
        assert c._needs_a_fact_row(condition) is expectations[name], name


def test_members_without_department_rows_are_counted_in_the_features_pass():
    doc_rule = {**HOUSEHOLD_RULE, "condition": "members_without_car > 2", "evidence": ["members_without_car"]}
    doc_rule["explanation"] = "{members_without_car}"
    c = rule_set(doc_rule, extra_features={"members_without_car": "count_if(NOT car_normal)"})
    plan = c.plan(AS_OF, PARAMS)
    assert plan.member_counts == {} and "id_key" in plan.feature_sql
    world, households = cars_world()
    assert household_evidence(engines.run(plan, world.inputs()), households) == {
        0: {"members_without_car": 5},
        1: {"members_without_car": 3},
    }
