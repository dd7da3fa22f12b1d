"""The hand-written baseline of the screening benchmark: the whole rule catalogue as one DuckDB query
(bench/screening_hand.sql, beside this file), run on the same inputs as fangpin's engine.

    con = duckdb.connect()
    register_inputs(con, inputs)                 # household, person, ds_<code> views
    table = hand_hits(con, as_of, parameters)    # rule, household_id, person_id, evidence

fangpin/screening/tests/test_hand_sql.py checks that it finds exactly the engine's hits. No Django here.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from fangpin.screening.compiler import coerce
from fangpin.screening.engines import REGISTRY_KEYS, duckdb_source
from fangpin.screening.rules import builtin_set_names, load_builtin
from fangpin.screening.schema import Schema, load_schema

if TYPE_CHECKING:
    from fangpin.screening.engines import Inputs

SQL_FILE = Path(__file__).with_name("screening_hand.sql")
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


def hand_sql() -> str:
    return SQL_FILE.read_text(encoding="utf-8")


def sql_parameters(sql: str) -> list[str]:
    """The named parameters the query uses (`$name`), in order of first use; comments are ignored."""
    return list(dict.fromkeys(_PARAMETER.findall(_COMMENT.sub("", sql))))


@cache
def parameter_types() -> dict[str, str]:
    """Declared type (integer, decimal, ...) of every catalogue parameter, from the rule files."""
    types: dict[str, str] = {}
    for name in builtin_set_names():
        for key, parameter in load_builtin(name).parameters.items():
            types[key] = parameter.type
    return types


def hand_hits(con, as_of: dt.date, params: dict) -> pa.Table:
    """Run bench/screening_hand.sql on `con` (which has the household, person and ds_<code> views) with the
    parameter values in `params` and the as-of date; one row per hit: rule, household_id, person_id
    (NULL for household rules), evidence (JSON text)."""
    sql = hand_sql()
    types = parameter_types()
    values = {}
    for key in sql_parameters(sql):
        if key == "as_of":
            values[key] = as_of
        elif key not in params:
            raise KeyError(f"no value for parameter {key!r}")
        else:
            values[key] = coerce(params[key], types.get(key, "string"))
    # con.sql(...).to_arrow_table(): on DuckDB 2.x, Arrow from a DB-API result (con.execute) is an extra copy.
    return con.sql(sql, params=values).to_arrow_table()


def register_inputs(con, inputs: Inputs, schema: Schema | None = None) -> list[str]:
    """Create the views the query reads: household and person (the registry columns of schema.json) and
    ds_<code> for every department dataset, as delivered (no normalisation or de-duplication: the query does
    that). A dataset with no delivery becomes an empty view with the schema's columns; returns those codes.

    Unlike the engine, which does not run a rule whose dataset was never delivered, the query runs every rule,
    so "not in an undelivered dataset" hits everyone there: compare with the engine on inputs that deliver
    every dataset (as bench/screening.py does)."""
    schema = schema or load_schema()
    missing = []
    for name in ("household", "person"):
        table = getattr(schema, name)
        columns = ", ".join([*REGISTRY_KEYS[name], *table.columns])
        con.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT {columns} FROM {duckdb_source(con, name, getattr(inputs, name))}"
        )
    for code, table in sorted(schema.datasets.items()):
        source = inputs.datasets.get(code)
        if source is None or (not isinstance(source, pa.Table) and len(source) == 0):
            missing.append(code)
            source = table.arrow_schema.empty_table()
        columns = ", ".join(table.columns)
        con.execute(
            f"CREATE OR REPLACE VIEW ds_{code} AS SELECT {columns} FROM {duckdb_source(con, 'ds_' + code, source)}"
        )
    return missing
