"""URL patterns of the governance pages: talks, visit-all duty, assessment (included by supervision/urls.py)."""

from django.urls import path

from fangpin.supervision import assessment_views as a
from fangpin.supervision import governance_views as v

urlpatterns: list = [
    path("talks/", v.TalkListView.as_view(), name="talk_list"),
    path("talks/add/", v.TalkAddView.as_view(), name="talk_add"),
    path("talks/<int:pk>/", v.TalkDetailView.as_view(), name="talk_detail"),
    path("visits/", v.LeaderVisitListView.as_view(), name="leadervisit_list"),
    path("visits/add/", v.LeaderVisitAddView.as_view(), name="leadervisit_add"),
    path("visits/coverage/", v.CoverageView.as_view(), name="leadervisit_coverage"),
    path("assessment/", a.AssessmentView.as_view(), name="assessment_list"),
    path("assessment/indicators/", a.IndicatorsView.as_view(), name="assessment_indicators"),
]
