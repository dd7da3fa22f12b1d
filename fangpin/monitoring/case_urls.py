"""URL patterns of the monitoring app's case pages (included by monitoring/urls.py)."""

from django.urls import path

from fangpin.monitoring import case_views as v

urlpatterns: list = [
    path("cases/", v.CaseListView.as_view(), name="case_list"),
    path("cases/<int:pk>/", v.CaseDetailView.as_view(), name="case_detail"),
    path("cases/<int:pk>/step/<str:name>/", v.CaseStepView.as_view(), name="case_step"),
    path("cases/<int:pk>/objections/", v.ObjectionAddView.as_view(), name="case_objection_add"),
    path(
        "cases/<int:pk>/objections/<int:objection_pk>/",
        v.ObjectionHandleView.as_view(),
        name="case_objection_handle",
    ),
    path("cases/<int:pk>/cadre/", v.CadreView.as_view(), name="case_cadre"),
    path("cases/<int:pk>/visits/", v.VisitAddView.as_view(), name="case_visit_add"),
    path("cases/<int:pk>/measures/add/", v.MeasureEditView.as_view(), name="case_measure_add"),
    path("cases/<int:pk>/measures/<int:measure_pk>/", v.MeasureEditView.as_view(), name="case_measure_edit"),
    path(
        "cases/<int:pk>/measures/<int:measure_pk>/delete/",
        v.MeasureDeleteView.as_view(),
        name="case_measure_delete",
    ),
    path("households/<int:household_pk>/clue/", v.CaseOpenView.as_view(), name="case_open"),
    path("warnings/clues/", v.WarningCluesView.as_view(), name="warning_clues"),
    path("worklist/", v.WorklistView.as_view(), name="worklist"),
    path("worklist/unvisited/", v.UnvisitedView.as_view(), name="worklist_unvisited"),
    path("cadres/reassign/", v.ReassignView.as_view(), name="cadre_reassign"),
]
