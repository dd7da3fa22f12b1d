"""fangpin import KIND FILE --user USERNAME: validate every row, then write all or nothing."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from fangpin.core.importing import IMPORTERS, run_import
from fangpin.core.models import ImportBatch


class Command(BaseCommand):
    help = "导入表格文件（.xlsx/.xls/.csv）：先校验全部行，全部正确才写入；有错误时生成错误说明工作簿。"

    def add_arguments(self, parser):
        parser.add_argument("kind", help="导入类型：" + "、".join(IMPORTERS))
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="以哪个用户的身份导入（决定权限与管辖范围）")

    def handle(self, *args, kind, file, user, **options):
        if kind not in IMPORTERS:
            raise CommandError(f"导入类型“{kind}”不存在，可选：{'、'.join(IMPORTERS)}")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        account = get_user_model().objects.filter(username=user, is_active=True).first()
        if account is None:
            raise CommandError(f"用户“{user}”不存在或已停用")
        console = Console(stderr=True)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("已读 {task.completed:,} 行"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar, path.open("rb") as handle:
            task = bar.add_task(f"校验 {path.name}", total=None)
            batch = run_import(
                IMPORTERS[kind](),
                handle,
                path.name,
                user=account,
                progress=lambda rows: bar.update(task, completed=rows),
            )
        if batch.status in (ImportBatch.Status.SUCCEEDED, ImportBatch.Status.UNCHANGED):
            self.stdout.write(self.style.SUCCESS(f"批次 {batch.pk}：{batch.message}"))
            return
        where = f"\n错误说明工作簿：{batch.error_file.path}" if batch.error_file else ""
        raise CommandError(f"批次 {batch.pk}：{batch.message}{where}")
