"""fangpin run-imports: process import batches left queued (e.g. by a server restart)."""

from django.core.management.base import BaseCommand

from fangpin.core.importing import run_queued
from fangpin.core.models import ImportBatch


class Command(BaseCommand):
    help = "处理排队中的导入批次（服务器重启后遗留的后台导入）"

    def handle(self, *args, **options):
        queued = list(
            ImportBatch.objects.filter(status=ImportBatch.Status.QUEUED).values_list("pk", flat=True)
        )
        for pk in queued:
            batch = run_queued(pk)
            if batch is not None:
                self.stdout.write(f"批次 {batch.pk}：{batch.get_status_display()}，{batch.message}")
        self.stdout.write(self.style.SUCCESS(f"处理了 {len(queued)} 个排队中的批次"))
