"""数据质量问题: the case data-quality checks (monitoring/case_quality/) listed per village for the user's scope,
filtered by rule and severity, exported to Excel, and shown on the household page as a panel."""

from __future__ import annotations

from collections import Counter
from itertools import groupby

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.shortcuts import get_object_or_404, render
from django.views import View

from fangpin.core.spreadsheets import xlsx_response
from fangpin.geo.models import Region
from fangpin.monitoring.case_quality import RULES, Severity, quality_issues, region_quality, sort_key
from fangpin.monitoring.services.workflow import today
from fangpin.registry.models import Household

PERMISSION = "monitoring.view_monitoringcase"
EXPORT_HEADER = ("村", "户编号", "户主", "监测对象", "规则编号", "严重程度", "问题", "说明")


class QualityFilterForm(forms.Form):
    """Which region, rule and severity to list; regions are the counties and townships the user sees."""

    region = forms.ModelChoiceField(
        label="区划",
        queryset=Region.objects.none(),
        required=False,
        to_field_name="code",
        empty_label="我的管辖范围",
    )
    rule = forms.ChoiceField(
        label="规则",
        required=False,
        choices=[("", "全部规则"), *((code, f"{rule.label} {rule.title}") for code, rule in RULES.items())],
    )
    severity = forms.ChoiceField(label="严重程度", required=False, choices=[("", "全部"), *Severity.choices])

    def __init__(self, *args, user, village=None, **kwargs):
        super().__init__(*args, **kwargs)
        if village is not None:
            del self.fields["region"]  # the village page lists one village
        else:
            self.fields["region"].queryset = (
                Region.objects.visible_to(user)
                .filter(level__in=(Region.Level.COUNTY, Region.Level.TOWNSHIP))
                .order_by("path")
            )


def export_rows(issues):
    for issue in issues:
        household, case = issue.household, issue.case
        yield (
            household.region.full_name,
            household.number,
            household.head_name,
            f"#{case.pk} {case.get_status_display()}" if case else "未纳入监测",
            issue.rule_label,
            issue.severity_label,
            issue.title,
            issue.explanation,
        )


class QualityListView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """The issues of the user's scope (or one county/township), or of one village (`pk`), grouped by village."""

    permission_required = PERMISSION
    template_name = "monitoring/quality_list.html"

    def get(self, request, pk=None):
        user = request.user
        village = None
        if pk is not None:
            village = get_object_or_404(
                Region.objects.visible_to(user).filter(level=Region.Level.VILLAGE), pk=pk
            )
        form = QualityFilterForm(request.GET, user=user, village=village)
        day = today()
        if not form.is_valid():  # e.g. a region outside the scope: nothing is listed
            return self.show(form, village, day, [], Counter())
        region = village or form.cleaned_data.get("region")
        found = region_quality(user, region, day)
        counts = Counter(issue.rule for issue in found)
        rule, severity = form.cleaned_data["rule"], form.cleaned_data["severity"]
        issues = sorted(
            (i for i in found if (not rule or i.rule == rule) and (not severity or i.severity == severity)),
            key=sort_key,
        )
        if request.GET.get("export") == "xlsx":
            place = region or getattr(user, "region", None)
            name = place.name if place else "全部"
            return xlsx_response(
                EXPORT_HEADER,
                export_rows(issues),
                f"数据质量问题-{name}-{day:%Y%m%d}.xlsx",
                sheet_title="数据质量问题",
            )
        return self.show(form, village, day, issues, counts)

    def show(self, form, village, day, issues, counts):
        groups = [(v, list(rows)) for v, rows in groupby(issues, key=lambda i: i.village)]
        summary = [(RULES[code], counts[code]) for code in RULES if counts[code]]
        params = self.request.GET.copy()
        params["export"] = "xlsx"
        context = {
            "form": form,
            "village": village,
            "day": day,
            "groups": groups,
            "total": len(issues),
            "households": len({i.household.pk for i in issues}),
            "summary": summary,
            "export_url": f"{self.request.path}?{params.urlencode()}",
        }
        return render(self.request, self.template_name, context)


def quality_panel(household, user) -> dict | None:
    """The household page's 数据质量问题 panel: this household's issues today, or None when it has none."""
    if (
        not user.has_perm(PERMISSION)
        or not Household.objects.visible_to(user).filter(pk=household.pk).exists()
    ):
        return None
    issues = quality_issues(household, today())
    if not issues:
        return None
    return {
        "title": f"数据质量问题（{len(issues)}）",
        "template": "monitoring/quality_panel.html",
        "context": {"issues": issues, "household": household},
    }
