"""The clue API: list and detail through `clues_visible_to` (a clue out of scope is 404 on every route), one POST
action per lifecycle step, evidence files, history; clue batches (read); the rectification ledger.

Each write checks the step's declared permission first (403), parses its input (400), and calls the one service
function that owns it, whose Chinese refusal comes back as 400. A step lost to another official's concurrent
change is 409 (core.rest maps ConcurrentChange).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import FileResponse, Http404
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, FormParser, JSONParser
from rest_framework.parsers import MultiPartParser as DrfMultiPartParser
from rest_framework.response import Response

from fangpin.core.api import ModelPermissions, ScopedViewSet, WorkflowViewSet, workflow_step
from fangpin.core.workflow import status_history
from fangpin.monitoring.models import Warning
from fangpin.supervision.api import inputs
from fangpin.supervision.api.inputs import STEPS
from fangpin.supervision.api.serializers import (
    STATUS_LABELS,
    ClueBatchSerializer,
    ClueDetailSerializer,
    ClueEvidenceSerializer,
    ClueHistorySerializer,
    ClueSerializer,
)
from fangpin.supervision.filters import ClueFilterSet
from fangpin.supervision.models import Clue, ClueBatch
from fangpin.supervision.services import clues, evidence
from fangpin.supervision.services.workflow import CLUE_WORKFLOW
from fangpin.supervision.views.clue import NamedUploadParser


class NamedMultiPartParser(DrfMultiPartParser):
    """DRF's multipart parser, keeping each file's name as the client sent it (`client_name`), so a name with a
    path reaches the evidence rules and is refused with a reason (see views.clue.NamedUploadParser)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            data, files = NamedUploadParser(meta, stream, request.upload_handlers, encoding).parse()
        except MultiPartParserError as exc:
            raise ParseError(f"上传内容无法解析：{exc}") from exc
        return DataAndFiles(data, files)


def transition_of(clue: Clue, name: str):
    """The declared transition behind API step `name` (None for "resume" of a clue never escalated)."""
    if name == "resume":
        return CLUE_WORKFLOW.by_name.get(f"resume_{clue.escalated_from}")
    return CLUE_WORKFLOW.by_name[name]


RESUME_DOC = "恢复办理（已督办 → 督办前的环节，可同时给出新的整改时限）"


def _step_action(name: str):
    """The POST route of step `name`: /api/clues/{id}/<name with dashes>/ (URL name clue-<same>)."""
    service_name, input_serializer = STEPS[name]
    if name == "resume":
        doc = RESUME_DOC
    else:
        declared = CLUE_WORKFLOW.by_name[name]
        sources = "、".join(STATUS_LABELS[s] for s in declared.source)
        doc = f"{declared.label}（{sources} → {STATUS_LABELS[declared.target]}）"
    return workflow_step(
        name,
        input_serializer=input_serializer,
        response_serializer=ClueDetailSerializer,
        transition=lambda clue: transition_of(clue, name),
        run=lambda clue, user, data: getattr(clues, service_name)(clue, user=user, **data),
        doc=doc,
        missing=("supervision.supervise_clue", "恢复办理", "该问题线索未被督办，无需恢复办理"),
    )


class CluePermissions(ModelPermissions):
    """Listing needs view, creating needs add. On a clue (found through the scope first) viewing is enough to
    reach a route: each step's own permission is checked by the route or its service."""

    def has_object_permission(self, request, view, obj):
        return request.user.has_perm("supervision.view_clue")


class ClueViewSet(WorkflowViewSet):
    """问题线索. POST creates a hand-entered clue; each lifecycle step is a POST action on the clue;
    `?format=xlsx` exports the list (logged as a view of each clue's personal data)."""

    model = Clue
    serializer_class = ClueSerializer
    filterset_class = ClueFilterSet
    permission_classes = [CluePermissions]
    export_permission = "supervision.export_clue"
    http_method_names = ["get", "post", "head", "options"]
    queryset = Clue.objects.none()
    detail_serializer_class = ClueDetailSerializer

    def get_queryset(self):
        return (
            clues.clues_visible_to(self.request.user)
            .select_related("region", "assigned_region", "household", "person", "batch")
            .order_by("-created_at", "-id")
        )

    def get_serializer_class(self):
        if self.action in STEPS:  # the browsable API's form and the schema show the step's input
            return STEPS[self.action][1]
        return ClueDetailSerializer if self.action == "retrieve" else ClueSerializer

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        if getattr(request.accepted_renderer, "format", None) == "xlsx" and response.status_code == 200:
            # An export carries the clues' people: each exported clue counts as a view of its personal data.
            for row in response.data:
                clues.log_access(Clue(pk=row["id"]), request.user, "export")
        return response

    def retrieve(self, request, *args, **kwargs):
        """一条问题线索（查看即记录一次个人信息查阅）."""
        clue = self.get_object()
        clues.log_access(clue, request.user, "api")
        return Response(ClueDetailSerializer(clue, context=self.get_serializer_context()).data)

    @extend_schema(request=inputs.CreateClueInput, responses={201: ClueDetailSerializer})
    def create(self, request, *args, **kwargs):
        """人工登记问题线索（暗访、热线、审计、巡察），进入待交办."""
        data = self.parse(inputs.CreateClueInput, request)
        clue = clues.create_clue(user=request.user, **data)
        return self.detail_response(clue, status.HTTP_201_CREATED)

    @extend_schema(request=inputs.FromWarningsInput, responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["post"], url_path="from-warnings", url_name="from-warnings")
    def from_warnings(self, request):
        """由比对结果生成问题线索（每条比对结果一条；已生成的跳过）."""
        ids = self.parse(inputs.FromWarningsInput, request)["warnings"]
        # Not pre-scoped: the service answers "not found" for any hit the caller cannot see.
        result = clues.clues_from_warnings([Warning(pk=i) for i in set(ids)], user=request.user)
        body = {
            "created": ClueSerializer(result.created, many=True, context=self.get_serializer_context()).data,
            "skipped": result.skipped,
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    @extend_schema(request=inputs.AssignBatchInput, responses={201: ClueBatchSerializer})
    @action(detail=False, methods=["post"], url_path="assign-batch", url_name="assign-batch")
    def assign_batch(self, request):
        """批量交办：所选问题线索交给同一承办单位，同一牵头负责人和整改时限（全部成功或全部不变）."""
        for permission in ("supervision.supervise_clue", "supervision.add_cluebatch"):
            if not request.user.has_perm(permission):
                raise PermissionDenied("您没有权限批量交办问题线索")
        data = self.parse(inputs.AssignBatchInput, request)
        ids = set(data.pop("clues"))
        chosen = list(clues.clues_visible_to(request.user).filter(pk__in=ids).order_by("pk"))
        if len(chosen) != len(ids):
            raise Http404("未找到部分问题线索")
        batch = clues.assign_batch(chosen, user=request.user, **data)
        batch = ClueBatch.objects.annotate(clue_count=Count("clues")).get(pk=batch.pk)
        return Response(ClueBatchSerializer(batch).data, status=status.HTTP_201_CREATED)

    assign = _step_action("assign")
    start_verifying = _step_action("start_verifying")
    confirm = _step_action("confirm")
    unfounded = _step_action("unfounded")
    start_rectifying = _step_action("start_rectifying")
    hold_accountable = _step_action("hold_accountable")
    record_accountability = _step_action("record_accountability")
    rectified = _step_action("rectified")
    select_spot_check = _step_action("select_spot_check")
    spot_check_pass = _step_action("spot_check_pass")
    spot_check_fail = _step_action("spot_check_fail")
    close = _step_action("close")
    escalate = _step_action("escalate")
    resume = _step_action("resume")

    @extend_schema(methods=["GET"], responses=ClueEvidenceSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=inputs.EvidenceUploadInput, responses={201: ClueEvidenceSerializer}
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="files",
        url_name="files",
        parser_classes=[NamedMultiPartParser, FormParser, JSONParser],
    )
    def files(self, request, pk=None):
        """佐证材料：GET 列出，POST 上传到当前环节（multipart：file、note）."""
        clue = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            rows = clue.files.select_related("uploaded_by")
            return Response(ClueEvidenceSerializer(rows, many=True, context=context).data)
        if not request.user.has_perm("supervision.add_clueevidence"):
            raise PermissionDenied("您没有权限上传佐证材料")
        data = self.parse(inputs.EvidenceUploadInput, request)
        upload = data["file"]
        name = getattr(upload, "client_name", None) or upload.name
        item = evidence.add_evidence(
            clue, user=request.user, name=name, content=upload.read(), note=data["note"]
        )
        return Response(ClueEvidenceSerializer(item, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"files/(?P<file_id>\d+)", url_name="file")
    def download_file(self, request, pk=None, file_id=None):
        """下载一份佐证材料（只对能看到该线索的用户；下载即记录一次查阅）."""
        clue = self.get_object()
        if not request.user.has_perm("supervision.view_clueevidence"):
            raise PermissionDenied("您没有权限查看佐证材料")
        item = get_object_or_404(evidence.evidence_visible_to(request.user), pk=file_id, clue_id=clue.pk)
        clues.log_access(clue, request.user, "api")
        return FileResponse(
            item.file.open("rb"),
            as_attachment=True,
            filename=item.original_name,
            content_type=item.content_type,
        )

    @extend_schema(responses=ClueHistorySerializer(many=True))
    @action(detail=True, methods=["get"], url_path="history", url_name="history")
    def history(self, request, pk=None):
        """办理记录：每一次状态变更（时间、操作、操作人、意见）."""
        return Response(ClueHistorySerializer(status_history(self.get_object()), many=True).data)


class ClueBatchViewSet(ScopedViewSet):
    """交办批次（只读）：本辖区内交办的批次及其线索数."""

    model = ClueBatch
    serializer_class = ClueBatchSerializer
    permission_classes = [ModelPermissions]
    http_method_names = ["get", "head", "options"]
    queryset = ClueBatch.objects.none()
    filterset_class = None

    def get_queryset(self):
        return (
            clues.batches_visible_to(self.request.user)
            .select_related("assigned_region", "created_by")
            .annotate(clue_count=Count("clues"))
            .order_by("-created_at", "-id")
        )
