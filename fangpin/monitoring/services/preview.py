"""Preview: households that a changed rule file or parameter values would newly warn, or no longer warn."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fangpin.geo.models import Region
from fangpin.monitoring.services.evaluation import Outcome, evaluate
from fangpin.monitoring.services.parameters import builtin_rule_sets
from fangpin.screening.rules import RuleSet


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
    # Hit sets are compared, nothing is shown or stored: no explanations to format.
    current = evaluate(current_sets, region, as_of, explain=False)
    if new_rule_sets:
        replaced = {rs.name for rs in new_rule_sets}
        proposed_sets = [rs for rs in current_sets if rs.name not in replaced] + new_rule_sets
    else:
        proposed_sets = current_sets
    proposed = evaluate(proposed_sets, region, as_of, parameter_overrides=parameter_overrides, explain=False)

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
