"""Scope of every monitoring page and endpoint, for each member of the cast: warnings are seen through their
household's village; runs and parameter edits through the region they cover."""

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from fangpin.core.testing import PASSWORD
from fangpin.monitoring import services
from fangpin.monitoring.models import PolicyParameter, Warning
from fangpin.registry.tests.test_scope import VISIBLE


@pytest.fixture
def warned(tree, households):
    services.load_default_parameters()
    for h in households.values():
        income = h.incomes.get(year=2025)
        income.wage, income.business, income.transfer, income.business_cost = 50, 0, 0, 0  # ZL-06
        income.save()
        h.refresh_summary()
    run = services.start_run(user=None, region=tree.city, as_of=dt.date(2026, 6, 30), source="test")
    services.execute_run(run)
    return {key: Warning.objects.filter(household=h).first() for key, h in households.items()}


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_warnings_are_seen_only_in_scope(client, cast, households, warned, username):
    client.login(username=username, password=PASSWORD)
    api = APIClient()
    api.force_authenticate(cast[username])
    listed = client.get(reverse("monitoring:warning_list")).content.decode()
    api_ids = {w["id"] for w in api.get("/api/warnings/", {"page_size": 500}).json()["results"]}
    for key, warning in warned.items():
        assert warning is not None, key
        detail = client.get(reverse("monitoring:warning_detail", args=[warning.pk])).status_code
        api_detail = api.get(f"/api/warnings/{warning.pk}/").status_code
        if key in VISIBLE[username]:
            assert detail == 200 and api_detail == 200, (username, key)
            assert warning.pk in api_ids
            assert households[key].number in listed
        else:
            assert detail == 404 and api_detail == 404, (username, key)
            assert warning.pk not in api_ids
            assert households[key].number not in listed


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_runs_and_parameters_in_scope(client, tree, cast, warned, username):
    client.login(username=username, password=PASSWORD)
    run = warned["a"].raised_by  # a city-wide run: seen by city-level users only
    status = client.get(reverse("monitoring:run_detail", args=[run.pk])).status_code
    assert status == (200 if VISIBLE[username] == "abcd" else 404), username
    assert client.get(reverse("monitoring:run_list")).status_code == 200
    assert client.get(reverse("monitoring:parameter_list")).status_code == 200
    assert client.get(reverse("monitoring:preview")).status_code == 200
    county_value = PolicyParameter.objects.create(
        key="recent_days", region=tree.other_county, effective_from=dt.date(2026, 1, 1), value="180"
    )
    edit = client.get(reverse("monitoring:parameter_edit", args=[county_value.pk])).status_code
    if username == "city_admin":
        assert edit == 200
    elif "d" in VISIBLE[username]:
        assert edit == 403, username
    else:
        assert edit == 404, username
    api = APIClient()
    api.force_authenticate(cast[username])
    assert api.get(f"/api/screening-runs/{run.pk}/").status_code == (
        200 if VISIBLE[username] == "abcd" else 404
    )
    assert api.get(f"/api/parameters/{county_value.pk}/").status_code == (
        200 if "d" in VISIBLE[username] else 404
    )
