"""The monitoring API: warnings (read), screening runs (read; POST starts one), policy parameters. Scoped like
the pages."""

import datetime as dt

from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from fangpin.core.api import ModelPermissions, ScopedSlugRelatedField, ScopedViewSet
from fangpin.core.changelog import change_context
from fangpin.geo.models import Region
from fangpin.monitoring import services
from fangpin.monitoring.filters import ParameterFilterSet, WarningFilterSet
from fangpin.monitoring.models import PolicyParameter, ScreeningRun, Warning
from fangpin.screening.rules import builtin_set_names


class WarningSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule_code", read_only=True, label="规则")
    household = serializers.PrimaryKeyRelatedField(read_only=True, label="户")
    household_number = serializers.CharField(source="household.number", read_only=True, label="户编号")
    person = serializers.PrimaryKeyRelatedField(read_only=True, label="人员")
    person_name = serializers.CharField(source="person.name", read_only=True, default=None, label="人员姓名")
    region = serializers.CharField(source="household.region.code", read_only=True, label="村")

    class Meta:
        model = Warning
        fields = [
            "id",
            "rule",
            "rule_title",
            "rule_set",
            "rule_version",
            "produces",
            "severity",
            "household",
            "household_number",
            "region",
            "person",
            "person_name",
            "as_of",
            "status",
            "explanation",
            "evidence",
            "parameters",
            "first_seen_at",
            "last_seen_at",
            "resolved_at",
        ]
        read_only_fields = fields


class WarningViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = WarningSerializer
    filterset_class = WarningFilterSet
    permission_classes = [permissions.IsAuthenticated, ModelPermissions]
    queryset = Warning.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return (
            services.warnings_visible_to(self.request.user)
            .select_related("household__region", "person")
            .order_by("-last_seen_at", "-id")
        )


class ScreeningRunSerializer(serializers.ModelSerializer):
    region = ScopedSlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        label="筛查范围（区划代码）",
        error_messages={"does_not_exist": "区划代码“{value}”不存在或不在您的管辖范围内"},
    )
    rule_set_names = serializers.ListField(
        child=serializers.ChoiceField(choices=builtin_set_names()), required=False, label="规则集"
    )
    as_of = serializers.DateField(required=False, label="筛查基准日")

    class Meta:
        model = ScreeningRun
        fields = [
            "id",
            "kind",
            "region",
            "as_of",
            "engine",
            "rule_set_names",
            "status",
            "progress",
            "total",
            "message",
            "counts",
            "summary",
            "parameters",
            "datasets",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = [
            "kind",
            "engine",
            "status",
            "progress",
            "total",
            "message",
            "counts",
            "summary",
            "parameters",
            "datasets",
            "created_at",
            "started_at",
            "finished_at",
        ]


class RunPermissions(ModelPermissions):
    """Starting a run needs `run_screening` (city and county administrators), not the generic add."""

    perms_map = {**ModelPermissions.perms_map, "POST": ["%(app_label)s.run_screening"]}


class ScreeningRunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = ScreeningRunSerializer
    permission_classes = [permissions.IsAuthenticated, RunPermissions]
    queryset = ScreeningRun.objects.none()
    filterset_fields = ["kind", "status"]

    def get_queryset(self):
        return (
            services.runs_visible_to(self.request.user)
            .select_related("region")
            .order_by("-created_at", "-id")
        )

    def perform_create(self, serializer):
        user = self.request.user
        if not services.can_start_run(user):
            raise PermissionDenied("只有市、县级管理员可以发起筛查")
        data = serializer.validated_data
        with change_context("api", user=user, request=self.request):
            run = services.start_run(
                user=user,
                region=data["region"],
                as_of=data.get("as_of") or dt.date.today(),
                rule_set_names=data.get("rule_set_names") or None,
                source="api",
            )
        serializer.instance = run
        services.start_background(run.pk)


class ParameterSerializer(serializers.ModelSerializer):
    region = ScopedSlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        label="适用区划（区划代码）",
        error_messages={"does_not_exist": "区划代码“{value}”不存在或不在您的管辖范围内"},
    )

    class Meta:
        model = PolicyParameter
        fields = ["id", "key", "region", "effective_from", "value", "tag", "source", "updated_at"]
        read_only_fields = ["updated_at"]
        validators = []  # uniqueness is checked by the service, with a Chinese message


class ParameterViewSet(ScopedViewSet):
    model = PolicyParameter
    serializer_class = ParameterSerializer
    filterset_class = ParameterFilterSet
    service = staticmethod(services.save_parameter)
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    queryset = PolicyParameter.objects.none()

    def get_queryset(self):
        return services.parameters_visible_to(self.request.user).select_related("region")
