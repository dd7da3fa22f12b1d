"""fangpin load-regions: load Xianning's real administrative divisions (city, 6 counties, 89 townships)."""

import csv
import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from fangpin.core.changelog import change_context
from fangpin.geo.models import Region

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "data" / "xianning.csv"


class Command(BaseCommand):
    help = "载入行政区划（默认：咸宁市及其6个县级单位、89个乡级单位）。可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument(
            "file", nargs="?", default=str(DEFAULT_FILE), help="CSV: code,name,level,kind,parent,..."
        )

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        created = updated = 0
        with change_context("command:load-regions"), transaction.atomic():
            by_code = {r.code: r for r in Region.objects.all()}
            for line_no, row in enumerate(rows, start=2):
                level = row["level"]
                if level not in Region.PATH_LENGTH:
                    raise CommandError(f"第{line_no}行：层级“{level}”无效")
                if len(row["code"]) != Region.CODE_LENGTH[level] or not row["code"].isdigit():
                    raise CommandError(f"第{line_no}行：区划代码“{row['code']}”与层级不符")
                parent = by_code.get(row["parent"]) if row["parent"] else None
                if row["parent"] and parent is None:
                    raise CommandError(f"第{line_no}行：上级区划“{row['parent']}”不存在（上级须写在前面）")
                values = {
                    "name": row["name"],
                    "level": level,
                    "kind": row.get("kind", ""),
                    "parent": parent,
                    "is_poor_county": row.get("is_poor_county") == "1",
                    "poverty_exit_date": dt.date.fromisoformat(row["poverty_exit_date"])
                    if row.get("poverty_exit_date")
                    else None,
                }
                region = by_code.get(row["code"])
                if region is None:
                    region = Region(code=row["code"], **values)
                    region.save()
                    created += 1
                else:
                    for key, value in values.items():
                        setattr(region, key, value)
                    region.save()  # the change log skips saves that change nothing
                    updated += 1
                by_code[region.code] = region
        self.stdout.write(self.style.SUCCESS(f"行政区划：新增 {created} 个，核对 {updated} 个"))
