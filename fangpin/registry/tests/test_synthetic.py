"""The synthetic registry: valid by the model's own rules, deterministic, idempotent, and Parquet-capable."""

import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from fangpin.core.models import ObjectChange
from fangpin.core.validators import parse_id_number
from fangpin.geo.models import Region
from fangpin.registry import synthetic
from fangpin.registry.models import Household, HouseholdIncome, Person

TOWNSHIP = ("421223104", "421223")


@pytest.fixture
def regions(db):
    call_command("load_regions")


def test_generated_rows_pass_every_model_rule_and_summaries_are_right(regions):
    call_command(
        "synth",
        "--scale",
        "village",
        "--seed",
        "3",
        "--households-per-village",
        "60",
        "--region",
        TOWNSHIP[0],
    )
    village = Region.objects.get(level="village")
    assert village.is_synthetic and village.parent.code == TOWNSHIP[0] and len(village.code) == 12
    households = list(Household.objects.all())
    assert 50 <= len(households) <= 70
    for h in households:
        h.full_clean(validate_unique=False)
        summary = (h.member_count, h.head_name, h.income_year, h.per_capita_income)
        h.refresh_summary()
        h.refresh_from_db()
        assert summary == (h.member_count, h.head_name, h.income_year, h.per_capita_income)
        assert h.phone.startswith(synthetic.SYNTHETIC_PHONE_PREFIX)
    for p in Person.objects.select_related("household"):
        p.full_clean(validate_unique=False)
        ident = parse_id_number(p.id_number)
        assert (ident.sex, ident.birth_date, ident.region_code) == (p.sex, p.birth_date, "421223")
    for i in HouseholdIncome.objects.select_related("household"):
        expected = i.net_income
        i.compute()
        assert i.net_income == expected and i.household_size == i.household.member_count
    assert Person.objects.values("id_number").distinct().count() == Person.objects.count()
    sources = set(ObjectChange.objects.filter(action="bulk_create").values_list("source", flat=True))
    assert sources == {"command:synth"}


def test_rerun_adds_nothing(regions):
    call_command("synth", "--scale", "village", "--seed", "3", "--households-per-village", "20")
    counts = (Household.objects.count(), Person.objects.count(), HouseholdIncome.objects.count())
    call_command("synth", "--scale", "village", "--seed", "3", "--households-per-village", "20")
    assert (Household.objects.count(), Person.objects.count(), HouseholdIncome.objects.count()) == counts


def test_same_seed_same_data_other_seed_other_data():
    def run(seed):
        return [(h, p, i) for _, h, p, i in synthetic.iter_villages(seed, [TOWNSHIP], 15)]

    first, again, other = run(5), run(5), run(6)
    assert first == again
    assert [p["id_number"] for _, ps, _ in first for p in ps] != [
        p["id_number"] for _, ps, _ in other for p in ps
    ]


def test_distribution_is_plausible():
    persons, households = [], []
    for _, h, p, _ in synthetic.iter_villages(1, [TOWNSHIP, ("421222100", "421222")], 120):
        households += h
        persons += p
    share = len([h for h in households if h["household_type"] == "exited"]) / len(households)
    assert 0.25 < share < 0.55
    size = len(persons) / len(households)
    assert 2.8 < size < 3.8
    healthy = len([p for p in persons if not (p["chronic_disease"] or p["serious_illness"] or p["disabled"])])
    assert 0.6 < healthy / len(persons) < 0.85
    below_line = len([h for h in households if h["per_capita_income"] < 7600]) / len(households)
    assert 0.01 < below_line < 0.15


def test_parquet_output(regions, tmp_path):
    call_command(
        "synth",
        "--scale",
        "township",
        "--seed",
        "2",
        "--out",
        str(tmp_path),
        "--region",
        "421223104",
        "--households-per-village",
        "10",
    )
    households = pq.read_table(tmp_path / "households.parquet")
    persons = pq.read_table(tmp_path / "persons.parquet")
    incomes = pq.read_table(tmp_path / "incomes.parquet")
    assert {"number", "region_code", "household_type", "per_capita_income"} <= set(households.column_names)
    assert {"household_number", "id_number", "birth_date", "labour_skill"} <= set(persons.column_names)
    assert incomes.num_rows == 2 * households.num_rows
    assert set(persons.column("household_number").to_pylist()) == set(households.column("number").to_pylist())


def test_clear_errors(db, tmp_path):
    with pytest.raises(CommandError, match="load-regions"):
        call_command("synth", "--scale", "county", "--seed", "1")
    with pytest.raises(CommandError, match="Parquet"):
        call_command("synth", "--scale", "province", "--seed", "1")
    call_command("load_regions")
    with pytest.raises(CommandError, match="不存在"):
        call_command("synth", "--scale", "county", "--seed", "1", "--region", "421299")
    with pytest.raises(CommandError, match="乡镇"):
        call_command("synth", "--scale", "township", "--seed", "1", "--region", "421223001")


def test_a_village_is_the_same_alone_or_in_its_county_and_a_larger_run_after_a_smaller_one_works(regions):
    county = [(t, "421223") for t in ("421223100", "421223101", "421223104")]
    alone = next(
        v for v in synthetic.iter_villages(1, [("421223104", "421223")], 20) if v[0].code == "421223104205"
    )
    within = next(v for v in synthetic.iter_villages(1, county, 20) if v[0].code == "421223104205")
    assert alone == within
    # Every village of a township owns different ID sequence numbers.
    slots = [v.id_slot for t, c in county for v in synthetic.plan_villages(1, t, c)]
    assert len(slots) == len(set(slots)) and max(slots) * 2 + 1 <= 999
    assert synthetic.plan_villages(1, "421223104", "421223") == synthetic.plan_villages(
        2, "421223104", "421223"
    )

    # A real person (imported, typed in) holds the number a synthetic villager of a not-yet-generated township
    # would get: the villager is moved a day earlier, nothing crashes, the real person stays.
    call_command(
        "synth",
        "--scale",
        "township",
        "--seed",
        "1",
        "--region",
        "421223104",
        "--households-per-village",
        "5",
    )
    plan = synthetic.plan_villages(1, "421223100", "421223")[0]
    target = synthetic.generate_village(1, plan, 5)[1][0]
    household = Household.objects.filter(region__code="421223104201").first()
    real = Person.objects.create(
        household=household,
        id_number=target["id_number"],
        name="真实的人",
        relation="other",
        education="junior",
        labour_skill="none",
        resident_medical=True,
    )
    call_command("synth", "--scale", "county", "--seed", "1", "--households-per-village", "5")
    assert Person.objects.get(pk=real.pk).id_number == target["id_number"]
    moved = Person.objects.get(household__number=target["household_number"], name=target["name"])
    assert moved.id_number != target["id_number"] and moved.birth_date < target["birth_date"]
    assert Person.objects.values("id_number").distinct().count() == Person.objects.count()
