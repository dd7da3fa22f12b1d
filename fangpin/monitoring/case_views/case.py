"""Case pages: the list, one case with its steps, objections, cadre, visits and measures, opening clues."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from fangpin.assistance import services as assistance
from fangpin.assistance.models import AssistanceMeasure
from fangpin.assistance.services import MEASURE_STATUSES
from fangpin.core.views import ObjectListView
from fangpin.core.workflow import status_history
from fangpin.geo.models import Region
from fangpin.monitoring import case_forms as f
from fangpin.monitoring.case_filters import MonitoringCaseFilterSet
from fangpin.monitoring.case_forms import STEPS, step_initial
from fangpin.monitoring.case_tables import MonitoringCaseTable
from fangpin.monitoring.models import CaseObjection, MonitoringCase, Warning
from fangpin.monitoring.services import cases, followup
from fangpin.monitoring.services.elimination import elimination_criteria
from fangpin.monitoring.services.workflow import CASE_WORKFLOW, notice_end, steps_for, today
from fangpin.registry.models import Household

DETAIL_TEMPLATE = "monitoring/case_detail.html"
S = MonitoringCase.Status


def refusal(exc: ValidationError) -> str:
    """A refusal's Chinese reason(s), as one line."""
    return "；".join(exc.messages)


def case_context(case: MonitoringCase, user, bound: dict) -> dict:
    """Everything the case page shows. `bound` holds the forms of a refused action, to show them as typed."""
    day = today()
    household = case.household
    steps = []
    for t in steps_for(case, user):
        form_class = STEPS[t.name][0]
        form = bound.get(t.name) or form_class(prefix=t.name, initial=step_initial(t.name, case))
        steps.append({"transition": t, "form": form, "open": t.name in bound})
    labels = dict(S.choices)
    history = [
        (s, CASE_WORKFLOW.by_name[s.transition].label if s.transition in CASE_WORKFLOW.by_name else "登记线索",
         labels.get(s.from_status, s.from_status), labels.get(s.to_status, s.to_status))
        for s in status_history(case)
    ]  # fmt: skip
    objections = list(case.objections.all())
    can_review = user.has_perm("monitoring.review_case")
    for o in objections:
        slot = f"handle-{o.pk}"
        if o.outcome == CaseObjection.Outcome.PENDING and can_review:
            o.form = bound.get(slot) or f.HandleObjectionForm(prefix=slot)
    notices = []
    for label, start, days in (
        ("识别公示", case.notice_start, case.notice_days),
        ("风险消除公示", case.elim_notice_start, case.elim_notice_days),
    ):
        if start and days:
            notices.append((label, start, days, notice_end(start, days)))
    return {
        "case": case,
        "household": household,
        "steps": steps,
        "history": history,
        "overdue": followup.overdue_reasons(case, day),
        "alerts": followup.assistance_alerts(case, day),
        "visit_due": followup.visit_due(case, day),
        "criteria": elimination_criteria(case, day)
        if case.status in (S.MONITORED, *MonitoringCase.ELIMINATING)
        else [],
        "measures": list(case.measures.all()),
        "measures_editable": case.status in MEASURE_STATUSES,
        "warnings": Warning.objects.visible_to(user)
        .filter(household=household)
        .select_related("person")
        .order_by("status", "rule_code"),
        "source_warnings": set(case.warnings.values_list("pk", flat=True)),
        "notices": notices,
        "objections": objections,
        "objection_form": (bound.get("objection") or f.ObjectionForm(prefix="objection"))
        if can_review and case.status in (S.NOTICE, S.ELIM_NOTICE)
        else None,
        "cadre_form": (bound.get("cadre") or f.CadreForm(prefix="cadre", case=case))
        if user.has_perm("monitoring.assign_cadre") and case.is_open
        else None,
        "visits": case.visits.select_related("visitor"),
        "visit_form": (bound.get("visit") or f.VisitForm(prefix="visit"))
        if user.has_perm("monitoring.add_visit") and case.is_enrolled
        else None,
        "others": MonitoringCase.objects.visible_to(user).filter(household=household).exclude(pk=case.pk),
        "risk_detail": case.get_disaster_subtype_display(),
    }


class CaseListView(ObjectListView):
    model = MonitoringCase
    table_class = MonitoringCaseTable
    filterset_class = MonitoringCaseFilterSet
    permission_required = "monitoring.view_monitoringcase"
    export_permission = "monitoring.export_ledger"
    export_filename = "监测对象清单"
    title = "监测对象"

    def get_queryset(self):
        return (
            super().get_queryset().select_related("household__region", "cadre").order_by("-updated_at", "-id")
        )


class CaseMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """A view of one case the user can see: out of scope is 404, exactly like a case that does not exist."""

    permission_required = "monitoring.view_monitoringcase"

    def get_case(self) -> MonitoringCase:
        return get_object_or_404(
            MonitoringCase.objects.visible_to(self.request.user).select_related(
                "household__region__parent__parent", "cadre", "previous_case"
            ),
            pk=self.kwargs["pk"],
        )

    def require(self, permission: str) -> None:
        if not self.request.user.has_perm(permission):
            raise PermissionDenied("您的角色没有此项操作权限")

    def page(self, case, bound=None, status=200):
        """The case page, with `bound` ({slot: form}) replacing the empty forms after a refusal."""
        context = case_context(case, self.request.user, bound or {})
        return render(self.request, DETAIL_TEMPLATE, context, status=status)

    def act(self, case, slot, form, call, success: str):
        """Validate `form`, run `call(cleaned_data)`; on success redirect to the case, else show the reason."""
        if form.is_valid():
            try:
                call(form.cleaned_data)
            except ValidationError as exc:  # TransitionRefused is a ValidationError
                messages.error(self.request, refusal(exc))
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(self.request, success)
                return redirect(case)
        else:
            messages.error(self.request, "请检查填写的内容")
        case.refresh_from_db()
        return self.page(case, {slot: form})


class CaseDetailView(CaseMixin, View):
    def get(self, request, pk):
        return self.page(self.get_case())


class CaseStepView(CaseMixin, View):
    """POST one workflow step with its form."""

    def post(self, request, pk, name):
        case = self.get_case()
        if name not in STEPS:
            raise Http404("操作不存在")
        transition = CASE_WORKFLOW.by_name[name]
        self.require(transition.permission)
        form_class, call = STEPS[name]
        return self.act(
            case,
            name,
            form_class(request.POST, prefix=name),
            lambda data: call(case, request.user, data),
            f"已完成：{transition.label}",
        )


class ObjectionAddView(CaseMixin, View):
    def post(self, request, pk):
        case = self.get_case()
        self.require("monitoring.review_case")
        form = f.ObjectionForm(request.POST, prefix="objection")
        return self.act(
            case,
            "objection",
            form,
            lambda d: cases.record_objection(case, user=request.user, **d),
            "已登记公示异议",
        )


class ObjectionHandleView(CaseMixin, View):
    def post(self, request, pk, objection_pk):
        case = self.get_case()
        objection = get_object_or_404(
            CaseObjection.objects.visible_to(request.user), pk=objection_pk, case=case
        )
        self.require("monitoring.review_case")
        slot = f"handle-{objection.pk}"
        form = f.HandleObjectionForm(request.POST, prefix=slot)
        return self.act(
            case,
            slot,
            form,
            lambda d: cases.handle_objection(objection, user=request.user, **d),
            "已处理异议",
        )


class CadreView(CaseMixin, View):
    def post(self, request, pk):
        case = self.get_case()
        self.require("monitoring.assign_cadre")
        form = f.CadreForm(request.POST, prefix="cadre", case=case)
        return self.act(
            case,
            "cadre",
            form,
            lambda d: cases.assign_cadre(case, user=request.user, **d),
            "已保存帮扶责任人和监测联系人",
        )


class VisitAddView(CaseMixin, View):
    def post(self, request, pk):
        case = self.get_case()
        self.require("monitoring.add_visit")
        form = f.VisitForm(request.POST, prefix="visit")
        return self.act(
            case, "visit", form, lambda d: cases.add_visit(case, user=request.user, **d), "已登记走访记录"
        )


class MeasureEditView(CaseMixin, View):
    """Add (no measure_pk) or change a measure of the case, on its own page."""

    template_name = "monitoring/case_measure_form.html"

    def setup_objects(self):
        case = self.get_case()
        measure = None
        if "measure_pk" in self.kwargs:
            measure = get_object_or_404(
                AssistanceMeasure.objects.visible_to(self.request.user),
                pk=self.kwargs["measure_pk"],
                case=case,
            )
        self.require(f"assistance.{'change' if measure else 'add'}_assistancemeasure")
        return case, measure

    def get(self, request, pk, measure_pk=None):
        case, measure = self.setup_objects()
        return self.show(case, measure, f.MeasureForm(instance=measure))

    def post(self, request, pk, measure_pk=None):
        case, measure = self.setup_objects()
        form = f.MeasureForm(request.POST, instance=measure or AssistanceMeasure(case=case))
        if form.is_valid():
            try:
                if measure is None:
                    assistance.add_measure(case, user=request.user, **form.measure_fields())
                else:
                    assistance.change_measure(measure, user=request.user, **form.measure_fields())
            except ValidationError as exc:
                messages.error(request, refusal(exc))
            else:
                messages.success(request, "已保存帮扶措施")
                return redirect(reverse("monitoring:case_detail", args=[case.pk]) + "#measures")
        return self.show(case, measure, form)

    def show(self, case, measure, form):
        return render(self.request, self.template_name, {"case": case, "measure": measure, "form": form})


class MeasureDeleteView(CaseMixin, View):
    def post(self, request, pk, measure_pk):
        case = self.get_case()
        measure = get_object_or_404(
            AssistanceMeasure.objects.visible_to(request.user), pk=measure_pk, case=case
        )
        self.require("assistance.delete_assistancemeasure")
        try:
            assistance.delete_measure(measure, user=request.user)
        except ValidationError as exc:
            messages.error(request, refusal(exc))
        else:
            messages.success(request, f"已删除帮扶措施：{measure}")
        return redirect(reverse("monitoring:case_detail", args=[case.pk]) + "#measures")


class CaseOpenView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """登记监测线索 from a household page."""

    permission_required = "monitoring.add_monitoringcase"
    template_name = "monitoring/case_open.html"

    def household(self):
        return get_object_or_404(
            Household.objects.visible_to(self.request.user), pk=self.kwargs["household_pk"]
        )

    def get(self, request, household_pk):
        return self.show(self.household(), f.OpenCaseForm())

    def post(self, request, household_pk):
        household = self.household()
        form = f.OpenCaseForm(request.POST)
        if form.is_valid():
            try:
                case = cases.open_case(household, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                messages.error(request, refusal(exc))
            else:
                messages.success(request, f"已登记监测线索 #{case.pk}")
                return redirect(case)
        return self.show(household, form)

    def show(self, household, form):
        current = household.cases.exclude(status__in=MonitoringCase.CLOSED).first()
        context = {"household": household, "form": form, "current": current}
        return render(self.request, self.template_name, context)


class WarningCluesView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """转为监测线索: chosen warnings (`warning`, one or many) or every open monitoring warning of a village."""

    permission_required = "monitoring.add_monitoringcase"

    def post(self, request):
        user = request.user
        if request.POST.get("village"):
            village = get_object_or_404(
                Region.objects.visible_to(user).filter(level="village"), pk=request.POST["village"]
            )
            chosen = list(
                Warning.objects.visible_to(user).filter(
                    household__region=village, status=Warning.Status.OPEN, produces=Warning.Produces.WARNING
                )
            )
        else:
            ids = [int(v) for v in request.POST.getlist("warning") if v.isdigit()]
            chosen = list(Warning.objects.filter(pk__in=ids))  # the service 404s any the user cannot see
            if len(chosen) != len(set(ids)):
                raise Http404("未找到部分预警")
        if not chosen:
            messages.error(request, "没有选择待核实的监测预警")
            return redirect(request.POST.get("next") or reverse("monitoring:warning_list"))
        result = cases.clues_from_warnings(chosen, user=user)
        parts = [f"已登记 {len(result.created)} 条监测线索"]
        if result.attached:
            parts.append(f"{result.attached} 条预警并入该户已有的监测对象")
        if result.skipped:
            parts.append("未处理：" + "；".join(result.skipped[:10]))
        (messages.success if result.created or result.attached else messages.error)(request, "；".join(parts))
        if len(result.created) == 1 and len(chosen) == 1:
            return redirect(result.created[0])
        return redirect(reverse("monitoring:case_list") + "?stage=identifying")
