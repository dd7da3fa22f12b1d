"""Web pages of monitoring cases (监测对象): the list, the case page with the steps the user can take now, the
clue page, measures, visits, worklists and cadre reassignment. Views parse, authorise, call a service and
render; a refused step re-renders the page with the service's Chinese reason and nothing changed.

The package's modules: `case` (the list, one case's page and its actions, opening clues) and `worklist` (the
worklist pages, cadre reassignment and the home and household panels). Every name other modules used from
`fangpin.monitoring.case_views` is re-exported here.
"""

from fangpin.monitoring.case_views.case import (
    DETAIL_TEMPLATE,
    CadreView,
    CaseDetailView,
    CaseListView,
    CaseMixin,
    CaseOpenView,
    CaseStepView,
    MeasureDeleteView,
    MeasureEditView,
    ObjectionAddView,
    ObjectionHandleView,
    S,
    VisitAddView,
    WarningCluesView,
    case_context,
    refusal,
)
from fangpin.monitoring.case_views.worklist import (
    HOME_ROWS,
    ReassignView,
    UnvisitedView,
    WorklistView,
    household_cases_panel,
    worklist_panel,
)

__all__ = [
    "DETAIL_TEMPLATE",
    "HOME_ROWS",
    "CadreView",
    "CaseDetailView",
    "CaseListView",
    "CaseMixin",
    "CaseOpenView",
    "CaseStepView",
    "MeasureDeleteView",
    "MeasureEditView",
    "ObjectionAddView",
    "ObjectionHandleView",
    "ReassignView",
    "S",
    "UnvisitedView",
    "VisitAddView",
    "WarningCluesView",
    "WorklistView",
    "case_context",
    "household_cases_panel",
    "refusal",
    "worklist_panel",
]
