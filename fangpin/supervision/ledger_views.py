"""问题线索整改台账 page: the ledger and rates of services.ledger by region and by unit, with a region filter
and the Excel download of either table."""

from __future__ import annotations

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.shortcuts import render
from django.views import View

from fangpin.core.spreadsheets import xlsx_response
from fangpin.geo.models import Region
from fangpin.supervision.services import ledger


class LedgerFilterForm(forms.Form):
    """Which area the ledger covers; the regions offered are the cities, counties and townships the user sees."""

    region = forms.ModelChoiceField(
        label="区划",
        queryset=Region.objects.none(),
        required=False,
        to_field_name="code",
        empty_label="我的管辖范围",
        error_messages={"invalid_choice": "该区划不存在或不在您的管辖范围内"},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = (
            Region.objects.visible_to(user)
            .filter(level__in=(Region.Level.CITY, *ledger.UNIT_LEVELS))
            .order_by("path")
        )
        self.fields["region"].label_from_instance = lambda r: r.full_name


class LedgerView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """The page; `?export=xlsx&by=region|unit` downloads one of its two tables."""

    # Counts only, no one's personal data: whoever may see clues may see and download their ledger.
    permission_required = "supervision.view_clue"
    template_name = "supervision/ledger.html"

    def get(self, request):
        user = request.user
        form = LedgerFilterForm(request.GET or None, user=user)
        region = None
        if form.is_bound:
            if not form.is_valid():  # e.g. a region outside the scope: nothing is counted
                return render(request, self.template_name, {"form": form, "tables": []})
            region = form.cleaned_data["region"]
        if request.GET.get("export") == "xlsx":
            by = request.GET.get("by") if request.GET.get("by") in ledger.BY else "region"
            result = ledger.ledger(user, by=by, region=region)
            place = result.total.name.removesuffix("合计")
            return xlsx_response(
                ledger.HEADER,
                ledger.ledger_rows(result),
                f"问题线索整改台账-{ledger.BY[by]}-{place}-{result.day:%Y%m%d}.xlsx",
                sheet_title="问题线索整改台账",
            )
        tables = []
        for by, label in ledger.BY.items():
            params = request.GET.copy()
            params["export"], params["by"] = "xlsx", by
            result = ledger.ledger(user, by=by, region=region)
            tables.append(
                {"by": by, "label": label, "ledger": result, "export_url": f"?{params.urlencode()}"}
            )
        return render(
            request, self.template_name, {"form": form, "tables": tables, "day": tables[0]["ledger"].day}
        )
