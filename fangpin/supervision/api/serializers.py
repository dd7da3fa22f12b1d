"""The clue API's reading serializers: a clue as listed and in detail, its evidence files, its history, batches.

A clue's people (ID number, phone) are shown whole only to roles with supervision.view_clue_personal_data, as on
the pages: the registry's own permission does not open a clue's personal data.
"""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from fangpin.core.api import StatusHistorySerializer, step_descriptions
from fangpin.core.validators import mask_mobile
from fangpin.supervision.models import Clue, ClueBatch, ClueEvidence
from fangpin.supervision.services import clues
from fangpin.supervision.services.workflow import CLUE_WORKFLOW, steps_for
from fangpin.supervision.tables import clue_id_number, sees_clue_personal_data

STATUS_LABELS = dict(Clue.Status.choices)


def _user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class ClueSerializer(serializers.ModelSerializer):
    """A clue as listed (and exported with `?format=xlsx`)."""

    source_display = serializers.CharField(source="get_source_display", read_only=True, label="线索来源名称")
    status_display = serializers.CharField(source="get_status_display", read_only=True, label="状态名称")
    region_code = serializers.CharField(source="region.code", read_only=True, label="问题所在地代码")
    region_name = serializers.CharField(source="region.name", read_only=True, label="问题所在地")
    unit_code = serializers.CharField(source="assigned_region.code", read_only=True, label="承办单位代码")
    unit_name = serializers.CharField(read_only=True, label="承办单位")
    unit_department = serializers.CharField(source="assigned_department", read_only=True, label="承办部门")
    household_number = serializers.CharField(
        source="household.number", read_only=True, default=None, label="户编号"
    )
    person_name = serializers.CharField(source="person.name", read_only=True, default=None, label="涉及人员")
    person_id_number = serializers.SerializerMethodField(label="身份证号")
    batch_title = serializers.CharField(source="batch.title", read_only=True, default=None, label="交办批次")
    classification_display = serializers.CharField(
        source="get_classification_display", read_only=True, label="问题定性名称"
    )
    overdue_days = serializers.SerializerMethodField(label="逾期天数")

    class Meta:
        model = Clue
        fields = [
            "id", "number", "title", "source", "source_display", "rule_code", "status", "status_display",
            "region_code", "region_name", "unit_code", "unit_name", "unit_department", "household", "household_number", "person",
            "person_name", "person_id_number", "amount_involved", "batch", "batch_title", "lead_official",
            "deadline", "overdue_days", "classification", "classification_display", "funds_stopped",
            "funds_recovered", "persons_accountable", "closed_on", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_person_id_number(self, clue) -> str | None:
        return clue_id_number(clue.person.id_number, _user(self)) if clue.person_id else None

    def get_overdue_days(self, clue) -> int:
        return clues.overdue(clue, clues.today())


class ClueDetailSerializer(ClueSerializer):
    """One clue with everything recorded on it, its evidence files and the steps the caller may take now."""

    household_phone = serializers.SerializerMethodField(label="户联系电话")
    accountability_type_display = serializers.CharField(
        source="get_accountability_type_display", read_only=True, label="问责方式名称"
    )
    files = serializers.SerializerMethodField(label="佐证材料")
    steps = serializers.SerializerMethodField(label="可办理的环节")

    class Meta(ClueSerializer.Meta):
        fields = [
            *ClueSerializer.Meta.fields, "description", "evidence", "sources", "household_phone",
            "verification_note", "actions", "rectification_note", "accountability_type",
            "accountability_type_display", "accountability_note", "spot_check_note", "escalated_from",
            "escalation_reason", "stage_entered_at", "updated_at", "files", "steps",
        ]  # fmt: skip
        read_only_fields = fields

    def get_household_phone(self, clue) -> str | None:
        if not clue.household_id:
            return None
        phone = clue.household.phone
        return phone if not phone or sees_clue_personal_data(_user(self)) else mask_mobile(phone)

    def get_files(self, clue) -> list[dict]:
        rows = clue.files.select_related("uploaded_by")
        return ClueEvidenceSerializer(rows, many=True, context=self.context).data

    def get_steps(self, clue) -> list[dict]:
        return step_descriptions(clue, _user(self), steps_for(clue, _user(self)), "clue")


class ClueEvidenceSerializer(serializers.ModelSerializer):
    stage_display = serializers.CharField(source="get_stage_display", read_only=True, label="环节名称")
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True, default=None)
    url = serializers.SerializerMethodField(label="下载地址")

    class Meta:
        model = ClueEvidence
        fields = [
            "id", "stage", "stage_display", "original_name", "content_type", "size", "sha256", "note",
            "uploaded_by", "uploaded_at", "url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_url(self, item) -> str:
        return reverse("clue-file", kwargs={"pk": item.clue_id, "file_id": item.pk})


class ClueHistorySerializer(StatusHistorySerializer):
    workflow = CLUE_WORKFLOW
    status_labels = STATUS_LABELS


class ClueBatchSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="assigned_region.code", read_only=True, label="承办单位代码")
    unit_name = serializers.CharField(read_only=True, label="承办单位")
    unit_department = serializers.CharField(source="assigned_department", read_only=True, label="承办部门")
    clue_count = serializers.IntegerField(read_only=True, label="线索数")
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)

    class Meta:
        model = ClueBatch
        fields = [
            "id", "title", "unit_code", "unit_name", "unit_department", "lead_official", "deadline", "note", "clue_count",
            "created_by", "created_at",
        ]  # fmt: skip
        read_only_fields = fields
