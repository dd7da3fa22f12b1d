"""Screening runs: record a queued run, execute it (evaluate, then reconcile), and run it in the background."""

from __future__ import annotations

import datetime as dt
import threading

from django.db import transaction
from django.utils import timezone

from fangpin.core.changelog import change_context
from fangpin.geo.models import Region
from fangpin.monitoring.models import RuleSetVersion, ScreeningRun
from fangpin.monitoring.services.datasets import datasets_for
from fangpin.monitoring.services.evaluation import evaluate
from fangpin.monitoring.services.parameters import builtin_rule_sets, compiler_for
from fangpin.monitoring.services.reconcile import reconcile
from fangpin.screening.rules import RuleSet


def _rule_set_versions(rule_sets: list[RuleSet]) -> list[RuleSetVersion]:
    out = []
    for rs in rule_sets:
        version, _ = RuleSetVersion.objects.get_or_create(
            sha256=rs.sha256,
            defaults={"name": rs.name, "version": rs.version, "text": rs.text, "common_text": rs.common_text},
        )
        out.append(version)
    return out


def start_run(
    *,
    user,
    region: Region,
    as_of: dt.date,
    rule_set_names: list[str] | None = None,
    rule_sets: list[RuleSet] | None = None,
    engine: str = "duckdb",
    source: str = "web",
    kind: str = ScreeningRun.Kind.FULL,
    household_ids: list[int] | None = None,
) -> ScreeningRun:
    """Record a queued run; the rule sets' exact text is kept so the run can be reproduced."""
    rule_sets = rule_sets or builtin_rule_sets(rule_set_names)
    names = [rs.name for rs in rule_sets]
    compiler_for(rule_sets).raise_errors()
    run = ScreeningRun.objects.create(
        kind=kind,
        region=region,
        as_of=as_of,
        engine=engine,
        rule_set_names=names,
        user=user if getattr(user, "pk", None) else None,
        source=source,
        household_ids=household_ids,
    )
    run.rule_sets.set(_rule_set_versions(rule_sets))
    return run


def execute_run(run: ScreeningRun, *, progress=None, spark_master: str | None = None) -> ScreeningRun:
    """Run a queued screening and write its warnings (all or nothing). A failure is recorded on the run."""
    rule_sets = [_load_version(v) for v in run.rule_sets.order_by("name")] or builtin_rule_sets(
        run.rule_set_names
    )
    ScreeningRun.objects.filter(pk=run.pk).update(
        status=ScreeningRun.Status.RUNNING, started_at=timezone.now()
    )

    def step(done, total, code):
        ScreeningRun.objects.filter(pk=run.pk).update(
            progress=done, total=total, message=f"正在运行规则 {code}"
        )
        if progress:
            progress(done, total, code)

    try:
        outcome = evaluate(
            rule_sets,
            run.region,
            run.as_of,
            engine=run.engine,
            household_ids=run.household_ids,
            spark_master=spark_master,
            progress=step,
        )
        record_outcome(
            run,
            outcome,
            rule_sets,
            lambda summary: (
                f"新增 {summary['created']} 条，仍存在 {summary['kept']} 条，解除 {summary['resolved']} 条"
                + (f"；{len(outcome.skipped)} 条规则因缺少部门数据未运行" if outcome.skipped else "")
            ),
        )
    except Exception as exc:
        ScreeningRun.objects.filter(pk=run.pk).update(
            status=ScreeningRun.Status.FAILED, finished_at=timezone.now(), message=f"筛查失败：{exc}"
        )
        raise
    return run


def record_outcome(run: ScreeningRun, outcome, rule_sets: list[RuleSet], message) -> None:
    """Write a finished run: its warnings (reconcile), counts, parameters and datasets used, and its message
    (`message(summary)`), in one transaction logged to the run's job."""
    _, meta = datasets_for(run.region)
    with transaction.atomic(), change_context(f"job:screening:{run.pk}", user=run.user):
        summary = reconcile(run, outcome, rule_sets)
        run.counts = outcome.counts
        run.parameters = outcome.parameters
        run.datasets = meta
        run.summary = (
            (run.summary or {})
            | summary
            | {
                "skipped": outcome.skipped,
                "households": len(outcome.households),
                "rules": len(outcome.evaluated),
            }
        )
        run.status = ScreeningRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.progress = run.total = max(run.total or 0, len(outcome.evaluated))
        run.message = message(summary)
        run.save()


def _load_version(version: RuleSetVersion) -> RuleSet:
    from fangpin.screening.rules import load_text

    return load_text(version.text, source=version.name, common_text=version.common_text)


BACKGROUND: list[threading.Thread] = []


def start_background(run_id: int) -> threading.Thread:
    """Run a queued screening in a background thread of this web process; `fangpin screen --queued` picks
    up runs a restart left queued."""

    def target():
        from django.db import close_old_connections, connections

        close_old_connections()
        try:
            run = ScreeningRun.objects.select_related("region", "user").get(pk=run_id)
            if run.status == ScreeningRun.Status.QUEUED:
                execute_run(run)
        except Exception:  # noqa: S110 - recorded on the run by execute_run
            pass
        finally:
            connections.close_all()

    from django.conf import settings

    thread = threading.Thread(target=target, name=f"screening-{run_id}", daemon=True)
    if not getattr(settings, "SCREENING_IN_BACKGROUND", True):
        # Tests: the run's row is inside the test's transaction, invisible to another thread's connection.
        execute_run(ScreeningRun.objects.select_related("region", "user").get(pk=run_id))
        return thread
    BACKGROUND[:] = [t for t in BACKGROUND if t.is_alive()] + [thread]
    thread.start()
    return thread
