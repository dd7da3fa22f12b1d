"""fangpin demo-users: one demo account per role and level for the demo county, printed as a table."""

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from fangpin.accounts.models import Department, User
from fangpin.accounts.roles import ROLES
from fangpin.accounts.services import create_user
from fangpin.core.changelog import change_context
from fangpin.geo.models import Region

PASSWORD = "fangpin-demo"


class Command(BaseCommand):
    help = "为演示县创建各角色演示账号（已存在的跳过）并打印"

    def add_arguments(self, parser):
        parser.add_argument("--county", default="421223", help="演示县区划代码（默认崇阳县）")

    def handle(self, *args, county, **options):
        county_region = Region.objects.filter(code=county, level="county").first()
        if county_region is None:
            raise CommandError(f"县级区划“{county}”不存在，请先运行 fangpin load-regions")
        village = (
            Region.objects.filter(level="village", path__startswith=county_region.path)
            .order_by("code")
            .first()
        )
        if village is None:
            raise CommandError("该县还没有村，请先运行 fangpin synth --scale county")
        township = village.parent
        city = county_region.parent
        plan = [
            ("demo_city", "city", city, ""),
            ("demo_county", "county", county_region, ""),
            ("demo_township", "township", township, ""),
            ("demo_village", "village", village, ""),
            ("demo_medical", "department", county_region, "medical_insurance"),
            ("demo_civil", "department", county_region, "civil_affairs"),
            ("demo_supervisor", "supervisor", county_region, ""),
            ("demo_leader", "leader", city, ""),
        ]
        table = Table(title=f"演示账号（密码均为 {PASSWORD}）")
        for column in ("用户名", "角色", "区划"):
            table.add_column(column)
        with change_context("command:demo-users"):
            for username, role, region, department in plan:
                if not User.objects.filter(username=username).exists():
                    create_user(
                        username, role=role, region_code=region.code, password=PASSWORD, department=department
                    )
                table.add_row(
                    username,
                    ROLES[role].label + (f"（{Department(department).label}）" if department else ""),
                    region.full_name,
                )
        Console().print(table)
