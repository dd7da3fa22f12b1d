"""Validators for the 18-digit resident ID (GB 11643), mobile numbers and disability card numbers.

Written from the issue and spec §5.3, not from the code: the check character is computed here independently
(ISO 7064 MOD 11-2), the province list is GB/T 2260's own, and every property is checked with Hypothesis.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from fangpin.core import validators as v
from fangpin.core.validators import (
    mask_id_number,
    mask_mobile,
    mask_name,
    normalize_mobile,
    parse_disability_card,
    parse_id_number,
    validate_disability_card,
    validate_id_number,
    validate_mobile,
)

# --------------------------------------------------------------------------------------------------------------
# An independent model of a valid ID number
# --------------------------------------------------------------------------------------------------------------

# GB/T 2260 province-level codes (mainland, Taiwan, Hong Kong, Macao).
PROVINCES = [
    *("11", "12", "13", "14", "15"),  # 华北
    *("21", "22", "23"),  # 东北
    *("31", "32", "33", "34", "35", "36", "37"),  # 华东
    *("41", "42", "43", "44", "45", "46"),  # 中南
    *("50", "51", "52", "53", "54"),  # 西南
    *("61", "62", "63", "64", "65"),  # 西北
    *("71", "81", "82"),  # 台湾、香港、澳门
]
NOT_PROVINCES = sorted({f"{i:02d}" for i in range(100)} - set(PROVINCES) - {"83"})  # 83: residence permits
WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
CHECK = "10X98765432"
FULLWIDTH = {str(i): chr(0xFF10 + i) for i in range(10)}
TODAY = dt.date.today()


def check_char(first17: str) -> str:
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def with_check(first17: str) -> str:
    assert len(first17) == 17
    return first17 + check_char(first17)


def x_ending(region: str, birth: dt.date, *, male: bool = True) -> str:
    """A valid number whose check character is X (about one in eleven are)."""
    for seq in range(1000):
        if (seq % 2 == 1) != male:
            continue
        number = with_check(f"{region}{birth:%Y%m%d}{seq:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no X-ending number found")


def id_for(birth: dt.date, *, province: str = "42", rest: str = "1223", seq: str = "123") -> str:
    return with_check(f"{province}{rest}{birth:%Y%m%d}{seq}")


def test_the_independent_model_agrees_with_a_known_real_format_number():
    # The GB 11643 standard's own worked example.
    assert with_check("11010519491231002") == "11010519491231002X"
    assert WEIGHTS == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


provinces = st.sampled_from(PROVINCES)
region_rest = st.text(alphabet="0123456789", min_size=4, max_size=4)  # any county code: old ones stay valid
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}")


@st.composite
def valid_ids(draw):
    first17 = f"{draw(provinces)}{draw(region_rest)}{draw(births):%Y%m%d}{draw(sequences)}"
    return with_check(first17)


@st.composite
def typed_forms(draw, number: str) -> str:
    """How the same number arrives from phones and spreadsheets: spaces, full-width digits, lower-case x."""
    spaces = st.sampled_from([" ", "  ", "\u3000"])
    out = []
    for ch in number:
        if ch.isdigit() and draw(st.booleans()):
            ch = FULLWIDTH[ch]
        elif ch == "X" and draw(st.booleans()):
            ch = "x"
        if out and draw(st.integers(0, 3)) == 0:
            out.append(draw(spaces))
        out.append(ch)
    lead = draw(st.sampled_from(["", " ", "  ", "\u3000"]))
    trail = draw(st.sampled_from(["", " ", "  ", "\u3000"]))
    return lead + "".join(out) + trail


def messages(exc_info) -> str:
    return " ".join(exc_info.value.messages)


# --------------------------------------------------------------------------------------------------------------
# ID number: valid ones pass, with birth date and sex derived
# --------------------------------------------------------------------------------------------------------------


@given(valid_ids())
@example("11010519491231002X")
@example(id_for(dt.date(1900, 1, 1), rest="0000", seq="001"))
def test_every_generated_id_is_accepted_and_decoded(number):
    ident = parse_id_number(number)
    assert ident.number == number
    assert ident.birth_date == dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert ident.sex == ("male" if int(number[16]) % 2 == 1 else "female")
    validate_id_number(number)  # the plain validator accepts it too


@given(provinces, region_rest, births)
def test_sex_is_the_parity_of_the_17th_digit(province, rest, birth):
    for digit in "0123456789":
        number = with_check(f"{province}{rest}{birth:%Y%m%d}12{digit}")
        assert parse_id_number(number).sex == ("male" if digit in "13579" else "female")


def test_today_and_1900_01_01_are_accepted_birth_dates():
    assert parse_id_number(id_for(TODAY)).birth_date == TODAY
    assert parse_id_number(id_for(dt.date(1900, 1, 1))).birth_date == dt.date(1900, 1, 1)
    assert parse_id_number(id_for(dt.date(2000, 2, 29))).birth_date == dt.date(2000, 2, 29)


def test_a_since_abolished_county_code_stays_valid():
    # 422301 was the county code of 咸宁县 before the 1998 reorganisation; 429004 仙桃 and 420000 itself too.
    for rest in ("2301", "9004", "0000", "9999"):
        number = id_for(dt.date(1960, 6, 15), rest=rest)
        assert parse_id_number(number).region_code == "42" + rest


@given(valid_ids().flatmap(lambda n: st.tuples(st.just(n), typed_forms(n))))
def test_spaces_full_width_digits_and_lower_case_x_are_normalised(pair):
    number, typed = pair
    ident = parse_id_number(typed)
    assert ident.number == number
    validate_id_number(typed)


def test_normalisation_examples():
    number = with_check("42122319800101123")
    x_number = x_ending("421223", dt.date(1980, 1, 1))
    assert parse_id_number(x_number.lower()).number == x_number
    assert parse_id_number(f"  {x_number[:6]} {x_number[6:14]} {x_number[14:].lower()}  ").number == x_number
    fw = "".join(FULLWIDTH.get(c, c) for c in number)
    assert parse_id_number(fw).number == number
    assert parse_id_number("\u3000" + number + "\u3000").number == number


# --------------------------------------------------------------------------------------------------------------
# ID number: every single-character corruption fails
# --------------------------------------------------------------------------------------------------------------


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(valid_ids())
def test_every_single_character_corruption_fails(number):
    for pos in range(18):
        alphabet = "0123456789" if pos < 17 else "0123456789X"
        for ch in alphabet:
            if ch == number[pos]:
                continue
            corrupted = number[:pos] + ch + number[pos + 1 :]
            with pytest.raises(ValidationError):
                parse_id_number(corrupted)
            with pytest.raises(ValidationError):
                validate_id_number(corrupted)


@given(valid_ids(), st.integers(0, 16), st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZxyz-_.*/"))
def test_a_letter_or_symbol_in_the_first_17_characters_fails(number, pos, ch):
    corrupted = number[:pos] + ch + number[pos + 1 :]
    with pytest.raises(ValidationError):
        parse_id_number(corrupted)


@given(valid_ids(), st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWYZ*"))
def test_a_check_character_other_than_a_digit_or_x_fails(number, ch):
    with pytest.raises(ValidationError):
        parse_id_number(number[:17] + ch)


# --------------------------------------------------------------------------------------------------------------
# ID number: province, date, length
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("province", ["00", "10", "99", "20", "30", "47", "55", "66", "72", "80", "84", "90"])
def test_unknown_province_codes_fail(province):
    number = id_for(dt.date(1980, 1, 1), province=province)  # checksum correct: only the province is wrong
    with pytest.raises(ValidationError) as exc:
        parse_id_number(number)
    assert "身份证" in messages(exc)


@given(st.sampled_from(NOT_PROVINCES), region_rest, births, sequences)
def test_any_code_outside_the_province_list_fails(province, rest, birth, seq):
    with pytest.raises(ValidationError):
        parse_id_number(with_check(f"{province}{rest}{birth:%Y%m%d}{seq}"))


@pytest.mark.parametrize(
    "yyyymmdd",
    [
        "19800230",  # 30 February
        "19801301",  # month 13
        "19800001",  # month 0
        "19800100",  # day 0
        "19800431",  # 31 April
        "19010229",  # 29 February in a common year
        "19001301",
    ],
)
def test_impossible_birth_dates_fail_and_say_so(yyyymmdd):
    number = with_check(f"421223{yyyymmdd}123")
    with pytest.raises(ValidationError) as exc:
        parse_id_number(number)
    assert "出生日期" in messages(exc)


@given(st.integers(min_value=1, max_value=365 * 50))
def test_future_birth_dates_fail(days_ahead):
    birth = TODAY + dt.timedelta(days=days_ahead)
    assume(birth.year <= 9999)
    with pytest.raises(ValidationError) as exc:
        parse_id_number(id_for(birth))
    assert "出生日期" in messages(exc)


def test_tomorrow_is_in_the_future():
    with pytest.raises(ValidationError) as exc:
        parse_id_number(id_for(TODAY + dt.timedelta(days=1)))
    assert "出生日期" in messages(exc)


def test_birth_dates_before_1900_fail():
    for birth in (dt.date(1899, 12, 31), dt.date(1800, 6, 1)):
        with pytest.raises(ValidationError) as exc:
            parse_id_number(id_for(birth))
        assert "出生日期" in messages(exc)


@given(st.text(alphabet="0123456789", min_size=1, max_size=40).filter(lambda s: len(s) != 18))
def test_wrong_lengths_fail_naming_18_digits(number):
    with pytest.raises(ValidationError) as exc:
        parse_id_number(number)
    assert "18位" in messages(exc)


@pytest.mark.parametrize("length", [15, 17, 19, 20, 22])
def test_a_valid_number_cut_or_padded_fails_naming_18_digits(length):
    number = (id_for(dt.date(1980, 1, 1)) + "0123")[:length]
    with pytest.raises(ValidationError) as exc:
        parse_id_number(number)
    assert "18位" in messages(exc)


def test_old_15_digit_numbers_are_refused():
    with pytest.raises(ValidationError) as exc:
        parse_id_number("421223800101123")
    assert "18位" in messages(exc)


@pytest.mark.parametrize("value", ["", "   ", None])
def test_empty_id_numbers_fail(value):
    with pytest.raises(ValidationError) as exc:
        parse_id_number(value)
    assert "身份证" in messages(exc)


def test_messages_are_chinese():
    bad = [
        id_for(dt.date(1980, 1, 1))[:17] + ("0" if id_for(dt.date(1980, 1, 1))[17] != "0" else "1"),
        "12345",
        id_for(dt.date(1980, 1, 1), province="99"),
        with_check("42122319801301123"),
    ]
    for number in bad:
        with pytest.raises(ValidationError) as exc:
            parse_id_number(number)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in messages(exc)), messages(exc)


# --------------------------------------------------------------------------------------------------------------
# Mobile numbers
# --------------------------------------------------------------------------------------------------------------

mobiles = st.builds(
    lambda second, rest: f"1{second}{rest}",
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)


@st.composite
def typed_mobiles(draw, number):
    prefix = draw(st.sampled_from(["", "+86", "+86 ", " +86 ", "＋86", "＋８６ "]))
    out = []
    for i, ch in enumerate(number):
        if draw(st.booleans()):
            ch = FULLWIDTH[ch]
        if i in (3, 7) and draw(st.booleans()):
            out.append(draw(st.sampled_from([" ", "\u3000"])))
        out.append(ch)
    return prefix + "".join(out) + draw(st.sampled_from(["", " "]))


@given(mobiles)
def test_valid_mobiles_pass(number):
    validate_mobile(number)
    assert normalize_mobile(number) == number


@given(mobiles.flatmap(lambda n: st.tuples(st.just(n), typed_mobiles(n))))
def test_mobiles_typed_with_plus86_spaces_or_full_width_digits_pass_and_normalise(pair):
    number, typed = pair
    validate_mobile(typed)
    assert normalize_mobile(typed) == number


@pytest.mark.parametrize(
    "value",
    [
        "1397210000",  # 10 digits
        "139721000001",  # 12 digits
        "12972100000",  # second digit 2
        "11972100000",  # second digit 1
        "10972100000",  # second digit 0
        "23972100000",  # does not start with 1
        "0715-3321234",  # a landline
        "1397210000a",  # a letter
        "一三九七二一〇〇〇〇〇",  # Chinese numerals
        "+85 13972100000",  # another country code
        "+86 1397210000",  # +86 and then only 10 digits
    ],
)
def test_invalid_mobiles_fail_with_a_chinese_message(value):
    with pytest.raises(ValidationError) as exc:
        validate_mobile(value)
    assert "手机" in messages(exc)


@given(st.text(alphabet="0123456789", min_size=0, max_size=20).filter(lambda s: len(s) != 11))
def test_mobiles_of_any_other_length_fail(number):
    with pytest.raises(ValidationError):
        validate_mobile(number)


@given(st.sampled_from("012"), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_mobiles_with_second_digit_0_to_2_fail(second, rest):
    with pytest.raises(ValidationError):
        validate_mobile(f"1{second}{rest}")


# --------------------------------------------------------------------------------------------------------------
# Disability card numbers: a valid ID + category 1–7 + grade 1–4
# --------------------------------------------------------------------------------------------------------------


@given(valid_ids(), st.integers(1, 7), st.integers(1, 4))
def test_valid_disability_cards_pass(number, category, grade):
    ident, cat, grd = parse_disability_card(f"{number}{category}{grade}")
    assert (ident.number, cat, grd) == (number, category, grade)
    assert ident.birth_date == dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    validate_disability_card(f"{number}{category}{grade}")


@given(
    valid_ids().flatmap(lambda n: st.tuples(st.just(n), typed_forms(n))), st.integers(1, 7), st.integers(1, 4)
)
def test_disability_cards_are_normalised_first(pair, category, grade):
    number, typed = pair
    ident, _, _ = parse_disability_card(f"{typed}{FULLWIDTH[str(category)]} {grade} ")
    assert ident.number == number


@given(valid_ids(), st.sampled_from([0, 8, 9]), st.integers(1, 4))
def test_disability_category_outside_1_to_7_fails(number, category, grade):
    with pytest.raises(ValidationError) as exc:
        parse_disability_card(f"{number}{category}{grade}")
    assert "类别" in messages(exc)


@given(valid_ids(), st.integers(1, 7), st.sampled_from([0, 5, 6, 7, 8, 9]))
def test_disability_grade_outside_1_to_4_fails(number, category, grade):
    with pytest.raises(ValidationError) as exc:
        parse_disability_card(f"{number}{category}{grade}")
    assert "等级" in messages(exc)


@given(valid_ids(), st.integers(0, 17), st.integers(1, 7), st.integers(1, 4))
def test_disability_card_with_a_corrupted_id_part_fails(number, pos, category, grade):
    ch = "0123456789X"[(("0123456789X".index(number[pos]) + 1) % (11 if pos == 17 else 10))]
    corrupted = number[:pos] + ch + number[pos + 1 :]
    with pytest.raises(ValidationError):
        parse_disability_card(f"{corrupted}{category}{grade}")


@pytest.mark.parametrize("suffix", ["", "1", "123", "1A", "A1", "  "])
def test_disability_card_of_wrong_shape_fails(suffix):
    with pytest.raises(ValidationError):
        validate_disability_card(id_for(dt.date(1975, 3, 3)) + suffix)


def test_disability_card_with_invalid_id_part_names_the_id():
    with pytest.raises(ValidationError) as exc:
        parse_disability_card(id_for(dt.date(1975, 3, 3), province="99") + "41")
    assert "身份证" in messages(exc) or "残疾人证" in messages(exc)


# --------------------------------------------------------------------------------------------------------------
# Masking helpers
# --------------------------------------------------------------------------------------------------------------


@given(valid_ids())
def test_masked_id_shows_only_region_and_last_four(number):
    masked = mask_id_number(number)
    assert len(masked) == 18
    assert masked[:6] == number[:6]
    assert masked[-4:] == number[-4:]
    assert masked[6:14] == "*" * 8  # the birth date is hidden


def test_mask_examples():
    assert mask_id_number("42122319800101123X") == "421223********123X"
    assert mask_mobile("13972100000") == "139****0000"
    assert mask_name("张三丰") == "张**"
    assert mask_name("李四") == "李*"
    assert mask_name("王") == "王"
    for empty in ("", None):
        assert not mask_id_number(empty)
        assert not mask_mobile(empty)
        assert not mask_name(empty)


@given(mobiles)
def test_masked_mobile_hides_the_middle_four(number):
    masked = mask_mobile(number)
    assert masked == number[:3] + "****" + number[7:]


# --------------------------------------------------------------------------------------------------------------
# Model and form fields normalise before the length check
# --------------------------------------------------------------------------------------------------------------


def _spaced(number: str) -> str:
    return f" {number[:6]} {number[6:10]} {number[10:14]} {number[14:].lower()} "


@given(valid_ids().flatmap(lambda n: st.tuples(st.just(n), typed_forms(n))))
def test_id_model_field_cleans_typed_forms_to_the_number(pair):
    from fangpin.registry.models import Person

    number, typed = pair
    assert Person._meta.get_field("id_number").clean(typed, Person()) == number


@given(valid_ids().flatmap(lambda n: st.tuples(st.just(n), typed_forms(n))))
def test_id_form_field_cleans_typed_forms_to_the_number(pair):
    from fangpin.registry.models import Person

    number, typed = pair
    assert Person._meta.get_field("id_number").formfield().clean(typed) == number


def test_id_model_field_rejects_invalid_numbers_in_chinese():
    from fangpin.registry.models import Person

    field = Person._meta.get_field("id_number")
    for bad in (
        "4212231980010112",
        id_for(dt.date(1980, 1, 1), province="99"),
        with_check("42122319800230123"),
    ):
        with pytest.raises(ValidationError) as exc:
            field.clean(bad, Person())
        assert "身份证" in messages(exc)


@given(mobiles.flatmap(lambda n: st.tuples(st.just(n), typed_mobiles(n))))
def test_mobile_model_and_form_fields_clean_typed_forms(pair):
    from fangpin.registry.models import Household

    number, typed = pair
    field = Household._meta.get_field("phone")
    assert field.clean(typed, Household()) == number
    assert field.formfield().clean(typed) == number


def test_mobile_model_field_rejects_10_digits():
    from fangpin.registry.models import Household

    with pytest.raises(ValidationError) as exc:
        Household._meta.get_field("phone").clean("1397210000", Household())
    assert "手机" in messages(exc)


def _person_form_data(id_number: str, **overrides) -> dict:
    data = {
        "id_number": id_number,
        "name": "张小明",
        "relation": "son",
        "ethnicity": "han",
        "political_status": "masses",
        "education": "junior",
        "student_status": "",
        "health": ["healthy"],
        "labour_skill": "ordinary",
        "work_location": "",
        "work_months": "0",
        "employer": "",
        "public_post": "",
        "public_post_months": "0",
        "resident_medical": "on",
        "critical_illness": "on",
    }
    data.update(overrides)
    return data


def test_person_form_accepts_an_id_typed_with_spaces_and_lower_case_x(cast, households):
    from fangpin.registry import services
    from fangpin.registry.forms import PersonForm
    from fangpin.registry.models import Person

    # A male child's number ending in X, typed the way a phone keyboard delivers it (21+ characters).
    number = x_ending("421223", dt.date(1999, 7, 1), male=True)
    typed = _spaced(number)
    assert len(typed) > 18
    household = households["a"]
    user = cast["village_cadre"]
    form = PersonForm(_person_form_data(typed), instance=Person(household=household), user=user)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["id_number"] == number
    person = services.save_person(form.save(commit=False), user=user)
    person.refresh_from_db()
    assert person.id_number == number
    assert person.birth_date == dt.date(1999, 7, 1)
    assert person.sex == "male"


def test_person_form_accepts_full_width_digits(cast, households):
    from fangpin.registry.forms import PersonForm
    from fangpin.registry.models import Person

    number = with_check("42122320010203001")  # 17th digit 1: male
    typed = "".join(FULLWIDTH.get(c, c) for c in number)
    form = PersonForm(
        _person_form_data(typed), instance=Person(household=households["a"]), user=cast["village_cadre"]
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["id_number"] == number


def test_person_form_rejects_a_bad_id_on_the_id_field_in_chinese(cast, households):
    from fangpin.registry.forms import PersonForm
    from fangpin.registry.models import Person

    number = with_check("42122320010203001")
    bad = number[:17] + ("0" if number[17] != "0" else "1")
    form = PersonForm(
        _person_form_data(bad), instance=Person(household=households["a"]), user=cast["village_cadre"]
    )
    assert not form.is_valid()
    assert "id_number" in form.errors
    assert "身份证" in " ".join(form.errors["id_number"])


def test_household_form_accepts_a_phone_typed_with_plus86_and_spaces(cast, households):
    from fangpin.registry.forms import HouseholdForm

    h = households["a"]
    data = {
        "region": h.region_id,
        "household_type": h.household_type,
        "exit_year": h.exit_year,
        "identification_standard": h.identification_standard,
        "phone": "+86 139 7210 0099",
        "address": h.address,
        "housing_grade": h.housing_grade,
        "water_quantity_ok": "unknown",
        "water_quality_ok": "unknown",
        "water_convenience_ok": "unknown",
        "water_reliability_ok": "unknown",
    }
    form = HouseholdForm(data, instance=h, user=cast["village_cadre"])
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "13972100099"


def test_module_exposes_the_documented_helpers():
    # The names other modules (forms, API, imports) rely on.
    for name in (
        "parse_id_number",
        "validate_id_number",
        "validate_mobile",
        "normalize_mobile",
        "parse_disability_card",
        "validate_disability_card",
        "mask_id_number",
        "mask_mobile",
        "mask_name",
    ):
        assert callable(getattr(v, name))
