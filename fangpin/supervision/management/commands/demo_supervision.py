"""fangpin demo-supervision [--county CODE] [--seed N] [--size N]: the demo's problem clues, visits, assessment
and talks, made by the services (see fangpin.supervision.demo)."""

import time

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from fangpin.core.changelog import change_context
from fangpin.geo.models import Region
from fangpin.supervision.demo import build

LABELS = {
    "clues": "问题线索",
    "batches": "交办批次",
    "escalated": "逾期督办",
    "visits": "遍访记录",
    "assessed": "考核单位",
    "talks": "约谈记录",
}


class Command(BaseCommand):
    help = (
        "为演示县生成监督检查数据：由比对结果生成问题线索，分批交办给乡镇和县直行业部门，由各环节责任人通过业务服务"
        "办理到各个环节；登记遍访；设置年度考核指标并计算考核结果；对须约谈单位登记约谈。已有问题线索的县跳过。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--county", default="421223", help="演示县区划代码（默认崇阳县）")
        parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）")
        parser.add_argument("--size", type=int, default=60, help="生成的问题线索数（默认 60）")

    def handle(self, *args, county, seed, size, **options):
        region = Region.objects.filter(code=county, level="county").first()
        if region is None:
            raise CommandError(f"县级区划“{county}”不存在，请先运行 fangpin load-regions")
        if size < 1:
            raise CommandError("--size 应为正整数")
        started = time.perf_counter()
        with change_context("command:demo-supervision"):
            made = build(region, seed=seed, size=size)
        if not made:
            self.stdout.write(
                f"没有新增：{region.name}已有问题线索，或还没有比对结果（请先运行 fangpin screen）"
            )
            return
        table = Table(
            title=f"演示监督检查数据（{region.name}，种子 {seed}，{time.perf_counter() - started:.1f} 秒）"
        )
        table.add_column("内容")
        table.add_column("数量", justify="right")
        for key, label in LABELS.items():
            table.add_row(label, f"{made[key]:,}")
        Console().print(table)
