"""Registry page timings at ~1,000,000 persons, on SQLite and on PostgreSQL. Prints figures; asserts nothing.

    python bench/registry.py                       # both backends (builds the data the first time)
    python bench/registry.py --backend sqlite      # one backend
    python bench/registry.py --requests 50

Data: `fangpin synth --scale city --seed 1` (six counties, about a million persons) into bench/out/ (SQLite)
or the PostgreSQL database `fangpin_bench` on 127.0.0.1:5432. Requests go through Django's test client in
process (no network), as a city-level user (the widest scope) and as a village cadre (the narrowest).
Target on the project's 2-core machine: p95 <= 200 ms for every page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgres://postgres@127.0.0.1:5432/fangpin_bench"


def database_url(backend: str) -> str:
    return f"sqlite:///{OUT / 'registry.sqlite3'}" if backend == "sqlite" else PG_URL


def ensure_data(backend: str, seed: int) -> None:
    env = {**os.environ, "FANGPIN_DATABASE_URL": database_url(backend), "FANGPIN_VAR_DIR": str(OUT)}
    OUT.mkdir(parents=True, exist_ok=True)
    if backend == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'fangpin_bench'").fetchone():
                conn.execute("CREATE DATABASE fangpin_bench")
    fangpin = [sys.executable, "-m", "fangpin.cli"]
    subprocess.run([*fangpin, "migrate", "--verbosity", "0"], env=env, check=True)
    subprocess.run([*fangpin, "load-regions"], env=env, check=True, stdout=subprocess.DEVNULL)
    probe = subprocess.run(
        [
            *fangpin,
            "shell",
            "-c",
            "from fangpin.registry.models import Person; print(Person.objects.count())",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    if int((probe.stdout.strip().splitlines() or ["0"])[-1]) < 900_000:
        started = time.perf_counter()
        subprocess.run([*fangpin, "synth", "--scale", "city", "--seed", str(seed)], env=env, check=True)
        print(f"[{backend}] generated the city registry in {time.perf_counter() - started:.0f} s")
    if backend == "sqlite":
        subprocess.run(
            [*fangpin, "dbshell"],
            input="PRAGMA optimize;\nANALYZE;\n",
            text=True,
            env=env,
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    else:
        subprocess.run(
            [*fangpin, "dbshell"],
            input="ANALYZE;\n",
            text=True,
            env=env,
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def measure(backend: str, requests: int) -> None:
    os.environ["FANGPIN_DATABASE_URL"] = database_url(backend)
    os.environ["FANGPIN_VAR_DIR"] = str(OUT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangpin.settings")
    import random

    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from fangpin.accounts.models import User
    from fangpin.accounts.services import create_user
    from fangpin.geo.models import Region
    from fangpin.registry.models import Household, Person

    settings.ALLOWED_HOSTS = ["*"]
    rng = random.Random(7)
    village = Region.objects.filter(level="village").order_by("code").first()
    users = {}
    for username, role, region in (
        ("bench_city", "city", "421200"),
        ("bench_village", "village", village.code),
    ):
        users[username] = User.objects.filter(username=username).first() or create_user(
            username, role=role, region_code=region, password="bench-pass-1"
        )
    persons = Person.objects.count()
    households = Household.objects.count()
    max_id = Household.objects.order_by("-id").values_list("id", flat=True).first()
    sample_people = list(
        Person.objects.filter(pk__in=[rng.randint(1, persons) for _ in range(requests)]).values_list(
            "name", "id_number"
        )
    )
    print(f"\n[{backend}] {persons:,} persons in {households:,} households")
    print(f"{'page':<44}{'user':<15}{'median ms':>10}{'p95 ms':>10}")

    def run(label: str, username: str, urls) -> None:
        client = Client()
        client.force_login(users[username])
        client.get(next(iter(urls)))  # warm the connection and caches once
        times = []
        for url in urls:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        print(f"{label:<44}{username:<15}{statistics.median(times):>10.1f}{p95:>10.1f}")

    n = requests
    for username in users:
        run("household list, first page", username, ["/registry/households/"] * n)
        run(
            "filtered (exited, <8000, serious illness)",
            username,
            ["/registry/households/?household_type=exited&income_below=8000&health=serious_illness"] * n,
        )
        run("search by name", username, [f"/registry/households/?q={name}" for name, _ in sample_people[:n]])
        run(
            "search by ID number",
            username,
            [f"/registry/households/?q={idn}" for _, idn in sample_people[:n]],
        )
        run("list total (htmx count)", username, ["/registry/households/?count=1"] * min(n, 10))
        run("API list, first page", username, ["/api/households/"] * min(n, 10))
    city_ids = [rng.randint(1, max_id) for _ in range(n)]
    existing = set(Household.objects.filter(pk__in=city_ids).values_list("pk", flat=True))
    run(
        "household detail", "bench_city", [f"/registry/households/{pk}/" for pk in city_ids if pk in existing]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if args.measure_only:
        measure(backends[0], args.requests)
        return
    for backend in backends:
        ensure_data(backend, args.seed)
        # A fresh process per backend: settings read the database URL once, at start-up.
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--backend",
                backend,
                "--requests",
                str(args.requests),
                "--measure-only",
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
