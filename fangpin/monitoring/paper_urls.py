"""URL patterns of the monitoring app's paper pages (included by monitoring/urls.py)."""

urlpatterns: list = []
