"""Monitoring-case services: every write of the identification and elimination workflow is one function here,
atomic, scoped to the acting user, logged, and refused with a Chinese reason when a rule is broken.
"""

from __future__ import annotations

from fangpin.monitoring.services.cases.common import (
    _require,
    _status_change,
    _visible_case,
    take_step,
)
from fangpin.monitoring.services.cases.eliminating import (
    approve_elimination,
    check_elimination,
    end_elim_notice,
    propose_elimination,
    record_elim_review,
    start_elim_notice,
    withdraw_elimination,
)
from fangpin.monitoring.services.cases.identification import (
    _latest_income,
    _notice_days,
    announce_case,
    approve_case,
    audit_case,
    end_notice,
    handle_objection,
    record_case,
    record_check,
    record_comparison,
    record_objection,
    record_review,
    reject_case,
    start_notice,
)
from fangpin.monitoring.services.cases.opening import (
    BulkClues,
    _link_warnings,
    clues_from_warnings,
    open_case,
)
from fangpin.monitoring.services.cases.people import (
    add_visit,
    assign_cadre,
    reassign_cadre,
)

__all__ = [
    "BulkClues",
    "_latest_income",
    "_link_warnings",
    "_notice_days",
    "_require",
    "_status_change",
    "_visible_case",
    "add_visit",
    "announce_case",
    "approve_case",
    "approve_elimination",
    "assign_cadre",
    "audit_case",
    "check_elimination",
    "clues_from_warnings",
    "end_elim_notice",
    "end_notice",
    "handle_objection",
    "open_case",
    "propose_elimination",
    "reassign_cadre",
    "record_case",
    "record_check",
    "record_comparison",
    "record_elim_review",
    "record_objection",
    "record_review",
    "reject_case",
    "start_elim_notice",
    "start_notice",
    "take_step",
    "withdraw_elimination",
]
