"""Framework models: the change log and the status-change timeline. No domain models here."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from fangpin.core.scoping import ScopedModel


class ObjectChange(models.Model):
    """One change to one object (or one bulk write), with who, when, from where and the before/after values.

    Written by core.changelog for every save and delete of a ChangeLoggedModel, whatever made it: a web form,
    the API, an import, a management command or a job. `related_*` points at the object whose history page
    should show this change (a person's edit appears on its household's timeline).
    """

    class Action(models.TextChoices):
        CREATE = "create", "新增"
        UPDATE = "update", "修改"
        DELETE = "delete", "删除"
        BULK_CREATE = "bulk_create", "批量新增"
        BULK_UPDATE = "bulk_update", "批量修改"
        BULK_DELETE = "bulk_delete", "批量删除"

    time = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField("操作人账号", max_length=150, blank=True)
    request_id = models.CharField("请求编号", max_length=36, blank=True, db_index=True)
    source = models.CharField(
        "来源", max_length=100, help_text="web, api, command:NAME, import:ID, job:ID, system"
    )
    action = models.CharField("动作", max_length=16, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField("对象编号", null=True, blank=True)
    object_repr = models.CharField("对象", max_length=200)
    related_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    related_id = models.BigIntegerField(null=True, blank=True)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    reason = models.CharField("原因", max_length=500, blank=True)

    class Meta:
        verbose_name = "变更记录"
        verbose_name_plural = "变更记录"
        ordering = ["-time", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id"]),
            models.Index(fields=["related_type", "related_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"

    def changed_fields(self) -> list[tuple[str, object, object]]:
        """(field, old, new) for every field whose value differs; used by the history timeline."""
        before, after = self.before or {}, self.after or {}
        keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
        return [(k, before.get(k), after.get(k)) for k in keys]

    def changed_fields_display(self) -> list[tuple[str, str, object, object]]:
        """(label, field, old, new) with choice codes shown as their Chinese labels."""
        model = self.content_type.model_class()
        rows = []
        for name, old, new in self.changed_fields():
            try:
                f = model._meta.get_field(name)
            except Exception:
                rows.append((name, name, old, new))
                continue
            choices = dict(f.flatchoices) if f.choices else {}
            if isinstance(old, bool) or isinstance(new, bool):
                choices = {True: "是", False: "否", None: "（空）"}
            rows.append((str(f.verbose_name), name, choices.get(old, old), choices.get(new, new)))
        return rows


class StatusChange(models.Model):
    """An append-only record of every workflow transition: the timeline of a case, a clue or a household.

    Never updated or deleted; core.workflow writes one row in the same transaction as the state change, so the
    timeline and the current state cannot disagree.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    field = models.CharField("状态字段", max_length=50, default="status")
    transition = models.CharField("操作", max_length=50)
    from_status = models.CharField("原状态", max_length=50)
    to_status = models.CharField("新状态", max_length=50)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    time = models.DateTimeField("时间", auto_now_add=True)
    comment = models.TextField("意见", blank=True)

    class Meta:
        verbose_name = "状态变更"
        verbose_name_plural = "状态变更"
        ordering = ["time", "id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class ImportBatch(ScopedModel):
    """One uploaded file and what became of it: who, when, what kind, the file and its hash, the counts, and
    for a refused file the error workbook (the failed rows with an 错误说明 column) to fix and upload again.

    A file is written all or nothing; changes it makes are logged under the source "import:<id>".
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "处理中"
        SUCCEEDED = "succeeded", "已导入"
        FAILED = "failed", "有错误，未导入"
        REJECTED = "rejected", "文件无法读取，未导入"
        UNCHANGED = "unchanged", "重复文件，未做修改"

    kind = models.CharField("类型", max_length=50, db_index=True)
    department = models.CharField(
        "所属部门", max_length=30, blank=True, help_text="部门数据集的部门；其他部门的用户看不到该批次"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    region = models.ForeignKey(
        "geo.Region",
        verbose_name="上传人所属区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    file_name = models.CharField("文件名", max_length=255)
    file_sha256 = models.CharField("文件摘要", max_length=64, db_index=True)
    file = models.FileField("原始文件", upload_to="imports/%Y/%m/")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.RUNNING)
    message = models.TextField("说明", blank=True)
    rows_total = models.PositiveIntegerField("行数", default=0)
    rows_failed = models.PositiveIntegerField("错误行数", default=0)
    created = models.PositiveIntegerField("新增", default=0)
    updated = models.PositiveIntegerField("修改", default=0)
    unchanged = models.PositiveIntegerField("未变", default=0)
    error_file = models.FileField("错误说明工作簿", upload_to="imports/errors/%Y/%m/", blank=True)

    class Meta:
        verbose_name = "导入批次"
        verbose_name_plural = "导入批次"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"导入批次 {self.pk}：{self.file_name}（{self.get_status_display()}）"


class Counter(models.Model):
    """A named sequence of numbers (e.g. "clue:2026", the clue numbers of a year): `next_value` advances it
    inside the caller's transaction, so a number is taken only if the record that carries it is written."""

    name = models.CharField("名称", max_length=60, unique=True)
    value = models.PositiveBigIntegerField("当前值", default=0)

    class Meta:
        verbose_name = "编号序列"
        verbose_name_plural = "编号序列"

    def __str__(self) -> str:
        return f"{self.name} = {self.value}"

    @classmethod
    def next_value(cls, name: str) -> int:
        """The next number of `name` (1 for a new sequence). Concurrent callers get distinct numbers: the
        UPDATE locks the row until their transactions end (PostgreSQL), or the database (SQLite)."""
        from django.db import transaction

        with transaction.atomic():
            cls.objects.get_or_create(name=name)
            cls.objects.filter(name=name).update(value=models.F("value") + 1)
            return cls.objects.get(name=name).value
