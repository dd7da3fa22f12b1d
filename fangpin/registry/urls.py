from django.urls import path

from fangpin.registry import views

app_name = "registry"
urlpatterns = [
    path("households/", views.HouseholdListView.as_view(), name="household_list"),
    path("households/add/", views.HouseholdEditView.as_view(), name="household_add"),
    path("households/<int:pk>/", views.HouseholdDetailView.as_view(), name="household_detail"),
    path("households/<int:pk>/edit/", views.HouseholdEditView.as_view(), name="household_edit"),
    path(
        "households/<int:pk>/transition/<str:name>/",
        views.HouseholdTransitionView.as_view(),
        name="household_transition",
    ),
    path("households/<int:household_pk>/members/add/", views.PersonEditView.as_view(), name="person_add"),
    path(
        "households/<int:household_pk>/members/<int:pk>/edit/",
        views.PersonEditView.as_view(),
        name="person_edit",
    ),
    path(
        "households/<int:household_pk>/members/<int:pk>/delete/",
        views.PersonDeleteView.as_view(),
        name="person_delete",
    ),
    path(
        "households/<int:household_pk>/incomes/add/",
        views.HouseholdIncomeEditView.as_view(),
        name="income_add",
    ),
    path(
        "households/<int:household_pk>/incomes/<int:pk>/edit/",
        views.HouseholdIncomeEditView.as_view(),
        name="income_edit",
    ),
    path("persons/", views.PersonListView.as_view(), name="person_list"),
]
