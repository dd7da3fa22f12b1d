"""Data-quality checks of monitored households (spec §6): the national-export rules that need the monitoring case,
each returning issues with a rule id, a severity and a Chinese explanation naming the field and its value.

Which checks live where, and why:

- Here: the rules that need a household's monitoring case (its status, category, risks, snapshot fields, measures,
  elimination) — 1_02_008, 1_11_002, 1_11_004, 1_11_009, 1_11_010, 2_11_005, 3_11_003, 3_11_004, 4_11_009,
  4_11_010, 5_11_029, 5_12_007, 5_15_013, 5_15_015, 5_15_020, 5_18_006 and the unnumbered housing, ¼-labour and
  Guizhou rules — run on cases that are enrolled (监测帮扶中 or in elimination) or eliminated. Cases still being
  identified are not checked: their fields are being filled in by the workflow's own guards.
- Here too: 1_02_001 and 1_02_002, registry conditions *combined with* "not a monitoring object". The screening
  rules JC-05 / JC-06 (screening/rules/monitoring.yaml) already warn on every C/D house and failed water indicator
  regardless of monitoring, to prompt a clue; the screening engine has no access to cases, so the "yet not
  monitored" part can only be checked here. A household with a case in identification is being handled and is
  not flagged; an eliminated household in a C/D house gets 1_02_008 instead of 1_02_001.
- In screening (screening/rules/quality.yaml, raised as quality warnings on the registry alone, not repeated here):
  5_12_008 (ZL-01), 2_01_015 (ZL-02), the insurance flags 2_01_0xx (ZL-04), 5_15_023 (ZL-06), 1_12_004 (ZL-08),
  the registry income of 1_11_002 (ZL-09) and the member-set checks (ZL-03, ZL-07, ZL-10, ZL-11). Here 1_11_002
  checks the case's own identification snapshot, which screening cannot see.
- Timing rules reuse `followup.assistance_alerts` (1_11_010 "no_measure", 5_12_007 "no_developmental"), so the
  worklist and this page agree on the day an alert starts.

Every check is a pure function over objects whose related rows may be prefetched (`household.members`,
`household.cases`, `case.measures`); `region_quality` loads a region's households with those prefetches.

The package's modules: `rules` (the rule table, severities and `Issue`), `checks` (every check, `quality_issues`)
and `regions` (loading a region's households with their prefetches, `region_quality`, `village_quality`). Every
name other modules used from `fangpin.monitoring.case_quality` is re-exported here.
"""

from fangpin.monitoring.case_quality.checks import (
    CASE_CHECKS,
    Facts,
    case_issues,
    check_after_fields,
    check_assisted_without_measure,
    check_disaster_subtype,
    check_early_elimination,
    check_employment_without_labour,
    check_housing_after_elimination,
    check_identification_fields,
    check_illness,
    check_income_at_elimination,
    check_lack_of_labour,
    check_risk_measures,
    check_timing,
    current_case,
    household_issues,
    quality_issues,
    sort_key,
)
from fangpin.monitoring.case_quality.regions import households_to_check, region_quality, village_quality
from fangpin.monitoring.case_quality.rules import (
    CHECKED_STATUSES,
    RISK_RULES,
    RULES,
    SEVERITY_RANK,
    WATER_FIELDS,
    Issue,
    Rule,
    S,
    Severity,
)

__all__ = [
    "CASE_CHECKS",
    "CHECKED_STATUSES",
    "RISK_RULES",
    "RULES",
    "SEVERITY_RANK",
    "WATER_FIELDS",
    "Facts",
    "Issue",
    "Rule",
    "S",
    "Severity",
    "case_issues",
    "check_after_fields",
    "check_assisted_without_measure",
    "check_disaster_subtype",
    "check_early_elimination",
    "check_employment_without_labour",
    "check_housing_after_elimination",
    "check_identification_fields",
    "check_illness",
    "check_income_at_elimination",
    "check_lack_of_labour",
    "check_risk_measures",
    "check_timing",
    "current_case",
    "household_issues",
    "households_to_check",
    "quality_issues",
    "region_quality",
    "sort_key",
    "village_quality",
]
