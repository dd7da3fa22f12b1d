import django_filters

from fangpin.geo.models import Region


class RegionFilterSet(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(label="层级", choices=Region.Level.choices)
    parent = django_filters.CharFilter(label="上级区划代码", field_name="parent__code")
    q = django_filters.CharFilter(label="名称", field_name="name", lookup_expr="contains")

    class Meta:
        model = Region
        fields = ["level", "parent", "q"]
