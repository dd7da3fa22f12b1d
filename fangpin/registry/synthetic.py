"""A synthetic but realistic Xianning registry, calibrated to spec §13, deterministic for a seed.

Every village is generated from its own random stream, seeded by (seed, village code), so a village comes out
the same whatever the scale or order of the run. Rows are plain dicts (model field names); `write_database`
turns them into model rows with bulk inserts, `write_parquet` streams them to Parquet files for benchmarks.

Identity data is fake by construction: ID numbers are valid (GB 11643 check character, real county prefixes)
but random; phone numbers are in 19900xxxxxx, the range fangpin reserves for synthetic data; names are drawn
from common surnames and given-name characters.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from fangpin.core.validators import id_check_char

AS_OF = dt.date(2026, 1, 1)
INCOME_YEARS = (2024, 2025)
POOR_COUNTIES = {"421222", "421223", "421224"}
SYNTHETIC_PHONE_PREFIX = "19900"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# Surnames weighted towards the common ones: the first twenty cover about half of the population.
SURNAME_WEIGHTS = [6.0 if i < 20 else 2.0 if i < 50 else 1.0 for i in range(len(SURNAMES))]
GIVEN_MALE = "伟强军磊勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳建国兵文志海春松德成永金福贵"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英华慧巧美娥玲桂珍凤红梅琴云莲兰燕萍雪琳翠菊香月娇萍"
VILLAGE_FIRST = "大小上下东西南北新老高石桂竹杨柳茶枫花青白金黄马龙凤团双三五"
VILLAGE_SECOND = "坪岭湾冲港塘桥畈源坑庄铺岗山溪湖垅田堰洞泉"

HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6, 7)
HOUSEHOLD_SIZE_WEIGHTS = (14, 24, 20, 20, 13, 6, 3)
WORK_LOCATIONS = ("out_of_province", "in_province", "in_county", "in_township")
WORK_LOCATION_WEIGHTS = (35, 20, 15, 10)
DISABILITY_CATEGORY_WEIGHTS = (12, 16, 3, 40, 10, 9, 10)  # 视力 听力 言语 肢体 智力 精神 多重
ETHNICITIES = ("han", "tujia", "miao", "hui", "zhuang")
ETHNICITY_WEIGHTS = (980, 10, 5, 3, 2)


def is_rural_township(code: str) -> bool:
    """镇 (1xx) and 乡 (2xx) hold rural villages; 街道, farms, parks and development zones do not."""
    return 100 <= int(code[6:]) < 300


def village_rng(seed: int, code: str) -> random.Random:
    # String seeds are hashed with SHA-512 by `random`, so this is stable across processes and Python runs.
    return random.Random(f"fangpin-synth:{seed}:{code}")


@dataclass
class VillagePlan:
    """A village to generate: its code and name under a township, and whether it was a poor village."""

    code: str
    name: str
    township_code: str
    county_code: str
    is_poor: bool
    id_slot: int = (
        0  # this village's own ID sequence numbers within its county: 2·slot (女) and 2·slot+1 (男)
    )


MAX_VILLAGES_PER_TOWNSHIP = 18


def _rural_township_ranks() -> dict[str, int]:
    """Each real rural township's position among its county's rural townships (from the shipped data file)."""
    import csv
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "geo" / "data" / "xianning.csv"
    by_county: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["level"] == "township" and is_rural_township(row["code"]):
                by_county.setdefault(row["parent"], []).append(row["code"])
    return {code: rank for codes in by_county.values() for rank, code in enumerate(sorted(codes))}


TOWNSHIP_RANKS = _rural_township_ranks()


def township_rank(township_code: str) -> int:
    """Real townships rank by the data file; the province layout's synthetic ones are numbered 100–109."""
    return TOWNSHIP_RANKS.get(township_code, int(township_code[6:]) - 100)


def plan_villages(seed: int, township_code: str, county_code: str) -> list[VillagePlan]:
    """12–18 villages per rural township, with plausible names; ≈192 poor villages across the city.

    The plan depends on the township alone, not on the seed, so every seed and every scale sees the same
    villages; the seed only changes the households in them.
    """
    rng = random.Random(f"fangpin-plan:{township_code}")
    count = rng.randint(12, MAX_VILLAGES_PER_TOWNSHIP)
    rank = township_rank(township_code)
    names: set[str] = set()
    plans = []
    poor_share = 0.22 if county_code in POOR_COUNTIES else 0.18
    for i in range(count):
        name = ""
        while not name or name in names:
            name = rng.choice(VILLAGE_FIRST) + rng.choice(VILLAGE_SECOND) + "村"
        names.add(name)
        plans.append(
            VillagePlan(
                f"{township_code}{201 + i:03d}",
                name,
                township_code,
                county_code,
                rng.random() < poor_share,
                id_slot=rank * MAX_VILLAGES_PER_TOWNSHIP + i,
            )
        )
    return plans


def make_id_number(county_code: str, birth: dt.date, seq: int) -> str:
    first17 = f"{county_code}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


@dataclass
class VillageIds:
    """ID numbers for one village, unique by construction and drawn from no random stream.

    A village owns two sequence numbers in its county (one odd for men, one even for women), so no two villages
    can give out the same number, whatever the scale or order of the run. Two people of the same sex born on
    the same day in one village: the second is moved a day earlier.
    """

    county_code: str
    slot: int
    used: set[str] = field(default_factory=set)

    def issue(self, birth: dt.date, sex: str) -> tuple[str, dt.date]:
        seq = 2 * self.slot + (1 if sex == "male" else 0)
        if seq > 999:
            raise ValueError(f"village slot {self.slot} is beyond the 3-digit ID sequence")
        while True:
            number = make_id_number(self.county_code, birth, seq)
            if number not in self.used:
                self.used.add(number)
                return number, birth
            birth -= dt.timedelta(days=1)


def _money(value: float) -> Decimal:
    return Decimal(int(round(value)))


@dataclass
class Member:
    relation: str
    sex: str
    age: int
    surname: str


def _household_members(rng: random.Random, size: int, surname: str) -> list[Member]:
    """A family whose relations, sexes and ages fit together (spouse opposite sex, children 20+ years younger)."""
    head_sex = "male" if rng.random() < 0.85 else "female"
    if size == 1:
        head_age = int(min(92, max(25, rng.gauss(66, 12))))
    else:
        head_age = int(min(85, max(24, rng.gauss(52, 12))))
    members = [Member("head", head_sex, head_age, surname)]
    if size >= 2 and (rng.random() < 0.9 or size >= 4):
        spouse_sex = "female" if head_sex == "male" else "male"
        members.append(
            Member("spouse", spouse_sex, max(20, head_age + rng.randint(-6, 4)), rng.choice(SURNAMES))
        )
    parents = 0
    sons: list[Member] = []
    while len(members) < size:
        options = []
        if head_age >= 22:
            options += ["child"] * 4
        if sons and any(s.age >= 22 for s in sons):
            options += ["grandchild"] * 2
            if not any(m.relation == "daughter_in_law" for m in members):
                options += ["daughter_in_law"] * 2
        if head_age <= 62 and parents < 2:
            options += ["parent"]
        choice = rng.choice(options or ["sibling"])
        if choice == "child":
            age = max(0, head_age - rng.randint(20, 36))
            sex = "male" if rng.random() < 0.52 else "female"
            member = Member("son" if sex == "male" else "daughter", sex, age, surname)
            if sex == "male":
                sons.append(member)
        elif choice == "grandchild":
            father = max(sons, key=lambda s: s.age)
            age = max(0, father.age - rng.randint(20, 32))
            sex = "male" if rng.random() < 0.52 else "female"
            member = Member("grandson" if sex == "male" else "granddaughter", sex, age, surname)
        elif choice == "daughter_in_law":
            son = max(sons, key=lambda s: s.age)
            member = Member(
                "daughter_in_law", "female", max(20, son.age + rng.randint(-4, 2)), rng.choice(SURNAMES)
            )
        elif choice == "parent":
            # The head's own father and mother: the second parent is the other sex.
            first = next((m for m in members if m.relation in ("father", "mother")), None)
            sex = ("female" if first.sex == "male" else "male") if first else rng.choice(("male", "female"))
            parents += 1
            member = Member(
                "father" if sex == "male" else "mother",
                sex,
                min(98, head_age + rng.randint(22, 32)),
                surname if sex == "male" and head_sex == "male" else rng.choice(SURNAMES),
            )
        else:
            sex = "male" if rng.random() < 0.5 else "female"
            member = Member("sibling", sex, max(16, head_age + rng.randint(-10, 10)), surname)
        members.append(member)
    return members


def _birth_date(rng: random.Random, age: int) -> dt.date:
    latest = AS_OF.replace(year=AS_OF.year - age) - dt.timedelta(days=1)
    return latest - dt.timedelta(days=rng.randint(0, 364))


def _name(rng: random.Random, surname: str, sex: str) -> str:
    pool = GIVEN_MALE if sex == "male" else GIVEN_FEMALE
    return surname + "".join(rng.choice(pool) for _ in range(1 if rng.random() < 0.35 else 2))


def _schooling(rng: random.Random, age: int) -> tuple[str, str]:
    """(education, student_status): exactly one is set."""
    if age < 3:
        return "", "preschool_child"
    if age < 6:
        return "", "preschool"
    if age < 12:
        return "", "primary"
    if age < 15:
        return "", ("grade_7", "grade_8", "grade_9")[age - 12]
    if age < 18:
        r = rng.random()
        year = age - 14
        if r < 0.68:
            return "", f"high_{year}"
        if r < 0.9:
            return "", f"vocational_{year}"
        return "junior", ""
    if age < 22 and rng.random() < 0.3:
        year = age - 17
        return "", (f"undergraduate_{year}" if rng.random() < 0.45 else f"higher_vocational_{min(year, 3)}")
    r = rng.random()
    if age >= 70:
        return ("illiterate" if r < 0.4 else "primary" if r < 0.85 else "junior"), ""
    if age >= 50:
        return (
            "illiterate" if r < 0.03 else "primary" if r < 0.38 else "junior" if r < 0.88 else "senior"
        ), ""
    return (
        "junior" if r < 0.5 else "senior" if r < 0.8 else "junior_college" if r < 0.92 else "bachelor"
    ), ""


def _health(rng: random.Random, age: int) -> tuple[bool, bool, bool]:
    band = 0 if age < 40 else 1 if age < 60 else 2
    chronic = rng.random() < (0.05, 0.2, 0.38)[band]
    serious = rng.random() < (0.015, 0.04, 0.07)[band]
    disabled = rng.random() < (0.035, 0.06, 0.09)[band]
    return chronic, serious, disabled


def _labour(
    rng: random.Random, age: int, student: str, serious: bool, disabled_grade: int | None, chronic: bool
):
    if age < 16 or student:
        return "none"
    if age >= 70:
        return "none" if rng.random() < 0.85 else "weak"
    if serious:
        return "lost" if rng.random() < 0.5 else "weak"
    if disabled_grade is not None and disabled_grade <= 2:
        return "lost"
    if age >= 60:
        r = rng.random()
        return "weak" if r < 0.4 else "ordinary" if r < 0.8 else "none"
    if (disabled_grade is not None) or (chronic and rng.random() < 0.3):
        return "weak"
    r = rng.random()
    return "ordinary" if r < 0.9 else "skilled" if r < 0.98 else "weak"


def generate_village(
    seed: int, village: VillagePlan, households_per_village: int
) -> tuple[list[dict], list[dict], list[dict]]:
    """(households, persons, incomes) of one village, as dicts keyed by model field names."""
    rng = village_rng(seed, village.code)
    ids = VillageIds(village.county_code, village.id_slot)
    poor_county = village.county_code in POOR_COUNTIES
    exited_share = 0.3 + (0.08 if poor_county else 0) + (0.12 if village.is_poor else 0)
    count = max(1, int(households_per_village * rng.uniform(0.85, 1.15)))
    households, persons, incomes = [], [], []
    for serial in range(1, count + 1):
        number = f"{village.code}{serial:04d}"
        exited = rng.random() < exited_share
        size = rng.choices(HOUSEHOLD_SIZES, HOUSEHOLD_SIZE_WEIGHTS)[0]
        surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
        members = _household_members(rng, size, surname)
        rows = []
        for m in members:
            birth = _birth_date(rng, m.age)
            education, student = _schooling(rng, m.age)
            chronic, serious, disabled = _health(rng, m.age)
            category = grade = None
            card = ""
            if disabled:
                category = rng.choices(range(1, 8), DISABILITY_CATEGORY_WEIGHTS)[0]
                grade = rng.choices((1, 2, 3, 4), (10, 20, 35, 35))[0]
            labour = _labour(rng, m.age, student, serious, grade, chronic)
            location, months = "", 0
            if labour in ("ordinary", "skilled") and m.age < 60 and rng.random() < 0.8:
                location = rng.choices(WORK_LOCATIONS, WORK_LOCATION_WEIGHTS)[0]
                months = rng.randint(6, 11)
            elif labour in ("ordinary", "weak") and m.age < 65 and rng.random() < 0.15:
                location, months = "in_township", rng.randint(2, 8)
            post, post_months = "", 0
            if not location and labour in ("ordinary", "weak") and 40 <= m.age < 65 and rng.random() < 0.05:
                post, post_months = rng.choice(("village", "township", "department")), rng.randint(6, 12)
            id_number, birth = ids.issue(birth, m.sex)
            if disabled and rng.random() < 0.7:
                card = f"{id_number}{category}{grade}"
            employee = labour == "skilled" and location in ("in_county", "in_province") and rng.random() < 0.3
            adult = m.age >= 16 and not student
            rows.append(
                {
                    "household_number": number,
                    "id_number": id_number,
                    "name": _name(rng, m.surname, m.sex),
                    "sex": m.sex,
                    "birth_date": birth,
                    "relation": m.relation,
                    "ethnicity": rng.choices(ETHNICITIES, ETHNICITY_WEIGHTS)[0],
                    "political_status": (
                        "cpc_member"
                        if adult and rng.random() < 0.06
                        else "cyl_member"
                        if 14 <= m.age <= 28 and rng.random() < 0.2
                        else "masses"
                    ),
                    "education": education,
                    "student_status": student,
                    "chronic_disease": chronic,
                    "serious_illness": serious,
                    "disabled": disabled,
                    "disability_category": category,
                    "disability_grade": grade,
                    "disability_card": card,
                    "labour_skill": labour,
                    "work_location": location,
                    "work_months": months,
                    "employer": (
                        rng.choice(("某电子厂", "某建筑公司", "某服装厂", "某物流公司", "某餐饮店"))
                        if location and rng.random() < 0.6
                        else ""
                    ),
                    "public_post": post,
                    "public_post_months": post_months,
                    "resident_medical": not employee,
                    "employee_medical": employee,
                    "critical_illness": exited or rng.random() < 0.9,
                    "commercial_medical": rng.random() < 0.05,
                    "resident_pension": adult and not employee and m.age >= 16 and rng.random() < 0.85,
                    "employee_pension": employee,
                    "dibao": False,
                    "tekun": False,
                    "left_behind_child": False,
                    "left_behind_elderly": False,
                    "left_behind_woman": False,
                    "is_synthetic": True,
                }
            )
        _household_flags(rng, rows, exited)
        household = _household_row(rng, village, number, serial, exited, rows)
        household_incomes = _incomes(rng, number, rows, exited)
        household["income_year"] = household_incomes[-1]["year"]
        household["per_capita_income"] = household_incomes[-1]["per_capita_net_income"]
        households.append(household)
        persons.extend(rows)
        incomes.extend(household_incomes)
    return households, persons, incomes


def _household_flags(rng: random.Random, rows: list[dict], exited: bool) -> None:
    """低保/特困 and left-behind flags, which depend on the whole household."""
    capable = [r for r in rows if r["labour_skill"] in ("ordinary", "skilled")]
    if not capable:
        if len(rows) == 1 and rows[0]["birth_date"].year <= AS_OF.year - 60 and rng.random() < 0.3:
            rows[0]["tekun"] = True
        elif rng.random() < (0.5 if exited else 0.15):
            for r in rows:
                r["dibao"] = True
    elif rng.random() < 0.02:
        for r in rows:
            r["dibao"] = True
    away = {r["relation"] for r in rows if r["work_location"] and r["work_location"] != "in_township"}
    adults_away = {"head", "spouse"} & {r["relation"] for r in rows} <= away and bool(away)
    for r in rows:
        age = AS_OF.year - r["birth_date"].year
        if r["relation"] in ("son", "daughter", "grandson", "granddaughter") and age < 16 and adults_away:
            r["left_behind_child"] = True
        if age >= 60 and not r["work_location"] and capable and all(c["work_location"] for c in capable):
            r["left_behind_elderly"] = True
        if (
            r["relation"] == "spouse"
            and r["sex"] == "female"
            and 20 <= age < 60
            and not r["work_location"]
            and "head" in away
        ):
            r["left_behind_woman"] = True


def _household_row(
    rng: random.Random, village: VillagePlan, number: str, serial: int, exited: bool, rows: list[dict]
) -> dict:
    group = rng.randint(1, 9)
    relocated = exited and rng.random() < 0.08
    if exited:
        grade = rng.choices(("A", "B", "C", "D"), (600, 395, 4, 1))[0]
    else:
        grade = rng.choices(("", "A", "B", "C"), (400, 350, 248, 2))[0]
    water = [True, True, True, True]
    if rng.random() < 0.03:
        water[rng.randrange(4)] = False
    head = next(r for r in rows if r["relation"] == "head")
    return {
        "number": number,
        "region_code": village.code,
        "natural_village": f"{group}组",
        "household_type": "exited" if exited else "ordinary",
        "status": "active",
        "exit_year": rng.choices(range(2014, 2021), (8, 14, 18, 20, 18, 14, 8))[0] if exited else None,
        "identification_standard": rng.choices(("national", "provincial", "municipal"), (85, 10, 5))[0]
        if exited
        else "",
        "phone": f"{SYNTHETIC_PHONE_PREFIX}{rng.randrange(10**6):06d}",
        "address": f"{village.name}{group}组{serial}号",
        "in_relocation_site": relocated,
        "relocation_site": f"{village.name}易地扶贫搬迁集中安置点" if relocated else "",
        "is_military_family": rng.random() < 0.01,
        "housing_grade": grade,
        "water_quantity_ok": water[0],
        "water_quality_ok": water[1],
        "water_convenience_ok": water[2],
        "water_reliability_ok": water[3],
        "member_count": len(rows),
        "head_name": head["name"],
        "is_synthetic": True,
    }


def _incomes(rng: random.Random, number: str, rows: list[dict], exited: bool) -> list[dict]:
    """Two years of income; per-capita net income log-normal (median ≈13,000 exited, 16,000 ordinary)."""
    size = len(rows)
    workers = sum(1 for r in rows if r["work_location"] or r["public_post"])
    capable = sum(1 for r in rows if r["labour_skill"] in ("ordinary", "skilled", "weak"))
    median = (13_000 if exited else 16_000) * (1.0 if capable else 0.55)
    per_capita = median * math.exp(rng.gauss(0, 0.35))
    illness = any(r["serious_illness"] for r in rows)
    chronic = any(r["chronic_disease"] for r in rows)
    result = []
    for i, year in enumerate(INCOME_YEARS):
        if i:
            per_capita *= 1 + rng.gauss(0.06, 0.05)
        net = per_capita * size
        if workers:
            shares = (rng.uniform(0.6, 0.7), rng.uniform(0.15, 0.2), rng.uniform(0.03, 0.05))
        else:
            shares = (0.0, rng.uniform(0.15, 0.25), rng.uniform(0.05, 0.1))
        wage, business_net, prop = (net * s for s in shares)
        transfer = net - wage - business_net - prop
        cost_rate = rng.uniform(0.2, 0.4)
        business = business_net / (1 - cost_rate)
        values = {
            "wage": _money(wage),
            "business": _money(business),
            "property": _money(prop),
            "transfer": _money(max(transfer, 0)),
            "business_cost": _money(business - business_net),
        }
        net_income = (
            values["wage"]
            + values["business"]
            + values["property"]
            + values["transfer"]
            - values["business_cost"]
        )
        claims = (
            _money(rng.uniform(2_000, 30_000)) if rng.random() < (0.3 if illness else 0.02) else Decimal(0)
        )
        if illness:
            out_of_pocket = _money(rng.uniform(3_000, 40_000))
        elif chronic and rng.random() < 0.4:
            out_of_pocket = _money(rng.uniform(500, 5_000))
        else:
            out_of_pocket = Decimal(0)
        result.append(
            {
                "household_number": number,
                "year": year,
                **values,
                "claims_income": claims,
                "compliant_out_of_pocket": out_of_pocket,
                "net_income": net_income,
                "household_size": size,
                # The model's own formula (HouseholdIncome.compute): net / size, half-up to the fen.
                "per_capita_net_income": (net_income / size).quantize(Decimal("0.01"), ROUND_HALF_UP),
            }
        )
    return result


def iter_villages(
    seed: int,
    township_codes: list[tuple[str, str]],
    households_per_village: int,
) -> Iterator[tuple[VillagePlan, list, list, list]]:
    """Generate village after village for (township code, county code) pairs, in code order."""
    for township_code, county_code in sorted(township_codes):
        for village in plan_villages(seed, township_code, county_code):
            yield village, *generate_village(seed, village, households_per_village)


def write_database(
    villages: Iterator[tuple[VillagePlan, list, list, list]], *, progress=None
) -> dict[str, int]:
    """Bulk-insert generated villages into the database (regions, households, persons, incomes).

    A village that already has households is skipped whole, so re-running the same command adds nothing.
    The change log gets one summary row per model (bulk inserts send no per-object signals).
    """
    from django.db import transaction

    from fangpin.core.bulk import insert_rows
    from fangpin.core.changelog import log_bulk
    from fangpin.geo.models import Region
    from fangpin.registry.models import Household, HouseholdIncome, Person

    counts = {"villages": 0, "skipped_villages": 0, "households": 0, "persons": 0, "incomes": 0}
    townships: dict[str, Region] = {}
    for village, households, persons, incomes in villages:
        township = townships.get(village.township_code)
        if township is None:
            township = townships[village.township_code] = Region.objects.get(code=village.township_code)
        with transaction.atomic():
            region, created = Region.objects.get_or_create(
                code=village.code,
                defaults={
                    "name": village.name,
                    "level": "village",
                    "kind": "村",
                    "parent": township,
                    "is_poor_village": village.is_poor,
                    "is_synthetic": True,
                },
            )
            if not created and Household.objects.filter(region=region).exists():
                counts["skipped_villages"] += 1
                if progress:
                    progress(village, 0)
                continue
            _avoid_existing_ids(persons)
            insert_rows(
                Household,
                (
                    {**{k: v for k, v in h.items() if k != "region_code"}, "region_id": region.pk}
                    for h in households
                ),
            )
            ids = dict(Household.objects.filter(region=region).values_list("number", "pk"))
            insert_rows(
                Person,
                (
                    {
                        **{k: v for k, v in p.items() if k != "household_number"},
                        "household_id": ids[p["household_number"]],
                    }
                    for p in persons
                ),
            )
            insert_rows(
                HouseholdIncome,
                (
                    {
                        **{k: v for k, v in i.items() if k != "household_number"},
                        "household_id": ids[i["household_number"]],
                    }
                    for i in incomes
                ),
            )
        counts["villages"] += 1
        counts["households"] += len(households)
        counts["persons"] += len(persons)
        counts["incomes"] += len(incomes)
        if progress:
            progress(village, len(persons))
    for model, key in ((Household, "households"), (Person, "persons"), (HouseholdIncome, "incomes")):
        if counts[key]:
            log_bulk(
                model,
                "bulk_create",
                counts[key],
                description=f"合成数据：{model._meta.verbose_name} × {counts[key]}",
            )
    return counts


def _avoid_existing_ids(persons: list[dict]) -> None:
    """Synthetic villages cannot clash with each other (each owns its ID sequence numbers), but a real person
    imported or typed in may hold one of the numbers: move such a synthetic person a day earlier until free."""
    from fangpin.registry.models import Person

    in_batch = {p["id_number"] for p in persons}
    taken = set(Person.objects.filter(id_number__in=in_batch).values_list("id_number", flat=True))
    while taken:
        clashes = [p for p in persons if p["id_number"] in taken]
        for person in clashes:
            in_batch.discard(person["id_number"])
            seq = int(person["id_number"][14:17])
            birth = person["birth_date"]
            while True:
                birth -= dt.timedelta(days=1)
                number = make_id_number(person["id_number"][:6], birth, seq)
                if number not in in_batch:
                    break
            if person["disability_card"]:
                person["disability_card"] = number + person["disability_card"][18:]
            person["id_number"], person["birth_date"] = number, birth
            in_batch.add(number)
        candidates = {p["id_number"] for p in clashes}
        taken = set(Person.objects.filter(id_number__in=candidates).values_list("id_number", flat=True))


def write_parquet(
    villages: Iterator[tuple[VillagePlan, list, list, list]],
    out_dir,
    *,
    progress=None,
    flush_rows: int = 200_000,
) -> dict[str, int]:
    """Stream generated villages into households.parquet, persons.parquet and incomes.parquet (bounded memory)."""
    from pathlib import Path

    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    writers: dict[str, pq.ParquetWriter] = {}
    buffers: dict[str, list[dict]] = {"households": [], "persons": [], "incomes": []}
    counts = {"villages": 0, "households": 0, "persons": 0, "incomes": 0}

    def flush(name: str) -> None:
        rows = buffers[name]
        if not rows:
            return
        table = pa.Table.from_pylist(rows)
        if name not in writers:
            writers[name] = pq.ParquetWriter(out / f"{name}.parquet", table.schema, compression="zstd")
        writers[name].write_table(table.cast(writers[name].schema))
        buffers[name] = []

    try:
        for village, households, persons, incomes in villages:
            buffers["households"].extend(households)
            buffers["persons"].extend(persons)
            buffers["incomes"].extend(incomes)
            counts["villages"] += 1
            counts["households"] += len(households)
            counts["persons"] += len(persons)
            counts["incomes"] += len(incomes)
            for name, rows in buffers.items():
                if len(rows) >= flush_rows:
                    flush(name)
            if progress:
                progress(village, len(persons))
        for name in buffers:
            flush(name)
    finally:
        for writer in writers.values():
            writer.close()
    return counts


def province_townships() -> list[tuple[str, str]]:
    """A province-sized layout for Parquet benchmarks (≈10 million persons): Xianning-like counties with
    synthetic codes under Hubei's real city prefixes. Not written to the database."""
    cities = (
        "4201",
        "4202",
        "4203",
        "4205",
        "4206",
        "4207",
        "4208",
        "4209",
        "4210",
        "4211",
        "4212",
        "4213",
        "4228",
    )
    return [
        (f"{city}{21 + c:02d}{100 + t}", f"{city}{21 + c:02d}")
        for city in cities
        for c in range(6)
        for t in range(10)
    ]
