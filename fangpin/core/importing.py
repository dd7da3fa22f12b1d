"""Imports, written once: read a file, validate every row, write all or nothing, keep a record.

An importer (one per kind of file) declares its columns and implements `prepare(table, user)` — validate every
row and return a plan plus every error — and `write(plan, user)`. `run_import` does the rest: the file hash
(a file already imported unchanged is not applied twice), the ImportBatch record, the error workbook when any
row is bad (and then nothing is written), and one transaction under the change-log source "import:<id>".
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone

from fangpin.core.changelog import change_context
from fangpin.core.models import ImportBatch
from fangpin.core.spreadsheets import Column, SpreadsheetError, Table, open_table, write_xlsx


@dataclass
class RowError:
    """One problem in one row: the spreadsheet row number, the column as headed in the file, the value, why."""

    line: int
    column: str
    value: Any
    reason: str

    def __str__(self) -> str:
        shown = "" if self.value in (None, "") else f"“{self.value}”"
        return f"第{self.line}行 {self.column}{shown}：{self.reason}"


@dataclass
class Plan:
    """What an importer will write. `rows` must hold at least the raw values of every failed row (for the error
    workbook); a streaming importer of large files keeps only those and counts the rest in `total`."""

    items: list[Any] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    total: int | None = None


class Importer:
    """Base for one kind of import; subclasses declare `kind`, `label`, `columns`."""

    kind: str = ""
    label: str = ""
    permission: str = ""  # the permission an uploader needs, checked before the file is read
    columns: Sequence[Column] = ()

    batch: ImportBatch | None = None  # set by the runner before prepare(): the batch being processed
    department: str = ""  # a department dataset's department: its batches are hidden from other departments

    def check(self, user: Any) -> None:
        """Raise PermissionDenied (Chinese message) unless `user` may upload this kind. Default: `permission`."""
        if self.permission and not user.has_perm(self.permission):
            raise PermissionDenied(f"您的角色没有导入{self.label}的权限")

    def allowed(self, user: Any) -> bool:
        try:
            self.check(user)
        except PermissionDenied:
            return False
        return True

    def prepare(self, table: Table, user: Any) -> Plan:  # pragma: no cover - abstract
        raise NotImplementedError

    def write(self, plan: Plan, user: Any) -> dict[str, int]:  # pragma: no cover - abstract
        raise NotImplementedError


IMPORTERS: dict[str, type[Importer]] = {}


def register(importer: type[Importer]) -> type[Importer]:
    """Make an importer available by its kind (to `fangpin import KIND FILE`, and later the web and API)."""
    IMPORTERS[importer.kind] = importer
    return importer


def batches_visible_to(user: Any):
    """Import batches `user` may see: in their region's subtree, and none of another department's datasets."""
    from django.db.models import Q

    batches = ImportBatch.objects.visible_to(user)
    department = getattr(user, "department", "")
    if department and not getattr(user, "is_superuser", False):
        batches = batches.filter(Q(department="") | Q(department=department))
    return batches


def file_sha256(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    handle.seek(0)
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


def error_workbook(plan: Plan) -> bytes:
    """The failed rows as the file had them, plus an 错误说明 column, to correct and upload again."""
    fields = list(plan.headers)
    by_line: dict[int, list[str]] = {}
    for error in plan.errors:
        by_line.setdefault(error.line, []).append(f"{error.column}：{error.reason}")
    rows = (
        [plan.rows.get(line, {}).get(f, "") for f in fields] + ["；".join(reasons)]
        for line, reasons in sorted(by_line.items())
    )
    handle = write_xlsx([plan.headers[f] for f in fields] + ["错误说明"], rows, sheet_title="错误说明")
    return handle.read()


def start_batch(
    importer: Importer,
    handle: IO[bytes],
    filename: str,
    *,
    user: Any,
    status: str = ImportBatch.Status.RUNNING,
) -> ImportBatch:
    """Record an upload: the ImportBatch with the original file kept and its hash."""
    digest = file_sha256(handle)
    batch = ImportBatch.objects.create(
        kind=importer.kind,
        department=importer.department,
        user=user if getattr(user, "pk", None) else None,
        region=getattr(user, "region", None),
        file_name=filename[:255],
        file_sha256=digest,
        status=status,
    )
    handle.seek(0)
    batch.file.save(filename, File(handle), save=True)  # copied in chunks, never whole in memory
    handle.seek(0)
    return batch


def run_import(
    importer: Importer,
    handle: IO[bytes],
    filename: str,
    *,
    user: Any,
    progress: Callable[[int], None] | None = None,
) -> ImportBatch:
    """Import one file as `user` now; return its ImportBatch (status says what happened, nothing half-written)."""
    return process_batch(
        start_batch(importer, handle, filename, user=user), importer, user=user, progress=progress
    )


def process_batch(
    batch: ImportBatch, importer: Importer, *, user: Any, progress: Callable[[int], None] | None = None
) -> ImportBatch:
    """Validate and write a recorded upload. Rows read so far are saved on the batch every few thousand rows,
    so a page polling a background import can show progress."""
    if batch.status != ImportBatch.Status.RUNNING:
        batch.status = ImportBatch.Status.RUNNING
        batch.save(update_fields=["status"])
    try:
        importer.check(user)
    except PermissionDenied as exc:
        return _finish(batch, ImportBatch.Status.REJECTED, str(exc))
    importer.batch = batch
    previous = (
        ImportBatch.objects.filter(
            kind=importer.kind,
            file_sha256=batch.file_sha256,
            status=ImportBatch.Status.SUCCEEDED,
            user=batch.user,
        )
        .exclude(pk=batch.pk)
        .first()
    )
    if previous is not None:
        return _finish(batch, ImportBatch.Status.UNCHANGED, f"与批次 {previous.pk} 的文件完全相同，未做修改")
    try:
        with batch.file.open("rb") as handle:
            table = open_table(handle, importer.columns, filename=batch.file_name)
            table.rows = _counting(table.rows, batch, progress)
            plan = importer.prepare(table, user)
    except SpreadsheetError as exc:
        return _finish(batch, ImportBatch.Status.REJECTED, exc.message)
    batch.rows_total = plan.total if plan.total is not None else len(plan.rows)
    if plan.errors:
        batch.rows_failed = len({e.line for e in plan.errors})
        batch.error_file.save(f"错误说明-{batch.pk}.xlsx", ContentFile(error_workbook(plan)), save=False)
        first = "；".join(str(e) for e in plan.errors[:3])
        more = f"等共 {len(plan.errors)} 处错误" if len(plan.errors) > 3 else ""
        return _finish(
            batch,
            ImportBatch.Status.FAILED,
            f"{batch.rows_failed} 行有错误，整个文件未导入：{first}{more}。请下载错误说明工作簿，改正后重新上传。",
        )
    try:
        with change_context(f"import:{batch.pk}", user=batch.user), transaction.atomic():
            counts = importer.write(plan, user)
    except (ValidationError, PermissionDenied) as exc:
        # A rule only the write can see (a concurrent edit, the scope re-check): the transaction rolled back.
        reason = "；".join(getattr(exc, "messages", None) or [str(exc)])
        return _finish(batch, ImportBatch.Status.FAILED, f"写入时被拒绝，整个文件未导入：{reason}")
    batch.created, batch.updated, batch.unchanged = counts["created"], counts["updated"], counts["unchanged"]
    return _finish(
        batch,
        ImportBatch.Status.SUCCEEDED,
        f"已导入 {batch.rows_total} 行：新增 {batch.created}，修改 {batch.updated}，未变 {batch.unchanged}",
    )


def _counting(rows, batch: ImportBatch, progress):
    count = 0
    for item in rows:
        count += 1
        if count % 2000 == 0:
            ImportBatch.objects.filter(pk=batch.pk).update(rows_total=count)
            if progress:
                progress(count)
        yield item
    if progress:
        progress(count)


def _finish(batch: ImportBatch, status: str, message: str) -> ImportBatch:
    batch.status, batch.message, batch.finished_at = status, message, timezone.now()
    batch.save()
    return batch


def import_upload(kind: str, uploaded: Any, *, user: Any) -> ImportBatch:
    """An uploaded file (web page or API) as an import of `kind`, refused up front if the kind is unknown, the
    file too large, or the user's role may not import it."""
    from django.conf import settings

    if kind not in IMPORTERS:
        raise ValidationError({"kind": f"导入类型“{kind}”不存在，可选：{'、'.join(IMPORTERS)}"})
    importer = IMPORTERS[kind]()
    if uploaded is None:
        raise ValidationError({"file": "请选择要上传的文件"})
    if uploaded.size > settings.IMPORT_MAX_BYTES:
        raise ValidationError(
            {
                "file": f"文件大小 {uploaded.size / 1048576:.1f} MB 超过上限 "
                f"{settings.IMPORT_MAX_BYTES / 1048576:.0f} MB"
            }
        )
    importer.check(user)
    if uploaded.size <= settings.IMPORT_BACKGROUND_BYTES:
        return run_import(importer, uploaded, uploaded.name, user=user)
    batch = start_batch(importer, uploaded, uploaded.name, user=user, status=ImportBatch.Status.QUEUED)
    start_background(batch.pk)
    return batch


BACKGROUND: list[threading.Thread] = []


def start_background(batch_id: int) -> threading.Thread:
    """Process a queued batch in a background thread of this process (the request returns at once).
    `fangpin run-imports` picks up batches left queued by a restart."""
    thread = threading.Thread(target=_run_in_thread, args=(batch_id,), name=f"import-{batch_id}", daemon=True)
    BACKGROUND[:] = [t for t in BACKGROUND if t.is_alive()] + [thread]
    thread.start()
    return thread


def run_queued(batch_id: int) -> ImportBatch | None:
    """Process one queued batch (from a background thread, or `fangpin run-imports`)."""
    batch = (
        ImportBatch.objects.select_related("user")
        .filter(pk=batch_id, status=ImportBatch.Status.QUEUED)
        .first()
    )
    if batch is None or batch.kind not in IMPORTERS:
        return None
    try:
        return process_batch(batch, IMPORTERS[batch.kind](), user=batch.user)
    except Exception as exc:  # a bug must not leave the batch "running" for ever
        _finish(batch, ImportBatch.Status.FAILED, f"导入过程出错，整个文件未导入：{exc}")
        raise


def _run_in_thread(batch_id: int) -> None:
    from django.db import close_old_connections, connections

    close_old_connections()
    try:
        run_queued(batch_id)
    finally:
        connections.close_all()  # this thread's own connections: nobody else will close them


def template_workbook(importer: Importer) -> bytes:
    """A blank .xlsx for `importer`: the header row, a comment on each header (required or not, how to fill
    it), and a drop-down list on every column with fixed choices (lists kept on a hidden 选项 sheet, since
    Excel caps an inline list at 255 characters)."""
    import io

    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = importer.label[:31] or "导入"
    options = wb.create_sheet("选项")
    options.sheet_state = "hidden"
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for index, column in enumerate(importer.columns, start=1):
        cell = ws.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True)
        if column.required:
            cell.fill = required_fill
        note = ["必填" if column.required else "选填"]
        if column.help:
            note.append(column.help)
        if column.choices:
            note.append("可选：" + "、".join(column.choices))
            for row, label in enumerate(column.choices, start=1):
                options.cell(row=row, column=index, value=label)
            letter = get_column_letter(index)
            validation = DataValidation(
                type="list",
                formula1=f"=选项!${letter}$1:${letter}${len(column.choices)}",
                allow_blank=not column.required,
                showErrorMessage=True,
                errorTitle="无效的选项",
                error=f"请从下拉列表中选择{column.header}",
            )
            ws.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}10000")
        cell.comment = Comment("\n".join(note), "fangpin")
        ws.column_dimensions[get_column_letter(index)].width = max(10, min(30, len(column.header) * 2 + 2))
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
