"""Web pages of dynamic monitoring: warnings, screening runs, policy parameters, impact preview. Business
rules live in services; every queryset is the user's scope."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView

from fangpin.core.changelog import change_context
from fangpin.core.views import ObjectEditView, ObjectListView
from fangpin.monitoring import services
from fangpin.monitoring.case_forms import VillageCluesForm
from fangpin.monitoring.case_tables import WarningPickTable
from fangpin.monitoring.filters import ParameterFilterSet, WarningFilterSet
from fangpin.monitoring.forms import ParameterForm, PreviewForm, RunForm
from fangpin.monitoring.models import PolicyParameter, ScreeningRun, Warning
from fangpin.monitoring.tables import ParameterTable, RunTable, WarningTable


class WarningListView(ObjectListView):
    model = Warning
    table_class = WarningTable
    filterset_class = WarningFilterSet
    permission_required = "monitoring.view_warning"
    export_filename = "预警清单"
    title = "预警"
    template_name = "monitoring/warning_list.html"

    def get_queryset(self):
        return (
            services.warnings_visible_to(self.request.user)
            .select_related("household__region", "person")
            .order_by("-last_seen_at", "-id")
        )

    def get_table_class(self):
        # Officials who may register clues get a check box per row (转为监测线索).
        if self.request.user.has_perm("monitoring.add_monitoringcase"):
            return WarningPickTable
        return WarningTable

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.user.has_perm("monitoring.add_monitoringcase"):
            context["village_form"] = VillageCluesForm(user=self.request.user)
        return context


class WarningDetailView(LoginRequiredMixin, PermissionRequiredMixin, DetailView):
    permission_required = "monitoring.view_warning"
    template_name = "monitoring/warning_detail.html"
    context_object_name = "warning"

    def get_queryset(self):
        return services.warnings_visible_to(self.request.user).select_related(
            "household__region", "person", "raised_by", "last_seen_by", "resolved_by"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        warning = self.object
        rule = services.rule_definition(warning.rule_set, warning.rule_code, warning.last_seen_by)
        context["rule"] = rule
        return context


class RunListView(ObjectListView):
    model = ScreeningRun
    table_class = RunTable
    permission_required = "monitoring.view_screeningrun"
    title = "筛查批次"
    template_name = "monitoring/run_list.html"
    filterset_fields = ["kind", "status"]

    def get_queryset(self):
        return (
            services.runs_visible_to(self.request.user)
            .select_related("region")
            .order_by("-created_at", "-id")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if services.can_start_run(self.request.user):
            context["form"] = RunForm(user=self.request.user)
        return context

    def post(self, request, *args, **kwargs):
        if not services.can_start_run(request.user):
            raise PermissionDenied("只有市、县级管理员可以发起筛查")
        form = RunForm(request.POST, user=request.user)
        if not form.is_valid():
            messages.error(
                request, "；".join(f"{form.fields[f].label}：{'，'.join(e)}" for f, e in form.errors.items())
            )
            return HttpResponseRedirect(reverse("monitoring:run_list"))
        with change_context("web", user=request.user, request=request):
            run = services.start_run(
                user=request.user,
                region=form.cleaned_data["region"],
                as_of=form.cleaned_data["as_of"],
                rule_set_names=form.cleaned_data["rule_sets"],
                source="web",
            )
        services.start_background(run.pk)
        messages.success(request, f"已发起筛查批次 {run.pk}，正在后台运行")
        return HttpResponseRedirect(reverse("monitoring:run_detail", args=[run.pk]))


class RunDetailView(LoginRequiredMixin, PermissionRequiredMixin, DetailView):
    permission_required = "monitoring.view_screeningrun"
    context_object_name = "run"

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["monitoring/run_progress.html"]
        return ["monitoring/run_detail.html"]

    def get_queryset(self):
        return services.runs_visible_to(self.request.user).select_related("region", "user")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.object
        titles = services.rule_titles()
        context["counts"] = [(code, titles.get(code, ""), n) for code, n in sorted(run.counts.items())]
        context["skipped"] = sorted(run.summary.get("skipped", {}).items())
        return context


class ParameterListView(ObjectListView):
    model = PolicyParameter
    table_class = ParameterTable
    filterset_class = ParameterFilterSet
    permission_required = "monitoring.view_policyparameter"
    title = "政策参数"

    def get_queryset(self):
        return services.parameters_visible_to(self.request.user).select_related("region")

    def get_table_kwargs(self):
        kwargs = super().get_table_kwargs()
        if not self.request.user.has_perm("monitoring.change_policyparameter"):
            kwargs["exclude"] = ("edit",)
        return kwargs

    def get_add_url(self):
        if self.request.user.has_perm("monitoring.add_policyparameter"):
            return reverse("monitoring:parameter_add")
        return None


class ParameterEditView(ObjectEditView):
    model = PolicyParameter
    form_class = ParameterForm
    service = staticmethod(services.save_parameter)

    def get_success_url(self, obj):
        return reverse("monitoring:parameter_list")


class PreviewView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """Impact preview: which households a changed rule file or parameter value would newly warn, or stop
    warning, by village — computed, not written."""

    permission_required = "monitoring.view_warning"
    template_name = "monitoring/preview.html"

    def get(self, request):
        return render(request, self.template_name, {"form": PreviewForm(user=request.user)})

    def post(self, request):
        form = PreviewForm(request.POST, request.FILES, user=request.user)
        rows = None
        if form.is_valid():
            new_set = form.cleaned_data["rules_file"]
            rows = services.preview(
                form.cleaned_data["region"],
                form.cleaned_data["as_of"],
                new_rule_sets=[new_set] if new_set else None,
                parameter_overrides=form.cleaned_data["overrides"],
            )
        context = {"form": form, "rows": rows}
        if rows is not None:
            context["total_new"] = sum(len(r.new) for r in rows)
            context["total_gone"] = sum(len(r.gone) for r in rows)
        return render(request, self.template_name, context)
