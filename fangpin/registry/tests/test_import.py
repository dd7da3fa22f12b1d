"""Registry import: every error class gives its message and writes nothing; a corrected file imports; the same
file twice changes nothing; a village cadre cannot import into another village; export → import round-trips."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from fangpin.core import changelog
from fangpin.core.importing import run_import
from fangpin.core.models import ImportBatch, ObjectChange
from fangpin.core.testing import make_id_number, xlsx_file, xlsx_rows
from fangpin.registry.importers import IncomeImporter, RegistryImporter, registry_rows
from fangpin.registry.models import Household, HouseholdIncome, Person

xlsx = xlsx_file


HEADER = [
    "户编号",
    "村（区划代码）",
    "户类型",
    "脱贫年度",
    "户联系电话",
    "姓名",
    "身份证号码",
    "与户主关系",
    "文化程度",
    "劳动技能",
    "参加城乡居民基本医疗保险",
    "健康状况",
]


def family(village, number="421223104201990001", bad_phone=False):
    head = make_id_number(village.code[:6], __import__("datetime").date(1970, 1, 1), "male")
    wife = make_id_number(village.code[:6], __import__("datetime").date(1972, 2, 2), "female")
    son = make_id_number(village.code[:6], __import__("datetime").date(1998, 3, 3), "male")
    phone = "1397210000" if bad_phone else "13972100000"
    return [
        [
            number,
            village.code,
            "一般农户",
            "",
            phone,
            "王大山",
            head,
            "户主",
            "初中",
            "普通劳动力",
            "是",
            "健康",
        ],
        [
            number,
            village.code,
            "一般农户",
            "",
            phone,
            "李小花",
            wife,
            "配偶",
            "小学",
            "普通劳动力",
            "是",
            "长期慢性病",
        ],
        [number, village.code, "一般农户", "", phone, "王小山", son, "之子", "高中", "技能劳动力", "是", ""],
    ]


def snapshot():
    return (Household.objects.count(), Person.objects.count(), ObjectChange.objects.count())


def test_a_bad_row_stops_the_whole_file_and_the_fixed_file_imports(cast, tree):
    user = cast["village_cadre"]
    rows = family(tree.village_a)
    rows[2][6] = rows[2][6][:-1] + ("0" if rows[2][6][-1] != "0" else "1")  # break the son's check digit
    before = snapshot()
    batch = run_import(RegistryImporter(), xlsx(HEADER, rows), "户籍.xlsx", user=user)
    assert batch.status == ImportBatch.Status.FAILED and batch.rows_failed == 1
    assert "第4行" in batch.message and "身份证号码" in batch.message
    assert snapshot()[:2] == before[:2]
    errors = xlsx_rows(batch.error_file.read())
    assert errors[0][-1] == "错误说明" and len(errors) == 2
    assert errors[1][5] == "王小山" and "校验位" in errors[1][-1]

    rows = family(tree.village_a)
    fixed = run_import(RegistryImporter(), xlsx(HEADER, rows), "户籍.xlsx", user=user)
    assert fixed.status == ImportBatch.Status.SUCCEEDED, fixed.message
    household = Household.objects.get(number="421223104201990001")
    assert (household.member_count, household.head_name) == (3, "王大山")
    assert household.members.get(name="李小花").chronic_disease
    assert ObjectChange.objects.filter(source=f"import:{fixed.pk}", user=user).count() >= 4


def test_the_same_file_twice_changes_nothing(cast, tree):
    user = cast["village_cadre"]
    rows = family(tree.village_a)
    content = xlsx(HEADER, rows).getvalue()
    first = run_import(RegistryImporter(), io.BytesIO(content), "a.xlsx", user=user)
    assert first.status == ImportBatch.Status.SUCCEEDED
    before = snapshot()
    again = run_import(RegistryImporter(), io.BytesIO(content), "a.xlsx", user=user)
    assert again.status == ImportBatch.Status.UNCHANGED and str(first.pk) in again.message
    assert snapshot() == before
    # The same rows in another file (other bytes, same natural keys): validated, nothing changes.
    other = xlsx(HEADER + ["家庭住址"], [r + [""] for r in rows])
    third = run_import(RegistryImporter(), other, "b.xlsx", user=user)
    assert third.status == ImportBatch.Status.SUCCEEDED, third.message
    assert (third.created, third.updated) == (0, 0)
    assert snapshot() == before


def test_village_cadre_cannot_import_into_another_village(cast, tree):
    rows = family(tree.village_a) + family(tree.village_b, number="421223104202990001")
    before = snapshot()
    batch = run_import(RegistryImporter(), xlsx(HEADER, rows), "x.xlsx", user=cast["village_cadre"])
    assert batch.status == ImportBatch.Status.FAILED and "管辖范围" in batch.message
    assert snapshot()[:2] == before[:2]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.xlsx", lambda: xlsx(HEADER + ["身高"], []).getvalue(), "无法识别的表头：身高"),
        (
            "a.xlsx",
            lambda: xlsx([h for h in HEADER if h != "身份证号码"], []).getvalue(),
            "缺少必填列：身份证号码",
        ),
        ("a.csv", lambda: b"", "空"),
        ("a.xlsx", lambda: b"PK\x03\x04 this is not really a workbook", "损坏"),
        ("a.pdf", lambda: b"%PDF-1.4", "不支持的文件类型"),
    ],
)
def test_file_level_errors(cast, name, content, message):
    before = snapshot()
    batch = run_import(RegistryImporter(), io.BytesIO(content()), name, user=cast["county_officer"])
    assert batch.status == ImportBatch.Status.REJECTED and message in batch.message
    assert snapshot()[:2] == before[:2]


def test_value_errors_name_row_column_and_reason(cast, tree):
    rows = family(tree.village_a, bad_phone=True)
    rows[0][3] = "二〇一八"
    rows[1][2] = "贫困户"
    rows[2][7] = "户主"
    batch = run_import(RegistryImporter(), xlsx(HEADER, rows), "x.xlsx", user=cast["county_officer"])
    errors = {tuple(r[-1:]) for r in xlsx_rows(batch.error_file.read())[1:]}
    text = " ".join(e[0] for e in errors)
    assert "户联系电话：手机号码应为11位" in text
    assert "户类型：同一户的各行应一致" in text or "户类型：不是有效的选项" in text
    assert "与户主关系：该户已有户主" in text
    assert Household.objects.filter(number="421223104201990001").count() == 0


def test_gb18030_csv(cast, tree):
    rows = family(tree.village_a)
    text = "\n".join(",".join(map(str, r)) for r in [HEADER, *rows])
    batch = run_import(
        RegistryImporter(), io.BytesIO(text.encode("gb18030")), "户籍.csv", user=cast["village_cadre"]
    )
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.message


def test_export_then_import_into_an_empty_registry_gives_the_same_registry(cast, households):
    user = cast["county_officer"]
    header, rows = registry_rows(Household.objects.visible_to(user), user)
    exported = xlsx(header, list(rows))

    def state():
        fields = lambda obj: {k: v for k, v in changelog.serialize(obj).items() if k != "household"}  # noqa: E731
        return sorted(
            (
                h.number,
                tuple(sorted(fields(h).items())),
                tuple(sorted(tuple(sorted(fields(p).items())) for p in h.members.all())),
            )
            for h in Household.objects.visible_to(user)
        )

    original = state()
    HouseholdIncome.objects.all().delete()
    Person.objects.all().delete()
    Household.objects.all().delete()
    batch = run_import(RegistryImporter(), exported, "export.xlsx", user=user)
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.message
    restored = [
        (n, tuple((k, v) for k, v in h if k not in ("income_year", "per_capita_income")), m)
        for n, h, m in state()
    ]
    assert restored == [
        (n, tuple((k, v) for k, v in h if k not in ("income_year", "per_capita_income")), m)
        for n, h, m in original
    ]


def test_import_command(cast, tree, tmp_path):
    path = tmp_path / "户籍.xlsx"
    path.write_bytes(xlsx(HEADER, family(tree.village_a)).getvalue())
    call_command("import", "registry", str(path), "--user", "village_cadre")
    assert Household.objects.filter(number="421223104201990001").exists()
    with pytest.raises(CommandError, match="权限|没有"):
        call_command("import", "registry", str(path), "--user", "leader")
    with pytest.raises(CommandError, match="不存在"):
        call_command("import", "nothing", str(path), "--user", "leader")


INCOME_HEADER = [
    "户编号",
    "年度",
    "工资性收入",
    "生产经营性收入",
    "财产性收入",
    "转移性收入",
    "生产经营性支出",
    "理赔收入",
    "合规自付支出",
]


def test_income_import_creates_updates_and_refuses(cast, households):
    user = cast["village_cadre"]
    a, b = households["a"], households["b"]
    rows = [
        [a.number, 2024, "20,000", 3000, 0, 1000, 500, 0, 1200],
        [a.number, 2025, 31000, 5000, 0, 2000, 1000, 0, 0],
    ]
    batch = run_import(IncomeImporter(), xlsx(INCOME_HEADER, rows), "收入.xlsx", user=user)
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.message
    assert (batch.created, batch.updated) == (1, 1)  # 2025 existed (fixture) and changed; 2024 is new
    income_2024 = HouseholdIncome.objects.get(household=a, year=2024)
    assert income_2024.net_income == 23500 and income_2024.per_capita_net_income == 11750
    a.refresh_from_db()
    assert (a.income_year, a.per_capita_income) == (2025, 18500)

    before = (HouseholdIncome.objects.count(), ObjectChange.objects.count())
    bad = [
        [a.number, 2023, -5, 0, 0, 0, 0, 0, 0],
        [a.number, "去年", 1, 0, 0, 0, 0, 0, 0],
        [b.number, 2025, 1, 0, 0, 0, 0, 0, 0],
        [a.number, 2022, "一万", 0, 0, 0, 0, 0, 0],
    ]
    batch = run_import(IncomeImporter(), xlsx(INCOME_HEADER, bad), "收入.xlsx", user=user)
    text = batch.message + " ".join(r[-1] for r in xlsx_rows(batch.error_file.read())[1:])
    assert batch.status == ImportBatch.Status.FAILED and batch.rows_failed == 4
    assert "金额不能为负数" in text and "四位年份" in text and "管辖范围" in text and "应填金额" in text
    assert (HouseholdIncome.objects.count(), ObjectChange.objects.count()) == before


def test_template_has_notes_and_drop_downs(client, cast):
    from openpyxl import load_workbook

    client.login(username="village_cadre", password="test-pass-123")
    response = client.get("/imports/template/registry/")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["户编号", "村（区划代码）", "自然村（组）"] and "身份证号码" in headers
    assert "必填" in ws.cell(row=1, column=headers.index("身份证号码") + 1).comment.text
    formulas = {str(dv.sqref).split(":")[0][:-1]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert any("选项" in f for f in formulas.values()) and wb["选项"].sheet_state == "hidden"
    relation_column = ws.cell(row=1, column=headers.index("与户主关系") + 1).column_letter
    assert relation_column in formulas
    assert client.get("/imports/template/nothing/").status_code == 404


def test_list_exports_in_the_import_layout_and_that_file_imports_unchanged(client, cast, households):
    client.login(username="township_officer", password="test-pass-123")
    response = client.get("/registry/households/?export=registry")
    content = b"".join(response.streaming_content)
    rows = xlsx_rows(content)
    assert rows[0][:2] == ["户编号", "村（区划代码）"]
    assert {r[0] for r in rows[1:]} == {households["a"].number, households["b"].number}
    before = snapshot()
    batch = run_import(RegistryImporter(), io.BytesIO(content), "export.xlsx", user=cast["township_officer"])
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.message
    assert (batch.created, batch.updated, batch.unchanged) == (0, 0, 4)
    assert snapshot()[:2] == before[:2]


def test_the_data_sheet_is_found_and_a_wrong_workbook_names_its_sheets(cast, tree):
    wb = Workbook()
    wb.active.title = "填表说明"
    wb.active.append(["请按模板填写，每名成员一行"])
    data = wb.create_sheet("户籍")
    data.append(HEADER)
    for row in family(tree.village_a):
        data.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    batch = run_import(RegistryImporter(), out, "两个工作表.xlsx", user=cast["village_cadre"])
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.message

    wrong = Workbook()
    wrong.active.title = "汇总"
    wrong.active.append(["乡镇", "户数"])
    wrong.create_sheet("图表").append(["x"])
    out = io.BytesIO()
    wrong.save(out)
    out.seek(0)
    batch = run_import(RegistryImporter(), out, "汇总表.xlsx", user=cast["village_cadre"])
    assert batch.status == ImportBatch.Status.REJECTED
    assert "无法识别的表头：乡镇、户数" in batch.message and "汇总、图表" in batch.message


def test_password_protected_workbook(cast, monkeypatch):
    import python_calamine

    def locked(handle):
        raise python_calamine.PasswordError("workbook is encrypted")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", staticmethod(locked))
    batch = run_import(RegistryImporter(), xlsx(HEADER, []), "加密.xlsx", user=cast["village_cadre"])
    assert batch.status == ImportBatch.Status.REJECTED and "密码保护" in batch.message


def test_person_list_exports_in_the_import_layout(client, cast, households):
    client.login(username="village_cadre", password="test-pass-123")
    rows = xlsx_rows(b"".join(client.get("/registry/persons/?export=registry").streaming_content))
    assert rows[0][:2] == ["户编号", "村（区划代码）"]
    assert {r[0] for r in rows[1:]} == {households["a"].number} and len(rows) == 3


def test_command_line_import_as_the_system_and_the_department_option(tree, households, tmp_path):
    path = tmp_path / "户籍.xlsx"
    path.write_bytes(xlsx(HEADER, family(tree.village_c, number="421223100201990001")).getvalue())
    call_command("import", "registry", str(path))
    batch = ImportBatch.objects.latest("id")
    assert batch.status == "succeeded" and batch.user.username == "system-import"
    assert not batch.user.has_usable_password()
    with pytest.raises(CommandError, match="不是部门数据集"):
        call_command("import", "registry", str(path), "--department", "medical_insurance")
    with pytest.raises(CommandError, match="不符"):
        call_command("import", "dataset:medical_settlement", str(path), "--department", "civil_affairs")
