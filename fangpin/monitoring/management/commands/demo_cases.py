"""fangpin demo-cases [--region CODE] [--seed N] [--share 0.12]: the demo's monitoring cases, made by the services."""

import time

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fangpin.core.changelog import change_context
from fangpin.geo.models import Region
from fangpin.monitoring.demo_cases import build
from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.services.workflow import MissingParameter
from fangpin.registry.models import Household

DEFAULT_REGION = "421200"  # 咸宁市


class Command(BaseCommand):
    help = (
        "为演示生成监测对象：按种子确定性地选户（先转预警为线索，再加干部排查和自主申报），由各环节的责任角色"
        "通过业务服务逐步办理到各个环节，使监测对象约占脱贫人口的 --share；已有监测记录的户跳过，重复运行不重复生成。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--region", default=DEFAULT_REGION, help="区划代码（默认咸宁市 421200）")
        parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）")
        parser.add_argument(
            "--share", type=float, default=0.12, help="已识别监测对象人口占脱贫人口的比例（默认 0.12）"
        )

    def handle(self, *args, region, seed, share, **options):
        if not 0 < share <= 1:
            raise CommandError("--share 应在 0 到 1 之间，例如 0.12")
        root = Region.objects.filter(code=region).first()
        if root is None:
            raise CommandError(f"区划“{region}”不存在，请先运行 fangpin load-regions")
        if not Household.objects.filter(region__path__startswith=root.path).exists():
            raise CommandError(f"{root.name}还没有农户，请先运行 fangpin synth")
        console = Console(stderr=True)
        started = time.perf_counter()
        with (
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as bar,
            change_context("command:demo-cases"),
        ):
            task = bar.add_task("选户", total=None)
            try:
                summary = build(
                    root,
                    seed=seed,
                    share=share,
                    progress=lambda label, done, total: bar.update(
                        task, description=label, completed=done, total=total
                    ),
                )
            except MissingParameter as exc:
                raise CommandError(f"{exc}（请先运行 fangpin load-parameters）") from exc
        seconds = time.perf_counter() - started
        created = sum(summary.created.values())
        if not created:
            self.stdout.write(
                f"没有新增监测对象：{root.name}已识别监测对象 {summary.identified_persons:,} 人，"
                f"占脱贫人口 {summary.share:.1%}（已达到 {share:.0%} 或没有可选的户）"
            )
            return
        table = Table(title=f"演示监测对象（{root.name}，种子 {seed}）")
        table.add_column("状态")
        table.add_column("户数", justify="right")
        for status, label in MonitoringCase.Status.choices:
            if summary.created[status]:
                table.add_row(label, f"{summary.created[status]:,}")
        Console().print(table)
        for reason in summary.refused[:5]:
            self.stdout.write(self.style.WARNING(f"  未通过风险消除条件，继续监测：{reason}"))
        accounts = f"；新建经办账号 {summary.users_created} 个" if summary.users_created else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"新增监测对象 {created:,} 户{accounts}；已识别监测对象 {summary.identified_persons:,} 人，"
                f"占脱贫人口 {summary.registered_poor_persons:,} 人的 {summary.share:.1%}；用时 {seconds:.1f} 秒"
            )
        )
