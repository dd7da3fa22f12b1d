"""The declared inputs of the screening engine: the registry snapshot (tables `household` and `person`) and the
department datasets, each column with a type and, for coded columns, the values it may hold.

The declaration is data (`schema.json` beside this file), written by `fangpin rules schema --write` from the
registry models and the exchange catalogue, so there is one source of truth and this package needs no Django.
A test checks that the file is current.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pyarrow as pa

TYPES = ("string", "integer", "decimal", "date", "boolean")
SCHEMA_FILE = Path(__file__).with_name("schema.json")
DECIMAL = pa.decimal128(16, 2)
ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int64(),
    "decimal": DECIMAL,
    "date": pa.date32(),
    "boolean": pa.bool_(),
}


@dataclass(frozen=True)
class Column:
    name: str
    title: str
    type: str
    choices: tuple[str, ...] = ()

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}")


@dataclass(frozen=True)
class Table:
    """A registry table or a department dataset. Datasets name their ID-number column (the join key) and
    the date that makes a record current (rows dated after the as-of date are not seen)."""

    name: str
    title: str
    columns: dict[str, Column]
    source: str = ""  # who delivers it: 登记数据, or the department
    id_column: str = ""
    date_column: str = ""

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in self.columns.values()])


@dataclass(frozen=True)
class Schema:
    household: Table
    person: Table
    datasets: dict[str, Table] = field(default_factory=dict)

    def to_json(self) -> dict:
        def table(t: Table) -> dict:
            out = {"title": t.title, "source": t.source}
            if t.id_column:
                out |= {"id_column": t.id_column, "date_column": t.date_column}
            out["columns"] = {
                c.name: {"title": c.title, "type": c.type}
                | ({"choices": list(c.choices)} if c.choices else {})
                for c in t.columns.values()
            }
            return out

        return {
            "household": table(self.household),
            "person": table(self.person),
            "datasets": {code: table(t) for code, t in self.datasets.items()},
        }


def schema_from_json(data: dict) -> Schema:
    def table(name: str, d: dict) -> Table:
        columns = {
            n: Column(n, c["title"], c["type"], tuple(c.get("choices", ()))) for n, c in d["columns"].items()
        }
        return Table(
            name, d["title"], columns, d.get("source", ""), d.get("id_column", ""), d.get("date_column", "")
        )

    return Schema(
        table("household", data["household"]),
        table("person", data["person"]),
        {code: table(code, d) for code, d in data.get("datasets", {}).items()},
    )


@cache
def load_schema(path: Path = SCHEMA_FILE) -> Schema:
    return schema_from_json(json.loads(Path(path).read_text(encoding="utf-8")))
