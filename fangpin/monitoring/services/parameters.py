"""Rule sets and policy parameters: the built-in rule sets, their (memoised) compilers, and the parameter
values in force for a region on a day.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import cache
from pathlib import Path

from django.db.models import Q

from fangpin.core.scoping import subtree_bounds, user_region
from fangpin.geo.models import Region
from fangpin.monitoring.models import PolicyParameter
from fangpin.screening.compiler import Compiler
from fangpin.screening.rules import RuleSet, builtin_set_names, load_builtin

DEFAULTS_FILE = Path(__file__).parent.with_name("data") / "parameters.csv"


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


# Parameters of the monitoring workflow (deadlines, notice period, visit cycles), not of any rule set.
WORKFLOW_PARAMETERS: dict[str, dict] = {
    key: {"title": title, "unit": unit, "type": ptype, "sets": ["workflow"]}
    for key, title, unit, ptype in [
        ("notice_days", "公示天数", "天", "integer"),
        ("identification_deadline_days", "识别纳入全程时限", "天", "integer"),
        ("step_days_clue", "入户核实时限", "天", "integer"),
        ("step_days_checked", "部门数据比对时限", "天", "integer"),
        ("step_days_compared", "民主评议时限", "天", "integer"),
        ("step_days_reviewed", "评议后开始公示时限", "天", "integer"),
        ("step_days_notice", "公示期满后结束公示时限", "天", "integer"),
        ("step_days_noticed", "乡镇审核时限", "天", "integer"),
        ("step_days_audited", "县级审定时限", "天", "integer"),
        ("step_days_approved", "公告时限", "天", "integer"),
        ("step_days_announced", "录入系统时限", "天", "integer"),
        ("measure_deadline_months", "识别后落实帮扶措施时限", "月", "integer"),
        ("developmental_deadline_months", "有劳动力户落实开发式帮扶时限", "月", "integer"),
        ("elimination_min_months", "风险消除前最短监测时间", "月", "integer"),
        ("visit_days_high", "高风险户走访周期", "天", "integer"),
        ("visit_days_medium", "中风险户走访周期", "天", "integer"),
        ("visit_days_low", "低风险户走访周期", "天", "integer"),
        ("ledger_share_min", "监测对象占建档立卡人口参考比例下限", "", "decimal"),
        ("ledger_share_max", "监测对象占建档立卡人口参考比例上限", "", "decimal"),
    ]
}


def parameter_catalogue() -> dict[str, dict]:
    """Every parameter the built-in rule sets and the monitoring workflow declare: key -> title, unit, type,
    and which sets use it."""
    out: dict[str, dict] = {
        key: dict(entry, sets=list(entry["sets"])) for key, entry in WORKFLOW_PARAMETERS.items()
    }
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


def ancestor_paths(region: Region) -> list[str]:
    lengths = sorted(set(Region.PATH_LENGTH.values()))
    return [region.path[:n] for n in lengths if n <= len(region.path)]


def resolve_parameters(keys, region: Region, day: dt.date) -> dict[str, PolicyParameter]:
    """The value in force for each key on `day` in `region`: the latest start date on or before `day` among the
    region and its ancestors; between equal dates the nearer region wins."""
    rows = (
        PolicyParameter.objects.filter(
            key__in=list(keys), region__path__in=ancestor_paths(region), effective_from__lte=day
        )
        .select_related("region")
        .order_by("key", "-effective_from")
    )
    return choose_in_force(rows)


def choose_in_force(rows) -> dict[str, PolicyParameter]:
    """Of the rows of a region and its ancestors started on or before a day, ordered by key and latest start
    first, the one in force for each key: the latest start; between equal dates the nearer region."""
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


def parameters_visible_to(user):
    """Parameter values a user may read: those of their region's subtree and of every region above it (the
    values in force for them are usually set by the province or the city)."""
    region = user_region(user)
    if region is None:
        return PolicyParameter.objects.all() if user.is_superuser else PolicyParameter.objects.none()
    low, high = subtree_bounds(region.path)
    return PolicyParameter.objects.filter(
        Q(region__path__in=ancestor_paths(region)) | Q(region__path__gte=low, region__path__lt=high)
    )
