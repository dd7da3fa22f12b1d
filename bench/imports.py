"""Department dataset import timings: a 100,000-row 医保 settlement .xlsx and a 1,000,000-row CSV. Prints
rows/s and the importing process's peak RSS; asserts nothing.

    python bench/imports.py                          # both files (generates data the first time)
    python bench/imports.py --xlsx-rows 20000 --csv-rows 0

Data: ID numbers drawn (deterministically) from the synthetic registry of 崇阳县 — `synthetic.iter_villages`
run in memory for the ID pool, no database — with about 5% valid numbers nobody is registered under. The
registry itself goes into a fresh SQLite database under bench/out/ with `fangpin synth --scale county --seed 1`
so matching has persons to find. Each import runs in its own process (so the RSS figure is the import's
alone) through `run_import`, as a 医保 department user of the county.
Targets: 100k xlsx <= 15 s, 1M CSV <= 60 s, memory bounded.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "imports"
COUNTY = "421223"  # 崇阳县
UNKNOWN_SHARE = 0.05
HEADER = [
    "身份证号码",
    "姓名",
    "就诊类型",
    "医疗机构",
    "入院日期",
    "出院日期",
    "医疗费用总额",
    "政策范围内费用",
    "基本医保支付",
    "大病保险支付",
    "医疗救助支付",
    "个人自付",
]
HOSPITALS = ("崇阳县人民医院", "崇阳县中医院", "咸宁市中心医院", "白霓镇卫生院", "天城镇卫生院")
VISITS = ("住院", "住院", "住院", "门诊慢特病", "普通门诊")


def env() -> dict[str, str]:
    return {
        **os.environ,
        "FANGPIN_VAR_DIR": str(OUT / "var"),
        "FANGPIN_DATABASE_URL": f"sqlite:///{OUT / 'var' / 'imports.sqlite3'}",
    }


def id_pool(seed: int) -> list[str]:
    """The registry's ID numbers for 崇阳县, as `fangpin synth --scale county --seed <seed>` writes them."""
    from fangpin.registry import synthetic

    regions = ROOT / "fangpin" / "geo" / "data" / "xianning.csv"
    with regions.open(encoding="utf-8-sig", newline="") as fh:
        townships = [
            (r["code"], r["parent"])
            for r in csv.DictReader(fh)
            if r["level"] == "township" and r["parent"] == COUNTY and synthetic.is_rural_township(r["code"])
        ]
    pool = []
    for _, _, persons, _ in synthetic.iter_villages(seed, townships, 320):
        pool.extend(p["id_number"] for p in persons)
    return pool


def settlement_rows(count: int, seed: int, pool: list[str]):
    """`count` settlement rows; ~5% carry a valid ID number from outside the registry (赤壁市 421281)."""
    from fangpin.core.validators import id_check_char

    rng = random.Random(f"bench-imports:{seed}")
    start = dt.date(2025, 1, 1)
    for _ in range(count):
        if rng.random() < UNKNOWN_SHARE:
            birth = start - dt.timedelta(days=rng.randrange(6000, 30000))
            first17 = f"421281{birth:%Y%m%d}{rng.randrange(1000):03d}"
            number = first17 + id_check_char(first17)
        else:
            number = rng.choice(pool)
        admitted = start + dt.timedelta(days=rng.randrange(300))
        total = rng.randrange(20000, 8000000) / 100
        compliant = round(total * rng.uniform(0.6, 0.95), 2)
        basic = round(compliant * 0.6, 2)
        critical = round(compliant * 0.1, 2)
        assistance = round(compliant * 0.05, 2)
        self_paid = round(total - basic - critical - assistance, 2)
        yield [
            number,
            "张三",
            rng.choice(VISITS),
            rng.choice(HOSPITALS),
            admitted.isoformat(),
            (admitted + dt.timedelta(days=rng.randrange(1, 20))).isoformat(),
            f"{total:.2f}",
            f"{compliant:.2f}",
            f"{basic:.2f}",
            f"{critical:.2f}",
            f"{assistance:.2f}",
            f"{self_paid:.2f}",
        ]


def generate(path: Path, count: int, seed: int, pool: list[str]) -> None:
    started = time.perf_counter()
    tmp = path.with_suffix(path.suffix + ".part")
    rows = settlement_rows(count, seed, pool)
    if path.suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("医保结算")
        ws.append(HEADER)
        for row in rows:
            ws.append(row)
        wb.save(tmp)
    else:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            writer.writerows(rows)
    tmp.rename(path)
    print(
        f"generated {path.name}: {count:,} rows, {path.stat().st_size / 1e6:.1f} MB "
        f"in {time.perf_counter() - started:.1f} s"
    )


def ensure_database(seed: int) -> None:
    """A fresh SQLite database with the regions and the county registry (kept between runs)."""
    (OUT / "var").mkdir(parents=True, exist_ok=True)
    marker = OUT / "var" / f"registry-{seed}.done"
    fangpin = [sys.executable, "-m", "fangpin.cli"]
    if marker.exists():
        subprocess.run([*fangpin, "migrate", "--verbosity", "0"], env=env(), check=True)  # a kept database
        return
    (OUT / "var" / "imports.sqlite3").unlink(missing_ok=True)
    subprocess.run([*fangpin, "migrate", "--verbosity", "0"], env=env(), check=True)
    subprocess.run([*fangpin, "load-regions"], env=env(), check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*fangpin, "synth", "--scale", "county", "--seed", str(seed)], env=env(), check=True)
    marker.touch()


def run_one(path: Path) -> None:
    """In a child process: import `path` as a 医保 user of the county; print one JSON line of figures."""
    os.environ.update(env())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangpin.settings")
    import django

    django.setup()
    from fangpin.accounts.models import User
    from fangpin.accounts.services import create_user
    from fangpin.core.importing import IMPORTERS, run_import
    from fangpin.core.models import ImportBatch

    user = User.objects.filter(username="bench_medical").first() or create_user(
        "bench_medical",
        role="department",
        region_code=COUNTY,
        password="bench-pass-123",
        department="medical_insurance",
    )
    # The same file is not applied twice: forget earlier runs so every run does the whole work.
    ImportBatch.objects.filter(user=user, kind="dataset:medical_settlement").update(status="failed")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with path.open("rb") as handle:
        batch = run_import(IMPORTERS["dataset:medical_settlement"](), handle, path.name, user=user)
    seconds = time.perf_counter() - started
    dataset = getattr(batch, "dataset", None)
    print(
        json.dumps(
            {
                "file": path.name,
                "status": batch.status,
                "message": batch.message[:200],
                "rows": batch.rows_total,
                "matched": dataset.matched_count if dataset else None,
                "unmatched": dataset.unmatched_count if dataset else None,
                "seconds": round(seconds, 2),
                "rss_before_mb": round(before / 1024),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            },
            ensure_ascii=False,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--run-one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.run_one:
        run_one(Path(args.run_one))
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangpin.settings")
    import django

    django.setup()  # for the synthetic generator's imports only; generation touches no database
    OUT.mkdir(parents=True, exist_ok=True)
    files = [
        (OUT / f"settlements-{args.xlsx_rows}-{args.seed}.xlsx", args.xlsx_rows, 15),
        (OUT / f"settlements-{args.csv_rows}-{args.seed}.csv", args.csv_rows, 60),
    ]
    files = [f for f in files if f[1] > 0]
    missing = [f for f in files if not f[0].exists()]
    if missing:
        pool = id_pool(args.seed)
        print(f"ID pool: {len(pool):,} registered persons of 崇阳县 (seed {args.seed})")
        for path, count, _ in missing:
            generate(path, count, args.seed, pool)
    ensure_database(args.seed)
    for path, _count, target in files:
        result = subprocess.run(
            [sys.executable, __file__, "--run-one", str(path)],
            env=env(),
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        rate = figures["rows"] / max(figures["seconds"], 1e-9)
        verdict = "OK" if figures["seconds"] <= target and figures["status"] == "succeeded" else "MISSED"
        print(
            f"{path.name}: {figures['status']} {figures['rows']:,} rows "
            f"(matched {figures['matched']}, unmatched {figures['unmatched']}) in {figures['seconds']:.1f} s "
            f"= {rate:,.0f} rows/s; peak RSS {figures['peak_rss_mb']} MB "
            f"(after setup {figures['rss_before_mb']} MB); target {target} s: {verdict}"
        )
        if figures["status"] != "succeeded":
            print("  " + figures["message"])


if __name__ == "__main__":
    main()
