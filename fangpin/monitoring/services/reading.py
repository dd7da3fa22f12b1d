"""Reading: what a user may see, the household page's warnings panel, and rule titles and definitions."""

from __future__ import annotations

from fangpin.core.scoping import user_region
from fangpin.monitoring.models import ScreeningRun, ScreeningStamp, Warning
from fangpin.monitoring.services.parameters import builtin_rule_sets
from fangpin.monitoring.services.runs import _load_version


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
