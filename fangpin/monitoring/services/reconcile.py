"""Turning a run's hits into warnings.

Reconciliation rule: a warning is identified by (rule, subject). A run that sees it again keeps the same row
(and refreshes evidence and "last seen"); a run that evaluated the rule over the subject and no longer sees it
marks it resolved; rules a run skipped (their department data was never delivered) leave their warnings alone.
"""

from __future__ import annotations

import datetime as dt
import json

from django.utils import timezone

from fangpin.core.bulk import insert_rows
from fangpin.core.changelog import log_bulk
from fangpin.core.scoping import subtree_bounds
from fangpin.exchange.catalogue import BY_CODE
from fangpin.monitoring.models import ScreeningRun, ScreeningStamp, Warning
from fangpin.monitoring.services.datasets import datasets_for
from fangpin.monitoring.services.evaluation import Outcome
from fangpin.monitoring.services.parameters import compiler_for
from fangpin.screening.compiler import Name
from fangpin.screening.rules import BUILTIN_PARAMETERS, RuleSet


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


def _dataset_label(code: str, datasets: dict[str, dict]) -> str:
    meta = datasets.get(code, {})
    kind = BY_CODE.get(code)
    title = meta.get("title") or (kind.name if kind else code)
    department = meta.get("department") or (kind.department_label if kind else "")
    when = meta.get("period_end") or meta.get("latest") or ""
    return f"部门数据：{department}《{title}》" + (f"，数据截至 {when}" if when else "")


def _source_label(name: Name, datasets: dict[str, dict]) -> str:
    if name.kind == "fact":
        return _dataset_label(name.source, datasets)
    if name.kind == "feature":
        codes = [c for c in name.source.split(",") if c and c != "household"]
        if codes:
            return "；".join(_dataset_label(c, datasets) for c in codes) + "（按家庭成员汇总）"
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
