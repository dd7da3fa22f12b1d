"""Extra panels on the household page, contributed by apps that sit above the registry (department data
sources now; monitoring and assistance later), so the registry never imports them."""

from collections.abc import Callable
from typing import Any

HOUSEHOLD_PANELS: list[Callable[[Any, Any], dict | None]] = []


def register_household_panel(panel: Callable[[Any, Any], dict | None]) -> Callable[[Any, Any], dict | None]:
    """`panel(household, user)` returns {"title", "template", "context"} or None to show nothing."""
    HOUSEHOLD_PANELS.append(panel)
    return panel


def household_panels(household, user) -> list[dict]:
    return [p for panel in HOUSEHOLD_PANELS if (p := panel(household, user))]
