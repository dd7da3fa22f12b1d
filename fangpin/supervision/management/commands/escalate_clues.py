"""fangpin escalate-clues [--date YYYY-MM-DD]: the nightly overdue job. Every clue still being verified or
rectified whose deadline passed before the date is escalated (督办); prints how many."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from fangpin.core.changelog import change_context
from fangpin.supervision.services import clues


class Command(BaseCommand):
    help = "逾期督办：把超过整改时限仍在核查或整改中的问题线索转为已督办，并输出督办条数。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按哪一天判断逾期 YYYY-MM-DD（默认今天）")

    def handle(self, *args, **options):
        try:
            day = dt.date.fromisoformat(options["date"]) if options["date"] else clues.today()
        except ValueError as exc:
            raise CommandError(f"--date“{options['date']}”不是有效日期（YYYY-MM-DD）") from exc
        with change_context(source="command:escalate-clues"):
            count = clues.escalate_overdue(day, source="command:escalate-clues")
        if count:
            self.stdout.write(f"{day:%Y-%m-%d}：已督办 {count} 条逾期问题线索")
        else:
            self.stdout.write(f"{day:%Y-%m-%d}：没有逾期问题线索")
