"""Department datasets: every catalogue kind imports its own header layout; unmatched IDs are kept and counted;
a bad ID, date, amount or choice refuses the whole file (error workbook, nothing written, no Parquet left);
departments upload and see only their own kinds; the Parquet is typed with normalised IDs; lineage appears."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pyarrow.parquet as pq
import pytest

from fangpin.accounts.services import create_user
from fangpin.core import testing
from fangpin.core.importing import IMPORTERS, run_import
from fangpin.core.models import ImportBatch
from fangpin.core.testing import make_id_number, xlsx_file, xlsx_rows
from fangpin.exchange.catalogue import BY_CODE, KINDS, get_kind
from fangpin.exchange.importers import arrow_schema, check_uploader, parse_date, parse_decimal
from fangpin.exchange.models import DepartmentDataset, PersonSource
from fangpin.exchange.services import (
    dataset_batches_visible_to,
    datasets_visible_to,
    household_sources,
    person_sources,
)

xlsx = xlsx_file


def csv_file(header, rows) -> io.BytesIO:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return io.BytesIO(text.getvalue().encode("utf-8-sig"))


SAMPLE = {"text": "测试", "date": "2025-03-01", "decimal": "100.50", "integer": 3}


def sample_row(kind, number, **override):
    row = []
    for c in kind.columns:
        if c.field in override:
            row.append(override[c.field])
        elif c.type == "id_number":
            row.append(number if c.field == kind.id_column else "")
        elif c.type == "choice":
            row.append(c.choices[0])
        else:
            row.append(SAMPLE[c.type])
    return row


def header(kind):
    return [c.header for c in kind.columns]


def department_user(tree, department):
    return create_user(
        f"dept_{department}",
        role="department",
        region_code=tree.county.code,
        password=testing.PASSWORD,
        department=department,
    )


def upload(kind, user, rows, name="data.xlsx"):
    handle = csv_file(header(kind), rows) if name.endswith(".csv") else xlsx(header(kind), rows)
    return run_import(IMPORTERS[kind.import_kind](), handle, name, user=user)


def test_catalogue_covers_the_issue():
    assert len(KINDS) >= 13
    departments = {k.department for k in KINDS}
    assert {
        "civil_affairs",
        "public_security",
        "market_regulation",
        "human_resources",
        "medical_insurance",
        "education",
        "housing",
        "water",
        "disabled_federation",
        "insurer",
        "organization",
    } <= departments
    for kind in KINDS:
        assert kind.import_kind in IMPORTERS
        assert arrow_schema(kind).names[-1] == "source_line"
    medical = get_kind("dataset:medical_settlement")
    assert medical.department == "medical_insurance"
    assert {"admitted_on", "total_cost", "compliant_cost", "basic_paid", "critical_paid"} <= {
        c.field for c in medical.columns
    }
    assert BY_CODE["house_appraisal"].field("grade").choices == ("A", "B", "C", "D")


@pytest.mark.parametrize("code", [k.code for k in KINDS])
def test_each_kind_imports_its_own_layout(code, cast, households):
    kind = BY_CODE[code]
    user = cast["city_admin"]  # city administrators may upload every kind
    member = households["a"].members.first()
    batch = upload(kind, user, [sample_row(kind, member.id_number), sample_row(kind, make_id_number())])
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.message
    dataset = batch.dataset
    assert (dataset.kind, dataset.department, dataset.row_count) == (code, kind.department, 2)
    assert (dataset.matched_count, dataset.unmatched_count) == (1, 1)
    assert dataset.period_start == dataset.period_end == dt.date(2025, 3, 1)
    assert dataset.parquet_path.exists()
    assert PersonSource.objects.get(dataset=dataset).person == member


def test_medical_settlement_parquet_is_typed_and_ids_normalised(cast, households, media):
    kind = BY_CODE["medical_settlement"]
    member = households["a"].members.first()
    lower_x = make_id_number()
    while not lower_x.endswith("X"):
        lower_x = make_id_number()
    rows = [
        sample_row(kind, member.id_number, total_cost=12345.6, self_paid="7,000.25", admitted_on="2025/2/3"),
        sample_row(kind, " " + lower_x.lower(), admitted_on=dt.datetime(2025, 4, 5)),
    ]
    batch = upload(kind, cast["medical_officer"], rows)
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.message
    dataset = batch.dataset
    assert dataset.region == cast["medical_officer"].region
    assert (dataset.period_start, dataset.period_end) == (dt.date(2025, 2, 3), dt.date(2025, 4, 5))
    table = pq.read_table(dataset.parquet_path)
    assert table.schema.equals(arrow_schema(kind))
    assert str(table.schema.field("total_cost").type) == "decimal128(16, 2)"
    assert str(table.schema.field("admitted_on").type) == "date32[day]"
    data = table.to_pylist()
    assert [r["id_number"] for r in data] == [member.id_number, lower_x]
    assert data[0]["total_cost"] == Decimal("12345.60")
    assert data[0]["self_paid"] == Decimal("7000.25")
    assert data[1]["admitted_on"] == dt.date(2025, 4, 5)
    assert [r["source_line"] for r in data] == [2, 3]
    assert not list((media / "datasets").glob("tmp-*"))


def test_unmatched_ids_are_kept_and_counted(cast, households):
    kind = BY_CODE["medical_settlement"]
    known = [m.id_number for h in households.values() for m in h.members.all()]
    unknown = [make_id_number("421281") for _ in range(3)]
    rows = [sample_row(kind, n) for n in known + unknown + known[:1]]
    batch = upload(kind, cast["medical_officer"], rows, name="data.csv")
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.message
    dataset = batch.dataset
    assert (dataset.row_count, dataset.matched_count, dataset.unmatched_count) == (
        len(rows),
        len(known) + 1,
        3,
    )
    assert batch.rows_total == len(rows)
    assert set(pq.read_table(dataset.parquet_path).column("id_number").to_pylist()) == set(known + unknown)
    # One lineage row per matched person and dataset, counting their rows.
    assert PersonSource.objects.filter(dataset=dataset).count() == len(known)
    assert PersonSource.objects.get(person__id_number=known[0]).record_count == 2


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("id_number", "421223198001010011", "校验位"),
        ("id_number", "", "必须填写"),
        ("admitted_on", "2025-02-30", "不是有效日期"),
        ("admitted_on", "2999-01-01", "晚于今天"),
        ("total_cost", "-5", "不能为负数"),
        ("total_cost", "12.345", "两位小数"),
        ("total_cost", "一百", "数字"),
        ("visit_type", "急诊", "不是有效的选项"),
        ("name", "", "必须填写"),
    ],
)
def test_a_bad_row_refuses_the_whole_file(field, value, reason, cast, households, media):
    kind = BY_CODE["medical_settlement"]
    member = households["a"].members.first()
    good = sample_row(kind, member.id_number)
    bad = sample_row(kind, make_id_number(), **{field: value})
    batch = upload(kind, cast["medical_officer"], [good, bad, good])
    assert batch.status == ImportBatch.Status.FAILED
    assert reason in batch.message and "第3行" in batch.message
    assert batch.rows_failed == 1 and batch.rows_total == 3
    assert not DepartmentDataset.objects.exists() and not PersonSource.objects.exists()
    assert not [p for p in (media / "datasets").rglob("*.parquet")]
    errors = xlsx_rows(batch.error_file.read())
    assert errors[0][-1] == "错误说明" and len(errors) == 2
    assert reason in errors[1][-1]


def test_medical_officer_cannot_upload_civil_affairs(cast, households):
    kind = BY_CODE["minimum_living"]
    with pytest.raises(Exception, match="医保部门"):
        check_uploader(kind, cast["medical_officer"])
    batch = upload(kind, cast["medical_officer"], [sample_row(kind, make_id_number())])
    assert batch.status == ImportBatch.Status.REJECTED
    assert "不能上传民政部门" in batch.message
    assert not DepartmentDataset.objects.exists()
    # Officials without a department are not uploaders either (only the city administrator is).
    batch = upload(kind, cast["county_officer"], [sample_row(kind, make_id_number())])
    assert batch.status == ImportBatch.Status.REJECTED


def test_departments_see_only_their_own_datasets(tree, cast, households):
    civil = department_user(tree, "civil_affairs")
    medical_kind, civil_kind = BY_CODE["medical_settlement"], BY_CODE["minimum_living"]
    medical = upload(medical_kind, cast["medical_officer"], [sample_row(medical_kind, make_id_number())])
    own = upload(civil_kind, civil, [sample_row(civil_kind, make_id_number())])
    assert medical.status == own.status == ImportBatch.Status.SUCCEEDED
    assert list(datasets_visible_to(civil)) == [own.dataset]
    assert list(dataset_batches_visible_to(civil)) == [own]
    assert list(datasets_visible_to(cast["medical_officer"])) == [medical.dataset]
    assert set(datasets_visible_to(cast["county_officer"])) == {medical.dataset, own.dataset}
    assert set(datasets_visible_to(cast["city_admin"])) == {medical.dataset, own.dataset}
    assert not datasets_visible_to(cast["outsider"]).exists()  # another county
    assert not datasets_visible_to(cast["village_cadre"]).exists()  # below the uploader's region


def test_same_file_twice_is_unchanged(cast, households):
    kind = BY_CODE["medical_settlement"]
    rows = [sample_row(kind, households["a"].members.first().id_number)]
    # The very same bytes: two workbooks built a second apart differ in their timestamps (a flaky test).
    content = xlsx(header(kind), rows).getvalue()
    importer, user = IMPORTERS[kind.import_kind], cast["medical_officer"]
    first = run_import(importer(), io.BytesIO(content), "data.xlsx", user=user)
    assert first.status == ImportBatch.Status.SUCCEEDED
    again = run_import(importer(), io.BytesIO(content), "data.xlsx", user=user)
    assert again.status == ImportBatch.Status.UNCHANGED and str(first.pk) in again.message
    assert DepartmentDataset.objects.count() == 1


def test_lineage_and_household_sources(tree, cast, households):
    household = households["a"]
    head, spouse = household.members.order_by("pk")
    kind = BY_CODE["medical_settlement"]
    rows = [
        sample_row(kind, head.id_number, admitted_on="2025-01-10", total_cost="800"),
        sample_row(kind, head.id_number, admitted_on="2025-05-20", total_cost="9000"),
    ]
    medical = upload(kind, cast["medical_officer"], rows)
    housing_kind = BY_CODE["house_appraisal"]
    housing = upload(
        housing_kind, department_user(tree, "housing"), [sample_row(housing_kind, head.id_number)]
    )
    assert medical.status == housing.status == ImportBatch.Status.SUCCEEDED

    panel = household_sources(household)
    assert [m["person"] for m in panel] == [head, spouse]
    assert panel[1]["sources"] == []
    latest = panel[0]["sources"][0]
    assert latest["department"] == "医保" and latest["kind"] == "医保结算信息"
    assert latest["current_date"] == dt.date(2025, 5, 20) and latest["record_count"] == 2
    assert latest["line"] == 3 and latest["dataset"] == medical.dataset
    assert ("医疗费用总额", "9000.00") in latest["fields"]
    assert panel[0]["sources"][1]["department"] == "住建"
    # A department user's panel shows only their department's records.
    only_medical = household_sources(household, cast["medical_officer"])
    assert [s["department"] for s in only_medical[0]["sources"]] == ["医保"]
    assert len(person_sources(head)) == 2


def test_value_parsers():
    assert (
        parse_date("2025年3月1日") == parse_date("20250301") == parse_date("2025.3.1") == dt.date(2025, 3, 1)
    )
    assert parse_date(dt.datetime(2025, 3, 1, 10, 0)) == dt.date(2025, 3, 1)
    assert parse_decimal(0.1 + 0.2) == "0.30"
    assert parse_decimal("¥1,234.5") == "1234.50"
    assert parse_decimal(12) == "12.00" and parse_decimal("12.30") == "12.30"
    with pytest.raises(ValueError, match="1900"):
        parse_date("1899-12-31")


def test_another_departments_batch_is_not_found_on_the_web_or_the_api(client, tree, cast, households):
    from rest_framework.test import APIClient

    civil = department_user(tree, "civil_affairs")
    kind = BY_CODE["medical_settlement"]
    batch = upload(
        kind, cast["medical_officer"], [sample_row(kind, households["a"].members.first().id_number)]
    )
    client.force_login(civil)
    assert client.get(f"/imports/{batch.pk}/").status_code == 404
    assert batch.file_name not in client.get("/imports/").content.decode()
    api = APIClient()
    api.force_authenticate(civil)
    assert api.get(f"/api/imports/{batch.pk}/").status_code == 404
    api.force_authenticate(cast["county_officer"])
    assert api.get(f"/api/imports/{batch.pk}/").status_code == 200
    # The upload page offers a department user only their own department's kinds.
    kinds = client.get("/imports/").context["kinds"]
    assert kinds and all(code.startswith("dataset:") for code, _ in kinds)
    assert "dataset:medical_settlement" not in dict(kinds) and "dataset:minimum_living" in dict(kinds)


def test_household_page_shows_data_sources_to_those_who_may_see_them(client, tree, cast, households):
    kind = BY_CODE["medical_settlement"]
    person = households["a"].members.first()
    assert upload(kind, cast["medical_officer"], [sample_row(kind, person.id_number)]).status == "succeeded"
    client.force_login(cast["county_officer"])
    page = client.get(f"/registry/households/{households['a'].pk}/").content.decode()
    assert "数据来源" in page and kind.name in page and "医保" in page
    client.force_login(department_user(tree, "civil_affairs"))
    assert kind.name not in client.get(f"/registry/households/{households['a'].pk}/").content.decode()
