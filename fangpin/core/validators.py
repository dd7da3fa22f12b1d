"""Validators for identity data: the 18-digit resident ID (GB 11643), mobile numbers, disability card numbers.

Input is normalised first (spaces trimmed, full-width digits converted, lower-case x to X), because numbers
typed on phones and pasted from department spreadsheets arrive in every form.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# GB/T 2260 province-level codes. County codes change over the years, so only the province is checked:
# an ID issued under a since-abolished county code stays valid for life. 83 = residence permits (HK/MO/TW).
PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
    ]
)
EARLIEST_BIRTH = dt.date(1900, 1, 1)

_FULLWIDTH = {chr(0xFF10 + i): str(i) for i in range(10)} | {
    "ｘ": "X",
    "Ｘ": "X",
    "x": "X",
    "－": "-",
    "＋": "+",
}
_TRANSLATE = str.maketrans(_FULLWIDTH)
_SPACES = re.compile(r"[\s\u3000\u00a0\u200b]+")


def normalize_digits(value: object) -> str:
    """Trim and drop every kind of space, convert full-width digits, upper-case the check letter."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return _SPACES.sub("", text).translate(_TRANSLATE)


def id_check_char(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


@dataclass(frozen=True)
class IdNumber:
    """A valid, normalised resident ID number and what it encodes."""

    number: str
    birth_date: dt.date
    sex: str  # "male" | "female"

    @property
    def region_code(self) -> str:
        return self.number[:6]


def parse_id_number(value: object, *, today: dt.date | None = None) -> IdNumber:
    """Normalise and validate an 18-digit ID number; raise ValidationError with a Chinese reason."""
    number = normalize_digits(value)
    if not number:
        raise ValidationError("请填写身份证号码", code="required")
    if len(number) != 18:
        raise ValidationError(f"身份证号码应为18位，实际为{len(number)}位", code="length")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError("身份证号码前17位必须是数字，最后一位是数字或X", code="characters")
    if number[:2] not in PROVINCE_CODES:
        raise ValidationError(f"身份证号码的省份代码“{number[:2]}”不存在", code="province")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            f"身份证号码中的出生日期“{number[6:14]}”不是有效日期", code="birth_date"
        ) from None
    today = today or dt.date.today()
    if birth > today:
        raise ValidationError(f"身份证号码中的出生日期 {birth:%Y-%m-%d} 晚于今天", code="birth_future")
    if birth < EARLIEST_BIRTH:
        raise ValidationError(f"身份证号码中的出生日期 {birth:%Y-%m-%d} 早于1900年", code="birth_past")
    if id_check_char(number[:17]) != number[17]:
        raise ValidationError("身份证号码校验位不正确，请核对是否有数字录错", code="checksum")
    return IdNumber(number=number, birth_date=birth, sex="male" if int(number[16]) % 2 else "female")


def validate_id_number(value: object) -> None:
    parse_id_number(value)


MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalize_mobile(value: object) -> str:
    number = normalize_digits(value).replace("-", "")
    if number.startswith("+86"):
        number = number[3:]
    elif number.startswith("0086"):
        number = number[4:]
    return number


def validate_mobile(value: object) -> None:
    number = normalize_mobile(value)
    if not MOBILE_RE.match(number):
        raise ValidationError("手机号码应为11位数字，以13–19开头", code="mobile")


DISABILITY_CATEGORIES = range(1, 8)
DISABILITY_GRADES = range(1, 5)


def parse_disability_card(value: object) -> tuple[IdNumber, int, int]:
    """A 20-digit disability card number: a valid ID number, a category digit 1–7 and a grade digit 1–4."""
    number = normalize_digits(value)
    if len(number) != 20:
        raise ValidationError(f"残疾人证号应为20位，实际为{len(number)}位", code="length")
    try:
        ident = parse_id_number(number[:18])
    except ValidationError as exc:
        raise ValidationError(f"残疾人证号的前18位不是有效身份证号码：{exc.messages[0]}", code="id") from None
    if not number[18:].isdigit() or int(number[18]) not in DISABILITY_CATEGORIES:
        raise ValidationError("残疾人证号第19位（残疾类别）应为1–7", code="category")
    if int(number[19]) not in DISABILITY_GRADES:
        raise ValidationError("残疾人证号第20位（残疾等级）应为1–4", code="grade")
    return ident, int(number[18]), int(number[19])


def validate_disability_card(value: object) -> None:
    parse_disability_card(value)


def mask_id_number(number: str) -> str:
    """Show the region and the last four characters only: 421223********123X."""
    if not number or len(number) < 10:
        return number
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_mobile(number: str) -> str:
    if not number or len(number) != 11:
        return number
    return number[:3] + "****" + number[7:]


def mask_name(name: str) -> str:
    """张三丰 → 张**; used where a role must not see who a person is."""
    return name[:1] + "*" * (len(name) - 1) if name else name
