"""Registry pages: declarations on the core base views. Rules live in models and services."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from fangpin.core.views import ObjectDetailView, ObjectEditView, ObjectListView
from fangpin.core.workflow import status_history
from fangpin.registry import services
from fangpin.registry.filters import HouseholdFilterSet, PersonFilterSet
from fangpin.registry.forms import HouseholdForm, HouseholdIncomeForm, PersonForm
from fangpin.registry.importers import registry_rows
from fangpin.registry.models import Household, HouseholdIncome, Person
from fangpin.registry.panels import home_panels, household_panels
from fangpin.registry.tables import HouseholdTable, PersonTable


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "registry/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["summary"] = services.region_summary(self.request.user)
        context["panels"] = home_panels(self.request.user)  # each role's worklist comes first
        return context


class HouseholdListView(ObjectListView):
    model = Household
    permission_required = "registry.view_household"
    table_class = HouseholdTable
    filterset_class = HouseholdFilterSet
    export_permission = "registry.export_household"
    export_filename = "农户清单"
    title = "农户"
    export_layouts = {"registry": registry_rows}
    export_layout_labels = {"registry": "导出（导入格式，每名成员一行）"}

    def get_queryset(self):
        return super().get_queryset().select_related("region__parent")

    def get_add_url(self):
        return (
            reverse("registry:household_add")
            if self.request.user.has_perm("registry.add_household")
            else None
        )


class PersonListView(ObjectListView):
    model = Person
    permission_required = "registry.view_person"
    table_class = PersonTable
    filterset_class = PersonFilterSet
    export_permission = "registry.export_household"
    export_filename = "人员清单"
    title = "人员"
    export_layouts = {"registry": registry_rows}
    export_layout_labels = {"registry": "导出（导入格式）"}

    def get_queryset(self):
        return super().get_queryset().select_related("household__region")


class HouseholdDetailView(ObjectDetailView):
    model = Household
    permission_required = "registry.view_household"
    template_name = "registry/household_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("region__parent__parent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        household = self.object
        user = self.request.user
        context["members"] = household.members.all()
        context["incomes"] = household.incomes.all()
        context["history"] = services.household_history(household)[:200]
        context["status_history"] = status_history(household)
        context["transitions"] = Household.WORKFLOW.available(household, user)
        context["problems"] = services.household_problems(household)
        context["panels"] = household_panels(household, user)
        return context


class HouseholdEditView(ObjectEditView):
    model = Household
    form_class = HouseholdForm
    service = staticmethod(services.save_household)


class HouseholdChildEditView(ObjectEditView):
    """Add or edit a member or an income row of a household the user can see."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.household = get_object_or_404(
            Household.objects.visible_to(request.user), pk=kwargs["household_pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return super().get_queryset().filter(household=self.household)

    def new_object(self):
        return self.model(household=self.household)

    def get_success_url(self, obj):
        return self.household.get_absolute_url()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["household"] = self.household
        return context


class PersonEditView(HouseholdChildEditView):
    model = Person
    form_class = PersonForm
    service = staticmethod(services.save_person)


class HouseholdIncomeEditView(HouseholdChildEditView):
    model = HouseholdIncome
    form_class = HouseholdIncomeForm
    service = staticmethod(services.save_income)


class HouseholdTransitionView(LoginRequiredMixin, View):
    """POST: cancel or restore a household (a declared workflow step)."""

    def post(self, request, pk, name):
        household = get_object_or_404(Household.objects.visible_to(request.user), pk=pk)
        if name not in Household.WORKFLOW.by_name:
            raise PermissionDenied("操作不存在")
        try:
            Household.WORKFLOW.apply(
                household, name, user=request.user, comment=request.POST.get("comment", "")
            )
            messages.success(request, f"已{Household.WORKFLOW.by_name[name].label}")
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        return redirect(household)


class PersonDeleteView(LoginRequiredMixin, View):
    def post(self, request, household_pk, pk):
        person = get_object_or_404(Person.objects.visible_to(request.user), pk=pk, household_id=household_pk)
        try:
            services.delete_person(person, user=request.user)
            messages.success(request, f"已删除成员：{person.name}")
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        return redirect(reverse("registry:household_detail", args=[household_pk]))
