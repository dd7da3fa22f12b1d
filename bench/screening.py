"""Screening engine figures: the whole rule catalogue at about 1, 3 and 10 million persons. Prints figures;
asserts nothing.

    python bench/screening.py                        # everything (builds the data the first time)
    python bench/screening.py --sizes 1 3            # only some sizes (millions of persons, roughly)
    python bench/screening.py --skip-spark --skip-registry

What it measures, each in a child process of its own so peak memory (RSS) is that part's alone:
- fangpin's engine (compile the catalogue, plan with the parameters in force, run on DuckDB, build the hits
  table with evidence and Chinese explanations) against one hand-written DuckDB query of the same rules; also
  the engine without explanations, which returns what the hand query returns (hits and evidence)
  (bench/screening_hand.sql, checked equal to the engine by fangpin/screening/tests/test_hand_sql.py), best
  of `--repeat` rounds (one run of each, in turn, each in a fresh process), on the same Parquet inputs; the
  ratio, seconds per million persons (linearity) and peak RSS;
- Spark local mode (local[2]) on the same inputs at the smallest size: first run (session start included)
  and second run;
- registry → Arrow export rate (ADBC, SQLite and PostgreSQL) and incremental re-screening per household, on
  a county registry (≈185k persons) in bench/out/screening/registry.sqlite3 and the PostgreSQL database
  `fangpin_bench_screening`.

Data: `fangpin synth --scale province --seed 1 --out bench/out/province` (≈10M persons and the department
datasets), shaped into the screening tables once per county under bench/out/screening/; a size is the first
counties (in code order) up to that many persons, with the department rows about them and their share of
rows about people outside the registry.

Targets on the project's 2-core machine: ratio ≤ 1.2, 10M persons ≤ 10 s, peak RSS ≤ 6 GB, time linear in
persons.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"
PROVINCE = OUT / "province"
WORK = OUT / "screening"
SHAPED = WORK / "shaped"
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgres://postgres@127.0.0.1:5432/fangpin_bench_screening"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fangpin(*args: str, env: dict | None = None, quiet: bool = False) -> None:
    subprocess.run(
        [sys.executable, "-m", "fangpin.cli", *args],
        env={**os.environ, **(env or {})},
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )


# ------------------------------------------------------------------ data


def ensure_province(seed: int) -> None:
    if (PROVINCE / "persons.parquet").exists() and (PROVINCE / "datasets").is_dir():
        return
    log("generating the province registry and department datasets (≈10M persons, about ten minutes) ...")
    fangpin("synth", "--scale", "province", "--seed", str(seed), "--out", str(PROVINCE))


def counties() -> list[tuple[str, int]]:
    """(county code, persons) in code order, from the shaped files."""
    index = json.loads((SHAPED / "index.json").read_text())
    return [(c["county"], c["persons"]) for c in index["counties"]]


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangpin.settings")
    import django

    django.setup()


def ensure_shaped() -> None:
    """The province registry as screening tables, one file pair per county."""
    if (SHAPED / "index.json").exists():
        return
    import duckdb
    import pyarrow.parquet as pq

    _django()
    from fangpin.monitoring.snapshot import shape

    SHAPED.mkdir(parents=True, exist_ok=True)
    staging = WORK / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    # The Parquet files key rows by household number; the database by id. Number them once, like a database.
    con.execute(
        "CREATE TABLE hh AS SELECT row_number() OVER (ORDER BY number) AS household_id, *, "
        f"substr(region_code, 1, 6) AS county FROM read_parquet('{PROVINCE / 'households.parquet'}')"
    )
    for name in ("persons", "incomes"):
        con.execute(
            f"COPY (SELECT x.*, hh.household_id, hh.county FROM read_parquet('{PROVINCE / name}.parquet') x "
            f"JOIN hh ON hh.number = x.household_number) TO '{staging / name}' "
            "(FORMAT parquet, PARTITION_BY (county), OVERWRITE_OR_IGNORE)"
        )
    codes = [r[0] for r in con.execute("SELECT DISTINCT county FROM hh ORDER BY 1").fetchall()]
    index = []
    started = time.perf_counter()
    for n, county in enumerate(codes, 1):
        raw_h = con.sql(
            f"SELECT * EXCLUDE (county, number), number AS household_number FROM hh WHERE county = '{county}'"
        ).to_arrow_table()
        raw_p = con.sql(
            "SELECT household_id * 100 + row_number() OVER (PARTITION BY household_id ORDER BY id_number) "
            f"AS person_id, * FROM read_parquet('{staging / 'persons' / f'county={county}' / '*.parquet'}')"
        ).to_arrow_table()
        raw_i = con.sql(
            f"SELECT * FROM read_parquet('{staging / 'incomes' / f'county={county}' / '*.parquet'}')"
        ).to_arrow_table()
        households, persons = shape(raw_h, raw_p, raw_i)
        pq.write_table(households, SHAPED / f"h_{county}.parquet")
        pq.write_table(persons, SHAPED / f"p_{county}.parquet")
        index.append({"county": county, "households": households.num_rows, "persons": persons.num_rows})
        log(f"  shaped county {county} ({n}/{len(codes)}, {time.perf_counter() - started:.0f} s)")
    (SHAPED / "index.json").write_text(json.dumps({"counties": index}, indent=1))


def ensure_split_datasets() -> None:
    """Department rows split by the county of the registered person they are about; rows about people
    outside the registry spread over the counties by a hash of their ID number."""
    done = SHAPED / "datasets" / "done"
    if done.exists():
        return
    import duckdb

    _django()
    from fangpin.exchange.catalogue import BY_CODE

    codes = [c for c, _ in counties()]
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE owner AS SELECT p.id_number AS id_key, substr(h.region_code, 1, 6) AS county "
        f"FROM read_parquet('{PROVINCE / 'persons.parquet'}') p "
        f"JOIN read_parquet('{PROVINCE / 'households.parquet'}') h ON h.number = p.household_number"
    )
    con.execute(
        "CREATE TABLE county_no AS SELECT county, row_number() OVER (ORDER BY county) - 1 AS n "
        f"FROM (SELECT unnest({codes!r}) AS county)"
    )
    for path in sorted((PROVINCE / "datasets").glob("*.parquet")):
        code = path.stem
        target = SHAPED / "datasets" / code
        target.mkdir(parents=True, exist_ok=True)
        key = f"UPPER(TRIM(d.{BY_CODE[code].id_column}))"
        con.execute(
            f"COPY (SELECT d.*, COALESCE(o.county, spread.county) AS county FROM read_parquet('{path}') d "
            f"LEFT JOIN owner o ON o.id_key = {key} "
            f"LEFT JOIN county_no spread ON spread.n = hash({key}) % {len(codes)}) "
            f"TO '{target}' (FORMAT parquet, PARTITION_BY (county), OVERWRITE_OR_IGNORE)"
        )
        log(f"  split dataset {code}")
    done.write_text("ok")


def size_inputs(millions: float) -> tuple[list[str], int, dict]:
    """The first counties up to `millions` persons: their registry files and department rows."""
    chosen, persons = [], 0
    for county, n in counties():
        if chosen and persons + n > millions * 1_000_000 * 1.02:
            break
        chosen.append(county)
        persons += n
    datasets = {}
    for folder in sorted((SHAPED / "datasets").glob("*/")):
        files = [str(f) for c in chosen for f in sorted((folder / f"county={c}").glob("*.parquet"))]
        if files:
            datasets[folder.name] = files
    return chosen, persons, datasets


# ------------------------------------------------------------------ children


def child(part: str, millions: float, repeat: int) -> dict:
    import pyarrow.parquet as pq

    from fangpin.screening import compiler, engines, rules

    chosen, persons, datasets = size_inputs(millions)
    inputs = engines.Inputs(
        household=[str(SHAPED / f"h_{c}.parquet") for c in chosen],
        person=[str(SHAPED / f"p_{c}.parquet") for c in chosen],
        datasets=datasets,
    )
    as_of = dt.date.today()
    _django()  # the shipped parameter defaults are read by the synthetic generator's module
    from fangpin.exchange.synthetic.parameters import default_parameters

    values = default_parameters(as_of)
    catalogue = [rules.load_builtin(name) for name in rules.builtin_set_names()]
    times, counts = [], {}
    for _ in range(repeat):
        started = time.perf_counter()
        if part in ("duckdb", "spark", "evidence"):
            plan = compiler.Compiler(catalogue).plan(as_of, values)
            # "evidence": the engine returning what the hand query returns, hits with evidence and no
            # explanations (as a preview runs it)
            engine = "duckdb" if part == "evidence" else part
            result = engines.run(plan, inputs, engine=engine, explain=part != "evidence")
            counts = result.counts
            hits = result.hits.num_rows
        else:
            import duckdb

            hand = importlib.import_module("bench.hand")

            con = duckdb.connect()
            hand.register_inputs(con, inputs)
            table = hand.hand_hits(con, as_of, values)
            rule_column = table.column("rule").to_pylist()
            counts = {code: rule_column.count(code) for code in set(rule_column)}
            hits = table.num_rows
            con.close()
        times.append(time.perf_counter() - started)
    rows = sum(pq.ParquetFile(f).metadata.num_rows for files in datasets.values() for f in files)
    rules_run = len(counts)
    joins = sum(1 for c in compiler.Compiler(catalogue).compiled if c.datasets)
    return {
        "part": part,
        "persons": persons,
        "counties": len(chosen),
        "dataset_rows": rows,
        "times": times,
        "hits": hits,
        "counts": counts,
        "rules": rules_run,
        "department_rules": joins,
        "peak_rss_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> int:
    """This process's peak RSS. Not getrusage's ru_maxrss: Linux carries the parent's peak at fork into the
    child across exec, so a child of a parent that shaped the data reported the parent's 4.8 GB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _child_json(args: list[str], env: dict | None = None) -> dict:
    """Run this script as a child (its peak memory is its own) and read the JSON line it prints last."""
    out = subprocess.run(
        [sys.executable, __file__, *args],
        env={**os.environ, **(env or {})},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_child(part: str, millions: float, repeat: int) -> dict:
    return _child_json(["--child", part, "--sizes", str(millions), "--repeat", str(repeat)])


def run_interleaved(parts: tuple[str, ...], millions: float, repeat: int) -> dict[str, dict]:
    """`repeat` rounds of one run of each part, each run in a fresh process (as `fangpin screen` runs): a
    machine that drifts over minutes then weighs on every part alike, not on whichever ran last."""
    results: dict[str, dict] = {}
    for _ in range(repeat):
        for part in parts:
            figures = run_child(part, millions, 1)
            if part in results:
                figures["times"] = results[part]["times"] + figures["times"]
                figures["peak_rss_mb"] = max(results[part]["peak_rss_mb"], figures["peak_rss_mb"])
            results[part] = figures
    return results


# ------------------------------------------------------------------ registry export and incremental


def registry_figures() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    for backend, url in (("sqlite", f"sqlite:///{WORK / 'registry.sqlite3'}"), ("postgresql", PG_URL)):
        env = {"FANGPIN_DATABASE_URL": url, "FANGPIN_VAR_DIR": str(WORK / f"var-{backend}")}
        if backend == "postgresql":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = 'fangpin_bench_screening'"
                ).fetchone()
                if not exists:
                    conn.execute("CREATE DATABASE fangpin_bench_screening")
        fangpin("migrate", "--verbosity", "0", env=env)
        fangpin("load-regions", env=env, quiet=True)
        fangpin("load-parameters", env=env, quiet=True)
        figures = _child_json(["--registry-child"], env)
        if figures.get("empty"):
            log(f"generating a county registry on {backend} (≈185k persons, a few minutes) ...")
            fangpin("synth", "--scale", "county", "--seed", "1", "--region", "421222", env=env, quiet=True)
            figures = _child_json(["--registry-child"], env)
        print(
            f"registry → Arrow ({backend}): {figures['persons']:,} persons, {figures['households']:,} households "
            f"in {figures['export_s']:.2f} s = {figures['persons'] / figures['export_s']:,.0f} persons/s"
        )
        print(
            f"incremental re-screening ({backend}): median {figures['incremental_median_s'] * 1000:.0f} ms, "
            f"max {figures['incremental_max_s'] * 1000:.0f} ms per household over {figures['incremental_n']} "
            f"households (snapshot, every rule, write-back)"
        )


def registry_child() -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangpin.settings")
    import django

    django.setup()
    from fangpin.geo.models import Region
    from fangpin.monitoring import services
    from fangpin.monitoring.snapshot import registry_snapshot
    from fangpin.registry.models import Household

    if not Household.objects.exists():
        return {"empty": True}
    city = Region.objects.get(code="421200")
    as_of = dt.date.today()
    started = time.perf_counter()
    households, persons = registry_snapshot(as_of, region=city)
    export = time.perf_counter() - started
    ids = list(Household.objects.order_by("?").values_list("pk", flat=True)[:20])
    times = []
    for pk in ids:
        started = time.perf_counter()
        services.rescreen_households([pk])
        times.append(time.perf_counter() - started)
    return {
        "persons": persons.num_rows,
        "households": households.num_rows,
        "export_s": export,
        "incremental_median_s": statistics.median(times),
        "incremental_max_s": max(times),
        "incremental_n": len(times),
    }


# ------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", nargs="+", type=float, default=[1, 3, 10], help="millions of persons")
    parser.add_argument(
        "--repeat", type=int, default=2, help="rounds, each one run of every part (the best is reported)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--skip-registry", action="store_true")
    parser.add_argument("--skip-engines", action="store_true", help="only the registry figures")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--registry-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--shape-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.sizes[0], args.repeat)))
        return
    if args.registry_child:
        print(json.dumps(registry_child()))
        return
    if args.shape_only:
        ensure_shaped()
        return

    if args.skip_engines:
        registry_figures()
        return
    ensure_province(args.seed)
    ensure_shaped()
    ensure_split_datasets()
    print(
        f"screening benchmark, {os.cpu_count()} cores, DuckDB default threads; best of {args.repeat} rounds "
        "(engine, hand-written, engine without explanations; each run in a fresh process)"
    )
    per_million = []
    for millions in args.sizes:
        runs = run_interleaved(("duckdb", "hand", "evidence"), millions, args.repeat)
        engine, hand, bare = runs["duckdb"], runs["hand"], runs["evidence"]
        best, hand_best, bare_best = min(engine["times"]), min(hand["times"]), min(bare["times"])
        differ = sorted(
            code
            for code in set(engine["counts"]) | set(hand["counts"])
            if engine["counts"].get(code, 0) != hand["counts"].get(code, 0)
        )
        per_million.append(best / engine["persons"] * 1e6)
        print(
            f"{engine['persons']:>11,} persons ({engine['counties']} counties), {engine['dataset_rows']:,} "
            f"department rows: {engine['rules']} rules ({engine['department_rules']} read department data), "
            f"{engine['hits']:,} hits"
        )
        print(
            f"    fangpin engine {best:6.2f} s (peak RSS {engine['peak_rss_mb']:,} MB) | hand-written SQL "
            f"{hand_best:6.2f} s (peak RSS {hand['peak_rss_mb']:,} MB) | ratio {best / hand_best:.2f} | "
            f"{per_million[-1]:.2f} s per million persons"
            + (f" | per-rule hit counts differ: {', '.join(differ)}" if differ else " | same hit counts")
        )
        print(
            f"    like for like (hits and evidence, no Chinese explanations — what the hand query returns): "
            f"fangpin engine {bare_best:6.2f} s | ratio {bare_best / hand_best:.2f}"
        )
    if len(per_million) > 1:
        print(
            "linearity: seconds per million persons "
            + " → ".join(f"{v:.2f}" for v in per_million)
            + f" (largest / smallest {per_million[-1] / per_million[0]:.2f})"
        )
    if not args.skip_spark:
        spark = run_child("spark", args.sizes[0], 2)
        print(
            f"Spark local[2], {spark['persons']:,} persons: first run {spark['times'][0]:.1f} s (JVM and session "
            f"start included), second {spark['times'][1]:.1f} s; {spark['hits']:,} hits"
        )
    if not args.skip_registry:
        registry_figures()


if __name__ == "__main__":
    main()
