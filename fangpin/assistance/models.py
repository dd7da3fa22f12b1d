"""Assistance measures (帮扶措施): what is done for a monitored household, by whom, from when, for how much."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from fangpin.assistance.choices import DEVELOPMENTAL, SUBTYPES, MeasureCategory
from fangpin.core.changelog import ChangeLoggedModel
from fangpin.core.scoping import ScopedModel


class AssistanceMeasure(ChangeLoggedModel, ScopedModel):
    """One measure for a monitoring case: category and sub-type of the national taxonomy, amount, period and
    provider. `developmental` (开发式) follows from the category."""

    scope_field = "case__household__region"

    case = models.ForeignKey(
        "monitoring.MonitoringCase",
        verbose_name="监测对象",
        on_delete=models.PROTECT,
        related_name="measures",
    )
    category = models.CharField("帮扶措施类别", max_length=20, choices=MeasureCategory.choices)
    subtype = models.CharField("措施子项", max_length=40)
    description = models.CharField("措施内容", max_length=200, blank=True)
    amount = models.DecimalField(
        "金额（元）",
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0, message="金额不能为负数")],
    )
    start_on = models.DateField("开始日期")
    end_on = models.DateField("结束日期", null=True, blank=True)
    provider = models.CharField("实施部门或单位", max_length=100)
    developmental = models.BooleanField("开发式帮扶", default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "帮扶措施"
        verbose_name_plural = "帮扶措施"
        ordering = ["-start_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_category_display()}·{self.subtype}"

    def clean(self) -> None:
        errors = {}
        if self.category and self.subtype and self.subtype not in SUBTYPES.get(self.category, ()):
            errors["subtype"] = f"“{self.subtype}”不是{self.get_category_display()}的措施子项"
        if self.start_on and self.end_on and self.end_on < self.start_on:
            errors["end_on"] = "结束日期不能早于开始日期"
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.developmental = self.category in DEVELOPMENTAL
        super().save(*args, **kwargs)

    def active_on(self, day) -> bool:
        return self.start_on <= day and (self.end_on is None or self.end_on >= day)
