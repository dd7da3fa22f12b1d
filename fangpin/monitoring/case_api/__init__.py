"""The monitoring-case API: every step of the workflow as a POST action, scoped like the pages.

Reads come from `visible_to(user)` (a case out of scope is 404 on every route); each write parses its input with
a serializer, checks the step's declared permission (403), and calls the one service function that owns it,
whose Chinese refusal comes back as 400. A step lost to another official's concurrent change is 409.

The package's modules, by what they hold:

- `serializers` — the reading serializers: a case as listed and in detail, objections, history, visits
- `inputs`      — one input serializer per workflow step, and `STEPS` (transition -> service, input)
- `viewset`     — `CaseViewSet`, its filters and permissions, and the generated step routes

Every name other modules used from `fangpin.monitoring.case_api` is re-exported here.
"""

from fangpin.monitoring.case_api.inputs import (
    STEPS,
    AnnounceSerializer,
    AssignCadreSerializer,
    BulkCluesSerializer,
    CheckSerializer,
    CommentSerializer,
    CompareSerializer,
    HandleObjectionSerializer,
    NoticeSerializer,
    OpenCaseSerializer,
    ProposeEliminationSerializer,
    ReasonSerializer,
    ReviewSerializer,
)
from fangpin.monitoring.case_api.serializers import (
    STATUS_LABELS,
    CaseDetailSerializer,
    CaseSerializer,
    HistorySerializer,
    ObjectionSerializer,
    S,
    VisitSerializer,
)
from fangpin.monitoring.case_api.viewset import CaseApiFilterSet, CasePermissions, CaseViewSet

__all__ = [
    "STATUS_LABELS",
    "STEPS",
    "AnnounceSerializer",
    "AssignCadreSerializer",
    "BulkCluesSerializer",
    "CaseApiFilterSet",
    "CaseDetailSerializer",
    "CasePermissions",
    "CaseSerializer",
    "CaseViewSet",
    "CheckSerializer",
    "CommentSerializer",
    "CompareSerializer",
    "HandleObjectionSerializer",
    "HistorySerializer",
    "NoticeSerializer",
    "ObjectionSerializer",
    "OpenCaseSerializer",
    "ProposeEliminationSerializer",
    "ReasonSerializer",
    "ReviewSerializer",
    "S",
    "VisitSerializer",
]
