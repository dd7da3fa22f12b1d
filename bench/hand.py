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
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from fangpin.screening.rules import builtin_set_names, load_builtin
from fangpin.screening.schema import Schema, load_schema

if TYPE_CHECKING:
    from fangpin.screening.engines import Inputs

SQL_FILE = Path(__file__).with_name("screening_hand.sql")
# The registry keys the shaped tables carry besides the schema's columns.
REGISTRY_KEYS = {
    "household": ("household_id", "household_number", "region_code"),
    "person": ("person_id", "household_id", "id_number"),
}
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


def _value(key: str, value, kind: str | None):
    """A parameter value (often text, e.g. from the parameters CSV) as its declared type."""
    if value is None:
        raise ValueError(f"parameter {key!r} has no value")
    if kind == "integer":
        number = Decimal(str(value))
        if number != number.to_integral_value():
            raise ValueError(f"parameter {key!r}: {value!r} is not an integer")
        return int(number)
    if kind == "decimal":
        return Decimal(str(value))
    if kind == "date":
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    return value


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
            values[key] = _value(key, params[key], types.get(key))
    # con.sql(...).to_arrow_table(): on DuckDB 2.x, Arrow from a DB-API result (con.execute) is an extra copy.
    return con.sql(sql, params=values).to_arrow_table()


def _source(con, name: str, value) -> str:
    if isinstance(value, pa.Table):
        con.register(f"{name}__arrow", value)
        return f"{name}__arrow"
    files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in value)
    return f"read_parquet([{files}], union_by_name = true)"


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
            f"CREATE OR REPLACE VIEW {name} AS SELECT {columns} FROM {_source(con, name, getattr(inputs, name))}"
        )
    for code, table in sorted(schema.datasets.items()):
        source = inputs.datasets.get(code)
        if source is None or (not isinstance(source, pa.Table) and len(source) == 0):
            missing.append(code)
            source = table.arrow_schema.empty_table()
        columns = ", ".join(table.columns)
        con.execute(
            f"CREATE OR REPLACE VIEW ds_{code} AS SELECT {columns} FROM {_source(con, 'ds_' + code, source)}"
        )
    return missing
