"""From rule text to SQL, fail-closed.

Conditions are parsed with sqlglot and walked node by node against a whitelist: declared names, parameters,
comparison / boolean / arithmetic operators, IN, BETWEEN, IS NULL, LIKE, CASE and a handful of functions that
mean the same on DuckDB and on Spark. Every expression is typed; a string compared with a coded column must be
one of its values. Anything else is a `RuleError` naming the place and the token — never a rule that quietly
matches everyone or no one.

Why some things are rewritten rather than passed through:
- ages and windows: `years_before(:as_of, 16)` etc. are folded to a DATE literal here, in Python, because
  `date_diff('year', …)` counts differently on the two engines;
- division: both operands are cast to DOUBLE, so `/` is IEEE division on both (DuckDB would otherwise return
  DOUBLE and Spark DECIMAL), and a zero divisor gives NULL (DuckDB would give infinity, Spark's ANSI mode an
  error);
- parameters: `:name` becomes a literal of the value in force for the run, so the SQL holds no placeholders.

`Compiler.plan` assembles the statements the engines run (see engines.py): one grouped table per department
dataset holding all its facts, keyed by the normalised ID number (so a fact is a semi/anti join that repeated
department rows cannot multiply), one relation of persons with their household's columns and facts, one of
household features, and — `Plan.statements` — one pass per subject flagging every rule at once, then one
small filter per rule.
"""

from __future__ import annotations

from fangpin.screening.compiler.checker import Checker
from fangpin.screening.compiler.core import Compiler, check
from fangpin.screening.compiler.names import (
    DATE_FUNCTIONS,
    LITERAL_DIGITS,
    LITERAL_LIMIT,
    NUMERIC,
    PADDING,
    READ,
    TYPE_NAMES,
    Name,
    Rejected,
    Typed,
    _comparable,
    _numeric_result,
    _squash,
    _text,
    id_key_sql,
)
from fangpin.screening.compiler.plan import KEYS, CompiledRule, Plan, RuleSQL
from fangpin.screening.compiler.rendering import _constant, _literal, _shift, coerce, render

__all__ = [
    "DATE_FUNCTIONS",
    "KEYS",
    "LITERAL_DIGITS",
    "LITERAL_LIMIT",
    "NUMERIC",
    "PADDING",
    "READ",
    "TYPE_NAMES",
    "Checker",
    "CompiledRule",
    "Compiler",
    "Name",
    "Plan",
    "Rejected",
    "RuleSQL",
    "Typed",
    "_comparable",
    "_constant",
    "_literal",
    "_numeric_result",
    "_shift",
    "_squash",
    "_text",
    "check",
    "coerce",
    "id_key_sql",
    "render",
]
