"""Governance pages: talks (约谈), the visit-all duty (遍访) with its coverage gaps, and the annual assessment with
its must-talk list. Views parse, authorise, call a service in services.governance / services.assessment and
render; every read is scoped (out of scope is 404) and a refusal re-renders the form with the service's reason.
The forms, tables and filters of these pages live here too: they are small and used nowhere else."""

from __future__ import annotations

import re

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views import View

from fangpin.accounts.models import Department
from fangpin.core.spreadsheets import xlsx_response
from fangpin.core.tables import ScopedTable
from fangpin.core.views import ObjectListView
from fangpin.geo.models import Region
from fangpin.registry.filters import ScopedFilterSet
from fangpin.registry.models import Household
from fangpin.supervision.choices import VisitorPost
from fangpin.supervision.forms import DATE, SHORT, TEXT, UnitChoiceField
from fangpin.supervision.models import LeaderVisit, Talk
from fangpin.supervision.services import governance
from fangpin.supervision.services.clues import clues_visible_to
from fangpin.supervision.views.clue import refusal, show_errors


def current_year() -> int:
    return governance.today().year


def year_param(request) -> int:
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else current_year()


def refuse(request, form, exc: ValidationError) -> None:
    messages.error(request, refusal(exc))
    show_errors(form, exc)


# ---------------------------------------------------------------- talks


class TalkForm(forms.Form):
    region = UnitChoiceField(label="被约谈单位（区划）", queryset=Region.objects.none(), empty_label="请选择")
    department = forms.ChoiceField(
        label="被约谈部门", choices=[("", "（该区划本身）"), *Department.choices], required=False,
        help_text="约谈市、县行业部门时选择",
    )  # fmt: skip
    unit = forms.CharField(
        label="被约谈单位名称",
        max_length=100,
        required=False,
        help_text="不填则用区划全称（约谈部门时加部门名称）",
    )
    persons = forms.CharField(label="被约谈人及职务", max_length=200)
    held_on = forms.DateField(label="约谈日期", widget=DATE)
    held_by = forms.CharField(label="约谈人", max_length=100)
    reason = forms.CharField(label="约谈事由", widget=TEXT)
    commitments = forms.CharField(label="整改承诺", widget=SHORT, required=False)
    clues = forms.CharField(label="相关问题线索编号", required=False, help_text="多个编号用逗号或空格分隔")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = governance.talk_units(user)


class FollowUpForm(forms.Form):
    commitments = forms.CharField(label="整改承诺", widget=SHORT, required=False)
    follow_up = forms.CharField(label="跟踪落实情况", widget=TEXT, required=False)


class TalkTable(ScopedTable):
    held_on = tables.Column(linkify=lambda record: reverse("supervision:talk_detail", args=[record.pk]))
    related = tables.Column(verbose_name="相关线索", empty_values=(), orderable=False)

    class Meta:
        model = Talk
        fields = ["held_on", "unit", "persons", "held_by", "reason", "commitments", "follow_up", "related"]

    def render_related(self, record):
        return "、".join(c.number for c in record.clues.all()) or "—"

    def value_related(self, record):
        return self.render_related(record)


class TalkFilterSet(ScopedFilterSet):
    year = django_filters.NumberFilter(label="年度", field_name="held_on", lookup_expr="year")

    class Meta:
        model = Talk
        fields = ["year", "region"]


class TalkListView(ObjectListView):
    model = Talk
    table_class = TalkTable
    filterset_class = TalkFilterSet
    permission_required = "supervision.view_talk"
    export_filename = "约谈记录"
    title = "约谈记录"

    def get_queryset(self):
        return super().get_queryset().prefetch_related("clues").order_by("-held_on", "-id")

    def get_add_url(self):
        return reverse("supervision:talk_add") if self.request.user.has_perm("supervision.add_talk") else None


class TalkAddView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """登记约谈, possibly from the assessment's must-talk list (?region=<id>&department=…&reason=…)."""

    permission_required = "supervision.add_talk"
    template_name = "supervision/governance_talk_form.html"

    def get(self, request):
        initial = {"held_on": governance.today(), "reason": request.GET.get("reason", "")[:500]}
        region = request.GET.get("region", "")
        if region.isdigit():
            initial["region"] = governance.talk_units(request.user).filter(pk=int(region)).first()
        if request.GET.get("department", "") in Department.values:
            initial["department"] = request.GET["department"]
        return render(request, self.template_name, {"form": TalkForm(initial=initial, user=request.user)})

    def post(self, request):
        form = TalkForm(request.POST, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                talk = governance.record_talk(
                    user=request.user, region=d["region"], unit=d["unit"], persons=d["persons"],
                    held_on=d["held_on"], held_by=d["held_by"], reason=d["reason"],
                    commitments=d["commitments"], clue_numbers=re.split(r"[\s,，、;；]+", d["clues"]),
                    department=d["department"],
                )  # fmt: skip
            except ValidationError as exc:
                refuse(request, form, exc)
            else:
                messages.success(request, f"已登记约谈：{talk}")
                return redirect("supervision:talk_detail", pk=talk.pk)
        else:
            messages.error(request, "请检查填写的内容")
        return render(request, self.template_name, {"form": form})


class TalkDetailView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """One talk, and (for those who may change talks) the follow-up form."""

    permission_required = "supervision.view_talk"
    template_name = "supervision/governance_talk_detail.html"

    def get_talk(self) -> Talk:
        queryset = Talk.objects.visible_to(self.request.user).select_related("region", "created_by")
        return get_object_or_404(queryset, pk=self.kwargs["pk"])

    def show(self, talk, form=None):
        if form is None and self.request.user.has_perm("supervision.change_talk"):
            form = FollowUpForm(initial={"commitments": talk.commitments, "follow_up": talk.follow_up})
        related = clues_visible_to(self.request.user).filter(talks=talk)
        return render(self.request, self.template_name, {"talk": talk, "form": form, "clues": related})

    def get(self, request, pk):
        return self.show(self.get_talk())

    def post(self, request, pk):
        talk = self.get_talk()
        if not request.user.has_perm("supervision.change_talk"):
            raise PermissionDenied("您没有权限登记约谈跟踪情况")
        form = FollowUpForm(request.POST)
        if form.is_valid():
            try:
                governance.update_talk_follow_up(
                    talk, user=request.user, follow_up=form.cleaned_data["follow_up"],
                    commitments=form.cleaned_data["commitments"],
                )  # fmt: skip
            except ValidationError as exc:
                refuse(request, form, exc)
            else:
                messages.success(request, "已保存跟踪落实情况")
                return redirect("supervision:talk_detail", pk=talk.pk)
        talk.refresh_from_db()
        return self.show(talk, form)


# ---------------------------------------------------------------- visit-all duty


class VillageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.full_name


class LeaderVisitForm(forms.Form):
    visitor = forms.CharField(label="走访人", max_length=50)
    post = forms.ChoiceField(label="职务", choices=[("", "请选择"), *VisitorPost.choices])
    region = VillageChoiceField(label="走访村", queryset=Region.objects.none(), empty_label="请选择")
    household = forms.CharField(
        label="走访户（户编号）", max_length=20, required=False, help_text="县委书记遍访村时不填"
    )
    visited_on = forms.DateField(label="走访日期", widget=DATE)
    note = forms.CharField(label="走访情况", widget=SHORT, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        villages = Region.objects.visible_to(user).filter(level=Region.Level.VILLAGE)
        self.fields["region"].queryset = villages.select_related("parent__parent").order_by("path")

    def clean_household(self):
        number = self.cleaned_data["household"].strip()
        if not number:
            return None
        household = Household.objects.visible_to(self.user).filter(number=number).first()
        if household is None:
            raise forms.ValidationError("未找到该户（户编号不存在或不在您的管辖范围内）")
        return household


class LeaderVisitTable(ScopedTable):
    village = tables.Column(accessor="region__full_name", verbose_name="走访村", orderable=False)
    household_number = tables.Column(accessor="household__number", verbose_name="户编号", orderable=False)
    head = tables.Column(accessor="household__head_name", verbose_name="户主", orderable=False)

    class Meta:
        model = LeaderVisit
        fields = ["visited_on", "visitor", "post", "village", "household_number", "head", "note"]


class LeaderVisitFilterSet(ScopedFilterSet):
    year = django_filters.NumberFilter(label="年度", field_name="visited_on", lookup_expr="year")
    post = django_filters.ChoiceFilter(label="职务", choices=VisitorPost.choices)

    class Meta:
        model = LeaderVisit
        fields = ["year", "post", "region"]


class LeaderVisitListView(ObjectListView):
    model = LeaderVisit
    table_class = LeaderVisitTable
    filterset_class = LeaderVisitFilterSet
    template_name = "supervision/governance_visit_list.html"
    permission_required = "supervision.view_leadervisit"
    export_filename = "遍访记录"
    title = "遍访记录"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("region__parent__parent", "household")
            .order_by("-visited_on", "-id")
        )

    def get_add_url(self):
        user = self.request.user
        return (
            reverse("supervision:leadervisit_add") if user.has_perm("supervision.add_leadervisit") else None
        )


class LeaderVisitAddView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "supervision.add_leadervisit"
    template_name = "supervision/governance_visit_form.html"

    def get(self, request):
        form = LeaderVisitForm(initial={"visited_on": governance.today()}, user=request.user)
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = LeaderVisitForm(request.POST, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                visit = governance.record_visit(
                    user=request.user, visitor=d["visitor"], post=d["post"], region=d["region"],
                    household=d["household"], visited_on=d["visited_on"], note=d["note"],
                )  # fmt: skip
            except ValidationError as exc:
                refuse(request, form, exc)
            else:
                messages.success(request, f"已登记遍访：{visit}")
                return redirect("supervision:leadervisit_list")
        else:
            messages.error(request, "请检查填写的内容")
        return render(request, self.template_name, {"form": form})


def area_choices(user):
    return Region.objects.visible_to(user).filter(level__in=("city", "county", "township")).order_by("path")


class CoverageView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """遍访覆盖情况: per township, the poor villages and households and how many the responsible secretaries
    visited in the year; then the gaps (also as Excel, ?export=xlsx)."""

    permission_required = "supervision.view_leadervisit"
    template_name = "supervision/governance_coverage.html"

    def get(self, request):
        year = year_param(request)
        code = request.GET.get("region", "")
        area = get_object_or_404(Region, code=code) if code else governance.default_area(request.user)
        if area is None:
            raise Http404("未找到该区划")
        result = governance.coverage(area, year, user=request.user)
        if request.GET.get("export") == "xlsx":
            header, rows = governance.gap_rows(result)
            return xlsx_response(header, rows, f"遍访缺口-{area.name}-{year}.xlsx", sheet_title="遍访缺口")
        context = {
            "result": result,
            "year": year,
            "areas": area_choices(request.user),
            "counties": governance.by_county(result.rows),
            "totals": {
                a: result.total(a)
                for a in ("villages", "villages_visited", "households", "by_township", "by_village")
            },
            "household_gaps": result.household_gaps[:500],
            "export_url": f"{request.path}?{urlencode({'region': area.code, 'year': year, 'export': 'xlsx'})}",
        }
        return render(request, self.template_name, context)
