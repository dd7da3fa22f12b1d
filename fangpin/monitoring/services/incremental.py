"""Incremental re-screening: the rules an edit or a delivery affects, re-screening a few households, and the
signal receivers (connected in MonitoringConfig.ready) that trigger it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from fangpin.exchange.models import DepartmentDataset
from fangpin.geo.models import Region
from fangpin.monitoring.models import ScreeningRun
from fangpin.monitoring.services.evaluation import evaluate
from fangpin.monitoring.services.parameters import builtin_rule_sets, compiler_for
from fangpin.monitoring.services.runs import record_outcome, start_background, start_run
from fangpin.screening.rules import RuleSet


def affected_rules(
    rule_sets: list[RuleSet], *, columns: set[str] | None = None, datasets: set[str] | None = None
):
    """Codes of the rules that read any of these registry columns or department datasets (None: all)."""
    compiler = compiler_for(rule_sets)
    if columns is None and datasets is None:
        return {c.rule.code for c in compiler.compiled}
    codes = set()
    for compiled in compiler.compiled:
        if (columns and compiled.names & columns) or (datasets and compiled.datasets & datasets):
            codes.add(compiled.rule.code)
    return codes


def rescreen_households(
    household_ids: list[int], *, user=None, source: str = "job", columns=None, datasets=None
) -> ScreeningRun | None:
    """Incremental re-screening of a few households after an edit or a delivery (only the rules that read what
    changed). The nightly full run remains the reconciliation."""
    from fangpin.registry.models import Household

    household_ids = sorted(set(household_ids))
    if not household_ids:
        return None
    regions = list(
        Household.objects.filter(pk__in=household_ids).values_list("region__path", flat=True).distinct()
    )
    if not regions:
        return None
    common = _common_prefix(regions)
    region = (
        Region.objects.filter(path__in=[common[:n] for n in range(len(common), 0, -1)])
        .order_by("-path")
        .first()
    )
    rule_sets = builtin_rule_sets()
    codes = affected_rules(rule_sets, columns=columns, datasets=datasets)
    if not codes:
        return None
    run = start_run(
        user=user,
        region=region,
        as_of=timezone.localdate(),
        source=source,
        kind=ScreeningRun.Kind.INCREMENTAL,
        household_ids=household_ids,
    )
    run.summary = {"rules_requested": sorted(codes)}
    run.save(update_fields=["summary"])
    return _execute_incremental(run, rule_sets, codes)


def _execute_incremental(run, rule_sets, codes) -> ScreeningRun:
    ScreeningRun.objects.filter(pk=run.pk).update(
        status=ScreeningRun.Status.RUNNING, started_at=timezone.now()
    )
    outcome = evaluate(rule_sets, run.region, run.as_of, household_ids=run.household_ids, codes=codes)
    record_outcome(
        run,
        outcome,
        rule_sets,
        lambda summary: (
            f"增量筛查 {len(outcome.households)} 户：新增 {summary['created']} 条，解除 {summary['resolved']} 条"
        ),
    )
    return run


def _common_prefix(paths: list[str]) -> str:
    first, last = min(paths), max(paths)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


INCREMENTAL_LIMIT = 2000  # more households than this: a background full run of the region instead


def rescreen_for_dataset(dataset: DepartmentDataset) -> ScreeningRun | None:
    """A delivery arrived: re-screen the households it mentions, with the rules that read its kind."""
    from fangpin.exchange.models import PersonSource

    household_ids = sorted(
        set(PersonSource.objects.filter(dataset=dataset).values_list("person__household_id", flat=True))
    )
    if not household_ids:
        return None
    if len(household_ids) > INCREMENTAL_LIMIT:
        run = start_run(
            user=dataset.batch.user, region=dataset.batch.region, as_of=timezone.localdate(), source="job"
        )
        start_background(run.pk)
        return run
    return rescreen_households(household_ids, source="job", datasets={dataset.kind})


SCREENED_MODELS = ("household", "person", "householdincome")


def _changed_columns(instance) -> set[str] | None:
    """Screening columns an edit touched (None: a new or deleted row, which can change any household feature)."""
    from fangpin.monitoring.snapshot import (
        HOUSEHOLD_FIELDS,
        INCOME_FIELDS,
        PERSON_FIELDS,
        PREVIOUS_INCOME_FIELDS,
    )

    before = getattr(instance, "_screening_before", None)
    if before is None:
        return None
    from fangpin.core.changelog import serialize

    after = serialize(instance)
    changed = {k for k in after if before.get(k) != after.get(k)}
    name = instance._meta.model_name
    if name == "householdincome":
        return {f.name for f in (*INCOME_FIELDS, *PREVIOUS_INCOME_FIELDS)} if changed else set()
    fields = HOUSEHOLD_FIELDS if name == "household" else PERSON_FIELDS
    columns = {f.name for f in fields if f.source in changed}
    if name == "household" and {"status", "region"} & changed:
        return None
    if name == "person" and {"id_number", "household"} & changed:
        return None
    return columns


def remember_before(sender, instance, raw=False, **kwargs):
    instance._screening_before = getattr(instance, "_changelog_before", None)


def registry_changed(sender, instance, raw=False, **kwargs):
    """After an edit commits, re-screen that household with the rules that read what changed."""
    from django.conf import settings

    if raw or not getattr(settings, "SCREENING_INCREMENTAL", True):
        return
    household_id = instance.pk if instance._meta.model_name == "household" else instance.household_id
    columns = _changed_columns(instance)
    if columns == set():
        return
    if not ScreeningRun.objects.filter(
        kind=ScreeningRun.Kind.FULL, status=ScreeningRun.Status.SUCCEEDED
    ).exists():
        return  # nothing screened yet: the first full run will see it

    def rescreen():
        try:
            rescreen_households([household_id], source="job", columns=columns)
        except Exception:  # an edit must never fail because screening did; the nightly run reconciles
            import logging

            logging.getLogger(__name__).exception(
                "incremental screening of household %s failed", household_id
            )

    transaction.on_commit(rescreen)


def dataset_arrived(sender, instance, created=False, raw=False, **kwargs):
    if raw or not created:
        return
    transaction.on_commit(lambda: rescreen_for_dataset(DepartmentDataset.objects.get(pk=instance.pk)))
