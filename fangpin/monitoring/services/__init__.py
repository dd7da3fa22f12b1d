"""Dynamic monitoring services: parameters in force, screening runs (full, incremental, preview), and turning
hits into warnings.

The package's modules, by what they hold:

- `parameters`  — built-in rule sets, their memoised compilers, policy parameter values in force
- `datasets`    — the delivered department datasets a run over a region reads
- `evaluation`  — `evaluate()`: screen a region (or a few households) on a day, writing nothing
- `reconcile`   — turning a run's hits into warnings (the reconciliation rule) and stamping households
- `runs`        — start, execute and background-run a screening run
- `incremental` — affected rules, re-screening a few households, and the signal receivers
- `preview`     — what a changed rule file or parameter values would change, by village
- `reading`     — visibility helpers, the household page's warnings panel, rule titles and definitions
- `workflow`    — the monitoring-case transition table and its guards; workflow parameters
- `cases`       — every write of a case: open (one or a village's warnings in bulk), each step, cadres, visits
- `elimination` — the risk-elimination criteria, each with pass/fail and why
- `followup`    — deadlines and overdue steps, assistance alerts, visits due, each role's worklist

The case modules are imported by name (`from fangpin.monitoring.services import cases`); every other name
other modules use is re-exported here, so `from fangpin.monitoring import services` keeps working.
"""

from fangpin.monitoring.services.datasets import datasets_for
from fangpin.monitoring.services.evaluation import Outcome, evaluate
from fangpin.monitoring.services.incremental import (
    INCREMENTAL_LIMIT,
    SCREENED_MODELS,
    affected_rules,
    dataset_arrived,
    registry_changed,
    remember_before,
    rescreen_for_dataset,
    rescreen_households,
)
from fangpin.monitoring.services.parameters import (
    DEFAULTS_FILE,
    builtin_rule_sets,
    compiler_for,
    load_default_parameters,
    parameter_catalogue,
    parameter_groups,
    parameters_visible_to,
    resolve_parameters,
    save_parameter,
    values_of,
)
from fangpin.monitoring.services.preview import PreviewRow, preview
from fangpin.monitoring.services.reading import (
    can_start_run,
    rule_definition,
    rule_titles,
    runs_visible_to,
    warnings_panel,
    warnings_visible_to,
)
from fangpin.monitoring.services.reconcile import BUILTIN_TITLES, reconcile, rule_catalogue
from fangpin.monitoring.services.runs import BACKGROUND, execute_run, start_background, start_run

__all__ = [
    "BACKGROUND",
    "BUILTIN_TITLES",
    "DEFAULTS_FILE",
    "INCREMENTAL_LIMIT",
    "SCREENED_MODELS",
    "Outcome",
    "PreviewRow",
    "affected_rules",
    "builtin_rule_sets",
    "can_start_run",
    "compiler_for",
    "dataset_arrived",
    "datasets_for",
    "evaluate",
    "execute_run",
    "load_default_parameters",
    "parameter_catalogue",
    "parameter_groups",
    "parameters_visible_to",
    "preview",
    "reconcile",
    "registry_changed",
    "remember_before",
    "rescreen_for_dataset",
    "rescreen_households",
    "resolve_parameters",
    "rule_catalogue",
    "rule_definition",
    "rule_titles",
    "runs_visible_to",
    "save_parameter",
    "start_background",
    "start_run",
    "values_of",
    "warnings_panel",
    "warnings_visible_to",
]
