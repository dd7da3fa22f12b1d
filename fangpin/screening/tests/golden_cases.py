"""One golden case per catalogue rule: `build(world, hit)` adds a household or person that must hit (hit=True)
or sits just on the other side of the rule's boundary (hit=False), and returns the subject (the household row
for household rules, the person row for person rules). `evidence` is the hit's expected evidence JSON (a
subset) and `text` the fragments its Chinese explanation must contain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from fangpin.screening.tests.fixtures import AS_OF, World, born, days_ago, dec


@dataclass(frozen=True)
class Case:
    code: str
    build: Callable[[World, bool], dict]
    evidence: dict
    text: tuple[str, ...]


CASES: dict[str, Case] = {}


def case(code: str, evidence: dict, *text: str):
    def register(build):
        assert code not in CASES, code
        CASES[code] = Case(code, build, evidence, text)
        return build

    return register


def _poor(hit: bool) -> dict:
    return {"household_type": "脱贫户"} if hit else {}


# ------------------------------------------------------------------ monitoring


@case(
    "JC-01",
    {"per_capita_income": "7599.99", "risk_members": 1, "income_year": 2025, "housing_grade": "A"},
    "7,599.99",
    "7,600",
    "2025",
    "2026",
)
def _(w: World, hit: bool):
    # per-capita income exactly on the line does not hit `<`
    h = w.household(per_capita_income=dec("7599.99" if hit else "7600.00"))
    w.person(h, chronic_disease=True)
    return h


@case(
    "JC-02",
    {"per_capita_income": "6999.99", "prev_per_capita_income": "10000.00"},
    "6,999.99",
    "10,000",
    "0.30",
    "1.50",
)
def _(w, hit):
    # 10000 * (1 - 0.3) = 7000: a drop to exactly 7000 is not "more than 30 %"
    h = w.household(prev_per_capita_income=dec(10000), per_capita_income=dec("6999.99" if hit else "7000.00"))
    w.person(h)
    return h


@case("JC-03", {"compliant_out_of_pocket": "8000.01", "net_income": "10000.00"}, "8,000.01", "10,000", "0.80")
def _(w, hit):
    h = w.household(net_income=dec(10000), compliant_out_of_pocket=dec("8000.01" if hit else "8000.00"))
    w.person(h)
    return h


@case("JC-04", {"labour_members": 0, "per_capita_income": "10000.00"}, "16–59", "10,000", "7,600")
def _(w, hit):
    # the only member is 15 years 364 days old (not of working age) vs exactly 16 (of working age)
    h = w.household(per_capita_income=dec(10000))
    w.person(h, birth_date=born(16, days=1) if hit else born(16), student_status=None, education="初中")
    return h


@case("JC-05", {"housing_grade": "C"}, "C 级")
def _(w, hit):
    h = w.household(housing_grade="C" if hit else "B")
    w.person(h)
    return h


@case(
    "JC-06",
    {"water_quality_ok": False, "water_quantity_ok": True},
    "水质达标 否",
    "水量达标 是",
)
def _(w, hit):
    h = w.household(water_quality_ok=not hit)
    w.person(h)
    return h


@case("JC-07", {"hospital_self_pay_max": "6000.01"}, "6,000.01", "6,000", "365")
def _(w, hit):
    # a self-pay equal to the warning line does not hit `>`
    h, p = w.family(w.household(household_type="脱贫户"))
    w.record(
        "medical_settlement",
        p,
        visit_type="住院",
        admitted_on=days_ago(30),
        self_paid=dec("6000.01" if hit else "6000"),
    )
    w.record("medical_settlement", p, visit_type="普通门诊", admitted_on=days_ago(20), self_paid=dec(9000))
    return p


@case("JC-08", {"hospital_self_pay_max": "10000.01"}, "10,000.01", "10,000")
def _(w, hit):
    h, p = w.family()
    w.record("medical_settlement", p, visit_type="住院", admitted_on=days_ago(364), self_paid=dec("10000.01"))
    if not hit:  # the same stay one day earlier: exactly medical_window_days before as-of, outside the window
        w.rows["medical_settlement"][-1]["admitted_on"] = days_ago(365)
    return p


@case("JC-09", {"self_pay_window": "10196.01"}, "10,196.01", "20,392", "0.50")
def _(w, hit):
    # 20392 * 0.5 = 10196; two different stays add up
    h, p = w.family(w.household(household_type="脱贫户"))
    w.record("medical_settlement", p, visit_type="住院", admitted_on=days_ago(100), self_paid=dec(5098))
    w.record(
        "medical_settlement",
        p,
        visit_type="门诊慢特病",
        admitted_on=days_ago(50),
        self_paid=dec("5098.01" if hit else "5098"),
    )
    return p


@case("JC-10", {"self_pay_window": "20392.01"}, "20,392.01", "20,392")
def _(w, hit):
    h, p = w.family()
    w.record(
        "medical_settlement",
        p,
        visit_type="住院",
        admitted_on=days_ago(10),
        self_paid=dec("20392.01" if hit else "20392"),
    )
    return p


@case("JC-11", {"new_disability_card": True, "disabled": True}, "365", "登记残疾：是")
def _(w, hit):
    h, p = w.family(disabled=True, disability_card="4212231980050500191")
    w.record("disability_card", p, issued_on=days_ago(364 if hit else 365), category="肢体", grade="三级")
    return p


@case("JC-12", {"house_unsafe_reports": 1, "housing_grade": "A"}, "365", "登记危房等级 A")
def _(w, hit):
    h, p = w.family()
    w.record("house_appraisal", p, grade="D" if hit else "B", appraised_on=days_ago(10))
    return h


@case("JC-13", {"water_failed_reports": 1}, "365")
def _(w, hit):
    h, p = w.family()
    w.record(
        "water_check",
        p,
        quantity_ok="是",
        quality_ok="否" if hit else "是",
        convenience_ok="是",
        reliability_ok="是",
        checked_on=days_ago(10),
    )
    return h


@case(
    "JC-14",
    {"dropout_recent": "2026-03-01", "birth_date": str(born(16, days=1))},
    "2026-03-01",
    str(born(16, days=1)),
)
def _(w, hit):
    # 15 years 364 days is of compulsory-school age; exactly 16 is not
    h = w.household()
    w.person(h)
    p = w.person(
        h,
        relation="之子",
        birth_date=born(16, days=1) if hit else born(16),
        education=None,
        student_status="九年级",
        labour_skill="无劳动力",
    )
    w.record("school_dropout", p, dropout_on=dt.date(2026, 3, 1), returned="否", stage="初中")
    return p


@case("JC-15", {"dibao_started_recent": str(days_ago(364))}, str(days_ago(364)))
def _(w, hit):
    # a start exactly recent_days before as-of is not "recent"; one day later is
    h, p = w.family(dibao=True)
    w.record(
        "minimum_living", p, start_date=days_ago(364 if hit else 365), category="A类", monthly_amount=dec(500)
    )
    return p


@case("JC-16", {"tekun_started_recent": str(days_ago(30))}, str(days_ago(30)))
def _(w, hit):
    # ended on the as-of date is no longer in force
    h, p = w.family(tekun=True)
    w.record("extreme_poverty", p, start_date=days_ago(30), end_date=None if hit else AS_OF)
    return p


@case("JC-17", {"temporary_assistance_recent": "1500.00"}, "1,500", "365")
def _(w, hit):
    # a row dated on the as-of date is seen; a row dated the day after is not
    h, p = w.family()
    w.record(
        "temporary_assistance",
        p,
        amount=dec(1500),
        assistance_date=AS_OF if hit else AS_OF + dt.timedelta(days=1),
    )
    return p


@case("JC-18", {"unemployed_recent": str(days_ago(89))}, str(days_ago(89)), "90")
def _(w, hit):
    h, p = w.family()
    w.record("employment", p, status="失业", start_date=days_ago(89 if hit else 90))
    return p


@case("JC-19", {"insurer_claims_recent": "3000.00"}, "3,000")
def _(w, hit):
    h, p = w.family()
    w.record("insurer_claim", p, claim_type="因病", amount=dec(3000), paid_on=days_ago(364 if hit else 365))
    return p


# ------------------------------------------------------------------ quality


@case(
    "ZL-01",
    {"birth_date": str(born(60, days=1)), "labour_skill": "无劳动力"},
    str(born(60, days=1)),
    "“无劳动力”",
)
def _(w, hit):
    # 59 years 364 days is of working age; exactly 60 is not
    h, p = w.family(birth_date=born(60, days=1) if hit else born(60), labour_skill="无劳动力")
    return p


@case("ZL-02", {"work_location": "省外务工", "labour_skill": "丧失劳动力"}, "“省外务工”", "“丧失劳动力”")
def _(w, hit):
    h, p = w.family(
        work_location="省外务工", work_months=6, labour_skill="丧失劳动力" if hit else "弱劳动力或半劳动力"
    )
    return p


@case("ZL-03", {"work_location": "县外省内务工", "work_months": 0}, "“县外省内务工”", "0 个月")
def _(w, hit):
    h, p = w.family(work_location="县外省内务工", work_months=0 if hit else 1)
    return p


@case(
    "ZL-04",
    {"resident_medical": False, "employee_medical": False},
    "城乡居民基本医疗保险：否",
    "职工基本医疗保险：否",
)
def _(w, hit):
    h, p = w.family(resident_medical=not hit, employee_medical=False)
    return p


@case("ZL-05", {"critical_illness": False}, "参加大病保险：否")
def _(w, hit):
    h, p = w.family(w.household(household_type="脱贫户"), critical_illness=not hit)
    return p


@case("ZL-06", {"wage_income": "99.99", "income_year": 2025}, "99.99", "100", "2025")
def _(w, hit):
    h = w.household(wage_income=dec("99.99" if hit else "100.00"))
    w.person(h)
    return h


@case("ZL-07", {"education": None, "student_status": None}, "文化程度“无”")
def _(w, hit):
    h, p = w.family(education=None if hit else "小学", student_status=None)
    return p


@case("ZL-08", {"disabled": True, "disability_card": None}, "残疾人证号为空")
def _(w, hit):
    h, p = w.family(disabled=True, disability_card=None if hit else "42122319800505001X11")
    return p


@case("ZL-09", {"income_year": 2024}, "2024", "2026")
def _(w, hit):
    h = w.household(income_year=2024 if hit else 2025)
    w.person(h)
    return h


@case("ZL-10", {"member_count": 3, "members": 2}, "家庭人口数 3", "在册成员 2 人")
def _(w, hit):
    h = w.household(member_count=3 if hit else 2)
    w.person(h)
    w.person(h, relation="配偶", sex="女")
    return h


@case("ZL-11", {"head_count": 2}, "2 人")
def _(w, hit):
    h = w.household()
    w.person(h)
    w.person(h, relation="户主" if hit else "配偶", sex="女")
    return h


# ------------------------------------------------------------------ comparison


@case("BD-01", {"death_date_recorded": "2026-02-01"}, "2026-02-01")
def _(w, hit):
    # a death dated after the as-of date is not seen
    h, p = w.family()
    w.record("death_record", p, death_date=dt.date(2026, 2, 1) if hit else AS_OF + dt.timedelta(days=1))
    return p


@case(
    "BD-02", {"death_date_recorded": "2026-02-01", "dibao_paid_until": str(AS_OF)}, "2026-02-01", str(AS_OF)
)
def _(w, hit):
    h, p = w.family(dibao=True)
    w.record("death_record", p, death_date=dt.date(2026, 2, 1))
    w.record(
        "minimum_living", p, start_date=dt.date(2020, 1, 1), end_date=None if hit else dt.date(2026, 2, 1)
    )
    return p


@case("BD-03", {"on_public_payroll": True}, "财政供养人员")
def _(w, hit):
    h, p = w.family(w.household(household_type="脱贫户"))
    w.record(
        "public_payroll", p, staff_type="事业编制", hired_on=AS_OF if hit else AS_OF + dt.timedelta(days=1)
    )
    return p


@case("BD-04", {"vehicles_owned": 1, "dibao": True}, "1 辆", "享受低保：是")
def _(w, hit):
    h, p = w.family(dibao=True)
    w.record(
        "vehicle_registration",
        p,
        vehicle_type="小型轿车" if hit else "二轮摩托车",
        status="正常",
        registered_on=dt.date(2024, 1, 1),
    )
    return p


@case("BD-05", {"company_roles": 1}, "1 家", "10 万元")
def _(w, hit):
    # registered capital equal to the minimum counts (>=)
    h, p = w.family(w.household(household_type="脱贫户"))
    w.record(
        "company_registration",
        p,
        role="股东",
        status="存续",
        registered_capital=dec("10.00" if hit else "9.99"),
        established_on=dt.date(2022, 1, 1),
    )
    return p


@case("BD-06", {"cadre_relative": True}, "村干部的亲属")
def _(w, hit):
    h, p = w.family(w.household(household_type="脱贫户"))
    w.record("village_cadre", p, relation="配偶" if hit else "本人", since=dt.date(2021, 1, 1))
    return p


@case("BD-07", {"moved_in_recent": str(days_ago(729)), "cadre_relative": True}, str(days_ago(729)), "730 天")
def _(w, hit):
    h, p = w.family()
    w.record("household_move", p, move_type="迁入", move_date=days_ago(729 if hit else 730))
    w.record("village_cadre", p, relation="子女", since=dt.date(2021, 1, 1))
    return p


@case("BD-08", {"disabled": True, "disability_card": "42122319800505001X42"}, "42122319800505001X42")
def _(w, hit):
    h, p = w.family(disabled=True, disability_card="42122319800505001X42")
    if not hit:
        w.record("disability_card", p, issued_on=dt.date(2015, 1, 1), category="肢体", grade="四级")
    return p


@case("BD-09", {"dibao_active": True, "tekun_active": True}, "同时在保")
def _(w, hit):
    h, p = w.family(dibao=True, tekun=True)
    w.record("minimum_living", p, start_date=dt.date(2020, 1, 1))
    w.record(
        "extreme_poverty", p, start_date=dt.date(2020, 1, 1), end_date=dt.date(2030, 1, 1) if hit else AS_OF
    )
    return p


@case("BD-10", {"student_status": "七年级", "student_aid_recent": False}, "七年级", "365")
def _(w, hit):
    h = w.household(household_type="脱贫户")
    w.person(h)
    p = w.person(
        h,
        relation="之女",
        sex="女",
        birth_date=born(13),
        education=None,
        student_status="七年级",
        labour_skill="无劳动力",
    )
    w.record("student_aid", p, stage="初中", amount=dec(1250), paid_on=days_ago(365 if hit else 364))
    return p


@case("BD-11", {"birth_date": str(born(60)), "pension_receiving": False}, str(born(60)), "60 岁")
def _(w, hit):
    # exactly 60 on the as-of date is elderly; one day younger is not
    h, p = w.family(birth_date=born(60) if hit else born(60, days=1))
    w.record("pension", p, status="参保缴费", scheme="城乡居民基本养老保险", status_date=dt.date(2020, 1, 1))
    return p


@case("BD-12", {"dibao": True, "dibao_active": False}, "登记享受低保：是", "基准日在保：否")
def _(w, hit):
    h, p = w.family(dibao=True)
    w.record(
        "minimum_living",
        p,
        start_date=dt.date(2020, 1, 1),
        end_date=AS_OF if hit else AS_OF + dt.timedelta(days=1),
    )
    return p


@case("BD-13", {"birth_date": str(born(6)), "school_enrolled": False}, str(born(6)))
def _(w, hit):
    # exactly 6 is of compulsory-school age; 5 years 364 days is not
    h = w.household()
    w.person(h)
    return w.person(
        h,
        relation="之子",
        birth_date=born(6) if hit else born(6, days=1),
        education=None,
        student_status="学前教育",
        labour_skill="无劳动力",
    )


def rich_world_with_subjects() -> tuple[World, dict[str, tuple[dict, dict]]]:
    """Every case, hit and boundary, in one world (every rule hits at least once), with each rule's
    (hit subject, boundary subject)."""
    world = World()
    subjects = {code: (c.build(world, True), c.build(world, False)) for code, c in CASES.items()}
    return world, subjects


def rich_world() -> World:
    return rich_world_with_subjects()[0]
