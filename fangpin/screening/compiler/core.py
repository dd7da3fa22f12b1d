"""`Compiler`: checks rule sets (facts, features, rules) against the schema and plans their SQL."""

from __future__ import annotations

import datetime as dt
import string

from sqlglot import exp

from fangpin.screening.compiler.checker import Checker
from fangpin.screening.compiler.names import READ, Name, Rejected, Typed, id_key_sql
from fangpin.screening.compiler.plan import CompiledRule, Plan, RuleSQL
from fangpin.screening.compiler.rendering import _literal, coerce, render
from fangpin.screening.rules import BUILTIN_PARAMETERS, PRODUCES, Rule, RuleError, RuleSet, RuleSetInvalid
from fangpin.screening.schema import Schema, load_schema


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
            # A feature counting department facts cites those datasets as its source (comma-separated codes).
            datasets = sorted({self.fact_dataset[n] for n in typed.names if n in self.fact_dataset})
            self.feature_names[name] = Name(
                "feature",
                typed.type,
                self._internal("feat", feature.owner, name),
                (),
                feature.title,
                ",".join(datasets) or "household",
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
            keyed = f"(SELECT *, {id_key_sql('id_number')} AS id_key FROM person)" if joined else "person"
            sql = f"SELECT {', '.join(selects)} FROM {keyed} AS p{household}{joins}"
            return sql, p_cols, h_cols

        person_sql, p_cols, h_cols = relation(person_level)
        person_features = any(
            (c.condition.names | {n for n, _ in c.evidence}) & set(self.feature_names)
            for c in rules
            if c.rule.subject == "person"
        )
        # A count of the members a fact is about (住建 reports a house as unsafe …) is counted over the person
        # pass's candidates, which then also keep those members: the features' own pass over every person
        # then needs no ID key and no department join (a tenth of a run). Only for a condition that holds
        # just for members some department row is about (else the candidates would be nearly everyone), and
        # not when a person rule reads a feature, which must then exist before the person pass.
        member_count_features = set()
        if not person_features:
            member_count_features = {
                n
                for n in features
                if self.features[n].aggregate == "count_if"
                and self._needs_a_fact_row(self.features[n].node.this)
            }
        scope = self._person_scope() | self.fact_names
        feature_sql = ""
        feature_facts: set[str] = set()
        registry_features = features - member_count_features
        if registry_features:
            aggs = []
            for name in sorted(registry_features):
                typed = self.features[name]
                try:
                    sql = self._aggregate_sql(typed, scope, typed_values, ptypes)
                except Rejected as exc:
                    problems.append(RuleError(f"特征 {name}", exc.token, exc.message))
                    continue
                aggs.append(f"{sql} AS {self.feature_names[name].internal}")
            # Features read only the columns and facts they aggregate: a narrower join than the rules'.
            feature_level = set().union(*(self.features[n].names for n in registry_features))
            source, _, _ = relation(feature_level, keys=False)
            feature_facts = {f"fact_{self.fact_dataset[n]}" for n in feature_level if n in self.fact_names}
            feature_sql = (
                f"SELECT household_id, {', '.join(aggs)} FROM ({source}) AS fp GROUP BY household_id"
            )
        member_counts = {}
        for name in sorted(member_count_features):
            try:
                member_counts[self.feature_names[name].internal] = render(
                    self.features[name].node.this, scope, typed_values, ptypes
                )
            except Rejected as exc:
                problems.append(RuleError(f"特征 {name}", exc.token, exc.message))
        hh_cols = sorted((household_cols - set(keys_h)) & needed_names)
        household_sql = "SELECT h.household_id, h.household_number, h.region_code" + "".join(
            f", h.{c}" for c in hh_cols
        )
        household_sql += "".join(
            f", {'g' if n in member_count_features else 'f'}.{self.feature_names[n].internal}"
            for n in sorted(features)
        )
        household_sql += " FROM household AS h"
        if registry_features:
            household_sql += " LEFT JOIN screen_feature AS f ON f.household_id = h.household_id"
        if member_count_features:
            household_sql += " LEFT JOIN screen_member_count AS g ON g.household_id = h.household_id"

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
            feature_facts,
            member_counts,
        )

    def _needs_a_fact_row(self, node: exp.Expression) -> bool:
        """Whether a condition can hold only for a person some department row is about: a bare `exists`
        fact, or an AND with one among its terms."""
        while isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, exp.And):
            return self._needs_a_fact_row(node.left) or self._needs_a_fact_row(node.right)
        return (
            isinstance(node, exp.Column)
            and node.name in self.facts
            and self.facts[node.name].aggregate == "exists"
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
        date), keyed by the ID number — which the engines' `ds_<code>` views already hold normalised (upper
        case, trimmed), since de-duplication must see it so. A fact's own condition filters inside its
        aggregate; an `exists` fact is 1 or NULL."""
        dataset = self.schema.datasets[code]
        scope = self._columns(dataset)
        aggregates = []
        conditions = []
        for name in names:
            typed = self.facts[name]
            where_typed = self.fact_where.get(name)
            where = render(where_typed.node, scope, values, ptypes) if where_typed is not None else ""
            conditions.append(where)
            if typed.aggregate in ("exists", "count"):
                function, value = ("MAX" if typed.aggregate == "exists" else "COUNT"), "1"
            else:
                function, value = typed.aggregate.upper(), render(typed.node.this, scope, values, ptypes)
            argument = f"CASE WHEN {where} THEN {value} END" if where else value
            aggregates.append(f"{function}({argument}) AS {self.fact_names[name].internal}")
        key = dataset.id_column
        as_of = _literal(values["as_of"], "date").sql(dialect=READ)
        # Rows no fact's condition keeps are left out before grouping (a recent-window fact reads a few
        # months, not the dataset's whole history): every aggregate over them would be NULL, and a missing
        # key reads the same after the persons' LEFT JOIN (counts and sums are COALESCEd to 0 there).
        kept = ""
        if all(conditions):
            kept = " AND (" + " OR ".join(f"({c})" for c in dict.fromkeys(conditions)) + ")"
        return (
            f"SELECT {key} AS id_key, {', '.join(aggregates)} FROM ds_{code} "
            f"WHERE {dataset.id_column} IS NOT NULL AND {dataset.date_column} <= {as_of}{kept} GROUP BY {key}"
        )


def check(rule_sets: list[RuleSet], schema: Schema | None = None) -> list[RuleError]:
    """Every problem in these rule sets (empty when they compile)."""
    return Compiler(rule_sets, schema).errors
