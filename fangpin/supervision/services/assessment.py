"""The annual assessment of units (seed §16 "完善行业部门和乡镇扶贫成效考核办法…综合评价"; spec §12).

Who is assessed (`Unit`). A county organises the assessment of its townships and of its own line departments
(县直行业部门: 民政, 医保 …), the city that of its counties and of the city's departments. A department is a unit
of its region: clues can be handed to it (`Clue.assigned_department`) and its users deliver its datasets. The
departments assessed are those the region has: with a department account there, clues handed to them there, or
deliveries uploaded there in the year.

The organising region configures, per year and per kind of unit (`UnitKind`: townships or counties, and
departments), which indicators count and their weights (`AssessmentIndicator`, weights summing to 100);
`assess` computes every unit's indicator values from the data, its score and grade, and whether its leaders
must be talked to, and stores one `AssessmentResult` per unit and year (recomputing overwrites it: the same data
gives the same rows). A kind whose indicators are not set is not assessed (and the organiser is told).

Every indicator is normalised to 0–100 (see each `metric_*`); a unit with nothing to measure on an indicator
(no clue received, no case recorded, no duty to visit) scores 100 on it: nothing was late or missed.
The year is the calendar year, counted up to 31 December or today if earlier ("as-of day"). The state of
clues and cases is their current state: an assessment recomputed later reflects later rectification.

    score = Σ weight × value / 100        (weights sum to 100, so the score is 0–100)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from fangpin.accounts.models import Department
from fangpin.core import changelog
from fangpin.core.models import StatusChange
from fangpin.exchange.catalogue import KINDS
from fangpin.exchange.models import DepartmentDataset
from fangpin.geo.models import Region
from fangpin.monitoring.models import MonitoringCase, Visit
from fangpin.monitoring.services.followup import Parameters
from fangpin.supervision.choices import Grade, UnitKind
from fangpin.supervision.models import AssessmentIndicator, AssessmentResult, Clue, unit_label
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


# ---------------------------------------------------------------- organising and configuring


def can_organise(user, region: Region) -> bool:
    """The assessment of a region's units is organised by that region's own city or county administrators."""
    if not user.has_perm("supervision.add_assessmentresult"):
        return False
    if region.level not in (Region.Level.CITY, Region.Level.COUNTY):
        return False
    return bool(user.is_superuser or getattr(user, "region_id", None) == region.pk)


def assessed_regions(region: Region):
    """The regions a region assesses: a city's counties, a county's townships."""
    level = {Region.Level.CITY: Region.Level.COUNTY, Region.Level.COUNTY: Region.Level.TOWNSHIP}.get(
        region.level
    )
    return Region.objects.filter(parent=region, level=level).order_by("path")


def assessed_departments(region: Region, year: int) -> list[str]:
    """The line departments of `region` it assesses, in the catalogue's order: those with an active department
    account in the region itself, clues handed to them there, or deliveries uploaded there in the year."""
    from django.contrib.auth import get_user_model

    present = set(
        get_user_model()
        .objects.filter(region=region, is_active=True)
        .exclude(department="")
        .values_list("department", flat=True)
    )
    present |= set(
        Clue.objects.filter(assigned_region=region)
        .exclude(assigned_department="")
        .order_by()
        .values_list("assigned_department", flat=True)
        .distinct()
    )
    present |= set(
        DepartmentDataset.objects.filter(batch__region=region, created_at__year=year)
        .order_by()
        .values_list("department", flat=True)
        .distinct()
    )
    return [d for d in Department.values if d in present]


def assessed_units(region: Region, year: int) -> list[Unit]:
    """Every unit a region assesses: its townships (or counties), then its line departments."""
    return [
        *(Unit(r) for r in assessed_regions(region)),
        *(Unit(region, d) for d in assessed_departments(region, year)),
    ]


def _kind(kind: str) -> str:
    if kind not in UnitKind.values:
        raise ValidationError(f"未知的被考核单位类别：{kind}")
    return kind


def indicators_for(region: Region, year: int, kind: str = UnitKind.REGION) -> list[AssessmentIndicator]:
    """The region's indicators for the year and kind of unit, in the catalogue's order."""
    order = list(metrics_for(_kind(kind)))
    rows = AssessmentIndicator.objects.filter(region=region, year=year, unit_kind=kind)
    return sorted(rows, key=lambda i: order.index(i.metric) if i.metric in order else len(order))


def initial_weights(region: Region, year: int, kind: str = UnitKind.REGION) -> dict[str, Decimal]:
    """The weights to offer on the form: this year's, else last year's, else the defaults."""
    catalogue = metrics_for(_kind(kind))
    for y in (year, year - 1):
        rows = {i.metric: i.weight for i in indicators_for(region, y, kind)}
        if rows:
            return {m: rows.get(m, Decimal(0)) for m in catalogue}
    return {m: Decimal(metric.default_weight) for m, metric in catalogue.items()}


def set_indicators(
    region: Region, year: int, weights: dict[str, Decimal], *, user, kind: str = UnitKind.REGION
) -> list[AssessmentIndicator]:
    """Replace `region`'s indicators for `year` and one kind of unit: a weight per metric (0 = not used); the
    weights must sum to 100."""
    if not (
        user.has_perm("supervision.add_assessmentindicator")
        and user.has_perm("supervision.change_assessmentindicator")
    ):
        raise PermissionDenied("您没有权限设置考核指标")
    if not can_organise(user, region):
        raise PermissionDenied("考核指标由本级（市、县）管理员设置")
    catalogue = metrics_for(_kind(kind))
    unknown = set(weights) - set(catalogue)
    if unknown:
        raise ValidationError(f"未知的考核指标：{'、'.join(sorted(unknown))}")
    clean = {m: Decimal(w or 0) for m, w in weights.items()}
    if any(w < 0 or w > HUNDRED for w in clean.values()):
        raise ValidationError("每项权重应在 0 到 100 之间")
    total = sum(clean.values(), Decimal(0))
    if total != HUNDRED:
        raise ValidationError(f"各项权重之和须为 100，现为 {total.normalize():f}")
    with transaction.atomic(), changelog.acting(user):
        AssessmentIndicator.objects.filter(region=region, year=year, unit_kind=kind).exclude(
            metric__in=[m for m, w in clean.items() if w]
        ).delete()
        out = []
        for metric, weight in clean.items():
            if not weight:
                continue
            row, _ = AssessmentIndicator.objects.update_or_create(
                region=region,
                year=year,
                unit_kind=kind,
                metric=metric,
                defaults={"title": catalogue[metric].title, "weight": weight},
            )
            out.append(row)
    return out


# ---------------------------------------------------------------- computing


def escalated_count(unit: Unit | Region) -> int:
    """Clues handed to the unit that are escalated now: the "存在突出问题" of seed §16."""
    return handed_to(unit).filter(status=S.ESCALATED).count()


def evaluate(unit: Unit | Region, year: int, indicators, day: dt.date | None = None) -> dict:
    """One unit's indicator values, score, grade and must-talk flag (nothing stored)."""
    unit = as_unit(unit)
    values, score = {}, Decimal(0)
    for indicator in indicators:
        measured = metrics_for(unit.kind)[indicator.metric].compute(unit, year, day)
        values[indicator.metric] = {
            "title": indicator.title,
            "weight": str(indicator.weight),
            "value": str(measured.value),
            "basis": measured.basis,
        }
        score += indicator.weight * measured.value / HUNDRED
    score = score.quantize(CENT, ROUND_HALF_UP)
    grade = grade_for(score)
    escalated = escalated_count(unit)
    return {
        "values": {"indicators": values, "escalated_clues": escalated},
        "score": score,
        "grade": grade,
        "must_talk": grade == Grade.POOR or escalated > 0,
    }


def configured_kinds(region: Region, year: int) -> list[str]:
    """The kinds of unit whose indicators for the year are set (weights summing to 100)."""
    return [
        kind
        for kind in UnitKind.values
        if sum((i.weight for i in indicators_for(region, year, kind)), Decimal(0)) == HUNDRED
    ]


def assess(region: Region, year: int, *, user, day: dt.date | None = None) -> list[AssessmentResult]:
    """Compute and store the year's results of every unit `region` assesses whose kind has its indicators set
    (again: the rows are overwritten)."""
    if not can_organise(user, region):
        raise PermissionDenied("年度考核由本级（市、县）管理员组织")
    kinds = configured_kinds(region, year)
    if not kinds:
        raise ValidationError(f"{year} 年度考核指标未设置或权重之和不为 100，请先设置考核指标")
    indicators = {kind: indicators_for(region, year, kind) for kind in kinds}
    day = day or today()
    results = []
    with transaction.atomic(), changelog.acting(user):
        for unit in assessed_units(region, year):
            if unit.kind not in indicators:
                continue
            computed = evaluate(unit, year, indicators[unit.kind], day)
            row, _ = AssessmentResult.objects.update_or_create(
                unit=unit.region, department=unit.department, year=year, defaults=computed
            )
            results.append(row)
        # A unit no longer assessed (a department whose accounts were closed) leaves no stale result behind.
        stale = results_for(region, year, user=user).exclude(pk__in=[r.pk for r in results])
        if UnitKind.DEPARTMENT not in indicators:
            stale = stale.filter(department="")
        if UnitKind.REGION not in indicators:
            stale = stale.exclude(department="")
        for row in stale:
            row.delete()
    return results


def must_talk_reasons(result: AssessmentResult) -> list[str]:
    """Why a unit's leaders must be talked to (seed §16: "较差和存在突出问题")."""
    reasons = []
    if result.grade == Grade.POOR:
        reasons.append(f"{result.year} 年度综合评价为“较差”（{result.score} 分）")
    escalated = (result.values or {}).get("escalated_clues") or 0
    if escalated:
        reasons.append(f"存在突出问题：{escalated} 条问题线索被督办")
    return reasons


def results_for(region: Region, year: int, *, user):
    """The stored results of the units `region` assesses, as far as `user` may see them, best first."""
    return (
        AssessmentResult.objects.visible_to(user)
        .filter(Q(unit__parent=region, department="") | (Q(unit=region) & ~Q(department="")), year=year)
        .select_related("unit")
        .order_by("-score", "unit__path", "department")
    )
