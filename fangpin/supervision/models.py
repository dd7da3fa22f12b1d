"""Supervision (监督检查, spec §7, §12): problem clues and their loop 交办 → 核查 → 整改 → 问责 → 抽查 → 销号, the
evidence attached to each step, batches of assignments, and the governance records around them: talks with
lagging units (约谈), leaders' visit-all duty (遍访) and the annual assessment of units.

A clue belongs to the unit it is assigned to (`assigned_region`): scoping by that region lets a township see
the clues handed to it and a county supervisor every clue in the county, with one core mechanism.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from fangpin.accounts.models import Department
from fangpin.core.changelog import ChangeLoggedModel
from fangpin.core.scoping import ScopedModel
from fangpin.supervision.choices import (
    AccountabilityType,
    Classification,
    ClueSource,
    Grade,
    UnitKind,
    VisitorPost,
)

# A unit is a region's poverty office (no department) or one of its line departments (县直、市直部门).
DEPARTMENT_HELP = "交办给该区划的行业部门（如县民政局）时选择；不选即交办给该区划的扶贫（乡村振兴）部门"
MONEY = {"max_digits": 14, "decimal_places": 2}
NON_NEGATIVE = [MinValueValidator(0, message="不能为负数")]


def unit_label(region, department: str = "", *, full: bool = True) -> str:
    """ "咸安区" or "咸安区 民政" — a region, or one of its line departments."""
    name = region.full_name if full else region.name
    return f"{name} {Department(department).label}" if department else name


class ClueBatch(ChangeLoggedModel, ScopedModel):
    """交办批次: clues handed together to one unit, with a lead official and a deadline."""

    scope_field = "assigned_region"

    title = models.CharField("批次名称", max_length=100)
    assigned_region = models.ForeignKey(
        "geo.Region", verbose_name="承办单位（区划）", on_delete=models.PROTECT, related_name="+"
    )
    assigned_department = models.CharField(
        "承办部门", max_length=30, choices=Department.choices, blank=True, help_text=DEPARTMENT_HELP
    )
    lead_official = models.CharField("牵头负责人", max_length=50)
    deadline = models.DateField("整改时限")
    note = models.TextField("交办要求", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="交办人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("交办时间", auto_now_add=True)

    class Meta:
        verbose_name = "交办批次"
        verbose_name_plural = "交办批次"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def unit_name(self) -> str:
        return unit_label(self.assigned_region, self.assigned_department, full=False)


class Clue(ChangeLoggedModel, ScopedModel):
    """问题线索: one suspected problem, from a comparison rule (with its evidence rows) or entered by hand, and
    its path to closure. The ledger of spec §7.3 is these rows."""

    class Status(models.TextChoices):
        GENERATED = "generated", "待交办"
        ASSIGNED = "assigned", "已交办，待核查"
        VERIFYING = "verifying", "核查中"
        CONFIRMED = "confirmed", "查实，待整改"
        UNFOUNDED = "unfounded", "查否销号"
        RECTIFYING = "rectifying", "整改中"
        ACCOUNTABILITY = "accountability", "问责中"
        RECTIFIED = "rectified", "已整改，待抽查或销号"
        SPOT_CHECK = "spot_check", "市级抽查中"
        CLOSED = "closed", "已销号"
        ESCALATED = "escalated", "已督办（逾期或弄虚作假）"

    OPEN = (
        Status.GENERATED,
        Status.ASSIGNED,
        Status.VERIFYING,
        Status.CONFIRMED,
        Status.RECTIFYING,
        Status.ACCOUNTABILITY,
        Status.RECTIFIED,
        Status.SPOT_CHECK,
        Status.ESCALATED,
    )
    FINISHED = (Status.UNFOUNDED, Status.CLOSED)

    scope_field = "assigned_region"

    number = models.CharField("线索编号", max_length=20, unique=True)
    source = models.CharField("线索来源", max_length=20, choices=ClueSource.choices)
    rule_code = models.CharField("比对规则", max_length=40, blank=True, db_index=True)
    warning = models.OneToOneField(
        "monitoring.Warning",
        verbose_name="比对结果",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clue",
    )
    household = models.ForeignKey(
        "registry.Household",
        verbose_name="涉及户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clues",
    )
    person = models.ForeignKey(
        "registry.Person",
        verbose_name="涉及人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clues",
    )
    region = models.ForeignKey(
        "geo.Region", verbose_name="问题所在地", on_delete=models.PROTECT, related_name="+"
    )
    assigned_region = models.ForeignKey(
        "geo.Region", verbose_name="承办单位（区划）", on_delete=models.PROTECT, related_name="+"
    )
    assigned_department = models.CharField(
        "承办部门", max_length=30, choices=Department.choices, blank=True, help_text=DEPARTMENT_HELP
    )
    batch = models.ForeignKey(
        ClueBatch,
        verbose_name="交办批次",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clues",
    )
    lead_official = models.CharField("牵头负责人", max_length=50, blank=True)
    deadline = models.DateField("整改时限", null=True, blank=True)
    title = models.CharField("问题", max_length=200)
    description = models.TextField("问题描述")
    evidence = models.JSONField("比对证据", default=dict, blank=True)
    sources = models.CharField("数据来源", max_length=300, blank=True)
    amount_involved = models.DecimalField("涉及金额（元）", default=0, validators=NON_NEGATIVE, **MONEY)
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.GENERATED, db_index=True
    )
    classification = models.CharField("问题定性", max_length=20, choices=Classification.choices, blank=True)
    verification_note = models.TextField("核查情况", blank=True)
    actions = models.JSONField("整改措施", default=list, blank=True)
    rectification_note = models.TextField("整改情况", blank=True)
    funds_stopped = models.DecimalField("停发资金（元）", default=0, validators=NON_NEGATIVE, **MONEY)
    funds_recovered = models.DecimalField("追缴资金（元）", default=0, validators=NON_NEGATIVE, **MONEY)
    accountability_type = models.CharField(
        "问责方式", max_length=24, choices=AccountabilityType.choices, blank=True
    )
    persons_accountable = models.PositiveIntegerField("问责人数", default=0)
    accountability_note = models.TextField("问责情况", blank=True)
    spot_check_note = models.TextField("抽查情况", blank=True)
    escalated_from = models.CharField("督办前状态", max_length=16, choices=Status.choices, blank=True)
    escalation_reason = models.TextField("督办原因", blank=True)
    closed_on = models.DateField("销号日期", null=True, blank=True)
    stage_entered_at = models.DateTimeField("进入当前环节时间")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "问题线索"
        verbose_name_plural = "问题线索"
        ordering = ["-created_at", "-id"]
        permissions = [
            ("supervise_clue", "可交办、抽查、销号和督办问题线索"),
            ("handle_clue", "可核查、整改问题线索"),
            ("spot_check_clue", "可市级抽查问题线索"),
            ("view_clue_personal_data", "可查看问题线索中的个人信息"),
            ("export_clue", "可导出问题线索台账"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def unit_name(self) -> str:
        """承办单位: "白霓镇", or "崇阳县 医保" for a line department."""
        return unit_label(self.assigned_region, self.assigned_department, full=False)

    @property
    def unit_full_name(self) -> str:
        return unit_label(self.assigned_region, self.assigned_department)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("supervision:clue_detail", args=[self.pk])


class ClueEvidence(ScopedModel):
    """A file attached to a clue's step (documents, photos). Served only through a view that checks the clue's
    visibility; the stored name is generated, the original name kept sanitised for display."""

    scope_field = "clue__assigned_region"

    clue = models.ForeignKey(Clue, verbose_name="问题线索", on_delete=models.PROTECT, related_name="files")
    stage = models.CharField("环节", max_length=16, choices=Clue.Status.choices)
    file = models.FileField("文件", upload_to="clues/%Y/%m/")
    original_name = models.CharField("原文件名", max_length=120)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("指纹", max_length=64)
    note = models.CharField("说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "线索佐证材料"
        verbose_name_plural = "线索佐证材料"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class ClueAccess(models.Model):
    """Who looked at a clue's personal data, when and how (page, API, export): the view log of spec §7."""

    clue = models.ForeignKey(Clue, verbose_name="问题线索", on_delete=models.CASCADE, related_name="accesses")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="查看人", on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField("方式", max_length=20)
    time = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "线索查阅记录"
        verbose_name_plural = "线索查阅记录"
        ordering = ["-time"]

    def __str__(self) -> str:
        return f"{self.user} {self.channel} {self.time:%Y-%m-%d %H:%M}"


class Talk(ChangeLoggedModel, ScopedModel):
    """约谈: a talk with the leaders of a lagging unit — who, when, why, what they committed to, follow-up."""

    scope_field = "region"

    region = models.ForeignKey(
        "geo.Region", verbose_name="被约谈单位（区划）", on_delete=models.PROTECT, related_name="+"
    )
    department = models.CharField("被约谈部门", max_length=30, choices=Department.choices, blank=True)
    unit = models.CharField("被约谈单位", max_length=100)
    persons = models.CharField("被约谈人及职务", max_length=200)
    held_on = models.DateField("约谈日期")
    held_by = models.CharField("约谈人", max_length=100)
    reason = models.TextField("约谈事由")
    commitments = models.TextField("整改承诺", blank=True)
    follow_up = models.TextField("跟踪落实情况", blank=True)
    clues = models.ManyToManyField(Clue, verbose_name="相关问题线索", blank=True, related_name="talks")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "约谈记录"
        verbose_name_plural = "约谈记录"
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.unit}"


class LeaderVisit(ChangeLoggedModel, ScopedModel):
    """遍访: a county secretary's visit to a poor village, or a township/village secretary's to a poor household."""

    scope_field = "region"

    visitor = models.CharField("走访人", max_length=50)
    post = models.CharField("职务", max_length=24, choices=VisitorPost.choices)
    region = models.ForeignKey(
        "geo.Region", verbose_name="走访村", on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "registry.Household",
        verbose_name="走访户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    visited_on = models.DateField("走访日期")
    note = models.TextField("走访情况", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "遍访记录"
        verbose_name_plural = "遍访记录"
        ordering = ["-visited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.visitor}"


class AssessmentIndicator(ChangeLoggedModel, ScopedModel):
    """One indicator of a year's assessment of departments and townships, with its weight (%) and how it is
    measured (`metric`: a named computation in services.assessment)."""

    scope_field = "region"

    region = models.ForeignKey(
        "geo.Region", verbose_name="考核组织单位（区划）", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("考核年度")
    unit_kind = models.CharField(
        "被考核单位类别", max_length=12, choices=UnitKind.choices, default=UnitKind.REGION
    )
    metric = models.CharField("指标", max_length=40)
    title = models.CharField("指标名称", max_length=100)
    weight = models.DecimalField(
        "权重（%）", max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )

    class Meta:
        verbose_name = "考核指标"
        verbose_name_plural = "考核指标"
        ordering = ["year", "region__code", "unit_kind", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "year", "unit_kind", "metric"], name="assessment_indicator_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.title}（{self.weight}%）"


class AssessmentResult(ChangeLoggedModel, ScopedModel):
    """A unit's computed score and grade for a year, with the value of each indicator it was computed from."""

    scope_field = "unit"

    unit = models.ForeignKey(
        "geo.Region", verbose_name="被考核单位（区划）", on_delete=models.PROTECT, related_name="+"
    )
    department = models.CharField(
        "被考核部门",
        max_length=30,
        choices=Department.choices,
        blank=True,
        help_text="空：该区划本身（乡镇、县）",
    )
    year = models.PositiveSmallIntegerField("考核年度")
    values = models.JSONField("各指标得分", default=dict)
    score = models.DecimalField("综合得分", max_digits=6, decimal_places=2)
    grade = models.CharField("等次", max_length=12, choices=Grade.choices)
    must_talk = models.BooleanField("须约谈", default=False)
    computed_at = models.DateTimeField("计算时间", auto_now=True)

    class Meta:
        verbose_name = "考核结果"
        verbose_name_plural = "考核结果"
        ordering = ["year", "-score"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "department", "year"], name="assessment_result_once")
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.unit_name} {self.get_grade_display()}"

    @property
    def unit_name(self) -> str:
        return unit_label(self.unit, self.department)
