"""fangpin import KIND FILE [--department CODE] [--user USERNAME]: validate every row, then write all or nothing.

Without --user the import runs as the system account (all regions, every permission), named in the change log
as "系统导入"; with --user it runs with that user's permissions and scope, exactly as an upload by them would.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from fangpin.core.importing import IMPORTERS, run_import
from fangpin.core.models import ImportBatch

SYSTEM_USERNAME = "system-import"


def system_user():
    """The account command-line imports act as: a superuser that cannot log in (no usable password)."""
    user, created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"is_superuser": True, "is_active": True, "display_name": "系统导入"},
    )
    if created:
        user.set_unusable_password()
        user.save()
    return user


class Command(BaseCommand):
    help = "导入表格文件（.xlsx/.xls/.csv）：先校验全部行，全部正确才写入；有错误时生成错误说明工作簿。"

    def add_arguments(self, parser):
        parser.add_argument("kind", help="导入类型：" + "、".join(IMPORTERS))
        parser.add_argument("file")
        parser.add_argument(
            "--department", help="部门数据集的提供部门（须与数据集类型的部门一致），例如 medical_insurance"
        )
        parser.add_argument("--user", help="以哪个用户的身份导入（决定权限与管辖范围）；不填则以系统身份导入")

    def handle(self, *args, kind, file, department, user, **options):
        if kind not in IMPORTERS:
            raise CommandError(f"导入类型“{kind}”不存在，可选：{'、'.join(IMPORTERS)}")
        importer = IMPORTERS[kind]()
        if department is not None:
            if not importer.department:
                raise CommandError(f"“{importer.label}”不是部门数据集，不需要 --department")
            if department != importer.department:
                raise CommandError(
                    f"“{importer.label}”属于部门 {importer.department}，与 --department {department} 不符"
                )
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        if user:
            account = get_user_model().objects.filter(username=user, is_active=True).first()
            if account is None:
                raise CommandError(f"用户“{user}”不存在或已停用")
        else:
            account = system_user()
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
                importer,
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
