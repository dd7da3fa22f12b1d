from django.urls import path

from fangpin.monitoring import case_urls, paper_urls, quality_urls, views

app_name = "monitoring"
urlpatterns = [
    path("warnings/", views.WarningListView.as_view(), name="warning_list"),
    path("warnings/<int:pk>/", views.WarningDetailView.as_view(), name="warning_detail"),
    path("runs/", views.RunListView.as_view(), name="run_list"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run_detail"),
    path("parameters/", views.ParameterListView.as_view(), name="parameter_list"),
    path("parameters/add/", views.ParameterEditView.as_view(), name="parameter_add"),
    path("parameters/<int:pk>/edit/", views.ParameterEditView.as_view(), name="parameter_edit"),
    path("preview/", views.PreviewView.as_view(), name="preview"),
]
urlpatterns += case_urls.urlpatterns + paper_urls.urlpatterns + quality_urls.urlpatterns
