"""The monitoring-case API: every step of the workflow as a POST action, scoped like the pages.

Reads come from `visible_to(user)` (a case out of scope is 404 on every route); each write parses its input with
a serializer, checks the step's declared permission (403), and calls the one service function that owns it,
whose Chinese refusal comes back as 400. A step lost to another official's concurrent change is 409.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from fangpin.core.api import ModelPermissions, NormalizedCharField, PersonalDataField, ScopedViewSet
from fangpin.core.validators import normalize_mobile
from fangpin.core.workflow import status_history
from fangpin.monitoring.case_filters import MonitoringCaseFilterSet
from fangpin.monitoring.choices import Category, Channel, DisasterSubtype, EliminationMethod, RiskTier
from fangpin.monitoring.models import CaseObjection, MonitoringCase, Visit, Warning
from fangpin.monitoring.services import cases, elimination, followup
from fangpin.monitoring.services.workflow import CASE_WORKFLOW, notice_end, today
from fangpin.registry.models import Household

S = MonitoringCase.Status
STATUS_LABELS = dict(S.choices)
# core.workflow and services.cases refuse a step that lost a race with these words (see the report: core should
# raise a dedicated ConcurrentChange so this does not depend on the text).
# ---------------------------------------------------------------- reading


class CaseSerializer(serializers.ModelSerializer):
    """A case as listed: who, where, which stage, and why it is late."""

    status_display = serializers.CharField(source="get_status_display", read_only=True, label="状态名称")
    household_number = serializers.CharField(source="household.number", read_only=True, label="户编号")
    head_name = serializers.CharField(source="household.head_name", read_only=True, label="户主")
    region = serializers.CharField(source="household.region.code", read_only=True, label="村")
    region_name = serializers.CharField(source="household.region.name", read_only=True, label="村名")
    category_display = serializers.CharField(source="get_category_display", read_only=True, label="类别名称")
    channel_display = serializers.CharField(
        source="get_channel_display", read_only=True, label="监测方式名称"
    )
    risk_labels = serializers.ListField(child=serializers.CharField(), read_only=True, label="风险名称")
    cadre_name = serializers.CharField(source="cadre", read_only=True, default=None, label="帮扶责任人姓名")
    monitoring_contact_phone = PersonalDataField(kind="phone", read_only=True, label="监测联系人电话")
    overdue_reasons = serializers.SerializerMethodField(label="超时原因")

    class Meta:
        model = MonitoringCase
        fields = [
            "id", "household", "household_number", "head_name", "region", "region_name", "status",
            "status_display", "channel", "channel_display", "category", "category_display", "risks", "risk_labels",
            "risk_tier", "cadre", "cadre_name", "monitoring_contact", "monitoring_contact_phone",
            "identified_month", "eliminated_month", "stage_entered_at", "created_at", "updated_at",
            "overdue_reasons",
        ]  # fmt: skip
        read_only_fields = fields

    def _params(self) -> followup.Parameters:
        # One parameter cache per response: a page of cases reads each region's time limits once.
        if "_params" not in self.context:
            self.context["_params"] = followup.Parameters(today())
        return self.context["_params"]

    def get_overdue_reasons(self, case) -> list[str]:
        return followup.overdue_reasons(case, today(), self._params())


class ObjectionSerializer(serializers.ModelSerializer):
    stage_display = serializers.CharField(source="get_stage_display", read_only=True, label="公示环节名称")
    outcome_display = serializers.CharField(
        source="get_outcome_display", read_only=True, label="处理结果名称"
    )

    class Meta:
        model = CaseObjection
        fields = [
            "id", "stage", "stage_display", "received_on", "raised_by", "content", "outcome", "outcome_display",
            "handling", "created_at",
        ]  # fmt: skip
        read_only_fields = ["stage", "outcome", "handling", "created_at"]
        extra_kwargs = {"content": {"required": False, "allow_blank": True, "default": ""}}


class CaseDetailSerializer(CaseSerializer):
    """One case with everything its page shows: the steps the caller can take now (and what still blocks
    each), the elimination criteria with pass/fail and why, overdue reasons and assistance alerts."""

    disaster_subtype_display = serializers.CharField(source="get_disaster_subtype_display", read_only=True)
    elimination_method_display = serializers.CharField(
        source="get_elimination_method_display", read_only=True
    )
    notice_ends = serializers.SerializerMethodField(label="公示期满日期")
    elim_notice_ends = serializers.SerializerMethodField(label="消除公示期满日期")
    warnings = serializers.PrimaryKeyRelatedField(many=True, read_only=True, label="来源预警")
    objections = ObjectionSerializer(many=True, read_only=True, label="公示异议")
    actions = serializers.SerializerMethodField(label="可办理的环节")
    elimination_criteria = serializers.SerializerMethodField(label="风险消除条件")
    alerts = serializers.SerializerMethodField(label="帮扶预警")

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields, "clue_note", "warnings", "previous_case", "disaster_subtype",
            "disaster_subtype_display", "risk_remark", "whole_household_no_labour", "checked_on", "consent_signed_on",
            "check_note", "income_year", "net_income", "per_capita_income", "claims_income", "out_of_pocket",
            "housing_unsafe", "dropout", "uninsured_member", "water_unsafe", "compared_on", "comparison_note",
            "reviewed_on", "review_minutes", "notice_start", "notice_days", "notice_ends", "announced_on",
            "recorded_on", "cadre_unit", "cadre_since", "elimination_method", "elimination_method_display",
            "elimination_proposed_on", "elim_reviewed_on", "elim_review_minutes", "elim_notice_start",
            "elim_notice_days", "elim_notice_ends", "eliminated_on", *MonitoringCase.AFTER_FIELDS, "objections",
            "actions", "elimination_criteria", "alerts",
        ]  # fmt: skip
        read_only_fields = fields

    def get_notice_ends(self, case) -> dt.date | None:
        return (
            notice_end(case.notice_start, case.notice_days)
            if case.notice_start and case.notice_days
            else None
        )

    def get_elim_notice_ends(self, case) -> dt.date | None:
        if case.elim_notice_start and case.elim_notice_days:
            return notice_end(case.elim_notice_start, case.elim_notice_days)
        return None

    def get_actions(self, case) -> list[dict]:
        user = self.context["request"].user
        out = []
        for t in CASE_WORKFLOW.available(case, user):
            # Guards only read, so running them here says in advance why a button would be refused.
            blocked = next((reason for guard in t.guards if (reason := guard(case, user))), None)
            out.append(
                {
                    "name": t.name,
                    "label": t.label,
                    "url": reverse(f"case-{t.name.replace('_', '-')}", args=[case.pk]),
                    "comment_required": t.comment_required,
                    "blocked_by": blocked,
                }
            )
        return out

    def get_elimination_criteria(self, case) -> list[dict]:
        if case.status not in MonitoringCase.ENROLLED:
            return []
        return [vars(c) for c in elimination.elimination_criteria(case, today())]

    def get_alerts(self, case) -> list[dict]:
        return [vars(a) for a in followup.assistance_alerts(case, today(), self._params())]


class HistorySerializer(serializers.Serializer):
    time = serializers.DateTimeField(label="时间")
    transition = serializers.CharField(label="操作")
    transition_label = serializers.SerializerMethodField(label="操作名称")
    from_status = serializers.CharField(label="原状态")
    from_label = serializers.SerializerMethodField(label="原状态名称")
    to_status = serializers.CharField(label="新状态")
    to_label = serializers.SerializerMethodField(label="新状态名称")
    user = serializers.CharField(default=None, label="操作人")
    comment = serializers.CharField(label="意见")

    def get_transition_label(self, row) -> str:
        t = CASE_WORKFLOW.by_name.get(row.transition)
        return t.label if t else ("登记线索" if row.transition == "open" else row.transition)

    def get_from_label(self, row) -> str:
        return STATUS_LABELS.get(row.from_status, row.from_status)

    def get_to_label(self, row) -> str:
        return STATUS_LABELS.get(row.to_status, row.to_status)


class VisitSerializer(serializers.ModelSerializer):
    visitor_name = serializers.CharField(source="visitor", read_only=True, default=None, label="走访人姓名")

    class Meta:
        model = Visit
        fields = [
            "id",
            "visitor",
            "visitor_name",
            "visited_on",
            "method",
            "findings",
            "follow_up",
            "created_at",
        ]
        read_only_fields = ["visitor", "created_at"]
        extra_kwargs = {"method": {"default": "home"}}


# ---------------------------------------------------------------- writing: one input serializer per step


def _text(label, **kw):
    return serializers.CharField(label=label, required=False, allow_blank=True, default="", **kw)


def _day(label):
    return serializers.DateField(label=label, required=False, allow_null=True, default=None)


def _flag(label):
    return serializers.BooleanField(label=label, required=False, allow_null=True, default=None)


class OpenCaseSerializer(serializers.Serializer):
    household = serializers.PrimaryKeyRelatedField(
        queryset=Household.objects.none(),
        label="户",
        error_messages={"does_not_exist": "农户“{pk_value}”不存在"},
    )
    channel = serializers.ChoiceField(choices=Channel.choices, label="监测方式")
    clue_note = _text("线索说明")
    warnings = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=Warning.objects.none(), label="来源预警"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["household"].queryset = Household.objects.visible_to(request.user)
            self.fields["warnings"].child_relation.queryset = Warning.objects.visible_to(request.user)


class BulkCluesSerializer(serializers.Serializer):
    warnings = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, label="预警编号"
    )


class CommentSerializer(serializers.Serializer):
    comment = _text("意见")


class ReasonSerializer(serializers.Serializer):
    reason = _text("原因")


class CompareSerializer(serializers.Serializer):
    result = _text("比对结果")


class ReviewSerializer(serializers.Serializer):
    reviewed_on = _day("评议日期")
    minutes = _text("会议记录")


class NoticeSerializer(serializers.Serializer):
    start = _day("公示开始日期（默认今天）")


class AnnounceSerializer(serializers.Serializer):
    announced_on = _day("公告日期（默认今天）")


class CheckSerializer(serializers.Serializer):
    category = serializers.ChoiceField(
        choices=Category.choices, label="监测对象类别", required=False, allow_blank=True, default=""
    )
    risks = serializers.ListField(
        child=serializers.CharField(), label="致贫返贫风险", required=False, default=list
    )
    checked_on = _day("入户核实日期")
    consent_signed_on = _day("承诺授权书签署日期")
    risk_tier = serializers.ChoiceField(choices=RiskTier.choices, label="风险等级", default=RiskTier.MEDIUM)
    disaster_subtype = serializers.ChoiceField(
        choices=DisasterSubtype.choices, label="因自然灾害子项", required=False, allow_blank=True, default=""
    )
    risk_remark = _text("风险备注", max_length=200)
    check_note = _text("核实情况")
    housing_unsafe = _flag("是否住房出现安全问题")
    dropout = _flag("是否义务教育阶段适龄儿童少年失学辍学")
    uninsured_member = _flag("是否有家庭成员未参加基本医疗保险")
    water_unsafe = _flag("是否饮水出现安全问题")
    comment = _text("意见")


def _after_field(name):
    label = str(MonitoringCase._meta.get_field(name).verbose_name)
    if name in ("after_dropout", "after_housing_damaged", "after_uninsured", "after_water_damaged"):
        return serializers.BooleanField(label=label, required=False, allow_null=True)
    return serializers.DecimalField(
        label=label, max_digits=12, decimal_places=2, required=False, allow_null=True
    )


ProposeEliminationSerializer = type(
    "ProposeEliminationSerializer",
    (serializers.Serializer,),
    {
        "method": serializers.ChoiceField(
            choices=EliminationMethod.choices,
            label="风险消除方式",
            required=False,
            allow_blank=True,
            default="",
        ),
        "comment": _text("意见"),
        # Only the indicators sent are set; an omitted net per-capita income is computed by the service.
        **{name: _after_field(name) for name in MonitoringCase.AFTER_FIELDS},
    },
)


class HandleObjectionSerializer(serializers.Serializer):
    outcome = _text("处理结果（upheld 异议成立 / dismissed 异议不成立）")
    handling = _text("核查处理情况")


class AssignCadreSerializer(serializers.Serializer):
    cadre = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        label="帮扶责任人（用户编号）",
        required=False,
        allow_null=True,
        default=None,
        error_messages={"does_not_exist": "用户“{pk_value}”不存在"},
    )
    unit = _text("帮扶单位", max_length=100)
    contact = _text("监测联系人", max_length=50)
    contact_phone = NormalizedCharField(
        label="监测联系人电话", required=False, allow_blank=True, default="", normalize=normalize_mobile
    )


# transition name -> (service function name in services.cases, input serializer)
STEPS = {
    "check": ("record_check", CheckSerializer),
    "compare": ("record_comparison", CompareSerializer),
    "review": ("record_review", ReviewSerializer),
    "start_notice": ("start_notice", NoticeSerializer),
    "end_notice": ("end_notice", CommentSerializer),
    "audit": ("audit_case", CommentSerializer),
    "approve": ("approve_case", CommentSerializer),
    "announce": ("announce_case", AnnounceSerializer),
    "record": ("record_case", CommentSerializer),
    "reject": ("reject_case", ReasonSerializer),
    "propose_elimination": ("propose_elimination", ProposeEliminationSerializer),
    "elim_review": ("record_elim_review", ReviewSerializer),
    "elim_start_notice": ("start_elim_notice", NoticeSerializer),
    "elim_end_notice": ("end_elim_notice", CommentSerializer),
    "elim_check": ("check_elimination", CommentSerializer),
    "elim_approve": ("approve_elimination", CommentSerializer),
    "elim_withdraw": ("withdraw_elimination", ReasonSerializer),
}


def _step_action(name: str):
    """The POST route of transition `name`: /api/cases/{id}/<name with dashes>/ (URL name case-<same>)."""
    service_name, input_serializer = STEPS[name]
    transition = CASE_WORKFLOW.by_name[name]

    def step(self, request, pk=None):
        case = self.get_object()
        if transition.permission and not request.user.has_perm(transition.permission):
            # The step's own permission before its input: a role that does not own the step learns only that.
            raise PermissionDenied(f"您没有权限执行“{transition.label}”")
        data = self.parse(input_serializer, request)
        # Looked up per call so a test can stand between the load and the write (see the concurrency test).
        getattr(cases, service_name)(case, user=request.user, **data)
        return self.detail_response(case)

    step.__name__ = name
    step.__doc__ = f"{transition.label}（{'、'.join(STATUS_LABELS[s] for s in transition.source)} → "
    step.__doc__ += f"{STATUS_LABELS[transition.target]}）"
    dashed = name.replace("_", "-")
    step = action(detail=True, methods=["post"], url_path=dashed, url_name=dashed)(step)
    return extend_schema(request=input_serializer, responses=CaseDetailSerializer, summary=transition.label)(
        step
    )


class CaseApiFilterSet(MonitoringCaseFilterSet):
    """The list page's filters (status, category, region code, overdue, …) plus one household."""

    household = django_filters.NumberFilter(field_name="household_id", label="户（编号 id）")


class CasePermissions(ModelPermissions):
    """Listing needs view, opening a clue needs add. On a case (found through the scope first) viewing is
    enough to reach a route: each step's own permission is checked by the route or its service."""

    def has_object_permission(self, request, view, obj):
        return request.user.has_perm("monitoring.view_monitoringcase")


class CaseViewSet(ScopedViewSet):
    """监测对象. POST creates a clue; each workflow step is a POST action on the case. `?format=xlsx` exports."""

    model = MonitoringCase
    serializer_class = CaseSerializer
    filterset_class = CaseApiFilterSet
    permission_classes = [CasePermissions]
    export_permission = "monitoring.export_ledger"
    http_method_names = ["get", "post", "head", "options"]
    queryset = MonitoringCase.objects.none()

    def get_queryset(self):
        return super().get_queryset().select_related("household__region", "cadre")

    def get_serializer_class(self):
        if self.action in STEPS:  # the browsable API's form and the schema show the step's input
            return STEPS[self.action][1]
        return CaseDetailSerializer if self.action == "retrieve" else CaseSerializer

    def parse(self, serializer_class, request) -> dict:
        serializer = serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def detail_response(self, case, code=status.HTTP_200_OK) -> Response:
        case = self.get_queryset().get(pk=case.pk)  # fresh, with what the step wrote
        return Response(CaseDetailSerializer(case, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=OpenCaseSerializer, responses={201: CaseDetailSerializer})
    def create(self, request, *args, **kwargs):
        """登记线索（开启监测对象）."""
        data = self.parse(OpenCaseSerializer, request)
        case = cases.open_case(data.pop("household"), user=request.user, **data)
        return self.detail_response(case, status.HTTP_201_CREATED)

    @extend_schema(request=BulkCluesSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["post"], url_path="bulk-clues", url_name="bulk-clues")
    def bulk_clues(self, request):
        """把多条监测预警批量转为线索（每户一条；已有办理中记录的户并入该记录）."""
        ids = self.parse(BulkCluesSerializer, request)["warnings"]
        result = cases.clues_from_warnings([Warning(pk=i) for i in ids], user=request.user)
        body = {
            "created": CaseSerializer(result.created, many=True, context=self.get_serializer_context()).data,
            "attached": result.attached,
            "skipped": result.skipped,
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    check = _step_action("check")
    compare = _step_action("compare")
    review = _step_action("review")
    start_notice = _step_action("start_notice")
    end_notice = _step_action("end_notice")
    audit = _step_action("audit")
    approve = _step_action("approve")
    announce = _step_action("announce")
    record = _step_action("record")
    reject = _step_action("reject")
    propose_elimination = _step_action("propose_elimination")
    elim_review = _step_action("elim_review")
    elim_start_notice = _step_action("elim_start_notice")
    elim_end_notice = _step_action("elim_end_notice")
    elim_check = _step_action("elim_check")
    elim_approve = _step_action("elim_approve")
    elim_withdraw = _step_action("elim_withdraw")

    @extend_schema(methods=["GET"], responses=ObjectionSerializer(many=True))
    @extend_schema(methods=["POST"], request=ObjectionSerializer, responses={201: ObjectionSerializer})
    @action(detail=True, methods=["get", "post"], url_path="objections", url_name="objections")
    def objections(self, request, pk=None):
        """公示异议：GET 列出，POST 登记（仅公示期间）."""
        case = self.get_object()
        if request.method == "GET":
            return Response(ObjectionSerializer(case.objections.all(), many=True).data)
        data = self.parse(ObjectionSerializer, request)
        objection = cases.record_objection(case, user=request.user, **data)
        return Response(ObjectionSerializer(objection).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=HandleObjectionSerializer, responses=ObjectionSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"objections/(?P<objection_id>\d+)/handle",
        url_name="objection-handle",
    )
    def handle_objection(self, request, pk=None, objection_id=None):
        """处理公示异议（异议成立 / 不成立）."""
        case = self.get_object()
        objection = get_object_or_404(case.objections, pk=objection_id)
        data = self.parse(HandleObjectionSerializer, request)
        cases.handle_objection(objection, user=request.user, **data)
        return Response(ObjectionSerializer(objection).data)

    @extend_schema(request=AssignCadreSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="assign-cadre", url_name="assign-cadre")
    def assign_cadre(self, request, pk=None):
        """指定帮扶责任人和监测联系人."""
        case = self.get_object()
        data = self.parse(AssignCadreSerializer, request)
        cases.assign_cadre(case, user=request.user, **data)
        return self.detail_response(case)

    @extend_schema(methods=["GET"], responses=VisitSerializer(many=True))
    @extend_schema(methods=["POST"], request=VisitSerializer, responses={201: VisitSerializer})
    @action(detail=True, methods=["get", "post"], url_path="visits", url_name="visits")
    def visits(self, request, pk=None):
        """走访记录：GET 列出，POST 登记（监测帮扶中的户）."""
        case = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            rows = case.visits.select_related("visitor")
            return Response(VisitSerializer(rows, many=True, context=context).data)
        data = self.parse(VisitSerializer, request)
        visit = cases.add_visit(case, user=request.user, **data)
        return Response(VisitSerializer(visit, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=HistorySerializer(many=True))
    @action(detail=True, methods=["get"], url_path="history", url_name="history")
    def history(self, request, pk=None):
        """办理记录：每一次状态变更（时间、操作、操作人、意见）."""
        return Response(HistorySerializer(status_history(self.get_object()), many=True).data)
