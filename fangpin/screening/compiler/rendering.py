"""Parameter values as their declared types, and a checked expression rendered as SQL: names become SQL
columns, parameters literals, date functions are folded to DATE literals, division is done in DOUBLE."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from sqlglot import exp

from fangpin.screening.compiler.names import DATE_FUNCTIONS, READ, Name, Rejected, _text, trim_sql

# ---------------------------------------------------------------- values and rendering


def _shift(day: dt.date, unit: str, count: int) -> dt.date:
    """`count` units before `day`; 29 February falls back to the 28th when the target year has none. Raises
    ValueError when the result is not a date of years 1–9999."""
    if unit == "days":
        try:
            return day - dt.timedelta(days=count)
        except OverflowError as exc:
            raise ValueError(count) from exc
    months = day.year * 12 + day.month - 1 - (count * 12 if unit == "years" else count)
    year, month = divmod(months, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise ValueError(count)
    for last in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def coerce(value, ptype: str):
    """A parameter value (from the database or a rule file, often text) as its declared type."""
    if value is None:
        raise ValueError("无取值")
    if ptype == "date":
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if ptype == "integer":
        number = Decimal(str(value))
        if number != number.to_integral_value():
            raise ValueError(f"{value} 不是整数")
        return int(number)
    if ptype == "decimal":
        try:
            return Decimal(str(value))
        except InvalidOperation as exc:
            raise ValueError(f"{value} 不是数值") from exc
    return str(value)


def _literal(value, ptype: str) -> exp.Expression:
    if ptype == "date":
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if ptype in ("integer", "decimal"):
        return exp.Literal.number(str(value))
    if ptype == "boolean":
        return exp.Boolean(this=bool(value))
    return exp.Literal.string(str(value))


def render(
    node: exp.Expression, names: dict[str, Name], values: dict[str, object], ptypes: dict[str, str]
) -> str:
    """The checked expression as DuckDB SQL: names → SQL columns, parameters → literals, date functions
    folded, division in DOUBLE."""

    def leaves(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Column):
            declared = names[n.name]
            column = exp.column(declared.internal)
            if declared.coalesce:
                return exp.func("COALESCE", column, exp.Literal.number(0))
            return column
        if isinstance(n, exp.Placeholder):
            return _literal(values[n.name], ptypes[n.name])
        if isinstance(n, exp.Anonymous) and str(n.this).lower() in DATE_FUNCTIONS:
            day_node, count_node = n.expressions
            day = _constant(day_node, values)
            count = int(_constant(count_node, values))
            try:
                return _literal(_shift(day, DATE_FUNCTIONS[str(n.this).lower()], count), "date")
            except ValueError as exc:
                raise Rejected(_text(n), f"日期超出范围（{count} 太大，结果应在公元 1–9999 年之间）") from exc
        return n

    def division(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Div):
            return exp.Div(
                this=exp.cast(exp.paren(n.this, copy=False), "DOUBLE"),
                expression=exp.Nullif(
                    this=exp.cast(exp.paren(n.expression, copy=False), "DOUBLE"),
                    expression=exp.Literal.number(0),
                ),
            )
        return n

    def trims(n: exp.Expression) -> exp.Expression:
        # one meaning on both engines (see PADDING)
        if isinstance(n, exp.Trim) and n.args.get("expression") is None:
            return trim_sql(n.this)
        return n

    out = node.copy().transform(leaves).transform(division).transform(trims)
    return out.sql(dialect=READ)


def _constant(node: exp.Expression, values: dict[str, object]):
    if isinstance(node, exp.Placeholder):
        return values[node.name]
    if isinstance(node, exp.Paren):
        return _constant(node.this, values)
    if isinstance(node, exp.Neg):
        return -_constant(node.this, values)
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul)):
        left, right = _constant(node.this, values), _constant(node.expression, values)
        return (
            left + right
            if isinstance(node, exp.Add)
            else left - right
            if isinstance(node, exp.Sub)
            else left * right
        )
    if isinstance(node, exp.Cast):
        return dt.date.fromisoformat(node.this.this)
    if isinstance(node, exp.Literal):
        return Decimal(node.this)
    raise Rejected(_text(node), "应为常量")  # pragma: no cover - checked before
