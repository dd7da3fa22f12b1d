"""The registry as arrays: the rows the generator reads, by person (or household) position."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fangpin.exchange.synthetic.parameters import EPOCH

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
