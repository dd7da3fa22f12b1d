"""The whole catalogue on one rich fixture, on DuckDB and on Spark local mode: identical hits.

Spark costs tens of seconds to start, so it runs once per session (module-scoped fixture)."""

from __future__ import annotations

import os
import shutil

import pytest

from fangpin.screening.tests.fixtures import catalogue, catalogue_codes, screen
from fangpin.screening.tests.golden_cases import rich_world_with_subjects

# CI installs Java, so there the parity check never skips.
pytestmark = pytest.mark.skipif(
    shutil.which("java") is None and not os.environ.get("CI"), reason="Spark needs Java"
)


def _rows(result) -> list[dict]:
    return sorted(
        result.hits.to_pylist(),
        key=lambda h: (h["rule"], h["household_id"], h["person_id"] or 0, h["evidence"]),
    )


@pytest.fixture(scope="module")
def both():
    world, subjects = rich_world_with_subjects()
    duck = screen(world, engine="duckdb")
    spark = screen(world, engine="spark")
    return subjects, duck, spark


def test_every_rule_hits_at_least_once(both):
    _, duck, _ = both
    assert set(duck.counts) == set(catalogue_codes())
    assert {code for code, n in duck.counts.items() if n == 0} == set()
    assert duck.skipped == {} and duck.missing_datasets == []


def test_hit_tables_are_identical(both):
    _, duck, spark = both
    assert duck.hits.schema == spark.hits.schema
    assert duck.hits.num_rows == spark.hits.num_rows
    duck_rows, spark_rows = _rows(duck), _rows(spark)
    for d, s in zip(duck_rows, spark_rows, strict=True):
        assert d == s


def test_counts_and_subjects_are_identical(both):
    _, duck, spark = both
    assert duck.counts == spark.counts
    assert duck.subjects == spark.subjects
    assert duck.skipped == spark.skipped
    assert duck.missing_datasets == spark.missing_datasets


def test_golden_subjects_hit_and_boundary_subjects_do_not(both):
    """Merged into one world, each rule still hits its golden subject and not its boundary subject."""
    subjects, duck, _ = both
    hits = {(h["rule"], h["household_id"], h["person_id"]) for h in duck.hits.to_pylist()}
    kinds = {c.rule.code: c.rule.subject for c in catalogue().compiled}
    for code, (hit, miss) in subjects.items():
        for subject, expected in ((hit, True), (miss, False)):
            person_id = subject["person_id"] if kinds[code] == "person" else None
            assert ((code, subject["household_id"], person_id) in hits) is expected, code


# ------------------------------------------------------------------ constructs the compiler accepts but the engines
# disagree on. Each runs a one-rule plan on the Spark session the fixture above already started (a few seconds).


def _both_engines(condition: str, **household):
    from fangpin.screening import engines
    from fangpin.screening.tests.fixtures import AS_OF, PARAMS, World
    from fangpin.screening.tests.test_compiler import compile_rules, rule_doc

    c = compile_rules(rule_doc(condition, subject="person"))
    assert c.errors == []
    world = World()
    world.family(world.household(**household))
    plan = c.plan(AS_OF, PARAMS)
    return [engines.run(plan, world.inputs(), engine=e).counts for e in ("duckdb", "spark")]


def test_division_by_zero_same_on_both_engines(both):
    from decimal import Decimal

    duck, spark = _both_engines("net_income / per_capita_income > 2", per_capita_income=Decimal(0))
    assert duck == spark


PADDINGS = ["\t", "\u3000", "\u00a0", "\r\n", " "]


def test_trim_strips_the_same_padding_on_both_engines(both):
    # DuckDB's bare TRIM also strips full-width and no-break spaces, Spark's only spaces: `trim` is given
    # its characters, so a rule reads the same on both.
    from fangpin.screening import engines
    from fangpin.screening.tests.fixtures import AS_OF, PARAMS, World
    from fangpin.screening.tests.test_compiler import compile_rules, rule_doc

    plan = compile_rules(rule_doc("trim(work_location) = '武汉'", subject="person")).plan(AS_OF, PARAMS)
    world = World()
    for pad in PADDINGS:
        world.family(work_location=f"{pad}武汉{pad}")
    world.family(work_location="武\u3000汉")  # inside the text: kept
    counts = [engines.run(plan, world.inputs(), engine=e).counts for e in ("duckdb", "spark")]
    assert counts == [{"T-01": len(PADDINGS)}] * 2


def test_department_ids_with_any_padding_match_on_both_engines(both):
    from fangpin.screening import engines
    from fangpin.screening.tests.fixtures import AS_OF, PARAMS, World
    from fangpin.screening.tests.test_fact_filters import NORMAL, id_ending_in_x, vehicle_rules

    plan = vehicle_rules({"car_normal": NORMAL}).plan(AS_OF, PARAMS)
    world = World()
    for pad in PADDINGS:
        _, person = world.family()
        world.record(
            "vehicle_registration", f"{pad}{person['id_number']}{pad}", status="正常", registered_on=AS_OF
        )
    _, person = world.family(id_number=id_ending_in_x())
    world.record(
        "vehicle_registration", f"\u3000{person['id_number'].lower()}\t", status="正常", registered_on=AS_OF
    )
    counts = [engines.run(plan, world.inputs(), engine=e).counts for e in ("duckdb", "spark")]
    assert counts == [{"T-01": len(PADDINGS) + 1}] * 2
