"""Worklist pages, unvisited households, cadre reassignment, and the home and household panels."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from fangpin.monitoring import case_forms as f
from fangpin.monitoring.case_views.case import refusal
from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.services import cases, followup
from fangpin.monitoring.services.workflow import today
from fangpin.registry.models import Household


class WorklistView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """The whole worklist (the home page shows its first rows)."""

    permission_required = "monitoring.view_monitoringcase"
    template_name = "monitoring/worklist.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["data"] = {"work": followup.worklist(self.request.user, today()), "limit": None}
        return context


class UnvisitedView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    permission_required = "monitoring.view_monitoringcase"
    template_name = "monitoring/worklist_unvisited.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = followup.unvisited(self.request.user, today())
        return context


class ReassignView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """Cadres rotate: move every open case of one cadre in the user's area to another (all or nothing)."""

    permission_required = "monitoring.assign_cadre"
    template_name = "monitoring/worklist_reassign.html"

    def get(self, request):
        return self.show(f.ReassignForm(user=request.user))

    def post(self, request):
        form = f.ReassignForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                moved = cases.reassign_cadre(
                    form.cleaned_data["from_cadre"], form.cleaned_data["to_cadre"], user=request.user
                )
            except ValidationError as exc:
                messages.error(request, refusal(exc))
            else:
                messages.success(
                    request,
                    f"已将 {moved} 户的帮扶责任人由 {form.cleaned_data['from_cadre']} "
                    f"调整为 {form.cleaned_data['to_cadre']}",
                )
                return redirect("monitoring:cadre_reassign")
        return self.show(form)

    def show(self, form):
        counts = {}
        for case in (
            MonitoringCase.objects.visible_to(self.request.user)
            .exclude(status__in=MonitoringCase.CLOSED)
            .exclude(cadre=None)
            .select_related("cadre__region")
        ):
            counts.setdefault(case.cadre, 0)
            counts[case.cadre] += 1
        return render(
            self.request, self.template_name, {"form": form, "counts": sorted(counts.items(), key=str)}
        )


# ---------------------------------------------------------------- panels (registered in MonitoringConfig.ready)

HOME_ROWS = ":8"  # a slice: the home page shows the first rows of each list


def worklist_panel(user) -> dict | None:
    """The home page's 待办 panel: what waits for me, overdue, alerts, unvisited households, new warnings."""
    if not user.has_perm("monitoring.view_monitoringcase"):
        return None
    return {
        "title": _("我的待办"),
        "template": "monitoring/worklist_panel.html",
        "context": {"work": followup.worklist(user, today()), "limit": HOME_ROWS},
    }


def household_cases_panel(household, user) -> dict | None:
    """The household page's 监测对象 panel: its cases (current and past) and the 登记监测线索 button."""
    if not user.has_perm("monitoring.view_monitoringcase"):
        return None
    found = list(MonitoringCase.objects.visible_to(user).filter(household=household).select_related("cadre"))
    can_open = (
        user.has_perm("monitoring.add_monitoringcase")
        and household.status == Household.Status.ACTIVE
        and not any(c.is_open for c in found)
    )
    if not found and not can_open:
        return None
    return {
        "title": f"监测对象（{len(found)}）" if found else "监测对象",
        "template": "monitoring/case_household_panel.html",
        "context": {"cases": found, "household": household, "can_open": can_open},
    }
