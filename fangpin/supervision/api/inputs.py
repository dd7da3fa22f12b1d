"""The clue API's input serializers, one per lifecycle step, and `STEPS` (API step -> service, input).

They only parse: what a step needs (a classification, evidence, a unit in scope …) is the services' to refuse,
with their own Chinese reasons. Fields are therefore mostly optional, so an empty field reaches the service and
comes back with its reason rather than a generic "required". Regions are named by code, other rows by id, and
every choice is limited to what the caller may see.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fangpin.accounts.models import Department
from fangpin.core.api import ScopedSlugRelatedField
from fangpin.geo.models import Region
from fangpin.registry.models import Household, Person
from fangpin.supervision.choices import ClueSource
from fangpin.supervision.models import ClueBatch

UNIT_LEVELS = {"level__in": ["city", "county", "township"]}


def _text(label, **kw):
    return serializers.CharField(label=label, required=False, allow_blank=True, default="", **kw)


def _money(label):
    return serializers.DecimalField(label=label, max_digits=14, decimal_places=2, required=False, default=0)


@extend_schema_field(OpenApiTypes.INT)
class ScopedIdField(ScopedSlugRelatedField):
    """A row chosen by id, limited to what the caller may see."""


@extend_schema_field(OpenApiTypes.STR)
class ScopedCodeField(ScopedSlugRelatedField):
    """A region chosen by code, limited to what the caller may see."""


def _scoped(label, queryset, slug="pk", what="记录", **kw):
    return (ScopedIdField if slug == "pk" else ScopedCodeField)(
        slug_field=slug,
        queryset=queryset,
        label=label,
        error_messages={
            "does_not_exist": f"{what}“{{value}}”不存在或不在您的管辖范围内",
            "invalid": "格式不正确",
        },
        **kw,
    )


def _unit():
    return _scoped(
        "承办单位（县、乡镇区划代码；交办给行业部门时为市或县的代码）",
        Region.objects.all(),
        "code",
        "承办单位",
        extra_filter=UNIT_LEVELS,
    )


def _department():
    return serializers.ChoiceField(
        label="承办部门（交办给市、县行业部门时填写，如 civil_affairs）",
        choices=Department.choices,
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid_choice": "未知的部门：{input}"},
    )


class NoInput(serializers.Serializer):
    """A step that records nothing but itself (开始核查, 抽中复查)."""


class CommentInput(serializers.Serializer):
    comment = _text("意见")


class NoteInput(serializers.Serializer):
    note = _text("抽查情况")


class ReasonInput(serializers.Serializer):
    reason = _text("督办原因")


class AssignInput(serializers.Serializer):
    unit = _unit()
    department = _department()
    lead_official = _text("牵头负责人")
    deadline = serializers.DateField(label="整改时限")
    batch = _scoped(
        "交办批次", ClueBatch.objects.all(), what="交办批次", required=False, allow_null=True, default=None
    )
    comment = _text("交办要求")


class ConfirmInput(serializers.Serializer):
    classification = _text("问题定性（policy_deviation / discipline / data_error）")
    verification_note = _text("核查情况")


class UnfoundedInput(serializers.Serializer):
    verification_note = _text("核查情况")


class RectifyInput(serializers.Serializer):
    actions = serializers.ListField(
        child=serializers.CharField(), label="整改措施", required=False, default=list
    )


class AccountabilityInput(serializers.Serializer):
    accountability_type = _text("问责方式")
    persons_accountable = serializers.IntegerField(label="问责人数", required=False, default=0)
    note = _text("问责情况")


class RectifiedInput(serializers.Serializer):
    rectification_note = _text("整改情况")
    funds_stopped = _money("停发资金（元）")
    funds_recovered = _money("追缴资金（元）")


class ResumeInput(serializers.Serializer):
    comment = _text("意见")
    deadline = serializers.DateField(label="新的整改时限", required=False, allow_null=True, default=None)


# API step (URL /api/clues/{id}/<name with dashes>/) -> (service function in services.clues, input)
STEPS: dict[str, tuple[str, type[serializers.Serializer]]] = {
    "assign": ("assign", AssignInput),
    "start_verifying": ("start_verifying", NoInput),
    "confirm": ("confirm", ConfirmInput),
    "unfounded": ("close_unfounded", UnfoundedInput),
    "start_rectifying": ("start_rectifying", RectifyInput),
    "hold_accountable": ("hold_accountable", CommentInput),
    "record_accountability": ("record_accountability", AccountabilityInput),
    "rectified": ("mark_rectified", RectifiedInput),
    "select_spot_check": ("select_for_spot_check", NoInput),
    "spot_check_pass": ("pass_spot_check", NoteInput),
    "spot_check_fail": ("fail_spot_check", NoteInput),
    "close": ("close", CommentInput),
    "escalate": ("escalate", ReasonInput),
    "resume": ("resume", ResumeInput),
}


class CreateClueInput(serializers.Serializer):
    """人工登记问题线索 (暗访、热线、审计、巡察). The place defaults to the household's village."""

    source = serializers.ChoiceField(
        choices=[c for c in ClueSource.choices if c[0] != ClueSource.COMPARISON], label="线索来源"
    )
    region = _scoped(
        "问题所在地（区划代码）", Region.objects.all(), "code", "区划", required=False, default=None
    )
    household = _scoped(
        "涉及户（编号 id）", Household.objects.all(), what="农户", required=False, default=None
    )
    person = _scoped("涉及人员（编号 id）", Person.objects.all(), what="人员", required=False, default=None)
    title = serializers.CharField(label="问题", max_length=200)
    description = serializers.CharField(label="问题描述")
    amount_involved = _money("涉及金额（元）")

    def validate(self, data):
        if data["region"] is None:
            if data["household"] is None:
                raise serializers.ValidationError({"region": "请填写问题所在地（区划代码）或涉及户"})
            data["region"] = data["household"].region
        return data


class FromWarningsInput(serializers.Serializer):
    warnings = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, label="比对结果编号"
    )


class AssignBatchInput(serializers.Serializer):
    clues = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, label="问题线索编号"
    )
    title = _text("批次名称")
    unit = _unit()
    department = _department()
    lead_official = _text("牵头负责人")
    deadline = serializers.DateField(label="整改时限")
    note = _text("交办要求")


class EvidenceUploadInput(serializers.Serializer):
    file = serializers.FileField(label="文件", allow_empty_file=True)
    note = _text("说明", max_length=200)
