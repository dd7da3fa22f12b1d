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

import datetime as dt
import re
import string
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from fangpin.screening.rules import BUILTIN_PARAMETERS, PRODUCES, Rule, RuleError, RuleSet, RuleSetInvalid
from fangpin.screening.schema import Schema, load_schema

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


class Checker:
    """Types one expression against a namespace; raises Rejected on the first thing not allowed."""

    def __init__(self, names: dict[str, Name], parameters: dict[str, str], allow: tuple[str, ...] = ()):
        self.text = ""
        self.names = names
        self.parameters = parameters  # key -> type
        self.allow = allow  # "aggregate": one aggregate at the top; "exists": the bare word exists

    def parse(self, text: str) -> exp.Expression:
        self.text = text
        try:
            statements = sqlglot.parse(text, read=READ)
        except ParseError as exc:
            detail = exc.errors[0] if exc.errors else {}
            token = detail.get("highlight") or text
            raise Rejected(str(token), "无法解析为表达式") from exc
        except SqlglotError as exc:  # the tokenizer's: an unclosed quote or comment, a stray character
            raise Rejected(text, "无法解析为表达式（引号或注释未闭合，或有不允许的字符）") from exc
        statements = [s for s in statements if s is not None]
        if len(statements) != 1:
            raise Rejected(text, "只能写一个表达式（不能有分号分隔的多条语句）")
        return statements[0]

    def check(self, text: str, *, want: str | None = None, aggregate: bool = False) -> Typed:
        node = self.parse(text)
        typed = self._aggregate(node) if aggregate else self.visit(node)
        if want == "boolean" and typed.type != "boolean":
            raise Rejected(text, f"条件的结果应为是/否，实际为{TYPE_NAMES[typed.type]}")
        return typed

    def _aggregate(self, node: exp.Expression) -> Typed:
        if isinstance(node, exp.Count) and isinstance(node.this, exp.Star):
            return Typed(node, "integer", aggregate="count")
        if isinstance(node, exp.CountIf):
            inner = self.visit(node.this)
            if inner.type != "boolean":
                raise Rejected(_text(node), "count_if 的参数应为条件")
            return Typed(node, "integer", inner.names, inner.params, "count_if")
        for cls, kind in ((exp.Sum, "sum"), (exp.Max, "max"), (exp.Min, "min")):
            if isinstance(node, cls) and not node.expressions:
                inner = self.visit(node.this)
                if kind == "sum" and inner.type not in ("integer", "decimal"):
                    raise Rejected(_text(node), "sum 只能对整数或金额求和（小数求和在两种引擎上可能不一致）")
                if inner.type in ("boolean", "null"):
                    raise Rejected(_text(node), f"{kind} 不能用于{TYPE_NAMES[inner.type]}")
                return Typed(node, inner.type, inner.names, inner.params, kind)
        raise Rejected(_text(node), "应为一个聚合：count(*)、count_if(条件)、sum(…)、max(…) 或 min(…)")

    def visit(self, node: exp.Expression) -> Typed:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            if isinstance(node, (exp.Subquery, exp.Select, exp.Exists, exp.Query)):
                raise Rejected(_text(node), "不允许子查询")
            if isinstance(node, exp.AggFunc):
                raise Rejected(_text(node), "条件中不允许聚合函数：请在 features 中声明户特征")
            if isinstance(node, exp.Anonymous):
                raise Rejected(str(node.this), "不在允许的函数之列")
            if isinstance(node, exp.Func):
                raise Rejected(self._written_name(node), "不在允许的函数之列")
            raise Rejected(_text(node), "不允许的语法")
        return method(node)

    def _all(self, *children: exp.Expression) -> tuple[list[Typed], set[str], set[str]]:
        typed = [self.visit(c) for c in children]
        names = set().union(*(t.names for t in typed)) if typed else set()
        params = set().union(*(t.params for t in typed)) if typed else set()
        return typed, names, params

    def _written_name(self, node: exp.Func) -> str:
        """The function's name as the author wrote it (sqlglot normalises `date_diff` to DATEDIFF)."""
        canonical = {_squash(type(node).__name__), _squash(node.sql_name())}
        for written in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", self.text):
            if _squash(written) in canonical:
                return written
        return node.sql_name().lower()

    # leaves
    def _Column(self, node: exp.Column) -> Typed:
        if node.table:
            raise Rejected(_text(node), "列名不能带表名前缀")
        name = node.name
        declared = self.names.get(name)
        if declared is None:
            raise Rejected(name, "未声明的列、特征或事实")
        return Typed(node, declared.type, {name})

    def _Placeholder(self, node: exp.Placeholder) -> Typed:
        key = node.name
        if key not in self.parameters:
            raise Rejected(f":{key}", "未声明的参数")
        return Typed(node, self.parameters[key], params={key})

    def _Literal(self, node: exp.Literal) -> Typed:
        if node.is_string:
            return Typed(node, "string")
        try:
            number = Decimal(node.this)
        except InvalidOperation as exc:  # pragma: no cover - the tokenizer only makes numbers of digits
            raise Rejected(node.this, "不是有效数值") from exc
        if (
            not number.is_finite()
            or abs(number) >= LITERAL_LIMIT
            or len(number.as_tuple().digits) > LITERAL_DIGITS
        ):
            raise Rejected(
                node.this, f"数值超出允许范围（绝对值应小于 10^15，至多 {LITERAL_DIGITS} 位有效数字）"
            )
        return Typed(node, "decimal" if "." in node.this or "e" in node.this.lower() else "integer")

    def _Boolean(self, node) -> Typed:
        return Typed(node, "boolean")

    def _Null(self, node) -> Typed:
        return Typed(node, "null")

    def _Paren(self, node) -> Typed:
        inner = self.visit(node.this)
        return Typed(node, inner.type, inner.names, inner.params)

    def _Cast(self, node: exp.Cast) -> Typed:
        # Only the date literal form DATE '2021-01-01'.
        if (
            isinstance(node.this, exp.Literal)
            and node.this.is_string
            and node.to.this == exp.DataType.Type.DATE
        ):
            try:
                dt.date.fromisoformat(node.this.this)
            except ValueError as exc:
                raise Rejected(node.this.this, "不是有效日期") from exc
            return Typed(node, "date")
        raise Rejected(_text(node), "不允许类型转换（只可写 DATE 'YYYY-MM-DD'）")

    # boolean logic
    def _logic(self, node) -> Typed:
        typed, names, params = self._all(node.this, node.expression)
        for t in typed:
            if t.type not in ("boolean", "null"):
                raise Rejected(_text(t.node), "AND/OR 两边应为条件")
        return Typed(node, "boolean", names, params)

    _And = _logic
    _Or = _logic

    def _Not(self, node) -> Typed:
        inner = self.visit(node.this)
        if inner.type != "boolean":
            raise Rejected(_text(node.this), "NOT 后应为条件")
        return Typed(node, "boolean", inner.names, inner.params)

    # predicates
    def _predicate(self, node, operands: list[exp.Expression]) -> Typed:
        typed, names, params = self._all(*operands)
        if not names:
            raise Rejected(_text(node), "比较中没有任何列、特征或事实：结果对所有对象都一样")
        return Typed(node, "boolean", names, params), typed

    def _compare(self, node) -> Typed:
        result, (left, right) = self._predicate(node, [node.this, node.expression])
        if not _comparable(left.type, right.type):
            raise Rejected(_text(node), f"不能比较{TYPE_NAMES[left.type]}与{TYPE_NAMES[right.type]}")
        if "boolean" in (left.type, right.type) and not isinstance(node, (exp.EQ, exp.NEQ)):
            raise Rejected(_text(node), "是/否值只能用 = 或 <> 比较")
        self._choices(left, [right])
        self._choices(right, [left])
        return result

    _EQ = _NEQ = _LT = _LTE = _GT = _GTE = _compare

    def _choices(self, column: Typed, values: list[Typed]) -> None:
        if not isinstance(column.node, exp.Column):
            return
        declared = self.names[column.node.name]
        if not declared.choices:
            return
        for value in values:
            literal = isinstance(value.node, exp.Literal) and value.node.is_string
            if literal and value.node.this not in declared.choices:
                raise Rejected(
                    value.node.this,
                    f"不是“{column.node.name}”的取值（可选：{'、'.join(declared.choices)}）",
                )

    def _In(self, node: exp.In) -> Typed:
        if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
            raise Rejected(_text(node), "IN 后只能是值列表，不允许子查询")
        result, typed = self._predicate(node, [node.this, *node.expressions])
        head, values = typed[0], typed[1:]
        for value in values:
            if value.names:
                raise Rejected(_text(value.node), "IN 列表中只能是常量或参数")
            if not _comparable(head.type, value.type):
                raise Rejected(_text(value.node), f"与{TYPE_NAMES[head.type]}类型不符")
        self._choices(head, values)
        return result

    def _Between(self, node: exp.Between) -> Typed:
        result, typed = self._predicate(node, [node.this, node.args["low"], node.args["high"]])
        for other in typed[1:]:
            if not _comparable(typed[0].type, other.type):
                raise Rejected(_text(other.node), f"与{TYPE_NAMES[typed[0].type]}类型不符")
        return result

    def _Is(self, node: exp.Is) -> Typed:
        if not isinstance(node.expression, exp.Null):
            raise Rejected(_text(node), "IS 只能用于 IS NULL / IS NOT NULL")
        result, _ = self._predicate(node, [node.this])
        return result

    def _Like(self, node: exp.Like) -> Typed:
        result, (value, pattern) = self._predicate(node, [node.this, node.expression])
        if value.type != "string" or not (isinstance(pattern.node, exp.Literal) and pattern.node.is_string):
            raise Rejected(_text(node), "LIKE 只能用于文本列与文本常量")
        return result

    # arithmetic
    def _arith(self, node) -> Typed:
        typed, names, params = self._all(node.this, node.expression)
        for t in typed:
            if t.type not in NUMERIC:
                raise Rejected(_text(t.node), f"算术运算只能用于数值，不能用于{TYPE_NAMES[t.type]}")
        kind = "double" if isinstance(node, exp.Div) else _numeric_result(*(t.type for t in typed))
        return Typed(node, kind, names, params)

    _Add = _Sub = _Mul = _Div = _arith

    def _Neg(self, node) -> Typed:
        inner = self.visit(node.this)
        if inner.type not in NUMERIC:
            raise Rejected(_text(node), "负号只能用于数值")
        return Typed(node, inner.type, inner.names, inner.params)

    def _Case(self, node: exp.Case) -> Typed:
        if node.this is not None:
            raise Rejected(_text(node), "请写 CASE WHEN 条件 THEN … 的形式")
        names, params, results = set(), set(), []
        for branch in node.args.get("ifs") or []:
            cond = self.visit(branch.this)
            if cond.type != "boolean":
                raise Rejected(_text(branch.this), "WHEN 后应为条件")
            value = self.visit(branch.args["true"])
            names |= cond.names | value.names
            params |= cond.params | value.params
            results.append(value)
        if node.args.get("default") is not None:
            value = self.visit(node.args["default"])
            names |= value.names
            params |= value.params
            results.append(value)
        return Typed(node, self._same(node, results), names, params)

    def _same(self, node, typed: list[Typed]) -> str:
        kinds = [t.type for t in typed if t.type != "null"]
        if not kinds:
            return "null"
        if all(k in NUMERIC for k in kinds):
            return _numeric_result(*kinds)
        if len(set(kinds)) > 1:
            raise Rejected(_text(node), "各分支或参数的类型不一致")
        return kinds[0]

    # functions
    def _Coalesce(self, node) -> Typed:
        typed, names, params = self._all(node.this, *node.expressions)
        return Typed(node, self._same(node, typed), names, params)

    def _Greatest(self, node) -> Typed:
        typed, names, params = self._all(node.this, *node.expressions)
        kind = self._same(node, typed)
        if kind not in (*NUMERIC, "date"):
            raise Rejected(_text(node), "greatest/least 只能用于数值或日期")
        return Typed(node, kind, names, params)

    _Least = _Greatest

    def _Abs(self, node) -> Typed:
        inner = self.visit(node.this)
        if inner.type not in NUMERIC:
            raise Rejected(_text(node), "abs 只能用于数值")
        return Typed(node, inner.type, inner.names, inner.params)

    def _string_fn(self, node, result="string") -> Typed:
        if isinstance(node, exp.Trim) and (node.args.get("expression") or node.args.get("position")):
            raise Rejected(_text(node), "trim 只能写 trim(文本)")
        inner = self.visit(node.this)
        if inner.type != "string":
            raise Rejected(_text(node), "只能用于文本")
        return Typed(node, result, inner.names, inner.params)

    _Upper = _Lower = _Trim = _string_fn

    def _Length(self, node) -> Typed:
        return self._string_fn(node, "integer")

    def _Substring(self, node) -> Typed:
        inner = self.visit(node.this)
        if inner.type != "string":
            raise Rejected(_text(node), "substr 只能用于文本")
        for arg in (node.args.get("start"), node.args.get("length")):
            # Position 0 is counted differently by DuckDB and Spark: positions start at 1.
            if arg is None or not (
                isinstance(arg, exp.Literal)
                and not arg.is_string
                and arg.this.isdigit()
                and int(arg.this) >= 1
            ):
                raise Rejected(_text(node), "substr 的起始位置和长度应为正整数常量（位置从 1 起算）")
        return Typed(node, "string", inner.names, inner.params)

    def _Anonymous(self, node: exp.Anonymous) -> Typed:
        name = str(node.this).lower()
        if name not in DATE_FUNCTIONS:
            raise Rejected(str(node.this), "不在允许的函数之列")
        if len(node.expressions) != 2:
            raise Rejected(_text(node), f"{name} 需要两个参数：日期与整数")
        day, count = (self.visit(e) for e in node.expressions)
        if day.names or count.names:
            raise Rejected(_text(node), f"{name} 的参数应为常量或参数（如 :as_of）")
        if day.type != "date" or count.type != "integer":
            raise Rejected(_text(node), f"{name} 的参数应为（日期, 整数）")
        return Typed(node, "date", set(), day.params | count.params)


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

    out = node.copy().transform(leaves).transform(division)
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


# ---------------------------------------------------------------- a compiled plan


@dataclass
class CompiledRule:
    rule: Rule
    condition: Typed
    evidence: list[tuple[str, Name]]
    names: set[str]  # registry columns, facts and features it reads, directly or through features
    params: set[str]
    datasets: set[str]


@dataclass(frozen=True)
class RuleSQL:
    """One rule's part of a plan: its condition and evidence expressions, rendered for the plan's values."""

    condition: str
    evidence: list[str]  # expressions, in the rule's evidence order
    columns: list[str]  # the relation columns those expressions read


KEYS = {
    "household": "household_id, household_number, region_code, CAST(NULL AS BIGINT) AS person_id, "
    "CAST(NULL AS VARCHAR) AS id_number",
    "person": "household_id, household_number, region_code, person_id, id_number",
}


@dataclass
class Plan:
    """What the engines run for one as-of date and one parameter set."""

    as_of: dt.date
    parameters: dict[str, object]  # every parameter the rules use, with its value
    facts_sql: dict[str, str]  # CTE name -> SELECT
    person_sql: str  # the `screen_person` relation
    feature_sql: str  # the `screen_feature` relation ("" if no features)
    household_sql: str  # the `screen_household` relation
    rules: list[CompiledRule]
    datasets: set[str]
    person_columns: list[str]
    household_columns: list[str]
    rule_sql: dict[str, RuleSQL] = field(default_factory=dict)  # rule code -> its SQL
    # Datasets whose repeated rows must count once (a count or sum reads them); for the others — exists,
    # max, min — repeats change nothing, and the engines skip the costly row-wide DISTINCT.
    distinct_datasets: set[str] = field(default_factory=set)
    # Person rules read persons with their household's features only when one of them names a feature:
    # joining ten million persons to three million households' features costs a second.
    person_relation: str = "screen_person_full"

    def statements(self) -> tuple[dict[str, str], list[tuple[str, str]]]:
        """How the rules run: one pass per subject over its relation writes `candidates_<subject>` — the
        subjects that hit any rule, one flag per rule and the evidence columns — and each rule's hits are a
        filter on that small table. One scan of ten million persons instead of one per rule.

        Returns ({candidate relation: SELECT}, [(rule code, SELECT of its hits)]) for `self.rules` (which
        the engine may have narrowed to the rules whose datasets were delivered)."""
        candidates: dict[str, str] = {}
        flags: dict[str, str] = {}
        for subject in ("household", "person"):
            rules = [c for c in self.rules if c.rule.subject == subject]
            if not rules:
                continue
            columns = sorted({col for c in rules for col in self.rule_sql[c.rule.code].columns})
            hit_columns = []
            for index, compiled in enumerate(rules):
                flags[compiled.rule.code] = f"hit_{index}"
                hit_columns.append(
                    f"COALESCE({self.rule_sql[compiled.rule.code].condition}, FALSE) AS hit_{index}"
                )
            inner = (
                f"SELECT {KEYS[subject]}{''.join(', ' + c for c in columns)}, {', '.join(hit_columns)} "
                f"FROM {'screen_household' if subject == 'household' else self.person_relation}"
            )
            any_hit = " OR ".join(f"hit_{i}" for i in range(len(rules)))
            candidates[f"candidates_{subject}"] = f"SELECT * FROM ({inner}) AS c WHERE {any_hit}"
        queries = []
        for compiled in self.rules:
            code = compiled.rule.code
            evidence = "".join(f", {e} AS ev_{i}" for i, e in enumerate(self.rule_sql[code].evidence))
            queries.append(
                (
                    code,
                    f"SELECT household_id, household_number, region_code, person_id, id_number{evidence} "
                    f"FROM candidates_{compiled.rule.subject} WHERE {flags[code]}",
                )
            )
        return candidates, queries


class Compiler:
    """Checks rule sets against the schema and compiles them into a Plan."""

    def __init__(self, rule_sets: list[RuleSet], schema: Schema | None = None):
        self.schema = schema or load_schema()
        self.rule_sets = rule_sets
        self.errors: list[RuleError] = []
        self._plans: dict[tuple, Plan] = {}
        self.parameters: dict[str, str] = dict(BUILTIN_PARAMETERS)
        self.parameter_titles: dict[str, tuple[str, str]] = {}
        self.facts: dict[str, Typed] = {}
        self.features: dict[str, Typed] = {}
        self.fact_names: dict[str, Name] = {}
        self.feature_names: dict[str, Name] = {}
        self.compiled: list[CompiledRule] = []
        self.fact_where: dict[str, Typed | None] = {}
        self.fact_dataset: dict[str, str] = {}
        self._check()

    # names visible in each place
    def _columns(self, table) -> dict[str, Name]:
        return {
            c.name: Name("column", c.type, c.name, c.choices, c.title, table.name)
            for c in table.columns.values()
        }

    def _person_scope(self) -> dict[str, Name]:
        return self._columns(self.schema.household) | self._columns(self.schema.person)

    def _error(self, where: str, exc: Rejected) -> None:
        self.errors.append(RuleError(where, exc.token, exc.message))

    def _check(self) -> None:
        seen_sets = set()
        for rs in self.rule_sets:
            if rs.name in seen_sets:
                self.errors.append(RuleError(f"规则集 {rs.name}", rs.name, "重复"))
            seen_sets.add(rs.name)
            for key, p in rs.parameters.items():
                self.parameters[key] = p.type
                self.parameter_titles[key] = (p.title, p.unit)
        codes: dict[str, str] = {}
        for rs in self.rule_sets:
            self._check_facts(rs)
        for rs in self.rule_sets:
            self._check_features(rs)
        for rs in self.rule_sets:
            for rule in rs.rules:
                if rule.code in codes:
                    self.errors.append(
                        RuleError(f"规则 {rule.code}", rule.code, f"与规则集 {codes[rule.code]} 中的代码重复")
                    )
                codes[rule.code] = rs.name
                self._check_rule(rs, rule)

    def _internal(self, prefix: str, owner: str, name: str) -> str:
        return f"{prefix}__{owner}__{name}"

    def _check_facts(self, rs: RuleSet) -> None:
        for name, fact in rs.facts.items():
            internal = self._internal("fact", fact.owner, name)
            where = f"事实 {name}"
            if name in self.fact_names:
                if self.fact_names[name].internal != internal:
                    self.errors.append(RuleError(where, name, "与另一规则集中的事实同名"))
                continue  # a common fact, already checked with the first set
            dataset = self.schema.datasets.get(fact.dataset)
            if dataset is None:
                self.errors.append(RuleError(where, fact.dataset, "未知的部门数据集"))
                continue
            checker = Checker(self._columns(dataset), self.parameters)
            try:
                if fact.value.strip().lower() == "exists":
                    typed = Typed(exp.Var(this="exists"), "boolean", aggregate="exists")
                else:
                    typed = checker.check(fact.value, aggregate=True)
                    if typed.aggregate == "count_if":
                        raise Rejected(fact.value, "事实请写 count(*) 并把条件写在 where 中")
                where_typed = checker.check(fact.where, want="boolean") if fact.where else None
            except Rejected as exc:
                self._error(where, exc)
                continue
            typed.params |= where_typed.params if where_typed else set()
            self.facts[name] = typed
            self.fact_where[name] = where_typed
            self.fact_dataset[name] = fact.dataset
            inner = typed.node.this if typed.aggregate in ("max", "min") else None
            choices = dataset.columns[inner.name].choices if isinstance(inner, exp.Column) else ()
            self.fact_names[name] = Name(
                "fact",
                typed.type,
                internal,
                choices,
                fact.title,
                fact.dataset,
                coalesce=typed.aggregate in ("count", "sum"),
            )

    def _check_features(self, rs: RuleSet) -> None:
        scope = self._person_scope() | self.fact_names
        for name, feature in rs.features.items():
            where = f"特征 {name}"
            if name in self.feature_names:
                if self.feature_names[name].internal != self._internal("feat", feature.owner, name):
                    self.errors.append(RuleError(where, name, "与另一规则集中的特征同名"))
                continue
            try:
                typed = Checker(scope, self.parameters).check(feature.value, aggregate=True)
            except Rejected as exc:
                self._error(where, exc)
                continue
            self.features[name] = typed
            self.feature_names[name] = Name(
                "feature",
                typed.type,
                self._internal("feat", feature.owner, name),
                (),
                feature.title,
                "household",
                coalesce=typed.aggregate in ("count", "count_if", "sum"),
            )

    def _scope_for(self, subject: str) -> dict[str, Name]:
        household = self._columns(self.schema.household) | self.feature_names
        if subject == "household":
            return household
        return household | self._columns(self.schema.person) | self.fact_names

    def _expand(self, names: set[str]) -> tuple[set[str], set[str], set[str]]:
        """Registry columns, parameters and datasets a set of names depends on, through features and facts."""
        columns, params, datasets = set(), set(), set()
        for name in names:
            if name in self.feature_names:
                feature = self.features[name]
                params |= feature.params
                c, p, d = self._expand(feature.names)
                columns |= c
                params |= p
                datasets |= d
            elif name in self.fact_names:
                datasets.add(self.fact_dataset[name])
                params |= self.facts[name].params
            else:
                columns.add(name)
        return columns, params, datasets

    def _check_rule(self, rs: RuleSet, rule: Rule) -> None:
        where = f"规则 {rule.code}"
        scope = self._scope_for(rule.subject)
        try:
            condition = Checker(scope, self.parameters).check(rule.condition, want="boolean")
        except Rejected as exc:
            self._error(where, exc)
            return
        if not condition.names:
            self.errors.append(RuleError(where, rule.condition, "条件不涉及任何列：会对所有对象得出同一结果"))
            return
        evidence = []
        for name in rule.evidence:
            if name not in scope:
                self.errors.append(RuleError(where, name, "证据列未声明（应为列、特征或事实）"))
                continue
            evidence.append((name, scope[name]))
        columns, params, datasets = self._expand(condition.names | {n for n, _ in evidence})
        params |= condition.params
        declared = set(rule.datasets)
        for missing in sorted(datasets - declared):
            self.errors.append(RuleError(where, missing, "用到了该数据集，但未在 datasets 中声明"))
        for unused in sorted(declared - datasets):
            self.errors.append(RuleError(where, unused, "在 datasets 中声明了，但条件与证据都没有用到"))
        allowed = {n for n, _ in evidence} | set(self.parameters)
        try:
            fields = list(string.Formatter().parse(rule.explanation))
        except ValueError:
            self.errors.append(
                RuleError(where, "{", "说明模板中的花括号不成对（字面的花括号请写成 {{ 或 }}）")
            )
            fields = []
        for _, field_name, spec, conversion in fields:
            if field_name is None:
                continue
            if spec or conversion:
                # Values are formatted once, for every type, by the engine (amounts with thousands separators).
                written = (
                    "{"
                    + field_name
                    + (f"!{conversion}" if conversion else "")
                    + (f":{spec}" if spec else "")
                    + "}"
                )
                self.errors.append(RuleError(where, written, "说明模板只能写 {名称}，不能带格式说明"))
                continue
            if field_name not in allowed:
                self.errors.append(RuleError(where, "{" + field_name + "}", "说明模板只能引用证据列和参数"))
            if field_name in self.parameters:
                params.add(field_name)
        if rule.produces not in PRODUCES:
            return
        self.compiled.append(CompiledRule(rule, condition, evidence, columns, params, datasets))

    def raise_errors(self) -> None:
        if self.errors:
            raise RuleSetInvalid(self.errors)

    # ------------------------------------------------------------ planning

    def parameters_used(self, rules: list[CompiledRule] | None = None) -> set[str]:
        used: set[str] = set()
        for compiled in rules if rules is not None else self.compiled:
            used |= compiled.params
            _, p, _ = self._expand(compiled.names)
            used |= p
        return used - set(BUILTIN_PARAMETERS)

    def selected(self, as_of: dt.date, codes: set[str] | None = None) -> list[CompiledRule]:
        return [
            c for c in self.compiled if c.rule.in_effect(as_of) and (codes is None or c.rule.code in codes)
        ]

    def plan(self, as_of: dt.date, values: dict[str, object], codes: set[str] | None = None) -> Plan:
        """The SQL for the rules in effect on `as_of` (optionally only `codes`) with these parameter values.
        A parameter the rules need without a value is an error naming the rule and the parameter. Plans are
        kept per (date, values, codes): incremental re-screening asks for the same plan on every edit."""
        try:
            key = (
                as_of,
                tuple(sorted((k, str(v)) for k, v in values.items())),
                frozenset(codes or ()),
                codes is None,
            )
        except TypeError:  # pragma: no cover - values are text, numbers and dates
            return self._plan(as_of, values, codes)
        if key not in self._plans:
            if len(self._plans) > 64:
                self._plans.clear()
            self._plans[key] = self._plan(as_of, values, codes)
        return self._plans[key]

    def _plan(self, as_of: dt.date, values: dict[str, object], codes: set[str] | None) -> Plan:
        self.raise_errors()
        rules = self.selected(as_of, codes)
        values = dict(values)
        values["as_of"] = as_of
        values["as_of_year"] = as_of.year
        problems = []
        typed_values = {}
        for compiled in rules:
            for key in sorted(self.parameters_used([compiled])):
                if values.get(key) is None:
                    problems.append(
                        RuleError(
                            f"规则 {compiled.rule.code}", f":{key}", f"在 {as_of.isoformat()} 没有有效的取值"
                        )
                    )
                    continue
                try:
                    typed_values[key] = coerce(values[key], self.parameters[key])
                except ValueError as exc:
                    problems.append(RuleError(f"规则 {compiled.rule.code}", f":{key}", f"取值无效：{exc}"))
        if problems:
            raise RuleSetInvalid(list(dict.fromkeys(problems)))
        typed_values["as_of"] = as_of
        typed_values["as_of_year"] = as_of.year
        ptypes = dict(self.parameters)

        needed_names: set[str] = set()
        for compiled in rules:
            needed_names |= compiled.condition.names | {n for n, _ in compiled.evidence}
        features = {n for n in needed_names if n in self.feature_names}
        person_level = {n for n in needed_names if n not in self.feature_names}
        for name in features:
            person_level |= self.features[name].names
        facts = {n for n in person_level if n in self.fact_names}
        household_cols = set(self.schema.household.columns)
        person_cols = set(self.schema.person.columns)

        # One grouped scan per dataset gives all of that dataset's facts, so persons join each dataset once.
        by_dataset: dict[str, list[str]] = {}
        for name in sorted(facts):
            by_dataset.setdefault(self.fact_dataset[name], []).append(name)
        facts_sql = {}
        for code, names in sorted(by_dataset.items()):
            try:
                facts_sql[f"fact_{code}"] = self._dataset_facts_sql(code, names, typed_values, ptypes)
            except Rejected as exc:
                problems.append(RuleError(f"数据集 {code} 的事实", exc.token, exc.message))
        keys_h = ["household_id", "household_number", "region_code"]
        keys_p = ["person_id", "id_number"]

        def relation(level: set[str], *, keys: bool = True) -> tuple[str, list[str], list[str]]:
            """Persons with their household's columns and their facts: the names in `level`. Without `keys`
            (for features) the household is joined only if a household column is read."""
            p_cols = sorted((level & person_cols) - set(keys_p))
            h_cols = sorted((level & household_cols) - set(keys_h))
            with_household = keys or bool(h_cols)
            selects = [f"h.{c}" for c in keys_h] if with_household else ["p.household_id"]
            selects += [f"p.{c}" for c in keys_p]
            selects += [f"p.{c}" for c in p_cols] + [f"h.{c}" for c in h_cols]
            joined = sorted({self.fact_dataset[n] for n in level if n in self.fact_names})
            joins = "".join(f" LEFT JOIN fact_{c} ON fact_{c}.id_key = p.id_key" for c in joined)
            for name in sorted(n for n in level if n in self.fact_names):
                column = f"fact_{self.fact_dataset[name]}.{self.fact_names[name].internal}"
                if self.facts[name].aggregate == "exists":
                    column = f"({column} IS NOT NULL)"
                selects.append(f"{column} AS {self.fact_names[name].internal}")
            household = " JOIN household AS h ON h.household_id = p.household_id" if with_household else ""
            sql = (
                f"SELECT {', '.join(selects)} FROM (SELECT *, UPPER(TRIM(id_number)) AS id_key FROM person) AS p"
                f"{household}{joins}"
            )
            return sql, p_cols, h_cols

        person_sql, p_cols, h_cols = relation(person_level)
        feature_sql = ""
        if features:
            scope = self._person_scope() | self.fact_names
            aggs = []
            for name in sorted(features):
                typed = self.features[name]
                try:
                    sql = self._aggregate_sql(typed, scope, typed_values, ptypes)
                except Rejected as exc:
                    problems.append(RuleError(f"特征 {name}", exc.token, exc.message))
                    continue
                aggs.append(f"{sql} AS {self.feature_names[name].internal}")
            # Features read only the columns and facts they aggregate: a narrower join than the rules'.
            source, _, _ = relation(set().union(*(self.features[n].names for n in features)), keys=False)
            feature_sql = (
                f"SELECT household_id, {', '.join(aggs)} FROM ({source}) AS fp GROUP BY household_id"
            )
        hh_cols = sorted((household_cols - set(keys_h)) & needed_names)
        household_sql = "SELECT h.household_id, h.household_number, h.region_code" + "".join(
            f", h.{c}" for c in hh_cols
        )
        household_sql += "".join(f", f.{self.feature_names[n].internal}" for n in sorted(features))
        household_sql += " FROM household AS h"
        if features:
            household_sql += " LEFT JOIN screen_feature AS f ON f.household_id = h.household_id"

        person_features = any(
            (c.condition.names | {n for n, _ in c.evidence}) & set(self.feature_names)
            for c in rules
            if c.rule.subject == "person"
        )
        datasets: set[str] = set()
        rule_sql = {}
        for compiled in rules:
            scope = self._scope_for(compiled.rule.subject)
            try:
                cond = render(compiled.condition.node, scope, typed_values, ptypes)
            except Rejected as exc:
                problems.append(RuleError(f"规则 {compiled.rule.code}", exc.token, exc.message))
                continue
            rule_sql[compiled.rule.code] = RuleSQL(
                cond,
                [self._evidence_sql(n) for _, n in compiled.evidence],
                sorted({n.internal for _, n in compiled.evidence}),
            )
            datasets |= compiled.datasets
        if problems:
            raise RuleSetInvalid(list(dict.fromkeys(problems)))
        return Plan(
            as_of,
            {k: typed_values[k] for k in sorted(self.parameters_used(rules))},
            facts_sql,
            person_sql,
            feature_sql,
            household_sql,
            rules,
            datasets,
            p_cols,
            h_cols,
            rule_sql,
            {self.fact_dataset[n] for n in facts if self.facts[n].aggregate not in ("exists", "max", "min")},
            "screen_person_full" if person_features else "screen_person",
        )

    def _evidence_sql(self, name: Name) -> str:
        if name.coalesce:
            return f"COALESCE({name.internal}, 0)"
        return name.internal

    def _aggregate_sql(self, typed: Typed, scope, values, ptypes) -> str:
        node = typed.node
        if typed.aggregate == "count":
            return "COUNT(*)"
        inner = render(node.this, scope, values, ptypes)
        if typed.aggregate == "count_if":
            return f"COUNT(CASE WHEN {inner} THEN 1 END)"
        return f"{typed.aggregate.upper()}({inner})"

    def _dataset_facts_sql(self, code: str, names: list[str], values, ptypes) -> str:
        """Every fact of one dataset in one GROUP BY over its rows (ID present, dated on or before the as-of
        date), keyed by the normalised ID number. A fact's own condition filters inside its aggregate; an
        `exists` fact is 1 or NULL."""
        dataset = self.schema.datasets[code]
        scope = self._columns(dataset)
        aggregates = []
        for name in names:
            typed = self.facts[name]
            where_typed = self.fact_where.get(name)
            where = render(where_typed.node, scope, values, ptypes) if where_typed is not None else ""
            if typed.aggregate in ("exists", "count"):
                function, value = ("MAX" if typed.aggregate == "exists" else "COUNT"), "1"
            else:
                function, value = typed.aggregate.upper(), render(typed.node.this, scope, values, ptypes)
            argument = f"CASE WHEN {where} THEN {value} END" if where else value
            aggregates.append(f"{function}({argument}) AS {self.fact_names[name].internal}")
        key = f"UPPER(TRIM({dataset.id_column}))"
        as_of = _literal(values["as_of"], "date").sql(dialect=READ)
        return (
            f"SELECT {key} AS id_key, {', '.join(aggregates)} FROM ds_{code} "
            f"WHERE {dataset.id_column} IS NOT NULL AND {dataset.date_column} <= {as_of} GROUP BY {key}"
        )


def check(rule_sets: list[RuleSet], schema: Schema | None = None) -> list[RuleError]:
    """Every problem in these rule sets (empty when they compile)."""
    return Compiler(rule_sets, schema).errors
