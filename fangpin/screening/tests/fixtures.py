"""Builders for the screening engine's Arrow inputs, shared by the engine tests.

`World` collects households, persons and department rows as plain dicts and turns them into Arrow tables that
conform to `schema.json`. Every household and person gets a unique key (and a valid 18-digit ID number with the
GB 11643 check character), so cases built by different helpers can be merged into one world.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from decimal import Decimal

import pyarrow as pa

from fangpin.screening import compiler, engines, rules
from fangpin.screening.compiler import _shift
from fangpin.screening.schema import load_schema

SCHEMA = load_schema()
AS_OF = dt.date(2026, 6, 30)
REGION = "421223104201"

PARAMS: dict[str, object] = {
    "monitoring_line": Decimal("7600"),
    "edge_income_multiple": Decimal("1.5"),
    "recent_days": 365,
    "labour_age_min": 16,
    "labour_age_max": 59,
    "compulsory_age_min": 6,
    "compulsory_age_max": 15,
    "elderly_age": 60,
    "income_drop_ratio": Decimal("0.3"),
    "rigid_expense_ratio": Decimal("0.8"),
    "medical_single_stay_exited": 6000,
    "medical_single_stay_other": 10000,
    "medical_window_days": 365,
    "rural_income_prev_year": Decimal("20392"),
    "medical_cumulative_ratio_exited": Decimal("0.5"),
    "medical_cumulative_ratio_other": 1,
    "unemployment_days": 90,
    "wage_implausible_max": 100,
    "company_min_capital": 10,
    "hukou_move_days": 730,
}

HOUSEHOLD_SCHEMA = pa.schema(
    [
        pa.field("household_id", pa.int64()),
        pa.field("household_number", pa.string()),
        pa.field("region_code", pa.string()),
        *SCHEMA.household.arrow_schema,
    ]
)
PERSON_SCHEMA = pa.schema(
    [
        pa.field("person_id", pa.int64()),
        pa.field("household_id", pa.int64()),
        pa.field("id_number", pa.string()),
        *SCHEMA.person.arrow_schema,
    ]
)

# ------------------------------------------------------------------ ID numbers and ages

# Written out here, not imported from fangpin.core.validators: fangpin.screening (tests included) imports no
# Django app (import-linter). test_golden checks it against the standard's own example.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_char(first17: str) -> str:
    """GB 11643-1999 check character of the first 17 digits."""
    assert len(first17) == 17 and first17.isdigit(), first17
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def id_number(birth: dt.date, seq: int, area: str = "421223") -> str:
    """A valid 18-digit ID number: area code, birth date, 3-digit sequence, check character."""
    first17 = f"{area}{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + check_char(first17)


def is_valid_id(number: str) -> bool:
    return len(number) == 18 and number[:17].isdigit() and check_char(number[:17]) == number[17]


def born(years: int, *, days: int = 0, as_of: dt.date = AS_OF) -> dt.date:
    """Birth date of someone who turns `years` exactly on `as_of`, moved `days` later (so `born(16, days=1)`
    is 15 years and 364 days old on `as_of`)."""
    return _shift(as_of, "years", years) + dt.timedelta(days=days)


def days_ago(n: int, as_of: dt.date = AS_OF) -> dt.date:
    return as_of - dt.timedelta(days=n)


def dec(value) -> Decimal:
    return Decimal(str(value))


# ------------------------------------------------------------------ the builder

_ids = itertools.count(1)

HOUSEHOLD_DEFAULTS = {
    "household_type": "一般农户",
    "exit_year": None,
    "in_relocation_site": False,
    "housing_grade": "A",
    "water_quantity_ok": True,
    "water_quality_ok": True,
    "water_convenience_ok": True,
    "water_reliability_ok": True,
    "income_year": 2025,
    "wage_income": dec(30000),
    "business_income": dec(0),
    "property_income": dec(0),
    "transfer_income": dec(0),
    "business_cost": dec(0),
    "claims_income": dec(0),
    "compliant_out_of_pocket": dec(0),
    "net_income": dec(40000),
    "per_capita_income": dec(20000),
    "prev_net_income": dec(40000),
    "prev_per_capita_income": dec(20000),
}

PERSON_DEFAULTS = {
    "sex": "男",
    "birth_date": dt.date(1980, 5, 5),
    "relation": "户主",
    "education": "初中",
    "student_status": None,
    "chronic_disease": False,
    "serious_illness": False,
    "disabled": False,
    "disability_grade": None,
    "disability_card": None,
    "labour_skill": "普通劳动力",
    "work_location": None,
    "work_months": 0,
    "public_post": None,
    "resident_medical": True,
    "employee_medical": False,
    "critical_illness": True,
    "resident_pension": True,
    "employee_pension": False,
    "dibao": False,
    "tekun": False,
}


class World:
    """Households, persons and department rows for one screening run."""

    def __init__(self):
        self.households: list[dict] = []
        self.persons: list[dict] = []
        self.rows: dict[str, list[dict]] = defaultdict(list)

    def household(self, **values) -> dict:
        hid = next(_ids)
        row = {
            "household_id": hid,
            "household_number": f"H{hid:06d}",
            "region_code": REGION,
            "member_count": None,
        }
        row |= HOUSEHOLD_DEFAULTS | values
        self.households.append(row)
        return row

    def person(self, household: dict, **values) -> dict:
        pid = next(_ids)
        row = {"person_id": pid, "household_id": household["household_id"]} | PERSON_DEFAULTS | values
        if "id_number" not in values:
            row["id_number"] = id_number(row["birth_date"], pid)
        self.persons.append(row)
        return row

    def family(self, household: dict | None = None, **person_values) -> tuple[dict, dict]:
        """A household (given or a default one) with one person; returns (household, person)."""
        household = household if household is not None else self.household()
        return household, self.person(household, **person_values)

    def record(self, dataset: str, person: dict | str, **values) -> dict:
        """A department row about `person` (a person dict or a raw ID number string)."""
        assert dataset in SCHEMA.datasets, dataset
        table = SCHEMA.datasets[dataset]
        raw_id = person if isinstance(person, str) else person["id_number"]
        row = dict.fromkeys(table.columns) | {table.id_column: raw_id, "name": "某某"} | values
        unknown = set(row) - set(table.columns)
        assert not unknown, unknown
        self.rows[dataset].append(row)
        return row

    def merge(self, other: World) -> World:
        self.households += other.households
        self.persons += other.persons
        for code, rows in other.rows.items():
            self.rows[code] += rows
        return self

    def inputs(self, *, deliver_all: bool = True, withhold: tuple[str, ...] = ()) -> engines.Inputs:
        """Arrow inputs. With `deliver_all`, every dataset is delivered (empty if it has no rows), so no rule is
        skipped; datasets in `withhold` are not delivered at all."""
        counts: dict[int, int] = defaultdict(int)
        for p in self.persons:
            counts[p["household_id"]] += 1
        households = []
        for h in self.households:
            h = dict(h)
            if h["member_count"] is None:
                h["member_count"] = counts[h["household_id"]]
            households.append(h)
        codes = set(SCHEMA.datasets) if deliver_all else set(self.rows)
        datasets = {
            code: pa.Table.from_pylist(self.rows.get(code, []), schema=SCHEMA.datasets[code].arrow_schema)
            for code in sorted(codes - set(withhold))
        }
        return engines.Inputs(
            pa.Table.from_pylist(households, schema=HOUSEHOLD_SCHEMA),
            pa.Table.from_pylist(self.persons, schema=PERSON_SCHEMA),
            datasets,
        )


# ------------------------------------------------------------------ the catalogue

_COMPILER: compiler.Compiler | None = None


def builtin_sets() -> list[rules.RuleSet]:
    return [rules.load_builtin(n) for n in rules.builtin_set_names()]


def catalogue() -> compiler.Compiler:
    global _COMPILER
    if _COMPILER is None:
        _COMPILER = compiler.Compiler(builtin_sets())
        _COMPILER.raise_errors()
    return _COMPILER


def catalogue_codes() -> list[str]:
    return [c.rule.code for c in catalogue().compiled]


def screen(
    world: World, codes=None, *, as_of=AS_OF, params=None, engine="duckdb", **inputs
) -> engines.Result:
    plan = catalogue().plan(as_of, PARAMS if params is None else params, set(codes) if codes else None)
    return engines.run(plan, world.inputs(**inputs), engine=engine)


def hits_of(result: engines.Result, code: str) -> list[dict]:
    return [h for h in result.hits.to_pylist() if h["rule"] == code]
