"""URL patterns of the monitoring app's quality pages (included by monitoring/urls.py)."""

urlpatterns: list = []
