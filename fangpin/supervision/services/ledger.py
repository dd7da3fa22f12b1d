"""问题线索整改台账 (spec §7.3 ledger, issue #6 part 4): per region and per unit, how many clues were received,
confirmed, found unfounded, rectified, closed and are overdue, the funds stopped and recovered, the persons held
accountable, the average days from hand-over to closure, and the rates built from them.

Counted from the clues the user may see (`clues_visible_to`): a township's ledger is the clues handed to it, a
county supervisor's the whole county. A clue still in the supervisors' pool (待交办) has not been received by any
unit and is not counted.

Two views of the same clues:
- by region (`by="region"`): where the problem is — every county and township in scope, each counting the clues
  located in its subtree;
- by unit (`by="unit"`): who must fix it — every county and township in scope, each counting the clues handed to
  that unit itself, and after a county (or above the first county, the city) a row for each of its line
  departments that has received clues.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Concat, Substr
from django.utils import timezone

from fangpin.core.models import StatusChange
from fangpin.core.scoping import subtree_bounds
from fangpin.geo.models import Region
from fangpin.supervision.models import Clue, unit_label
from fangpin.supervision.services import clues

S = Clue.Status
BY = {"region": "按问题所在地", "unit": "按承办单位"}
UNIT_LEVELS = (Region.Level.COUNTY, Region.Level.TOWNSHIP)
CENT = Decimal("0.01")
DEPARTMENT_LEVEL = "department"  # the "层级" of a line department's row in the by-unit ledger

# A clue counts as 查实 once classified (only `confirm` sets the classification), as 已整改 once it reached
# 已整改 and was not sent back by a failed spot check. An escalated clue counts where it was before 督办.
RECTIFIED_STAGES = (S.RECTIFIED, S.SPOT_CHECK, S.CLOSED)
POOL = Q(status=S.GENERATED) | Q(status=S.ESCALATED, escalated_from=S.GENERATED)
TALLIES = {
    "received": Count("pk"),
    "confirmed": Count("pk", filter=~Q(classification="")),
    "unfounded": Count("pk", filter=Q(status=S.UNFOUNDED)),
    "rectified": Count(
        "pk",
        filter=Q(status__in=RECTIFIED_STAGES) | Q(status=S.ESCALATED, escalated_from__in=RECTIFIED_STAGES),
    ),
    "closed": Count("pk", filter=Q(status=S.CLOSED)),
    "escalated": Count("pk", filter=Q(status=S.ESCALATED)),
    "funds_stopped": Sum("funds_stopped"),
    "funds_recovered": Sum("funds_recovered"),
    "persons_accountable": Sum("persons_accountable"),
}

HEADER = (
    "区划代码", "区划/承办单位", "层级", "收到线索", "查实", "查否销号", "已整改", "整改销号", "逾期", "督办中",
    "停发资金（元）", "追缴资金（元）", "问责人数", "平均办结天数", "查实率（%）", "整改率（%）", "办结率（%）",
    "逾期率（%）",
)  # fmt: skip


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class LedgerRow:
    """One line of the ledger: an area (or unit) and its tallies. Rates are percentages, None when nothing to
    divide by."""

    code: str
    name: str
    level: str
    received: int = 0
    confirmed: int = 0
    unfounded: int = 0
    rectified: int = 0
    closed: int = 0
    overdue: int = 0
    escalated: int = 0
    funds_stopped: Decimal = Decimal("0.00")
    funds_recovered: Decimal = Decimal("0.00")
    persons_accountable: int = 0
    days_to_close: list[int] = field(default_factory=list, repr=False)

    @property
    def level_label(self) -> str:
        if self.level == DEPARTMENT_LEVEL:
            return "行业部门"
        return dict(Region.Level.choices).get(self.level, "") if self.level else "合计"

    @property
    def average_days_to_close(self) -> Decimal | None:
        """Average days from hand-over (交办) to 销号 (either closure), over the clues closed so far."""
        if not self.days_to_close:
            return None
        return (Decimal(sum(self.days_to_close)) / len(self.days_to_close)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    @property
    def confirmed_rate(self) -> Decimal | None:
        """查实率 = 查实 ÷ 收到线索."""
        return _rate(self.confirmed, self.received)

    @property
    def rectification_rate(self) -> Decimal | None:
        """整改率 = 已整改 ÷ 查实."""
        return _rate(self.rectified, self.confirmed)

    @property
    def closure_rate(self) -> Decimal | None:
        """办结率 = (整改销号 + 查否销号) ÷ 收到线索."""
        return _rate(self.closed + self.unfounded, self.received)

    @property
    def overdue_rate(self) -> Decimal | None:
        """逾期率 = 逾期 ÷ 收到线索."""
        return _rate(self.overdue, self.received)

    def as_dict(self) -> dict:
        return {
            "code": self.code, "name": self.name, "level": self.level, "received": self.received,
            "confirmed": self.confirmed, "unfounded": self.unfounded, "rectified": self.rectified,
            "closed": self.closed, "overdue": self.overdue, "escalated": self.escalated,
            "funds_stopped": self.funds_stopped, "funds_recovered": self.funds_recovered,
            "persons_accountable": self.persons_accountable, "average_days_to_close": self.average_days_to_close,
            "confirmed_rate": self.confirmed_rate, "rectification_rate": self.rectification_rate,
            "closure_rate": self.closure_rate, "overdue_rate": self.overdue_rate,
        }  # fmt: skip

    def values(self) -> tuple:
        """The row under HEADER."""
        return (
            self.code, self.name, self.level_label, self.received, self.confirmed, self.unfounded, self.rectified,
            self.closed, self.overdue, self.escalated, self.funds_stopped, self.funds_recovered,
            self.persons_accountable, self.average_days_to_close, self.confirmed_rate, self.rectification_rate,
            self.closure_rate, self.overdue_rate,
        )  # fmt: skip

    def add(self, tallies: dict) -> None:
        for name in TALLIES:
            value = tallies.get(name)
            if value is not None:
                setattr(self, name, value)
        # Databases differ in the scale of a sum of decimals: the ledger speaks yuan and fen.
        self.funds_stopped = Decimal(self.funds_stopped).quantize(CENT)
        self.funds_recovered = Decimal(self.funds_recovered).quantize(CENT)


@dataclass
class Ledger:
    by: str
    day: dt.date
    region: Region | None
    rows: list[LedgerRow]
    total: LedgerRow

    def __iter__(self) -> Iterator[LedgerRow]:
        return iter(self.rows)


def received_clues(user):
    """The clues of the ledger: those `user` may see that a unit has received (not the unassigned pool)."""
    return clues.clues_visible_to(user).exclude(POOL)


def _in_subtree(queryset, path_field: str, region: Region | None):
    if region is None:
        return queryset
    low, high = subtree_bounds(region.path)
    return queryset.filter(**{f"{path_field}__gte": low, f"{path_field}__lt": high})


def _overdue_by(queryset, day: dt.date) -> dict:
    """{key: overdue count}. The service decides (clues.overdue), and it judges an escalated clue in the stage
    it was escalated from, so the nightly job turning overdue clues into 督办 does not hide them here."""
    out: dict = defaultdict(int)
    candidates = queryset.filter(deadline__lt=day).exclude(status__in=Clue.FINISHED)
    fields = ("key", "status", "escalated_from", "deadline")
    for key, status, escalated_from, deadline in candidates.values_list(*fields):
        if clues.overdue(Clue(status=status, escalated_from=escalated_from, deadline=deadline), day):
            out[key] += 1
    return out


def _days_to_close_by(queryset) -> dict:
    """{key: [days from the first hand-over to closure]} of the closed clues (整改销号 and 查否销号)."""
    handed = StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Clue), object_id=OuterRef("pk"), transition="assign"
    ).order_by("time", "pk")
    finished = queryset.filter(status__in=Clue.FINISHED, closed_on__isnull=False).annotate(
        handed_at=Subquery(handed.values("time")[:1])
    )
    out: dict = defaultdict(list)
    for key, closed_on, handed_at in finished.values_list("key", "closed_on", "handed_at"):
        if handed_at is not None:
            out[key].append((closed_on - timezone.localdate(handed_at)).days)
    return out


def _tally(queryset, day: dt.date) -> dict:
    """{key: {tally: value}} for a queryset annotated with `key` (what a row groups by)."""
    grouped = {row.pop("key"): row for row in queryset.order_by().values("key").annotate(**TALLIES)}
    for key, count in _overdue_by(queryset, day).items():
        grouped.setdefault(key, {})["overdue"] = count
    for key, days in _days_to_close_by(queryset).items():
        grouped.setdefault(key, {})["days_to_close"] = days
    return grouped


def _fill(row: LedgerRow, tallies: dict | None) -> LedgerRow:
    if tallies:
        row.add(tallies)
        row.overdue = tallies.get("overdue", 0)
        row.days_to_close = tallies.get("days_to_close", [])
    return row


def ledger(user, *, by: str = "region", region: Region | None = None, day: dt.date | None = None) -> Ledger:
    """The ledger of `user`'s clues by region or by unit, within `region` (a region the user may see) if given:
    one row per county and township in scope, then the total."""
    if by not in BY:
        raise ValueError(f"unknown ledger grouping {by!r}")
    day = day or clues.today()
    areas = Region.objects.visible_to(user).filter(level__in=UNIT_LEVELS).order_by("path")
    if region is not None:
        areas = areas.subtree(region)
    areas = list(areas)
    base = received_clues(user)
    rows: list[LedgerRow] = []
    if by == "region":
        base = _in_subtree(base, "region__path", region)
        by_level = {
            level: _tally(base.annotate(key=Substr("region__path", 1, Region.PATH_LENGTH[level])), day)
            for level in UNIT_LEVELS
        }
        for area in areas:
            rows.append(
                _fill(LedgerRow(area.code, area.name, area.level), by_level[area.level].get(area.path))
            )
    else:
        base = _in_subtree(base, "assigned_region__path", region)
        unit = Concat(Cast("assigned_region_id", CharField()), Value(":"), "assigned_department")
        by_unit = _tally(base.annotate(key=unit), day)
        departments: dict[int, list[str]] = defaultdict(list)
        for key in sorted(by_unit):
            region_id, department = key.split(":", 1)
            if department:
                departments[int(region_id)].append(department)
        # A city's departments come first, above its counties; a county's right after the county.
        cities = Region.objects.filter(pk__in=departments).exclude(level__in=UNIT_LEVELS).order_by("path")
        for area in [*cities, *areas]:
            if area.level in UNIT_LEVELS:
                rows.append(_fill(LedgerRow(area.code, area.name, area.level), by_unit.get(f"{area.pk}:")))
            for department in departments.get(area.pk, []):
                name = unit_label(area, department, full=False)
                rows.append(
                    _fill(
                        LedgerRow(area.code, name, DEPARTMENT_LEVEL), by_unit.get(f"{area.pk}:{department}")
                    )
                )
    place = region or getattr(user, "region", None)
    label = place.name if place else "全部"
    if clues.sees_only_own_department(user):
        # A county department's ledger is its own: its row only, and its name on the total.
        rows = [r for r in rows if r.level == DEPARTMENT_LEVEL] if by == "unit" else rows
        label = unit_label(user.region, user.department, full=False)
    total = LedgerRow(place.code if place else "", f"{label}合计", "")
    _fill(total, _sum_all(base, day))
    return Ledger(by=by, day=day, region=region, rows=rows, total=total)


def _sum_all(queryset, day: dt.date) -> dict:
    """The tallies of the whole queryset, as one group."""
    whole = queryset.order_by().aggregate(**TALLIES)
    whole["overdue"] = sum(_overdue_by(queryset.annotate(key=F("pk")), day).values())
    whole["days_to_close"] = [
        d for days in _days_to_close_by(queryset.annotate(key=F("pk"))).values() for d in days
    ]
    return whole


def area_in_scope(user, code: str) -> Region | None:
    """The region `code` names if `user` may see it and a ledger can be drawn for it (city, county, township)."""
    return (
        Region.objects.visible_to(user)
        .filter(code=code.strip(), level__in=(Region.Level.CITY, *UNIT_LEVELS))
        .first()
    )


def ledger_rows(result: Ledger) -> Iterator[tuple]:
    """The ledger's rows then its total, under HEADER (for the Excel download)."""
    for row in result.rows:
        yield row.values()
    yield result.total.values()
