from django.urls import path

from fangpin.geo import views

app_name = "geo"
urlpatterns = [
    path("regions/", views.RegionListView.as_view(), name="region_list"),
]
