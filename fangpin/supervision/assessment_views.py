"""The annual assessment pages: set the indicators (per kind of unit: townships or counties, and line
departments), compute the results, read them with the must-talk list, export them. Views parse, authorise and
call services.assessment; the rules are there."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from fangpin.core.spreadsheets import xlsx_response
from fangpin.geo.models import Region
from fangpin.supervision.choices import UnitKind
from fangpin.supervision.governance_views import refuse, year_param
from fangpin.supervision.services import assessment
from fangpin.supervision.views.clue import refusal


class IndicatorForm(forms.Form):
    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogue = assessment.metrics_for(kind)
        for metric, spec in self.catalogue.items():
            self.fields[metric] = forms.DecimalField(
                label=f"{spec.title}（%）", min_value=0, max_value=100, decimal_places=2, required=False
            )

    def weights(self) -> dict[str, Decimal]:
        return {m: self.cleaned_data.get(m) or Decimal(0) for m in self.catalogue}


def kind_param(request) -> str:
    kind = request.GET.get("kind", UnitKind.REGION)
    if kind not in UnitKind.values:
        raise Http404("未知的被考核单位类别")
    return kind


def organiser_param(request) -> Region | None:
    """The organising region: ?organiser=<code> among the cities and counties the user sees, else their own."""
    code = request.GET.get("organiser", "")
    regions = Region.objects.visible_to(request.user).filter(level__in=("city", "county"))
    if code:
        return get_object_or_404(regions, code=code)
    return (
        regions.filter(pk=getattr(request.user, "region_id", None)).first()
        or regions.order_by("path").first()
    )


class IndicatorsView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """设置考核指标 of the user's own region for a year and a kind of unit (?kind=region|department): a weight
    per indicator, summing to 100."""

    permission_required = ("supervision.add_assessmentindicator", "supervision.change_assessmentindicator")
    template_name = "supervision/governance_indicators.html"

    def region(self) -> Region:
        region = getattr(self.request.user, "region", None)
        if region is None or not assessment.can_organise(self.request.user, region):
            raise PermissionDenied("考核指标由市、县两级管理员设置")
        return region

    def show(self, form, region, year, kind):
        context = {
            "form": form,
            "region": region,
            "year": year,
            "kind": kind,
            "kinds": UnitKind.choices,
            "metrics": assessment.metrics_for(kind),
        }
        return render(self.request, self.template_name, context)

    def get(self, request):
        region, year, kind = self.region(), year_param(request), kind_param(request)
        form = IndicatorForm(initial=assessment.initial_weights(region, year, kind), kind=kind)
        return self.show(form, region, year, kind)

    def post(self, request):
        region, year, kind = self.region(), year_param(request), kind_param(request)
        form = IndicatorForm(request.POST, kind=kind)
        if form.is_valid():
            try:
                assessment.set_indicators(region, year, form.weights(), user=request.user, kind=kind)
            except ValidationError as exc:
                refuse(request, form, exc)
            else:
                messages.success(request, f"已保存 {year} 年度{UnitKind(kind).label}考核指标")
                return redirect(f"{reverse('supervision:assessment_list')}?year={year}")
        else:
            messages.error(request, "请检查填写的内容")
        return self.show(form, region, year, kind)


RESULT_HEADER = ["被考核单位", "年度", "综合得分", "等次", "须约谈", "约谈原因", "类别"]


def export(results, year: int):
    """One sheet: a row per unit, then a column per indicator of either kind (blank where it does not apply)."""
    titles = {}
    for code, metric in [*assessment.METRICS.items(), *assessment.DEPARTMENT_METRICS.items()]:
        titles.setdefault(code, metric.title)
    rows = []
    for r in results:
        indicators = (r.values or {}).get("indicators", {})
        rows.append(
            [r.unit_name, r.year, r.score, r.get_grade_display(), r.must_talk,
             "；".join(assessment.must_talk_reasons(r)),
             UnitKind.DEPARTMENT.label if r.department else UnitKind.REGION.label]
            + [indicators.get(code, {}).get("value", "") for code in titles]
        )  # fmt: skip
    header = RESULT_HEADER + list(titles.values())
    return xlsx_response(header, rows, f"年度考核结果-{year}.xlsx", sheet_title="考核结果")


class AssessmentView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """年度考核结果 of the units a region assesses — its townships (or counties) and its line departments, each
    with their own indicators — the must-talk list (with a button to record the talk), and for the organiser a
    button to (re)compute. Excel with ?export=xlsx."""

    permission_required = "supervision.view_assessmentresult"
    template_name = "supervision/governance_assessment.html"

    def get(self, request):
        organiser, year = organiser_param(request), year_param(request)
        results = list(assessment.results_for(organiser, year, user=request.user)) if organiser else []
        if request.GET.get("export") == "xlsx":
            return export(results, year)
        must_talk = []
        for result, reasons, talk in assessment.must_talk_list(results, year, user=request.user):
            query = {"region": result.unit_id, "department": result.department, "reason": "；".join(reasons)}
            must_talk.append(
                {
                    "result": result,
                    "reasons": reasons,
                    "talk": talk,
                    "add_url": reverse("supervision:talk_add") + "?" + urlencode(query),
                }
            )
        groups = []
        for kind, label in UnitKind.choices:
            indicators = assessment.indicators_for(organiser, year, kind) if organiser else []
            rows = [
                (r, [(r.values or {}).get("indicators", {}).get(i.metric, {}) for i in indicators])
                for r in results
                if (r.department != "") == (kind == UnitKind.DEPARTMENT)
            ]
            groups.append({"kind": kind, "label": label, "indicators": indicators, "rows": rows})
        context = {
            "organiser": organiser,
            "year": year,
            "organisers": Region.objects.visible_to(request.user).filter(level__in=("city", "county")),
            "groups": groups,
            "has_results": bool(results),
            "must_talk": must_talk,
            "can_organise": organiser is not None and assessment.can_organise(request.user, organiser),
        }
        return render(request, self.template_name, context)

    def post(self, request):
        organiser, year = organiser_param(request), year_param(request)
        if organiser is None:
            raise Http404("未找到考核组织单位")
        try:
            results = assessment.assess(organiser, year, user=request.user)
        except ValidationError as exc:
            messages.error(request, refusal(exc))
        else:
            messages.success(request, f"已计算 {len(results)} 个单位的 {year} 年度考核结果")
            for kind in set(UnitKind.values) - set(assessment.configured_kinds(organiser, year)):
                messages.warning(request, f"{UnitKind(kind).label}的 {year} 年度考核指标未设置，未对其考核")
        return redirect(f"{request.path}?{urlencode({'organiser': organiser.code, 'year': year})}")
