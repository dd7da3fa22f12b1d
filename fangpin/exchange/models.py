"""Department deliveries and their lineage.

A `DepartmentDataset` is one accepted delivery: its rows live in a Parquet file (what the screening engine
reads), the original upload stays on its ImportBatch. `PersonSource` says, per registered person and dataset,
that the dataset mentions them — the "数据来源" a household page shows.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models

from fangpin.accounts.models import Department
from fangpin.core.scoping import ScopedModel


class DepartmentDataset(ScopedModel):
    """One department delivery (部门数据集): kind, department, period covered, who uploaded it, row counts, and
    the rows as Parquet under MEDIA_ROOT/datasets/. Who uploaded it, and so its region scope, are its import
    batch's: kept once, there."""

    scope_field = "batch__region"

    kind = models.CharField("数据集类型", max_length=50, db_index=True)
    department = models.CharField("部门", max_length=30, choices=Department.choices, db_index=True)
    period_start = models.DateField("数据起始日期", null=True, blank=True)
    period_end = models.DateField("数据截止日期", null=True, blank=True)
    batch = models.OneToOneField(
        "core.ImportBatch", verbose_name="导入批次", on_delete=models.PROTECT, related_name="dataset"
    )
    created_at = models.DateTimeField("导入时间", auto_now_add=True)
    row_count = models.PositiveIntegerField("行数", default=0)
    matched_count = models.PositiveIntegerField("匹配到登记人员的行数", default=0)
    unmatched_count = models.PositiveIntegerField("未匹配的行数", default=0)
    parquet = models.FileField("Parquet 文件", upload_to="datasets/", max_length=255)

    @property
    def uploaded_by(self):
        return self.batch.user

    @property
    def region(self):
        return self.batch.region

    class Meta:
        verbose_name = "部门数据集"
        verbose_name_plural = "部门数据集"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind_name}（{self.get_department_display()}，批次 {self.batch_id}）"

    @property
    def kind_name(self) -> str:
        from fangpin.exchange.catalogue import BY_CODE

        kind = BY_CODE.get(self.kind)
        return kind.name if kind else self.kind

    @property
    def parquet_path(self) -> Path:
        """The Parquet file on disk (for pyarrow / DuckDB)."""
        return Path(settings.MEDIA_ROOT) / self.parquet.name


class PersonSource(ScopedModel):
    """Lineage: dataset `dataset` mentions registered person `person` in `record_count` rows; the most recent
    (by the kind's current date) is kept in `fields`, keyed by field name, values as text."""

    scope_field = "dataset__batch__region"

    person = models.ForeignKey(
        "registry.Person", verbose_name="人员", on_delete=models.CASCADE, related_name="sources"
    )
    dataset = models.ForeignKey(
        DepartmentDataset, verbose_name="数据集", on_delete=models.CASCADE, related_name="sources"
    )
    current_date = models.DateField("记录日期", null=True, blank=True)
    record_count = models.PositiveIntegerField("记录数", default=1)
    line = models.PositiveIntegerField("原文件行号", default=0)
    fields = models.JSONField("记录内容", default=dict)

    class Meta:
        verbose_name = "部门数据来源"
        verbose_name_plural = "部门数据来源"
        constraints = [models.UniqueConstraint(fields=["person", "dataset"], name="exchange_source_once")]

    def __str__(self) -> str:
        return f"{self.person_id} ← {self.dataset}"
