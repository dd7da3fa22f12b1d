"""Running a compiled plan on DuckDB (in-process, the default) or on Apache Spark (local or a cluster).

Both engines get the same statements (DuckDB dialect, transpiled by sqlglot for Spark; the compiler only emits
constructs with one meaning on both), the same inputs and the same de-duplication of department rows, and both
return typed Arrow results that are turned into hits here, in Python, once. CI checks that the two give the
same hit set over the whole catalogue.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import string
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlglot

from fangpin.screening.compiler import READ, Plan, id_key_sql
from fangpin.screening.schema import Schema, Table, load_schema

Source = pa.Table | list[Path] | list[str]
Progress = Callable[[int, int, str], None]

HIT_SCHEMA = pa.schema(
    [
        ("rule", pa.string()),
        ("rule_set", pa.string()),
        ("rule_version", pa.string()),
        ("subject", pa.string()),
        ("household_id", pa.int64()),
        ("household_number", pa.string()),
        ("person_id", pa.int64()),
        ("id_number", pa.string()),
        ("region", pa.string()),
        ("as_of", pa.date32()),
        ("evidence", pa.string()),
        ("explanation", pa.string()),
    ]
)


@dataclass
class Inputs:
    """The registry snapshot and department datasets, as Arrow tables or lists of Parquet files."""

    household: Source
    person: Source
    datasets: dict[str, Source] = field(default_factory=dict)


@dataclass
class Result:
    hits: pa.Table
    counts: dict[str, int]  # rule code -> hits
    subjects: dict[str, int]  # "household"/"person" -> how many were screened
    missing_datasets: list[str]  # datasets the rules read that had no delivery
    skipped: dict[str, list[str]] = field(default_factory=dict)  # rule code -> its missing datasets


def display_value(value) -> str:
    """An evidence or parameter value as the explanation shows it."""
    if value is None:
        return "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value != value.to_integral_value() else f"{value:,.0f}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return str(value)


_FOLDED_SPACE = re.compile(r"(?<=[\u3000-\u303f\uff00-\uffef]) +")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _json_sql(column: str, kind: str) -> str:
    """An evidence value (of the compiler's type `kind`) in the hit's JSON: amounts, dates and fractions as
    text (exact), the rest as is."""
    if kind in ("decimal", "date", "double"):
        return f"CAST({column} AS VARCHAR)"
    return column


def _display_sql(column: str, kind: str) -> str:
    """`display_value` in SQL for a value of the compiler's type `kind`, so a million hits are explained in
    one vectorised pass."""
    if kind == "null":
        return "'无'"
    if kind == "boolean":
        text = f"CASE WHEN {column} THEN '是' WHEN NOT {column} THEN '否' END"  # unknown is 无, not 否
    elif kind == "decimal":
        # Exact to the cent at any size (no detour through a double), and fast: formatting a HUGEINT is ten
        # times slower than a BIGINT, and only a sum beyond 10^18 needs one.
        size = f"abs({column})"
        whole = (
            f"CASE WHEN {size} < 1e18 THEN format('{{:,}}', CAST(trunc({size}) AS BIGINT)) "
            f"ELSE format('{{:,}}', CAST(trunc({size}) AS HUGEINT)) END"
        )
        cents = f"lpad(CAST(CAST(({size} - trunc({size})) * 100 AS INTEGER) AS VARCHAR), 2, '0')"
        text = (
            f"CASE WHEN {column} < 0 THEN '-' ELSE '' END || {whole} || "
            f"CASE WHEN {column} = trunc({column}) THEN '' ELSE '.' || {cents} END"
        )
    elif kind == "double":
        text = f"format('{{:,.2f}}', {column})"
    elif kind == "date":
        text = f"strftime({column}, '%Y-%m-%d')"
    else:
        text = f"CAST({column} AS VARCHAR)"
    return f"COALESCE({text}, '无')"


def _explanation_sql(template: str, evidence: dict[str, str], constants: dict[str, str]) -> str:
    """The explanation template as one SQL string expression: literal text, evidence shown per row,
    parameters (the same for every row) shown once, here."""
    # YAML folds a long template's lines with spaces; Chinese text has none after its punctuation.
    template = _FOLDED_SPACE.sub("", template.strip())
    parts = []
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            parts.append(_quote(literal))
        if name is None:
            continue
        parts.append(evidence[name] if name in evidence else _quote(constants[name]))
    return "concat(" + ", ".join(parts or ["''"]) + ")"


def _hits_sql(plan: Plan, sources: dict[int, str], explain: bool = True) -> str | None:
    """One statement giving every rule's hits with evidence JSON and the Chinese explanation. `sources` maps a
    rule's index in the plan to the relation of its results (keys and evidence columns ev_0 …, typed as the
    compiler typed the evidence names). Both engines' hits are formatted by this one statement, on DuckDB.
    Without `explain` the explanation is left NULL (a preview compares hit sets only)."""
    constants = {k: display_value(v) for k, v in (plan.parameters | _builtins(plan)).items()}
    selects = []
    for index, compiled in enumerate(plan.rules):
        if index not in sources:
            continue
        relation = sources[index]
        rule = compiled.rule
        names = [n for n, _ in compiled.evidence]
        kinds = {n: declared.type for n, declared in compiled.evidence}
        columns = {name: f"ev_{i}" for i, name in enumerate(names)}
        pairs = [f"{_quote(n)}, {_json_sql(columns[n], kinds[n])}" for n in sorted(names)]
        evidence = f"CAST(json_object({', '.join(pairs)}) AS VARCHAR)"
        shown = {n: _display_sql(columns[n], kinds[n]) for n in names}
        explanation = _explanation_sql(rule.explanation, shown, constants) if explain else "NULL"
        selects.append(
            f"SELECT CAST({_quote(rule.code)} AS VARCHAR) AS rule, CAST({_quote(rule.rule_set)} AS VARCHAR) "
            f"AS rule_set, CAST({_quote(rule.version)} AS VARCHAR) AS rule_version, "
            f"CAST({_quote(rule.subject)} AS VARCHAR) AS subject, "
            "CAST(household_id AS BIGINT) AS household_id, CAST(household_number AS VARCHAR) AS "
            "household_number, CAST(person_id AS BIGINT) AS person_id, CAST(id_number AS VARCHAR) AS "
            "id_number, CAST(region_code AS VARCHAR) AS region, "
            f"DATE '{plan.as_of.isoformat()}' AS as_of, {evidence} AS evidence, "
            f"CAST({explanation} AS VARCHAR) AS explanation "
            f"FROM {relation}"
        )
    if not selects:
        return None
    # One statement for every rule's hits: DuckDB formats and sorts them in parallel.
    return " UNION ALL ".join(selects) + " ORDER BY rule, household_id, person_id NULLS FIRST"


def _hits(plan: Plan, results: list[pa.Table], explain: bool = True) -> pa.Table:
    """Rule results as Arrow tables (from Spark) → the hits table, formatted on DuckDB by `_hits_sql`."""
    import duckdb

    con = duckdb.connect()
    try:
        sources = {}
        for index, table in enumerate(results):
            if table.num_rows:
                con.register(f"result_{index}", table)
                sources[index] = f"result_{index}"
        sql = _hits_sql(plan, sources, explain)
        return HIT_SCHEMA.empty_table() if sql is None else con.sql(sql).to_arrow_table().cast(HIT_SCHEMA)
    finally:
        con.close()


def _counts(plan: Plan, hits: pa.Table) -> dict[str, int]:
    counts = dict.fromkeys((c.rule.code for c in plan.rules), 0)
    for entry in pc.value_counts(hits.column("rule")).to_pylist() if hits.num_rows else []:
        counts[entry["values"]] = entry["counts"]
    return counts


def _builtins(plan: Plan) -> dict:
    return {"as_of": plan.as_of, "as_of_year": plan.as_of.year}


def _empty(table: Table) -> pa.Table:
    return table.arrow_schema.empty_table()


def _columns(table: Table, extra: tuple[str, ...] = ()) -> list[str]:
    return [*extra, *table.columns]


REGISTRY_KEYS = {
    "household": ("household_id", "household_number", "region_code"),
    "person": ("person_id", "household_id", "id_number"),
}


def run(
    plan: Plan,
    inputs: Inputs,
    *,
    engine: str = "duckdb",
    schema: Schema | None = None,
    spark_master: str | None = None,
    progress: Progress | None = None,
    explain: bool = True,
) -> Result:
    """Screen `inputs` with `plan`. Without `explain` the hits carry evidence but no Chinese explanation
    (for comparing hit sets, as a preview does: formatting a million explanations takes seconds)."""
    schema = schema or load_schema()
    missing = sorted(d for d in plan.datasets if not _delivered(inputs.datasets.get(d)))
    # A rule over a dataset that was never delivered is not run: "no record" would otherwise read as
    # "should have but missing" for everyone. The result says which rules were skipped and why.
    skipped = {
        c.rule.code: sorted(c.datasets & set(missing)) for c in plan.rules if c.datasets & set(missing)
    }
    if skipped:
        plan = replace(plan, rules=[c for c in plan.rules if c.rule.code not in skipped])
    if engine == "duckdb":
        runner = DuckDBRunner(schema)
    elif engine == "spark":
        runner = SparkRunner(schema, spark_master)
    else:
        raise ValueError(f"unknown engine {engine!r}")
    candidates, queries = plan.statements()
    try:
        runner.load(plan, inputs)
        subjects = runner.prepare(plan, candidates)
        total = len(plan.rules)

        def done(index: int, code: str) -> None:
            if progress:
                progress(index, total, code)

        hits = runner.hits(plan, queries, done, explain)
    finally:
        runner.close()
    return Result(hits, _counts(plan, hits), subjects, missing, skipped)


def _delivered(source: Source | None) -> bool:
    return source is not None and (isinstance(source, pa.Table) or len(source) > 0)


def duckdb_source(con, name: str, value: Source) -> str:
    """What a DuckDB query reads an input from: an Arrow table registered as `<name>__arrow`, or Parquet files."""
    if isinstance(value, pa.Table):
        con.register(f"{name}__arrow", value)
        return f"{name}__arrow"
    files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in value)
    return f"read_parquet([{files}], union_by_name = true)"


class DuckDBRunner:
    def __init__(self, schema: Schema):
        import duckdb

        self.schema = schema
        self.con = duckdb.connect()
        # An in-memory DuckDB spills to `.tmp` in the working directory (GBs at ten million persons, left
        # behind if the run is killed): spill into a directory of our own, removed on close.
        self.spill = tempfile.TemporaryDirectory(prefix="fangpin-duckdb-")
        self.con.execute(f"SET temp_directory = {_quote(self.spill.name)}")
        threads = os.environ.get("FANGPIN_SCREENING_THREADS")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")

    def _source(self, name: str, value: Source) -> str:
        return duckdb_source(self.con, name, value)

    def load(self, plan: Plan, inputs: Inputs) -> None:
        for name in ("household", "person"):
            table = getattr(self.schema, name)
            columns = ", ".join(_columns(table, REGISTRY_KEYS[name]))
            self.con.execute(
                f"CREATE VIEW {name} AS SELECT {columns} FROM {self._source(name, getattr(inputs, name))}"
            )
        for code in sorted(plan.datasets):
            table = self.schema.datasets[code]
            source = inputs.datasets.get(code)
            if source is None or (isinstance(source, list) and not source):
                source = _empty(table)
            columns = ", ".join(
                f"{id_key_sql(c)} AS {c}" if c == table.id_column else c for c in table.columns
            )
            # The ID number is normalised here, once, for everything downstream (the facts key on it as is):
            # identical rows delivered twice (a month re-sent) are one record, also when the second copy
            # writes the ID number with a lower-case x or padding.
            distinct = "DISTINCT " if code in plan.distinct_datasets else ""
            self.con.execute(
                f"CREATE VIEW ds_{code} AS SELECT {distinct}{columns} FROM {self._source('ds_' + code, source)}"
            )

    def prepare(self, plan: Plan, candidates: dict[str, str]) -> dict[str, int]:
        for name, sql in plan.facts_sql.items():
            # A fact relation only the persons read stays a view: its grouping then feeds the persons' join
            # directly instead of being written to a table and read back (6 % of a run over 10M persons).
            kind = "TEMP TABLE" if name in plan.feature_facts else "VIEW"
            self.con.execute(f"CREATE {kind} {name} AS {sql}")
        # Read twice (features, then the rules' single pass) rather than written once and read twice.
        self.con.execute(f"CREATE VIEW screen_person AS {plan.person_sql}")
        if plan.feature_sql:
            self.con.execute(f"CREATE TEMP TABLE screen_feature AS {plan.feature_sql}")
            self.con.execute(
                "CREATE VIEW screen_person_full AS SELECT p.*, f.* EXCLUDE (household_id) FROM screen_person AS p "
                "LEFT JOIN screen_feature AS f ON f.household_id = p.household_id"
            )
        else:
            self.con.execute("CREATE VIEW screen_person_full AS SELECT * FROM screen_person")
        for name, sql in candidates.items():
            self.con.execute(f"CREATE TEMP TABLE {name} AS {sql}")
        households = self.con.execute("SELECT COUNT(*) FROM household").fetchall()[0][0]
        persons = self.con.execute("SELECT COUNT(*) FROM person").fetchall()[0][0]
        return {"household": households, "person": persons}

    def query(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def hits(self, plan: Plan, queries: list[tuple[str, str]], done, explain: bool = True) -> pa.Table:
        """Every rule's hits formatted straight from the candidates tables, in this connection: no round
        trip of each rule's results through Arrow. Only rules with a hit are in the statement: a re-screen of
        one household hits a few, and planning all of them would cost more than running them."""
        flags = plan.rule_flags()
        hit = set()
        for relation in sorted({r for r, _ in flags.values()}):
            mine = sorted(code for code, (r, _) in flags.items() if r == relation)
            (found,) = self.con.execute(
                f"SELECT {', '.join(f'bool_or({flags[c][1]})' for c in mine)} FROM {relation}"
            ).fetchall()
            hit |= {code for code, any_hit in zip(mine, found, strict=True) if any_hit}
        sources = {
            index: f"({sql}) AS rule_{index}" for index, (code, sql) in enumerate(queries) if code in hit
        }
        sql = _hits_sql(plan, sources, explain)
        hits = HIT_SCHEMA.empty_table() if sql is None else self.query(sql).cast(HIT_SCHEMA)
        for index, (code, _) in enumerate(queries, start=1):
            done(index, code)
        return hits

    def close(self) -> None:
        self.con.close()
        self.spill.cleanup()


_SPARK = {}


def spark_session(master: str | None = None):
    """One Spark session per process (its JVM takes seconds to start). Ibis-free, so the session time zone is
    ours to set: UTC, which dates do not depend on anyway."""
    from pyspark.sql import SparkSession

    master = master or os.environ.get("FANGPIN_SPARK_MASTER") or "local[2]"
    session = _SPARK.get(master)
    if session is None:
        session = (
            SparkSession.builder.master(master)
            .appName("fangpin-screening")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", os.environ.get("FANGPIN_SPARK_PARTITIONS", "8"))
            .config("spark.driver.memory", os.environ.get("FANGPIN_SPARK_DRIVER_MEMORY", "2g"))
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.ansi.enabled", "true")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        _SPARK[master] = session
    return session


def to_spark_sql(sql: str) -> str:
    return sqlglot.transpile(sql, read=READ, write="spark")[0]


class SparkRunner:
    def __init__(self, schema: Schema, master: str | None):
        self.schema = schema
        self.spark = spark_session(master)
        self.tmp = tempfile.TemporaryDirectory(prefix="fangpin-spark-")
        self.cached = []

    def _frame(self, name: str, value: Source, table: Table):
        if isinstance(value, pa.Table):
            path = Path(self.tmp.name) / f"{name}.parquet"
            # Arrow input is written once so Spark reads the very same typed columns DuckDB does.
            pq.write_table(value.cast(_target_schema(value.schema, table)), path)
            paths = [str(path)]
        else:
            paths = [str(p) for p in value]
        return self.spark.read.option("mergeSchema", "true").parquet(*paths)

    def load(self, plan: Plan, inputs: Inputs) -> None:
        for name in ("household", "person"):
            table = getattr(self.schema, name)
            frame = self._frame(name, getattr(inputs, name), table)
            frame.select(*_columns(table, REGISTRY_KEYS[name])).createOrReplaceTempView(name)
        for code in sorted(plan.datasets):
            table = self.schema.datasets[code]
            source = inputs.datasets.get(code)
            if source is None or (isinstance(source, list) and not source):
                source = _empty(table)
            frame = self._frame(f"ds_{code}", source, table)
            from pyspark.sql import functions as F

            columns = [
                F.expr(to_spark_sql(id_key_sql(c))).alias(c) if c == table.id_column else F.col(c)
                for c in table.columns
            ]
            frame = frame.select(*columns)
            if code in plan.distinct_datasets:
                frame = frame.distinct()
            frame.createOrReplaceTempView(f"ds_{code}")

    def _view(self, name: str, sql: str, cache: bool = False) -> None:
        frame = self.spark.sql(to_spark_sql(sql))
        if cache:
            frame = frame.cache()
            self.cached.append(frame)
        frame.createOrReplaceTempView(name)

    def prepare(self, plan: Plan, candidates: dict[str, str]) -> dict[str, int]:
        for name, sql in plan.facts_sql.items():
            self._view(name, sql, cache=True)
        self._view("screen_person", plan.person_sql)
        if plan.feature_sql:
            self._view("screen_feature", plan.feature_sql, cache=True)
            feature_columns = [c for c in self.spark.table("screen_feature").columns if c != "household_id"]
            extra = "".join(f", f.{c}" for c in feature_columns)
            self._view(
                "screen_person_full",
                f"SELECT p.*{extra} FROM screen_person AS p LEFT JOIN screen_feature AS f ON f.household_id = p.household_id",
            )
        else:
            self._view("screen_person_full", "SELECT * FROM screen_person")
        for name, sql in candidates.items():
            self._view(name, sql, cache=True)
        households = self.spark.table("household").count()
        persons = self.spark.table("person").count()
        return {"household": households, "person": persons}

    def query(self, sql: str) -> pa.Table:
        return self.spark.sql(to_spark_sql(sql)).toArrow()

    def hits(self, plan: Plan, queries: list[tuple[str, str]], done, explain: bool = True) -> pa.Table:
        return _hits(plan, self.query_all(queries, done), explain)

    def query_all(self, queries: list[tuple[str, str]], done) -> list[pa.Table]:
        """Rule queries as concurrent Spark jobs: each is small next to the job overhead, which then overlaps."""
        from concurrent.futures import ThreadPoolExecutor, as_completed

        workers = int(os.environ.get("FANGPIN_SPARK_CONCURRENCY", "8"))
        results: list[pa.Table | None] = [None] * len(queries)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(self.query, sql): i for i, (_, sql) in enumerate(queries)}
            for count, future in enumerate(as_completed(futures), start=1):
                i = futures[future]
                results[i] = future.result()
                done(count, queries[i][0])
        return results

    def close(self) -> None:
        for frame in self.cached:
            frame.unpersist()
        for view in self.spark.catalog.listTables():
            if view.isTemporary:
                self.spark.catalog.dropTempView(view.name)
        self.tmp.cleanup()


def _target_schema(schema: pa.Schema, table: Table) -> pa.Schema:
    """Arrow input keeps its column set; declared columns get their declared types (e.g. decimal(16,2))."""
    from fangpin.screening.schema import ARROW_TYPES

    fields = []
    for f in schema:
        column = table.columns.get(f.name)
        fields.append(pa.field(f.name, ARROW_TYPES[column.type]) if column else f)
    return pa.schema(fields)
