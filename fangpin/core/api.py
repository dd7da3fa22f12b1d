"""API base, written once: scoped viewsets and fields. Settings-level pieces (renderer, pagination, error
handler) are in core.rest, which must not import rest_framework.views (DRF imports it while starting)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fangpin.core.privacy import shown
from fangpin.core.validators import normalize_digits, normalize_mobile


class ModelPermissions(permissions.DjangoModelPermissions):
    """Reads need the model's view permission too (DRF's default lets any authenticated user read).

    On a detail route the check waits until the object has been found through the scope, so an object outside
    the caller's region is a 404 for everyone, and a 403 only says "yours, but not this verb".
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
    }

    def has_permission(self, request, view):
        if (view.lookup_url_kwarg or view.lookup_field) in view.kwargs:
            return bool(request.user and request.user.is_authenticated)
        return super().has_permission(request, view)

    def has_object_permission(self, request, view, obj):
        return super().has_permission(request, view)


class ScopedViewSet(viewsets.ModelViewSet):
    """A model's API: rows come from visible_to(user) (out of scope = 404), writes go through `service`."""

    model: Any = None
    service: Any = None
    delete_service: Any = None
    export_permission: str | None = None
    permission_classes = [permissions.IsAuthenticated, ModelPermissions]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user)

    def list(self, request, *args, **kwargs):
        if getattr(request.accepted_renderer, "format", None) == "xlsx":
            if self.export_permission and not request.user.has_perm(self.export_permission):
                raise DjangoPermissionDenied("您的角色没有导出权限")
            queryset = self.filter_queryset(self.get_queryset())
            limit = settings.EXPORT_MAX_ROWS
            if queryset[limit : limit + 1].exists():
                return Response(
                    {"detail": f"结果超过 {limit:,} 行，请缩小筛选范围"},
                    status=400,
                    content_type="application/json",
                )
            return Response(self.get_serializer(queryset, many=True).data)
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer):
        instance = self.model(**serializer.validated_data)
        type(self).service(instance, user=self.request.user)
        serializer.instance = instance

    def perform_update(self, serializer):
        instance = serializer.instance
        for key, value in serializer.validated_data.items():
            setattr(instance, key, value)
        type(self).service(instance, user=self.request.user)

    def perform_destroy(self, instance):
        if self.delete_service is None:
            raise DjangoPermissionDenied("该资源不允许删除")
        type(self).delete_service(instance, user=self.request.user)


class NormalizedCharField(serializers.CharField):
    """Normalises before the length check (full-width digits, spaces, lower-case x)."""

    def __init__(self, *args, normalize=normalize_digits, **kwargs):
        self.normalize = normalize
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        return self.normalize(super().to_internal_value(data))


class PersonalDataField(NormalizedCharField):
    """An ID number or phone: written as given, read back masked for roles that must not see it."""

    def __init__(self, *args, kind: str, **kwargs):
        self.kind = kind
        kwargs.setdefault("normalize", normalize_mobile if kind == "phone" else normalize_digits)
        super().__init__(*args, **kwargs)

    def to_representation(self, value):
        request = self.context.get("request")
        return shown(value, self.kind, getattr(request, "user", None))


class ScopedSlugRelatedField(serializers.SlugRelatedField):
    """A relation chosen by natural key (a region code), limited to what the caller can see."""

    def get_queryset(self):
        request = self.context.get("request")
        return self.queryset.model.objects.visible_to(getattr(request, "user", None)).filter(
            **getattr(self, "extra_filter", {})
        )

    def __init__(self, *args, extra_filter: dict | None = None, **kwargs):
        self.extra_filter = extra_filter or {}
        super().__init__(*args, **kwargs)


class ImportBatchSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    errors_url = serializers.SerializerMethodField()
    kind = serializers.CharField(label="导入类型")
    file = serializers.FileField(label="文件", write_only=True)

    class Meta:
        from fangpin.core.models import ImportBatch

        model = ImportBatch
        fields = [
            "id",
            "kind",
            "file",
            "file_name",
            "status",
            "status_display",
            "message",
            "created_at",
            "finished_at",
            "rows_total",
            "rows_failed",
            "created",
            "updated",
            "unchanged",
            "errors_url",
        ]
        read_only_fields = [
            "file_name",
            "status",
            "message",
            "created_at",
            "finished_at",
            "rows_total",
            "rows_failed",
            "created",
            "updated",
            "unchanged",
        ]

    def get_errors_url(self, batch) -> str | None:
        if not batch.error_file:
            return None
        request = self.context.get("request")
        url = f"/api/imports/{batch.pk}/errors/"
        return request.build_absolute_uri(url) if request else url


class ImportBatchViewSet(viewsets.GenericViewSet):
    """Imports: POST a file (multipart: kind, file) and get its batch back; GET a batch to see what happened;
    GET …/errors/ for the error workbook. Batches are visible within the uploader's region, like any data."""

    serializer_class = ImportBatchSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        from fangpin.core.importing import batches_visible_to

        return batches_visible_to(self.request.user)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request):
        from fangpin.core.importing import import_upload

        batch = import_upload(request.data.get("kind", ""), request.FILES.get("file"), user=request.user)
        return Response(self.get_serializer(batch).data, status=201)

    @action(detail=True, methods=["get"], url_path="errors")
    def errors(self, request, pk=None):
        batch = self.get_object()
        if not batch.error_file:
            raise Http404("该批次没有错误说明工作簿")
        return FileResponse(
            batch.error_file.open("rb"), as_attachment=True, filename=f"错误说明-{batch.pk}.xlsx"
        )


class StatusHistorySerializer(serializers.Serializer):
    """One `StatusChange` of a workflow's timeline, with Chinese labels. A subclass names its `workflow` and
    `status_labels` (status code -> label); "open" is the step that registered the record."""

    workflow: Any = None
    status_labels: dict[str, str] = {}

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
        t = self.workflow.by_name.get(row.transition)
        return t.label if t else ("登记线索" if row.transition == "open" else row.transition)

    def get_from_label(self, row) -> str:
        return self.status_labels.get(row.from_status, row.from_status)

    def get_to_label(self, row) -> str:
        return self.status_labels.get(row.to_status, row.to_status)


# ---------------------------------------------------------------- workflow records (cases, clues)


def step_descriptions(obj, user, steps, route_prefix: str) -> list[dict]:
    """The steps (name, Transition) `user` may take on `obj`, as the API lists them: name, label, the POST URL
    (route `<route_prefix>-<name with dashes>`), whether a comment is required, and — guards only read, so
    running them here says in advance why a step would be refused now — `blocked_by`."""
    from django.urls import reverse

    out = []
    for name, t in steps:
        blocked = next((reason for guard in t.guards if (reason := guard(obj, user))), None)
        out.append(
            {
                "name": name,
                "label": t.label,
                "url": reverse(f"{route_prefix}-{name.replace('_', '-')}", args=[obj.pk]),
                "comment_required": t.comment_required,
                "blocked_by": blocked,
            }
        )
    return out


def parse_input(view, serializer_class, request) -> dict:
    """A route's input, read with its input serializer (a 400 with the Chinese field errors if invalid)."""
    serializer = serializer_class(data=request.data, context=view.get_serializer_context())
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class WorkflowViewSet(ScopedViewSet):
    """A scoped viewset of records with a workflow: input parsing for the step routes, and the record as the
    step left it (`detail_serializer_class`, read fresh through the scope)."""

    detail_serializer_class: Any = None

    def parse(self, serializer_class, request) -> dict:
        return parse_input(self, serializer_class, request)

    def detail_response(self, obj, code: int = 200) -> Response:
        obj = self.get_queryset().get(pk=obj.pk)  # fresh, with what the step wrote
        return Response(
            self.detail_serializer_class(obj, context=self.get_serializer_context()).data, status=code
        )


def workflow_step(
    name: str, *, input_serializer, response_serializer, run, transition, doc: str, missing=None
):
    """The POST route of workflow step `name` on a `WorkflowViewSet`: /…/{id}/<name with dashes>/.

    `transition(obj)` is the declared Transition behind the step, or None where it does not apply; then
    `missing` = (permission, label, refusal) says who may ask and why it is refused. The step's own permission
    is checked before its input is read (a role that does not own the step learns only that); `run(obj, user,
    data)` takes it (looking the service up per call lets a test stand between the load and the write)."""
    from drf_spectacular.utils import extend_schema

    from fangpin.core.workflow import TransitionRefused

    def step(self, request, pk=None):
        obj = self.get_object()
        declared = transition(obj)
        permission, label = (declared.permission, declared.label) if declared else missing[:2]
        if permission and not request.user.has_perm(permission):
            raise DjangoPermissionDenied(f"您没有权限执行“{label}”")
        if declared is None:
            raise TransitionRefused(missing[2])
        run(obj, request.user, self.parse(input_serializer, request))
        return self.detail_response(obj)

    step.__name__ = name
    step.__doc__ = doc
    dashed = name.replace("_", "-")
    step = action(detail=True, methods=["post"], url_path=dashed, url_name=dashed)(step)
    return extend_schema(request=input_serializer, responses=response_serializer, summary=doc)(step)
