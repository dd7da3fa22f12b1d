"""The registry as the screening engine reads it: two Arrow tables, `household` and `person`, in the columns
declared in fangpin/screening/schema.json, coded values as their Chinese labels (the national-export terms
rule authors write), blank choices as NULL, and each household's income for the latest year up to the as-of
year next to the year before's.

Reads go through ADBC (SQLite or PostgreSQL straight into Arrow, no row-by-row ORM); DuckDB, in-process, shapes
the raw columns (casts SQLite's text dates and integer booleans, maps codes to labels, picks income years).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pyarrow as pa
from django.db import connection

from fangpin.core.scoping import subtree_bounds
from fangpin.registry import choices
from fangpin.registry.models import Household, HouseholdIncome, Person


@dataclass(frozen=True)
class Field:
    name: str  # screening column
    type: str
    title: str
    raw: str = ""  # the registry column it comes from (default: same name)
    choices: type | None = None  # a TextChoices class: codes become labels

    @property
    def source(self) -> str:
        return self.raw or self.name


def _title(model, field_name: str) -> str:
    return str(model._meta.get_field(field_name).verbose_name)


def _bool(model, name):
    return Field(name, "boolean", _title(model, name))


HOUSEHOLD_FIELDS = (
    Field("household_type", "string", _title(Household, "household_type"), choices=choices.HouseholdType),
    Field("exit_year", "integer", _title(Household, "exit_year")),
    Field("in_relocation_site", "boolean", _title(Household, "in_relocation_site")),
    Field("housing_grade", "string", "危房等级", choices=None),
    _bool(Household, "water_quantity_ok"),
    _bool(Household, "water_quality_ok"),
    _bool(Household, "water_convenience_ok"),
    _bool(Household, "water_reliability_ok"),
    Field("member_count", "integer", _title(Household, "member_count")),
)
INCOME_FIELDS = (
    Field("income_year", "integer", "收入年度", "year"),
    Field("wage_income", "decimal", _title(HouseholdIncome, "wage"), "wage"),
    Field("business_income", "decimal", _title(HouseholdIncome, "business"), "business"),
    Field("property_income", "decimal", _title(HouseholdIncome, "property"), "property"),
    Field("transfer_income", "decimal", _title(HouseholdIncome, "transfer"), "transfer"),
    Field("business_cost", "decimal", _title(HouseholdIncome, "business_cost"), "business_cost"),
    Field("claims_income", "decimal", _title(HouseholdIncome, "claims_income"), "claims_income"),
    Field(
        "compliant_out_of_pocket",
        "decimal",
        _title(HouseholdIncome, "compliant_out_of_pocket"),
        "compliant_out_of_pocket",
    ),
    Field("net_income", "decimal", _title(HouseholdIncome, "net_income"), "net_income"),
    Field(
        "per_capita_income",
        "decimal",
        _title(HouseholdIncome, "per_capita_net_income"),
        "per_capita_net_income",
    ),
)
PREVIOUS_INCOME_FIELDS = (
    Field("prev_net_income", "decimal", "上年家庭纯收入", "net_income"),
    Field("prev_per_capita_income", "decimal", "上年家庭人均纯收入", "per_capita_net_income"),
)
PERSON_FIELDS = (
    Field("sex", "string", _title(Person, "sex"), choices=choices.Sex),
    Field("birth_date", "date", _title(Person, "birth_date")),
    Field("relation", "string", _title(Person, "relation"), choices=choices.Relation),
    Field("education", "string", _title(Person, "education"), choices=choices.Education),
    Field("student_status", "string", _title(Person, "student_status"), choices=choices.StudentStatus),
    _bool(Person, "chronic_disease"),
    _bool(Person, "serious_illness"),
    _bool(Person, "disabled"),
    Field("disability_grade", "integer", _title(Person, "disability_grade")),
    Field("disability_card", "string", _title(Person, "disability_card")),
    Field("labour_skill", "string", _title(Person, "labour_skill"), choices=choices.LabourSkill),
    Field("work_location", "string", _title(Person, "work_location"), choices=choices.WorkLocation),
    Field("work_months", "integer", _title(Person, "work_months")),
    Field("public_post", "string", _title(Person, "public_post"), choices=choices.PublicPost),
    _bool(Person, "resident_medical"),
    _bool(Person, "employee_medical"),
    _bool(Person, "critical_illness"),
    _bool(Person, "resident_pension"),
    _bool(Person, "employee_pension"),
    _bool(Person, "dibao"),
    _bool(Person, "tekun"),
)
HOUSING_GRADES = ("A", "B", "C", "D")


def screening_schema_json() -> dict:
    """The registry half of schema.json, from the fields above; the dataset half from the exchange catalogue."""
    from fangpin.exchange.catalogue import KINDS

    def column(f: Field) -> dict:
        out = {"title": f.title, "type": f.type}
        if f.choices is not None:
            out["choices"] = [str(label) for label in f.choices.labels]
        elif f.name == "housing_grade":
            out["choices"] = list(HOUSING_GRADES)
        return out

    types = {
        "id_number": "string",
        "text": "string",
        "choice": "string",
        "date": "date",
        "decimal": "decimal",
    }
    types["integer"] = "integer"
    datasets = {}
    for kind in KINDS:
        columns = {}
        for c in kind.columns:
            columns[c.field] = {"title": c.header, "type": types[c.type]} | (
                {"choices": list(c.choices)} if c.choices else {}
            )
        datasets[kind.code] = {
            "title": kind.name,
            "source": kind.department_label,
            "id_column": kind.id_column,
            "date_column": kind.current_date_column,
            "columns": columns,
        }
    return {
        "household": {
            "title": "户",
            "source": "登记数据",
            "columns": {
                f.name: column(f) for f in (*HOUSEHOLD_FIELDS, *INCOME_FIELDS, *PREVIOUS_INCOME_FIELDS)
            },
        },
        "person": {
            "title": "家庭成员",
            "source": "登记数据",
            "columns": {f.name: column(f) for f in PERSON_FIELDS},
        },
        "datasets": datasets,
    }


# ------------------------------------------------------------------ reading


def _adbc_connection():
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        import adbc_driver_sqlite.dbapi

        return adbc_driver_sqlite.dbapi.connect(str(db["NAME"]))
    import adbc_driver_postgresql.dbapi

    uri = "postgresql://{user}@{host}:{port}/{name}".format(
        user=db.get("USER") or "postgres",
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        name=db["NAME"],
    )
    if db.get("PASSWORD"):
        uri = uri.replace("@", f":{db['PASSWORD']}@", 1)
    return adbc_driver_postgresql.dbapi.connect(uri)


def _fetch(*sqls: str, few: bool = False) -> list[pa.Table]:
    """Each query's rows as Arrow: through one ADBC connection (columnar, fast for a region), or through
    Django's own connection for a few households (opening a PostgreSQL connection alone takes ~70 ms)."""
    name = str(connection.settings_dict["NAME"])
    if few or connection.in_atomic_block or name.startswith(("file:", ":memory")):
        # A second connection would not see this transaction's rows (or an in-memory database at all).
        return [_fetch_django(sql) for sql in sqls]
    tables = []
    with _adbc_connection() as conn, conn.cursor() as cur:
        for sql in sqls:
            cur.execute(sql)
            tables.append(cur.fetch_arrow_table())
    return tables


def _fetch_django(sql: str) -> pa.Table:
    with connection.cursor() as cur:
        cur.execute(sql)
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    return pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})


_PATH = re.compile(r"^\d{1,15}$")


def _where(region=None, household_ids=None) -> str:
    clauses = ["h.status = 'active'"]
    if region is not None:
        if not _PATH.match(region.path):
            raise ValueError(region.path)
        low, high = subtree_bounds(region.path)
        clauses.append(f"r.path >= '{low}' AND r.path < '{high}'")
    if household_ids is not None:
        ids = ",".join(str(int(i)) for i in household_ids) or "NULL"
        clauses.append(f"h.id IN ({ids})")
    return " AND ".join(clauses)


def _label_case(column: str, choice_class) -> str:
    whens = " ".join(
        f"WHEN '{value}' THEN '{label}'"
        for value, label in zip(choice_class.values, choice_class.labels, strict=True)
    )
    return f"CASE {column} {whens} ELSE NULL END"


def _cast(f: Field, column: str) -> str:
    if f.choices is not None:
        return _label_case(column, f.choices)
    if f.name == "housing_grade":
        return f"NULLIF(CAST({column} AS VARCHAR), '')"
    sql_type = {
        "string": "VARCHAR",
        "integer": "BIGINT",
        "decimal": "DECIMAL(16,2)",
        "date": "DATE",
        "boolean": "BOOLEAN",
    }[f.type]
    if f.type == "string":
        return f"NULLIF(CAST({column} AS VARCHAR), '')"
    return f"CAST({column} AS {sql_type})"


def registry_snapshot(as_of: dt.date, *, region=None, household_ids=None) -> tuple[pa.Table, pa.Table]:
    """(household, person) Arrow tables of the active households in `region` (or exactly `household_ids`),
    with incomes chosen for `as_of`."""

    h_table, p_table, i_table = (
        Household._meta.db_table,
        Person._meta.db_table,
        HouseholdIncome._meta.db_table,
    )
    where = _where(region, household_ids)
    households_sql = (
        "SELECT h.id AS household_id, h.number AS household_number, r.code AS region_code, "
        + ", ".join(f"h.{f.source}" for f in HOUSEHOLD_FIELDS)
        + f" FROM {h_table} h JOIN geo_region r ON r.id = h.region_id WHERE {where}"
    )
    persons_sql = (
        "SELECT p.id AS person_id, p.household_id, p.id_number, "
        + ", ".join(f"p.{f.source}" for f in PERSON_FIELDS)
        + f" FROM {p_table} p JOIN {h_table} h ON h.id = p.household_id JOIN geo_region r ON r.id = h.region_id"
        + f" WHERE {where}"
    )
    income_sources = sorted({f.source for f in (*INCOME_FIELDS, *PREVIOUS_INCOME_FIELDS)} - {"year"})
    # SQLite keeps decimals as REAL or INTEGER row by row; as text they reach DuckDB's DECIMAL cast exactly.
    as_text = "CAST(i.{0} AS TEXT) AS {0}" if connection.vendor == "sqlite" else "i.{0}"
    incomes_sql = (
        "SELECT i.household_id, i.year, "
        + ", ".join(as_text.format(c) for c in income_sources)
        + f" FROM {i_table} i JOIN {h_table} h ON h.id = i.household_id JOIN geo_region r ON r.id = h.region_id"
        + f" WHERE {where} AND i.year <= {int(as_of.year)}"
    )
    few = household_ids is not None and len(household_ids) <= 100
    return shape(*_fetch(households_sql, persons_sql, incomes_sql, few=few))


def shape(
    raw_households: pa.Table, raw_persons: pa.Table, raw_incomes: pa.Table
) -> tuple[pa.Table, pa.Table]:
    """Raw registry columns (model field names and codes, as stored) → the screening tables. Also used on the
    Parquet files `fangpin synth --out` writes, for benchmarks."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("raw_h", raw_households)
        con.register("raw_p", raw_persons)
        con.register("raw_i", raw_incomes)
        latest = (
            "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY household_id ORDER BY year DESC) AS n "
            "FROM raw_i) WHERE n = 1"
        )
        income_cols = ", ".join(_cast(f, f"cur.{f.source}") + f" AS {f.name}" for f in INCOME_FIELDS)
        prev_cols = ", ".join(_cast(f, f"prev.{f.source}") + f" AS {f.name}" for f in PREVIOUS_INCOME_FIELDS)
        household_cols = ", ".join(_cast(f, f"h.{f.source}") + f" AS {f.name}" for f in HOUSEHOLD_FIELDS)
        households = con.sql(
            f"WITH cur AS ({latest}) "
            f"SELECT CAST(h.household_id AS BIGINT) AS household_id, CAST(h.household_number AS VARCHAR) AS household_number, "
            f"CAST(h.region_code AS VARCHAR) AS region_code, {household_cols}, {income_cols}, {prev_cols} "
            "FROM raw_h h LEFT JOIN cur ON cur.household_id = h.household_id "
            "LEFT JOIN raw_i prev ON prev.household_id = h.household_id AND prev.year = cur.year - 1 "
            "ORDER BY h.household_id"
        ).to_arrow_table()
        person_cols = ", ".join(_cast(f, f"p.{f.source}") + f" AS {f.name}" for f in PERSON_FIELDS)
        persons = con.sql(
            "SELECT CAST(p.person_id AS BIGINT) AS person_id, CAST(p.household_id AS BIGINT) AS household_id, "
            f"CAST(p.id_number AS VARCHAR) AS id_number, {person_cols} FROM raw_p p ORDER BY p.person_id"
        ).to_arrow_table()
    finally:
        con.close()
    return households, persons
