"""fangpin createuser USERNAME --role ROLE --region CODE --password PASS [--department CODE]"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fangpin.accounts.roles import ROLES
from fangpin.accounts.services import create_user
from fangpin.core.changelog import change_context


class Command(BaseCommand):
    help = "创建用户并授予角色：--role " + "|".join(ROLES)

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=list(ROLES))
        parser.add_argument("--region", required=True, help="区划代码，例如 421223")
        parser.add_argument("--password", required=True)
        parser.add_argument("--department", default="", help="行业部门用户的部门代码，例如 medical_insurance")
        parser.add_argument("--name", default="", help="显示的姓名")

    def handle(self, *args, username, role, region, password, department, name, **options):
        try:
            with change_context("command:createuser"):
                user = create_user(
                    username,
                    role=role,
                    region_code=region,
                    password=password,
                    department=department,
                    display_name=name,
                )
        except ValidationError as exc:
            raise CommandError("；".join(f"{msgs[0]}" for msgs in exc.message_dict.values())) from None
        self.stdout.write(
            self.style.SUCCESS(f"已创建用户 {user.username}（{ROLES[role].label}，{user.region.full_name}）")
        )
