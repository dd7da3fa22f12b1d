"""The compiler fails closed: every rejected rule names the rule and the offending token."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fangpin.screening import compiler, engines, rules
from fangpin.screening.rules import RuleSetInvalid
from fangpin.screening.tests.fixtures import AS_OF, PARAMS, World, builtin_sets, dec
from fangpin.screening.tests.golden_cases import rich_world

CODE = "T-01"


def rule_doc(condition: str, **overrides) -> dict:
    rule = {
        "code": CODE,
        "title": "测试规则",
        "subject": "household",
        "produces": "warning",
        "severity": "low",
        "basis": "测试",
        "condition": condition,
        "evidence": [],
        "explanation": "测试说明。",
    }
    rule |= overrides
    return rule


def set_text(*rules_: dict, **extra) -> str:
    doc = {"set": "test", "title": "测试", "version": "1", **extra, "rules": list(rules_)}
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def compile_rules(*rules_: dict, **extra) -> compiler.Compiler:
    return compiler.Compiler([rules.load_text(set_text(*rules_, **extra), source="test.yaml")])


def errors_for(condition: str, **overrides) -> list[rules.RuleError]:
    return compile_rules(rule_doc(condition, **overrides)).errors


def assert_rejected(errors, token_part: str, where: str = CODE):
    assert errors, "expected the rule to be rejected"
    matching = [e for e in errors if where in e.where and token_part.lower() in e.token.lower()]
    assert matching, errors
    assert all(e.message for e in errors)


# ------------------------------------------------------------------ accepted


def test_catalogue_compiles():
    c = compiler.Compiler(builtin_sets())
    assert c.errors == []
    assert len(c.compiled) == 43


def test_a_person_rule_may_read_its_household_features():
    # Person rules read features only through the joined relation, which the plan uses only when needed.
    c = compile_rules(
        rule_doc(
            "members > 1 AND sex = '女'", subject="person", evidence=["members"], explanation="{members} 人"
        )
    )
    assert c.errors == []
    plan = c.plan(AS_OF, PARAMS)
    assert plan.person_relation == "screen_person_full"
    world = World()
    big = world.household()
    world.person(big, sex="女")
    world.person(big, sex="男")
    world.family(sex="女")  # a household of one: no hit
    result = engines.run(plan, world.inputs())
    assert result.counts == {CODE: 1}
    assert json.loads(result.hits.column("evidence")[0].as_py()) == {"members": 2}
    assert c.plan(AS_OF, PARAMS, set()).person_relation == "screen_person"


def test_a_plain_rule_compiles_and_runs():
    c = compile_rules(
        rule_doc(
            "per_capita_income < :monitoring_line",
            evidence=["per_capita_income"],
            explanation="人均 {per_capita_income} 元，低于 {monitoring_line} 元。",
        )
    )
    assert c.errors == []
    plan = c.plan(AS_OF, PARAMS)
    assert plan.parameters == {"monitoring_line": Decimal("7600")}
    world = World()
    h = world.household(per_capita_income=dec(100))
    world.person(h)
    result = engines.run(plan, world.inputs())
    assert result.counts == {CODE: 1}
    assert "7,600" in result.hits.column("explanation")[0].as_py()


# ------------------------------------------------------------------ rejected conditions

REJECTED = [
    ("unknown column", "no_such_column > 1", "no_such_column"),
    ("unknown column in person scope", "shoe_size > 40", "shoe_size"),
    ("unknown function", "date_diff('year', birth_date, :as_of) > 16", "diff"),
    ("unknown anonymous function", "frobnicate(member_count) > 1", "frobnicate"),
    ("IN subquery", "member_count IN (SELECT 1)", "select"),
    ("IN subquery from a table", "household_id IN (SELECT household_id FROM person)", "select"),
    ("EXISTS subquery", "EXISTS (SELECT 1)", "select"),
    ("scalar subquery", "member_count > (SELECT 1)", "select"),
    ("two statements", "1=1; DROP TABLE person", "drop table"),
    ("two statements after a valid condition", "member_count > 1; DELETE FROM household", "delete"),
    ("DDL", "DROP TABLE person", "drop"),
    ("DML", "DELETE FROM household", "delete"),
    ("SELECT statement", "SELECT * FROM person", "select"),
    ("qualified column", "t.member_count > 1", "t.member_count"),
    ("qualified column of a real table", "household.member_count > 1", "household.member_count"),
    ("cast to text", "CAST(member_count AS VARCHAR) = '1'", "cast"),
    ("cast to int", "CAST(per_capita_income AS INTEGER) > 1", "cast"),
    ("cast of a column to date", "CAST(income_year AS DATE) > DATE '2020-01-01'", "cast"),
    ("invalid date literal", "birth_date > DATE '2020-02-30'", "2020-02-30"),
    ("aggregate in condition", "sum(member_count) > 1", "sum"),
    ("count in condition", "count(*) > 1", "count"),
    ("value not among the coded values", "household_type = '脱贫'", "脱贫"),
    ("coded value in IN list", "housing_grade IN ('C', 'E')", "E"),
    ("string compared with a number", "member_count > 'a'", "member_count"),
    ("date compared with a number", "birth_date > 5", "birth_date"),
    ("boolean ordered", "dibao > FALSE", "dibao"),
    ("boolean compared with text", "dibao = '是'", "dibao"),
    ("arithmetic on text", "household_type + 1 > 2", "household_type"),
    ("no column", "1 = 1", "1 = 1"),
    ("only a parameter", ":monitoring_line > 0", "monitoring_line"),
    ("constant true", "TRUE", "TRUE"),
    ("undeclared parameter", "per_capita_income < :no_such_line", ":no_such_line"),
    ("not a condition", "per_capita_income", "per_capita_income"),
    ("AND of a number", "member_count AND dibao", "member_count"),
    ("LIKE on a number", "member_count LIKE '1%'", "like"),
    ("column in IN list", "member_count IN (income_year)", "income_year"),
    ("years_before with a column", "birth_date > years_before(birth_date, 1)", "years_before"),
    ("substr with a column", "substr(labour_skill, member_count, 1) = '1'", "substr"),
    ("window function", "row_number() OVER () > 1", "row_number"),
    ("unparsable", "member_count >", ">"),
    ("IS with a value", "dibao IS TRUE", "dibao"),
]


@pytest.mark.parametrize(("condition", "token"), [r[1:] for r in REJECTED], ids=[r[0] for r in REJECTED])
def test_rejected_condition(condition, token):
    errors = errors_for(condition, subject="person")
    assert_rejected(errors, token)
    with pytest.raises(RuleSetInvalid) as info:
        compile_rules(rule_doc(condition, subject="person")).plan(AS_OF, PARAMS)
    assert info.value.errors == errors


@pytest.mark.parametrize(
    ("condition", "token"),
    [
        ("birth_date > DATE '2000-01-01'", "birth_date"),  # a person column
        ("death_date_recorded IS NOT NULL", "death_date_recorded"),  # a fact (common.yaml declares none here)
        ("members_x > 1", "members_x"),
    ],
)
def test_person_level_names_are_not_visible_to_household_rules(condition, token):
    assert_rejected(errors_for(condition, subject="household"), token)


def test_token_of_an_unknown_function_is_what_the_author_wrote():
    errors = errors_for("date_diff('year', birth_date, :as_of) > 16", subject="person")
    assert_rejected(errors, "date_diff")


def test_token_of_a_parameter_only_comparison_is_what_the_author_wrote():
    assert_rejected(errors_for(":monitoring_line > 0"), ":monitoring_line")


def test_unterminated_string_is_a_rule_error():
    errors = errors_for("household_type = '脱贫户")
    assert_rejected(errors, "脱贫户")


def test_every_problem_is_reported_at_once():
    c = compile_rules(
        rule_doc("no_such_column > 1", code="T-01"),
        rule_doc("household_type = '脱贫'", code="T-02"),
        rule_doc("member_count > 1", code="T-03"),
    )
    assert sorted(e.where for e in c.errors) == ["规则 T-01", "规则 T-02"]
    assert [c.rule.code for c in c.compiled] == ["T-03"]


# ------------------------------------------------------------------ parameters


def test_parameter_without_value_for_the_date_names_rule_and_parameter():
    c = compile_rules(rule_doc("per_capita_income < :monitoring_line"))
    with pytest.raises(RuleSetInvalid) as info:
        c.plan(AS_OF, {k: v for k, v in PARAMS.items() if k != "monitoring_line"})
    assert [(e.where, e.token) for e in info.value.errors] == [(f"规则 {CODE}", ":monitoring_line")]
    assert AS_OF.isoformat() in info.value.errors[0].message


def test_parameter_none_is_no_value():
    c = compile_rules(rule_doc("per_capita_income < :monitoring_line"))
    with pytest.raises(RuleSetInvalid, match=":monitoring_line"):
        c.plan(AS_OF, PARAMS | {"monitoring_line": None})


def test_parameter_used_through_a_feature_or_fact_is_required():
    c = compiler.Compiler(builtin_sets())
    values = {k: v for k, v in PARAMS.items() if k not in ("labour_age_min", "medical_window_days")}
    with pytest.raises(RuleSetInvalid) as info:
        c.plan(AS_OF, values)
    pairs = {(e.where, e.token) for e in info.value.errors}
    assert ("规则 JC-04", ":labour_age_min") in pairs
    assert ("规则 JC-07", ":medical_window_days") in pairs
    assert ("规则 JC-09", ":medical_window_days") in pairs  # via the fact's where clause


def test_parameter_of_wrong_type_is_an_error():
    c = compile_rules(rule_doc("member_count > :recent_days"))
    with pytest.raises(RuleSetInvalid, match="recent_days"):
        c.plan(AS_OF, PARAMS | {"recent_days": "1.5"})


def test_only_the_selected_rules_need_parameters():
    c = compiler.Compiler(builtin_sets())
    plan = c.plan(AS_OF, {"wage_implausible_max": 100}, codes={"ZL-06"})
    assert [r.rule.code for r in plan.rules] == ["ZL-06"]
    assert plan.parameters == {"wage_implausible_max": 100}


def test_declared_parameter_with_bad_type():
    with pytest.raises(RuleSetInvalid) as info:
        rules.load_text(
            set_text(rule_doc("member_count > 1"), parameters={"p": {"title": "p", "type": "float"}})
        )
    assert_rejected(info.value.errors, "float", where="参数 p")


# ------------------------------------------------------------------ datasets


FACTS = {
    "died": {"title": "死亡日期", "from": "death_record", "value": "max(death_date)"},
    "in_dibao": {"title": "在保低保", "from": "minimum_living", "value": "exists"},
}
FEATURES = {"dead_members": {"title": "死亡成员数", "value": "count_if(died IS NOT NULL)"}}


def dataset_errors(condition, **overrides):
    return compile_rules(rule_doc(condition, **overrides), facts=FACTS, features=FEATURES).errors


def test_dataset_used_but_not_declared():
    assert_rejected(dataset_errors("died IS NOT NULL", subject="person"), "death_record")
    assert dataset_errors("died IS NOT NULL", subject="person", datasets=["death_record"]) == []


def test_dataset_used_through_evidence_must_be_declared():
    assert_rejected(dataset_errors("dibao", subject="person", evidence=["in_dibao"]), "minimum_living")


def test_dataset_declared_but_unused():
    assert_rejected(dataset_errors("dibao", subject="person", datasets=["death_record"]), "death_record")


def test_dataset_through_a_feature_must_be_declared():
    assert_rejected(dataset_errors("dead_members > 0"), "death_record")
    assert dataset_errors("dead_members > 0", datasets=["death_record"]) == []


def test_undeclared_dataset_name():
    assert_rejected(
        dataset_errors("dibao", subject="person", datasets=["no_such_dataset"]), "no_such_dataset"
    )


def test_fact_over_unknown_dataset():
    with pytest.raises(RuleSetInvalid) as info:
        compile_rules(
            rule_doc("x_fact", subject="person"),
            facts={"x_fact": {"title": "x", "from": "no_such_dataset", "value": "exists"}},
        ).raise_errors()
    assert_rejected(info.value.errors, "no_such_dataset", where="x_fact")


# ------------------------------------------------------------------ explanation templates


@pytest.mark.parametrize(
    ("template", "token"),
    [
        ("人均 {per_capita_income} 元", "{per_capita_income}"),  # a column that is not evidence
        ("{no_such_name}", "{no_such_name}"),
        ("{0}", "{0}"),
        ("{member_count.real}", "member_count.real"),
    ],
)
def test_explanation_names_only_evidence_and_parameters(template, token):
    errors = errors_for("member_count > 1", evidence=["member_count"], explanation=template)
    assert_rejected(errors, token)


def test_explanation_may_name_parameters_and_builtins():
    assert (
        errors_for(
            "member_count > 1",
            evidence=["member_count"],
            explanation="{member_count} {monitoring_line} {as_of} {as_of_year}",
        )
        == []
    )


def test_malformed_explanation_is_a_rule_error():
    errors = errors_for("member_count > 1", evidence=["member_count"], explanation="共 {member_count 人")
    assert_rejected(errors, "{")


@pytest.mark.parametrize("placeholder", ["{member_count:.2f}", "{member_count!r}", "{member_count!s:>5}"])
def test_explanation_format_spec_is_rejected(placeholder):
    errors = errors_for("member_count > 0", evidence=["member_count"], explanation=f"共 {placeholder} 人")
    assert_rejected(errors, placeholder)


# ------------------------------------------------------------------ rule file structure


def test_duplicate_rule_codes_in_one_file():
    with pytest.raises(RuleSetInvalid) as info:
        rules.load_text(set_text(rule_doc("member_count > 1"), rule_doc("member_count > 2")))
    assert_rejected(info.value.errors, CODE)


def test_duplicate_rule_codes_across_sets():
    sets = builtin_sets()
    other = rules.load_text(set_text(rule_doc("member_count > 1", code="JC-01")))
    c = compiler.Compiler([*sets, other])
    assert_rejected(c.errors, "JC-01", where="JC-01")


def test_duplicate_rule_set():
    sets = builtin_sets()
    c = compiler.Compiler([*sets, sets[0]])
    assert any(sets[0].name in e.where for e in c.errors)


@pytest.mark.parametrize(
    "text",
    [
        "set: test\nrules: [\n",
        "set: test\n  bad: indent\n rules: []",
        "set: 'unterminated\n",
        "- just\n- a list\n",
        "",
    ],
)
def test_yaml_errors(text):
    with pytest.raises(RuleSetInvalid) as info:
        rules.load_text(text, source="broken.yaml")
    assert info.value.errors
    assert all(e.where == "broken.yaml" for e in info.value.errors)


def test_yaml_error_names_the_line():
    with pytest.raises(RuleSetInvalid) as info:
        rules.load_text("set: test\ntitle: t\nversion: '1'\nrules:\n  - code: [\n", source="broken.yaml")
    assert "行" in info.value.errors[0].token


@pytest.mark.parametrize(
    ("field", "value", "token"),
    [
        ("subject", "village", "village"),
        ("produces", "alarm", "alarm"),
        ("severity", "extreme", "extreme"),
        ("title", "", "title"),
        ("condition", "", "condition"),
        ("effective", {"from": "2026-13-01"}, "2026-13-01"),
        ("effective", {"from": "2026-01-01", "to": "2025-01-01"}, "effective"),
    ],
)
def test_structural_errors(field, value, token):
    doc = rule_doc("member_count > 1") | {field: value}
    with pytest.raises(RuleSetInvalid) as info:
        rules.load_text(set_text(doc))
    assert_rejected(info.value.errors, token)


def test_redeclaring_a_common_parameter():
    with pytest.raises(RuleSetInvalid) as info:
        rules.load_text(
            set_text(rule_doc("member_count > 1"), parameters={"monitoring_line": {"title": "x"}})
        )
    assert_rejected(info.value.errors, "monitoring_line", where="monitoring_line")


# ------------------------------------------------------------------ effective dates


def test_rule_not_yet_in_effect_is_not_planned():
    c = compile_rules(
        rule_doc("member_count > 1", code="T-01"),
        rule_doc("member_count > 2", code="T-02", effective={"from": dt.date(2027, 1, 1)}),
        rule_doc("member_count > 3", code="T-03", effective={"to": "2025-12-31"}),
    )
    assert c.errors == []
    assert [r.rule.code for r in c.plan(AS_OF, PARAMS).rules] == ["T-01"]
    assert [r.rule.code for r in c.plan(dt.date(2027, 1, 1), PARAMS).rules] == ["T-01", "T-02"]
    assert [r.rule.code for r in c.plan(dt.date(2025, 12, 31), PARAMS).rules] == ["T-01", "T-03"]


def test_rule_not_in_effect_does_not_need_its_parameters():
    c = compile_rules(rule_doc("per_capita_income < :monitoring_line", effective={"from": "2027-01-01"}))
    assert c.plan(AS_OF, {}).rules == []


# ------------------------------------------------------------------ date functions out of range


@pytest.mark.parametrize(
    ("condition", "token"),
    [
        ("birth_date > years_before(:as_of, 3000)", "years_before"),
        ("birth_date > days_before(:as_of, 10000000)", "days_before"),
        ("birth_date > months_before(:as_of, -100000)", "months_before"),
    ],
)
def test_date_function_out_of_range_is_an_error_naming_the_rule(condition, token):
    c = compile_rules(rule_doc(condition, subject="person"))
    with pytest.raises(RuleSetInvalid) as raised:
        c.plan(AS_OF, PARAMS)
    assert_rejected(raised.value.errors, token)


@pytest.mark.parametrize(
    ("condition", "token"),
    [
        ("substr(labour_skill, 0, 2) = '普'", "substr"),  # DuckDB and Spark count position 0 differently
        ("per_capita_income < 1e400", "1e400"),  # Spark parses no literal beyond the double range
        ("per_capita_income < 1000000000000000", "1000000000000000"),
        ("per_capita_income < 1.0000000000000000001", "1.0000000000000000001"),
    ],
)
def test_constructs_the_engines_disagree_on_are_rejected(condition, token):
    assert_rejected(errors_for(condition, subject="person"), token)


# ------------------------------------------------------------------ random conditions

COLUMNS = [
    "member_count",
    "per_capita_income",
    "household_type",
    "housing_grade",
    "dibao",
    "birth_date",
    "income_year",
    "members",
    "risk_members",
    "labour_skill",
    "death_date_recorded",
    "self_pay_window",
    "disabled",
]
TOKENS = [
    *COLUMNS,
    ":monitoring_line",
    ":recent_days",
    ":as_of",
    ":as_of_year",
    "1",
    "0",
    "2.5",
    "'脱贫户'",
    "'C'",
    "'x'",
    "DATE '2020-01-01'",
    "TRUE",
    "NULL",
    "=",
    "<>",
    "<",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "AND",
    "OR",
    "NOT",
    "IS",
    "IN",
    "LIKE",
    "BETWEEN",
    "(",
    ")",
    ",",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "coalesce(",
    "abs(",
    "upper(",
    "length(",
    "greatest(",
    "years_before(:as_of,",
    "days_before(",
    "SELECT",
    "FROM",
    "person",
    ";",
    "t.",
    "--",
    "count(*)",
]

_FIXTURE = None


def _fixture_inputs():
    global _FIXTURE
    if _FIXTURE is None:
        _FIXTURE = rich_world().inputs()
    return _FIXTURE


def _compile_or_reject(condition: str, subject: str) -> None:
    doc = rule_doc(condition, subject=subject, datasets=[])
    try:
        c = compile_rules(doc)
    except RuleSetInvalid:
        return
    if c.errors:
        return
    try:
        rule = c.compiled[0]
        if rule.datasets:  # declare what the rule reads, then it must still compile
            c = compile_rules(rule_doc(condition, subject=subject, datasets=sorted(rule.datasets)))
            c.raise_errors()
        plan = c.plan(AS_OF, PARAMS)
    except RuleSetInvalid:
        return
    engines.run(plan, _fixture_inputs())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    condition=st.lists(st.sampled_from(TOKENS), min_size=1, max_size=9).map(" ".join),
    subject=st.sampled_from(["household", "person"]),
)
def test_random_token_conditions_compile_and_run_or_are_rejected(condition, subject):
    _compile_or_reject(condition, subject)


# Characters that open a quoted token ($ opens $$…$$ strings, /* a comment) are left out here: an unclosed
# one is the tokenizer bug reported below.
@settings(max_examples=200, deadline=None)
@given(
    condition=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="'\"`$"), max_size=40
    ).map(lambda t: t.replace("/*", "/ *"))
)
def test_random_text_conditions_are_rejected_or_run(condition):
    _compile_or_reject(condition, "household")


@pytest.mark.parametrize(
    "condition",
    ["household_type = '脱贫户", "'abc", '"member_count > 1', "$", "$$0", "member_count > 1 $", "/* x"],
)
def test_untokenizable_condition_is_a_rule_error(condition):
    _compile_or_reject(condition, "household")


NUMBERS = ["member_count", "per_capita_income", "income_year", "members", "risk_members", "self_pay_window"]
VALUES = st.sampled_from(
    [
        *NUMBERS,
        "1",
        "0",
        "2.5",
        "-3",
        ":monitoring_line",
        ":recent_days",
        ":as_of_year",
        "NULL",
        "'脱贫户'",
        "birth_date",
        "DATE '2020-02-29'",
        "years_before(:as_of, :labour_age_min)",
        "days_before(:as_of, 30)",
    ]
)


def _expression(leaf):
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            inner.map(lambda e: f"abs({e})"),
            st.tuples(inner, inner).map(lambda t: f"coalesce({t[0]}, {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"greatest({t[0]}, {t[1]})"),
        ),
        max_leaves=4,
    )


_predicates = st.one_of(
    st.tuples(
        _expression(VALUES), st.sampled_from(["=", "<>", "<", ">", "<=", ">="]), _expression(VALUES)
    ).map(" ".join),
    _expression(VALUES).map(lambda e: f"{e} IS NULL"),
    st.tuples(_expression(VALUES), VALUES, VALUES).map(lambda t: f"{t[0]} BETWEEN {t[1]} AND {t[2]}"),
    st.tuples(st.sampled_from(NUMBERS + ["household_type", "housing_grade"]), VALUES, VALUES).map(
        lambda t: f"{t[0]} IN ({t[1]}, {t[2]})"
    ),
    st.sampled_from(["dibao", "disabled", "death_date_recorded IS NULL", "household_type LIKE '脱%'"]),
)

CONDITIONS = st.recursive(
    _predicates,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda c: f"NOT ({c})"),
        st.tuples(inner, _expression(VALUES), _expression(VALUES)).map(
            lambda t: f"CASE WHEN {t[0]} THEN {t[1]} ELSE {t[2]} END > 0"
        ),
    ),
    max_leaves=5,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(condition=CONDITIONS, subject=st.sampled_from(["household", "person"]))
def test_random_well_formed_conditions_compile_and_run_or_are_rejected(condition, subject):
    _compile_or_reject(condition, subject)


@settings(max_examples=150, deadline=None)
@given(
    column=st.sampled_from(COLUMNS),
    op=st.sampled_from(["=", "<>", "<", ">", "<=", ">="]),
    value=st.one_of(
        st.integers(-(10**6), 10**6).map(str),
        st.decimals(-(10**6), 10**6, places=2, allow_nan=False).map(str),
        st.sampled_from(
            [
                "'脱贫户'",
                "'一般农户'",
                "'C'",
                "TRUE",
                "FALSE",
                "DATE '2020-02-29'",
                ":as_of",
                ":monitoring_line",
            ]
        ),
    ),
)
def test_random_comparisons(column, op, value):
    _compile_or_reject(f"{column} {op} {value}", "person")
