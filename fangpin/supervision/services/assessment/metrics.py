"""The assessment's units and indicators: what a unit is (`Unit`), each indicator's computation (`metric_*`,
normalised to 0–100 with the numbers it came from), the two catalogues (townships or counties, departments) and
the grade bands. See the package docstring for who is assessed and how the score is made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from fangpin.core.models import StatusChange
from fangpin.exchange.catalogue import KINDS
from fangpin.exchange.models import DepartmentDataset
from fangpin.geo.models import Region
from fangpin.monitoring.models import MonitoringCase, Visit
from fangpin.monitoring.services.followup import Parameters
from fangpin.supervision.choices import Grade, UnitKind
from fangpin.supervision.models import Clue, unit_label
from fangpin.supervision.services import clues as clue_services
from fangpin.supervision.services.governance import _in_subtree, compute_coverage, today, year_bounds

S = Clue.Status
HUNDRED = Decimal(100)
CENT = Decimal("0.01")

# Grade thresholds of the 综合评价 (score out of 100): the usual 90/80/60 bands of target-responsibility
# assessments. The seed names the grades but not the cut-offs, so they are here, in one place, to be changed.
GRADE_THRESHOLDS = ((Decimal(90), Grade.GOOD), (Decimal(80), Grade.FAIRLY_GOOD), (Decimal(60), Grade.AVERAGE))
# Points an overdue or escalated clue costs on the "overdue clues" indicator: ten such clues score 0.
OVERDUE_PENALTY = Decimal(10)
# A department's data of a month are due by this day of the next month (the seed's monthly statistics "每月10日前";
# spec §3.6 "一月一提取、一月一比对"): the reporting cycle of month M runs from the 11th of M to the 10th of M+1.
DELIVERY_DUE_DAY = 10


@dataclass(frozen=True)
class Unit:
    """An assessed unit: a region (a township, or a county assessed by the city), or a line department of one."""

    region: Region
    department: str = ""

    @property
    def kind(self) -> str:
        return UnitKind.DEPARTMENT if self.department else UnitKind.REGION

    @property
    def name(self) -> str:
        return unit_label(self.region, self.department)


@dataclass(frozen=True)
class Measured:
    value: Decimal  # 0–100
    basis: str  # the numbers it came from, in Chinese, shown next to the value


def _ratio(done: int, due: int) -> Decimal:
    return (HUNDRED if due == 0 else HUNDRED * done / due).quantize(CENT, ROUND_HALF_UP)


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def handed_to(unit: Unit | Region):
    """The clues handed to the unit: to a department, those handed to that department of that very region; to a
    region, every clue handed to it or below it, its departments' included (a county answers for its departments)."""
    unit = as_unit(unit)
    if unit.department:  # the department of this region only: the city's 民政 is not the counties' 民政
        return Clue.objects.filter(assigned_region=unit.region, assigned_department=unit.department)
    return Clue.objects.filter(_in_subtree("assigned_region", unit.region))


def received_clues(unit: Unit | Region, year: int, day: dt.date | None = None):
    """Clues handed over (交办) to `unit` (see `handed_to`) between 1 January and the as-of day: dated by their
    first "assign" step in the clue's timeline."""
    start, end = year_bounds(year, day)
    assigned = StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Clue), object_id=OuterRef("pk"), transition="assign"
    ).order_by("time")
    return (
        handed_to(unit)
        .exclude(status=S.GENERATED)
        .annotate(assigned_at=Subquery(assigned.values("time")[:1]))
        .filter(assigned_at__gte=_aware(start), assigned_at__lt=_aware(end + dt.timedelta(days=1)))
    )


def metric_rectification_rate(unit: Unit | Region, year: int, day: dt.date | None = None) -> Measured:
    """整改销号率 = 100 × (closed + closed as unfounded) / clues received in the year."""
    received = received_clues(unit, year, day)
    total = received.count()
    finished = received.filter(status__in=Clue.FINISHED).count()
    return Measured(_ratio(finished, total), f"受理 {total} 条，已销号（含查否） {finished} 条")


def overdue_count(unit: Unit | Region, year: int, day: dt.date | None = None) -> int:
    """Clues received in the year that are escalated (督办) or past their deadline on the as-of day."""
    _, end = year_bounds(year, day)
    return sum(
        1
        for clue in received_clues(unit, year, day)
        if clue.status == S.ESCALATED or clue_services.overdue(clue, end) > 0
    )


def metric_overdue_clues(unit: Unit | Region, year: int, day: dt.date | None = None) -> Measured:
    """逾期线索 (inverse): 100 − OVERDUE_PENALTY × overdue or escalated clues received in the year, at least 0."""
    count = overdue_count(unit, year, day)
    value = max(Decimal(0), HUNDRED - OVERDUE_PENALTY * count).quantize(CENT)
    return Measured(value, f"逾期或被督办 {count} 条")


def metric_monitoring_timeliness(unit: Unit | Region, year: int, day: dt.date | None = None) -> Measured:
    """识别纳入及时率 = 100 × cases recorded (录入) in the year within `identification_deadline_days` of being opened
    / (cases recorded in the year + cases still being identified on the as-of day already past that deadline).

    The deadline is the policy parameter in force for the household's region on the as-of day; a region without
    one is refused rather than counted as timely."""
    start, end = year_bounds(year, day)
    params = Parameters(end)
    cases = MonitoringCase.objects.filter(
        _in_subtree("household__region", as_unit(unit).region)
    ).select_related("household__region")

    def limit(case: MonitoringCase) -> int:
        value = params.get(case.household.region, "identification_deadline_days")
        if value is None:
            raise ValidationError(
                f"{case.household.region.full_name} 未配置“识别纳入全程时限”参数，无法计算识别纳入及时率"
            )
        return int(value)

    recorded = timely = late_open = 0
    for case in cases.filter(recorded_on__gte=start, recorded_on__lte=end):
        recorded += 1
        opened = timezone.localdate(case.created_at)
        timely += (case.recorded_on - opened).days <= limit(case)
    for case in cases.filter(
        status__in=MonitoringCase.IDENTIFYING, created_at__lt=_aware(end + dt.timedelta(1))
    ):
        late_open += (end - timezone.localdate(case.created_at)).days > limit(case)
    basis = f"录入 {recorded} 户，其中按时 {timely} 户；在办超时 {late_open} 户"
    return Measured(_ratio(timely, recorded + late_open), basis)


def metric_visit_coverage(unit: Unit | Region, year: int, day: dt.date | None = None) -> Measured:
    """走访覆盖率 = 100 × duties covered / duties, in the year, where the duties are: each poor household visited by
    the township secretary and by the village secretary (遍访, LeaderVisit); for a county unit also each poor
    village visited by the county secretary; and each monitoring case enrolled at some time in the year visited
    at least once (monitoring Visit)."""
    start, end = year_bounds(year, day)
    region = as_unit(unit).region
    coverage = compute_coverage(region, year)
    due = sum(r.households for r in coverage.rows) * 2
    done = sum(r.by_township + r.by_village for r in coverage.rows)
    if region.level == Region.Level.COUNTY:
        due += sum(r.villages for r in coverage.rows)
        done += sum(r.villages_visited for r in coverage.rows)
    visited = Visit.objects.filter(case=OuterRef("pk"), visited_on__gte=start, visited_on__lte=end)
    enrolled = MonitoringCase.objects.filter(
        _in_subtree("household__region", region),
        Q(status__in=MonitoringCase.ENROLLED)
        | Q(status=MonitoringCase.Status.ELIMINATED, eliminated_on__gte=start),
        recorded_on__lte=end,
    ).annotate(seen=Exists(visited))
    cases = enrolled.count()
    seen = enrolled.filter(seen=True).count()
    basis = f"遍访应访 {due} 次、已访 {done} 次；监测户 {cases} 户、已走访 {seen} 户"
    return Measured(_ratio(done + seen, due + cases), basis)


def delivery_cycles_due(year: int, day: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The reporting cycles of the year's months already due on `day`: (11th of M, 10th of M+1), inclusive."""
    cycles = []
    for month in range(1, 13):
        opens = dt.date(year, month, DELIVERY_DUE_DAY + 1)
        due = dt.date(year + month // 12, month % 12 + 1, DELIVERY_DUE_DAY)
        if due <= day:
            cycles.append((opens, due))
    return cycles


def area_deliveries(unit: Unit):
    """Datasets about the unit's area from any department: uploaded in its region, below it, or above it."""
    above = [a.pk for a in unit.region.ancestors()]
    return DepartmentDataset.objects.filter(
        _in_subtree("batch__region", unit.region) | Q(batch__region__in=above)
    )


def own_deliveries(unit: Unit):
    """The department's deliveries covering the unit: uploaded in its own region or above it (a city
    department's delivery covers its counties) — never a county's upload credited to the city."""
    regions = [unit.region.pk, *(a.pk for a in unit.region.ancestors())]
    return DepartmentDataset.objects.filter(batch__region__in=regions, department=unit.department)


def delivery_day(year: int, day: dt.date | None = None) -> dt.date:
    """The as-of day of the delivery metric: December's cycle closes on 10 January of the next year, so the
    year's deliveries are counted up to then (or today if earlier)."""
    return min(day or today(), dt.date(year + 1, 1, DELIVERY_DUE_DAY))


def metric_data_delivery(unit: Unit | Region, year: int, day: dt.date | None = None) -> Measured:
    """数据报送及时率 = 100 × reporting cycles with a delivery / cycles due, over every dataset kind the department
    delivers (the catalogue) and every month of the year whose cycle has closed by the as-of day, counted from
    the cycle in which the area's data exchange began (its first delivery from any department): months before
    the platform was in use are not held against anyone (`area_deliveries`). A delivery is an accepted dataset of
    that kind from the department (`own_deliveries`), imported within the cycle. December's cycle closes on
    10 January of the next year and is counted then (`delivery_day`)."""
    end = delivery_day(year, day)
    unit = as_unit(unit)
    kinds = [k.code for k in KINDS if k.department == unit.department]
    first = area_deliveries(unit).order_by("created_at").values_list("created_at", flat=True).first()
    began = timezone.localdate(first) if first else None
    cycles = [(opens, due) for opens, due in delivery_cycles_due(year, end) if began and due >= began]
    if not kinds or not cycles:
        reason = "本地区尚未开始部门数据报送" if began is None else "暂无到期的报送期"
        return Measured(_ratio(0, 0), "本部门无应报送的数据集" if not kinds else reason)
    imported = (
        own_deliveries(unit)
        .filter(
            kind__in=kinds,
            created_at__gte=_aware(cycles[0][0]),
            created_at__lt=_aware(cycles[-1][1] + dt.timedelta(days=1)),
        )
        .values_list("kind", "created_at")
    )
    delivered = set()
    for kind, created_at in imported:
        on = timezone.localdate(created_at)
        delivered.update((kind, opens) for opens, due in cycles if opens <= on <= due)
    due = len(kinds) * len(cycles)
    basis = f"{len(kinds)} 类数据 × {len(cycles)} 期，应报送 {due} 期，按时报送 {len(delivered)} 期"
    return Measured(_ratio(len(delivered), due), basis)


@dataclass(frozen=True)
class Metric:
    title: str
    compute: Callable[[Unit, int, dt.date | None], Measured]
    default_weight: int
    description: (
        str  # how the value is computed, for the indicators form (the function's docstring, in Chinese)
    )
    kind: str = UnitKind.REGION


RECTIFICATION_RATE = "当年交办到本单位（含下级及本级行业部门）的问题线索中已销号（含查否销号）的比例 × 100；当年未受理线索的记 100 分。"
OVERDUE_CLUES = f"当年受理的问题线索中，截至考核日逾期未整改或被督办的，每条扣 {OVERDUE_PENALTY} 分，扣完为止（满分 100）。"
# The indicators of townships and counties, then those of line departments, by metric code.
METRICS: dict[str, Metric] = {
    "rectification_rate": Metric(
        "问题线索整改销号率", metric_rectification_rate, 35, RECTIFICATION_RATE,
    ),
    "overdue_clues": Metric(
        "逾期未整改问题线索（扣分）", metric_overdue_clues, 20, OVERDUE_CLUES,
    ),
    "monitoring_timeliness": Metric(
        "监测对象识别纳入及时率", metric_monitoring_timeliness, 25,
        "当年录入的监测对象中，自登记起在“识别纳入全程时限”内录入的比例 × 100；截至考核日仍在识别且已超过时限的计入"
        "分母；没有此类对象的记 100 分。",
    ),
    "visit_coverage": Metric(
        "遍访和监测走访覆盖率", metric_visit_coverage, 20,
        "年度遍访责任（每户贫困户由乡镇党委书记、村党组织书记各访一次；县级单位另含县委书记遍访每个贫困村）和监测户"
        "走访（年度内在监测帮扶中的户至少走访一次）的完成比例 × 100；没有此类责任的记 100 分。",
    ),
}  # fmt: skip
DEPARTMENT_METRICS: dict[str, Metric] = {
    "rectification_rate": Metric(
        "问题线索整改销号率", metric_rectification_rate, 40,
        "当年交办到本部门的问题线索中已销号（含查否销号）的比例 × 100；当年未受理线索的记 100 分。",
        UnitKind.DEPARTMENT,
    ),
    "overdue_clues": Metric(
        "逾期未整改问题线索（扣分）", metric_overdue_clues, 30, OVERDUE_CLUES, UnitKind.DEPARTMENT,
    ),
    "data_delivery": Metric(
        "部门数据报送及时率", metric_data_delivery, 30,
        f"本部门应报送的每类数据集、每个月一期（当月 {DELIVERY_DUE_DAY + 1} 日至次月 {DELIVERY_DUE_DAY} 日导入为按时），"
        "自本地区开始报送部门数据之期起，截至考核日已到期的期数中按时报送的比例 × 100；没有到期任务的记 100 分。",
        UnitKind.DEPARTMENT,
    ),
}  # fmt: skip


def metrics_for(kind: str) -> dict[str, Metric]:
    """The catalogue of indicators for one kind of unit, by metric code, in order."""
    return DEPARTMENT_METRICS if kind == UnitKind.DEPARTMENT else METRICS


def as_unit(unit: Unit | Region) -> Unit:
    """A region stands for its own unit (its poverty office)."""
    return unit if isinstance(unit, Unit) else Unit(unit)


def grade_for(score: Decimal) -> str:
    """好 ≥ 90, 较好 ≥ 80, 一般 ≥ 60, else 较差 (GRADE_THRESHOLDS)."""
    for threshold, grade in GRADE_THRESHOLDS:
        if score >= threshold:
            return grade
    return Grade.POOR
