"""监测对象台账: the monitoring-household ledger in the national export layout (spec §3.10), one row per
household, and the seed's reference KPI "monitoring covers 10–20 % of the registered-poor population" per county.

The KPI is a reference figure only: since 2021 there is no scale limit on monitoring (spec §3.3), so nothing
here refuses, warns about or caps an identification.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch, QuerySet
from django.db.models.functions import Substr

from fangpin.assistance.choices import MeasureCategory
from fangpin.core.privacy import shown
from fangpin.core.scoping import subtree_bounds
from fangpin.geo.models import Region
from fangpin.monitoring.choices import MAX_RISKS, Category, DisasterSubtype, EliminationMethod, RiskType
from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.services.workflow import MissingParameter, workflow_parameter
from fangpin.registry.models import Household, HouseholdIncome, Person

S = MonitoringCase.Status

# status filter -> (label, statuses)
STATUS_FILTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "enrolled": ("在监测（含风险消除办理中）", tuple(MonitoringCase.ENROLLED)),
    "eliminated": ("风险已消除", (S.ELIMINATED,)),
    "all": ("全部（在监测和已消除）", (*MonitoringCase.ENROLLED, S.ELIMINATED)),
}

HEADER = (
    "省",
    "市",
    "县",
    "乡",
    "村",
    "自然村",
    "户编号",
    "户主姓名",
    "证件号码",
    "户类型",
    "家庭人口数",
    "户联系电话",
    "家庭住址",
    "是否居住在易地扶贫搬迁集中安置区",
    "安置区地址",
    "是否军烈属",
    "监测对象类别",
    "整户无劳动能力兜底保障户",
    *(f"致贫返贫风险{i}" for i in range(1, MAX_RISKS + 1)),
    "因自然灾害子项",
    "风险备注",
    "识别监测时间",
    "风险是否已消除",
    "风险消除方式",
    "消除监测时间",
    "监测联系人",
    "监测联系人电话",
    "帮扶责任人",
    "帮扶单位",
    "帮扶开始日期",
    "是否住房出现安全问题",
    "是否义务教育阶段适龄儿童少年失学辍学",
    "是否饮水出现安全问题",
    "是否有家庭成员未参加基本医疗保险",
    "收入年度",
    "工资性收入",
    "生产经营性收入",
    "财产性收入",
    "转移性收入",
    "生产经营性支出",
    "家庭纯收入",
    "家庭人均纯收入",
    "理赔收入",
    "合规自付支出",
    "识别时家庭人均纯收入",
    "纳入监测对象的收入参考范围",
    "风险消除后家庭人均纯收入",
    # spec §3.8: one column per measure field of the national system, then 实施开发式帮扶措施情况
    *(category.label for category in MeasureCategory),
    "实施开发式帮扶措施情况",
    "监测状态",
)


def ledger_cases(user, *, region: Region | None = None, status: str = "enrolled") -> QuerySet:
    """The cases of the ledger in `user`'s scope, optionally within `region`, for a status filter."""
    statuses = STATUS_FILTERS[status][1]
    cases = MonitoringCase.objects.visible_to(user).filter(status__in=statuses)
    if region is not None:
        low, high = subtree_bounds(region.path)
        cases = cases.filter(household__region__path__gte=low, household__region__path__lt=high)
    return cases.order_by("household__region__code", "household__number", "pk")


def _with_related(cases: QuerySet) -> QuerySet:
    return cases.select_related(
        "household__region__parent__parent__parent__parent", "cadre"
    ).prefetch_related(
        "measures",
        Prefetch(
            "household__members",
            queryset=Person.objects.filter(relation="head"),
            to_attr="ledger_heads",
        ),
        Prefetch(
            "household__incomes",
            queryset=HouseholdIncome.objects.order_by("-year"),
            to_attr="ledger_incomes",
        ),
    )


def _regions(village: Region) -> list[str]:
    """省, 市, 县, 乡, 村 names of a household's village."""
    by_level = {r.level: r.name for r in [*village.ancestors(), village]}
    return [by_level.get(level, "") for level in ("province", "city", "county", "township", "village")]


def _label(choices, code: str) -> str:
    return choices(code).label if code else ""


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def _measure_columns(case: MonitoringCase) -> list[str]:
    """Each category's measures as "子项（金额）" joined, in the order of the national measure fields."""
    by_category: dict[str, list[str]] = {}
    for m in sorted(case.measures.all(), key=lambda m: (m.start_on, m.pk)):  # in the order they began
        by_category.setdefault(m.category, []).append(
            m.subtype + (f"（{m.amount.normalize():f}元）" if m.amount else "")
        )
    return ["；".join(by_category.get(category, [])) for category in MeasureCategory]


def _development_status(case: MonitoringCase) -> str:
    """实施开发式帮扶措施情况 (dm_bfcsqk): 已实施 / 尚未实施, or 不适用 for a household without labour."""
    if case.whole_household_no_labour:
        return "无劳动力不适用"
    return "已实施" if any(m.developmental for m in case.measures.all()) else "尚未实施"


def _income_line(case: MonitoringCase) -> str:
    """The monitoring line of the identification year (纳入监测对象的收入参考范围)."""
    year = int(case.identified_month[:4]) if case.identified_month else None
    if year is None:
        return ""
    try:
        return str(workflow_parameter("monitoring_line", case.household.region, dt.date(year, 12, 31)))
    except MissingParameter:
        return ""


def ledger_row(case: MonitoringCase, user) -> list:
    """One ledger row for `case`: the ID number and phones whole or masked as `user` may see them."""
    household: Household = case.household
    heads = getattr(household, "ledger_heads", None)
    head = heads[0] if heads else household.members.filter(relation="head").first()
    incomes = getattr(household, "ledger_incomes", None)
    income = incomes[0] if incomes else household.incomes.order_by("-year").first()
    risks = [_label(RiskType, code) for code in (case.risks or [])][:MAX_RISKS]
    risks += [""] * (MAX_RISKS - len(risks))
    eliminated = case.status == S.ELIMINATED
    money = (
        [
            income.year,
            income.wage,
            income.business,
            income.property,
            income.transfer,
            income.business_cost,
            income.net_income,
            income.per_capita_net_income,
            income.claims_income,
            income.compliant_out_of_pocket,
        ]
        if income
        else [""] * 10
    )
    return [
        *_regions(household.region),
        household.natural_village,
        household.number,
        household.head_name,
        shown(head.id_number, "id_number", user) if head else "",
        household.get_household_type_display(),
        household.member_count,
        shown(household.phone, "phone", user),
        household.address,
        _yes_no(household.in_relocation_site),
        household.relocation_site,
        _yes_no(household.is_military_family),
        _label(Category, case.category),
        _yes_no(case.whole_household_no_labour),
        *risks,
        _label(DisasterSubtype, case.disaster_subtype),
        case.risk_remark,
        case.identified_month,
        "是" if eliminated else "否",
        _label(EliminationMethod, case.elimination_method) if eliminated else "",
        case.eliminated_month if eliminated else "",
        case.monitoring_contact,
        shown(case.monitoring_contact_phone, "phone", user),
        str(case.cadre) if case.cadre else "",
        case.cadre_unit,
        case.cadre_since,
        _yes_no(case.housing_unsafe),
        _yes_no(case.dropout),
        _yes_no(case.water_unsafe),
        _yes_no(case.uninsured_member),
        *money,
        case.per_capita_income,
        _income_line(case),
        case.after_per_capita_income if eliminated else None,
        *_measure_columns(case),
        _development_status(case),
        case.get_status_display(),
    ]


def ledger_rows(cases: QuerySet, user) -> Iterator[list]:
    """The ledger rows of `cases`, read in chunks (constant memory for a city's ledger)."""
    for case in _with_related(cases).iterator(chunk_size=500):
        yield ledger_row(case, user)


# ---------------------------------------------------------------- KPI: share of the registered-poor population

HUNDRED = Decimal(100)


@dataclass
class ShareRow:
    """Monitored persons against registered-poor persons (members of 脱贫户) in one area."""

    region: Region | None
    name: str
    registered_poor: int
    monitored: int
    monitored_households: int
    band: tuple[Decimal, Decimal] | None

    @property
    def share(self) -> Decimal | None:
        """monitored / registered_poor, as a fraction; None when the area has no registered-poor person."""
        if not self.registered_poor:
            return None
        return Decimal(self.monitored) / Decimal(self.registered_poor)

    @property
    def percent(self) -> str:
        share = self.share
        return "—" if share is None else f"{(share * HUNDRED).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"

    @property
    def band_label(self) -> str:
        if self.band is None:
            return "未配置"
        low, high = (f"{(v * HUNDRED).normalize():f}%" for v in self.band)
        return f"{low}–{high}"

    @property
    def position(self) -> str:
        """below, within or above the reference band ('' when unknown)."""
        share = self.share
        if share is None or self.band is None:
            return ""
        if share < self.band[0]:
            return "below"
        return "above" if share > self.band[1] else "within"

    @property
    def position_label(self) -> str:
        return {"below": "低于参考区间", "within": "在参考区间内", "above": "高于参考区间"}.get(
            self.position, "—"
        )


def _band(region: Region | None, day: dt.date) -> tuple[Decimal, Decimal] | None:
    if region is None:
        return None
    try:
        low = workflow_parameter("ledger_share_min", region, day)
        high = workflow_parameter("ledger_share_max", region, day)
    except MissingParameter:
        return None
    return Decimal(str(low)), Decimal(str(high))


def _counts(user, prefix_length: int | None) -> tuple[dict, dict, dict]:
    """Registered-poor persons, monitored persons and monitored households, by region-path prefix
    (or under the key "" for the whole scope)."""
    people = Person.objects.visible_to(user).filter(household__status=Household.Status.ACTIVE)
    monitored = people.filter(household__cases__status__in=MonitoringCase.ENROLLED)
    households = MonitoringCase.objects.visible_to(user).filter(status__in=MonitoringCase.ENROLLED)

    def grouped(qs, path_field: str, count_field: str) -> dict:
        if prefix_length is None:
            return {"": qs.aggregate(n=Count(count_field, distinct=True))["n"]}
        rows = (
            qs.annotate(area=Substr(path_field, 1, prefix_length))
            .values("area")
            .annotate(n=Count(count_field, distinct=True))
            .order_by()
        )
        return {r["area"]: r["n"] for r in rows}

    return (
        grouped(people.filter(household__household_type="exited"), "household__region__path", "id"),
        grouped(monitored, "household__region__path", "id"),
        grouped(households, "household__region__path", "household_id"),
    )


def ledger_share(user, day: dt.date) -> tuple[list[ShareRow], ShareRow]:
    """The KPI rows per county in `user`'s scope and the total of the scope (the city for a city user).

    A user below county level sees one row, for their own area. The reference band is the ledger_share_min/
    ledger_share_max parameter in force for each area: a KPI to look at, never a quota.
    """
    base = getattr(user, "region", None)
    above_county = base is None or base.level in (Region.Level.PROVINCE, Region.Level.CITY)
    total_poor, total_monitored, total_households = _counts(user, None)
    total = ShareRow(
        region=base,
        name=(base.name if base else "全部") + ("合计" if above_county else ""),
        registered_poor=total_poor[""],
        monitored=total_monitored[""],
        monitored_households=total_households[""],
        band=_band(base, day),
    )
    if not above_county:
        return [], total
    length = Region.PATH_LENGTH[Region.Level.COUNTY]
    poor, monitored, households = _counts(user, length)
    rows = [
        ShareRow(
            region=county,
            name=county.name,
            registered_poor=poor.get(county.path, 0),
            monitored=monitored.get(county.path, 0),
            monitored_households=households.get(county.path, 0),
            band=_band(county, day),
        )
        for county in Region.objects.visible_to(user).filter(level=Region.Level.COUNTY).order_by("code")
    ]
    return rows, total
