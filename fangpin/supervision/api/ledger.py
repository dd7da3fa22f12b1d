"""/api/clue-ledger/: the rectification ledger and rates of services.ledger, as JSON or `?format=xlsx`."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, viewsets
from rest_framework.response import Response

from fangpin.core.spreadsheets import xlsx_response
from fangpin.supervision.services import ledger

PARAMETERS = [
    OpenApiParameter("region", str, description="区划代码（市、县、乡镇；默认：我的管辖范围）"),
    OpenApiParameter(
        "by", str, enum=list(ledger.BY), description="region 按问题所在地（默认），unit 按承办单位"
    ),
]


def parse(request) -> tuple[str, object]:
    """(grouping, region) from the query, or a 400 naming the parameter."""
    from rest_framework.exceptions import ValidationError

    by = request.query_params.get("by", "region") or "region"
    if by not in ledger.BY:
        raise ValidationError(
            {"by": [f"“{by}”不是有效的分组方式，可选 region（按问题所在地）或 unit（按承办单位）"]}
        )
    code = request.query_params.get("region", "").strip()
    region = None
    if code:
        region = ledger.area_in_scope(request.user, code)
        if region is None:  # one message whether the region does not exist or is not the caller's
            raise ValidationError({"region": [f"区划“{code}”不存在或不在您的管辖范围内"]})
    return by, region


def as_json(row: ledger.LedgerRow) -> dict:
    # Amounts and rates as strings, like every decimal of the API (a float would lose the fen).
    return {key: str(value) if isinstance(value, Decimal) else value for key, value in row.as_dict().items()}


class ClueLedgerViewSet(viewsets.ViewSet):
    """问题线索整改台账：每个县、乡镇的收到、查实、查否、整改、销号、逾期线索数，停发和追缴资金，问责人数，平均办结天数，
    以及查实率、整改率、办结率、逾期率。`?format=xlsx` 下载 Excel."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(parameters=PARAMETERS, responses=OpenApiTypes.OBJECT)
    def list(self, request):
        # Counts only, no one's personal data: whoever may see clues may see and download their ledger.
        if not request.user.has_perm("supervision.view_clue"):
            raise PermissionDenied("您没有权限查看问题线索台账")
        by, region = parse(request)
        result = ledger.ledger(request.user, by=by, region=region)
        if getattr(request.accepted_renderer, "format", None) == "xlsx":
            place = result.total.name.removesuffix("合计")
            return xlsx_response(
                ledger.HEADER,
                ledger.ledger_rows(result),
                f"问题线索整改台账-{ledger.BY[by]}-{place}-{result.day:%Y%m%d}.xlsx",
                sheet_title="问题线索整改台账",
            )
        return Response(
            {
                "day": result.day,
                "by": by,
                "region": region.code if region else None,
                "rows": [as_json(row) for row in result.rows],
                "total": as_json(result.total),
            }
        )
