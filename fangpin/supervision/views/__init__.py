"""Web pages of problem clues (问题线索). `clue`: the list, one clue with its steps and evidence files; `pool`:
generating clues from comparison hits, entering one by hand, batch hand-over and the city's spot checks."""

from fangpin.supervision.views.clue import (
    ClueDetailView,
    ClueListView,
    ClueStepView,
    EvidenceAddView,
    EvidenceDownloadView,
    clue_context,
    refusal,
)
from fangpin.supervision.views.pool import BatchAssignView, ClueAddView, ClueGenerateView, SpotCheckView

__all__ = [
    "BatchAssignView",
    "ClueAddView",
    "ClueDetailView",
    "ClueGenerateView",
    "ClueListView",
    "ClueStepView",
    "EvidenceAddView",
    "EvidenceDownloadView",
    "SpotCheckView",
    "clue_context",
    "refusal",
]
