"""What a demo build carries: the summary, the acting official of each role and region, the run's context."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from fangpin.accounts.models import Department, User
from fangpin.accounts.roles import assign_role
from fangpin.geo.models import Region
from fangpin.monitoring.demo_cases.data import S
from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.services.workflow import workflow_parameter
from fangpin.registry.models import Household
from fangpin.registry.synthetic import GIVEN_FEMALE, GIVEN_MALE, SURNAMES


@dataclass
class Summary:
    """What a build did: cases created by status, steps the rules refused, and the share reached."""

    created: Counter = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)
    registered_poor_persons: int = 0
    identified_persons: int = 0
    users_created: int = 0

    @property
    def share(self) -> float:
        return self.identified_persons / self.registered_poor_persons if self.registered_poor_persons else 0.0


class Actors:
    """The official of each role for each region: a demo account sitting there, or one created for the demo."""

    def __init__(self, seed: int, summary: Summary):
        self.rng, self.summary, self.cache = random.Random(f"demo-actors:{seed}"), summary, {}
        users = User.objects.filter(is_active=True, region__isnull=False).select_related("region")
        for user in sorted(
            users.prefetch_related("groups"), key=lambda u: (not u.username.startswith("demo_"), u.username)
        ):
            for role in user.role_codes:
                self.cache.setdefault((role, user.region_id, user.department), user)  # fmt: skip

    def get(self, role: str, region: Region, department: str = "") -> User:
        """The official of `role` in `region` (of `department`, for a line department's officer)."""
        key = (role, region.pk, department)
        if key not in self.cache:
            pool = GIVEN_MALE if self.rng.random() < 0.6 else GIVEN_FEMALE
            name = self.rng.choice(SURNAMES) + "".join(self.rng.choice(pool) for _ in range(2))
            username = f"demo_{role}_{region.code}" + (f"_{department}" if department else "")
            user = User(username=username, region=region, department=department, display_name=name)
            user.set_unusable_password()
            user.save()
            assign_role(user, role)
            self.summary.users_created += 1
            self.cache[key] = User.objects.select_related("region").get(pk=user.pk)
        return self.cache[key]

    def login_villages(self) -> set[int]:
        return {
            region
            for (role, region, _), user in self.cache.items()
            if role == "village" and user.has_usable_password()
        }

    def for_measure(self, category: str, township: Region) -> User:
        department = {"health": Department.MEDICAL_INSURANCE, "comprehensive": Department.CIVIL_AFFAIRS}
        officer = self.get("township", township)
        return self.cache.get(("department", township.parent_id, department.get(category, "")), officer)


def _subtree(queryset, region: Region, path: str = "region__path"):
    return queryset.filter(**{f"{path}__gte": region.path, f"{path}__lt": region.path + "z"})


def _identified_persons(region: Region) -> int:
    statuses = [*MonitoringCase.ENROLLED, S.ELIMINATED]
    households = _subtree(Household.objects, region).filter(cases__status__in=statuses).distinct()
    return households.aggregate(n=Sum("member_count"))["n"] or 0


@dataclass
class Context:
    """What every plan and step needs: the day, the parameters in force, the actors, the running summary."""

    seed: int
    region: Region
    actors: Actors
    summary: Summary
    now: dt.datetime = field(default_factory=timezone.now)
    cache: dict = field(default_factory=dict)
    overdue_count: int = 0
    gap_count: int = 0
    pending_gaps: list = field(default_factory=list)
    status_changes_before: int = 0

    def __post_init__(self) -> None:
        self.today = timezone.localtime(self.now).date()
        self.line = Decimal(self.param("monitoring_line"))
        self.edge_multiple = Decimal(str(self.param("edge_income_multiple")))
        self.rigid_ratio = Decimal(str(self.param("rigid_expense_ratio")))
        self.notice_days = int(self.param("notice_days"))

    def param(self, key: str):
        if key not in self.cache:
            self.cache[key] = workflow_parameter(key, self.region, self.today)
        return self.cache[key]

    def next_gap(self, applicable: dict[str, bool]) -> str | None:
        """The gap a monitored household is left with for the alerts to show, if any: of every 20 households
        one has no measure, one a measure that misses its risk, one no developmental measure, and two are
        not visited in time (deterministic, so a single village shows each)."""
        self.gap_count += 1
        due = {3: "no_measure", 9: "risk_mismatch", 15: "no_developmental", 6: "unvisited", 18: "unvisited"}
        if self.gap_count % 20 in due:
            self.pending_gaps.append(due[self.gap_count % 20])
        for kind in self.pending_gaps:
            if applicable[kind]:
                self.pending_gaps.remove(kind)
                return kind
        return None

    def next_overdue(self) -> bool:
        """Every other identification in progress is late (deterministic, so small areas get some too)."""
        self.overdue_count += 1
        return self.overdue_count % 2 == 0
