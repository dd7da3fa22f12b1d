"""The case API's reading serializers: a case as listed and in detail, its objections, history and visits."""

from __future__ import annotations

import datetime as dt

from rest_framework import serializers

from fangpin.core.api import PersonalDataField, StatusHistorySerializer, step_descriptions
from fangpin.monitoring.models import CaseObjection, MonitoringCase, Visit
from fangpin.monitoring.services import elimination, followup
from fangpin.monitoring.services.workflow import CASE_WORKFLOW, notice_end, steps_for, today

S = MonitoringCase.Status
STATUS_LABELS = dict(S.choices)


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
        return step_descriptions(case, user, [(t.name, t) for t in steps_for(case, user)], "case")

    def get_elimination_criteria(self, case) -> list[dict]:
        if case.status not in MonitoringCase.ENROLLED:
            return []
        return [vars(c) for c in elimination.elimination_criteria(case, today())]

    def get_alerts(self, case) -> list[dict]:
        return [vars(a) for a in followup.assistance_alerts(case, today(), self._params())]


class HistorySerializer(StatusHistorySerializer):
    workflow = CASE_WORKFLOW
    status_labels = STATUS_LABELS


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
