"""What compiling produces: a `CompiledRule` per rule, and the `Plan` of SQL the engines run for one as-of
date and one parameter set (`Plan.statements`: one pass per subject, then one small filter per rule)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from fangpin.screening.compiler.names import Name, Typed
from fangpin.screening.rules import Rule

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
    household_sql: str  # households with their features, which the household pass reads
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
    # The fact relations the features read as well as the persons: computed once, not once per reader.
    feature_facts: set[str] = field(default_factory=set)
    # Features that count the members a fact holds for (feature column -> condition over the person
    # relation): counted over the person pass's candidates, into `screen_member_count`.
    member_counts: dict[str, str] = field(default_factory=dict)

    def rule_flags(self) -> dict[str, tuple[str, str]]:
        """rule code -> (its candidates relation, its flag column there), as `statements` writes them."""
        flags = {}
        for subject in ("household", "person"):
            rules = [c for c in self.rules if c.rule.subject == subject]
            for index, compiled in enumerate(rules):
                flags[compiled.rule.code] = (f"candidates_{subject}", f"hit_{index}")
        return flags

    def statements(self) -> tuple[dict[str, str], list[tuple[str, str]]]:
        """How the rules run: one pass per subject over its relation writes `candidates_<subject>` — the
        subjects that hit any rule, one flag per rule and the evidence columns — and each rule's hits are a
        filter on that small table. One scan of ten million persons instead of one per rule. Between the two
        passes, `screen_member_count` counts per household the candidate members of `member_counts`.

        Returns ({relation: SELECT}, in the order to materialise them, [(rule code, SELECT of its hits)]) for
        `self.rules` (which the engine may have narrowed to the rules whose datasets were delivered)."""
        candidates: dict[str, str] = {}
        flags = self.rule_flags()
        # Persons first: the household pass reads the member counts taken from the persons' candidates.
        for subject in ("person", "household"):
            rules = [c for c in self.rules if c.rule.subject == subject]
            counts = self.member_counts if subject == "person" else {}
            if not rules and not counts:
                continue
            columns = sorted({col for c in rules for col in self.rule_sql[c.rule.code].columns})
            outputs = [
                f"COALESCE({self.rule_sql[c.rule.code].condition}, FALSE) AS {flags[c.rule.code][1]}"
                for c in rules
            ]
            outputs += [
                f"COALESCE({condition}, FALSE) AS counted__{name}" for name, condition in counts.items()
            ]
            # The filter is the bare conditions, not the flags: a row is kept when one of them is TRUE either
            # way, and the engine stops at the first TRUE condition of a row and computes the flags only for
            # the rows kept (half the time of the flags' OR, on ten million persons).
            conditions = [self.rule_sql[c.rule.code].condition for c in rules] + list(counts.values())
            any_hit = " OR ".join(f"({condition})" for condition in conditions)
            source = f"({self.household_sql})" if subject == "household" else self.person_relation
            candidates[f"candidates_{subject}"] = (
                f"SELECT {KEYS[subject]}{''.join(', ' + c for c in columns)}, {', '.join(outputs)} "
                f"FROM {source} AS subjects "
                f"WHERE {any_hit}"  # the alias: Spark would read `WHERE (x)` after a bare name as its alias
            )
            if counts:
                tallies = ", ".join(
                    f"COUNT(CASE WHEN counted__{name} THEN 1 END) AS {name}" for name in counts
                )
                candidates["screen_member_count"] = (
                    f"SELECT household_id, {tallies} FROM candidates_person GROUP BY household_id"
                )
        queries = []
        for compiled in self.rules:
            code = compiled.rule.code
            evidence = "".join(f", {e} AS ev_{i}" for i, e in enumerate(self.rule_sql[code].evidence))
            queries.append(
                (
                    code,
                    f"SELECT household_id, household_number, region_code, person_id, id_number{evidence} "
                    f"FROM {flags[code][0]} WHERE {flags[code][1]}",
                )
            )
        return candidates, queries
