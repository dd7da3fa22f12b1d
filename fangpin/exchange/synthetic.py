"""Synthetic department deliveries consistent with a synthetic registry (spec §5.4, calibrated by §13).

`generate` makes one Arrow table per catalogue kind, in exactly the kind's Parquet schema (`arrow_schema`).
Most rows agree with the registry and trigger nothing: the 低保 roster lists the registry's 低保 members, every
elderly person draws a pension, every compulsory-age child is enrolled, normal hospital stays stay below the
医保 warning lines. On top of that the generator plants anomalies that the screening rules must find, at the
§13 rates where the spec gives one (deceased 0.05 %, public payroll 0.02 %, vehicle 0.5 %, company 0.3 %,
dangerous houses ≤ 0.5 % of exited households, dropouts 0.05 % of compulsory-age children) and at small
rates of its own elsewhere. `Generated.planted` lists, per rule, the ID numbers expected to hit.

Each dataset also holds people who are not in the registry (ID numbers from sequence numbers no synthetic
village uses), ID numbers written the way departments send them (a lower-case x, surrounding spaces) and a
few repeated rows: the screening engine normalises and de-duplicates, and these rows are there to prove it.

Dates: event dates fall within the year before `as_of`; rosters (低保, 特困, pensions, cards, payroll,
vehicles, companies, cadres) carry start dates over past years, since a rule reading "new within the year"
would otherwise flag the whole roster; a few rows just outside a rule's window test the window.

Vectorised with numpy and pyarrow: Python loops run over kinds and small lookup tables only. Deterministic for
a seed and the same registry rows in the same order; numpy's generator on (seed, STREAM, n) is a stream of its
own, apart from the registry's `random` streams.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from fangpin.exchange.catalogue import BY_CODE, KINDS, DatasetKind
from fangpin.exchange.importers import CHUNK, arrow_schema
from fangpin.registry import synthetic as registry_synth

STREAM = 5_400_217  # numpy seed-sequence word that keeps these streams apart from any other use of the seed
EPOCH = dt.date(1970, 1, 1)

PERSON_COLUMNS = (
    "id_number",
    "name",
    "sex",
    "birth_date",
    "household_number",
    "relation",
    "student_status",
    "disabled",
    "disability_category",
    "disability_grade",
    "disability_card",
    "serious_illness",
    "chronic_disease",
    "work_location",
    "employer",
    "public_post",
    "employee_pension",
    "dibao",
    "tekun",
)
HOUSEHOLD_COLUMNS = (
    "number",
    "region_code",
    "household_type",
    "housing_grade",
    "water_quantity_ok",
    "water_quality_ok",
    "water_convenience_ok",
    "water_reliability_ok",
    "address",
)

# Planted anomalies per rule, as a share of all registry persons unless the comment says otherwise.
RATES = {
    "BD-01": 0.0005,  # §13 deceased beneficiary
    "BD-03": 0.0002,  # §13 public servant
    "BD-04": 0.005,  # §13 vehicle owner
    "BD-05": 0.003,  # §13 company
    "BD-06": 0.0005,
    "BD-07": 0.0002,
    "BD-08": 0.0005,
    "BD-09": 0.0001,
    "BD-10": 0.0005,
    "BD-11": 0.001,
    "BD-12": 0.0005,  # half registered 低保 without an active roster row, half the other way round
    "BD-13": 0.0002,  # compulsory-age children missing from the enrolment list (dropouts come on top)
    "JC-07": 0.001,
    "JC-08": 0.0005,
    "JC-09": 0.0005,
    "JC-10": 0.0003,
    "JC-11": 0.001,
    "JC-12": 0.004,  # §13 dangerous houses ≤ 0.5 %: of exited households, newly appraised C/D this year
    "JC-13": 0.002,  # of households
    "JC-14": 0.0005,  # §13: of compulsory-age children
    "JC-15": 0.08,  # of 低保 households: newly admitted within the year
    "JC-16": 0.10,  # of 特困 persons: newly admitted within the year
    "JC-17": 0.003,
    "JC-18": 0.001,
    "JC-19": 0.002,
}
DIRTY_X_SHARE = 0.2  # of ID numbers ending in X: written with a lower-case x
DIRTY_SPACE_SHARE = 0.002  # of rows: the ID number padded with spaces
DUPLICATE_SHARE = 0.0001  # §13 duplicate ID: rows delivered twice (at least one per dataset)
CADRES_PER_VILLAGE = 6
OUTSIDER_SHARE = 0.2  # the pool of people outside the registry, relative to the registry's size

# The defaults the screening rules are calibrated with (fangpin/monitoring/data/parameters.csv, read as a data
# file: importing the monitoring app from here would point the dependency the wrong way).
PARAMETERS_FILE = Path(__file__).resolve().parents[1] / "monitoring" / "data" / "parameters.csv"
FALLBACK_PARAMETERS = {
    "recent_days": 365,
    "medical_window_days": 365,
    "unemployment_days": 90,
    "hukou_move_days": 730,
    "medical_single_stay_exited": 6000,
    "medical_single_stay_other": 10000,
    "rural_income_prev_year": 22600,
    "medical_cumulative_ratio_exited": 0.5,
    "medical_cumulative_ratio_other": 1.0,
    "company_min_capital": 10,
    "compulsory_age_min": 6,
    "compulsory_age_max": 15,
    "elderly_age": 60,
}


def default_parameters(as_of: dt.date) -> dict[str, float]:
    """The shipped default of each parameter the generator calibrates against, in force on `as_of`."""
    values = dict(FALLBACK_PARAMETERS)
    if PARAMETERS_FILE.exists():
        chosen: dict[str, str] = {}
        with PARAMETERS_FILE.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                key, since = row["key"], row["effective_from"]
                if key in values and since <= as_of.isoformat() and since >= chosen.get(key, ""):
                    chosen[key] = since
                    values[key] = float(row["value"])
    return values


@dataclass
class Generated:
    """The tables, by kind code, and per rule the clean ID numbers expected to hit (household rules: the
    head's). Expected hits include rows that agree with the registry but trigger a rule by design, such as
    a failing water supply in the registry checked again or a household newly admitted to 低保."""

    tables: dict[str, pa.Table]
    planted: dict[str, pa.Array]


def generate_datasets(
    persons: pa.Table, households: pa.Table, *, seed: int, as_of: dt.date
) -> dict[str, pa.Table]:
    """One table per catalogue kind code, each with exactly `arrow_schema(kind)`."""
    return generate(persons, households, seed=seed, as_of=as_of).tables


def generate(
    persons: pa.Table,
    households: pa.Table,
    *,
    seed: int,
    as_of: dt.date,
    parameters: dict[str, float] | None = None,
) -> Generated:
    """The datasets and what was planted in them, from raw registry rows (`PERSON_COLUMNS`,
    `HOUSEHOLD_COLUMNS`: the model field names `fangpin synth` writes)."""
    params = default_parameters(as_of) | (parameters or {})
    if persons.num_rows == 0 or households.num_rows == 0:
        return Generated({k.code: arrow_schema(k).empty_table() for k in KINDS}, {})
    registry = _Registry(persons, households, as_of, params)
    maker = _Maker(registry, params, seed)
    tables = {}
    for number, kind in enumerate(KINDS):
        rng = np.random.default_rng([seed, STREAM, 100 + number])
        parts = getattr(maker, kind.code)(rng)
        tables[kind.code] = _assemble(kind, parts, rng, maker)
    planted = {
        rule: registry.ids.take(pa.array(np.sort(idx))) for rule, idx in sorted(maker.expected.items())
    }
    return Generated(tables, planted)


# ------------------------------------------------------------------ the registry as arrays


def _days(day: dt.date) -> int:
    return (day - EPOCH).days


def years_before(day: dt.date, years: int) -> dt.date:
    """As the rule compiler folds years_before(): 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _codes(column, values: tuple[str, ...]) -> np.ndarray:
    """Index of each value in `values`, -1 for anything else (blank, NULL)."""
    found = pc.index_in(column, value_set=pa.array(values, pa.string()))
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _flag(column) -> np.ndarray:
    return np.asarray(column.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _keys(values, value_set) -> tuple:
    """Household numbers as integers when they are all digits (hashing 16-digit integers beats strings)."""
    try:
        return values.cast(pa.int64()), _array(value_set).cast(pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return values, _array(value_set)


def _array(column) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


AID_STATUSES = (
    "primary",
    "grade_7",
    "grade_8",
    "grade_9",
    "high_1",
    "high_2",
    "high_3",
    "vocational_1",
    "vocational_2",
    "vocational_3",
    "higher_vocational_1",
    "higher_vocational_2",
    "higher_vocational_3",
    "undergraduate_1",
    "undergraduate_2",
    "undergraduate_3",
    "undergraduate_4",
    "undergraduate_5",
)  # the statuses BD-10 lists (in-school pupils and students)
STATUS_STAGES = {
    "primary": "小学",
    "grade_7": "初中",
    "grade_8": "初中",
    "grade_9": "初中",
    "high_1": "高中",
    "high_2": "高中",
    "high_3": "高中",
    "vocational_1": "中职",
    "vocational_2": "中职",
    "vocational_3": "中职",
    "technician_1": "中职",
    "technician_2": "中职",
    "technician_3": "中职",
    "technician_4": "中职",
    "higher_vocational_1": "高职",
    "higher_vocational_2": "高职",
    "higher_vocational_3": "高职",
    "undergraduate_1": "本科",
    "undergraduate_2": "本科",
    "undergraduate_3": "本科",
    "undergraduate_4": "本科",
    "undergraduate_5": "本科",
    "postgraduate": "研究生",
}
HIGHER_STATUSES = tuple(
    s for s in STATUS_STAGES if s.startswith(("higher_", "undergraduate", "postgraduate", "technician"))
)
RELATIONS = ("head", "spouse", "son", "daughter", "father", "mother", "sibling")
# The 与村干部关系 of each of RELATIONS, the cadre being the head; anyone else is 其他近亲属.
CADRE_RELATION = pa.array(["本人", "配偶", "子女", "子女", "父母", "父母", "兄弟姐妹", "其他近亲属"])
SCHOOL_STAGES = pa.array(["小学", "初中", "高中", "中职"])
SCHOOLS = pa.array(["镇中心小学", "镇初级中学", "县第一高级中学", "县职业教育中心"])
GRADES = pa.array(
    [f"{g}年级" for g in "一二三四五六"]
    + [f"{g}年级" for g in "七八九"]
    + [""] * 3
    + [f"高{g}" for g in "一二三"]
    + [""] * 3
    + [f"中职{g}年级" for g in "一二三"]
    + [""] * 3
)  # by stage × 6 + year − 1
WORK_LOCATIONS = ("in_township", "in_county", "in_province", "out_of_province", "abroad")
WATER = ("quantity", "quality", "convenience", "reliability")


class _Registry:
    """The registry rows the generator reads, as numpy arrays indexed by person (or household) position."""

    def __init__(self, persons: pa.Table, households: pa.Table, as_of: dt.date, params: dict):
        hidx = pc.index_in(*_keys(persons.column("household_number"), households.column("number")))
        known = pc.is_valid(hidx)
        if pc.any(pc.invert(known)).as_py():
            persons, hidx = persons.filter(known), hidx.filter(known)
        self.as_of = as_of
        self.a = _days(as_of)
        self.n = persons.num_rows
        self.h = households.num_rows
        self.hidx = np.asarray(hidx.to_numpy(), dtype=np.int64) if self.n else np.zeros(0, np.int64)
        self.ids = _array(persons.column("id_number"))
        self.names = _array(persons.column("name"))
        self.birth = np.asarray(persons.column("birth_date").cast(pa.int32()).to_numpy(), dtype=np.int64)
        self.age = ((self.a - self.birth) // 365.2425).astype(np.int64)
        self.relation = _codes(persons.column("relation"), RELATIONS)
        self.student = _codes(persons.column("student_status"), tuple(STATUS_STAGES))
        self.disabled = _flag(persons.column("disabled"))
        self.category = np.asarray(
            persons.column("disability_category").cast(pa.int64()).fill_null(0).to_numpy(), dtype=np.int64
        )
        self.grade = np.asarray(
            persons.column("disability_grade").cast(pa.int64()).fill_null(0).to_numpy(), dtype=np.int64
        )
        self.card = _array(persons.column("disability_card").fill_null(""))
        self.serious = _flag(persons.column("serious_illness"))
        self.chronic = _flag(persons.column("chronic_disease"))
        self.work = _codes(persons.column("work_location"), WORK_LOCATIONS)
        self.employer = _array(persons.column("employer").fill_null(""))
        self.post = _codes(persons.column("public_post"), ("village", "township", "department"))
        self.employee_pension = _flag(persons.column("employee_pension"))
        self.dibao = _flag(persons.column("dibao"))
        self.tekun = _flag(persons.column("tekun"))

        self.h_exited = _codes(households.column("household_type"), ("exited",)) == 0
        self.h_grade = _codes(households.column("housing_grade"), ("A", "B", "C", "D"))
        water = [_flag(households.column(f"water_{w}_ok").fill_null(True)) for w in WATER]
        self.h_water = np.stack(water, axis=1) if self.h else np.ones((0, 4), bool)
        self.h_region = np.asarray(
            households.column("region_code").cast(pa.int64()).to_numpy(), dtype=np.int64
        )
        self.h_address = _array(households.column("address").fill_null(""))
        self.h_village = pc.replace_substring_regex(self.h_address, pattern="村.*$", replacement="村")

        self.exited = self.h_exited[self.hidx]
        self.head = self.relation == 0
        self.h_head = np.full(self.h, -1, dtype=np.int64)
        heads = np.flatnonzero(self.head)
        self.h_head[self.hidx[heads]] = heads

        def born_by(years: float) -> int:
            return _days(years_before(as_of, int(years)))

        self.elderly = self.birth <= born_by(params["elderly_age"])
        self.compulsory = (self.birth <= born_by(params["compulsory_age_min"])) & (
            self.birth > born_by(params["compulsory_age_max"] + 1)
        )
        self.aid_student = np.isin(self.student, [tuple(STATUS_STAGES).index(s) for s in AID_STATUSES])

    def aged(self, low: int, high: int) -> np.ndarray:
        """Persons aged `low`–`high` (whole years, approximately: rule boundaries use exact dates)."""
        return (self.age >= low) & (self.age <= high)


# ------------------------------------------------------------------ people outside the registry


def _id_numbers(prefix: np.ndarray, days: np.ndarray, seq: np.ndarray) -> pa.Array:
    """Valid 18-character ID numbers (GB 11643 check character) for county prefixes, birth days and sequence
    numbers, built as 17-digit integers so no Python string is made per row."""
    dates = days.astype("datetime64[D]")
    year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    month = (dates.astype("datetime64[M]") - dates.astype("datetime64[Y]")).astype(np.int64) + 1
    day = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    birth = year * 10_000 + month * 100 + day
    weights = iter((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2))
    total = np.zeros(prefix.size, dtype=np.int64)
    for value, width in ((prefix, 6), (birth, 8), (seq, 3)):
        for place in range(width - 1, -1, -1):
            total += (value // 10**place) % 10 * next(weights)
    body = prefix * 10**11 + birth * 1000 + seq
    checks = pa.array(list("10X98765432")).take(pa.array(total % 11))
    return pc.binary_join_element_wise(pa.array(body).cast(pa.string()), checks, "")


SURNAMES = pa.array(list(registry_synth.SURNAMES))
SURNAME_P = np.array(registry_synth.SURNAME_WEIGHTS) / sum(registry_synth.SURNAME_WEIGHTS)
GIVEN = {True: pa.array(list(registry_synth.GIVEN_MALE)), False: pa.array(list(registry_synth.GIVEN_FEMALE))}


def _names(rng: np.random.Generator, male: np.ndarray) -> pa.Array:
    n = male.size
    surname = SURNAMES.take(pa.array(rng.choice(len(SURNAMES), n, p=SURNAME_P)))
    given = []
    for _ in range(2):
        m = GIVEN[True].take(pa.array(rng.integers(0, len(GIVEN[True]), n)))
        f = GIVEN[False].take(pa.array(rng.integers(0, len(GIVEN[False]), n)))
        given.append(pc.if_else(pa.array(male), m, f))
    second = pc.if_else(pa.array(rng.random(n) < 0.35), pa.scalar(""), given[1])
    return pc.binary_join_element_wise(surname, given[0], second, "")


class _Outsiders:
    """A pool of people outside the registry, sorted by birth date, sampled by age range. Their ID numbers
    use the registry's county prefixes but sequence numbers above every synthetic village's slots."""

    def __init__(self, registry: _Registry, rng: np.random.Generator):
        first_seq = (max(registry_synth.TOWNSHIP_RANKS.values(), default=10) + 1) * (
            2 * registry_synth.MAX_VILLAGES_PER_TOWNSHIP
        )
        seqs = 1000 - max(first_seq, 800)
        if seqs < 1:
            raise ValueError("synthetic villages use every ID sequence number: none left for outsiders")
        size = max(2_000, int(registry.n * OUTSIDER_SHARE))
        # Registry ID numbers carry their county's code, the first six digits of the village code.
        prefixes = np.sort(pc.unique(pa.array(registry.h_region // 1_000_000)).to_numpy())
        first_day, last_day = registry.a - 100 * 365, registry.a - 1
        span = last_day - first_day + 1
        space = prefixes.size * span * seqs
        # First occurrences of random draws: distinct, and still in random order.
        codes = pc.unique(pa.array(rng.integers(0, space, int(size * 1.05) + 16))).to_numpy()[:size]
        prefix = prefixes[codes // (span * seqs)]
        rest = codes % (span * seqs)
        day = first_day + rest // seqs
        seq = 1000 - seqs + rest % seqs
        order = np.argsort(day, kind="stable")
        self.day, prefix, seq = day[order], prefix[order], seq[order]
        self.ids = _id_numbers(prefix, self.day, seq)
        self.male = seq % 2 == 1
        self.names = _names(rng, self.male)
        self.a = registry.a

    def sample(self, rng: np.random.Generator, count: int, low: int, high: int) -> np.ndarray:
        """Up to `count` distinct pool positions of people aged `low`–`high`."""
        start = np.searchsorted(self.day, self.a - int((high + 1) * 365.25) + 1)
        stop = np.searchsorted(self.day, self.a - int(low * 365.25), side="right")
        count = min(count, stop - start)
        if count <= 0:
            return np.zeros(0, dtype=np.int64)
        return start + rng.choice(stop - start, count, replace=False)


# ------------------------------------------------------------------ rows


@dataclass
class _Part:
    """Rows of one dataset: who (registry positions, or pool positions when `outside`) and the column values."""

    people: np.ndarray
    columns: dict
    outside: bool = False


def _pick(rng: np.random.Generator, labels, n: int, weights=None) -> pa.Array:
    p = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    return pa.array(list(labels), pa.string()).take(pa.array(rng.choice(len(labels), n, p=p)))


def _repeat(value, n: int) -> pa.Array:
    return pa.array([value], pa.string()).take(pa.array(np.zeros(n, dtype=np.int64)))


def _choose(rng: np.random.Generator, mask: np.ndarray, count: int) -> np.ndarray:
    candidates = np.flatnonzero(mask)
    count = min(count, candidates.size)
    return rng.choice(candidates, count, replace=False) if count else candidates[:0]


def _bernoulli(rng: np.random.Generator, mask: np.ndarray, p) -> np.ndarray:
    candidates = np.flatnonzero(mask)
    chance = p if np.isscalar(p) else np.asarray(p)[candidates]
    return candidates[rng.random(candidates.size) < chance]


def _mask(n: int, *groups: np.ndarray) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    for g in groups:
        out[g] = True
    return out


NULL_DAY = np.iinfo(np.int64).min


def _column(field: pa.Field, value, n: int) -> pa.Array:
    if value is None:
        return pa.nulls(n, field.type)
    if isinstance(value, str):
        return _repeat(value, n)
    if isinstance(value, (pa.Array, pa.ChunkedArray)):
        return _array(value).cast(field.type)
    value = np.asarray(value)
    if pa.types.is_date32(field.type):
        missing = value == NULL_DAY
        return pa.array(np.where(missing, 0, value).astype(np.int32), mask=missing).cast(pa.date32())
    if pa.types.is_decimal(field.type):
        missing = np.isnan(value)
        return pa.array(np.round(np.where(missing, 0, value), 2), mask=missing).cast(field.type)
    return pa.array(value).cast(field.type)


def _assemble(kind: DatasetKind, parts: list[_Part], rng: np.random.Generator, maker: _Maker) -> pa.Table:
    """Parts → one table in the kind's schema: shuffled, some ID numbers dirty, a few rows repeated."""
    schema = arrow_schema(kind)
    personal = (kind.id_column, "name")
    rest = pa.schema([f for f in schema if f.name not in personal])
    tables, people = [], []
    for part in parts:
        # Registry people are positions 0…n−1 of `maker.ids`, the outsiders come after them.
        where = part.people + maker.registry.n if part.outside else part.people
        if where.size:
            tables.append(
                pa.Table.from_arrays(
                    [_column(f, part.columns.get(f.name), where.size) for f in rest], schema=rest
                )
            )
            people.append(where)
    if not tables:
        return schema.empty_table()
    order = rng.permutation(sum(len(w) for w in people))
    table = pa.concat_tables(tables).combine_chunks().take(pa.array(order))
    who = pa.array(np.concatenate(people)[order])
    ids = maker.ids.take(who)
    lower = pc.and_(pc.ends_with(ids, "X"), pa.array(rng.random(len(ids)) < DIRTY_X_SHARE))
    pad = rng.random(len(ids))
    for mask, dirty in (
        (lower, pc.utf8_lower),
        (pa.array(pad < DIRTY_SPACE_SHARE / 2), lambda v: pc.binary_join_element_wise(" ", v, "")),
        (pa.array((pad >= DIRTY_SPACE_SHARE / 2) & (pad < DIRTY_SPACE_SHARE)), lambda v: pc.utf8_rpad(v, 20)),
    ):
        ids = pc.replace_with_mask(ids, mask, dirty(ids.filter(mask)))
    columns = {kind.id_column: ids, "name": maker.names.take(who)}
    table = pa.Table.from_arrays(
        [columns[f.name] if f.name in columns else table.column(f.name) for f in schema], schema=schema
    )
    # Repeated rows are exact copies (dirty ID and all), as when a department sends a month twice.
    repeats = max(1, round(table.num_rows * DUPLICATE_SHARE))
    table = pa.concat_tables([table, table.take(pa.array(rng.integers(0, table.num_rows, repeats)))])
    # Line 1 of a delivered sheet is its header row.
    lines = pa.array(np.arange(2, table.num_rows + 2, dtype=np.int32))
    return table.set_column(
        schema.get_field_index("source_line"), schema.field("source_line"), lines
    ).combine_chunks()


# ------------------------------------------------------------------ the datasets


class _Maker:
    """Chooses the planted people first (several datasets must agree about them), then builds each kind."""

    def __init__(self, registry: _Registry, params: dict, seed: int):
        self.registry = r = registry
        self.params = params
        self.pool = _Outsiders(r, np.random.default_rng([seed, STREAM, 1]))
        self.ids = pa.concat_arrays([r.ids, self.pool.ids])
        self.names = pa.concat_arrays([r.names, self.pool.names])
        self.expected: dict[str, np.ndarray] = {}
        rng = np.random.default_rng([seed, STREAM, 0])
        n = r.n

        def count(rule: str, eligible: np.ndarray, base: int = n) -> int:
            return max(1, round(RATES[rule] * base)) if eligible.any() else 0

        def plant(rule: str, eligible: np.ndarray, base: int = n) -> np.ndarray:
            return _choose(rng, eligible, count(rule, eligible, base))

        everyone = np.ones(n, dtype=bool)
        # Deaths: a good share among 低保 members, so some are also "paid after death" (BD-02).
        k = count("BD-01", everyone)
        on_dibao = _choose(rng, r.dibao & (r.age >= 50), round(k * 0.4))
        self.deceased = np.concatenate([on_dibao, _choose(rng, ~r.dibao & (r.age >= 55), k - on_dibao.size)])
        dead = _mask(n, self.deceased)
        self.payroll = plant("BD-03", r.exited & r.aged(22, 58))
        self.vehicle = plant("BD-04", (r.exited | r.dibao) & r.aged(20, 65))
        self.company = plant("BD-05", r.exited & r.aged(22, 65))

        # Cadres head ordinary households; their housemates are listed as relatives (none exited, so no BD-06).
        villages = np.unique(r.h_region).size
        self.cadres = _choose(rng, r.head & ~r.exited & r.aged(28, 62), CADRES_PER_VILLAGE * villages)
        cadre_household = _mask(r.h, r.hidx[self.cadres])[r.hidx] if r.h else np.zeros(n, bool)
        self.relatives = np.flatnonzero(cadre_household & ~_mask(n, self.cadres))
        self.cadre_relative = plant("BD-06", r.exited & (r.age >= 18))
        self.moved_relative = plant("BD-07", _mask(n, self.relatives) & (r.age >= 16))

        self.no_card = plant("BD-08", r.disabled)
        self.double = plant("BD-09", r.dibao & ~dead)
        self.no_aid = plant("BD-10", r.exited & r.aid_student)
        self.no_pension = plant("BD-11", r.elderly)
        taken = dead | _mask(n, self.double)
        half = count("BD-12", everyone) // 2
        self.dibao_ended = _choose(rng, r.dibao & ~taken, max(1, half))
        self.dibao_unregistered = _choose(rng, ~r.dibao & ~r.tekun & ~dead & (r.age >= 18), max(1, half))
        self.not_enrolled = plant("BD-13", r.compulsory & ~r.disabled)
        self.dropouts = plant(
            "JC-14", r.compulsory & ~r.disabled & ~_mask(n, self.not_enrolled), base=int(r.compulsory.sum())
        )

        medical = np.zeros(n, dtype=bool)
        self.medical: dict[str, np.ndarray] = {}
        for rule, group in (
            ("JC-07", r.exited),
            ("JC-09", r.exited),
            ("JC-08", ~r.exited),
            ("JC-10", ~r.exited),
        ):
            self.medical[rule] = plant(rule, group & ~medical & (r.age >= 1))
            medical[self.medical[rule]] = True
        self.medical_planted = medical

        new_card = plant("JC-11", everyone)
        self.new_card = new_card[~_mask(n, self.no_card)[new_card]]
        exited_households = np.flatnonzero(r.h_exited & (r.h_head >= 0))
        self.unsafe_house = r.h_head[
            _choose(
                rng,
                _mask(r.h, exited_households) & (r.h_grade < 2),
                count("JC-12", r.h_exited, exited_households.size),
            )
        ]
        water_ok = r.h_water.all(axis=1) & (r.h_head >= 0)
        self.water_failed = r.h_head[_choose(rng, water_ok, count("JC-13", water_ok, r.h))]
        dibao_households = np.unique(r.hidx[r.dibao])
        new_households = _choose(
            rng, _mask(r.h, dibao_households), count("JC-15", r.dibao, dibao_households.size)
        )
        self.dibao_new = np.flatnonzero(
            r.dibao & _mask(r.h, new_households)[r.hidx] & ~_mask(n, self.dibao_ended)
        )
        self.tekun_new = plant("JC-16", r.tekun, base=int(r.tekun.sum()))
        self.assisted = plant("JC-17", (r.dibao | r.serious | r.chronic | r.exited) & (r.age >= 18))
        self.unemployed = plant("JC-18", (r.work >= 0) & r.aged(18, 59))
        self.claimed = plant("JC-19", r.exited & (r.serious | r.chronic) & (r.age >= 1))

        registered_water = r.h_head[~r.h_water.all(axis=1) & (r.h_head >= 0)] if r.h else np.zeros(0, int)
        self.expected = {
            "BD-01": self.deceased,
            "BD-02": self.deceased[r.dibao[self.deceased]],
            "BD-03": self.payroll,
            "BD-04": self.vehicle,
            "BD-05": self.company,
            "BD-06": self.cadre_relative,
            "BD-07": self.moved_relative,
            "BD-08": self.no_card,
            "BD-09": self.double,
            "BD-10": self.no_aid,
            "BD-11": self.no_pension,
            "BD-12": np.concatenate([self.dibao_ended, self.dibao_unregistered]),
            "BD-13": np.concatenate([self.not_enrolled, self.dropouts]),
            **self.medical,
            "JC-11": self.new_card,
            "JC-12": self.unsafe_house,
            "JC-13": np.concatenate([self.water_failed, registered_water]),
            "JC-14": self.dropouts,
            "JC-15": self.dibao_new,
            "JC-16": self.tekun_new,
            "JC-17": self.assisted,
            "JC-18": self.unemployed,
            "JC-19": self.claimed,
        }

    # -- helpers

    def ago(self, rng, n: int, low: int, high: int) -> np.ndarray:
        """Days `low`–`high` (inclusive) before the as-of date."""
        return self.registry.a - rng.integers(low, high + 1, n)

    def within_year(self, rng, n: int) -> np.ndarray:
        return self.ago(rng, n, 0, int(self.params["recent_days"]) - 1)

    def before_window(self, rng, n: int, window: str = "recent_days", extra: int = 365) -> np.ndarray:
        """Days just outside a rule's window: the rule must not see these rows."""
        days = int(self.params[window])
        return self.ago(rng, n, days + 1, days + extra)

    def outsiders(self, rng, share: float, low: int = 18, high: int = 90) -> np.ndarray:
        """Pool positions of people outside the registry, `share` of the registry's size, aged `low`–`high`."""
        return self.pool.sample(rng, round(self.registry.n * share), low, high)

    def money(self, rng, n: int, low: float, high: float) -> np.ndarray:
        return np.round(rng.uniform(low, high, n))

    def free(self, *groups: np.ndarray) -> np.ndarray:
        """Everyone not in these groups."""
        return ~_mask(self.registry.n, *groups)

    # -- 民政

    def minimum_living(self, rng) -> list[_Part]:
        r = self.registry
        members = np.flatnonzero(r.dibao)
        h = r.hidx[members]
        size = np.bincount(h, minlength=r.h)[h]
        h_start = self.before_window(rng, r.h, extra=2600)
        h_start[r.hidx[self.dibao_new]] = self.within_year(rng, self.dibao_new.size)
        h_amount = np.round(rng.uniform(300, 600, r.h))
        h_category = _pick(rng, ("A类", "B类", "C类"), r.h, (2, 5, 3))
        start, end = h_start[h], np.full(members.size, NULL_DAY)
        ended = np.isin(members, self.dibao_ended)
        start[ended] = self.before_window(rng, int(ended.sum()), extra=2600)
        end[ended] = self.ago(rng, int(ended.sum()), 1, 300)  # left 低保 before the as-of date
        roster = _Part(
            members,
            {
                "category": h_category.take(pa.array(h)),
                "household_size": size,
                "monthly_amount": h_amount[h] * size,
                "start_date": start,
                "end_date": end,
            },
        )
        unregistered = self.dibao_unregistered
        extra = _Part(
            unregistered,
            {
                "category": _pick(rng, ("B类", "C类"), unregistered.size),
                "household_size": np.ones(unregistered.size, np.int64),
                "monthly_amount": self.money(rng, unregistered.size, 300, 600),
                "start_date": self.before_window(rng, unregistered.size, extra=700),
            },
        )
        # Former members, exited from 低保 years ago: no longer active, so nothing to flag.
        former = _bernoulli(rng, ~r.dibao & self.free(self.deceased, unregistered) & (r.age >= 18), 0.01)
        former_end = self.ago(rng, former.size, 1, 1400)
        history = _Part(
            former,
            {
                "category": _pick(rng, ("A类", "B类", "C类"), former.size, (2, 5, 3)),
                "household_size": rng.integers(1, 5, former.size),
                "monthly_amount": self.money(rng, former.size, 300, 1800),
                "start_date": former_end - rng.integers(100, 1500, former.size),
                "end_date": former_end,
            },
        )
        out = self.outsiders(rng, 0.012)
        outside = _Part(
            out,
            {
                "category": _pick(rng, ("A类", "B类", "C类"), out.size, (2, 5, 3)),
                "household_size": rng.integers(1, 5, out.size),
                "monthly_amount": self.money(rng, out.size, 300, 1800),
                "start_date": self.ago(rng, out.size, 0, 3000),
            },
            True,
        )
        return [roster, extra, history, outside]

    def extreme_poverty(self, rng) -> list[_Part]:
        r = self.registry
        members = np.flatnonzero(r.tekun)
        start = self.before_window(rng, members.size, extra=3300)
        start[np.isin(members, self.tekun_new)] = self.within_year(
            rng, int(np.isin(members, self.tekun_new).sum())
        )
        both = self.double
        out = self.outsiders(rng, 0.004, 60, 95)
        return [
            _Part(
                members,
                {
                    "support_mode": _pick(rng, ("分散供养", "集中供养"), members.size, (85, 15)),
                    "monthly_amount": self.money(rng, members.size, 800, 1200),
                    "start_date": start,
                },
            ),
            _Part(
                both,
                {
                    "support_mode": "分散供养",
                    "monthly_amount": self.money(rng, both.size, 800, 1200),
                    "start_date": self.before_window(rng, both.size, extra=1100),
                },
            ),
            _Part(
                out,
                {
                    "support_mode": _pick(rng, ("分散供养", "集中供养"), out.size, (70, 30)),
                    "monthly_amount": self.money(rng, out.size, 800, 1200),
                    "start_date": self.ago(rng, out.size, 0, 3650),
                },
                True,
            ),
        ]

    def temporary_assistance(self, rng) -> list[_Part]:
        r = self.registry
        reasons = ("因病住院，生活困难", "因灾房屋受损", "因意外事故", "子女就学支出大", "突发生活困难")
        recent = self.assisted
        earlier = _bernoulli(rng, (r.dibao | r.serious) & self.free(recent) & (r.age >= 18), 0.05)
        out = self.outsiders(rng, 0.008)
        parts = []
        for people, dates, outside in (
            (recent, self.within_year(rng, recent.size), False),
            (earlier, self.before_window(rng, earlier.size), False),
            (out, self.within_year(rng, out.size), True),
        ):
            parts.append(
                _Part(
                    people,
                    {
                        "reason": _pick(rng, reasons, people.size),
                        "amount": self.money(rng, people.size, 500, 5000),
                        "assistance_date": dates,
                    },
                    outside,
                )
            )
        return parts

    # -- 公安

    def death_record(self, rng) -> list[_Part]:
        causes = ("疾病", "疾病", "疾病", "自然死亡", "意外事故")
        dead = self.deceased
        died = self.ago(
            rng, dead.size, 1, int(self.params["recent_days"]) - 1
        )  # before the as-of day (BD-02)
        cancelled = died + rng.integers(5, 60, dead.size)
        cancelled = np.where(
            (cancelled <= self.registry.a) & (rng.random(dead.size) < 0.5), cancelled, NULL_DAY
        )
        out = self.outsiders(rng, 0.008, 50, 99)
        out_died = self.within_year(rng, out.size)
        out_cancelled = np.minimum(out_died + rng.integers(5, 60, out.size), self.registry.a)
        return [
            _Part(
                dead,
                {"death_date": died, "cancel_date": cancelled, "cause": _pick(rng, causes, dead.size)},
            ),
            _Part(
                out,
                {"death_date": out_died, "cancel_date": out_cancelled, "cause": _pick(rng, causes, out.size)},
                True,
            ),
        ]

    def household_move(self, rng) -> list[_Part]:
        r = self.registry
        listed = _mask(r.n, self.cadres, self.relatives, self.cadre_relative)
        movers = _bernoulli(rng, ~listed, 0.015)
        kind = _pick(rng, ("迁入", "户内变更"), movers.size, (6, 4))
        elsewhere = ("广东省东莞市", "浙江省宁波市", "武汉市洪山区", "咸宁市咸安区", "岳阳市临湘市")
        addresses = r.h_address.take(pa.array(r.hidx[movers]))
        moved = self.moved_relative
        out = self.outsiders(rng, 0.015, 0, 90)
        return [
            _Part(
                movers,
                {
                    "move_type": kind,
                    "from_address": _pick(rng, elsewhere, movers.size),
                    "to_address": addresses,
                    "move_date": self.within_year(rng, movers.size),
                },
            ),
            _Part(
                moved,
                {
                    "move_type": "迁入",
                    "from_address": _pick(rng, elsewhere, moved.size),
                    "to_address": r.h_address.take(pa.array(r.hidx[moved])),
                    "move_date": self.within_year(rng, moved.size),
                },
            ),
            _Part(
                out,
                {
                    "move_type": _pick(rng, ("迁出", "迁入"), out.size, (6, 4)),
                    "from_address": _pick(rng, elsewhere, out.size),
                    "to_address": _pick(rng, elsewhere, out.size),
                    "move_date": self.within_year(rng, out.size),
                },
                True,
            ),
        ]

    def vehicle_registration(self, rng) -> list[_Part]:
        r = self.registry
        cars = ("小型轿车", "小型普通客车", "小型越野客车", "轻型普通货车", "中型普通货车")
        exempt = ("二轮摩托车", "三轮摩托车", "轻便摩托车", "三轮汽车", "低速货车", "残疾人专用车")
        statuses = ("正常", "转移", "注销", "报废", "查封")
        poor = r.exited | r.dibao
        ordinary = _bernoulli(rng, ~poor & r.aged(20, 70), 0.12)
        small = _bernoulli(rng, poor & r.aged(18, 75) & self.free(self.vehicle), 0.10)
        gone = _bernoulli(rng, poor & r.aged(20, 70) & self.free(self.vehicle), 0.01)
        out = self.outsiders(rng, 0.03, 20, 75)

        def part(people, types, type_weights, status, outside=False):
            return _Part(
                people,
                {
                    "plate": _plates(rng, people.size),
                    "vehicle_type": _pick(rng, types, people.size, type_weights),
                    "status": status
                    if isinstance(status, str)
                    else _pick(rng, statuses, people.size, status),
                    "registered_on": self.ago(rng, people.size, 0, 3650),
                },
                outside,
            )

        return [
            part(ordinary, cars + exempt[:2], (40, 15, 10, 10, 3, 15, 7), (90, 4, 3, 2, 1)),
            part(small, exempt, (50, 15, 10, 10, 10, 5), (90, 4, 3, 2, 1)),
            part(gone, cars, None, (0, 30, 40, 30, 0)),
            part(self.vehicle, cars, (50, 15, 10, 20, 5), "正常"),
            part(out, cars + exempt[:2], (40, 15, 10, 10, 3, 15, 7), (90, 4, 3, 2, 1), outside=True),
        ]

    # -- 市场监管, 人社, 组织部

    def company_registration(self, rng) -> list[_Part]:
        r = self.registry
        floor = float(self.params["company_min_capital"])
        ordinary = _bernoulli(rng, ~r.exited & r.aged(22, 65), 0.03)
        exited = _bernoulli(rng, r.exited & r.aged(22, 65) & self.free(self.company), 0.03)
        out = self.outsiders(rng, 0.02, 22, 70)
        owners = ("法定代表人", "股东")

        def part(people, roles, role_weights, capital, status, outside=False):
            size = people.size
            shares = rng.uniform(0.3, 1.0, size)
            return _Part(
                people,
                {
                    "company": _companies(rng, size),
                    "credit_code": _credit_codes(rng, size),
                    "role": _pick(rng, roles, size, role_weights),
                    "registered_capital": capital,
                    "subscribed_capital": np.round(capital * shares, 2),
                    "status": status
                    if isinstance(status, str)
                    else _pick(rng, ("存续", "注销", "吊销"), size, status),
                    "established_on": self.ago(rng, size, 0, 5475),
                },
                outside,
            )

        def capital(size, low, high):
            return np.round(np.exp(rng.uniform(np.log(low), np.log(high), size)), 2)

        # Exited households run 个体工商户 or small or closed companies: none of it counts for BD-05.
        e = exited.size
        split = rng.choice(3, e, p=(0.7, 0.15, 0.15))
        return [
            part(
                ordinary,
                (*owners, "个体工商户经营者"),
                (4, 3, 3),
                capital(ordinary.size, 1, 2000),
                (85, 10, 5),
            ),
            part(
                exited[split == 0],
                ("个体工商户经营者",),
                None,
                capital(int((split == 0).sum()), 0.5, 50),
                (90, 8, 2),
            ),
            part(
                exited[split == 1], owners, None, capital(int((split == 1).sum()), 0.5, floor * 0.9), "存续"
            ),
            part(exited[split == 2], owners, None, capital(int((split == 2).sum()), floor, 500), (0, 60, 40)),
            part(self.company, owners, None, capital(self.company.size, floor * 1.5, floor * 30), "存续"),
            part(
                out,
                (*owners, "个体工商户经营者"),
                (4, 3, 3),
                capital(out.size, 1, 2000),
                (85, 10, 5),
                outside=True,
            ),
        ]

    def public_payroll(self, rng) -> list[_Part]:
        r = self.registry
        employers = (
            "县第一中学",
            "镇中心小学",
            "镇卫生院",
            "县人民医院",
            "县财政局",
            "镇人民政府",
            "县农业农村局",
        )
        kinds = ("公务员", "参公管理", "事业编制", "其他财政供养")
        staff = _bernoulli(rng, ~r.exited & r.aged(22, 59), 0.025)
        out = self.outsiders(rng, 0.02, 22, 59)

        def part(people, outside=False):
            return _Part(
                people,
                {
                    "employer": _pick(rng, employers, people.size),
                    "staff_type": _pick(rng, kinds, people.size, (25, 10, 55, 10)),
                    "monthly_salary": self.money(rng, people.size, 4000, 9000),
                    "hired_on": self.ago(rng, people.size, 0, 3650),
                },
                outside,
            )

        return [part(staff), part(self.payroll), part(out, outside=True)]

    def employment(self, rng) -> list[_Part]:
        r = self.registry
        places = {
            0: ("本乡镇",),
            1: ("本县城区", "本县工业园"),
            2: ("武汉市", "咸宁市", "黄石市"),
            3: ("广东省东莞市", "浙江省宁波市", "江苏省苏州市", "上海市", "福建省厦门市"),
            4: ("境外",),
        }
        worker = (r.work >= 0) & r.aged(16, 64)
        employed = _bernoulli(rng, worker & self.free(self.unemployed), 0.25)
        location = pa.nulls(employed.size, pa.string())
        for code, labels in places.items():
            here = pa.array(r.work[employed] == code)
            location = pc.if_else(here, _pick(rng, labels, employed.size), location)
        employer = r.employer.take(pa.array(employed))
        employer = pc.if_else(pc.equal(employer, ""), pa.scalar("灵活就业"), employer)
        posts = np.flatnonzero(r.post >= 0)
        earlier = _bernoulli(rng, worker & self.free(self.unemployed), 0.02)
        ended = _bernoulli(rng, worker & self.free(self.unemployed, earlier), 0.01)
        ended_start = self.ago(rng, ended.size, 20, int(self.params["unemployment_days"]) - 1)
        out = self.outsiders(rng, 0.03, 18, 60)
        window = int(self.params["unemployment_days"])
        return [
            _Part(
                employed,
                {
                    "status": "就业",
                    "employer": employer,
                    "location": location,
                    "monthly_income": self.money(rng, employed.size, 2500, 7000),
                    "start_date": self.within_year(rng, employed.size),
                },
            ),
            _Part(
                posts,
                {
                    "status": "公益性岗位",
                    "employer": "村（社区）公益性岗位",
                    "location": "本村",
                    "monthly_income": self.money(rng, posts.size, 500, 1000),
                    "start_date": self.within_year(rng, posts.size),
                },
            ),
            # Registered unemployed longer ago than the window, or re-employed since: not "newly unemployed".
            _Part(earlier, {"status": "失业", "start_date": self.ago(rng, earlier.size, window + 1, 364)}),
            _Part(
                ended,
                {
                    "status": "失业",
                    "start_date": ended_start,
                    "end_date": np.minimum(ended_start + 15, r.a - 1),
                },
            ),
            _Part(
                self.unemployed,
                {"status": "失业", "start_date": self.ago(rng, self.unemployed.size, 0, window - 1)},
            ),
            _Part(
                out,
                {
                    "status": _pick(rng, ("就业", "失业"), out.size, (9, 1)),
                    "monthly_income": self.money(rng, out.size, 2500, 7000),
                    "start_date": self.within_year(rng, out.size),
                },
                True,
            ),
        ]

    def pension(self, rng) -> list[_Part]:
        r = self.registry
        elderly = np.flatnonzero(r.elderly & self.free(self.no_pension))
        employee = r.employee_pension[elderly]
        turned = np.minimum(r.birth[elderly] + int(self.params["elderly_age"] * 365.25) + 1, r.a)
        scheme = pc.if_else(
            pa.array(employee), pa.scalar("城镇职工基本养老保险"), pa.scalar("城乡居民基本养老保险")
        )
        amount = np.where(
            employee, rng.uniform(2500, 4500, elderly.size), rng.uniform(130, 300, elderly.size)
        )
        missing = self.no_pension
        paused = missing[rng.random(missing.size) < 0.5]
        payers = _bernoulli(rng, r.aged(30, 58), 0.02)
        out = self.outsiders(rng, 0.03, 60, 95)
        return [
            _Part(
                elderly,
                {
                    "scheme": scheme,
                    "status": "领取待遇",
                    "monthly_pension": np.round(amount),
                    "status_date": np.maximum(turned, r.a - 5475),
                },
            ),
            _Part(
                paused,
                {
                    "scheme": "城乡居民基本养老保险",
                    "status": "暂停",
                    "status_date": self.ago(rng, paused.size, 30, 300),
                },
            ),
            _Part(
                payers,
                {
                    "scheme": pc.if_else(
                        pa.array(r.employee_pension[payers]),
                        pa.scalar("城镇职工基本养老保险"),
                        pa.scalar("城乡居民基本养老保险"),
                    ),
                    "status": "参保缴费",
                    "status_date": self.within_year(rng, payers.size),
                },
            ),
            _Part(
                out,
                {
                    "scheme": _pick(rng, ("城乡居民基本养老保险", "城镇职工基本养老保险"), out.size, (7, 3)),
                    "status": "领取待遇",
                    "monthly_pension": self.money(rng, out.size, 130, 4500),
                    "status_date": self.ago(rng, out.size, 0, 5475),
                },
                True,
            ),
        ]

    def village_cadre(self, rng) -> list[_Part]:
        r = self.registry
        if not self.cadres.size:
            return []
        posts = ("村党支部书记", "村委会主任", "村委会副主任", "村委会委员", "村务监督委员会主任", "村报账员")
        cadres = self.cadres[np.argsort(r.h_region[r.hidx[self.cadres]], kind="stable")]
        regions = r.h_region[r.hidx[cadres]]
        villages = r.h_village.take(pa.array(r.hidx[cadres]))
        cadre_ids = r.ids.take(pa.array(cadres))
        post = _pick(rng, posts, cadres.size)
        since = self.ago(rng, cadres.size, 60, 2000)
        # Housemates of a cadre (who heads the household), by their relation to the head.
        h_cadre = np.full(r.h, -1, dtype=np.int64)
        h_cadre[r.hidx[cadres]] = np.arange(cadres.size)
        rel = self.relatives
        rel_of = h_cadre[r.hidx[rel]]
        rel_relation = CADRE_RELATION.take(
            pa.array(np.where(r.relation[rel] >= 0, r.relation[rel], len(RELATIONS)))
        )
        # Planted relatives in exited households: of a cadre of their own village where it has one.
        planted = self.cadre_relative
        home = r.h_region[r.hidx[planted]]
        at = np.minimum(np.searchsorted(regions, home), cadres.size - 1)
        planted_of = np.where(regions[at] == home, at, rng.integers(0, cadres.size, planted.size))
        out = self.pool.sample(rng, round(0.25 * cadres.size), 18, 80)
        out_of = rng.integers(0, cadres.size, out.size)

        def about(of: np.ndarray, relation) -> dict:
            idx = pa.array(of)
            return {
                "village": villages.take(idx),
                "relation": relation,
                "cadre_id_number": cadre_ids.take(idx),
                "post": post.take(idx),
                "since": since[of],
            }

        return [
            _Part(cadres, about(np.arange(cadres.size), "本人")),
            _Part(rel, about(rel_of, rel_relation)),
            _Part(planted, about(planted_of, _pick(rng, ("兄弟姐妹", "其他近亲属"), planted.size))),
            _Part(out, about(out_of, _pick(rng, ("子女", "兄弟姐妹", "其他近亲属"), out.size)), True),
        ]

    # -- 医保

    def medical_settlement(self, rng) -> list[_Part]:
        r, p = self.registry, self.params
        single = np.where(r.exited, p["medical_single_stay_exited"], p["medical_single_stay_other"])
        cumulative = p["rural_income_prev_year"] * np.where(
            r.exited, p["medical_cumulative_ratio_exited"], p["medical_cumulative_ratio_other"]
        )
        normal = self.free(self.medical_planted)
        chance = 0.03 + 0.10 * r.serious + 0.05 * r.chronic + 0.03 * (r.age >= 60)
        stays = _bernoulli(rng, normal, chance)
        stays = np.concatenate([stays, stays[rng.random(stays.size) < 0.2]])
        # Normal stays: each below 40 % of both warning lines, so two stays and two outpatient rows stay below.
        cap = np.minimum(0.8 * single, 0.4 * cumulative)
        chronic = _bernoulli(rng, normal & r.chronic, 0.3)
        general = _bernoulli(rng, normal, 0.04)
        outside = self.outsiders(rng, 0.02, 0, 95)

        def inpatient(people, self_paid, outsider=False):
            total = np.maximum(self_paid / rng.uniform(0.08, 0.35, people.size), self_paid + 100)
            return self.settlement(rng, people, "住院", total, self_paid, outsider)

        def limit(people, share, cap_share):
            raw = rng.lognormal(np.log(2500), 0.8, people.size) * share
            return np.minimum(raw, cap[people] * cap_share)

        parts = [
            inpatient(stays, np.where(r.exited[stays], 0.3, 1.0) * limit(stays, 1.0, 1.0)),
            self.settlement(
                rng,
                chronic,
                "门诊慢特病",
                rng.uniform(300, 3000, chronic.size),
                np.minimum(rng.uniform(30, 600, chronic.size), 0.05 * cumulative[chronic]),
            ),
            self.settlement(
                rng,
                general,
                "普通门诊",
                rng.uniform(50, 800, general.size),
                np.minimum(rng.uniform(10, 200, general.size), 0.05 * cumulative[general]),
            ),
        ]
        # One stay above the single-stay line but, where the lines allow, below the cumulative one.
        for rule, cumulative_rule in (("JC-07", "JC-09"), ("JC-08", "JC-10")):
            people = self.medical[rule]
            low = 1.1 * single[people]
            amount = rng.uniform(
                low, np.maximum(np.minimum(1.5 * single[people], 0.95 * cumulative[people]), low)
            )
            parts.append(inpatient(people, amount))
            # Only when the cumulative line is set below the single-stay line does one stay cross both.
            both = people[np.round(amount, 2) > cumulative[people]]
            self.expected[cumulative_rule] = np.concatenate([self.expected[cumulative_rule], both])
        # Several stays each below the single-stay line that add up past the cumulative one.
        for rule in ("JC-09", "JC-10"):
            people = self.medical[rule]
            if not people.size:
                continue
            need = 1.15 * cumulative[people]
            stays_needed = np.ceil(need / (0.85 * single[people])).astype(np.int64)
            who = np.repeat(people, stays_needed)
            parts.append(inpatient(who, np.repeat(need / stays_needed, stays_needed)))
        parts.append(inpatient(outside, rng.lognormal(np.log(2500), 1.0, outside.size), outsider=True))
        return parts

    def settlement(self, rng, people, visit, total, self_paid, outsider=False) -> _Part:
        hospitals = {
            "住院": (
                "咸宁市中心医院",
                "县人民医院",
                "县中医医院",
                "华中科技大学同济医学院附属协和医院",
                "镇卫生院",
            ),
            "门诊慢特病": ("县人民医院", "镇卫生院", "县中医医院"),
            "普通门诊": ("镇卫生院", "村卫生室", "县人民医院"),
        }[visit]
        size = people.size
        total_c = np.round(np.asarray(total) * 100)
        self_c = np.minimum(np.round(np.asarray(self_paid) * 100), total_c)
        rest = total_c - self_c
        basic = np.floor(rest * 0.72)
        critical = np.floor(rest * np.where(rest > 1_500_000, 0.2, 0.0))
        assistance = rest - basic - critical
        admitted = self.within_year(rng, size)
        discharged = admitted + rng.integers(2, 15, size)
        discharged = np.where((visit == "住院") & (discharged <= self.registry.a), discharged, NULL_DAY)
        return _Part(
            people,
            {
                "visit_type": visit,
                "hospital": _pick(rng, hospitals, size),
                "admitted_on": admitted,
                "discharged_on": discharged,
                "total_cost": total_c / 100,
                "compliant_cost": np.round(total_c * rng.uniform(0.85, 0.97, size)) / 100,
                "basic_paid": basic / 100,
                "critical_paid": critical / 100,
                "assistance_paid": assistance / 100,
                "self_paid": self_c / 100,
            },
            outsider,
        )

    # -- 教育

    def school_enrolment(self, rng) -> list[_Part]:
        r = self.registry
        a = r.as_of
        present = self.free(self.not_enrolled, self.dropouts)
        pupils = np.flatnonzero(
            r.compulsory & ~r.disabled & present
            | r.compulsory & r.disabled & (rng.random(r.n) < 0.5)
            | ~r.compulsory & r.aged(16, 17) & (rng.random(r.n) < 0.88)  # the rest left after 初中
        )
        age = np.clip(r.age[pupils], 6, 17)
        stage = np.select([age <= 11, age <= 15], [0, 1], 2)  # 小学, 初中, 高中 (中职 below)
        stage = np.where((stage == 2) & (rng.random(pupils.size) < 0.25), 3, stage)
        year = np.select([age <= 11, age <= 14, age == 15], [age - 5, age - 11, 3], age - 15)
        september = a.year if a >= dt.date(a.year, 9, 1) else a.year - 1
        first_day = np.array([_days(dt.date(september - k, 9, 1)) for k in range(6)])
        parts = [
            _Part(
                pupils,
                {
                    "school": SCHOOLS.take(pa.array(stage)),
                    "stage": SCHOOL_STAGES.take(pa.array(stage)),
                    "grade": GRADES.take(pa.array(stage * 6 + year - 1)),
                    "status": "在读",
                    "enrolled_on": first_day[year - 1],
                },
            )
        ]
        statuses = tuple(STATUS_STAGES)
        higher = np.flatnonzero(
            np.isin(r.student, [statuses.index(s) for s in HIGHER_STATUSES]) & (r.age >= 18)
        )
        parts.append(
            _Part(
                higher,
                {
                    "school": _pick(
                        rng, ("湖北科技学院", "咸宁职业技术学院", "武汉职业技术学院"), higher.size
                    ),
                    "stage": pa.array(list(STATUS_STAGES.values())).take(pa.array(r.student[higher])),
                    "status": "在读",
                    "enrolled_on": np.full(higher.size, first_day[0]),
                },
            )
        )
        # Dropouts are suspended; half the missing children show as transferred out, the rest not at all.
        moved = self.not_enrolled[rng.random(self.not_enrolled.size) < 0.5]
        for people, status in ((self.dropouts, "休学"), (moved, "转学")):
            parts.append(
                _Part(
                    people,
                    {
                        "school": "镇初级中学",
                        "stage": "初中",
                        "status": status,
                        "enrolled_on": np.full(people.size, first_day[1]),
                    },
                )
            )
        out = self.outsiders(rng, 0.02, 6, 17)
        parts.append(
            _Part(
                out,
                {
                    "school": "市实验学校",
                    "stage": _pick(rng, ("小学", "初中", "高中"), out.size, (5, 3, 2)),
                    "status": "在读",
                    "enrolled_on": np.full(out.size, first_day[0]),
                },
                True,
            )
        )
        return parts

    def school_dropout(self, rng) -> list[_Part]:
        r = self.registry
        reasons = ("厌学", "外出务工", "家庭困难", "身体原因", "随父母外出")
        gone = self.dropouts
        back = _choose(
            rng,
            r.compulsory & ~r.disabled & self.free(self.dropouts, self.not_enrolled),
            3 * max(1, gone.size),
        )
        older = _choose(rng, ~r.compulsory & r.aged(16, 17), max(1, gone.size))
        out = self.pool.sample(rng, 5 * max(1, gone.size), 6, 16)

        def part(people, returned, outside=False):
            return _Part(
                people,
                {
                    "school": "镇初级中学",
                    "stage": _pick(rng, ("小学", "初中"), people.size, (2, 8)),
                    "dropout_on": self.within_year(rng, people.size),
                    "reason": _pick(rng, reasons, people.size),
                    "returned": returned
                    if isinstance(returned, str)
                    else pc.if_else(
                        pa.array(rng.random(people.size) < 0.7), pa.scalar("否"), pa.scalar(None, pa.string())
                    ),
                },
                outside,
            )

        return [part(gone, None), part(back, "是"), part(older, "否"), part(out, "否", outside=True)]

    def student_aid(self, rng) -> list[_Part]:
        r = self.registry
        aided = np.flatnonzero(r.exited & r.aid_student & self.free(self.no_aid))
        aided = np.concatenate([aided, aided[rng.random(aided.size) < 0.5]])  # two semesters for half
        ordinary = _bernoulli(rng, ~r.exited & r.aid_student, 0.15)
        stale = self.no_aid[rng.random(self.no_aid.size) < 0.5]
        out = self.outsiders(rng, 0.015, 6, 22)
        stages = pa.array(list(STATUS_STAGES.values()))
        programmes = {
            "小学": ("义务教育家庭经济困难学生生活补助", 500),
            "初中": ("义务教育家庭经济困难学生生活补助", 625),
            "高中": ("普通高中国家助学金", 1000),
            "中职": ("中职国家助学金", 1000),
            "高职": ("雨露计划", 1500),
            "本科": ("国家助学金", 1650),
            "研究生": ("国家助学金", 3000),
        }
        names = pa.array([v[0] for v in programmes.values()])
        amounts = np.array([v[1] for v in programmes.values()], dtype=float)
        position = {s: i for i, s in enumerate(programmes)}
        stage_index = np.array([position[s] for s in STATUS_STAGES.values()])

        def part(people, dates, outside=False):
            if outside:
                code = rng.integers(0, len(programmes) - 1, people.size)
                stage = pa.array(list(programmes)).take(pa.array(code))
            else:
                stage = stages.take(pa.array(r.student[people]))
                code = stage_index[r.student[people]]
            return _Part(
                people,
                {
                    "school": _pick(
                        rng, ("镇中心小学", "镇初级中学", "县第一高级中学", "县职业教育中心"), people.size
                    ),
                    "stage": stage,
                    "programme": names.take(pa.array(code)),
                    "amount": amounts[code],
                    "paid_on": dates,
                },
                outside,
            )

        return [
            part(aided, self.within_year(rng, aided.size)),
            part(ordinary, self.within_year(rng, ordinary.size)),
            part(stale, self.before_window(rng, stale.size)),
            part(out, self.within_year(rng, out.size), outside=True),
        ]

    # -- 住建, 水利 (rows keyed by the household head)

    def house_appraisal(self, rng) -> list[_Part]:
        r = self.registry
        has_head = r.h_head >= 0
        registered_unsafe = np.flatnonzero(has_head & (r.h_grade >= 2))
        planted = _mask(r.h, r.hidx[self.unsafe_house]) if r.h else np.zeros(0, bool)
        safe = np.flatnonzero(
            has_head & (r.h_grade < 2) & ~planted & (rng.random(r.h) < np.where(r.h_exited, 0.5, 0.1))
        )
        safe_grade = np.where(r.h_grade[safe] >= 0, r.h_grade[safe], rng.choice(2, safe.size, p=(0.6, 0.4)))
        renovated = np.flatnonzero(has_head & (r.h_grade < 2) & ~planted & (rng.random(r.h) < 0.002))
        letters = pa.array(["A", "B", "C", "D"])
        appraisers = ("县住房和城乡建设局", "咸宁市房屋安全鉴定中心", "湖北省建筑工程质量监督检验测试中心")

        def part(households, grade, dates):
            return _Part(
                r.h_head[households],
                {
                    "address": r.h_address.take(pa.array(households)),
                    "grade": letters.take(pa.array(grade)) if not isinstance(grade, str) else grade,
                    "appraiser": _pick(rng, appraisers, households.size),
                    "appraised_on": dates,
                },
            )

        unsafe = r.hidx[self.unsafe_house]
        out = self.outsiders(rng, 0.01, 30, 85)
        return [
            # The appraisal that put C/D in the registry, before the window (JC-05 flags these houses).
            part(
                registered_unsafe,
                r.h_grade[registered_unsafe],
                self.before_window(rng, registered_unsafe.size),
            ),
            part(safe, safe_grade, self.within_year(rng, safe.size)),
            part(unsafe, rng.choice([2, 3], unsafe.size, p=(0.8, 0.2)), self.within_year(rng, unsafe.size)),
            # Appraised unsafe before the window, renovated since: not a new warning.
            part(renovated, "C", self.before_window(rng, renovated.size)),
            _Part(
                out,
                {
                    "address": "城区",
                    "grade": _pick(rng, ("A", "B", "C", "D"), out.size, (60, 38, 1.5, 0.5)),
                    "appraiser": _pick(rng, appraisers, out.size),
                    "appraised_on": self.within_year(rng, out.size),
                },
                True,
            ),
        ]

    def water_check(self, rng) -> list[_Part]:
        r = self.registry
        has_head = r.h_head >= 0
        failing = ~r.h_water.all(axis=1) if r.h else np.zeros(0, bool)
        planted = _mask(r.h, r.hidx[self.water_failed]) if r.h else np.zeros(0, bool)
        checked = np.flatnonzero(
            has_head & (failing | planted | (rng.random(r.h) < np.where(r.h_exited, 0.6, 0.2)))
        )
        ok = r.h_water[checked].copy()
        broken = planted[checked]
        ok[np.flatnonzero(broken), rng.integers(0, 4, int(broken.sum()))] = False
        yes_no = pa.array(["否", "是"])
        columns = {f"{w}_ok": yes_no.take(pa.array(ok[:, i].astype(np.int64))) for i, w in enumerate(WATER)}
        out = self.outsiders(rng, 0.01, 30, 85)
        return [
            _Part(
                r.h_head[checked],
                {
                    "supply": _pick(rng, ("集中供水", "分散供水"), checked.size, (8, 2)),
                    **columns,
                    "checked_on": self.within_year(rng, checked.size),
                },
            ),
            _Part(
                out,
                {
                    "supply": "集中供水",
                    **{f"{w}_ok": "是" for w in WATER},
                    "checked_on": self.within_year(rng, out.size),
                },
                True,
            ),
        ]

    # -- 残联, 保险公司

    def disability_card(self, rng) -> list[_Part]:
        r = self.registry
        categories = pa.array(["视力", "听力", "言语", "肢体", "智力", "精神", "多重"])
        grades = pa.array(["一级", "二级", "三级", "四级"])
        new = self.new_card
        holders = np.flatnonzero(r.disabled & self.free(self.no_card, new))
        people = np.concatenate([holders, new])
        category = np.where(r.category[people] > 0, r.category[people], rng.integers(1, 8, people.size))
        grade = np.where(r.grade[people] > 0, r.grade[people], rng.integers(1, 5, people.size))
        own = r.card.take(pa.array(people))
        made = pc.binary_join_element_wise(
            r.ids.take(pa.array(people)),
            pa.array(category).cast(pa.string()),
            pa.array(grade).cast(pa.string()),
            "",
        )
        issued = np.concatenate(
            [
                self.ago(rng, holders.size, int(self.params["recent_days"]), 5000),
                self.within_year(rng, new.size),
            ]
        )
        out = self.outsiders(rng, 0.015, 0, 95)
        out_category = rng.integers(1, 8, out.size)
        out_grade = rng.integers(1, 5, out.size)
        return [
            _Part(
                people,
                {
                    "card_number": pc.if_else(pc.equal(own, ""), made, own),
                    "category": categories.take(pa.array(category - 1)),
                    "grade": grades.take(pa.array(grade - 1)),
                    "issued_on": issued,
                },
            ),
            _Part(
                out,
                {
                    "card_number": pc.binary_join_element_wise(
                        self.pool.ids.take(pa.array(out)),
                        pa.array(out_category).cast(pa.string()),
                        pa.array(out_grade).cast(pa.string()),
                        "",
                    ),
                    "category": categories.take(pa.array(out_category - 1)),
                    "grade": grades.take(pa.array(out_grade - 1)),
                    "issued_on": self.ago(rng, out.size, 0, 5000),
                },
                True,
            ),
        ]

    def insurer_claim(self, rng) -> list[_Part]:
        r = self.registry
        types = ("因病", "因学", "因灾", "其他")
        recent = self.claimed
        earlier = _bernoulli(rng, r.exited & (r.serious | r.chronic) & self.free(recent), 0.05)
        out = self.outsiders(rng, 0.01, 0, 90)

        def part(people, paid, outside=False):
            return _Part(
                people,
                {
                    "claim_type": _pick(rng, types, people.size, (70, 15, 10, 5)),
                    "reported_on": paid - rng.integers(10, 60, people.size),
                    "amount": self.money(rng, people.size, 1000, 30000),
                    "paid_on": paid,
                },
                outside,
            )

        return [
            part(recent, self.within_year(rng, recent.size)),
            part(earlier, self.before_window(rng, earlier.size)),
            part(out, self.within_year(rng, out.size), outside=True),
        ]


PLATE_CHARS = pa.array(list("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"))


def _plates(rng, n: int) -> pa.Array:
    chars = [PLATE_CHARS.take(pa.array(rng.integers(0, len(PLATE_CHARS), n))) for _ in range(5)]
    return pc.binary_join_element_wise(_repeat("鄂L", n), *chars, "")


def _companies(rng, n: int) -> pa.Array:
    first = pa.array(list(registry_synth.VILLAGE_FIRST)).take(
        pa.array(rng.integers(0, len(registry_synth.VILLAGE_FIRST), n))
    )
    second = pa.array(list(registry_synth.GIVEN_MALE)).take(
        pa.array(rng.integers(0, len(registry_synth.GIVEN_MALE), n))
    )
    trade = _pick(rng, ("农业发展", "商贸", "建材", "茶业", "养殖", "电子科技", "物流"), n)
    return pc.binary_join_element_wise(_repeat("咸宁市", n), first, second, trade, _repeat("有限公司", n), "")


def _credit_codes(rng, n: int) -> pa.Array:
    chars = [PLATE_CHARS.take(pa.array(rng.integers(0, len(PLATE_CHARS), n))) for _ in range(10)]
    return pc.binary_join_element_wise(_repeat("91421200", n), *chars, "")


# ------------------------------------------------------------------ reading the registry, writing deliveries


def read_registry_parquet(directory) -> tuple[pa.Table, pa.Table]:
    """(persons, households) from the Parquet files `fangpin synth --out` writes: the needed columns only."""
    directory = Path(directory)
    persons = pq.read_table(directory / "persons.parquet", columns=list(PERSON_COLUMNS))
    households = pq.read_table(directory / "households.parquet", columns=list(HOUSEHOLD_COLUMNS))
    return persons, households


def write_parquet_datasets(tables: dict[str, pa.Table], directory) -> dict[str, Path]:
    """DIR/datasets/<code>.parquet per kind: the rows as the departments send them (dirty IDs and all)."""
    out = Path(directory) / "datasets"
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for code, table in tables.items():
        paths[code] = out / f"{code}.parquet"
        pq.write_table(table, paths[code], compression="zstd", row_group_size=CHUNK)
    return paths


def read_registry(region, *, chunk: int = 50_000) -> tuple[pa.Table, pa.Table]:
    """(persons, households) of the active households in `region`'s subtree, in insertion order, with the
    columns `generate` reads. A plain queryset read in chunks: enough at the scales written to a database."""
    from fangpin.core.scoping import subtree_bounds
    from fangpin.registry.models import Household, Person

    low, high = subtree_bounds(region.path)
    households = Household.objects.filter(status="active", region__path__gte=low, region__path__lt=high)
    persons = Person.objects.filter(household__in=households)
    person_fields = [("household__number" if c == "household_number" else c) for c in PERSON_COLUMNS]
    household_fields = [("region__code" if c == "region_code" else c) for c in HOUSEHOLD_COLUMNS]
    return (
        _query_table(persons.order_by("pk").values_list(*person_fields), PERSON_COLUMNS, PERSON_TYPES, chunk),
        _query_table(
            households.order_by("pk").values_list(*household_fields),
            HOUSEHOLD_COLUMNS,
            HOUSEHOLD_TYPES,
            chunk,
        ),
    )


PERSON_TYPES = {
    "birth_date": pa.date32(),
    "disability_category": pa.int64(),
    "disability_grade": pa.int64(),
    **{
        c: pa.bool_()
        for c in ("disabled", "serious_illness", "chronic_disease", "employee_pension", "dibao", "tekun")
    },
}
HOUSEHOLD_TYPES = {f"water_{w}_ok": pa.bool_() for w in WATER}


def _query_table(rows, names: tuple[str, ...], types: dict, chunk: int) -> pa.Table:
    schema = pa.schema([pa.field(n, types.get(n, pa.string())) for n in names])
    batches, buffer = [], []

    def flush():
        columns = list(zip(*buffer, strict=True)) if buffer else [[] for _ in names]
        batches.append(
            pa.RecordBatch.from_arrays(
                [pa.array(c, f.type) for c, f in zip(columns, schema, strict=True)], schema=schema
            )
        )
        buffer.clear()

    for row in rows.iterator(chunk_size=chunk):
        buffer.append(row)
        if len(buffer) >= chunk:
            flush()
    flush()
    return pa.Table.from_batches(batches, schema=schema)


SYSTEM_USERNAME = "system-synth"


def system_user():
    """The account synthetic deliveries are recorded under: cannot log in (inactive, no usable password)."""
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": False, "display_name": "合成数据"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def delivered_kinds(region) -> set[str]:
    """Codes of the kinds already delivered synthetically to `region`."""
    from fangpin.core.models import ImportBatch

    kinds = ImportBatch.objects.filter(
        user__username=SYSTEM_USERNAME, region=region, status=ImportBatch.Status.SUCCEEDED
    ).values_list("kind", flat=True)
    return {k.removeprefix("dataset:") for k in kinds if k.startswith("dataset:")}


@dataclass
class Saved:
    """What `save_datasets` did for one kind: the dataset recorded, or None when one was already there."""

    kind: DatasetKind
    dataset: object | None
    rows: int


def save_datasets(tables: dict[str, pa.Table], *, region, seed: int) -> list[Saved]:
    """Record each table as a delivery to `region`, as an import would: the Parquet in `dataset_dir()` (ID
    numbers normalised, as the importer stores them; repeated rows kept), a succeeded ImportBatch of kind
    "dataset:<code>" by the system account, the DepartmentDataset, and lineage (PersonSource) by
    `match_and_link`. A kind already delivered synthetically to `region` is skipped, so a re-run adds nothing.

    The DepartmentDataset is bulk-created: like the registry's bulk rows it sends no post_save, so a bulk load
    does not start one incremental re-screening per delivery; run `fangpin screen` afterwards.
    """
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from fangpin.core.changelog import log_bulk
    from fangpin.core.models import ImportBatch
    from fangpin.exchange.importers import dataset_dir, match_and_link
    from fangpin.exchange.models import DepartmentDataset, PersonSource

    user = system_user()
    delivered = delivered_kinds(region)
    out: list[Saved] = []
    for code, table in tables.items():
        kind = BY_CODE[code]
        if code in delivered:
            out.append(Saved(kind, None, table.num_rows))
            continue
        table = _normalised(kind, table)
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                kind=kind.import_kind,
                department=kind.department,
                user=user,
                region=region,
                file_name=f"合成数据-{kind.name}-种子{seed}.parquet",
                file_sha256="",
                status=ImportBatch.Status.RUNNING,
            )
            path = dataset_dir() / kind.code / f"{batch.pk}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                pq.write_table(table, path, compression="zstd", row_group_size=CHUNK)
                relative = str(path.relative_to(settings.MEDIA_ROOT))
                dates = pc.min_max(table.column(kind.current_date_column)).as_py()
                (dataset,) = DepartmentDataset.objects.bulk_create(
                    [
                        DepartmentDataset(
                            kind=kind.code,
                            department=kind.department,
                            period_start=dates["min"],
                            period_end=dates["max"],
                            batch=batch,
                            row_count=table.num_rows,
                            parquet=relative,
                        )
                    ]
                )
                matched, sources = match_and_link(dataset, kind, path)
            except BaseException:
                path.unlink(missing_ok=True)  # the rows that would point at it roll back
                raise
            dataset.matched_count, dataset.unmatched_count = matched, table.num_rows - matched
            dataset.save(update_fields=["matched_count", "unmatched_count"])
            batch.file.name = relative  # the delivery is the Parquet itself: no other original file
            batch.file_sha256 = _sha256(path)
            batch.status = ImportBatch.Status.SUCCEEDED
            batch.rows_total = batch.created = table.num_rows
            batch.finished_at = timezone.now()
            batch.message = f"合成数据：{table.num_rows:,} 行，其中 {matched:,} 行匹配到登记人员"
            batch.save()
            log_bulk(
                DepartmentDataset, "bulk_create", 1, description=f"合成数据：{kind.name}（批次 {batch.pk}）"
            )
            log_bulk(
                PersonSource,
                "bulk_create",
                sources,
                description=f"{kind.name}（批次 {batch.pk}）数据来源 × {sources}",
            )
        out.append(Saved(kind, dataset, table.num_rows))
    return out


def _normalised(kind: DatasetKind, table: pa.Table) -> pa.Table:
    """ID numbers as the importer stores them: trimmed, upper-case X."""
    for c in kind.columns:
        if c.type == "id_number":
            i = table.schema.get_field_index(c.field)
            table = table.set_column(
                i, table.schema.field(i), pc.utf8_upper(pc.utf8_trim_whitespace(table.column(i)))
            )
    return table


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
