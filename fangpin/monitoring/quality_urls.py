"""URL patterns of the monitoring app's quality pages (included by monitoring/urls.py)."""

from django.urls import path

from fangpin.monitoring import quality_views as v

urlpatterns: list = [
    path("quality/", v.QualityListView.as_view(), name="quality_list"),
    path("quality/villages/<int:pk>/", v.QualityListView.as_view(), name="quality_village"),
]
