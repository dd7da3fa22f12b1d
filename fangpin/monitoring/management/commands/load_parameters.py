"""fangpin load-parameters: the shipped default policy parameters (monitoring lines by year etc.)."""

from django.core.management.base import BaseCommand, CommandError

from fangpin.core.changelog import change_context
from fangpin.geo.models import Region
from fangpin.monitoring.services import load_default_parameters


class Command(BaseCommand):
    help = "载入默认政策参数（监测范围等，按区划和起始日期）；不会覆盖已修改的取值。"

    def handle(self, *args, **options):
        if not Region.objects.filter(level="province").exists():
            raise CommandError("尚未载入行政区划：请先运行 fangpin load-regions")
        with change_context("command:load-parameters"):
            created = load_default_parameters()
        self.stdout.write(self.style.SUCCESS(f"政策参数：新增 {created} 条"))
