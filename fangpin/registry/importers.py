"""The registry spreadsheet: households with their members, one row per member (household fields repeated), in
the column names of the national monitoring exports. Used for import, export and the blank template.

Every value goes through the same model rules as the web forms (Household.clean, Person.clean, the ID
validators), every row is checked before anything is written, and writes go through the registry services
(permissions, scope re-check, change log).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from fangpin.core import changelog
from fangpin.core.importing import Importer, Plan, RowError, register
from fangpin.core.spreadsheets import Column, Table
from fangpin.core.validators import normalize_digits
from fangpin.geo.models import Region
from fangpin.registry import services
from fangpin.registry.choices import Health, Relation
from fangpin.registry.models import (
    HOUSEHOLD_DATA_FIELDS,
    PERSON_DATA_FIELDS,
    Household,
    HouseholdIncome,
    Person,
)

HOUSEHOLD_FIELDS = HOUSEHOLD_DATA_FIELDS
REQUIRED = {"number", "region", "household_type", "id_number", "name", "relation", "labour_skill"}
ALIASES = {
    "number": ("户编码",),
    "region": ("村代码", "行政区划代码", "村（社区）代码"),
    "phone": ("联系电话",),
    "id_number": ("证件号码", "公民身份号码"),
    "relation": ("与户主关系",),
    "health": ("健康状况",),
}
YES, NO = {"是", "y", "yes", "true", "1", "√"}, {"否", "n", "no", "false", "0", "×", ""}


def _header(model: type[models.Model], name: str) -> str:
    if name == "region":
        return "村（区划代码）"
    return str(model._meta.get_field(name).verbose_name)


def _labels(model, name) -> tuple[str, ...]:
    f = model._meta.get_field(name)
    if isinstance(f, models.BooleanField):
        return ("是", "否")
    return tuple(str(label) for code, label in f.flatchoices if code not in ("", None)) if f.choices else ()


COLUMNS: tuple[Column, ...] = (
    *(
        Column(n, _header(Household, n), ALIASES.get(n, ()), n in REQUIRED, choices=_labels(Household, n))
        for n in HOUSEHOLD_FIELDS
    ),
    *(
        Column(n, _header(Person, n), ALIASES.get(n, ()), n in REQUIRED, choices=_labels(Person, n))
        for n in PERSON_DATA_FIELDS
    ),
    Column(
        "health", "健康状况", (), False, help="可多选，用顿号或逗号分隔：健康、长期慢性病、患有大病、残疾"
    ),
)


def to_python(model: type[models.Model], name: str, raw: Any) -> Any:
    """A cell as the field's value: labels or codes for choices, 是/否 for yes-no, whole numbers for counts."""
    f = model._meta.get_field(name)
    text = "" if raw is None else str(raw).strip()
    if isinstance(f, models.BooleanField):
        if text.lower() in YES:
            return True
        if text.lower() in NO:
            return None if f.null and text == "" else False
        raise ValidationError("应填“是”或“否”")
    if f.choices:
        if text == "":
            return None if f.null else ""
        by_label = {str(label): code for code, label in f.flatchoices}
        codes = {str(code): code for code, _ in f.flatchoices}
        if text in by_label:
            return by_label[text]
        if text in codes:
            return codes[text]
        raise ValidationError(f"不是有效的选项，可选：{'、'.join(label for label in by_label if label)}")
    if isinstance(f, models.IntegerField):
        if text == "":
            return None if f.null else 0
        try:
            number = float(text)
        except ValueError:
            raise ValidationError("应填数字") from None
        if not number.is_integer():
            raise ValidationError("应填整数")
        return int(number)
    return normalize_digits(text) if name in ("id_number", "disability_card", "phone") else text


def parse_health(raw: Any) -> list[str]:
    text = str(raw or "").strip()
    if not text:
        return [Health.HEALTHY]
    by_label = {str(label): code for code, label in Health.choices} | {c: c for c in Health.values}
    parts = [p.strip() for p in text.replace("，", "、").replace(",", "、").split("、") if p.strip()]
    unknown = [p for p in parts if p not in by_label]
    if unknown:
        raise ValidationError(f"不是有效的健康状况：{'、'.join(unknown)}")
    return [by_label[p] for p in parts]


@register
class RegistryImporter(Importer):
    kind = "registry"
    label = "户籍信息（农户及家庭成员）"
    permission = "registry.add_person"
    columns = COLUMNS

    def prepare(self, table: Table, user: Any) -> Plan:
        plan = Plan(headers=table.headers)
        header = {c.field: table.headers.get(c.field, c.header) for c in COLUMNS}

        def fail(line, field_name, reason):
            plan.errors.append(
                RowError(
                    line, header.get(field_name, field_name), plan.rows[line].get(field_name, ""), reason
                )
            )

        def fail_all(line, exc: ValidationError):
            for name, messages in exc.message_dict.items():
                fail(line, name if name != "__all__" else "relation", messages[0])

        villages = {r.code: r for r in Region.objects.visible_to(user).filter(level=Region.Level.VILLAGE)}
        household_rows: dict[str, list[int]] = defaultdict(list)
        parsed: dict[int, tuple[dict, dict]] = {}
        for line, raw in table.rows:
            plan.rows[line] = raw
            hh, person = {}, {}
            for name in HOUSEHOLD_FIELDS:
                if name in raw and name != "region":
                    try:
                        hh[name] = to_python(Household, name, raw[name])
                    except ValidationError as exc:
                        fail(line, name, exc.messages[0])
            for name in PERSON_DATA_FIELDS:
                if name in raw:
                    try:
                        person[name] = to_python(Person, name, raw[name])
                    except ValidationError as exc:
                        fail(line, name, exc.messages[0])
            try:
                person["health"] = parse_health(raw.get("health"))
            except ValidationError as exc:
                fail(line, "health", exc.messages[0])
            code = normalize_digits(raw.get("region", ""))
            if code not in villages:
                fail(line, "region", "村代码不存在或不在您的管辖范围内")
            hh["region"] = villages.get(code)
            if not hh.get("number"):
                fail(line, "number", "必须填写")
                continue
            household_rows[hh["number"]].append(line)
            parsed[line] = (hh, person)

        numbers = list(household_rows)
        existing = {
            h.number: h for h in Household.objects.filter(number__in=numbers).select_related("region")
        }
        visible = set(
            Household.objects.visible_to(user).filter(number__in=numbers).values_list("number", flat=True)
        )
        ids = [p.get("id_number") for _, p in parsed.values() if p.get("id_number")]
        people = {
            p.id_number: p for p in Person.objects.filter(id_number__in=ids).select_related("household")
        }
        seen_ids: dict[str, int] = {}
        for number, lines in household_rows.items():
            first_hh = parsed[lines[0]][0]
            for line in lines[1:]:
                for name, value in parsed[line][0].items():
                    if value != first_hh.get(name):
                        fail(
                            line,
                            name,
                            f"同一户的各行应一致（第{lines[0]}行为“{plan.rows[lines[0]].get(name, '')}”）",
                        )
            household = existing.get(number)
            if household is not None and number not in visible:
                fail(lines[0], "number", "该户编号已登记在您管辖范围以外的村")
                continue
            household = household or Household(number=number)
            for name, value in first_hh.items():
                if value is not None or Household._meta.get_field(name).null:
                    setattr(household, name, value)
            if household.region_id is None:
                continue
            try:
                household.full_clean(validate_unique=False)
            except ValidationError as exc:
                fail_all(lines[0], exc)
            members = []
            for line in lines:
                values = parsed[line][1]
                number_id = values.get("id_number", "")
                if number_id in seen_ids:
                    fail(line, "id_number", f"与第{seen_ids[number_id]}行重复")
                    continue
                seen_ids[number_id] = line
                person = people.get(number_id)
                if person is not None and person.household.number != number:
                    fail(line, "id_number", "该身份证号码已登记在其他户")
                    continue
                person = person or Person()
                health = values.pop("health", [Health.HEALTHY])
                for name, value in values.items():
                    setattr(person, name, value)
                try:
                    person.health = health
                    person.full_clean(exclude=["household"], validate_unique=False)
                except ValidationError as exc:
                    fail_all(line, exc)
                members.append((line, person))
            self._check_family(household, members, fail)
            plan.items.append((household, members))
        return plan

    @staticmethod
    def _check_family(household: Household, members: list[tuple[int, Person]], fail) -> None:
        """One head, at most one spouse, spouses of different sexes — counting members already registered."""
        in_file = {p.id_number for _, p in members}
        others = (
            [] if household.pk is None else [p for p in household.members.all() if p.id_number not in in_file]
        )
        everyone = [(None, p) for p in others] + members
        heads = [(line, p) for line, p in everyone if p.relation == Relation.HEAD]
        spouses = [(line, p) for line, p in everyone if p.relation == Relation.SPOUSE]
        for line, _ in heads[1:]:
            if line:
                fail(line, "relation", "该户已有户主，一户只能有一名户主")
        for line, _ in spouses[1:]:
            if line:
                fail(line, "relation", "该户已有配偶，一户最多一名配偶")
        if not heads and members:
            fail(members[0][0], "relation", "该户没有户主")
        if heads and spouses and heads[0][1].sex == spouses[0][1].sex:
            line = spouses[0][0] or heads[0][0]
            if line:
                fail(line, "relation", "户主与配偶的性别不能相同")

    def write(self, plan: Plan, user: Any) -> dict[str, int]:
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        for household, members in plan.items:
            before = (
                None
                if household.pk is None
                else changelog.serialize(Household._base_manager.get(pk=household.pk))
            )
            if before is None or before != changelog.serialize(household):
                services.save_household(household, user=user)
            # The head first, so that a spouse's sex is checked against the head it joins.
            for _, person in sorted(members, key=lambda m: m[1].relation != Relation.HEAD):
                person.household = household
                old = (
                    None if person.pk is None else changelog.serialize(Person._base_manager.get(pk=person.pk))
                )
                if old is None:
                    counts["created"] += 1
                elif old == changelog.serialize(person):
                    counts["unchanged"] += 1
                    continue
                else:
                    counts["updated"] += 1
                services.save_person(person, user=user)
        return counts


INCOME_FIELDS = (
    "year",
    "wage",
    "business",
    "property",
    "transfer",
    "business_cost",
    "claims_income",
    "compliant_out_of_pocket",
)
INCOME_COLUMNS: tuple[Column, ...] = (
    Column("number", "户编号", ALIASES["number"], True),
    *(Column(n, _header(HouseholdIncome, n), (), n == "year") for n in INCOME_FIELDS),
)


@register
class IncomeImporter(Importer):
    """家庭年度收入: one row per household and year; an existing (household, year) row is updated."""

    kind = "incomes"
    label = "家庭年度收入"
    permission = "registry.add_householdincome"
    columns = INCOME_COLUMNS

    def prepare(self, table: Table, user: Any) -> Plan:
        plan = Plan(headers=table.headers)
        header = {c.field: table.headers.get(c.field, c.header) for c in INCOME_COLUMNS}
        lines: list[tuple[int, dict]] = []
        for line, raw in table.rows:
            plan.rows[line] = raw
            lines.append((line, raw))
        numbers = {str(raw.get("number", "")).strip() for _, raw in lines}
        households = {h.number: h for h in Household.objects.visible_to(user).filter(number__in=numbers)}
        seen: dict[tuple[str, Any], int] = {}
        for line, raw in lines:

            def fail(name, reason, line=line, raw=raw):
                plan.errors.append(RowError(line, header.get(name, name), raw.get(name, ""), reason))

            number = str(raw.get("number", "")).strip()
            household = households.get(number)
            if household is None:
                fail("number", "户编号不存在或不在您的管辖范围内")
                continue
            values = {}
            for name in INCOME_FIELDS:
                text = str(raw.get(name, "") if raw.get(name) is not None else "").strip().replace(",", "")
                if name == "year":
                    if not text.isdigit():
                        fail(name, "应填四位年份")
                        continue
                    values[name] = int(text)
                else:
                    try:
                        values[name] = Decimal(text or "0")
                    except InvalidOperation:
                        fail(name, "应填金额（数字）")
            if "year" not in values:
                continue
            key = (number, values["year"])
            if key in seen:
                fail("year", f"与第{seen[key]}行重复（同一户同一年度）")
                continue
            seen[key] = line
            income = HouseholdIncome.objects.filter(household=household, year=values["year"]).first()
            income = income or HouseholdIncome(household=household)
            for name, value in values.items():
                setattr(income, name, value)
            try:
                income.full_clean(validate_unique=False)
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    fail(name if name in header else "year", messages[0])
                continue
            plan.items.append(income)
        return plan

    def write(self, plan: Plan, user: Any) -> dict[str, int]:
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        for income in plan.items:
            if income.pk is None:
                counts["created"] += 1
            else:
                stored = HouseholdIncome._base_manager.get(pk=income.pk)
                if all(getattr(stored, n) == getattr(income, n) for n in INCOME_FIELDS):
                    counts["unchanged"] += 1
                    continue
                counts["updated"] += 1
            services.save_income(income, user=user)
        return counts


def registry_rows(households, user) -> tuple[list[str], Any]:
    """Export in the import layout: one row per member, household fields repeated, labels not codes."""
    from fangpin.core.privacy import shown

    header = [c.header for c in COLUMNS]

    def display(model, obj, name):
        if name == "region":
            return obj.region.code
        value = getattr(obj, name)
        f = model._meta.get_field(name)
        if isinstance(f, models.BooleanField):
            return "" if value is None else ("是" if value else "否")
        if f.choices and value not in (None, ""):
            return str(dict(f.flatchoices).get(value, value))
        if name in ("id_number", "phone"):
            return shown(value, name, user)
        return "" if value is None else value

    def person_row(household, person):
        return (
            [display(Household, household, n) for n in HOUSEHOLD_FIELDS]
            + [display(Person, person, n) for n in PERSON_DATA_FIELDS]
            + ["、".join(str(Health(c).label) for c in person.health)]
        )

    def rows():
        if households.model is Person:  # a list of persons: one row each, with their household's fields
            for person in households.select_related("household__region"):
                yield person_row(person.household, person)
            return
        for household in households.select_related("region").prefetch_related("members"):
            for person in household.members.all():
                yield person_row(household, person)

    return header, rows()
