"""The supervisors' pool and the city's spot checks: turning comparison hits into clues, entering a clue by hand,
handing chosen clues over as a batch, and drawing a share of rectified clues for re-checking."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django_tables2 import RequestConfig

from fangpin.monitoring.models import Warning
from fangpin.supervision import forms as f
from fangpin.supervision.models import Clue
from fangpin.supervision.services import clues
from fangpin.supervision.tables import CluePickTable, ClueTable, ClueWarningTable
from fangpin.supervision.views.clue import refusal, show_errors

S = Clue.Status


def waiting_hits(user, rule: str = ""):
    """Comparison hits in the user's scope that produce a clue and have none yet."""
    queryset = Warning.objects.visible_to(user).filter(
        produces=Warning.Produces.CLUE, status=Warning.Status.OPEN, clue__isnull=True
    )
    if rule:
        queryset = queryset.filter(rule_code=rule)
    return queryset.select_related("household__region", "person").order_by("rule_code", "household__number")


def chosen(queryset, values) -> list:
    """The rows of `queryset` picked by id; any id outside it (or not a number) is "not found"."""
    values = list(values)
    if not all(str(v).isdigit() for v in values):
        raise Http404("未找到部分记录")
    ids = {int(v) for v in values}
    rows = list(queryset.filter(pk__in=ids))
    if len(rows) != len(ids):
        raise Http404("未找到部分记录")
    return rows


class ClueGenerateView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """生成问题线索 from the comparison hits in scope: the chosen ones, or all of them (of one rule, if filtered)."""

    permission_required = "supervision.supervise_clue"
    template_name = "supervision/clue_generate.html"

    def get(self, request):
        rule = request.GET.get("rule", "").strip()
        table = ClueWarningTable(waiting_hits(request.user, rule), user=request.user)
        RequestConfig(request, paginate={"per_page": 100}).configure(table)
        rules = (
            waiting_hits(request.user).order_by("rule_code").values_list("rule_code", "rule_title").distinct()
        )
        return render(request, self.template_name, {"table": table, "rule": rule, "rules": list(rules)})

    def post(self, request):
        user = request.user
        if request.POST.get("all"):
            hits = list(waiting_hits(user, request.POST.get("rule", "").strip()))
        else:
            # Not pre-scoped: the service answers "not found" for any hit the user cannot see.
            hits = chosen(Warning.objects.all(), request.POST.getlist("warning"))
        if not hits:
            messages.error(request, "没有选择比对结果")
            return redirect("supervision:clue_generate")
        result = clues.clues_from_warnings(hits, user=user)
        parts = [f"已生成 {len(result.created)} 条问题线索"]
        if result.skipped:
            parts.append("未生成：" + "；".join(result.skipped[:10]))
        (messages.success if result.created else messages.error)(request, "；".join(parts))
        return redirect("supervision:batch_assign" if result.created else "supervision:clue_generate")


class ClueAddView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """人工登记问题线索 (暗访、热线、审计、巡察)."""

    permission_required = "supervision.supervise_clue"
    template_name = "supervision/clue_add.html"

    def get(self, request):
        return render(request, self.template_name, {"form": f.ClueCreateForm(user=request.user)})

    def post(self, request):
        form = f.ClueCreateForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                clue = clues.create_clue(user=request.user, **form.service_kwargs())
            except ValidationError as exc:
                messages.error(request, refusal(exc))
                show_errors(form, exc)
            else:
                messages.success(request, f"已登记问题线索 {clue.number}")
                return redirect(clue)
        else:
            messages.error(request, "请检查填写的内容")
        return render(request, self.template_name, {"form": form})


class BatchAssignView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """批量交办: chosen clues of the pool handed to one unit with a lead official and a deadline (all or none)."""

    permission_required = ("supervision.supervise_clue", "supervision.add_cluebatch")
    template_name = "supervision/batch_assign.html"

    def pool(self):
        return (
            clues.clues_visible_to(self.request.user)
            .filter(status=S.GENERATED)
            .select_related("region", "assigned_region", "household", "person", "batch")
            .order_by("region__path", "pk")
        )

    def get(self, request):
        return self.show(f.BatchAssignForm(user=request.user), [])

    def post(self, request):
        form = f.BatchAssignForm(request.POST, user=request.user)
        picked = chosen(clues.clues_visible_to(request.user), request.POST.getlist("clue"))
        if not picked:
            messages.error(request, "请选择要交办的问题线索")
        elif form.is_valid():
            d = form.cleaned_data
            try:
                batch = clues.assign_batch(
                    picked, user=request.user, title=d["title"], unit=d["unit"],
                    lead_official=d["lead_official"], deadline=d["deadline"], note=d["note"],
                    department=d["department"],
                )  # fmt: skip
            except ValidationError as exc:
                messages.error(request, "未交办：" + refusal(exc))
                show_errors(form, exc)
            else:
                messages.success(request, f"已交办 {len(picked)} 条问题线索（{batch.title}）")
                return redirect(reverse("supervision:clue_list") + f"?batch={batch.pk}")
        else:
            messages.error(request, "请检查填写的内容")
        return self.show(form, [c.pk for c in picked])

    def show(self, form, picked):
        table = CluePickTable(self.pool(), user=self.request.user)
        RequestConfig(self.request, paginate={"per_page": 200}).configure(table)
        return render(self.request, self.template_name, {"form": form, "table": table, "picked": picked})


class SpotCheckView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """市级抽查: draw a share of the rectified clues in scope; the drawn ones are passed or failed on their pages."""

    permission_required = "supervision.spot_check_clue"
    template_name = "supervision/clue_spot_check.html"

    def get(self, request):
        return self.show(f.SpotCheckForm())

    def post(self, request):
        form = f.SpotCheckForm(request.POST)
        if form.is_valid():
            share = form.cleaned_data["percent"] / Decimal(100)
            try:
                drawn = clues.draw_spot_checks(user=request.user, share=share)
            except ValidationError as exc:
                messages.error(request, refusal(exc))
            else:
                if drawn:
                    messages.success(
                        request, f"已抽中 {len(drawn)} 条问题线索：{'、'.join(c.number for c in drawn)}"
                    )
                else:
                    messages.error(request, "没有已整改、待抽查的问题线索")
                return redirect("supervision:clue_spot_check")
        return self.show(form)

    def show(self, form):
        visible = clues.clues_visible_to(self.request.user).select_related(
            "region", "assigned_region", "household", "person", "batch"
        )
        checking = ClueTable(visible.filter(status=S.SPOT_CHECK), user=self.request.user)
        context = {
            "form": form,
            "waiting": clues.awaiting_spot_check(self.request.user).count(),
            "checking": checking,
        }
        return render(self.request, self.template_name, context)
