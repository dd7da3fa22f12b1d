"""Synthetic department deliveries consistent with a synthetic registry (spec §5.4, calibrated by §13).

`generate` makes one Arrow table per catalogue kind, in exactly the kind's Parquet schema (`arrow_schema`).
Most rows agree with the registry and trigger nothing: the 低保 roster lists the registry's 低保 members, every
elderly person draws a pension, every compulsory-age child is enrolled, normal hospital stays stay below the
医保 warning lines. On top of that the generator plants anomalies that the screening rules must find, at the
§13 rates where the spec gives one (deceased 0.05 %, public payroll 0.02 %, vehicle 0.5 %, company 0.3 %,
dangerous houses ≤ 0.5 % of exited households, dropouts 0.05 % of compulsory-age children) and at small
rates of its own elsewhere. `Generated.planted` lists, per rule, the ID numbers expected to hit.

Each dataset also holds people who are not in the registry (ID numbers from sequence numbers no synthetic
village uses), ID numbers written the way departments send them (a lower-case x, surrounding spaces) and a
few repeated rows: the screening engine normalises and de-duplicates, and these rows are there to prove it.

Dates: event dates fall within the year before `as_of`; rosters (低保, 特困, pensions, cards, payroll,
vehicles, companies, cadres) carry start dates over past years, since a rule reading "new within the year"
would otherwise flag the whole roster; a few rows just outside a rule's window test the window.

Vectorised with numpy and pyarrow: Python loops run over kinds and small lookup tables only. Deterministic for
a seed and the same registry rows in the same order; numpy's generator on (seed, STREAM, n) is a stream of its
own, apart from the registry's `random` streams.
"""

from fangpin.exchange.synthetic.assemble import generate, generate_datasets
from fangpin.exchange.synthetic.store import (
    SYSTEM_USERNAME,
    delivered_kinds,
    read_registry,
    read_registry_parquet,
    save_datasets,
    write_parquet_datasets,
)

__all__ = [
    "SYSTEM_USERNAME",
    "delivered_kinds",
    "generate",
    "generate_datasets",
    "read_registry",
    "read_registry_parquet",
    "save_datasets",
    "write_parquet_datasets",
]
