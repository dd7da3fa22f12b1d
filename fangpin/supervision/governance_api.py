"""The governance API (issue #6 part 8): talks (约谈), leader visits (遍访) with their yearly coverage, assessment
indicators and results. Scoped and authorised exactly like the pages in governance_views: rows come from
`visible_to(user)` (out of scope is 404), each write checks its permission first (403), parses (400) and calls the
service the page calls, whose Chinese refusal comes back as 400 (or 403) through core.rest.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.response import Response

from fangpin.accounts.models import Department
from fangpin.core.api import ModelPermissions, ScopedViewSet, parse_input
from fangpin.geo.models import Region
from fangpin.registry.models import Household
from fangpin.supervision.api.inputs import _scoped, _text
from fangpin.supervision.choices import UnitKind, VisitorPost
from fangpin.supervision.governance_views import LeaderVisitFilterSet, TalkFilterSet, current_year
from fangpin.supervision.models import AssessmentIndicator, AssessmentResult, LeaderVisit, Talk
from fangpin.supervision.services import assessment, governance

YEAR = OpenApiParameter("year", int, description="年度（默认今年）")


def year_of(request) -> int:
    value = request.query_params.get("year", "")
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else current_year()


def _year():
    return serializers.IntegerField(label="年度", min_value=2000, max_value=2100)


# ---------------------------------------------------------------- serializers (read)


class TalkSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True, label="被约谈单位（区划代码）")
    clues = serializers.SerializerMethodField(label="相关问题线索编号")

    class Meta:
        model = Talk
        fields = ["id", "region", "department", "unit", "persons", "held_on", "held_by", "reason", "commitments",
                  "follow_up", "clues", "created_at"]  # fmt: skip

    def get_clues(self, talk) -> list[str]:
        # Only the related clues the caller may see (as on the detail page).
        from fangpin.supervision.services.clues import clues_visible_to

        user = self.context["request"].user
        return list(clues_visible_to(user).filter(talks=talk).values_list("number", flat=True))


class LeaderVisitSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True, label="走访村（区划代码）")
    household = serializers.CharField(source="household.number", read_only=True, default=None, label="户编号")
    post_display = serializers.CharField(source="get_post_display", read_only=True, label="职务名称")

    class Meta:
        model = LeaderVisit
        fields = ["id", "visitor", "post", "post_display", "region", "household", "visited_on", "note",
                  "created_at"]  # fmt: skip


class AssessmentIndicatorSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True, label="考核组织单位（区划代码）")

    class Meta:
        model = AssessmentIndicator
        fields = ["id", "region", "year", "unit_kind", "metric", "title", "weight"]


class AssessmentResultSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code", read_only=True, label="被考核单位（区划代码）")
    unit_name = serializers.CharField(read_only=True, label="被考核单位")
    grade_display = serializers.CharField(source="get_grade_display", read_only=True, label="等次名称")
    must_talk_reasons = serializers.SerializerMethodField(label="约谈原因")

    class Meta:
        model = AssessmentResult
        fields = ["id", "unit", "department", "unit_name", "year", "score", "grade", "grade_display", "must_talk",
                  "must_talk_reasons", "values", "computed_at"]  # fmt: skip

    def get_must_talk_reasons(self, result) -> list[str]:
        return assessment.must_talk_reasons(result)


# ---------------------------------------------------------------- inputs (parse only; the services refuse)


class TalkInput(serializers.Serializer):
    region = _scoped("被约谈单位（区划代码）", Region.objects.all(), "code", "被约谈单位")
    department = serializers.ChoiceField(
        label="被约谈部门（约谈行业部门时填写）", choices=Department.choices, required=False, allow_blank=True,
        default="", error_messages={"invalid_choice": "未知的部门：{input}"},
    )  # fmt: skip
    unit = _text("被约谈单位名称", max_length=100)
    persons = serializers.CharField(label="被约谈人及职务", max_length=200)
    held_on = serializers.DateField(label="约谈日期")
    held_by = serializers.CharField(label="约谈人", max_length=100)
    reason = serializers.CharField(label="约谈事由")
    commitments = _text("整改承诺")
    clue_numbers = serializers.ListField(
        child=serializers.CharField(), required=False, default=list, label="相关问题线索编号"
    )


class FollowUpInput(serializers.Serializer):
    follow_up = _text("跟踪落实情况")
    commitments = serializers.CharField(label="整改承诺", required=False, allow_blank=True, default=None)


class LeaderVisitInput(serializers.Serializer):
    visitor = serializers.CharField(label="走访人", max_length=50)
    post = serializers.ChoiceField(label="职务", choices=VisitorPost.choices)
    region = _scoped("走访村（区划代码）", Region.objects.all(), "code", "走访村")
    household = _scoped(
        "走访户（户编号，县委书记遍访村时不填）", Household.objects.all(), "number", "走访户",
        required=False, allow_null=True, default=None,
    )  # fmt: skip
    visited_on = serializers.DateField(label="走访日期")
    note = _text("走访情况")


class WeightsInput(serializers.Serializer):
    year = _year()
    unit_kind = serializers.ChoiceField(
        label="被考核单位类别（region：乡镇或县；department：行业部门）", choices=UnitKind.choices,
        required=False, default=UnitKind.REGION,
    )  # fmt: skip
    weights = serializers.DictField(
        child=serializers.DecimalField(max_digits=5, decimal_places=2), label="各指标权重（%），合计 100"
    )


class RecomputeInput(serializers.Serializer):
    organiser = serializers.CharField(label="考核组织单位（市、县区划代码）")
    year = _year()


# ---------------------------------------------------------------- viewsets


class ViewOnObject(ModelPermissions):
    """On a record found through the scope, viewing reaches the route; a write route checks its own permission."""

    def has_object_permission(self, request, view, obj):
        return request.user.has_perm(f"supervision.view_{view.model._meta.model_name}")


class TalkViewSet(ScopedViewSet):
    """约谈记录. POST records a talk (governance.record_talk); POST …/follow-up/ records how it was followed up."""

    model = Talk
    serializer_class = TalkSerializer
    filterset_class = TalkFilterSet
    permission_classes = [ViewOnObject]
    http_method_names = ["get", "post", "head", "options"]
    queryset = Talk.objects.none()

    def get_queryset(self):
        return Talk.objects.visible_to(self.request.user).select_related("region").order_by("-held_on", "-id")

    def get_serializer_class(self):
        return {"create": TalkInput, "follow_up": FollowUpInput}.get(self.action, TalkSerializer)

    def show(self, talk, code=status.HTTP_200_OK) -> Response:
        talk = self.get_queryset().get(pk=talk.pk)
        return Response(TalkSerializer(talk, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=TalkInput, responses={201: TalkSerializer})
    def create(self, request, *args, **kwargs):
        """登记约谈."""
        data = parse_input(self, TalkInput, request)
        return self.show(governance.record_talk(user=request.user, **data), status.HTTP_201_CREATED)

    @extend_schema(request=FollowUpInput, responses=TalkSerializer)
    @action(detail=True, methods=["post"], url_path="follow-up", url_name="follow-up")
    def follow_up(self, request, pk=None):
        """登记约谈跟踪落实情况（可同时补充整改承诺）."""
        talk = self.get_object()
        if not request.user.has_perm("supervision.change_talk"):
            raise PermissionDenied("您没有权限登记约谈跟踪情况")
        governance.update_talk_follow_up(talk, user=request.user, **parse_input(self, FollowUpInput, request))
        return self.show(talk)


class LeaderVisitViewSet(ScopedViewSet):
    """遍访记录. POST records a visit (governance.record_visit); GET …/coverage/ is the year's coverage and gaps."""

    model = LeaderVisit
    serializer_class = LeaderVisitSerializer
    filterset_class = LeaderVisitFilterSet
    permission_classes = [ViewOnObject]
    http_method_names = ["get", "post", "head", "options"]
    queryset = LeaderVisit.objects.none()

    def get_queryset(self):
        return (
            LeaderVisit.objects.visible_to(self.request.user)
            .select_related("region", "household")
            .order_by("-visited_on", "-id")
        )

    def get_serializer_class(self):
        return LeaderVisitInput if self.action == "create" else LeaderVisitSerializer

    @extend_schema(request=LeaderVisitInput, responses={201: LeaderVisitSerializer})
    def create(self, request, *args, **kwargs):
        """登记遍访."""
        visit = governance.record_visit(user=request.user, **parse_input(self, LeaderVisitInput, request))
        visit = self.get_queryset().get(pk=visit.pk)
        return Response(LeaderVisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("region", str, description="区划代码（默认本级）"), YEAR],
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=False, methods=["get"], url_path="coverage", url_name="coverage")
    def coverage(self, request):
        """遍访覆盖情况：各乡镇的贫困村、贫困户及走访数，和未遍访的缺口."""
        code = request.query_params.get("region", "")
        area = get_object_or_404(Region, code=code) if code else governance.default_area(request.user)
        if area is None:
            raise Http404("未找到该区划")
        result = governance.coverage(area, year_of(request), user=request.user)
        counts = ("villages", "villages_visited", "households", "by_township", "by_village", "done", "due")
        rows = [
            {"county": r.county.code, "township": r.township.code, "township_name": r.township.name,
             **{k: getattr(r, k) for k in counts}}
            for r in result.rows
        ]  # fmt: skip
        body = {
            "region": area.code,
            "year": result.year,
            "rows": rows,
            "totals": {k: result.total(k) for k in counts},
            "village_gaps": [{"code": v.code, "name": v.full_name} for v in result.village_gaps],
            "household_gaps": [
                {"number": h.number, "village": h.region.code, "missing": missing}
                for h, missing in result.household_gaps
            ],
        }
        return Response(body)


class AssessmentIndicatorViewSet(ScopedViewSet):
    """考核指标 (?year=). POST sets the caller's own region's weights for a year (assessment.set_indicators)."""

    model = AssessmentIndicator
    serializer_class = AssessmentIndicatorSerializer
    permission_classes = [ViewOnObject]
    http_method_names = ["get", "post", "head", "options"]
    queryset = AssessmentIndicator.objects.none()
    filterset_fields = ["year"]

    def get_queryset(self):
        return (
            AssessmentIndicator.objects.visible_to(self.request.user)
            .select_related("region")
            .order_by("-year", "region__path", "unit_kind", "metric")
        )

    def get_serializer_class(self):
        return WeightsInput if self.action == "create" else AssessmentIndicatorSerializer

    @extend_schema(request=WeightsInput, responses={201: AssessmentIndicatorSerializer(many=True)})
    def create(self, request, *args, **kwargs):
        """设置本级（市、县）某年度的考核指标权重（各项合计 100；0 表示不用该指标）."""
        if not request.user.has_perm("supervision.change_assessmentindicator"):
            raise PermissionDenied("您没有权限设置考核指标")
        region = getattr(request.user, "region", None)
        if region is None or not assessment.can_organise(request.user, region):
            raise PermissionDenied("考核指标由市、县两级管理员设置")
        data = parse_input(self, WeightsInput, request)
        kind = data["unit_kind"]
        assessment.set_indicators(region, data["year"], data["weights"], user=request.user, kind=kind)
        rows = assessment.indicators_for(region, data["year"], kind)
        return Response(AssessmentIndicatorSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)


def organisers(user):
    return Region.objects.visible_to(user).filter(level__in=("city", "county"))


class AssessmentResultViewSet(ScopedViewSet):
    """年度考核结果 (?year=, ?organiser=<市、县区划代码>). POST …/recompute/ computes a year again."""

    model = AssessmentResult
    serializer_class = AssessmentResultSerializer
    permission_classes = [ViewOnObject]
    http_method_names = ["get", "post", "head", "options"]
    queryset = AssessmentResult.objects.none()

    def get_queryset(self):
        return AssessmentResult.objects.visible_to(self.request.user).select_related("unit")

    def get_serializer_class(self):
        return RecomputeInput if self.action == "recompute" else AssessmentResultSerializer

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        year, code = year_of(self.request), self.request.query_params.get("organiser", "")
        if code:
            organiser = get_object_or_404(organisers(self.request.user), code=code)
            return assessment.results_for(organiser, year, user=self.request.user)
        return queryset.filter(year=year).order_by("unit__path", "department")

    @extend_schema(
        parameters=[YEAR, OpenApiParameter("organiser", str, description="考核组织单位（市、县区划代码）")]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        raise MethodNotAllowed("POST", "考核结果由系统计算，请使用 recompute 重新计算")

    @extend_schema(request=RecomputeInput, responses=AssessmentResultSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="recompute", url_name="recompute")
    def recompute(self, request):
        """（重新）计算某年度本级所考核单位的结果（须先设置指标，权重合计 100）."""
        data = parse_input(self, RecomputeInput, request)
        organiser = get_object_or_404(organisers(request.user), code=data["organiser"])  # as the page: 404
        results = assessment.assess(organiser, data["year"], user=request.user)
        context = self.get_serializer_context()
        return Response(AssessmentResultSerializer(results, many=True, context=context).data)
