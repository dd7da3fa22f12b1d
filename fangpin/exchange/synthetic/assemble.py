"""The datasets assembled: one table per catalogue kind, in exactly its Parquet schema."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fangpin.exchange.catalogue import KINDS, DatasetKind
from fangpin.exchange.importers import arrow_schema
from fangpin.exchange.synthetic.builders_education import _Education
from fangpin.exchange.synthetic.builders_health import _Health
from fangpin.exchange.synthetic.builders_housing import _Housing
from fangpin.exchange.synthetic.builders_labour import _Labour
from fangpin.exchange.synthetic.builders_welfare_police import _WelfarePolice
from fangpin.exchange.synthetic.parameters import (
    DIRTY_SPACE_SHARE,
    DIRTY_X_SHARE,
    DUPLICATE_SHARE,
    STREAM,
    default_parameters,
)
from fangpin.exchange.synthetic.registry import _Registry
from fangpin.exchange.synthetic.rows import _column, _Part


@dataclass
class Generated:
    """The tables, by kind code, and per rule the clean ID numbers expected to hit (household rules: the
    head's). Expected hits include rows that agree with the registry but trigger a rule by design, such as
    a failing water supply in the registry checked again or a household newly admitted to 低保."""

    tables: dict[str, pa.Table]
    planted: dict[str, pa.Array]


def generate_datasets(
    persons: pa.Table, households: pa.Table, *, seed: int, as_of: dt.date
) -> dict[str, pa.Table]:
    """One table per catalogue kind code, each with exactly `arrow_schema(kind)`."""
    return generate(persons, households, seed=seed, as_of=as_of).tables


def generate(
    persons: pa.Table,
    households: pa.Table,
    *,
    seed: int,
    as_of: dt.date,
    parameters: dict[str, float] | None = None,
) -> Generated:
    """The datasets and what was planted in them, from raw registry rows (`PERSON_COLUMNS`,
    `HOUSEHOLD_COLUMNS`: the model field names `fangpin synth` writes)."""
    params = default_parameters(as_of) | (parameters or {})
    if persons.num_rows == 0 or households.num_rows == 0:
        return Generated({k.code: arrow_schema(k).empty_table() for k in KINDS}, {})
    registry = _Registry(persons, households, as_of, params)
    maker = _Maker(registry, params, seed)
    tables = {}
    for number, kind in enumerate(KINDS):
        rng = np.random.default_rng([seed, STREAM, 100 + number])
        parts = getattr(maker, kind.code)(rng)
        tables[kind.code] = _assemble(kind, parts, rng, maker)
    planted = {
        rule: registry.ids.take(pa.array(np.sort(idx))) for rule, idx in sorted(maker.expected.items())
    }
    return Generated(tables, planted)


def _assemble(kind: DatasetKind, parts: list[_Part], rng: np.random.Generator, maker: _Maker) -> pa.Table:
    """Parts → one table in the kind's schema: shuffled, some ID numbers dirty, a few rows repeated."""
    schema = arrow_schema(kind)
    personal = (kind.id_column, "name")
    rest = pa.schema([f for f in schema if f.name not in personal])
    tables, people = [], []
    for part in parts:
        # Registry people are positions 0…n−1 of `maker.ids`, the outsiders come after them.
        where = part.people + maker.registry.n if part.outside else part.people
        if where.size:
            tables.append(
                pa.Table.from_arrays(
                    [_column(f, part.columns.get(f.name), where.size) for f in rest], schema=rest
                )
            )
            people.append(where)
    if not tables:
        return schema.empty_table()
    order = rng.permutation(sum(len(w) for w in people))
    table = pa.concat_tables(tables).combine_chunks().take(pa.array(order))
    who = pa.array(np.concatenate(people)[order])
    ids = maker.ids.take(who)
    lower = pc.and_(pc.ends_with(ids, "X"), pa.array(rng.random(len(ids)) < DIRTY_X_SHARE))
    pad = rng.random(len(ids))
    for mask, dirty in (
        (lower, pc.utf8_lower),
        (pa.array(pad < DIRTY_SPACE_SHARE / 2), lambda v: pc.binary_join_element_wise(" ", v, "")),
        (pa.array((pad >= DIRTY_SPACE_SHARE / 2) & (pad < DIRTY_SPACE_SHARE)), lambda v: pc.utf8_rpad(v, 20)),
    ):
        ids = pc.replace_with_mask(ids, mask, dirty(ids.filter(mask)))
    columns = {kind.id_column: ids, "name": maker.names.take(who)}
    table = pa.Table.from_arrays(
        [columns[f.name] if f.name in columns else table.column(f.name) for f in schema], schema=schema
    )
    # Repeated rows are exact copies (dirty ID and all), as when a department sends a month twice.
    repeats = max(1, round(table.num_rows * DUPLICATE_SHARE))
    table = pa.concat_tables([table, table.take(pa.array(rng.integers(0, table.num_rows, repeats)))])
    # Line 1 of a delivered sheet is its header row.
    lines = pa.array(np.arange(2, table.num_rows + 2, dtype=np.int32))
    return table.set_column(
        schema.get_field_index("source_line"), schema.field("source_line"), lines
    ).combine_chunks()


class _Maker(_WelfarePolice, _Labour, _Health, _Education, _Housing):
    """Chooses the planted people first (several datasets must agree about them), then builds each kind."""
