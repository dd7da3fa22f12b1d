"""Organising an assessment: who may, which units a region assesses, and the indicators with their weights per
year and kind of unit."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from fangpin.accounts.models import Department
from fangpin.core import changelog
from fangpin.exchange.models import DepartmentDataset
from fangpin.geo.models import Region
from fangpin.supervision.choices import UnitKind
from fangpin.supervision.models import AssessmentIndicator, Clue
from fangpin.supervision.services.assessment.metrics import HUNDRED, Unit, metrics_for


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
