"""DRF settings-level pieces: imported by DRF while it starts, so they import no DRF views or viewsets."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import renderers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from fangpin.core.scoping import OutOfScopeError
from fangpin.core.spreadsheets import write_xlsx
from fangpin.core.workflow import ConcurrentChange


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class XlsxRenderer(renderers.BaseRenderer):
    """`?format=xlsx` on a list: the same rows as the JSON, as an Excel sheet with Chinese headers."""

    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows = data if isinstance(data, list) else [data]
        view = (renderer_context or {}).get("view")
        labels: dict[str, str] = {}
        if view is not None and hasattr(view, "get_serializer"):
            labels = {name: str(f.label or name) for name, f in view.get_serializer().fields.items()}
        keys = list(rows[0].keys()) if rows and isinstance(rows[0], dict) else list(labels)
        handle = write_xlsx(
            [labels.get(k, k) for k in keys],
            ([_flat(row.get(k)) for k in keys] for row in rows if isinstance(row, dict)),
        )
        return handle.read()


def _flat(value):
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return str(value)
    return value


def exception_handler(exc, context):
    """Django's ValidationError (raised by models and services) becomes 400 {field: [messages]}; a step that
    lost a race with another official (ConcurrentChange) becomes 409."""
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, OutOfScopeError):
        return Response({"non_field_errors": [exc.message]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):  # one Chinese message, saying nothing of whether the object exists elsewhere
        return Response({"detail": "未找到该记录，或不在您的管辖范围内"}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, ConcurrentChange):
        return Response({"detail": exc.messages[0]}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            body = {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
        else:
            body = {"non_field_errors": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        return Response({"detail": str(exc) or "没有权限"}, status=status.HTTP_403_FORBIDDEN)
    return drf_exception_handler(exc, context)
