"""URL patterns of the clue ledger pages (included by supervision/urls.py)."""

from django.urls import path

from fangpin.supervision.ledger_views import LedgerView

urlpatterns: list = [
    path("ledger/", LedgerView.as_view(), name="ledger"),
]
