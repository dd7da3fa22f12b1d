"""fangpin synth --scale village|township|county|city|province --seed N [--out DIR] [--region CODE]
[--as-of DATE] [--no-datasets]"""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fangpin.core.changelog import change_context
from fangpin.exchange import synthetic as datasets
from fangpin.exchange.catalogue import BY_CODE
from fangpin.geo.models import Region
from fangpin.registry import synthetic

DEFAULT_COUNTY = "421223"  # 崇阳县


class Command(BaseCommand):
    help = (
        "生成合成的咸宁户籍数据及与之一致的部门数据集（确定性：同一种子得到同一份数据）。"
        "city 及以下写入数据库；--out 写 Parquet。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", required=True, choices=["village", "township", "county", "city", "province"]
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--out", help="写 Parquet 文件到此目录，而不是写数据库")
        parser.add_argument("--region", help="乡镇代码（village/township 规模）或县代码（county 规模）")
        parser.add_argument(
            "--households-per-village",
            type=int,
            default=None,
            help="每村户数（默认 320；province 规模默认 270）",
        )
        parser.add_argument("--as-of", help="部门数据的基准日 YYYY-MM-DD（默认今天）：数据日期都不晚于此日")
        parser.add_argument("--no-datasets", action="store_true", help="只生成户籍数据，不生成部门数据集")

    def handle(self, *args, scale, seed, out, region, households_per_village, as_of, no_datasets, **options):
        try:
            as_of = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
        except ValueError as exc:
            raise CommandError(f"--as-of“{as_of}”不是有效日期（YYYY-MM-DD）") from exc
        if scale == "province" and not out:
            raise CommandError("province 规模约一千万人，只能写 Parquet：请加 --out 目录")
        per_village = households_per_village or (270 if scale == "province" else 320)
        if per_village < 1:
            raise CommandError("--households-per-village 至少为 1")
        townships = synthetic.province_townships() if scale == "province" else self._townships(scale, region)
        villages = synthetic.iter_villages(seed, townships, per_village)
        if scale == "village":
            villages = (v for i, v in zip(range(1), villages, strict=False))
        expected = 1 if scale == "village" else len(townships) * 15
        generated_villages: list[str] = []
        console = Console(stderr=True)
        started = time.perf_counter()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("生成村", total=expected)

            def progress(village, persons):
                generated_villages.append(village.code)
                bar.update(task, advance=1, description=f"{village.name} {persons} 人")

            if out:
                counts = synthetic.write_parquet(villages, out, progress=progress)
            else:
                with change_context("command:synth"):
                    counts = synthetic.write_database(villages, progress=progress)
        seconds = time.perf_counter() - started
        rows = counts["households"] + counts["persons"] + counts["incomes"]
        where = out or "数据库"
        skipped = (
            f"，已存在而跳过 {counts['skipped_villages']} 个村" if counts.get("skipped_villages") else ""
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"合成数据（{scale}，种子 {seed}）→ {where}：{counts['villages']} 个村，{counts['households']:,} 户，"
                f"{counts['persons']:,} 人，{counts['incomes']:,} 条收入{skipped}；用时 {seconds:.1f} 秒"
                f"（{rows / max(seconds, 1e-9):,.0f} 行/秒）"
            )
        )
        if no_datasets:
            return
        if out:
            self._datasets_parquet(out, seed, as_of, console)
        else:
            root = self._root(scale, townships, generated_villages)
            if root is not None:
                self._datasets_database(root, seed, as_of, console)

    def _root(self, scale: str, townships: list[tuple[str, str]], villages: list[str]):
        """The region the deliveries are recorded for: the synthesized area's root."""
        if scale == "village":
            return Region.objects.filter(code__in=villages[:1]).first()
        if scale == "township":
            return Region.objects.get(code=townships[0][0])
        county = Region.objects.get(code=townships[0][1])
        return county if scale == "county" else county.parent

    def _generate(self, persons, households, seed, as_of, console):
        with console.status("生成部门数据集"):
            return datasets.generate(persons, households, seed=seed, as_of=as_of)

    def _datasets_parquet(self, out, seed, as_of, console):
        started = time.perf_counter()
        persons, households = datasets.read_registry_parquet(out)
        generated = self._generate(persons, households, seed, as_of, console)
        del persons, households
        datasets.write_parquet_datasets(generated.tables, out)
        lines = [(code, f"{table.num_rows:,} 行") for code, table in generated.tables.items()]
        self._report(lines, generated, f"{out}/datasets", as_of, time.perf_counter() - started)

    def _datasets_database(self, root, seed, as_of, console):
        started = time.perf_counter()
        if datasets.delivered_kinds(root) >= set(BY_CODE):
            self.stdout.write(f"部门数据集：{root.name}已有全部 {len(BY_CODE)} 类合成数据，未重新生成")
            return
        with change_context("command:synth"):
            persons, households = datasets.read_registry(root)
            generated = self._generate(persons, households, seed, as_of, console)
            del persons, households
            with console.status("写入部门数据集并匹配登记人员"):
                saved = datasets.save_datasets(generated.tables, region=root, seed=seed)
        lines = [
            (
                s.kind.code,
                f"{s.rows:,} 行，匹配到登记人员 {s.dataset.matched_count:,} 行"
                if s.dataset
                else "已存在而跳过",
            )
            for s in saved
        ]
        self._report(lines, generated, f"数据库（{root.name}）", as_of, time.perf_counter() - started)

    def _report(self, lines, generated, where, as_of, seconds):
        total = sum(t.num_rows for t in generated.tables.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"部门数据集（基准日 {as_of}）→ {where}：{len(lines)} 类，共 {total:,} 行；用时 {seconds:.1f} 秒"
            )
        )
        for code, detail in lines:
            kind = BY_CODE[code]
            self.stdout.write(f"  {kind.department_label}·{kind.name}（{code}）：{detail}")
        planted = "，".join(f"{rule} {len(ids)}" for rule, ids in generated.planted.items())
        self.stdout.write(f"  植入的预期命中（按规则）：{planted or '无'}")

    def _townships(self, scale: str, region_code: str | None) -> list[tuple[str, str]]:
        if not Region.objects.filter(level="county").exists():
            raise CommandError("尚未载入行政区划：请先运行 fangpin load-regions")
        rural = [
            t
            for t in Region.objects.filter(level="township").select_related("parent").order_by("code")
            if synthetic.is_rural_township(t.code)
        ]
        if scale == "city":
            return [(t.code, t.parent.code) for t in rural]
        if scale == "county":
            code = region_code or DEFAULT_COUNTY
            chosen = [(t.code, t.parent.code) for t in rural if t.parent.code == code]
            if not chosen:
                raise CommandError(f"县级区划“{code}”不存在或没有乡镇")
            return chosen
        code = region_code or next(t.code for t in rural if t.parent.code == DEFAULT_COUNTY)
        chosen = [(t.code, t.parent.code) for t in rural if t.code == code]
        if not chosen:
            raise CommandError(f"乡镇“{code}”不存在，或不是有农村的乡镇（镇、乡）")
        return chosen
