"""Dynamic monitoring services: parameters in force, screening runs (full, incremental, preview), and turning
hits into warnings.

Reconciliation rule: a warning is identified by (rule, subject). A run that sees it again keeps the same row
(and refreshes evidence and "last seen"); a run that evaluated the rule over the subject and no longer sees it
marks it resolved; rules a run skipped (their department data was never delivered) leave their warnings alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fangpin.core.bulk import insert_rows
from fangpin.core.changelog import change_context, log_bulk
from fangpin.core.scoping import subtree_bounds, user_region
from fangpin.exchange.catalogue import BY_CODE
from fangpin.exchange.models import DepartmentDataset
from fangpin.geo.models import Region
from fangpin.monitoring.models import PolicyParameter, RuleSetVersion, ScreeningRun, ScreeningStamp, Warning
from fangpin.monitoring.snapshot import registry_snapshot
from fangpin.screening import engines
from fangpin.screening.compiler import Compiler, Name
from fangpin.screening.rules import BUILTIN_PARAMETERS, RuleSet, builtin_set_names, load_builtin

DEFAULTS_FILE = Path(__file__).with_name("data") / "parameters.csv"


# ------------------------------------------------------------------ rule sets and parameters


def builtin_rule_sets(names: list[str] | None = None) -> list[RuleSet]:
    return [load_builtin(n) for n in (names or builtin_set_names())]


@cache
def _compiler_for(fingerprints: tuple[str, ...], texts: tuple[tuple[str, str], ...]) -> Compiler:
    from fangpin.screening.rules import load_text

    return Compiler([load_text(text, common_text=common) for text, common in texts])


def compiler_for(rule_sets: list[RuleSet]) -> Compiler:
    """A compiler for these sets, memoised by their text (compiling parses every expression)."""
    return _compiler_for(
        tuple(rs.sha256 for rs in rule_sets), tuple((rs.text, rs.common_text) for rs in rule_sets)
    )


def parameter_catalogue() -> dict[str, dict]:
    """Every parameter the built-in rule sets declare: key -> title, unit, type, and which sets use it."""
    out: dict[str, dict] = {}
    for rs in builtin_rule_sets():
        for key, p in rs.parameters.items():
            entry = out.setdefault(key, {"title": p.title, "unit": p.unit, "type": p.type, "sets": []})
            if rs.name not in entry["sets"]:
                entry["sets"].append(rs.name)
    return out


def load_default_parameters() -> int:
    """Create the shipped default parameter values that are not there yet (never overwrites an edit)."""
    created = 0
    regions = {r.code: r for r in Region.objects.filter(level__in=("province", "city", "county"))}
    with DEFAULTS_FILE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            region = regions.get(row["region"])
            if region is None:
                continue
            _, made = PolicyParameter.objects.get_or_create(
                key=row["key"],
                region=region,
                effective_from=dt.date.fromisoformat(row["effective_from"]),
                defaults={"value": row["value"], "tag": row["tag"], "source": row["source"]},
            )
            created += made
    return created


def _ancestor_paths(region: Region) -> list[str]:
    lengths = sorted(set(Region.PATH_LENGTH.values()))
    return [region.path[:n] for n in lengths if n <= len(region.path)]


def resolve_parameters(keys, region: Region, day: dt.date) -> dict[str, PolicyParameter]:
    """The value in force for each key on `day` in `region`: the latest start date on or before `day` among the
    region and its ancestors; between equal dates the nearer region wins."""
    rows = (
        PolicyParameter.objects.filter(
            key__in=list(keys), region__path__in=_ancestor_paths(region), effective_from__lte=day
        )
        .select_related("region")
        .order_by("key", "-effective_from")
    )
    chosen: dict[str, PolicyParameter] = {}
    for row in rows:
        best = chosen.get(row.key)
        if best is None or (
            row.effective_from == best.effective_from and len(row.region.path) > len(best.region.path)
        ):
            chosen[row.key] = row
    return chosen


def parameter_groups(
    keys, region: Region, day: dt.date
) -> list[tuple[str, list[str], dict[str, PolicyParameter]]]:
    """Parts of `region` that share one set of parameter values: (path prefix, nested prefixes to leave out,
    values). One part unless a county or township below `region` has its own values."""
    low, high = subtree_bounds(region.path)
    overrides = sorted(
        {
            r.path
            for r in Region.objects.filter(
                pk__in=PolicyParameter.objects.filter(
                    key__in=list(keys), region__path__gt=low, region__path__lt=high, effective_from__lte=day
                ).values("region")
            )
        },
        key=len,
    )
    prefixes = [region.path, *overrides]
    groups = []
    for prefix in prefixes:
        nested = [p for p in prefixes if p != prefix and p.startswith(prefix)]
        target = Region.objects.get(path=prefix) if prefix != region.path else region
        groups.append((prefix, nested, resolve_parameters(keys, target, day), target.code))
    return groups


def values_of(chosen: dict[str, PolicyParameter]) -> dict[str, str]:
    return {key: row.value for key, row in chosen.items()}


def save_parameter(parameter: PolicyParameter, *, user) -> PolicyParameter:
    """Validate and save one parameter value (web, API): the value must parse as the parameter's type."""
    from django.core.exceptions import ValidationError

    from fangpin.core.scoping import save_in_scope
    from fangpin.screening.compiler import coerce

    catalogue = parameter_catalogue()
    entry = catalogue.get(parameter.key)
    if entry is None:
        raise ValidationError({"key": f"未知的参数“{parameter.key}”"})
    try:
        coerce(parameter.value, entry["type"])
    except ValueError as exc:
        raise ValidationError(
            {"value": f"取值“{parameter.value}”无效：应为{_TYPE_TEXT[entry['type']]}"}
        ) from exc
    parameter.full_clean()
    return save_in_scope(parameter, user)


_TYPE_TEXT = {"decimal": "数值", "integer": "整数", "date": "日期（YYYY-MM-DD）", "string": "文本"}


# ------------------------------------------------------------------ department data


def datasets_for(region: Region) -> tuple[dict[str, list[Path]], dict[str, dict]]:
    """The delivered datasets a run over `region` reads — those delivered for the region, an ancestor or a part
    of it — as Parquet paths per kind, and what they are (for the run record and explanations)."""
    ancestors = _ancestor_paths(region)
    low, high = subtree_bounds(region.path)
    qs = (
        DepartmentDataset.objects.filter(
            Q(batch__region__path__in=ancestors)
            | Q(batch__region__path__gte=low, batch__region__path__lt=high)
        )
        .select_related("batch")
        .order_by("kind", "created_at")
    )
    paths: dict[str, list[Path]] = defaultdict(list)
    meta: dict[str, dict] = {}
    for dataset in qs:
        if not dataset.parquet_path.exists():
            continue
        paths[dataset.kind].append(dataset.parquet_path)
        kind = BY_CODE.get(dataset.kind)
        entry = meta.setdefault(
            dataset.kind,
            {
                "title": kind.name if kind else dataset.kind,
                "department": dataset.get_department_display(),
                "ids": [],
            },
        )
        entry["ids"].append(dataset.pk)
        entry["latest"] = max(
            filter(None, [entry.get("latest"), dataset.created_at.date().isoformat()]), default=None
        )
        if dataset.period_end:
            entry["period_end"] = max(filter(None, [entry.get("period_end"), dataset.period_end.isoformat()]))
    return dict(paths), meta


# ------------------------------------------------------------------ runs


@dataclass
class Outcome:
    hits: pa.Table
    counts: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    evaluated: set[str] = field(default_factory=set)
    parameters: dict[str, dict] = field(default_factory=dict)  # group region code -> key -> value
    group_paths: dict[str, str] = field(default_factory=dict)  # group region code -> its path
    households: list[int] = field(default_factory=list)


def _rule_set_versions(rule_sets: list[RuleSet]) -> list[RuleSetVersion]:
    out = []
    for rs in rule_sets:
        version, _ = RuleSetVersion.objects.get_or_create(
            sha256=rs.sha256,
            defaults={"name": rs.name, "version": rs.version, "text": rs.text, "common_text": rs.common_text},
        )
        out.append(version)
    return out


def _filter_region(table: pa.Table, prefix: str, nested: list[str], key: str = "region_code") -> pa.Table:
    column = table.column(key)
    mask = pc.starts_with(column, prefix)
    for other in nested:
        mask = pc.and_(mask, pc.invert(pc.starts_with(column, other)))
    return table.filter(mask)


def evaluate(
    rule_sets: list[RuleSet],
    region: Region,
    as_of: dt.date,
    *,
    engine: str = "duckdb",
    household_ids: list[int] | None = None,
    codes: set[str] | None = None,
    parameter_overrides: dict[str, str] | None = None,
    spark_master: str | None = None,
    progress=None,
) -> Outcome:
    """Screen `region` (or just `household_ids` in it) on `as_of`: snapshot, per-parameter-group engine runs,
    one hits table. Nothing is written."""
    compiler = compiler_for(rule_sets)
    compiler.raise_errors()
    selected = compiler.selected(as_of, codes)
    keys = compiler.parameters_used(selected)
    households, persons = registry_snapshot(as_of, region=region, household_ids=household_ids)
    paths, _ = datasets_for(region)
    dataset_inputs: dict[str, Any] = dict(paths)
    if household_ids is not None:
        dataset_inputs = _datasets_for_persons(paths, persons)
    outcome = Outcome(
        hits=engines.HIT_SCHEMA.empty_table(), households=households.column("household_id").to_pylist()
    )
    groups = parameter_groups(keys, region, as_of)
    total = len(selected) * len(groups)
    done = 0
    parts = []
    for prefix, nested, chosen, group_code in groups:
        values = values_of(chosen) | (parameter_overrides or {})
        plan = compiler.plan(as_of, values, {c.rule.code for c in selected})
        group_households = _filter_region(households, prefix, nested)
        ids = group_households.column("household_id")
        group_persons = persons.filter(pc.is_in(persons.column("household_id"), value_set=ids))

        def step(index, _total, code, base=done):
            if progress:
                progress(base + index, total, code)

        result = engines.run(
            plan,
            engines.Inputs(group_households, group_persons, dataset_inputs),
            engine=engine,
            spark_master=spark_master,
            progress=step,
        )
        done += len(selected)
        parts.append(result.hits)
        for code, n in result.counts.items():
            outcome.counts[code] = outcome.counts.get(code, 0) + n
        outcome.skipped |= result.skipped
        outcome.evaluated |= set(result.counts)
        outcome.parameters[group_code] = {k: str(v) for k, v in plan.parameters.items()}
        outcome.group_paths[group_code] = prefix
    outcome.hits = pa.concat_tables(parts) if parts else outcome.hits
    return outcome


def _datasets_for_persons(paths: dict[str, list[Path]], persons: pa.Table) -> dict[str, pa.Table]:
    """Only the department rows about these persons (incremental runs read a few rows, not whole files)."""
    import duckdb

    from fangpin.screening.schema import load_schema

    schema = load_schema()
    ids = persons.column("id_number")
    out = {}
    con = duckdb.connect()
    try:
        con.register("wanted", pa.table({"id_key": pc.utf8_upper(pc.utf8_trim_whitespace(ids))}))
        for code, files in paths.items():
            table = schema.datasets.get(code)
            if table is None or not files:
                continue
            listed = ", ".join("'" + str(p).replace("'", "''") + "'" for p in files)
            columns = ", ".join(table.columns)
            out[code] = con.sql(
                f"SELECT {columns} FROM read_parquet([{listed}], union_by_name = true) "
                f"WHERE UPPER(TRIM({table.id_column})) IN (SELECT id_key FROM wanted)"
            ).to_arrow_table()
    finally:
        con.close()
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
        _, meta = datasets_for(run.region)
        with transaction.atomic(), change_context(f"job:screening:{run.pk}", user=run.user):
            summary = reconcile(run, outcome, rule_sets)
            run.counts = outcome.counts
            run.parameters = outcome.parameters
            run.datasets = meta
            run.summary = summary | {
                "skipped": outcome.skipped,
                "households": len(outcome.households),
                "rules": len(outcome.evaluated),
            }
            run.status = ScreeningRun.Status.SUCCEEDED
            run.finished_at = timezone.now()
            run.progress = run.total = max(run.total, len(outcome.evaluated))
            run.message = (
                f"新增 {summary['created']} 条，仍存在 {summary['kept']} 条，解除 {summary['resolved']} 条"
                + (f"；{len(outcome.skipped)} 条规则因缺少部门数据未运行" if outcome.skipped else "")
            )
            run.save()
    except Exception as exc:
        ScreeningRun.objects.filter(pk=run.pk).update(
            status=ScreeningRun.Status.FAILED, finished_at=timezone.now(), message=f"筛查失败：{exc}"
        )
        raise
    return run


def _load_version(version: RuleSetVersion) -> RuleSet:
    from fangpin.screening.rules import load_text

    return load_text(version.text, source=version.name, common_text=version.common_text)


def rule_catalogue(rule_sets: list[RuleSet]) -> dict[str, dict]:
    """Per rule: title, basis, severity, produces, evidence inputs (title and source), parameter titles."""
    compiler = compiler_for(rule_sets)
    out = {}
    for compiled in compiler.compiled:
        out[compiled.rule.code] = {
            "rule": compiled.rule,
            "inputs": [(n, name) for n, name in compiled.evidence],
            "params": sorted(
                compiler.parameters_used([compiled]) | (compiled.params & set(BUILTIN_PARAMETERS))
            ),
            "parameter_titles": compiler.parameter_titles,
        }
    return out


def _source_label(name: Name, datasets: dict[str, dict]) -> str:
    if name.kind == "fact":
        meta = datasets.get(name.source, {})
        kind = BY_CODE.get(name.source)
        title = meta.get("title") or (kind.name if kind else name.source)
        department = meta.get("department") or (kind.department_label if kind else "")
        when = meta.get("period_end") or meta.get("latest") or ""
        return f"部门数据：{department}《{title}》" + (f"，数据截至 {when}" if when else "")
    if name.kind == "feature":
        return "登记数据：按家庭成员汇总"
    return "登记数据：户" if name.source == "household" else "登记数据：家庭成员"


def reconcile(run: ScreeningRun, outcome: Outcome, rule_sets: list[RuleSet]) -> dict[str, int]:
    """Write the run's hits as warnings (see the module docstring) and stamp the screened households."""
    now = timezone.now()
    catalogue = rule_catalogue(rule_sets)
    _, datasets_meta = datasets_for(run.region)
    evaluated = outcome.evaluated
    hits = outcome.hits.to_pylist()
    by_key = {}
    for hit in hits:
        subject = f"p:{hit['person_id']}" if hit["person_id"] is not None else f"h:{hit['household_id']}"
        by_key[(hit["rule"], subject)] = hit
    open_qs = Warning.objects.filter(status=Warning.Status.OPEN, rule_code__in=evaluated)
    if run.household_ids is not None:
        open_qs = open_qs.filter(household_id__in=run.household_ids)
    else:
        low, high = subtree_bounds(run.region.path)
        open_qs = open_qs.filter(household__region__path__gte=low, household__region__path__lt=high)
    existing = {
        (code, subject): (pk, evidence)
        for pk, code, subject, evidence in open_qs.values_list("pk", "rule_code", "subject_key", "evidence")
    }

    def details(hit) -> tuple[dict, list, list]:
        entry = catalogue[hit["rule"]]
        values = json.loads(hit["evidence"])
        inputs = [
            {
                "name": n,
                "title": name.title or n,
                "value": values.get(n),
                "source": _source_label(name, datasets_meta),
            }
            for n, name in entry["inputs"]
        ]
        group = _group_of(hit["region"], outcome)
        params = [
            {
                "key": key,
                "title": entry["parameter_titles"].get(key, (BUILTIN_TITLES.get(key, key), ""))[0],
                "unit": entry["parameter_titles"].get(key, ("", ""))[1],
                "value": group.get(key) if key in group else _builtin(key, run.as_of),
            }
            for key in entry["params"]
        ]
        return values, inputs, params

    new_rows, seen_ids, changed = [], [], []
    for key, hit in by_key.items():
        values, inputs, params = details(hit)
        current = existing.get(key)
        if current is None:
            entry = catalogue[hit["rule"]]["rule"]
            new_rows.append(
                {
                    "rule_code": hit["rule"],
                    "rule_set": hit["rule_set"],
                    "rule_version": hit["rule_version"],
                    "rule_title": entry.title[:200],
                    "produces": entry.produces,
                    "severity": entry.severity,
                    "subject_key": key[1],
                    "household_id": hit["household_id"],
                    "person_id": hit["person_id"],
                    "status": Warning.Status.OPEN,
                    "as_of": run.as_of,
                    "evidence": json.dumps({"values": values, "inputs": inputs}, ensure_ascii=False),
                    "explanation": hit["explanation"],
                    "parameters": json.dumps(params, ensure_ascii=False),
                    "raised_by_id": run.pk,
                    "last_seen_by_id": run.pk,
                    "resolved_by_id": None,
                    "first_seen_at": now,
                    "last_seen_at": now,
                    "resolved_at": None,
                }
            )
        else:
            pk, old_evidence = current
            if (old_evidence or {}).get("values") != values:
                changed.append((pk, {"values": values, "inputs": inputs}, hit["explanation"], params))
            else:
                seen_ids.append(pk)
    gone = [pk for key, (pk, _) in existing.items() if key not in by_key]

    created = insert_rows(Warning, new_rows)
    for start in range(0, len(seen_ids), 5000):
        Warning.objects.filter(pk__in=seen_ids[start : start + 5000]).update(
            last_seen_by=run, last_seen_at=now, as_of=run.as_of
        )
    for pk, evidence, explanation, params in changed:
        Warning.objects.filter(pk=pk).update(
            last_seen_by=run,
            last_seen_at=now,
            as_of=run.as_of,
            evidence=evidence,
            explanation=explanation,
            parameters=params,
        )
    for start in range(0, len(gone), 5000):
        Warning.objects.filter(pk__in=gone[start : start + 5000]).update(
            status=Warning.Status.RESOLVED, resolved_by=run, resolved_at=now
        )
    if created:
        log_bulk(Warning, "create", created, description=f"筛查批次 {run.pk} 新增预警 × {created}")
    if seen_ids or changed:
        log_bulk(
            Warning,
            "update",
            len(seen_ids) + len(changed),
            description=f"筛查批次 {run.pk} 再次确认预警 × {len(seen_ids) + len(changed)}",
        )
    if gone:
        log_bulk(
            Warning,
            "update",
            len(gone),
            description=f"筛查批次 {run.pk} 解除预警 × {len(gone)}",
            ids=gone[:1000],
        )
    _stamp(run, outcome.households, now)
    return {
        "created": created,
        "kept": len(seen_ids) + len(changed),
        "updated": len(changed),
        "resolved": len(gone),
    }


BUILTIN_TITLES = {"as_of": "筛查基准日", "as_of_year": "筛查年度"}


def _builtin(key: str, as_of: dt.date) -> str:
    return as_of.isoformat() if key == "as_of" else str(as_of.year)


def _group_of(region_code: str, outcome: Outcome) -> dict:
    best, chosen = "", {}
    for code, prefix in outcome.group_paths.items():
        if region_code.startswith(prefix) and len(prefix) >= len(best):
            best, chosen = prefix, outcome.parameters[code]
    return chosen


def _stamp(run: ScreeningRun, household_ids: list[int], now) -> None:
    for start in range(0, len(household_ids), 5000):
        ScreeningStamp.objects.filter(household_id__in=household_ids[start : start + 5000]).delete()
    insert_rows(
        ScreeningStamp,
        (
            {"household_id": pk, "run_id": run.pk, "screened_at": now, "as_of": run.as_of}
            for pk in household_ids
        ),
    )


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


# ------------------------------------------------------------------ incremental


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
    _, meta = datasets_for(run.region)
    with transaction.atomic(), change_context(f"job:screening:{run.pk}", user=run.user):
        summary = reconcile(run, outcome, rule_sets)
        run.counts = outcome.counts
        run.parameters = outcome.parameters
        run.datasets = meta
        run.summary = summary | {
            "skipped": outcome.skipped,
            "households": len(outcome.households),
            "rules": len(outcome.evaluated),
        }
        run.status = ScreeningRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.progress = run.total = len(outcome.evaluated)
        run.message = f"增量筛查 {len(outcome.households)} 户：新增 {summary['created']} 条，解除 {summary['resolved']} 条"
        run.save()
    return run


def _common_prefix(paths: list[str]) -> str:
    first, last = min(paths), max(paths)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


# ------------------------------------------------------------------ preview


@dataclass
class PreviewRow:
    village: Region | None
    village_code: str
    new: list[dict]
    gone: list[dict]


def preview(
    region: Region,
    as_of: dt.date,
    *,
    new_rule_sets: list[RuleSet] | None = None,
    parameter_overrides: dict[str, str] | None = None,
) -> list[PreviewRow]:
    """Households that would newly be warned, and those that would no longer be, by village: the current rule
    sets and parameters against the new ones (a changed rule file and/or parameter values)."""
    current_sets = builtin_rule_sets()
    current = evaluate(current_sets, region, as_of)
    if new_rule_sets:
        replaced = {rs.name for rs in new_rule_sets}
        proposed_sets = [rs for rs in current_sets if rs.name not in replaced] + new_rule_sets
    else:
        proposed_sets = current_sets
    proposed = evaluate(proposed_sets, region, as_of, parameter_overrides=parameter_overrides)

    def households(outcome: Outcome) -> dict[int, dict]:
        out: dict[int, dict] = {}
        for hit in outcome.hits.to_pylist():
            entry = out.setdefault(
                hit["household_id"],
                {
                    "household_id": hit["household_id"],
                    "number": hit["household_number"],
                    "region": hit["region"],
                    "rules": set(),
                },
            )
            entry["rules"].add(hit["rule"])
        return out

    before, after = households(current), households(proposed)
    by_village: dict[str, PreviewRow] = {}
    for hid in sorted(after.keys() - before.keys()):
        entry = after[hid]
        by_village.setdefault(entry["region"], PreviewRow(None, entry["region"], [], [])).new.append(entry)
    for hid in sorted(before.keys() - after.keys()):
        entry = before[hid]
        by_village.setdefault(entry["region"], PreviewRow(None, entry["region"], [], [])).gone.append(entry)
    villages = Region.objects.in_bulk(list(by_village), field_name="code")
    rows = []
    for code in sorted(by_village):
        row = by_village[code]
        row.village = villages.get(code)
        for entry in row.new + row.gone:
            entry["rules"] = sorted(entry["rules"])
        rows.append(row)
    return rows


# ------------------------------------------------------------------ reading


def warnings_visible_to(user):
    return Warning.objects.visible_to(user)


def runs_visible_to(user):
    return ScreeningRun.objects.visible_to(user)


def can_start_run(user) -> bool:
    region = user_region(user)
    return bool(
        user.is_authenticated
        and user.has_perm("monitoring.run_screening")
        and region is not None
        and region.level in ("province", "city", "county")
    )


def warnings_panel(household, user) -> dict | None:
    """The household page's 预警 panel: open warnings with their explanations, and when it was last screened."""
    warnings = list(
        Warning.objects.visible_to(user)
        .filter(household=household, status=Warning.Status.OPEN)
        .select_related("person")
        .order_by("produces", "rule_code")
    )
    stamp = ScreeningStamp.objects.filter(household=household).select_related("run").first()
    if not warnings and stamp is None:
        return None
    return {
        "title": f"预警（{len(warnings)}）" if warnings else "预警",
        "template": "monitoring/household_warnings.html",
        "context": {"warnings": warnings, "stamp": stamp},
    }


def rule_titles() -> dict[str, str]:
    return {r.code: r.title for rs in builtin_rule_sets() for r in rs.rules}


def rule_definition(set_name: str, code: str, run: ScreeningRun | None):
    """The rule as the run that last confirmed a warning had it (its recorded text), else the current one."""
    versions = list(run.rule_sets.filter(name=set_name)) if run is not None else []
    rule_sets = [_load_version(v) for v in versions] or [
        rs for rs in builtin_rule_sets() if rs.name == set_name
    ]
    for rs in rule_sets:
        for rule in rs.rules:
            if rule.code == code:
                return rule
    return None


def parameters_visible_to(user):
    """Parameter values a user may read: those of their region's subtree and of every region above it (the
    values in force for them are usually set by the province or the city)."""
    region = user_region(user)
    if region is None:
        return PolicyParameter.objects.all() if user.is_superuser else PolicyParameter.objects.none()
    low, high = subtree_bounds(region.path)
    return PolicyParameter.objects.filter(
        Q(region__path__in=_ancestor_paths(region)) | Q(region__path__gte=low, region__path__lt=high)
    )


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
