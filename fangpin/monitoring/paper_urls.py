"""URL patterns of the monitoring app's paper pages (included by monitoring/urls.py)."""

from django.urls import path

from fangpin.monitoring import paper_views as v

urlpatterns: list = [
    path("papers/", v.PaperIndexView.as_view(), name="paper_index"),
    path("papers/villages/<int:pk>/notice/", v.PaperPdfView.as_view(kind="notice"), name="paper_notice"),
    path(
        "papers/villages/<int:pk>/announcement/",
        v.PaperPdfView.as_view(kind="announcement"),
        name="paper_announcement",
    ),
    path("ledger/", v.LedgerView.as_view(), name="ledger"),
    path("ledger/share/", v.LedgerShareView.as_view(), name="ledger_share"),
]
