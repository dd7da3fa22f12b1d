"""The vocabulary of a check: the types an expression may have, the names it may use, the typed result of
checking it, and `Rejected`, raised on the first thing not allowed."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from sqlglot import exp

NUMERIC = ("integer", "decimal", "double")
DATE_FUNCTIONS = {"years_before": "years", "months_before": "months", "days_before": "days"}
TYPE_NAMES = {
    "string": "文本",
    "integer": "整数",
    "decimal": "金额",
    "double": "小数",
    "date": "日期",
    "boolean": "是/否",
    "null": "NULL",
}
READ = "duckdb"


# What `trim` and ID-number normalisation strip from both ends, on every engine. Written out because the
# engines' bare TRIM differ: DuckDB's also strips the ideographic and no-break spaces, Spark's only spaces.
# Department files typed in Chinese spreadsheets bring tabs, line breaks and full-width spaces.
PADDING = " \t\n\r\u00a0\u3000"


def trim_sql(node: exp.Expression) -> exp.Expression:
    return exp.Trim(this=node, expression=exp.Literal.string(PADDING))


@cache  # built with sqlglot: a few milliseconds, asked for once per dataset per run
def id_key_sql(column: str) -> str:
    """The join key of an ID number: `UPPER(TRIM(column, PADDING))`, written so the trim — costly, seconds on
    ten million IDs — runs only on the rare value whose first or last character is padding. (Looking at those
    two characters costs half of what twelve LIKE patterns did.)"""
    value = exp.column(column)
    pads = [exp.Literal.string(c) for c in PADDING]
    ends = (
        exp.Substring(this=value.copy(), start=exp.Literal.number(at), length=exp.Literal.number(1))
        for at in (1, -1)
    )
    padded = exp.or_(*(exp.In(this=end, expressions=[p.copy() for p in pads]) for end in ends))
    return (
        exp.Case()
        .when(padded, exp.Upper(this=trim_sql(value.copy())))
        .else_(exp.Upper(this=value.copy()))
        .sql(dialect=READ)
    )


class Rejected(Exception):
    def __init__(self, token: str, message: str):
        self.token = token
        self.message = message


@dataclass(frozen=True)
class Name:
    """One name an expression may use: what it is, its type, its coded values, the SQL column it becomes."""

    kind: str  # column | fact | feature
    type: str
    internal: str
    choices: tuple[str, ...] = ()
    title: str = ""
    source: str = ""  # table or dataset code, for explanations
    coalesce: bool = False  # count/sum over no rows is 0, not NULL


@dataclass
class Typed:
    node: exp.Expression
    type: str
    names: set[str] = field(default_factory=set)
    params: set[str] = field(default_factory=set)
    aggregate: str = ""


def _text(node: exp.Expression) -> str:
    """A node as rule authors write it (DuckDB would print a parameter `:x` as `$x`)."""

    def as_written(n: exp.Expression) -> exp.Expression:
        return exp.var(f":{n.name}") if isinstance(n, exp.Placeholder) else n

    try:
        return node.copy().transform(as_written).sql(dialect=READ)
    except Exception:  # pragma: no cover - sqlglot renders every node it parsed
        return type(node).__name__


def _squash(name: str) -> str:
    return name.replace("_", "").lower()


# Beyond these a numeric literal means different things (or nothing) on the two engines: Spark parses no
# literal past the double range and no decimal of more than 38 digits.
LITERAL_DIGITS = 18
LITERAL_LIMIT = 10**15


def _comparable(a: str, b: str) -> bool:
    if "null" in (a, b):
        return True
    if a in NUMERIC and b in NUMERIC:
        return True
    return a == b


def _numeric_result(*types: str) -> str:
    if "double" in types:
        return "double"
    if "decimal" in types:
        return "decimal"
    return "integer"
