"""Synthetic department datasets: every kind in its Parquet schema, deterministic, planted at the calibrated
rates, normal rows consistent with the registry; the screening engine finds exactly what was planted; the
database path records deliveries with lineage; `--no-datasets`; `--out`; and synth → screen end to end."""

import csv
import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command

from fangpin.core.models import ImportBatch, ObjectChange
from fangpin.core.validators import parse_id_number
from fangpin.exchange import synthetic
from fangpin.exchange.catalogue import BY_CODE, KINDS
from fangpin.exchange.importers import arrow_schema
from fangpin.exchange.models import DepartmentDataset, PersonSource
from fangpin.registry import synthetic as registry_synthetic

AS_OF = dt.date(2026, 6, 30)
TOWNSHIPS = [("421223104", "421223"), ("421222100", "421222")]


def registry_tables(households_per_village: int, townships=TOWNSHIPS, seed: int = 1):
    """Raw registry rows as `fangpin synth --out` writes them (households, persons, incomes)."""
    households, persons, incomes = [], [], []
    for _, h, p, i in registry_synthetic.iter_villages(seed, townships, households_per_village):
        households += h
        persons += p
        incomes += i
    return pa.Table.from_pylist(households), pa.Table.from_pylist(persons), pa.Table.from_pylist(incomes)


@pytest.fixture(scope="module")
def registry():
    return registry_tables(150)  # about 15,000 persons


@pytest.fixture(scope="module")
def generated(registry):
    households, persons, _ = registry
    return synthetic.generate(persons, households, seed=7, as_of=AS_OF)


def clean(column) -> pa.Array:
    return pc.utf8_upper(pc.utf8_trim_whitespace(column))


def ids_of(table: pa.Table, kind_code: str, where=None) -> set[str]:
    if where is not None:
        table = table.filter(where)
    return set(clean(table.column(BY_CODE[kind_code].id_column)).to_pylist())


def test_every_kind_in_its_schema_and_the_same_for_the_same_seed(registry, generated):
    households, persons, _ = registry
    assert set(generated.tables) == {k.code for k in KINDS}
    for kind in KINDS:
        table = generated.tables[kind.code]
        assert table.schema == arrow_schema(kind), kind.code
        assert table.num_rows > 0, kind.code
        for field in arrow_schema(kind):
            if not field.nullable:
                assert table.column(field.name).null_count == 0, (kind.code, field.name)
        assert pc.max(table.column(kind.current_date_column)).as_py() <= AS_OF, kind.code
        # The file's own line numbers: unique, after the header row.
        lines = table.column("source_line")
        assert pc.min(lines).as_py() == 2 and pc.count_distinct(lines).as_py() == table.num_rows
    again = synthetic.generate_datasets(persons, households, seed=7, as_of=AS_OF)
    assert all(again[code].equals(generated.tables[code]) for code in again)
    other = synthetic.generate_datasets(persons, households, seed=8, as_of=AS_OF)
    assert not other["medical_settlement"].equals(generated.tables["medical_settlement"])


def test_planted_rates_follow_the_calibration(registry, generated):
    households, persons, _ = registry
    n = persons.num_rows
    for rule, rate in (("BD-01", 0.0005), ("BD-03", 0.0002), ("BD-04", 0.005), ("BD-05", 0.003)):
        assert abs(len(generated.planted[rule]) - rate * n) <= max(2, 0.1 * rate * n), rule
    # Houses newly appraised C/D this year: at most 0.5 % of exited households.
    exited = pc.sum(pc.equal(households.column("household_type"), "exited")).as_py()
    assert 0 < len(generated.planted["JC-12"]) <= 0.005 * exited
    # Dropouts: 0.05 % of compulsory-age children (at least one, to exercise the rule).
    assert 1 <= len(generated.planted["JC-14"]) <= 2
    # The deceased in the death records are exactly the planted ones; the rest are not registered.
    registered = set(persons.column("id_number").to_pylist())
    assert ids_of(generated.tables["death_record"], "death_record") & registered == set(
        generated.planted["BD-01"].to_pylist()
    )


def test_normal_rows_agree_with_the_registry(registry, generated):
    households, persons, _ = registry
    tables = generated.tables
    registered = set(persons.column("id_number").to_pylist())
    planted = {rule: set(ids.to_pylist()) for rule, ids in generated.planted.items()}
    # The 低保 roster covers every registered 低保 member (but the planted mismatches), still in force.
    roster = tables["minimum_living"]
    active = ids_of(roster, "minimum_living", pc.is_null(roster.column("end_date")))
    dibao = set(persons.filter(persons.column("dibao")).column("id_number").to_pylist())
    assert dibao - planted["BD-12"] <= active
    assert (dibao & planted["BD-12"]) and not (dibao & planted["BD-12"] & active)
    # Deaths fall within the year before the as-of date.
    deaths = tables["death_record"].column("death_date")
    assert pc.min(deaths).as_py() > AS_OF - dt.timedelta(days=366) and pc.max(deaths).as_py() < AS_OF
    # Every registered elderly person draws a pension, but the planted ones.
    elderly = set(
        persons.filter(pc.less_equal(persons.column("birth_date"), dt.date(1966, 6, 30)))
        .column("id_number")
        .to_pylist()
    )
    pensions = tables["pension"]
    receiving = ids_of(pensions, "pension", pc.equal(pensions.column("status"), "领取待遇"))
    assert elderly - planted["BD-11"] <= receiving and not planted["BD-11"] & receiving
    # Each delivery also names people outside the registry, with valid ID numbers.
    for kind in KINDS:
        outside = ids_of(tables[kind.code], kind.code) - registered
        assert outside, kind.code
        for number in sorted(outside)[:3]:
            parse_id_number(number, today=AS_OF)


def test_ids_come_dirty_and_rows_repeated_as_departments_send_them(generated):
    lower = spaced = 0
    for kind in KINDS:
        table = generated.tables[kind.code]
        ids = table.column(kind.id_column)
        lower += pc.sum(pc.ends_with(ids, "x")).as_py()
        spaced += pc.sum(pc.not_equal(pc.utf8_trim_whitespace(ids), ids)).as_py()
        content = table.drop_columns(["source_line"])
        distinct = content.group_by(content.column_names).aggregate([]).num_rows
        assert distinct < table.num_rows, kind.code  # at least one row delivered twice
    assert lower > 0 and spaced > 0


def screening_inputs(households, persons, incomes):
    """The registry as the screening engine reads it, from raw rows (numbered like database keys)."""
    from fangpin.monitoring.snapshot import shape

    raw_h = households.rename_columns(
        ["household_number" if c == "number" else c for c in households.column_names]
    ).append_column("household_id", pa.array(range(1, households.num_rows + 1), pa.int64()))

    def household_id(table):
        position = pc.index_in(table.column("household_number"), value_set=households.column("number"))
        return pc.add(position.cast(pa.int64()), 1)

    raw_p = persons.append_column(
        "person_id", pa.array(range(1, persons.num_rows + 1), pa.int64())
    ).append_column("household_id", household_id(persons))
    raw_i = incomes.append_column("household_id", household_id(incomes))
    for name in raw_i.column_names:
        if pa.types.is_decimal(raw_i.schema.field(name).type):
            raw_i = raw_i.set_column(
                raw_i.schema.get_field_index(name), name, raw_i.column(name).cast(pa.string())
            )
    return shape(raw_h, raw_p, raw_i)


def default_values(as_of):
    from fangpin.monitoring.services import DEFAULTS_FILE

    values, since = {}, {}
    with DEFAULTS_FILE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if since.get(row["key"], "") <= row["effective_from"] <= as_of.isoformat():
                since[row["key"]], values[row["key"]] = row["effective_from"], row["value"]
    return values


OTHER_PARAMETERS = {
    "recent_days": 180,
    "unemployment_days": 45,
    "hukou_move_days": 365,
    "company_min_capital": 50,
    "medical_single_stay_exited": 8000,
    "rural_income_prev_year": 15000,  # the exited cumulative line (7,500) now below the single-stay line
}


@pytest.mark.parametrize("overrides", [{}, OTHER_PARAMETERS], ids=["defaults", "other-parameters"])
def test_the_screening_engine_finds_exactly_what_was_planted(overrides):
    """Planted anomalies trigger their rules; normal rows (and rows just outside a window, dirty ID numbers
    and repeated rows) trigger nothing else — with the shipped parameters and with others."""
    from fangpin.screening import engines
    from fangpin.screening.compiler import Compiler
    from fangpin.screening.rules import builtin_set_names, load_builtin

    households, persons, incomes = registry_tables(60)
    result = synthetic.generate(persons, households, seed=3, as_of=AS_OF, parameters=overrides)
    screen_households, screen_persons = screening_inputs(households, persons, incomes)
    compiler = Compiler([load_builtin(name) for name in builtin_set_names()])
    plan = compiler.plan(AS_OF, default_values(AS_OF) | {k: str(v) for k, v in overrides.items()})
    outcome = engines.run(plan, engines.Inputs(screen_households, screen_persons, result.tables))
    assert not outcome.skipped
    hits = outcome.hits
    heads = screen_persons.filter(pc.equal(screen_persons.column("relation"), "户主"))
    head_of = dict(
        zip(heads.column("household_id").to_pylist(), heads.column("id_number").to_pylist(), strict=True)
    )
    subjects = {c.rule.code: c.rule.subject for c in plan.rules}
    for rule, expected in result.planted.items():
        rows = hits.filter(pc.equal(hits.column("rule"), rule))
        if subjects[rule] == "household":
            found = {head_of[h] for h in rows.column("household_id").to_pylist()}
        else:
            found = set(rows.column("id_number").to_pylist())
        assert found == set(expected.to_pylist()), rule
        assert found, rule


# ------------------------------------------------------------------ the command


def synth(*args):
    call_command("synth", "--seed", "5", "--as-of", AS_OF.isoformat(), *args)


@pytest.fixture
def regions(db):
    call_command("load_regions")


def test_database_path_records_deliveries_with_lineage(regions, settings, capsys):
    synth("--scale", "village", "--households-per-village", "40", "--region", TOWNSHIPS[0][0])
    printed = capsys.readouterr().out
    assert "部门数据集" in printed and "医保结算信息" in printed and "BD-01" in printed
    datasets = list(DepartmentDataset.objects.select_related("batch__user", "batch__region"))
    assert {d.kind for d in datasets} == {k.code for k in KINDS}
    for dataset in datasets:
        kind, batch = BY_CODE[dataset.kind], dataset.batch
        assert batch.kind == f"dataset:{kind.code}" and batch.status == ImportBatch.Status.SUCCEEDED
        assert batch.region.level == "village" and dataset.department == kind.department
        assert batch.user.username == synthetic.SYSTEM_USERNAME
        assert not batch.user.is_active and not batch.user.has_usable_password()
        table = pq.read_table(dataset.parquet_path)
        assert table.schema == arrow_schema(kind) and table.num_rows == dataset.row_count
        assert dataset.matched_count + dataset.unmatched_count == dataset.row_count
        assert dataset.unmatched_count > 0
        assert dataset.period_start <= dataset.period_end <= AS_OF
        # Stored as the importer stores deliveries: ID numbers normalised.
        ids = table.column(kind.id_column)
        assert ids.equals(clean(ids))
        assert batch.file.name == dataset.parquet.name and len(batch.file_sha256) == 64
    deaths = next(d for d in datasets if d.kind == "death_record")
    assert deaths.matched_count >= 1
    lineage = PersonSource.objects.filter(dataset=deaths).select_related("person")
    assert lineage.exists() and all(s.fields["death_date"] <= AS_OF.isoformat() for s in lineage)
    assert PersonSource.objects.filter(dataset__kind="pension").count() > 10
    logged = ObjectChange.objects.filter(source="command:synth", action="bulk_create")
    assert logged.filter(content_type__model="departmentdataset").count() == len(KINDS)
    assert logged.filter(content_type__model="personsource").exists()

    counts = (DepartmentDataset.objects.count(), PersonSource.objects.count())
    synth("--scale", "village", "--households-per-village", "40", "--region", TOWNSHIPS[0][0])
    assert (DepartmentDataset.objects.count(), PersonSource.objects.count()) == counts
    assert "未重新生成" in capsys.readouterr().out


def test_no_datasets(regions):
    synth("--scale", "village", "--households-per-village", "10", "--no-datasets")
    assert not DepartmentDataset.objects.exists() and not ImportBatch.objects.exists()


def test_out_writes_one_file_per_kind_and_the_database_gets_the_same_rows(tmp_path, regions):
    township = ("--scale", "township", "--households-per-village", "8", "--region", TOWNSHIPS[0][0])
    synth(*township, "--out", str(tmp_path))
    assert not DepartmentDataset.objects.exists()
    registered = set(pq.read_table(tmp_path / "persons.parquet", columns=["id_number"]).column(0).to_pylist())
    synth(*township)
    for kind in KINDS:
        delivered = pq.read_table(tmp_path / "datasets" / f"{kind.code}.parquet")
        assert delivered.schema == arrow_schema(kind) and delivered.num_rows > 0, kind.code
        assert ids_of(delivered, kind.code) & registered, kind.code
        # The database path stores the same rows, ID numbers normalised as an import would.
        for c in kind.columns:
            if c.type == "id_number":
                i = delivered.schema.get_field_index(c.field)
                delivered = delivered.set_column(i, delivered.schema.field(i), clean(delivered.column(i)))
        stored = DepartmentDataset.objects.get(kind=kind.code)
        assert pq.read_table(stored.parquet_path).equals(delivered), kind.code


def test_synth_then_screen_raises_warnings_from_department_data(regions, settings):
    from fangpin.geo.models import Region
    from fangpin.monitoring import services
    from fangpin.monitoring.models import Warning

    settings.SCREENING_IN_BACKGROUND = False
    services.load_default_parameters()
    synth("--scale", "village", "--households-per-village", "60", "--region", TOWNSHIPS[0][0])
    call_command("screen", "--as-of", AS_OF.isoformat(), "--region", "421200")

    village = Region.objects.get(level="village")
    persons, households = synthetic.read_registry(village)
    planted = synthetic.generate(persons, households, seed=5, as_of=AS_OF).planted
    for rule, ids in planted.items():
        warned = Warning.objects.filter(rule_code=rule)
        if warned.exists() and warned.first().person_id is None:
            found = set(warned.values_list("household__members__id_number", flat=True))
        else:
            found = set(warned.values_list("person__id_number", flat=True))
        assert set(ids.to_pylist()) <= found, rule

    death = Warning.objects.filter(rule_code="BD-01").first()
    assert death is not None and death.produces == "clue"
    source = {i["name"]: i["source"] for i in death.evidence["inputs"]}["death_date_recorded"]
    assert "公安" in source and "死亡人员信息" in source
    medical = Warning.objects.filter(rule_code__in=["JC-07", "JC-08", "JC-09", "JC-10"]).first()
    assert medical is not None
    sources = " ".join(i["source"] for i in medical.evidence["inputs"])
    assert "医保" in sources and "医保结算信息" in sources
    house = Warning.objects.filter(rule_code="JC-12").first()
    assert house is not None
    # A household feature counting department facts cites the department dataset, not the registry.
    sources = " ".join(i["source"] for i in house.evidence["inputs"])
    assert "住建" in sources and "农村房屋安全鉴定信息" in sources and "按家庭成员汇总" in sources
