"""The worklist's `Parameters` (all rows read once, chosen per region in memory) gives, for every region and
key, exactly what the one-region resolution gives: the latest start on or before the day, the nearer region
between equal dates, a later start overriding a nearer region's older value, nothing before any start."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fangpin.geo.models import Region
from fangpin.monitoring.models import PolicyParameter
from fangpin.monitoring.services.followup import Parameters
from fangpin.monitoring.services.parameters import resolve_parameters
from fangpin.monitoring.services.workflow import parameter_type
from fangpin.screening.compiler.rendering import coerce

KEYS = ("notice_days", "visit_days_high", "monitoring_line")


@pytest.fixture
def levels(tree):
    return [tree.province, tree.city, tree.county, tree.township, tree.village_a]


def reference(region, key, day):
    row = resolve_parameters([key], region, day).get(key)
    return coerce(row.value, parameter_type(key)) if row else None


def test_the_nearer_region_and_the_later_start_win(tree, levels):
    day = dt.date(2026, 6, 1)
    PolicyParameter.objects.create(
        key="notice_days", region=tree.city, effective_from=dt.date(2024, 1, 1), value="5"
    )
    PolicyParameter.objects.create(
        key="notice_days", region=tree.county, effective_from=dt.date(2024, 1, 1), value="7"
    )
    PolicyParameter.objects.create(
        key="notice_days", region=tree.city, effective_from=dt.date(2025, 1, 1), value="6"
    )
    PolicyParameter.objects.create(
        key="notice_days", region=tree.city, effective_from=dt.date(2027, 1, 1), value="9"
    )
    params = Parameters(day)
    assert (
        params.get(tree.village_a, "notice_days") == 6
    )  # the city's later start beats the county's older one
    assert params.get(tree.other_township, "notice_days") == 6
    assert params.get(tree.province, "notice_days") is None  # nothing above the city
    PolicyParameter.objects.create(
        key="notice_days", region=tree.township, effective_from=dt.date(2025, 1, 1), value="8"
    )
    fresh = Parameters(day)
    assert fresh.get(tree.village_a, "notice_days") == 8  # same start as the city's: the nearer region
    assert fresh.get(tree.village_c, "notice_days") == 6  # another township
    for region in Region.objects.all():
        assert fresh.get(region, "notice_days") == reference(region, "notice_days", day), region.code


DAYS = st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2027, 12, 31))
ROW = st.tuples(st.sampled_from(KEYS), st.integers(0, 4), DAYS, st.integers(1, 90))


# The regions are read-only and each example starts from no parameter rows, so sharing the fixture is safe.
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, max_size=12), day=DAYS)
def test_the_same_as_one_region_at_a_time(levels, rows, day):
    PolicyParameter.objects.all().delete()
    seen = set()
    for key, level, start, value in rows:
        if (key, level, start) in seen:
            continue
        seen.add((key, level, start))
        PolicyParameter.objects.create(key=key, region=levels[level], effective_from=start, value=str(value))
    params = Parameters(day)
    for region in Region.objects.all():
        for key in KEYS:
            assert params.get(region, key) == reference(region, key, day), (region.code, key)
