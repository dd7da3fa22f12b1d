"""Supervision pages (namespace "supervision")."""

from django.urls import path

from fangpin.supervision import governance_urls, ledger_urls
from fangpin.supervision import views as v

app_name = "supervision"
urlpatterns: list = [
    path("clues/", v.ClueListView.as_view(), name="clue_list"),
    path("clues/add/", v.ClueAddView.as_view(), name="clue_add"),
    path("clues/generate/", v.ClueGenerateView.as_view(), name="clue_generate"),
    path("clues/spot-check/", v.SpotCheckView.as_view(), name="clue_spot_check"),
    path("clues/<int:pk>/", v.ClueDetailView.as_view(), name="clue_detail"),
    path("clues/<int:pk>/step/<str:name>/", v.ClueStepView.as_view(), name="clue_step"),
    path("clues/<int:pk>/files/", v.EvidenceAddView.as_view(), name="clue_evidence_add"),
    path(
        "clues/<int:pk>/files/<int:file_pk>/", v.EvidenceDownloadView.as_view(), name="clue_evidence_download"
    ),
    path("batches/assign/", v.BatchAssignView.as_view(), name="batch_assign"),
]
urlpatterns += governance_urls.urlpatterns + ledger_urls.urlpatterns
