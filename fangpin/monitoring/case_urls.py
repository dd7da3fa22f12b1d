"""URL patterns of the monitoring app's case pages (included by monitoring/urls.py)."""

urlpatterns: list = []
