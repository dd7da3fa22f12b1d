"""Member consistency rules (spec §5.3), the income formula (spec §3.10) and household rules, through the
services every page, API call and import uses. Each refusal must carry a Chinese message on the right field and
leave the database exactly as it was.

households["a"] (村A, seen by village_cadre) has a head 张建国 (male, 1968) and a spouse 李秀英 (female, 1970), and a
2025 income of wage 30000 + business 5000 + transfer 2000 − business cost 1000 = 36000, i.e. 18000 per person.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from fangpin.core import testing
from fangpin.core.models import ObjectChange
from fangpin.core.validators import id_check_char
from fangpin.registry import services
from fangpin.registry.models import Household, HouseholdIncome, Person

TODAY = dt.date.today()


@pytest.fixture
def cadre(cast):
    return cast["village_cadre"]


@pytest.fixture
def home(households):
    return households["a"]


# --------------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------------

_seq = iter(range(1, 10_000))
OUR_REGION = (
    "421281"  # 赤壁市: core.testing makes numbers only for 崇阳/通山, so ours never collide with them
)


def new_id(birth: dt.date = dt.date(1995, 7, 20), sex: str = "male", region: str = OUR_REGION) -> str:
    """A valid ID number, different on every call (within a test)."""
    seq = (next(_seq) % 500) * 2 + (1 if sex == "male" else 0)
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


def x_id(birth: dt.date = dt.date(1996, 3, 3), sex: str = "male") -> str:
    """A valid ID number ending in X."""
    for seq in range(1000):
        if (seq % 2 == 1) != (sex == "male"):
            continue
        first17 = f"{OUR_REGION}{birth:%Y%m%d}{seq:03d}"
        if id_check_char(first17) == "X":
            return first17 + "X"
    raise AssertionError


def member(household, relation="son", *, sex="male", birth=dt.date(1995, 7, 20), id_number=None, **fields):
    """An otherwise valid member: a worker with junior-school education and resident medical insurance."""
    values = dict(
        household=household,
        id_number=id_number or new_id(birth, sex),
        name="张测试",
        relation=relation,
        education="junior",
        student_status="",
        labour_skill="ordinary",
        resident_medical=True,
        employee_medical=False,
        critical_illness=True,
    )
    values.update(fields)
    return Person(**values)


def snapshot(household=None):
    state = {
        "persons": list(Person.objects.order_by("pk").values()),
        "households": list(Household.objects.order_by("pk").values()),
        "incomes": list(HouseholdIncome.objects.order_by("pk").values()),
        "changes": ObjectChange.objects.count(),
    }
    for rows in state.values():
        if isinstance(rows, list):
            for row in rows:
                row.pop("updated_at", None)
    return state


def is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def refused(call, field: str | None, *words: str) -> dict:
    """Run `call`; it must raise ValidationError on `field` with a Chinese message containing `words`, and
    change nothing at all."""
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        call()
    errors = exc.value.message_dict if hasattr(exc.value, "error_dict") else {"__all__": exc.value.messages}
    if field is not None:
        assert field in errors, f"expected an error on {field!r}, got {errors}"
        text = " ".join(errors[field])
    else:
        text = " ".join(m for msgs in errors.values() for m in msgs)
    assert is_chinese(text), errors
    for word in words:
        assert word in text, f"{word!r} not in {text!r}"
    assert snapshot() == before, "a refused write changed the database"
    return errors


def api(user) -> APIClient:
    client = APIClient()
    response = client.post(
        "/api/auth/token/", {"username": user.username, "password": testing.PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def person_payload(household, **overrides) -> dict:
    data = {
        "household": household.pk,
        "id_number": new_id(),
        "name": "张测试",
        "relation": "son",
        "education": "junior",
        "labour_skill": "ordinary",
        "resident_medical": True,
        "critical_illness": True,
    }
    data.update(overrides)
    return data


# --------------------------------------------------------------------------------------------------------------
# Valid members; sex and birth date come from the ID
# --------------------------------------------------------------------------------------------------------------


def test_a_valid_son_is_added_with_sex_and_birth_date_from_the_id(home, cadre):
    number = new_id(dt.date(1997, 11, 30), "male")
    p = member(
        home, "son", id_number=number, sex="female", birth_date=dt.date(2000, 1, 1)
    )  # typed values lose
    services.save_person(p, user=cadre)
    p.refresh_from_db()
    assert p.sex == "male"
    assert p.birth_date == dt.date(1997, 11, 30)
    assert p.id_number == number


def test_a_valid_daughter_is_female(home, cadre):
    p = services.save_person(
        member(
            home, "daughter", sex="female", birth=dt.date(2010, 2, 3), education="", student_status="grade_8"
        ),
        user=cadre,
    )
    p.refresh_from_db()
    assert (p.sex, p.birth_date) == ("female", dt.date(2010, 2, 3))


def test_changing_the_id_rederives_sex_and_birth_date(home, cadre):
    p = services.save_person(member(home, "sibling", sex="male", birth=dt.date(1980, 1, 1)), user=cadre)
    p.id_number = new_id(dt.date(1982, 6, 6), "female")
    services.save_person(p, user=cadre)
    p.refresh_from_db()
    assert (p.sex, p.birth_date) == ("female", dt.date(1982, 6, 6))


def test_id_typed_lower_case_with_spaces_is_stored_normalised(home, cadre):
    number = x_id()
    typed = f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    p = services.save_person(member(home, "son", id_number=typed), user=cadre)
    p.refresh_from_db()
    assert p.id_number == number


# --------------------------------------------------------------------------------------------------------------
# One head, at most one spouse, spouse sex
# --------------------------------------------------------------------------------------------------------------


def test_a_second_head_is_refused(home, cadre):
    refused(lambda: services.save_person(member(home, "head"), user=cadre), "relation", "户主")


def test_a_second_spouse_is_refused(home, cadre):
    refused(
        lambda: services.save_person(member(home, "spouse", sex="female"), user=cadre), "relation", "配偶"
    )


def test_turning_the_spouse_into_a_second_head_is_refused(home, cadre):
    spouse = home.members.get(relation="spouse")
    spouse.relation = "head"
    refused(lambda: services.save_person(spouse, user=cadre), "relation", "户主")


def test_spouse_of_the_same_sex_as_the_head_is_refused(tree, cadre):
    h = testing.make_household(tree.village_a, members=1)  # a male head only
    refused(lambda: services.save_person(member(h, "spouse", sex="male"), user=cadre), "relation")
    services.save_person(member(h, "spouse", sex="female"), user=cadre)  # the opposite sex is fine
    assert h.members.count() == 2


def test_head_with_the_same_sex_as_the_spouse_is_refused(home, cadre):
    head = home.members.get(relation="head")
    head.id_number = new_id(dt.date(1968, 5, 1), "female")  # the spouse is female
    refused(lambda: services.save_person(head, user=cadre), "relation")


def test_female_head_with_male_spouse_is_fine(tree, cadre):
    h = Household.objects.create(number="4212231042019001", region=tree.village_a, household_type="ordinary")
    services.save_person(member(h, "head", sex="female", birth=dt.date(1970, 1, 1)), user=cadre)
    services.save_person(member(h, "spouse", sex="male", birth=dt.date(1969, 1, 1)), user=cadre)
    h.refresh_from_db()
    assert h.member_count == 2


# --------------------------------------------------------------------------------------------------------------
# Relation and sex
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "relation,sex",
    [
        ("son", "female"),
        ("daughter", "male"),
        ("father", "female"),
        ("mother", "male"),
        ("grandson", "female"),
        ("granddaughter", "male"),
        ("daughter_in_law", "male"),
        ("son_in_law", "female"),
    ],
)
def test_relation_contradicting_the_sex_in_the_id_is_refused(home, cadre, relation, sex):
    birth = dt.date(1940, 1, 1) if relation in ("father", "mother") else dt.date(1995, 1, 1)
    refused(
        lambda: services.save_person(member(home, relation, sex=sex, birth=birth), user=cadre), "relation"
    )


def test_son_with_female_id_message_names_the_relation(home, cadre):
    refused(lambda: services.save_person(member(home, "son", sex="female"), user=cadre), "relation", "之子")


@pytest.mark.parametrize("relation", ["sibling", "other"])
def test_sex_neutral_relations_accept_either_sex(home, cadre, relation):
    services.save_person(member(home, relation, sex="female"), user=cadre)
    services.save_person(member(home, relation, sex="male"), user=cadre)


# --------------------------------------------------------------------------------------------------------------
# Education XOR student status, work months ↔ location, insurance xor, disability
# --------------------------------------------------------------------------------------------------------------


def test_education_and_student_status_both_refused(home, cadre):
    p = member(home, "son", education="junior", student_status="high_1")
    refused(lambda: services.save_person(p, user=cadre), None, "文化程度")


def test_education_and_student_status_neither_refused(home, cadre):
    p = member(home, "son", education="", student_status="")
    refused(lambda: services.save_person(p, user=cadre), None, "文化程度")


def test_student_without_education_is_fine(home, cadre):
    services.save_person(
        member(
            home,
            "daughter",
            sex="female",
            birth=dt.date(2008, 1, 1),
            education="",
            student_status="high_2",
            labour_skill="none",
        ),
        user=cadre,
    )


def test_work_location_without_months_refused(home, cadre):
    p = member(home, "son", work_location="out_of_province", work_months=0)
    refused(lambda: services.save_person(p, user=cadre), None, "务工")


def test_work_months_without_location_refused(home, cadre):
    p = member(home, "son", work_location="", work_months=6)
    refused(lambda: services.save_person(p, user=cadre), None, "务工")


def test_work_months_above_12_refused(home, cadre):
    p = member(home, "son", work_location="in_county", work_months=13)
    refused(lambda: services.save_person(p, user=cadre), "work_months")


def test_worker_with_location_and_months_is_fine(home, cadre):
    p = services.save_person(member(home, "son", work_location="in_province", work_months=10), user=cadre)
    p.refresh_from_db()
    assert (p.work_location, p.work_months) == ("in_province", 10)


@pytest.mark.parametrize("resident,employee", [(True, True), (False, False)])
def test_medical_insurance_both_or_neither_refused(home, cadre, resident, employee):
    p = member(home, "son", resident_medical=resident, employee_medical=employee)
    refused(lambda: services.save_person(p, user=cadre), None, "医保")


def test_employee_medical_only_is_fine(home, cadre):
    services.save_person(member(home, "son", resident_medical=False, employee_medical=True), user=cadre)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"disability_category": 4},
        {"disability_grade": 2},
    ],
)
def test_disabled_without_category_or_grade_refused(home, cadre, fields):
    p = member(home, "son", disabled=True, **fields)
    refused(lambda: services.save_person(p, user=cadre), None, "残疾")


def test_disability_card_not_matching_the_id_refused(home, cadre):
    number = new_id(dt.date(1990, 5, 5), "male")
    someone_else = new_id(dt.date(1991, 5, 5), "male")
    p = member(
        home,
        "son",
        id_number=number,
        disabled=True,
        disability_category=4,
        disability_grade=2,
        disability_card=f"{someone_else}42",
    )
    refused(lambda: services.save_person(p, user=cadre), "disability_card", "残疾人证")


def test_disability_card_not_matching_category_or_grade_refused(home, cadre):
    number = new_id(dt.date(1990, 5, 5), "male")
    p = member(
        home,
        "son",
        id_number=number,
        disabled=True,
        disability_category=4,
        disability_grade=2,
        disability_card=f"{number}43",
    )
    refused(lambda: services.save_person(p, user=cadre), "disability_card")


def test_invalid_disability_card_refused(home, cadre):
    number = new_id(dt.date(1990, 5, 5), "male")
    p = member(
        home,
        "son",
        id_number=number,
        disabled=True,
        disability_category=4,
        disability_grade=2,
        disability_card=f"{number}82",
    )
    refused(lambda: services.save_person(p, user=cadre), "disability_card")


def test_matching_disability_card_is_accepted(home, cadre):
    number = x_id(dt.date(1990, 5, 5))
    p = member(
        home,
        "son",
        id_number=number,
        disabled=True,
        disability_category=4,
        disability_grade=2,
        disability_card=f"{number.lower()}42",
    )
    services.save_person(p, user=cadre)
    p.refresh_from_db()
    assert p.disability_card == f"{number}42"
    assert "disabled" in p.health


# --------------------------------------------------------------------------------------------------------------
# ID number: duplicate, invalid, future birth date
# --------------------------------------------------------------------------------------------------------------


def test_duplicate_id_refused(home, households, cadre):
    existing = households["b"].members.first().id_number  # another village: unique across the whole registry
    refused(
        lambda: services.save_person(member(home, "son", id_number=existing), user=cadre),
        "id_number",
        "身份证",
    )


def test_duplicate_id_refused_when_typed_lower_case_or_with_spaces(home, cadre):
    number = x_id()
    services.save_person(member(home, "son", id_number=number), user=cadre)
    for typed in (number.lower(), f"{number[:6]} {number[6:14]} {number[14:]}", f" {number.lower()} "):
        refused(
            lambda typed=typed: services.save_person(member(home, "sibling", id_number=typed), user=cadre),
            "id_number",
            "身份证",
        )


def test_invalid_id_refused(home, cadre):
    number = new_id()
    bad = number[:17] + ("0" if number[17] != "0" else "1")
    refused(
        lambda: services.save_person(member(home, "son", id_number=bad), user=cadre), "id_number", "身份证"
    )


def test_future_birth_date_in_the_id_refused(home, cadre):
    first17 = f"{OUR_REGION}{TODAY + dt.timedelta(days=1):%Y%m%d}901"
    number = first17 + id_check_char(first17)
    refused(
        lambda: services.save_person(member(home, "son", id_number=number), user=cadre),
        "id_number",
        "出生日期",
    )


def test_impossible_birth_date_in_the_id_refused(home, cadre):
    first17 = "42122319950230901"
    refused(
        lambda: services.save_person(
            member(home, "son", id_number=first17 + id_check_char(first17)), user=cadre
        ),
        "id_number",
        "出生日期",
    )


def test_refused_edit_of_an_existing_member_leaves_it_unchanged(home, cadre):
    spouse = home.members.get(relation="spouse")
    original = Person.objects.filter(pk=spouse.pk).values().get()
    spouse.education, spouse.student_status = "", ""
    spouse.name = "改名"
    refused(lambda: services.save_person(spouse, user=cadre), None)
    assert Person.objects.filter(pk=spouse.pk).values().get() == original


# --------------------------------------------------------------------------------------------------------------
# The API says the same, as 400 {field: [Chinese messages]}
# --------------------------------------------------------------------------------------------------------------


def _api_refused(client, payload, field, *words):
    before = snapshot()
    response = client.post("/api/persons/", payload, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    assert isinstance(body[field], list) and body[field], body
    text = " ".join(map(str, body[field]))
    assert is_chinese(text), body
    for word in words:
        assert word in text, body
    assert snapshot() == before
    return body


def test_api_refuses_a_second_head(home, cadre):
    _api_refused(api(cadre), person_payload(home, relation="head"), "relation", "户主")


def test_api_refuses_an_invalid_id(home, cadre):
    number = new_id()
    bad = number[:17] + ("0" if number[17] != "0" else "1")
    _api_refused(api(cadre), person_payload(home, id_number=bad), "id_number", "身份证")


def test_api_refuses_a_duplicate_id(home, cadre):
    existing = home.members.first().id_number
    _api_refused(
        api(cadre), person_payload(home, id_number=f" {existing[:9]} {existing[9:]} "), "id_number", "身份证"
    )


def test_api_refuses_a_son_with_a_female_id(home, cadre):
    _api_refused(api(cadre), person_payload(home, id_number=new_id(sex="female")), "relation")


def test_api_refuses_a_future_birth_date(home, cadre):
    first17 = f"{OUR_REGION}{TODAY + dt.timedelta(days=30):%Y%m%d}901"
    _api_refused(
        api(cadre), person_payload(home, id_number=first17 + id_check_char(first17)), "id_number", "出生日期"
    )


def test_api_refuses_text_where_a_number_belongs(home, cadre):
    _api_refused(
        api(cadre), person_payload(home, work_location="in_county", work_months="六个月"), "work_months"
    )


def test_api_refuses_a_wrong_length_id(home, cadre):
    _api_refused(api(cadre), person_payload(home, id_number="42122319950720901"), "id_number", "18位")


def test_api_accepts_a_valid_member_and_derives_sex_and_birth(home, cadre):
    number = new_id(dt.date(2003, 8, 9), "male")
    response = api(cadre).post(
        "/api/persons/", person_payload(home, id_number=number.replace("0", "０")), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sex"] == "male" and body["birth_date"] == "2003-08-09"
    assert Person.objects.get(id_number=number).household_id == home.pk


# --------------------------------------------------------------------------------------------------------------
# Income (spec §3.10)
# --------------------------------------------------------------------------------------------------------------

MONEY_FIELDS = [
    "wage",
    "business",
    "property",
    "transfer",
    "business_cost",
    "claims_income",
    "compliant_out_of_pocket",
]


def expected_per_capita(wage, business, prop, transfer, cost, members) -> Decimal:
    net = Decimal(wage) + Decimal(business) + Decimal(prop) + Decimal(transfer) - Decimal(cost)
    return (net / members).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_fixture_income_follows_the_formula(home):
    income = home.incomes.get(year=2025)
    assert income.net_income == Decimal("36000")
    assert income.household_size == 2
    assert income.per_capita_net_income == Decimal("18000.00")
    assert home.per_capita_income == Decimal("18000.00") and home.income_year == 2025


@pytest.mark.parametrize("field", MONEY_FIELDS)
def test_negative_amounts_refused(home, cadre, field):
    income = HouseholdIncome(household=home, year=2024, **{field: Decimal("-0.01")})
    refused(lambda: services.save_income(income, user=cadre), field, "负")


def test_a_second_income_for_the_same_year_refused(home, cadre):
    refused(
        lambda: services.save_income(HouseholdIncome(household=home, year=2025, wage=1), user=cadre),
        None,
        "年度",
    )


def test_income_for_a_future_year_refused(home, cadre):
    refused(
        lambda: services.save_income(
            HouseholdIncome(household=home, year=TODAY.year + 1, wage=1), user=cadre
        ),
        "year",
    )


@pytest.mark.parametrize(
    "amounts,members",
    [
        # wage, business, property, transfer, business_cost
        (("10000", "0", "0", "0", "0"), 3),  # 3333.333… → 3333.33
        (("20000", "0", "0", "0", "0"), 3),  # 6666.666… → 6666.67 (rounded, not truncated)
        (("12345.67", "2000.10", "300.03", "4500", "1500.50"), 3),
        (("8000", "3000", "0", "1200.40", "2400"), 4),
        (("0", "1000", "0", "0", "3000"), 3),  # a loss: net income may be negative
    ],
)
def test_net_and_per_capita_income_follow_the_formula(home, cadre, amounts, members):
    for relation, sex in (("son", "male"), ("daughter", "female"))[: members - 2]:
        services.save_person(member(home, relation, sex=sex), user=cadre)
    wage, business, prop, transfer, cost = amounts
    income = services.save_income(
        HouseholdIncome(
            household=home,
            year=2024,
            wage=Decimal(wage),
            business=Decimal(business),
            property=Decimal(prop),
            transfer=Decimal(transfer),
            business_cost=Decimal(cost),
            claims_income=Decimal("9999"),
            compliant_out_of_pocket=Decimal("7777"),
        ),
        user=cadre,
    )
    income.refresh_from_db()
    net = Decimal(wage) + Decimal(business) + Decimal(prop) + Decimal(transfer) - Decimal(cost)
    assert income.net_income == net  # claims income and out-of-pocket spending are not folded in
    assert income.household_size == members
    assert income.per_capita_net_income == expected_per_capita(wage, business, prop, transfer, cost, members)


def test_per_capita_is_recomputed_when_amounts_change(home, cadre):
    income = home.incomes.get(year=2025)
    income.business_cost = Decimal("2000")
    services.save_income(income, user=cadre)
    income.refresh_from_db()
    assert income.net_income == Decimal("35000")
    assert income.per_capita_net_income == Decimal("17500.00")
    home.refresh_from_db()
    assert home.per_capita_income == Decimal("17500.00")


def test_typed_net_income_is_ignored(home, cadre):
    income = HouseholdIncome(
        household=home,
        year=2024,
        wage=Decimal("1000"),
        net_income=Decimal("999999"),
        per_capita_net_income=Decimal("999999"),
        household_size=9,
    )
    services.save_income(income, user=cadre)
    income.refresh_from_db()
    assert (income.net_income, income.household_size, income.per_capita_net_income) == (
        Decimal("1000"),
        2,
        Decimal("500.00"),
    )


def test_summary_follows_members_being_added_and_removed(home, cadre):
    son = services.save_person(member(home, "son"), user=cadre)
    home.refresh_from_db()
    assert home.member_count == 3
    assert home.head_name == "张建国"
    assert home.per_capita_income == Decimal("12000.00")
    assert home.incomes.get(year=2025).household_size == 3

    services.delete_person(son, user=cadre)
    home.refresh_from_db()
    assert home.member_count == 2
    assert home.per_capita_income == Decimal("18000.00")
    assert home.incomes.get(year=2025).household_size == 2


def test_summary_follows_the_head_being_renamed(home, cadre):
    head = home.members.get(relation="head")
    head.name = "张国强"
    services.save_person(head, user=cadre)
    home.refresh_from_db()
    assert home.head_name == "张国强"


def test_summary_shows_the_latest_year(home, cadre):
    services.save_income(HouseholdIncome(household=home, year=2024, wage=Decimal("100")), user=cadre)
    home.refresh_from_db()
    assert (home.income_year, home.per_capita_income) == (2025, Decimal("18000.00"))


def test_summary_follows_an_income_being_deleted(home, cadre):
    services.save_income(HouseholdIncome(household=home, year=2024, wage=Decimal("100")), user=cadre)
    services.delete_income(home.incomes.get(year=2025), user=cadre)
    home.refresh_from_db()
    assert (home.income_year, home.per_capita_income) == (2024, Decimal("50.00"))


@pytest.mark.parametrize(
    "field,value", [("wage", "三万"), ("business_cost", "abc"), ("year", "二〇二四"), ("transfer", "1,000元")]
)
def test_api_refuses_text_where_numbers_belong(home, cadre, field, value):
    before = snapshot()
    payload = {"household": home.pk, "year": 2024, "wage": "1000", field: value}
    response = api(cadre).post("/api/incomes/", payload, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    assert is_chinese(" ".join(body[field])), body
    assert snapshot() == before


def test_api_refuses_a_negative_income(home, cadre):
    before = snapshot()
    response = api(cadre).post(
        "/api/incomes/", {"household": home.pk, "year": 2024, "wage": "-5"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "wage" in response.json() and is_chinese(" ".join(response.json()["wage"]))
    assert snapshot() == before


def test_api_refuses_a_second_income_for_the_same_year(home, cadre):
    before = snapshot()
    response = api(cadre).post(
        "/api/incomes/", {"household": home.pk, "year": 2025, "wage": "5"}, format="json"
    )
    assert response.status_code == 400, response.content
    text = " ".join(m for msgs in response.json().values() for m in msgs)
    assert is_chinese(text) and "年度" in text, response.json()
    assert snapshot() == before


def test_api_computes_per_capita_income(home, cadre):
    response = api(cadre).post(
        "/api/incomes/",
        {
            "household": home.pk,
            "year": 2024,
            "wage": "10001",
            "business": "0",
            "property": "0",
            "transfer": "0",
            "business_cost": "0",
            "net_income": "1",
            "per_capita_net_income": "1",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert Decimal(body["net_income"]) == Decimal("10001")
    assert Decimal(body["per_capita_net_income"]) == Decimal("5000.50")


# --------------------------------------------------------------------------------------------------------------
# Household rules
# --------------------------------------------------------------------------------------------------------------


def new_household(tree, **fields) -> Household:
    values = dict(
        number="4212231042019999",
        region=tree.village_a,
        household_type="ordinary",
        phone="13972100001",
        address="大坪村9号",
    )
    values.update(fields)
    return Household(**values)


def test_a_valid_household_is_saved_and_logged(tree, cadre):
    before = ObjectChange.objects.count()
    h = services.save_household(new_household(tree, phone="+86 139 7210 0002"), user=cadre)
    h.refresh_from_db()
    assert h.phone == "13972100002"
    assert ObjectChange.objects.count() == before + 1


def test_exited_without_exit_year_refused(tree, cadre):
    h = new_household(tree, household_type="exited", identification_standard="national", exit_year=None)
    refused(lambda: services.save_household(h, user=cadre), "exit_year", "脱贫年度")


def test_ordinary_with_exit_year_refused(tree, cadre):
    h = new_household(tree, household_type="ordinary", exit_year=2019)
    refused(lambda: services.save_household(h, user=cadre), "exit_year")


def test_changing_an_exited_household_to_ordinary_keeping_the_year_refused(home, cadre):
    home.household_type = "ordinary"
    home.identification_standard = ""
    refused(lambda: services.save_household(home, user=cadre), "exit_year")


@pytest.mark.parametrize("phone", ["1397210000", "139721000012", "12972100000", "0715-332123"])
def test_bad_phone_refused(tree, cadre, phone):
    refused(lambda: services.save_household(new_household(tree, phone=phone), user=cadre), "phone", "手机")


def test_household_in_a_township_refused(tree, cast):
    h = new_household(tree, region=tree.township)
    refused(lambda: services.save_household(h, user=cast["township_officer"]), "region", "村")


def test_household_in_another_village_refused_for_the_cadre(tree, cadre):
    from django.core.exceptions import PermissionDenied

    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.save_household(new_household(tree, region=tree.village_b), user=cadre)
    assert snapshot() == before


def test_duplicate_household_number_refused(home, tree, cadre):
    refused(lambda: services.save_household(new_household(tree, number=home.number), user=cadre), "number")


def test_the_head_cannot_be_deleted_while_others_remain(home, cadre):
    head = home.members.get(relation="head")
    refused(lambda: services.delete_person(head, user=cadre), None, "户主")
    services.delete_person(home.members.get(relation="spouse"), user=cadre)
    services.delete_person(Person.objects.get(pk=head.pk), user=cadre)
    home.refresh_from_db()
    assert home.member_count == 0
    assert home.head_name == ""


def test_the_head_cannot_be_deleted_through_the_api_either(home, cadre):
    head = home.members.get(relation="head")
    before = snapshot()
    response = api(cadre).delete(f"/api/persons/{head.pk}/")
    assert response.status_code == 400, response.content
    assert is_chinese(str(response.json()))
    assert snapshot() == before
