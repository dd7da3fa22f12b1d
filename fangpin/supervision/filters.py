"""Filters of the clue list (and its Excel export): status, source, rule, unit, batch, overdue, and the problem's
place within the user's subtree. Every choice list is drawn from what the user may see."""

import django_filters
from django.db.models import Q

from fangpin.accounts.models import Department
from fangpin.geo.models import Region
from fangpin.registry.filters import ScopedFilterSet
from fangpin.supervision.choices import ClueSource
from fangpin.supervision.models import Clue, ClueBatch
from fangpin.supervision.services import clues

OWN_OFFICE = "none"  # the department filter's value for "handed to the region's own office"


class ClueFilterSet(ScopedFilterSet):
    region_field = "region"

    q = django_filters.CharFilter(label="搜索", method="search", help_text="线索编号、问题或户编号")
    status = django_filters.MultipleChoiceFilter(label="状态", choices=Clue.Status.choices)
    source = django_filters.ChoiceFilter(label="线索来源", choices=ClueSource.choices)
    rule = django_filters.CharFilter(label="比对规则", field_name="rule_code", lookup_expr="iexact")
    unit = django_filters.ModelChoiceFilter(
        label="承办单位", field_name="assigned_region", queryset=Region.objects.none()
    )
    department = django_filters.ChoiceFilter(
        label="承办部门",
        choices=[(OWN_OFFICE, "（区划本身，非行业部门）"), *Department.choices],
        method="filter_department",
    )
    batch = django_filters.ModelChoiceFilter(label="交办批次", queryset=ClueBatch.objects.none())
    overdue = django_filters.BooleanFilter(label="已逾期", method="filter_overdue")

    class Meta:
        model = Clue
        fields = ["q", "status", "source", "rule", "unit", "department", "batch", "region", "overdue"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        levels = ("city", "county", "township")  # the city for its line departments
        units = Region.objects.visible_to(user).filter(level__in=levels).order_by("path")
        self.filters["unit"].queryset = units
        self.filters["batch"].queryset = clues.batches_visible_to(user)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__startswith=value) | Q(title__contains=value) | Q(household__number__startswith=value)
        )

    def filter_department(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(assigned_department="" if value == OWN_OFFICE else value)

    def filter_overdue(self, queryset, name, value):
        # Overdue is the service's rule (clues.overdue): the deadline narrows the candidates in the database, the
        # service decides for each.
        if value is None:
            return queryset
        day = clues.today()
        late = [c.pk for c in queryset.filter(deadline__lt=day) if clues.overdue(c, day)]
        return queryset.filter(pk__in=late) if value else queryset.exclude(pk__in=late)
