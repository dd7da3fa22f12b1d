"""Explanations are formatted in SQL (a million hits in one pass) exactly as `display_value` shows a value in
Python (the parameters in the same explanation)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from fangpin.screening.engines import _display_sql, display_value

AMOUNTS = st.decimals(
    min_value=Decimal("-1e22"), max_value=Decimal("1e22"), places=2, allow_nan=False, allow_infinity=False
)


def shown(kind: str, sql_type: str, values: list) -> list[str]:
    con = duckdb.connect()
    try:
        con.execute(f"CREATE TABLE v (i INTEGER, x {sql_type})")
        con.executemany("INSERT INTO v VALUES (?, ?)", list(enumerate(values)))
        return [r[0] for r in con.execute(f"SELECT {_display_sql('x', kind)} FROM v ORDER BY i").fetchall()]
    finally:
        con.close()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), AMOUNTS, st.integers(-(10**20), 10**20).map(Decimal)), min_size=1))
def test_amounts_are_shown_as_in_python(values):
    values = [v + 0 if v is not None else None for v in values]  # DuckDB has no negative zero
    assert shown("decimal", "DECIMAL(38,2)", values) == [display_value(v) for v in values]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))), min_size=1))
def test_dates_are_shown_as_in_python(values):
    assert shown("date", "DATE", values) == [display_value(v) for v in values]


def test_booleans_are_shown_as_in_python():
    values = [True, False, None]
    assert shown("boolean", "BOOLEAN", values) == [display_value(v) for v in values]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.decimals(
            min_value=Decimal("-99999999999999.99"), max_value=Decimal("99999999999999.99"), places=2
        ),
        min_size=1,
    )
)
def test_registry_amounts_are_shown_as_in_python(values):
    values = [v + 0 for v in values]
    assert shown("decimal", "DECIMAL(16,2)", values) == [display_value(v) for v in values]
