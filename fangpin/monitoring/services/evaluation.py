"""Evaluating rule sets over a region on a day: snapshot, per-parameter-group engine runs, one hits table.
Nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from fangpin.geo.models import Region
from fangpin.monitoring.services.datasets import _datasets_for_persons, datasets_for
from fangpin.monitoring.services.parameters import compiler_for, parameter_groups, values_of
from fangpin.monitoring.snapshot import registry_snapshot
from fangpin.screening import engines
from fangpin.screening.rules import RuleSet


@dataclass
class Outcome:
    hits: pa.Table
    counts: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    evaluated: set[str] = field(default_factory=set)
    parameters: dict[str, dict] = field(default_factory=dict)  # group region code -> key -> value
    group_paths: dict[str, str] = field(default_factory=dict)  # group region code -> its path
    households: list[int] = field(default_factory=list)


def _filter_region(table: pa.Table, prefix: str, nested: list[str], key: str = "region_code") -> pa.Table:
    column = table.column(key)
    mask = pc.starts_with(column, prefix)
    for other in nested:
        mask = pc.and_(mask, pc.invert(pc.starts_with(column, other)))
    return table.filter(mask)


def evaluate(
    rule_sets: list[RuleSet],
    region: Region,
    as_of: dt.date,
    *,
    engine: str = "duckdb",
    household_ids: list[int] | None = None,
    codes: set[str] | None = None,
    parameter_overrides: dict[str, str] | None = None,
    spark_master: str | None = None,
    progress=None,
    explain: bool = True,
) -> Outcome:
    """Screen `region` (or just `household_ids` in it) on `as_of`: snapshot, per-parameter-group engine runs,
    one hits table. Nothing is written. Without `explain` the hits have no explanation (a preview)."""
    compiler = compiler_for(rule_sets)
    compiler.raise_errors()
    selected = compiler.selected(as_of, codes)
    keys = compiler.parameters_used(selected)
    households, persons = registry_snapshot(as_of, region=region, household_ids=household_ids)
    paths, _ = datasets_for(region)
    dataset_inputs: dict[str, Any] = dict(paths)
    if household_ids is not None:
        dataset_inputs = _datasets_for_persons(paths, persons)
    outcome = Outcome(
        hits=engines.HIT_SCHEMA.empty_table(), households=households.column("household_id").to_pylist()
    )
    groups = parameter_groups(keys, region, as_of)
    total = len(selected) * len(groups)
    done = 0
    parts = []
    for prefix, nested, chosen, group_code in groups:
        values = values_of(chosen) | (parameter_overrides or {})
        plan = compiler.plan(as_of, values, {c.rule.code for c in selected})
        group_households = _filter_region(households, prefix, nested)
        ids = group_households.column("household_id")
        group_persons = persons.filter(pc.is_in(persons.column("household_id"), value_set=ids))

        def step(index, _total, code, base=done):
            if progress:
                progress(base + index, total, code)

        result = engines.run(
            plan,
            engines.Inputs(group_households, group_persons, dataset_inputs),
            engine=engine,
            spark_master=spark_master,
            progress=step,
            explain=explain,
        )
        done += len(selected)
        parts.append(result.hits)
        for code, n in result.counts.items():
            outcome.counts[code] = outcome.counts.get(code, 0) + n
        outcome.skipped |= result.skipped
        outcome.evaluated |= set(result.counts)
        outcome.parameters[group_code] = {k: str(v) for k, v in plan.parameters.items()}
        outcome.group_paths[group_code] = prefix
    outcome.hits = pa.concat_tables(parts) if parts else outcome.hits
    return outcome
