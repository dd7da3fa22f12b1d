"""Who sees which clue (and batch), the one place the scope of clues is decided, and the access log."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from fangpin.geo.models import Region
from fangpin.supervision.models import Clue, ClueAccess, ClueBatch
from fangpin.supervision.services.workflow import at_city_or_above

S = Clue.Status


def today() -> dt.date:
    return timezone.localdate()


def sees_only_own_department(user) -> bool:
    """A county (or township) line department's users see only what was handed to their department; city
    departments, who spot-check (seed §15), see every handed-over clue of the city."""
    return bool(getattr(user, "department", "") and not user.is_superuser and not at_city_or_above(user))


def batches_visible_to(user):
    """The batches `user` may see: scoped by the unit they were handed to, like their clues."""
    queryset = ClueBatch.objects.visible_to(user)
    if sees_only_own_department(user):
        queryset = queryset.filter(assigned_department=user.department)
    return queryset


def clues_visible_to(user):
    """The clues `user` may see: those assigned within their region; units other than supervisors see a clue
    only once it has been handed over to them (not the supervisors' unassigned pool), and a county department
    only those handed to it (`sees_only_own_department`)."""
    queryset = Clue.objects.visible_to(user)
    if not user.has_perm("supervision.supervise_clue"):
        queryset = queryset.exclude(status=S.GENERATED).exclude(
            status=S.ESCALATED, escalated_from=S.GENERATED
        )
    if sees_only_own_department(user):
        queryset = queryset.filter(assigned_department=user.department)
    return queryset


def _visible(clue: Clue, user) -> Clue:
    if not clues_visible_to(user).filter(pk=clue.pk).exists():
        raise Http404("未找到该问题线索")
    return clue


def _require(user, permission: str, label: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied(f"您没有权限{label}")


def log_access(clue: Clue, user, channel: str) -> None:
    """Record that `user` saw `clue`'s personal data (page, api, export)."""
    ClueAccess.objects.create(clue=clue, user=user, channel=channel)


def county_of(region: Region) -> Region:
    node = region
    while node is not None and node.level not in ("county", "city", "province"):
        node = node.parent
    return node or region
