"""The assistance API: a monitoring case's measures (帮扶措施), scoped through the case's household and written
only through fangpin.assistance.services."""

import django_filters
from rest_framework import serializers

from fangpin.assistance import services
from fangpin.assistance.choices import MeasureCategory
from fangpin.assistance.models import AssistanceMeasure
from fangpin.core.api import ScopedViewSet
from fangpin.monitoring.models import MonitoringCase


class AssistanceMeasureFilterSet(django_filters.FilterSet):
    case = django_filters.NumberFilter(field_name="case_id", label="监测对象（编号 id）")
    category = django_filters.MultipleChoiceFilter(label="帮扶措施类别", choices=MeasureCategory.choices)
    developmental = django_filters.BooleanFilter(label="开发式帮扶")
    active_on = django_filters.DateFilter(label="在该日实施中", method="filter_active_on")

    class Meta:
        model = AssistanceMeasure
        fields = ["case", "category", "developmental", "active_on"]

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(start_on__lte=value).exclude(end_on__lt=value)


class AssistanceMeasureSerializer(serializers.ModelSerializer):
    case = serializers.PrimaryKeyRelatedField(
        queryset=MonitoringCase.objects.none(),
        label="监测对象",
        error_messages={"does_not_exist": "监测对象“{pk_value}”不存在"},
    )
    household_number = serializers.CharField(source="case.household.number", read_only=True, label="户编号")
    category_display = serializers.CharField(source="get_category_display", read_only=True, label="类别名称")
    created_by_name = serializers.CharField(source="created_by", read_only=True, default=None, label="登记人")

    class Meta:
        model = AssistanceMeasure
        fields = [
            "id",
            "case",
            "household_number",
            "category",
            "category_display",
            "subtype",
            "description",
            "amount",
            "start_on",
            "end_on",
            "provider",
            "developmental",
            "created_by_name",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["developmental", "created_at", "updated_at"]
        extra_kwargs = {
            "amount": {"error_messages": {"min_value": "金额不能为负数"}}
        }  # the model's own words

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["case"].queryset = MonitoringCase.objects.visible_to(request.user)

    def validate_case(self, value):
        if self.instance is not None and value.pk != self.instance.case_id:
            raise serializers.ValidationError("帮扶措施不能改挂到其他监测对象")
        return value


class AssistanceMeasureViewSet(ScopedViewSet):
    """帮扶措施. Measures can be added from county approval until elimination (the service says when not)."""

    model = AssistanceMeasure
    serializer_class = AssistanceMeasureSerializer
    filterset_class = AssistanceMeasureFilterSet
    export_permission = "monitoring.export_ledger"
    queryset = AssistanceMeasure.objects.none()

    def get_queryset(self):
        return super().get_queryset().select_related("case__household", "created_by")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        case = data.pop("case")
        serializer.instance = services.add_measure(case, user=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("case", None)
        services.change_measure(serializer.instance, user=self.request.user, **data)

    def perform_destroy(self, instance):
        services.delete_measure(instance, user=self.request.user)
