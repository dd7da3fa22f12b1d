"""The annual assessment of units (seed §16 "完善行业部门和乡镇扶贫成效考核办法…综合评价"; spec §12).

Who is assessed (`Unit`). A county organises the assessment of its townships and of its own line departments
(县直行业部门: 民政, 医保 …), the city that of its counties and of the city's departments. A department is a unit
of its region: clues can be handed to it (`Clue.assigned_department`) and its users deliver its datasets. The
departments assessed are those the region has: with a department account there, clues handed to them there, or
deliveries uploaded there in the year.

The organising region configures, per year and per kind of unit (`UnitKind`: townships or counties, and
departments), which indicators count and their weights (`AssessmentIndicator`, weights summing to 100);
`assess` computes every unit's indicator values from the data, its score and grade, and whether its leaders
must be talked to, and stores one `AssessmentResult` per unit and year (recomputing overwrites it: the same data
gives the same rows). A kind whose indicators are not set is not assessed (and the organiser is told).

Every indicator is normalised to 0–100 (see each `metric_*`); a unit with nothing to measure on an indicator
(no clue received, no case recorded, no duty to visit) scores 100 on it: nothing was late or missed.
The year is the calendar year, counted up to 31 December or today if earlier ("as-of day"). The state of
clues and cases is their current state: an assessment recomputed later reflects later rectification.

    score = Σ weight × value / 100        (weights sum to 100, so the score is 0–100)
"""

from fangpin.supervision.services.assessment.computing import (
    assess,
    configured_kinds,
    escalated_count,
    evaluate,
    must_talk_list,
    must_talk_reasons,
    results_for,
)
from fangpin.supervision.services.assessment.metrics import (
    DELIVERY_DUE_DAY,
    DEPARTMENT_METRICS,
    GRADE_THRESHOLDS,
    METRICS,
    OVERDUE_PENALTY,
    Measured,
    Metric,
    Unit,
    area_deliveries,
    as_unit,
    delivery_cycles_due,
    delivery_day,
    grade_for,
    handed_to,
    metric_data_delivery,
    metric_monitoring_timeliness,
    metric_overdue_clues,
    metric_rectification_rate,
    metric_visit_coverage,
    metrics_for,
    overdue_count,
    own_deliveries,
    received_clues,
)
from fangpin.supervision.services.assessment.organising import (
    assessed_departments,
    assessed_regions,
    assessed_units,
    can_organise,
    indicators_for,
    initial_weights,
    set_indicators,
)

__all__ = [
    "DELIVERY_DUE_DAY", "DEPARTMENT_METRICS", "GRADE_THRESHOLDS", "METRICS", "OVERDUE_PENALTY", "Measured",
    "Metric", "Unit", "area_deliveries", "as_unit", "assess", "assessed_departments", "assessed_regions",
    "assessed_units", "can_organise", "configured_kinds", "delivery_cycles_due", "delivery_day", "escalated_count",
    "evaluate", "grade_for", "handed_to", "indicators_for", "initial_weights", "metric_data_delivery",
    "metric_monitoring_timeliness", "metric_overdue_clues", "metric_rectification_rate", "metric_visit_coverage",
    "metrics_for", "must_talk_list", "must_talk_reasons", "overdue_count", "own_deliveries", "received_clues", "results_for",
    "set_indicators",
]  # fmt: skip
