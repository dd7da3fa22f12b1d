"""Test fixtures written once: a small region tree, a cast of users per level, and valid identity data.

The tree (real county and township codes, synthetic villages):

    咸宁市 421200
    ├── 崇阳县 421223
    │   ├── 白霓镇 421223104 ── 村A 421223104201, 村B 421223104202
    │   └── 天城镇 421223100 ── 村C 421223100201
    └── 通山县 421224
        └── 通羊镇 421224100 ── 村D 421224100201

The cast: city_admin (city), county_officer (崇阳), township_officer (白霓镇), village_cadre (村A),
village_cadre_b (村B), medical_officer (department 医保 at 崇阳), supervisor (崇阳), leader (city),
outsider (county officer of 通山: another county).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from fangpin.core.validators import id_check_char

PASSWORD = "test-pass-123"

_serial = itertools.count(1)


def make_id_number(region: str = "421223", birth: dt.date = dt.date(1980, 1, 1), sex: str = "male") -> str:
    """A valid, unique-per-call 18-digit ID number."""
    seq = next(_serial) % 500
    seq_digits = seq * 2 + (1 if sex == "male" else 0)
    first17 = f"{region}{birth:%Y%m%d}{seq_digits:03d}"
    return first17 + id_check_char(first17)


@dataclass
class Tree:
    province: Any
    city: Any
    county: Any
    township: Any
    village_a: Any
    village_b: Any
    township_2: Any
    village_c: Any
    other_county: Any
    other_township: Any
    village_d: Any


def build_tree() -> Tree:
    from fangpin.geo.models import Region

    def region(code, name, level, parent, **extra):
        return Region.objects.create(code=code, name=name, level=level, parent=parent, **extra)

    province = region("420000", "湖北省", "province", None)
    city = region("421200", "咸宁市", "city", province)
    county = region("421223", "崇阳县", "county", city, is_poor_county=True)
    township = region("421223104", "白霓镇", "township", county)
    village_a = region("421223104201", "大坪村", "village", township, is_synthetic=True)
    village_b = region("421223104202", "石门村", "village", township, is_synthetic=True)
    township_2 = region("421223100", "天城镇", "township", county)
    village_c = region("421223100201", "桂花村", "village", township_2, is_synthetic=True)
    other_county = region("421224", "通山县", "county", city, is_poor_county=True)
    other_township = region("421224100", "通羊镇", "township", other_county)
    village_d = region("421224100201", "湄港村", "village", other_township, is_synthetic=True)
    return Tree(
        province,
        city,
        county,
        township,
        village_a,
        village_b,
        township_2,
        village_c,
        other_county,
        other_township,
        village_d,
    )


CAST = {
    # username: (role, region attribute on Tree, department)
    "city_admin": ("city", "city", ""),
    "county_officer": ("county", "county", ""),
    "township_officer": ("township", "township", ""),
    "village_cadre": ("village", "village_a", ""),
    "village_cadre_b": ("village", "village_b", ""),
    "medical_officer": ("department", "county", "medical_insurance"),
    "supervisor": ("supervisor", "county", ""),
    "leader": ("leader", "city", ""),
    "outsider": ("county", "other_county", ""),
}


def build_cast(tree: Tree) -> dict[str, Any]:
    from fangpin.accounts.services import create_user

    return {
        username: create_user(
            username,
            role=role,
            region_code=getattr(tree, attr).code,
            password=PASSWORD,
            department=department,
        )
        for username, (role, attr, department) in CAST.items()
    }


def make_household(
    village,
    number: str | None = None,
    *,
    members: int = 2,
    household_type: str = "exited",
    income: bool = True,
):
    """A valid household with a head (male), optionally a spouse, and a year's income; saved without a user."""
    from decimal import Decimal

    from fangpin.registry.models import Household, HouseholdIncome, Person

    number = number or f"{village.code}{next(_serial):04d}"
    household = Household.objects.create(
        number=number,
        region=village,
        household_type=household_type,
        phone="13972100000",
        exit_year=2018 if household_type == "exited" else None,
        identification_standard="national" if household_type == "exited" else "",
        address=f"{village.name}{number[-3:]}号",
        housing_grade="B",
    )
    people = [
        ("head", "male", dt.date(1968, 5, 1)),
        ("spouse", "female", dt.date(1970, 3, 9)),
        ("son", "male", dt.date(1995, 7, 20)),
        ("daughter", "female", dt.date(2012, 9, 1)),
    ][:members]
    for i, (relation, sex, birth) in enumerate(people):
        Person.objects.create(
            household=household,
            id_number=make_id_number(village.code[:6], birth, sex),
            name=["张建国", "李秀英", "张伟", "张丽"][i],
            relation=relation,
            education="junior" if i < 3 else "",
            student_status="" if i < 3 else "primary",
            labour_skill="ordinary" if i < 3 else "none",
            resident_medical=True,
            critical_illness=True,
        )
    if income:
        HouseholdIncome.objects.create(
            household=household,
            year=2025,
            wage=Decimal("30000"),
            business=Decimal("5000"),
            transfer=Decimal("2000"),
            business_cost=Decimal("1000"),
        )
    household.refresh_summary()
    household.refresh_from_db()
    return household


def all_url_names(urlconf=None) -> set[str]:
    """Every named URL pattern (namespaced), so a test can insist each one is covered by the scope tests."""
    from django.urls import get_resolver
    from django.urls.resolvers import URLResolver

    names: set[str] = set()

    def walk(patterns, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns)
            elif p.name:
                names.add(f"{namespace}{p.name}")

    walk(get_resolver(urlconf).url_patterns, "")
    return names


def xlsx_rows(content: bytes) -> list[list]:
    """The rows of the first sheet of an .xlsx download."""
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(content), read_only=True)
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


def xlsx_file(header, rows):
    """An in-memory .xlsx with a header row and rows, as a user would upload it."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out
