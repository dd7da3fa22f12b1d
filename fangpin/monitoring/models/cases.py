"""Monitoring cases (监测对象): one household's path from a clue to enrolment, assistance and risk elimination.

The steps are a declared transition table (`fangpin.monitoring.services.workflow.CASE_WORKFLOW`); every step
writes a `StatusChange`. A household has at most one open case; an eliminated or rejected case stays on record
and a new risk opens a new case that points back to it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from fangpin.core.changelog import ChangeLoggedModel
from fangpin.core.fields import MobileField
from fangpin.core.scoping import ScopedModel
from fangpin.monitoring.choices import (
    Category,
    Channel,
    DisasterSubtype,
    EliminationMethod,
    RiskTier,
    RiskType,
    VisitMethod,
)

MONEY = {"max_digits": 12, "decimal_places": 2, "null": True, "blank": True}
NON_NEGATIVE = [MinValueValidator(0, message="金额不能为负数")]


class MonitoringCase(ChangeLoggedModel, ScopedModel):
    """监测对象: a household identified (or being identified) for monitoring, with its category, risks, the
    income and 三保障 snapshot it was identified on, its assistance cadre, and later its risk elimination."""

    class Status(models.TextChoices):
        CLUE = "clue", "线索待入户核实"
        CHECKED = "checked", "已入户核实，待部门数据比对"
        COMPARED = "compared", "已比对，待村级民主评议"
        REVIEWED = "reviewed", "已评议，待村内公示"
        NOTICE = "notice", "村内公示中"
        NOTICED = "noticed", "公示期满，待乡镇审核"
        AUDITED = "audited", "乡镇已审核，待县级审定"
        APPROVED = "approved", "县级已审定，待公告"
        ANNOUNCED = "announced", "已公告，待录入系统"
        MONITORED = "monitored", "监测帮扶中"
        ELIM_PROPOSED = "elim_proposed", "拟消除风险，待民主评议"
        ELIM_REVIEWED = "elim_reviewed", "风险消除已评议，待公示"
        ELIM_NOTICE = "elim_notice", "风险消除公示中"
        ELIM_NOTICED = "elim_noticed", "风险消除公示期满，待乡镇核查"
        ELIM_CHECKED = "elim_checked", "乡镇已核查，待县级审定"
        ELIMINATED = "eliminated", "风险已消除"
        REJECTED = "rejected", "不予纳入"

    IDENTIFYING = (
        Status.CLUE,
        Status.CHECKED,
        Status.COMPARED,
        Status.REVIEWED,
        Status.NOTICE,
        Status.NOTICED,
        Status.AUDITED,
        Status.APPROVED,
        Status.ANNOUNCED,
    )
    ELIMINATING = (
        Status.ELIM_PROPOSED,
        Status.ELIM_REVIEWED,
        Status.ELIM_NOTICE,
        Status.ELIM_NOTICED,
        Status.ELIM_CHECKED,
    )
    CLOSED = (Status.ELIMINATED, Status.REJECTED)
    # Enrolled: counted in the monitoring ledger (identified and not yet eliminated).
    ENROLLED = (Status.MONITORED, *ELIMINATING)

    scope_field = "household__region"

    household = models.ForeignKey(
        "registry.Household", verbose_name="户", on_delete=models.PROTECT, related_name="cases"
    )
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.CLUE, db_index=True
    )
    channel = models.CharField("监测方式", max_length=12, choices=Channel.choices)
    clue_note = models.TextField("线索说明", blank=True)
    warnings = models.ManyToManyField(
        "monitoring.Warning", verbose_name="来源预警", blank=True, related_name="cases"
    )
    previous_case = models.ForeignKey(
        "self", verbose_name="上一次监测", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # Household check (入户核实)
    category = models.CharField("监测对象类别", max_length=16, choices=Category.choices, blank=True)
    risks = models.JSONField("致贫返贫风险", default=list, blank=True)
    disaster_subtype = models.CharField(
        "因自然灾害子项", max_length=16, choices=DisasterSubtype.choices, blank=True
    )
    risk_remark = models.CharField("风险备注", max_length=200, blank=True)
    risk_tier = models.CharField("风险等级", max_length=8, choices=RiskTier.choices, default=RiskTier.MEDIUM)
    whole_household_no_labour = models.BooleanField("整户无劳动能力兜底保障户", default=False)
    checked_on = models.DateField("入户核实日期", null=True, blank=True)
    consent_signed_on = models.DateField("承诺授权书签署日期", null=True, blank=True)
    check_note = models.TextField("核实情况", blank=True)
    income_year = models.PositiveSmallIntegerField("识别时收入年度", null=True, blank=True)
    net_income = models.DecimalField("识别时家庭纯收入", **MONEY)
    per_capita_income = models.DecimalField("识别时家庭人均纯收入", **MONEY)
    claims_income = models.DecimalField("识别时理赔收入", **MONEY)
    out_of_pocket = models.DecimalField("识别时合规自付支出", **MONEY)
    housing_unsafe = models.BooleanField("是否住房出现安全问题", null=True, blank=True)
    dropout = models.BooleanField("是否义务教育阶段适龄儿童少年失学辍学", null=True, blank=True)
    uninsured_member = models.BooleanField("是否有家庭成员未参加基本医疗保险", null=True, blank=True)
    water_unsafe = models.BooleanField("是否饮水出现安全问题", null=True, blank=True)

    # Comparison, review, notice, approval
    compared_on = models.DateField("部门数据比对日期", null=True, blank=True)
    comparison_note = models.TextField("比对结果", blank=True)
    reviewed_on = models.DateField("民主评议日期", null=True, blank=True)
    review_minutes = models.TextField("评议会议记录", blank=True)
    notice_start = models.DateField("公示开始日期", null=True, blank=True)
    notice_days = models.PositiveSmallIntegerField("公示天数", null=True, blank=True)
    announced_on = models.DateField("公告日期", null=True, blank=True)
    recorded_on = models.DateField("录入日期", null=True, blank=True)
    identified_month = models.CharField("识别监测时间", max_length=6, blank=True, help_text="YYYYMM")

    # People
    monitoring_contact = models.CharField("监测联系人", max_length=50, blank=True)
    monitoring_contact_phone = MobileField("监测联系人电话", blank=True)
    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="帮扶责任人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assisted_cases",
    )
    cadre_unit = models.CharField("帮扶单位", max_length=100, blank=True)
    cadre_since = models.DateField("帮扶开始日期", null=True, blank=True)

    # Risk elimination (风险消除)
    elimination_method = models.CharField(
        "风险消除方式", max_length=10, choices=EliminationMethod.choices, blank=True
    )
    elimination_proposed_on = models.DateField("拟消除日期", null=True, blank=True)
    elim_reviewed_on = models.DateField("消除评议日期", null=True, blank=True)
    elim_review_minutes = models.TextField("消除评议会议记录", blank=True)
    elim_notice_start = models.DateField("消除公示开始日期", null=True, blank=True)
    elim_notice_days = models.PositiveSmallIntegerField("消除公示天数", null=True, blank=True)
    eliminated_on = models.DateField("风险消除日期", null=True, blank=True)
    eliminated_month = models.CharField("消除监测时间", max_length=6, blank=True, help_text="YYYYMM")
    # Post-elimination snapshot (风险消除后…), mandatory before elimination (check 1_11_004).
    after_dropout = models.BooleanField(
        "风险消除后是否义务教育阶段适龄儿童少年失学辍学", null=True, blank=True
    )
    after_housing_damaged = models.BooleanField("风险消除后是否住房损毁", null=True, blank=True)
    after_uninsured = models.BooleanField("风险消除后是否有家庭成员未参加基本医疗保险", null=True, blank=True)
    after_water_damaged = models.BooleanField("风险消除后是否饮水设施损毁", null=True, blank=True)
    after_wage = models.DecimalField("风险消除后工资性收入", validators=NON_NEGATIVE, **MONEY)
    after_property = models.DecimalField("风险消除后财产性收入", validators=NON_NEGATIVE, **MONEY)
    after_transfer = models.DecimalField("风险消除后转移性收入", validators=NON_NEGATIVE, **MONEY)
    after_business = models.DecimalField("风险消除后生产经营性收入", validators=NON_NEGATIVE, **MONEY)
    after_business_cost = models.DecimalField("风险消除后生产经营性支出", validators=NON_NEGATIVE, **MONEY)
    after_net_income = models.DecimalField("风险消除后家庭纯收入", **MONEY)
    after_per_capita_income = models.DecimalField("风险消除后家庭人均纯收入", **MONEY)
    after_claims_income = models.DecimalField("风险消除后理赔收入", validators=NON_NEGATIVE, **MONEY)
    after_out_of_pocket = models.DecimalField("风险消除后合规自付支出", validators=NON_NEGATIVE, **MONEY)

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

    AFTER_FIELDS = (
        "after_dropout",
        "after_housing_damaged",
        "after_uninsured",
        "after_water_damaged",
        "after_wage",
        "after_property",
        "after_transfer",
        "after_business",
        "after_business_cost",
        "after_net_income",
        "after_per_capita_income",
        "after_claims_income",
        "after_out_of_pocket",
    )

    class Meta:
        verbose_name = "监测对象"
        verbose_name_plural = "监测对象"
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=~models.Q(status__in=["eliminated", "rejected"]),
                name="case_open_once",
                violation_error_message="该户已有正在办理或监测中的监测对象记录",
            )
        ]
        permissions = [
            ("check_case", "可入户核实"),
            ("compare_case", "可进行部门数据比对"),
            ("review_case", "可组织民主评议和公示"),
            ("audit_case", "可乡镇审核"),
            ("approve_case", "可县级审定"),
            ("announce_case", "可公告"),
            ("record_case", "可录入监测系统"),
            ("reject_case", "可作出不予纳入决定"),
            ("propose_elimination", "可提出风险消除"),
            ("check_elimination", "可乡镇核查风险消除"),
            ("approve_elimination", "可县级审定风险消除"),
            ("withdraw_elimination", "可退回风险消除"),
            ("assign_cadre", "可指定帮扶责任人"),
            ("print_notice", "可打印公示公告"),
            ("export_ledger", "可导出监测对象台账"),
        ]

    def __str__(self) -> str:
        return f"监测对象 #{self.pk}（{self.household.number} {self.household.head_name}）"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("monitoring:case_detail", args=[self.pk])

    @property
    def risk_labels(self) -> list[str]:
        labels = dict(RiskType.choices)
        return [labels.get(code, code) for code in self.risks or []]

    @property
    def is_open(self) -> bool:
        return self.status not in self.CLOSED

    @property
    def is_enrolled(self) -> bool:
        return self.status in self.ENROLLED


class CaseObjection(ChangeLoggedModel, ScopedModel):
    """An objection raised during a village notice (公示期异议) and how it was handled."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "待处理"
        UPHELD = "upheld", "异议成立"
        DISMISSED = "dismissed", "异议不成立"

    scope_field = "case__household__region"

    case = models.ForeignKey(
        MonitoringCase, verbose_name="监测对象", on_delete=models.CASCADE, related_name="objections"
    )
    stage = models.CharField("公示环节", max_length=16, choices=MonitoringCase.Status.choices)
    received_on = models.DateField("收到日期")
    raised_by = models.CharField("异议人", max_length=50, blank=True)
    content = models.TextField("异议内容")
    outcome = models.CharField("处理结果", max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    handling = models.TextField("核查处理情况", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "公示异议"
        verbose_name_plural = "公示异议"
        ordering = ["received_on", "id"]

    def __str__(self) -> str:
        return f"异议（{self.received_on}）：{self.content[:20]}"


class Visit(ChangeLoggedModel, ScopedModel):
    """A visit by the assistance cadre (or another official) to a monitored household: 走访记录."""

    scope_field = "case__household__region"

    case = models.ForeignKey(
        MonitoringCase, verbose_name="监测对象", on_delete=models.CASCADE, related_name="visits"
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="走访人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    visited_on = models.DateField("走访日期")
    method = models.CharField(
        "走访方式", max_length=10, choices=VisitMethod.choices, default=VisitMethod.HOME
    )
    findings = models.TextField("走访情况")
    follow_up = models.TextField("后续措施", blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"
        ordering = ["-visited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.get_method_display()}"
