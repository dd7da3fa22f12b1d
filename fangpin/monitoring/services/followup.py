"""Following cases up: deadlines and overdue steps, the assistance alerts of spec §3.8, visits due, and each
role's worklist. Everything is computed for a given day, so the alerts can be checked on the day they fire.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, Max, OuterRef, Prefetch
from django.utils import timezone

from fangpin.assistance.choices import RISK_MEASURES, MeasureCategory
from fangpin.monitoring.choices import RiskType
from fangpin.monitoring.models import MonitoringCase, PolicyParameter, Warning
from fangpin.monitoring.services.elimination import add_months, has_labour, started_measures
from fangpin.monitoring.services.parameters import WORKFLOW_PARAMETERS, ancestor_paths, choose_in_force
from fangpin.monitoring.services.workflow import (
    STEP_LIMIT_PARAMETER,
    MissingParameter,
    notice_end,
    parameter_type,
    steps_for,
    workflow_parameter,
)
from fangpin.registry.choices import LABOUR_CAPABLE
from fangpin.registry.models import Household, Person
from fangpin.screening.compiler.rendering import coerce

S = MonitoringCase.Status


class Parameters:
    """Workflow parameter values for many cases on one day: the rows of every workflow key in force by the day
    read in one query, the first time a value is asked for; then each region's values are chosen from them in
    memory (a county's worklist spans a hundred or more villages, a city's thousands)."""

    KEYS = (*WORKFLOW_PARAMETERS, "monitoring_line", "rigid_expense_ratio")

    def __init__(self, day: dt.date):
        self.day = day
        self._by_region: dict[int, dict[str, object]] = {}
        self._rows: dict[str, list] | None = None  # region path -> its rows, by key and latest start
        self._types = {k: parameter_type(k) for k in self.KEYS}

    def get(self, region, key: str):
        if key not in self.KEYS:
            try:
                return workflow_parameter(key, region, self.day)
            except MissingParameter:
                return None
        values = self._by_region.get(region.pk)
        if values is None:
            chosen = choose_in_force(self._in_force(region))
            values = {k: coerce(row.value, self._types[k]) for k, row in chosen.items()}
            self._by_region[region.pk] = values
        return values.get(key)

    def _in_force(self, region) -> list:
        """The rows of `region` and its ancestors, ordered as `choose_in_force` wants them."""
        if self._rows is None:
            self._rows = {}
            rows = PolicyParameter.objects.filter(key__in=self.KEYS, effective_from__lte=self.day)
            for row in rows.select_related("region").order_by("key", "-effective_from"):
                self._rows.setdefault(row.region.path, []).append(row)
        mine = [row for path in ancestor_paths(region) for row in self._rows.get(path, [])]
        return sorted(mine, key=lambda row: (row.key, -row.effective_from.toordinal()))


@dataclass(frozen=True)
class Alert:
    code: str
    title: str
    detail: str
    severity: str = "medium"


def overdue_reasons(case: MonitoringCase, day: dt.date, params: Parameters | None = None) -> list[str]:
    """Why an identification in progress is late: its current step, or the whole identification."""
    if case.status not in MonitoringCase.IDENTIFYING:
        return []
    params = params or Parameters(day)
    region = case.household.region
    reasons = []
    key = STEP_LIMIT_PARAMETER.get(case.status)
    limit = params.get(region, key) if key else None
    entered = case.stage_entered_at.date()
    if case.status == S.NOTICE and case.notice_start and case.notice_days is not None:
        entered = notice_end(case.notice_start, case.notice_days)  # the notice itself is not late
        if limit is not None and (day - entered).days > limit:
            reasons.append(
                f"公示已于 {entered} 期满，{(day - entered).days} 天未结束公示，超过时限 {limit} 天"
            )
    elif limit is not None and (day - entered).days > limit:
        reasons.append(f"“{case.get_status_display()}”已 {(day - entered).days} 天，超过时限 {limit} 天")
    total = params.get(region, "identification_deadline_days")
    started = case.created_at.date()
    if total is not None and (day - started).days > total:
        reasons.append(f"识别纳入已 {(day - started).days} 天，超过全程时限 {total} 天")
    return reasons


def assistance_alerts(case: MonitoringCase, day: dt.date, params: Parameters | None = None) -> list[Alert]:
    """Spec §3.8 alerts for an enrolled case: no measure a month after identification (1_11_010); labour but
    no developmental measure after six months (5_12_007); a risk with no matching measure."""
    if case.status not in MonitoringCase.ENROLLED or case.recorded_on is None:
        return []
    params = params or Parameters(day)
    region = case.household.region
    measures = started_measures(case, day)
    categories = {m.category for m in measures}
    alerts = []
    months = params.get(region, "measure_deadline_months")
    if months is not None:
        due = add_months(case.recorded_on, months)
        if not measures and day >= due:
            alerts.append(
                Alert(
                    "no_measure",
                    "识别后未落实帮扶措施",
                    f"{case.recorded_on} 录入，{due} 起满 {months} 个月仍无帮扶措施",
                    "high",
                )
            )
        if day >= due and measures:  # with no measure at all, "no_measure" already says it
            labels = dict(RiskType.choices)
            for risk in case.risks or []:
                wanted = RISK_MEASURES.get(risk)
                if wanted and not categories & wanted:
                    names = "、".join(MeasureCategory(c).label for c in sorted(wanted))
                    alerts.append(
                        Alert(
                            "risk_mismatch",
                            "帮扶措施与风险不匹配",
                            f"风险“{labels.get(risk, risk)}”须有{names}措施",
                        )
                    )
    months = params.get(region, "developmental_deadline_months")
    if months is not None:
        due = add_months(case.recorded_on, months)
        if day >= due and not any(m.developmental for m in measures) and has_labour(case.household):
            alerts.append(
                Alert(
                    "no_developmental",
                    "有劳动力未落实开发式帮扶",
                    f"家庭有劳动能力成员，{due} 起满 {months} 个月仍无产业、就业、金融或公益岗位帮扶",
                    "high",
                )
            )
    return alerts


def visit_due(case: MonitoringCase, day: dt.date, params: Parameters | None = None, last: object = ...):
    """(due date, days overdue) of the next visit of an enrolled case, or None if it is not being monitored."""
    if case.status not in MonitoringCase.ENROLLED or case.recorded_on is None:
        return None
    params = params or Parameters(day)
    interval = params.get(case.household.region, f"visit_days_{case.risk_tier}")
    if interval is None:
        return None
    if last is ...:  # not given (None means "never visited")
        last = case.visits.aggregate(last=Max("visited_on"))["last"]
    due = (last or case.recorded_on) + dt.timedelta(days=interval)
    return due, max(0, (day - due).days)


def cases_visible_to(user):
    """Cases in `user`'s scope with what the alerts read (measures, whether someone can work) loaded in a
    constant number of queries, so a county's worklist does not run one query per case."""
    capable = Person.objects.filter(household=OuterRef("pk"), labour_skill__in=LABOUR_CAPABLE)
    households = Household.objects.select_related("region").annotate(has_labour=Exists(capable))
    return (
        MonitoringCase.objects.visible_to(user)
        .select_related("cadre")
        .prefetch_related(Prefetch("household", queryset=households), "measures")
    )


def unvisited(
    user, day: dt.date, *, params: Parameters | None = None, cases=None
) -> list[tuple[MonitoringCase, dt.date, int]]:
    """Enrolled cases in `user`'s area whose visit is overdue on `day`, most overdue first. `cases`: already
    loaded cases annotated with `last_visit` (the worklist passes its own, to read them once)."""
    params = params or Parameters(day)
    if cases is None:
        cases = (
            cases_visible_to(user)
            .filter(status__in=MonitoringCase.ENROLLED)
            .annotate(last_visit=Max("visits__visited_on"))
        )
    out = []
    for case in cases:
        if case.status not in MonitoringCase.ENROLLED:
            continue
        due = visit_due(case, day, params, last=case.last_visit)
        if due and due[1] > 0:
            out.append((case, due[0], due[1]))
    return sorted(out, key=lambda row: -row[2])


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass
class Worklist:
    waiting: list  # (case, [step labels I can take])
    overdue: list  # (case, [reasons])
    alerts: list  # (case, [Alert])
    unvisited: list  # (case, due, days)
    new_warnings: int
    warnings_without_case: int


def worklist(user, day: dt.date) -> Worklist:
    """What waits for `user`: steps they can take, overdue identifications and assistance alerts in their area,
    households not visited in time, and new warnings not yet turned into clues."""
    params = Parameters(day)
    waiting, overdue, alerts = [], [], []
    open_cases = list(
        cases_visible_to(user)
        .exclude(status__in=MonitoringCase.CLOSED)
        .annotate(last_visit=Max("visits__visited_on"))
    )
    for case in open_cases:
        steps = [t.label for t in steps_for(case, user) if t.name not in ("reject", "elim_withdraw")]
        if steps:
            waiting.append((case, steps))
        reasons = overdue_reasons(case, day, params)
        if reasons:
            overdue.append((case, reasons))
        found = assistance_alerts(case, day, params)
        if found:
            alerts.append((case, found))
    open_warnings = Warning.objects.visible_to(user).filter(
        status=Warning.Status.OPEN, produces=Warning.Produces.WARNING
    )
    return Worklist(
        waiting=waiting,
        overdue=overdue,
        alerts=alerts,
        unvisited=unvisited(user, day, params=params, cases=open_cases),
        # A bound on the stored time, not a date function on every row: the same local days, 4× faster.
        new_warnings=open_warnings.filter(
            first_seen_at__gte=_local_midnight(day - dt.timedelta(days=30))
        ).count(),
        warnings_without_case=open_warnings.filter(cases__isnull=True).count(),
    )
