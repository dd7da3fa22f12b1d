import django_filters

from fangpin.monitoring.models import PolicyParameter, Warning
from fangpin.registry.filters import ScopedFilterSet


class WarningFilterSet(ScopedFilterSet):
    region_field = "household__region"

    rule = django_filters.CharFilter(field_name="rule_code", label="规则代码", lookup_expr="iexact")
    household = django_filters.NumberFilter(field_name="household_id", label="户（内部编号）")

    class Meta:
        model = Warning
        fields = ["rule", "produces", "severity", "status", "household", "region"]


class ParameterFilterSet(django_filters.FilterSet):
    key = django_filters.CharFilter(label="参数", lookup_expr="icontains")

    class Meta:
        model = PolicyParameter
        fields = ["key"]
