"""Dynamic monitoring (动态监测): policy parameters, screening runs and the warnings they raise.

A `ScreeningRun` records exactly what it ran — rule-set versions (their text is kept in `RuleSetVersion`), the
parameter values, the as-of date and the department deliveries — so a past run can be reproduced. A `Warning`
is one rule holding for one household or person; re-running keeps it (no duplicate), and the first run that no
longer sees it marks it resolved.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from fangpin.core.changelog import ChangeLoggedModel
from fangpin.core.scoping import ScopedModel


class PolicyParameter(ChangeLoggedModel, ScopedModel):
    """One value of a rule parameter (e.g. the monitoring line) for a region, from a date on. The value in
    force for a region on a date is the one with the latest start date on or before it, from the nearest
    region up the tree that has one."""

    class Tag(models.TextChoices):
        SEED = "SEED", "实施方案原文"
        CONFIRMED = "C", "已查证的公开文件"
        LOCAL = "L", "外地做法（可配置默认值）"
        INFERRED = "I", "推定值（待确认）"

    scope_field = "region"

    key = models.CharField("参数", max_length=60, db_index=True)
    region = models.ForeignKey("geo.Region", verbose_name="适用区划", on_delete=models.PROTECT)
    effective_from = models.DateField("起始日期")
    value = models.CharField("取值", max_length=100)
    source = models.CharField("依据", max_length=200, blank=True)
    tag = models.CharField("依据类别", max_length=4, choices=Tag.choices, default=Tag.CONFIRMED)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "政策参数"
        verbose_name_plural = "政策参数"
        ordering = ["key", "region__code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["key", "region", "effective_from"], name="policy_parameter_once")
        ]
        permissions = [("edit_parameters", "可修改政策参数")]

    def __str__(self) -> str:
        return f"{self.key} = {self.value}（{self.region}，自 {self.effective_from}）"


class RuleSetVersion(models.Model):
    """The exact text of a rule set (and the common declarations) a run used, kept once per fingerprint."""

    name = models.CharField("规则集", max_length=60)
    version = models.CharField("版本", max_length=40)
    sha256 = models.CharField("指纹", max_length=64, unique=True)
    text = models.TextField("规则文件")
    common_text = models.TextField("公共声明")
    created_at = models.DateTimeField("首次使用时间", auto_now_add=True)

    class Meta:
        verbose_name = "规则集版本"
        verbose_name_plural = "规则集版本"
        ordering = ["name", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class ScreeningRun(ScopedModel):
    class Kind(models.TextChoices):
        FULL = "full", "全面筛查"
        INCREMENTAL = "incremental", "增量筛查"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "运行中"
        SUCCEEDED = "succeeded", "已完成"
        FAILED = "failed", "失败"

    scope_field = "region"

    kind = models.CharField("类型", max_length=12, choices=Kind.choices, default=Kind.FULL)
    region = models.ForeignKey("geo.Region", verbose_name="筛查范围", on_delete=models.PROTECT)
    as_of = models.DateField("筛查基准日")
    engine = models.CharField("引擎", max_length=10, default="duckdb")
    rule_sets = models.ManyToManyField(RuleSetVersion, verbose_name="规则集版本", blank=True)
    rule_set_names = models.JSONField("规则集", default=list)
    parameters = models.JSONField("参数取值", default=dict)
    datasets = models.JSONField("部门数据", default=dict)
    household_ids = models.JSONField("增量筛查的户", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveIntegerField("进度", default=0)
    total = models.PositiveIntegerField("总步数", default=0)
    message = models.TextField("说明", blank=True)
    counts = models.JSONField("各规则命中数", default=dict)
    summary = models.JSONField("结果统计", default=dict)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发起人", null=True, blank=True, on_delete=models.SET_NULL
    )
    source = models.CharField("发起方式", max_length=40, default="web")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "筛查批次"
        verbose_name_plural = "筛查批次"
        ordering = ["-created_at", "-id"]
        permissions = [("run_screening", "可发起筛查")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}（{self.region}，基准日 {self.as_of}）"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("monitoring:run_detail", args=[self.pk])

    @property
    def percent(self) -> int:
        return int(100 * self.progress / self.total) if self.total else (100 if self.finished_at else 0)

    @property
    def done(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class Warning(ScopedModel):  # noqa: A001 - the domain's word; shadows the builtin only inside this module
    class Status(models.TextChoices):
        OPEN = "open", "待核实"
        RESOLVED = "resolved", "已解除"

    class Produces(models.TextChoices):
        WARNING = "warning", "监测预警"
        QUALITY = "quality", "数据质量问题"
        CLUE = "clue", "问题线索"

    class Severity(models.TextChoices):
        HIGH = "high", "高"
        MEDIUM = "medium", "中"
        LOW = "low", "低"

    scope_field = "household__region"

    rule_code = models.CharField("规则", max_length=40, db_index=True)
    rule_set = models.CharField("规则集", max_length=60)
    rule_version = models.CharField("规则版本", max_length=40)
    rule_title = models.CharField("规则名称", max_length=200)
    produces = models.CharField("类别", max_length=10, choices=Produces.choices)
    severity = models.CharField("严重程度", max_length=10, choices=Severity.choices)
    subject_key = models.CharField("对象", max_length=30)
    household = models.ForeignKey(
        "registry.Household", verbose_name="户", on_delete=models.CASCADE, related_name="warnings"
    )
    person = models.ForeignKey(
        "registry.Person",
        verbose_name="人员",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="warnings",
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    as_of = models.DateField("筛查基准日")
    evidence = models.JSONField("证据", default=dict)
    explanation = models.TextField("说明")
    parameters = models.JSONField("参数取值", default=dict)
    raised_by = models.ForeignKey(
        ScreeningRun, verbose_name="发现批次", on_delete=models.PROTECT, related_name="raised"
    )
    last_seen_by = models.ForeignKey(
        ScreeningRun, verbose_name="最近确认批次", on_delete=models.PROTECT, related_name="seen"
    )
    resolved_by = models.ForeignKey(
        ScreeningRun,
        verbose_name="解除批次",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resolved",
    )
    first_seen_at = models.DateTimeField("首次发现时间")
    last_seen_at = models.DateTimeField("最近确认时间")
    resolved_at = models.DateTimeField("解除时间", null=True, blank=True)

    class Meta:
        verbose_name = "预警"
        verbose_name_plural = "预警"
        ordering = ["-last_seen_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule_code", "subject_key"],
                condition=models.Q(status="open"),
                name="warning_open_once",
            )
        ]
        indexes = [models.Index(fields=["household", "status"], name="warning_household_status")]

    def __str__(self) -> str:
        return f"{self.rule_code} {self.rule_title}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("monitoring:warning_detail", args=[self.pk])


class ScreeningStamp(models.Model):
    """When a household was last screened, and by which run: the "数据截至" a household page shows."""

    household = models.OneToOneField(
        "registry.Household", on_delete=models.CASCADE, related_name="screening_stamp"
    )
    run = models.ForeignKey(ScreeningRun, verbose_name="筛查批次", on_delete=models.CASCADE)
    screened_at = models.DateTimeField("筛查时间")
    as_of = models.DateField("筛查基准日")

    class Meta:
        verbose_name = "筛查时间戳"
        verbose_name_plural = "筛查时间戳"

    def __str__(self) -> str:
        return f"{self.household_id} @ {self.screened_at:%Y-%m-%d %H:%M}"
