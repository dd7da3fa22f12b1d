"""Filters of the monitoring-case list: status, category, risk, channel, village (the user's subtree), overdue."""

import django_filters
from django.db.models import Q

from fangpin.monitoring.choices import Category, Channel, RiskType
from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.services import followup
from fangpin.monitoring.services.workflow import today
from fangpin.registry.filters import ScopedFilterSet

STAGES = [
    ("identifying", "识别纳入中"),
    ("enrolled", "监测帮扶中（含风险消除办理中）"),
    ("eliminating", "风险消除办理中"),
    ("closed", "已办结"),
]
STAGE_STATUSES = {
    "identifying": MonitoringCase.IDENTIFYING,
    "enrolled": MonitoringCase.ENROLLED,
    "eliminating": MonitoringCase.ELIMINATING,
    "closed": MonitoringCase.CLOSED,
}


class MonitoringCaseFilterSet(ScopedFilterSet):
    region_field = "household__region"

    q = django_filters.CharFilter(label="搜索", method="search", help_text="户编号或户主姓名")
    stage = django_filters.ChoiceFilter(label="阶段", choices=STAGES, method="filter_stage")
    status = django_filters.MultipleChoiceFilter(label="状态", choices=MonitoringCase.Status.choices)
    category = django_filters.ChoiceFilter(label="监测对象类别", choices=Category.choices)
    risk = django_filters.ChoiceFilter(label="风险类型", choices=RiskType.choices, method="filter_risk")
    channel = django_filters.ChoiceFilter(label="监测方式", choices=Channel.choices)
    overdue = django_filters.BooleanFilter(label="识别超时", method="filter_overdue")

    class Meta:
        model = MonitoringCase
        fields = ["q", "stage", "status", "category", "risk", "channel", "region", "overdue"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(household__number__startswith=value) | Q(household__head_name__contains=value)
        )

    def filter_stage(self, queryset, name, value):
        return queryset.filter(status__in=STAGE_STATUSES[value])

    def filter_risk(self, queryset, name, value):
        # Risks are a JSON list of codes; the quoted code matches one element exactly (JSON text search works on
        # SQLite and PostgreSQL alike, `contains` on JSON does not).
        return queryset.filter(risks__icontains=f'"{value}"')

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        day, params = today(), followup.Parameters(today())
        late = [
            case.pk
            for case in queryset.filter(status__in=MonitoringCase.IDENTIFYING).select_related(
                "household__region"
            )
            if followup.overdue_reasons(case, day, params)
        ]
        return queryset.filter(pk__in=late) if value else queryset.exclude(pk__in=late)
