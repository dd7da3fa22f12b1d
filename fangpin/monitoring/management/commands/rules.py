"""fangpin rules check FILE... | fangpin rules list | fangpin rules schema [--write]"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fangpin.screening.compiler import Compiler
from fangpin.screening.rules import RuleSetInvalid, builtin_set_names, load_builtin, load_file
from fangpin.screening.schema import SCHEMA_FILE


class Command(BaseCommand):
    help = "检查规则文件（列出全部错误）、列出内置规则、生成引擎的输入声明。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="检查规则文件")
        check.add_argument("files", nargs="+")
        check.add_argument("--region", default="421200", help="用此区划的参数检查取值是否齐全（默认咸宁市）")
        sub.add_parser("list", help="列出内置规则")
        schema = sub.add_parser("schema", help="由登记模型与部门数据目录生成 schema.json")
        schema.add_argument("--write", action="store_true")

    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_check(self, files, region, **options):
        from fangpin.geo.models import Region
        from fangpin.monitoring.services import resolve_parameters

        problems = 0
        for path in files:
            try:
                rule_set = load_file(path)
            except RuleSetInvalid as exc:
                problems += self._report(path, exc.errors)
                continue
            others = [load_builtin(n) for n in builtin_set_names() if n != rule_set.name]
            compiler = Compiler([*others, rule_set])
            errors = [e for e in compiler.errors if self._mine(e, rule_set)]
            if not errors:
                scope = Region.objects.filter(code=region).first()
                today = timezone.localdate()
                if scope is not None:
                    keys = compiler.parameters_used(
                        [c for c in compiler.compiled if c.rule.rule_set == rule_set.name]
                    )
                    values = {k: p.value for k, p in resolve_parameters(keys, scope, today).items()}
                    try:
                        compiler.plan(today, values, {r.code for r in rule_set.rules})
                    except RuleSetInvalid as exc:
                        errors = exc.errors
            if errors:
                problems += self._report(path, errors)
            else:
                self.stdout.write(self.style.SUCCESS(f"{path}：{len(rule_set.rules)} 条规则，检查通过"))
        if problems:
            raise CommandError(f"共 {problems} 个错误")

    def _mine(self, error, rule_set) -> bool:
        codes = {f"规则 {r.code}" for r in rule_set.rules}
        names = {f"事实 {n}" for n in rule_set.facts} | {f"特征 {n}" for n in rule_set.features}
        return error.where in codes | names or not error.where.startswith(("规则 ", "事实 ", "特征 "))

    def _report(self, path, errors) -> int:
        for error in errors:
            self.stderr.write(f"{path}：{error}")
        return len(errors)

    def do_list(self, **options):
        for name in builtin_set_names():
            rule_set = load_builtin(name)
            self.stdout.write(f"{rule_set.name} {rule_set.version} {rule_set.title}")
            for rule in rule_set.rules:
                self.stdout.write(f"  {rule.code}\t{rule.subject}\t{rule.produces}\t{rule.title}")

    def do_schema(self, write, **options):
        from fangpin.monitoring.snapshot import screening_schema_json

        text = json.dumps(screening_schema_json(), ensure_ascii=False, indent=1) + "\n"
        if write:
            SCHEMA_FILE.write_text(text, encoding="utf-8")
            self.stdout.write(self.style.SUCCESS(f"已写入 {SCHEMA_FILE}"))
        else:
            self.stdout.write(text)
