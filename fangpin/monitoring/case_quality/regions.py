"""Loading households with what the checks read prefetched; the issues of a region or a village."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q
from django.http import Http404

from fangpin.geo.models import Region
from fangpin.monitoring.case_quality.checks import quality_issues
from fangpin.monitoring.case_quality.rules import CHECKED_STATUSES, WATER_FIELDS, Issue
from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.services.followup import Parameters
from fangpin.registry.choices import UNSAFE_HOUSING_GRADES
from fangpin.registry.models import Household


def households_to_check(households):
    """The households of a queryset that any check can flag, with what the checks read prefetched."""
    water_failed = Q()
    for name in WATER_FIELDS:
        water_failed |= Q(**{name: False})
    candidates = households.filter(
        Q(cases__status__in=CHECKED_STATUSES)
        | (Q(status=Household.Status.ACTIVE) & (Q(housing_grade__in=UNSAFE_HOUSING_GRADES) | water_failed))
    )
    return (
        households.filter(pk__in=candidates.values("pk"))
        .select_related("region")
        .prefetch_related(
            "members",
            Prefetch("cases", queryset=MonitoringCase.objects.prefetch_related("measures").order_by("pk")),
        )
        .order_by("region__path", "number")
    )


def region_quality(user, region: Region | None, day: dt.date) -> list[Issue]:
    """The issues of every household `user` sees in `region`'s subtree (the whole scope when None). A region
    outside the user's scope is a 404, exactly like one that does not exist."""
    households = Household.objects.visible_to(user)
    if region is not None:
        if not Region.objects.visible_to(user).filter(pk=region.pk).exists():
            raise Http404("未找到该区划")
        households = households.filter(region__in=Region.objects.subtree(region))
    params = Parameters(day)
    out: list[Issue] = []
    for household in households_to_check(households):
        out += quality_issues(household, day, params)
    return out


def village_quality(user, village: Region, day: dt.date) -> list[Issue]:
    """The issues of one village in the user's scope (404 outside it)."""
    if village.level != Region.Level.VILLAGE:
        raise Http404("未找到该村")
    return region_quality(user, village, day)
