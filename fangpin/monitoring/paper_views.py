"""Paper pages of monitoring cases: village notices and announcements as PDF (monitoring/papers.py), the
monitoring-household ledger as Excel and the ledger's reference KPI per county (monitoring/ledger.py).

Views only parse, authorise, call and render: a village outside the user's scope is a 404, a region outside it
is not offered (and so not accepted) in the filters.
"""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views import View

from fangpin.core.spreadsheets import xlsx_response
from fangpin.geo.models import Region
from fangpin.monitoring import ledger, papers
from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.services.workflow import today

S = MonitoringCase.Status
PAPER_STATUSES = (S.NOTICE, S.ELIM_NOTICE, *papers.ANNOUNCED_STATUSES)


class PaperForm(forms.Form):
    """What the printing official adds to the paper: the township's objection phone, issuer and date."""

    stage = forms.ChoiceField(
        label="事项", choices=papers.Stage.CHOICES, initial=papers.Stage.IDENTIFY, required=False
    )
    phone = forms.RegexField(
        label="乡镇监督电话",
        regex=r"^[0-9０-９\-－ ()（）]{5,30}$",
        required=False,
        max_length=30,
        error_messages={"invalid": "电话只能包含数字、括号和连字符"},
        help_text="印在异议渠道中；不填则留空白横线供手写",
    )
    issuer = forms.CharField(
        label="发布单位",
        max_length=60,
        required=False,
        help_text="不填：公示为村民委员会，公告为乡镇人民政府",
    )
    issued_on = forms.DateField(
        label="发布日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    since = forms.DateField(
        label="风险消除起始日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="仅风险消除公告：列出该期间内消除风险的户；不填为本月1日",
    )
    until = forms.DateField(
        label="风险消除截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        day = today()
        data["stage"] = data.get("stage") or papers.Stage.IDENTIFY
        data["issued_on"] = data.get("issued_on") or day
        data["until"] = data.get("until") or day
        data["since"] = data.get("since") or data["until"].replace(day=1)
        if data["since"] > data["until"]:
            self.add_error("since", "起始日期不能晚于截止日期")
        return data


class PaperIndexView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """公示公告打印: the villages of the user's scope with households on notice, approved, or whose risk was
    eliminated this month."""

    permission_required = "monitoring.print_notice"

    def get(self, request):
        counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        month_start = today().replace(day=1)
        rows = (
            MonitoringCase.objects.visible_to(request.user)
            .filter(Q(status__in=PAPER_STATUSES) | Q(status=S.ELIMINATED, eliminated_on__gte=month_start))
            .values_list("household__region_id", "status")
        )
        for village_id, status in rows:
            counts[village_id][status] += 1
        villages = [
            (v, counts[v.pk])
            for v in Region.objects.visible_to(request.user)
            .filter(pk__in=list(counts))
            .select_related("parent")
            .order_by("code")
        ]
        context = {
            "title": "公示公告打印",
            "form": PaperForm(initial={"issued_on": today()}),
            "villages": [
                {
                    "region": v,
                    "notice": c[S.NOTICE],
                    "elim_notice": c[S.ELIM_NOTICE],
                    "approved": c[S.APPROVED] + c[S.ANNOUNCED],
                    "eliminated": c[S.ELIMINATED],
                }
                for v, c in villages
            ],
        }
        return render(request, "monitoring/paper_index.html", context)


class PaperPdfView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """A village's notice (公示) or announcement (公告) as a PDF, shown inline for printing."""

    permission_required = "monitoring.print_notice"
    kind = "notice"

    def get(self, request, pk):
        village = papers.visible_village(request.user, pk)
        form = PaperForm(request.GET)
        if not form.is_valid():
            errors = "；".join(e for field in form.errors.values() for e in field)
            messages.error(request, f"打印参数有误：{errors}")
            return HttpResponseRedirect(reverse("monitoring:paper_index"))
        data = form.cleaned_data
        paper = papers.build_paper(
            village,
            user=request.user,
            kind=self.kind,
            stage=data["stage"],
            issued_on=data["issued_on"],
            phone=data["phone"],
            issuer=data["issuer"],
            since=data["since"],
            until=data["until"],
        )
        if not paper.cases:
            what = "公示中" if self.kind == "notice" else "可公告"
            messages.warning(request, f"{village.name}没有{what}的农户，未生成{paper.title}")
            return HttpResponseRedirect(reverse("monitoring:paper_index"))
        response = HttpResponse(papers.render_pdf(paper), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            False, f"{paper.title}-{paper.issued_on:%Y%m%d}.pdf"
        )
        return response


class LedgerFilterForm(forms.Form):
    """Which area and which cases the ledger lists; the regions offered are those the user sees."""

    region = forms.ModelChoiceField(
        label="区划",
        queryset=Region.objects.none(),
        required=False,
        to_field_name="code",
        empty_label="我的管辖范围",
    )
    status = forms.ChoiceField(
        label="监测状态",
        required=False,
        choices=[(k, label) for k, (label, _) in ledger.STATUS_FILTERS.items()],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = (
            Region.objects.visible_to(user)
            .filter(level__in=(Region.Level.COUNTY, Region.Level.TOWNSHIP, Region.Level.VILLAGE))
            .order_by("path")
        )


class LedgerView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """监测对象台账: how many households the filter selects, and the Excel download in the national layout."""

    permission_required = "monitoring.export_ledger"

    def get(self, request):
        user = request.user
        form = LedgerFilterForm(request.GET or None, user=user)
        region, status = None, "enrolled"
        if form.is_bound:
            if not form.is_valid():  # e.g. a region outside the scope: nothing is listed
                return self.show(form, None, 0)
            region = form.cleaned_data["region"]
            status = form.cleaned_data["status"] or "enrolled"
        cases = ledger.ledger_cases(user, region=region, status=status)
        if request.GET.get("export") == "xlsx":
            limit = settings.EXPORT_MAX_ROWS
            if cases[limit : limit + 1].exists():
                messages.error(request, f"结果超过 {limit:,} 户，请缩小区划范围后再导出")
                return HttpResponseRedirect(reverse("monitoring:ledger"))
            place = region or getattr(user, "region", None)
            name = place.name if place else "全部"
            return xlsx_response(
                ledger.HEADER,
                ledger.ledger_rows(cases, user),
                f"监测对象台账-{name}-{today():%Y%m%d}.xlsx",
                sheet_title="监测对象台账",
            )
        return self.show(form, cases, cases.count())

    def show(self, form, cases, total):
        params = self.request.GET.copy()
        params["export"] = "xlsx"
        context = {
            "title": "监测对象台账",
            "form": form,
            "total": total,
            "export_url": f"{self.request.path}?{params.urlencode()}",
            "personal": self.request.user.has_perm("registry.view_personal_data"),
        }
        return render(self.request, "monitoring/paper_ledger.html", context)


class LedgerShareView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """监测对象占建档立卡人口比例: a reference KPI per county, never a quota."""

    permission_required = "monitoring.view_monitoringcase"

    def get(self, request):
        day = today()
        rows, total = ledger.ledger_share(request.user, day)
        context = {"title": "监测对象占比", "rows": rows, "total": total, "day": day}
        return render(request, "monitoring/paper_share.html", context)
