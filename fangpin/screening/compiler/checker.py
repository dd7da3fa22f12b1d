"""`Checker`: walks one parsed expression node by node against the whitelist and types it."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from fangpin.screening.compiler.names import (
    DATE_FUNCTIONS,
    LITERAL_DIGITS,
    LITERAL_LIMIT,
    NUMERIC,
    READ,
    TYPE_NAMES,
    Name,
    Rejected,
    Typed,
    _comparable,
    _numeric_result,
    _squash,
    _text,
)


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
