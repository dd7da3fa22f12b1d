"""Governance records around the clue loop (seed §3, §4, §15, §16; spec §12): talks with the leaders of lagging
units (约谈) and the leaders' visit-all duty (遍访) with its coverage gaps. Every write is one function here,
atomic, scoped and logged; refusals carry a Chinese reason.

Who must visit whom (seed §4 "县委书记遍访贫困村，乡镇党委书记和村党组织书记遍访贫困户"):

* 贫困村 (poor village). The division data may carry the designation itself (`Region.is_poor_village`, 曾为贫困村:
  the 192 villages of the seed). Where a county's villages carry it, the flagged villages are that county's poor
  villages; in a county none of whose villages is flagged (the designation was not loaded), a poor village is a
  village with at least one active 脱贫户 household. Decided per county so one county's missing flags cannot
  turn every village of another county into a duty.
* 贫困户 (poor household): an active household of type 脱贫户, or one with a monitoring case currently enrolled
  (监测帮扶中 or being eliminated) — the households the policy still follows.
* The county secretary's duty is each poor village of the county (a visit to the village, no household); the
  township secretary's and the village secretary's duties are each poor household of the township (a visit to
  the household). A duty is covered by one visit in the calendar year.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from fangpin.accounts.models import Department
from fangpin.core import changelog
from fangpin.core.scoping import subtree_bounds
from fangpin.geo.models import Region
from fangpin.monitoring.models import MonitoringCase
from fangpin.registry.choices import HouseholdType
from fangpin.registry.models import Household
from fangpin.supervision.choices import VisitorPost
from fangpin.supervision.models import Clue, LeaderVisit, Talk, unit_label
from fangpin.supervision.services.clues import clues_visible_to

HOUSEHOLD_POSTS = (VisitorPost.TOWNSHIP_SECRETARY, VisitorPost.VILLAGE_SECRETARY)


def today() -> dt.date:
    return timezone.localdate()


def _require(user, permission: str, label: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied(f"您没有权限{label}")


def _in_subtree(field: str, region: Region) -> Q:
    low, high = subtree_bounds(region.path)
    return Q(**{f"{field}__path__gte": low, f"{field}__path__lt": high})


def _visible_region(region: Region, user, message: str) -> Region:
    if not Region.objects.visible_to(user).filter(pk=region.pk).exists():
        raise ValidationError({"region": message})
    return region


# ---------------------------------------------------------------- talks (约谈)


def talk_units(user):
    """The regions whose units a user may talk to: the counties and townships of their region, and the city
    (for its line departments)."""
    return Region.objects.visible_to(user).filter(level__in=("city", "county", "township")).order_by("path")


def record_talk(
    *,
    user,
    region: Region,
    persons: str,
    held_on: dt.date,
    held_by: str,
    reason: str,
    unit: str = "",
    commitments: str = "",
    clue_numbers: Iterable[str] = (),
    department: str = "",
) -> Talk:
    """Record a talk with the leaders of `region`'s unit, or of its line department `department`; related clues
    must be ones the user sees, handed to that unit (or below it; for a department, to that department)."""
    _require(user, "supervision.add_talk", "登记约谈")
    if not talk_units(user).filter(pk=region.pk).exists():
        raise ValidationError({"region": "被约谈单位须为您管辖范围内的市、县（市、区）或乡镇"})
    if department and department not in Department.values:
        raise ValidationError({"department": f"未知的部门：{department}"})
    if department and region.level not in (Region.Level.CITY, Region.Level.COUNTY):
        raise ValidationError({"department": "行业部门只在市级和县（市、区）级，乡镇不能选择被约谈部门"})
    if not department and region.level == Region.Level.CITY:
        raise ValidationError({"department": "约谈市级单位时请选择被约谈的行业部门"})
    if held_on and held_on > today():
        raise ValidationError({"held_on": "约谈日期不能晚于今天"})
    numbers = list(dict.fromkeys(n.strip() for n in clue_numbers if n.strip()))
    # Only clues already handed to the unit (or below it): a talk is about how the unit handled them.
    handed = clues_visible_to(user).exclude(status=Clue.Status.GENERATED)
    handed = handed.filter(_in_subtree("assigned_region", region))
    if department:
        handed = handed.filter(assigned_region=region, assigned_department=department)
    related = list(handed.filter(number__in=numbers))
    missing = sorted(set(numbers) - {c.number for c in related})
    if missing:
        raise ValidationError({"clues": f"以下线索不存在或不属于被约谈单位：{'、'.join(missing)}"})
    talk = Talk(
        region=region,
        department=department,
        unit=unit.strip() or unit_label(region, department),
        persons=persons,
        held_on=held_on,
        held_by=held_by,
        reason=reason,
        commitments=commitments,
        created_by=user,
    )
    talk.full_clean(exclude=["created_by"])
    with transaction.atomic(), changelog.acting(user):
        talk.save()
        talk.clues.set(related)
    return talk


def update_talk_follow_up(talk: Talk, *, user, follow_up: str, commitments: str | None = None) -> Talk:
    """跟踪落实: record how the commitments were kept (and amend the commitments if they were written later)."""
    _require(user, "supervision.change_talk", "登记约谈跟踪情况")
    if not Talk.objects.visible_to(user).filter(pk=talk.pk).exists():
        raise Http404("未找到该约谈记录")
    if not follow_up.strip():
        raise ValidationError({"follow_up": "请填写跟踪落实情况"})
    talk.follow_up = follow_up
    if commitments is not None:
        talk.commitments = commitments
    with transaction.atomic(), changelog.acting(user):
        talk.save(update_fields=["follow_up", "commitments"])
    return talk


# ---------------------------------------------------------------- visit-all duty (遍访)


def record_visit(
    *,
    user,
    visitor: str,
    post: str,
    region: Region,
    visited_on: dt.date,
    household: Household | None = None,
    note: str = "",
) -> LeaderVisit:
    """Record a leader's visit: a county secretary's to a village (no household), a township or village
    secretary's to a household of that village."""
    _require(user, "supervision.add_leadervisit", "登记遍访")
    _visible_region(region, user, "走访村不在您的管辖范围内")
    if region.level != Region.Level.VILLAGE:
        raise ValidationError({"region": "请选择走访的村（社区）"})
    if post == VisitorPost.COUNTY_SECRETARY:
        if household is not None:
            raise ValidationError({"household": "县（市、区）委书记遍访贫困村，不登记走访户"})
    elif post in HOUSEHOLD_POSTS:
        if household is None:
            raise ValidationError({"household": "乡镇党委书记、村党组织书记遍访贫困户，请填写走访户"})
        if household.region_id != region.pk:
            raise ValidationError({"household": "走访户不在所选村"})
        # Read again: the object handed in may predate a cancellation.
        if not Household.objects.filter(pk=household.pk, status=Household.Status.ACTIVE).exists():
            raise ValidationError({"household": "该户已注销"})
    else:
        raise ValidationError({"post": "请选择走访人职务"})
    if visited_on and visited_on > today():
        raise ValidationError({"visited_on": "走访日期不能晚于今天"})
    visit = LeaderVisit(
        visitor=visitor,
        post=post,
        region=region,
        household=household,
        visited_on=visited_on,
        note=note,
        created_by=user,
    )
    visit.full_clean(exclude=["created_by"])
    with transaction.atomic(), changelog.acting(user):
        visit.save()
    return visit


def poor_villages(area: Region):
    """The poor villages in `area` (see the module docstring: the flag where the county carries it, else villages
    with an active 脱贫户)."""
    villages = Region.objects.subtree(area).filter(level=Region.Level.VILLAGE)
    # The designation is looked up in the whole county of `area` (a township's own villages may all be unflagged).
    low, high = subtree_bounds(area.path[:6] if len(area.path) >= 6 else area.path)
    flagged = Region.objects.filter(
        level=Region.Level.VILLAGE, is_poor_village=True, path__gte=low, path__lt=high
    )
    flagged_counties = {path[:6] for path in flagged.values_list("path", flat=True)}
    exited = Household.objects.filter(
        region=OuterRef("pk"), status=Household.Status.ACTIVE, household_type=HouseholdType.EXITED
    )
    by_flag = Q(is_poor_village=True)
    by_households = Exists(exited)
    for county in flagged_counties:
        by_households &= ~Q(path__startswith=county)
    return villages.filter(by_flag | by_households).order_by("path")


def poor_households(area: Region):
    """Active households in `area` of type 脱贫户 or with a monitoring case currently enrolled."""
    enrolled = MonitoringCase.objects.filter(household=OuterRef("pk"), status__in=MonitoringCase.ENROLLED)
    return Household.objects.filter(
        _in_subtree("region", area),
        Q(household_type=HouseholdType.EXITED) | Exists(enrolled),
        status=Household.Status.ACTIVE,
    )


def year_bounds(year: int, day: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first day of `year` and its last day counted: 31 December, or `day` (today) if earlier."""
    day = day or today()
    return dt.date(year, 1, 1), min(dt.date(year, 12, 31), day)


@dataclass
class CoverageRow:
    """One township's duties: its poor villages (the county secretary's) and poor households (the township and
    village secretaries')."""

    township: Region
    villages: int = 0
    villages_visited: int = 0
    households: int = 0
    by_township: int = 0
    by_village: int = 0

    @property
    def county(self) -> Region:
        return self.township.parent

    @property
    def done(self) -> int:
        return self.villages_visited + self.by_township + self.by_village

    @property
    def due(self) -> int:
        return self.villages + 2 * self.households


@dataclass
class Coverage:
    """The visit-all coverage of `area` in `year`: a row per township, and the gaps (what was not visited)."""

    area: Region
    year: int
    rows: list[CoverageRow] = field(default_factory=list)
    village_gaps: list[Region] = field(default_factory=list)
    household_gaps: list[tuple[Household, list[str]]] = field(
        default_factory=list
    )  # (household, posts missing)

    def total(self, attr: str) -> int:
        return sum(getattr(r, attr) for r in self.rows)


def compute_coverage(area: Region, year: int) -> Coverage:
    """Coverage of `area` (unscoped: callers check the user may see `area`)."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    visits = LeaderVisit.objects.filter(
        _in_subtree("region", area), visited_on__gte=start, visited_on__lte=end
    )
    villages_visited = set(
        visits.filter(post=VisitorPost.COUNTY_SECRETARY).values_list("region_id", flat=True)
    )
    by_post = {
        post: set(visits.filter(post=post, household__isnull=False).values_list("household_id", flat=True))
        for post in HOUSEHOLD_POSTS
    }
    townships = Region.objects.subtree(area).filter(level=Region.Level.TOWNSHIP).select_related("parent")
    if area.level == Region.Level.VILLAGE:
        townships = Region.objects.filter(pk=area.parent_id).select_related("parent")
    rows = {t.pk: CoverageRow(t) for t in townships.order_by("path")}
    coverage = Coverage(area, year)
    for village in poor_villages(area).select_related("parent__parent"):
        row = rows.get(village.parent_id)
        if row is None:
            continue
        row.villages += 1
        if village.pk in villages_visited:
            row.villages_visited += 1
        else:
            coverage.village_gaps.append(village)
    labels = dict(VisitorPost.choices)
    for household in (
        poor_households(area).select_related("region__parent__parent").order_by("region__path", "number")
    ):
        row = rows.get(household.region.parent_id)
        if row is None:
            continue
        row.households += 1
        row.by_township += household.pk in by_post[VisitorPost.TOWNSHIP_SECRETARY]
        row.by_village += household.pk in by_post[VisitorPost.VILLAGE_SECRETARY]
        missing = [labels[p] for p in HOUSEHOLD_POSTS if household.pk not in by_post[p]]
        if missing:
            coverage.household_gaps.append((household, missing))
    coverage.rows = list(rows.values())
    return coverage


def coverage(area: Region, year: int, *, user) -> Coverage:
    """The visit-all coverage of `area` in `year` for a user who may see it (out of scope is not found)."""
    _require(user, "supervision.view_leadervisit", "查看遍访情况")
    if not Region.objects.visible_to(user).filter(pk=area.pk).exists():
        raise Http404("未找到该区划")
    return compute_coverage(area, year)


def gap_rows(result: Coverage) -> tuple[list[str], list[list]]:
    """The gaps as one sheet (header, rows): poor villages the county secretary did not visit, poor households a
    township or village secretary did not visit."""
    header = ["类别", "县（市、区）", "乡镇", "村", "户编号", "户主", "未遍访的责任人"]
    rows = []
    for village in result.village_gaps:
        township = village.parent
        rows.append(
            [
                "贫困村未遍访",
                township.parent.name,
                township.name,
                village.name,
                "",
                "",
                VisitorPost.COUNTY_SECRETARY.label,
            ]
        )
    for household, missing in result.household_gaps:
        village = household.region
        township = village.parent
        rows.append(
            ["贫困户未遍访", township.parent.name, township.name, village.name, household.number, household.head_name,
             "、".join(missing)]
        )  # fmt: skip
    return header, rows


def default_area(user) -> Region | None:
    region = getattr(user, "region", None)
    if region is None and getattr(user, "is_superuser", False):
        return Region.objects.filter(level=Region.Level.CITY).order_by("path").first()
    return region


def by_county(rows: list[CoverageRow]) -> dict[Region, list[CoverageRow]]:
    out: dict[Region, list[CoverageRow]] = defaultdict(list)
    for row in rows:
        out[row.county].append(row)
    return dict(out)
