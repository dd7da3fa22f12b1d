"""Screening from the registry to warnings and back: runs, idempotence, resolution, as-of reproducibility,
incremental = full, department data with its source, commands, and the web/API pages."""

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient

from fangpin.core import testing
from fangpin.core.importing import IMPORTERS, run_import
from fangpin.core.models import ObjectChange
from fangpin.exchange.catalogue import BY_CODE
from fangpin.monitoring import services
from fangpin.monitoring.models import PolicyParameter, ScreeningRun, ScreeningStamp, Warning
from fangpin.registry.models import HouseholdIncome

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture
def parameters(tree):
    return services.load_default_parameters()


def poor(household, per_capita: str = "3000"):
    """Make a household poor enough for JC-01 (income below the line, a chronically ill member)."""
    income = household.incomes.get(year=2025)
    income.wage = Decimal(per_capita) * household.member_count
    income.business = income.transfer = income.business_cost = Decimal("0")
    income.save()
    head = household.members.get(relation="head")
    head.chronic_disease = True
    head.save()
    household.refresh_summary()


def full_run(region, as_of=AS_OF, user=None):
    run = services.start_run(user=user, region=region, as_of=as_of, source="test")
    return services.execute_run(run)


def open_warnings(household=None, rule=None):
    qs = Warning.objects.filter(status=Warning.Status.OPEN)
    if household is not None:
        qs = qs.filter(household=household)
    if rule is not None:
        qs = qs.filter(rule_code=rule)
    return qs


def test_schema_json_is_current():
    from fangpin.monitoring.snapshot import screening_schema_json
    from fangpin.screening.schema import SCHEMA_FILE

    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == screening_schema_json(), (
        "run `fangpin rules schema --write`"
    )


def test_run_raises_explained_warnings_and_is_idempotent(tree, households, parameters):
    poor(households["a"])
    run = full_run(tree.city)
    assert run.status == ScreeningRun.Status.SUCCEEDED
    warning = open_warnings(households["a"], "JC-01").get()
    assert "3,000" in warning.explanation and "8,600" in warning.explanation  # 2026 line
    sources = {i["name"]: i["source"] for i in warning.evidence["inputs"]}
    assert sources["per_capita_income"].startswith("登记数据")
    assert {p["key"] for p in warning.parameters} >= {"monitoring_line"}
    assert not open_warnings(households["b"], "JC-01").exists()
    # department rules without deliveries were skipped, not run against "no records"
    assert "BD-11" in run.summary["skipped"] and not open_warnings(rule="BD-11").exists()
    assert ScreeningStamp.objects.filter(household=households["a"], run=run).exists()
    assert ObjectChange.objects.filter(source=f"job:screening:{run.pk}", action="create").exists()

    count = Warning.objects.count()
    again = full_run(tree.city)
    assert Warning.objects.count() == count
    assert again.summary["created"] == 0 and again.summary["resolved"] == 0
    warning.refresh_from_db()
    assert warning.raised_by == run and warning.last_seen_by == again


def test_a_warning_that_no_longer_holds_is_resolved_by_the_run_that_stops_seeing_it(
    tree, households, parameters
):
    poor(households["a"])
    full_run(tree.city)
    warning = open_warnings(households["a"], "JC-01").get()
    income = HouseholdIncome.objects.get(household=households["a"], year=2025)
    income.wage = Decimal("90000")
    income.save()
    households["a"].refresh_summary()
    later = full_run(tree.city)
    warning.refresh_from_db()
    assert warning.status == Warning.Status.RESOLVED and warning.resolved_by == later
    poor(households["a"])
    full_run(tree.city)
    assert (
        open_warnings(households["a"], "JC-01").count() == 1
    )  # a new warning; the old one keeps its history


def test_a_county_run_touches_only_its_county(tree, households, parameters):
    for h in households.values():
        poor(h)
    full_run(tree.county)
    assert open_warnings(households["c"], "JC-01").exists()
    assert not open_warnings(households["d"], "JC-01").exists()


def test_as_of_reproducibility(tree, households, parameters):
    poor(households["a"], per_capita="8000")  # above the 2024 line (8000 is not < 8000), below 2026's 8600
    run_2024 = full_run(tree.city, as_of=dt.date(2024, 12, 31))
    assert not open_warnings(households["a"], "JC-01").exists()
    assert run_2024.parameters["421200"]["monitoring_line"] == "8000"
    full_run(tree.city)
    assert open_warnings(households["a"], "JC-01").exists()
    # a later change for a later date leaves an earlier as-of alone
    PolicyParameter.objects.create(
        key="monitoring_line", region=tree.province, effective_from=dt.date(2027, 1, 1), value="20000"
    )
    outcome = services.evaluate(services.builtin_rule_sets(), tree.city, dt.date(2024, 12, 31))
    assert "JC-01" not in set(outcome.hits.column("rule").to_pylist())
    assert outcome.parameters["421200"]["monitoring_line"] == "8000"


def test_a_county_value_applies_to_that_county_only(tree, households, parameters):
    for h in households.values():
        poor(h, per_capita="9000")
    PolicyParameter.objects.create(
        key="monitoring_line", region=tree.county, effective_from=dt.date(2026, 1, 1), value="9500"
    )
    run = full_run(tree.city)
    assert open_warnings(households["a"], "JC-01").exists()  # 崇阳: 9000 < 9500
    assert not open_warnings(households["d"], "JC-01").exists()  # 通山: 9000 >= 8600
    assert run.parameters["421223"]["monitoring_line"] == "9500"


def test_missing_parameter_is_refused_naming_rule_and_parameter(tree, households, parameters):
    PolicyParameter.objects.filter(key="monitoring_line").delete()
    run = services.start_run(user=None, region=tree.city, as_of=AS_OF, source="test")
    with pytest.raises(Exception) as excinfo:
        services.execute_run(run)
    assert ":monitoring_line" in str(excinfo.value) and "JC-01" in str(excinfo.value)
    run.refresh_from_db()
    assert run.status == ScreeningRun.Status.FAILED and "monitoring_line" in run.message


def test_incremental_equals_full_for_the_affected_households(tree, households, parameters):
    full_run(tree.city)
    poor(households["b"])
    run = services.rescreen_households([households["b"].pk], source="test")
    assert run.kind == ScreeningRun.Kind.INCREMENTAL
    incremental = set(open_warnings(households["b"]).values_list("rule_code", "subject_key"))
    assert ("JC-01", f"h:{households['b'].pk}") in incremental
    full_run(tree.city)
    assert set(open_warnings(households["b"]).values_list("rule_code", "subject_key")) == incremental


def test_editing_a_household_rescreens_it_after_commit(
    tree, households, parameters, django_capture_on_commit_callbacks
):
    full_run(tree.city)
    with django_capture_on_commit_callbacks(execute=True):
        poor(households["c"])
    assert open_warnings(households["c"], "JC-01").exists()
    assert ScreeningRun.objects.filter(
        kind=ScreeningRun.Kind.INCREMENTAL, household_ids=[households["c"].pk]
    ).exists()


def _import(code, user, rows):
    kind = BY_CODE[code]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([c.header for c in kind.columns])
    writer.writerows(rows)
    handle = io.BytesIO(text.getvalue().encode("utf-8-sig"))
    return run_import(IMPORTERS[kind.import_kind](), handle, "data.csv", user=user)


def test_department_data_raises_a_clue_with_its_source(tree, cast, households, parameters):
    head = households["a"].members.get(relation="head")
    batch = _import(
        "death_record", cast["city_admin"], [[head.id_number.lower(), head.name, "2026-02-01", "", ""]]
    )
    assert batch.status == "succeeded", batch.message
    full_run(tree.city)
    clue = open_warnings(households["a"], "BD-01").get()
    assert clue.person == head and clue.produces == "clue"
    assert "2026-02-01" in clue.explanation
    source = {i["name"]: i["source"] for i in clue.evidence["inputs"]}["death_date_recorded"]
    assert "公安" in source and "死亡人员信息" in source
    assert not open_warnings(households["b"], "BD-01").exists()


def test_delivery_rescreens_only_the_households_it_mentions(tree, cast, households, parameters):
    full_run(tree.city)
    head = households["c"].members.get(relation="head")
    batch = _import("death_record", cast["city_admin"], [[head.id_number, head.name, "2026-02-01", "", ""]])
    run = services.rescreen_for_dataset(batch.dataset)
    assert run.household_ids == [households["c"].pk]
    assert set(run.counts) <= services.affected_rules(services.builtin_rule_sets(), datasets={"death_record"})
    assert open_warnings(households["c"], "BD-01").exists()


def test_screen_command_output_and_preview(tree, households, parameters, tmp_path, capsys):
    poor(households["a"])
    out = tmp_path / "hits.csv"
    call_command("screen", "--as-of", AS_OF.isoformat(), "--output", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {"rule", "subject", "household_number", "id_number", "region", "as_of", "explanation"} <= set(
        rows[0]
    )
    assert any(r["rule"] == "JC-01" and r["household_number"] == households["a"].number for r in rows)
    assert not Warning.objects.exists()  # --output writes no warnings

    call_command("screen", "--as-of", AS_OF.isoformat(), "--region", tree.county.code)
    assert open_warnings(households["a"], "JC-01").exists()

    poor(households["b"], per_capita="9000")
    capsys.readouterr()
    call_command("screen", "--as-of", AS_OF.isoformat(), "--preview", "-", "--set", "monitoring_line=9500")
    printed = capsys.readouterr().out
    assert households["b"].number in printed and "+ " in printed


def test_preview_of_a_new_rule_file(tree, households, parameters, tmp_path, capsys):
    from fangpin.screening.rules import RULES_DIR

    poor(households["a"], per_capita="5000")
    text = (RULES_DIR / "monitoring.yaml").read_text(encoding="utf-8")
    stricter = text.replace(
        "per_capita_income < :monitoring_line\n", "per_capita_income < :monitoring_line * 0.5\n", 1
    )
    assert stricter != text
    path = tmp_path / "monitoring.yaml"
    path.write_text(stricter, encoding="utf-8")
    rows = services.preview(
        tree.city,
        AS_OF,
        new_rule_sets=[__import__("fangpin.screening.rules", fromlist=["x"]).load_file(path)],
    )
    gone = {e["number"] for r in rows for e in r.gone}
    assert households["a"].number in gone


def test_rules_check_reports_every_error(tmp_path, tree, parameters):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "set: extra\ntitle: 测试\nversion: '1'\nrules:\n"
        "  - {code: X-1, title: t, subject: household, produces: warning, severity: low, basis: b,"
        " condition: 'nosuch > 1', evidence: [], explanation: e}\n"
        "  - {code: X-2, title: t, subject: person, produces: warning, severity: low, basis: b,"
        " condition: 'date_diff(''year'', birth_date, :as_of) > 16', evidence: [], explanation: e}\n",
        encoding="utf-8",
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("rules", "check", str(bad), stderr=err)
    text = err.getvalue()
    assert "X-1" in text and "nosuch" in text and "X-2" in text and "date_diff" in text
    out = io.StringIO()
    from fangpin.screening.rules import RULES_DIR

    call_command("rules", "check", str(RULES_DIR / "monitoring.yaml"), stdout=out)
    assert "检查通过" in out.getvalue()


def test_web_and_api(client, settings, tree, cast, households, parameters):
    settings.SCREENING_IN_BACKGROUND = False
    poor(households["a"])
    full_run(tree.city)
    warning = open_warnings(households["a"], "JC-01").get()
    client.login(username="village_cadre", password=testing.PASSWORD)
    page = client.get(households["a"].get_absolute_url()).content.decode()
    assert "JC-01" in page and "数据截至" in page
    detail = client.get(reverse("monitoring:warning_detail", args=[warning.pk])).content.decode()
    assert "政策依据" in detail and "监测范围" in detail and "登记数据" in detail
    api = APIClient()
    api.force_authenticate(cast["village_cadre"])
    data = api.get("/api/warnings/", {"household": households["a"].pk, "rule": "JC-01"}).json()
    assert data["count"] == 1
    item = data["results"][0]
    for key in ("rule", "rule_title", "household", "person", "as_of", "status", "explanation"):
        assert key in item
    assert api.get("/api/warnings/", {"rule": "ZZ-99"}).json()["count"] == 0
    # only city/county administrators start runs
    assert api.post("/api/screening-runs/", {"region": tree.village_a.code}, format="json").status_code == 403
    county = APIClient()
    county.force_authenticate(cast["county_officer"])
    response = county.post(
        "/api/screening-runs/", {"region": tree.county.code, "as_of": "2026-06-30"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert county.get(f"/api/screening-runs/{response.json()['id']}/").json()["status"] == "succeeded"
    assert (
        county.post("/api/screening-runs/", {"region": tree.other_county.code}, format="json").status_code
        == 400
    )


def test_parameters_are_edited_by_the_city_with_a_change_log(client, tree, cast, parameters):
    client.login(username="city_admin", password=testing.PASSWORD)
    response = client.post(
        reverse("monitoring:parameter_add"),
        {
            "key": "monitoring_line",
            "region": tree.city.pk,
            "effective_from": "2027-01-01",
            "value": "9100",
            "tag": "C",
            "source": "市文件",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = PolicyParameter.objects.get(region=tree.city, effective_from=dt.date(2027, 1, 1))
    assert ObjectChange.objects.filter(object_id=created.pk, action="create", source="web").exists()
    bad = client.post(
        reverse("monitoring:parameter_add"),
        {
            "key": "monitoring_line",
            "region": tree.city.pk,
            "effective_from": "2027-02-01",
            "value": "九千",
            "tag": "C",
            "source": "",
        },
    )
    assert "取值“九千”无效" in bad.content.decode()
    listing = client.get(reverse("monitoring:parameter_list"), {"key": "monitoring_line"}).content.decode()
    assert reverse("monitoring:parameter_edit", args=[created.pk]) in listing
    province_row = PolicyParameter.objects.filter(region=tree.province, key="monitoring_line").first()
    assert (
        reverse("monitoring:parameter_edit", args=[province_row.pk]) not in listing
    )  # read-only for the city
    assert "7600" in listing  # but shown: it is the value in force for 2023
    client.logout()
    client.login(username="county_officer", password=testing.PASSWORD)
    assert client.get(reverse("monitoring:parameter_add")).status_code == 403
    assert (
        services.resolve_parameters(["monitoring_line"], tree.village_a, dt.date(2027, 3, 1))[
            "monitoring_line"
        ].value
        == "9100"
    )
