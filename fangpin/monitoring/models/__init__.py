"""Dynamic monitoring models: screening (parameters, runs, warnings) and monitoring cases (the workflow from a
clue to an enrolled household and on to risk elimination, with visits)."""

from fangpin.monitoring.models.cases import CaseObjection, MonitoringCase, Visit
from fangpin.monitoring.models.screening import (
    PolicyParameter,
    RuleSetVersion,
    ScreeningRun,
    ScreeningStamp,
    Warning,
)

__all__ = [
    "CaseObjection",
    "MonitoringCase",
    "PolicyParameter",
    "RuleSetVersion",
    "ScreeningRun",
    "ScreeningStamp",
    "Visit",
    "Warning",
]
