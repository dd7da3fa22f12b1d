"""The case API's input serializers, one per workflow step, and `STEPS` (transition -> service, input)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from fangpin.core.api import NormalizedCharField
from fangpin.core.validators import normalize_mobile
from fangpin.monitoring.choices import Category, Channel, DisasterSubtype, EliminationMethod, RiskTier
from fangpin.monitoring.models import MonitoringCase, Warning
from fangpin.registry.models import Household


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


class ReassignCadreSerializer(serializers.Serializer):
    """Cadres rotate: every open case of one cadre (in the caller's scope, or the listed ones) to another."""

    from_cadre = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(), label="原帮扶责任人（用户编号）",
        error_messages={"does_not_exist": "用户“{pk_value}”不存在"},
    )  # fmt: skip
    to_cadre = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), label="新帮扶责任人（用户编号）",
        error_messages={"does_not_exist": "用户“{pk_value}”不存在"},
    )  # fmt: skip
    cases = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_empty=False,
        label="只调整这些监测对象",
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
