"""fangpin screen [--as-of DATE] [--rules SET|FILE] [--region CODE] [--engine duckdb|spark] [--output FILE]
[--preview NEW_RULES] [--set KEY=VALUE ...] [--queued]"""

import datetime as dt
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fangpin.core.changelog import change_context
from fangpin.geo.models import Region
from fangpin.monitoring import services
from fangpin.monitoring.models import ScreeningRun
from fangpin.screening.rules import RuleSetInvalid, builtin_set_names, load_builtin, load_file

DEFAULT_REGION = "421200"  # 咸宁市


class Command(BaseCommand):
    help = "运行动态监测筛查：导出登记数据快照，按规则集比对部门数据，写入预警（或 --output 写文件、--preview 预览变化）。"

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="筛查基准日 YYYY-MM-DD（默认今天）")
        parser.add_argument(
            "--rules", action="append", help="内置规则集名称或规则文件路径（可多次；默认全部内置规则集）"
        )
        parser.add_argument("--region", default=DEFAULT_REGION, help="区划代码（默认咸宁市 421200）")
        parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
        parser.add_argument("--spark-master", help="Spark master URL（默认 local[2]）")
        parser.add_argument("--output", help="把命中写到 .csv 或 .parquet 文件，不写数据库")
        parser.add_argument("--preview", help="新规则文件：按村列出将新增和将不再预警的户（不写数据库）")
        parser.add_argument(
            "--set", action="append", default=[], metavar="KEY=VALUE", help="预览时改用的参数取值"
        )
        parser.add_argument("--queued", action="store_true", help="运行因重启而仍在排队的网页发起的筛查")

    def handle(self, *args, **o):
        console = Console(stderr=True)
        if o["queued"]:
            for run in ScreeningRun.objects.filter(status=ScreeningRun.Status.QUEUED).select_related(
                "region"
            ):
                services.execute_run(run)
                self.stdout.write(f"筛查批次 {run.pk}：{run.message}")
            return
        region = Region.objects.filter(code=o["region"]).first()
        if region is None:
            raise CommandError(f"区划“{o['region']}”不存在")
        try:
            as_of = dt.date.fromisoformat(o["as_of"]) if o["as_of"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--as-of“{o['as_of']}”不是有效日期（YYYY-MM-DD）") from exc
        try:
            rule_sets = self._rule_sets(o["rules"])
            if o["preview"]:
                return self._preview(region, as_of, o)
            if o["output"]:
                return self._output(rule_sets, region, as_of, o, console)
            return self._run(rule_sets, region, as_of, o, console)
        except RuleSetInvalid as exc:
            raise CommandError("规则有错误：\n" + "\n".join(str(e) for e in exc.errors)) from exc

    def _rule_sets(self, specs):
        if not specs:
            return [load_builtin(n) for n in builtin_set_names()]
        out = []
        for spec in specs:
            if spec in builtin_set_names():
                out.append(load_builtin(spec))
            elif Path(spec).is_file():
                out.append(load_file(spec))
            else:
                raise CommandError(
                    f"--rules“{spec}”既不是内置规则集（{'、'.join(builtin_set_names())}）也不是文件"
                )
        return out

    def _progress(self, console):
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )

    def _output(self, rule_sets, region, as_of, o, console):
        path = Path(o["output"])
        if path.suffix not in (".csv", ".parquet"):
            raise CommandError("--output 只能是 .csv 或 .parquet 文件")
        started = time.perf_counter()
        with self._progress(console) as bar:
            task = bar.add_task("筛查", total=None)
            outcome = services.evaluate(
                rule_sets,
                region,
                as_of,
                engine=o["engine"],
                spark_master=o["spark_master"],
                progress=lambda done, total, code: bar.update(
                    task, completed=done, total=total, description=code
                ),
            )
        hits = outcome.hits
        table = pa.table(
            {
                "rule": hits.column("rule"),
                "subject": hits.column("subject"),
                "household_number": hits.column("household_number"),
                "id_number": hits.column("id_number"),
                "region": hits.column("region"),
                "as_of": hits.column("as_of"),
                "explanation": hits.column("explanation"),
                "evidence": hits.column("evidence"),
            }
        )
        if path.suffix == ".csv":
            pacsv.write_csv(table, path)
        else:
            pq.write_table(table, path)
        self._summary(outcome, time.perf_counter() - started, f"写入 {path}")

    def _run(self, rule_sets, region, as_of, o, console):
        started = time.perf_counter()
        with change_context("command:screen"):
            run = services.start_run(
                user=None,
                region=region,
                as_of=as_of,
                rule_sets=rule_sets,
                engine=o["engine"],
                source="command:screen",
            )
            with self._progress(console) as bar:
                task = bar.add_task("筛查", total=None)
                services.execute_run(
                    run,
                    spark_master=o["spark_master"],
                    progress=lambda done, total, code: bar.update(
                        task, completed=done, total=total, description=code
                    ),
                )
        run.refresh_from_db()
        seconds = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"筛查批次 {run.pk}（{region.name}，基准日 {as_of}，{o['engine']}）：{run.summary.get('households', 0):,} 户，"
                f"{sum(run.counts.values()):,} 条命中；{run.message}；用时 {seconds:.1f} 秒"
            )
        )
        for code, skipped in sorted(run.summary.get("skipped", {}).items()):
            self.stdout.write(self.style.WARNING(f"  {code} 未运行：缺少部门数据 {'、'.join(skipped)}"))

    def _summary(self, outcome, seconds, where):
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(outcome.households):,} 户，{outcome.hits.num_rows:,} 条命中，{where}；用时 {seconds:.1f} 秒"
            )
        )
        for code, skipped in sorted(outcome.skipped.items()):
            self.stdout.write(self.style.WARNING(f"  {code} 未运行：缺少部门数据 {'、'.join(skipped)}"))

    def _preview(self, region, as_of, o):
        new_sets = [load_file(o["preview"])] if o["preview"] != "-" else []
        overrides = {}
        for item in o["set"]:
            key, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"--set“{item}”应写成 KEY=VALUE")
            overrides[key.strip()] = value.strip()
        rows = services.preview(region, as_of, new_rule_sets=new_sets, parameter_overrides=overrides)
        if not rows:
            self.stdout.write("没有变化：新旧规则对每一户的结论相同。")
            return
        for row in rows:
            name = row.village.name if row.village else row.village_code
            self.stdout.write(
                f"{row.village_code} {name}：新增预警 {len(row.new)} 户，不再预警 {len(row.gone)} 户"
            )
            for entry in row.new:
                self.stdout.write(f"  + {entry['number']}  {'、'.join(entry['rules'])}")
            for entry in row.gone:
                self.stdout.write(f"  - {entry['number']}  {'、'.join(entry['rules'])}")
        new = sum(len(r.new) for r in rows)
        gone = sum(len(r.gone) for r in rows)
        self.stdout.write(self.style.SUCCESS(f"合计：新增 {new} 户，不再预警 {gone} 户"))
