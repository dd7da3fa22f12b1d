from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from fangpin.assistance.api import AssistanceMeasureViewSet
from fangpin.core.api import ImportBatchViewSet
from fangpin.geo.api import RegionViewSet
from fangpin.monitoring.api import ParameterViewSet, ScreeningRunViewSet, WarningViewSet
from fangpin.monitoring.case_api import CaseViewSet
from fangpin.registry.api import HouseholdIncomeViewSet, HouseholdViewSet, PersonViewSet
from fangpin.supervision.api import ClueBatchViewSet, ClueLedgerViewSet, ClueViewSet
from fangpin.supervision.governance_api import (
    AssessmentIndicatorViewSet,
    AssessmentResultViewSet,
    LeaderVisitViewSet,
    TalkViewSet,
)

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("households", HouseholdViewSet, basename="household")
router.register("persons", PersonViewSet, basename="person")
router.register("incomes", HouseholdIncomeViewSet, basename="income")
router.register("imports", ImportBatchViewSet, basename="importbatch")
router.register("warnings", WarningViewSet, basename="warning")
router.register("screening-runs", ScreeningRunViewSet, basename="screeningrun")
router.register("parameters", ParameterViewSet, basename="parameter")
router.register("cases", CaseViewSet, basename="case")
router.register("measures", AssistanceMeasureViewSet, basename="measure")
router.register("clues", ClueViewSet, basename="clue")
router.register("clue-batches", ClueBatchViewSet, basename="cluebatch")
router.register("clue-ledger", ClueLedgerViewSet, basename="clue-ledger")
router.register("talks", TalkViewSet, basename="talk")
router.register("leader-visits", LeaderVisitViewSet, basename="leadervisit")
router.register("assessment-indicators", AssessmentIndicatorViewSet, basename="assessmentindicator")
router.register("assessment-results", AssessmentResultViewSet, basename="assessmentresult")

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api_token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api_docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api_redoc"),
    path("", include(router.urls)),
]
