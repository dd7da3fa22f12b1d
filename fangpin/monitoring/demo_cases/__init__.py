"""The demo's monitoring workload (issue #5): cases in every stage on the synthetic registry, made by the services.

`build()` picks households deterministically (seeded): households with open monitoring warnings first (a village's
clues opened in one call of `cases.clues_from_warnings`), then cadre-screening and self-report clues, until the
identified households (enrolled or eliminated) hold about `share` of the registered-poor (脱贫户) persons of the
region — the seed's 10–20 % KPI. Each case is walked through the real services (`services.cases.*`,
`assistance.services.add_measure`, `cases.add_visit`) by the official whose role owns the step, so every
StatusChange and change-log row is real and every guard (consent, notice period, elimination criteria) applies.

How the dates are made, honestly: the services run at the real "now" (the demo has no clock to move; time_machine
is a test dependency), with the dates they take as arguments (check, review, notice start, announcement, objection,
measure and visit dates) set to the planned past days. What the services stamp with "now" is then moved back to the
planned day in one bulk update per table — cases, status changes, objections, measures, visits, and the first
sighting of the warnings that became clues — each recorded with `changelog.log_bulk`. This happens in two phases:
after the identification steps, and after measures, visits and elimination, because those steps check the moved
dates (a visit not before the clue, elimination not before 6 months of monitoring). The change log (ObjectChange)
keeps the real time of writing: it is the audit trail and is never rewritten.

Each village, township and county in scope needs an official to act: the demo account sitting there if there is
one, otherwise an account created here with an unusable password (`demo_<role>_<code>`) — they act, people log in
with the `demo-users` accounts. Idempotent: a household that already has a case is never picked, and the identified
households already there count towards the share, so a second run adds nothing.

The package's modules: `data` (the stage deck, step gaps, risks, measures and texts drawn from), `context` (the
summary, the acting officials, the run's context), `planning` (one household's plan, no writes), `building`
(`build()`: picking households and walking each case through the services) and `dating` (moving what the
services stamped "now" back to the planned days).
"""

from fangpin.monitoring.demo_cases.building import build
from fangpin.monitoring.demo_cases.context import Actors, Context, Summary
from fangpin.monitoring.demo_cases.data import (
    CHANNELS,
    DECK,
    DEVELOPMENTAL_MEASURES,
    ELIMINATION,
    FALLBACK_RISKS,
    FINDINGS,
    GAPS,
    IDENTIFICATION,
    LAST_STEP,
    MEASURE_FOR_RISK,
    REJECTIONS,
    WARNING_RISKS,
    S,
)
from fangpin.monitoring.demo_cases.planning import Plan

__all__ = [
    "CHANNELS",
    "DECK",
    "DEVELOPMENTAL_MEASURES",
    "ELIMINATION",
    "FALLBACK_RISKS",
    "FINDINGS",
    "GAPS",
    "IDENTIFICATION",
    "LAST_STEP",
    "MEASURE_FOR_RISK",
    "REJECTIONS",
    "WARNING_RISKS",
    "Actors",
    "Context",
    "Plan",
    "S",
    "Summary",
    "build",
]
