"""The case API's viewset: list, detail, clues, every workflow step as a POST action, objections, visits."""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from fangpin.core.api import ModelPermissions, WorkflowViewSet, workflow_step
from fangpin.core.workflow import status_history
from fangpin.monitoring.case_api.inputs import (
    STEPS,
    AssignCadreSerializer,
    BulkCluesSerializer,
    HandleObjectionSerializer,
    OpenCaseSerializer,
    ReassignCadreSerializer,
)
from fangpin.monitoring.case_api.serializers import (
    STATUS_LABELS,
    CaseDetailSerializer,
    CaseSerializer,
    HistorySerializer,
    ObjectionSerializer,
    VisitSerializer,
)
from fangpin.monitoring.case_filters import MonitoringCaseFilterSet
from fangpin.monitoring.models import MonitoringCase, Warning
from fangpin.monitoring.services import cases
from fangpin.monitoring.services.workflow import CASE_WORKFLOW


def _step_action(name: str):
    """The POST route of transition `name`: /api/cases/{id}/<name with dashes>/ (URL name case-<same>)."""
    service_name, input_serializer = STEPS[name]
    declared = CASE_WORKFLOW.by_name[name]
    sources = "、".join(STATUS_LABELS[s] for s in declared.source)
    return workflow_step(
        name,
        input_serializer=input_serializer,
        response_serializer=CaseDetailSerializer,
        transition=lambda case: declared,
        run=lambda case, user, data: getattr(cases, service_name)(case, user=user, **data),
        doc=f"{declared.label}（{sources} → {STATUS_LABELS[declared.target]}）",
    )


class CaseApiFilterSet(MonitoringCaseFilterSet):
    """The list page's filters (status, category, region code, overdue, …) plus one household."""

    household = django_filters.NumberFilter(field_name="household_id", label="户（编号 id）")


class CasePermissions(ModelPermissions):
    """Listing needs view, opening a clue needs add. On a case (found through the scope first) viewing is
    enough to reach a route: each step's own permission is checked by the route or its service."""

    def has_object_permission(self, request, view, obj):
        return request.user.has_perm("monitoring.view_monitoringcase")


class CaseViewSet(WorkflowViewSet):
    """监测对象. POST creates a clue; each workflow step is a POST action on the case. `?format=xlsx` exports."""

    model = MonitoringCase
    serializer_class = CaseSerializer
    filterset_class = CaseApiFilterSet
    permission_classes = [CasePermissions]
    export_permission = "monitoring.export_ledger"
    http_method_names = ["get", "post", "head", "options"]
    queryset = MonitoringCase.objects.none()
    detail_serializer_class = CaseDetailSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("household__region", "cadre")

    def get_serializer_class(self):
        if self.action in STEPS:  # the browsable API's form and the schema show the step's input
            return STEPS[self.action][1]
        return CaseDetailSerializer if self.action == "retrieve" else CaseSerializer

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

    @extend_schema(request=ReassignCadreSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["post"], url_path="reassign-cadre", url_name="reassign-cadre")
    def reassign_cadre(self, request):
        """帮扶责任人轮换：把一名责任人名下（本辖区内）的监测对象全部或部分调整给另一人，全部成功或全部不变."""
        if not request.user.has_perm(
            "monitoring.assign_cadre"
        ):  # before reading input: say nothing about users
            raise PermissionDenied("您没有权限调整帮扶责任人")
        data = self.parse(ReassignCadreSerializer, request)
        chosen = None
        if "cases" in data:
            chosen = list(self.get_queryset().filter(pk__in=data["cases"]))
            if len(chosen) != len(set(data["cases"])):
                raise Http404
        moved = cases.reassign_cadre(data["from_cadre"], data["to_cadre"], user=request.user, cases=chosen)
        return Response({"moved": moved})

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
