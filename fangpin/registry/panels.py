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


# Panels of the home page (工作台): each role's worklist, contributed by the apps above the registry.
HOME_PANELS: list[Callable[[Any], dict | None]] = []


def register_home_panel(panel: Callable[[Any], dict | None]) -> Callable[[Any], dict | None]:
    """`panel(user)` returns {"title", "template", "context"} or None to show nothing."""
    HOME_PANELS.append(panel)
    return panel


def home_panels(user) -> list[dict]:
    """The home-page panels `user` sees, in registration order."""
    return [p for panel in HOME_PANELS if (p := panel(user))]
