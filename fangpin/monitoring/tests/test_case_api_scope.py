"""Scope of every monitoring-case and assistance-measure endpoint, for each member of the cast: a case is seen
through its household's village; out of scope is 404 on every route, for reads and writes alike, and a refused
write changes nothing. Personal data (the monitoring contact's phone) is masked like the registry's."""

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from fangpin.assistance.models import AssistanceMeasure
from fangpin.core.models import StatusChange
from fangpin.core.testing import all_url_names, xlsx_rows
from fangpin.monitoring import services
from fangpin.monitoring.case_api import STEPS
from fangpin.monitoring.models import CaseObjection, MonitoringCase, Visit, Warning
from fangpin.monitoring.services import cases
from fangpin.monitoring.tests.test_case_api import make_warning
from fangpin.registry.tests.test_scope import VISIBLE

STEP_URLS = {f"case-{name.replace('_', '-')}" for name in STEPS}
CASE_GET = {"case-detail", "case-objections", "case-visits", "case-history"}
CASE_POST = STEP_URLS | {"case-objections", "case-objection-handle", "case-assign-cadre", "case-visits"}
SCOPE_COVERED_URLS = {
    "case-list", "case-bulk-clues", "case-reassign-cadre", "measure-list", "measure-detail", *CASE_GET, *CASE_POST,
}  # fmt: skip
OPENS = {"a": "village_cadre", "b": "village_cadre_b", "c": "county_officer", "d": "outsider"}
EXPORTS = {
    "city_admin", "county_officer", "township_officer", "village_cadre", "village_cadre_b", "outsider",
    "medical_officer", "supervisor",  # departments act on cases and supervisors audit them: the ledger is theirs too
}  # fmt: skip
ADDS = {"county_officer", "township_officer", "village_cadre", "village_cadre_b", "outsider"}


@pytest.fixture
def opened(tree, cast, households):
    """One monitored case per household, each with a measure, an objection and a visit (rows made directly:
    the scope is under test here, not the steps)."""
    services.load_default_parameters()
    out = {}
    for key, household in households.items():
        case = cases.open_case(household, user=cast[OPENS[key]], channel="cadre")
        MonitoringCase.objects.filter(pk=case.pk).update(
            status="monitored", recorded_on=dt.date(2026, 1, 5), monitoring_contact="张建国",
            monitoring_contact_phone="13972100001",
        )  # fmt: skip
        case.refresh_from_db()
        AssistanceMeasure.objects.create(
            case=case,
            category="health",
            subtype="医疗救助",
            start_on=dt.date(2026, 1, 6),
            provider="县医保局",
        )
        CaseObjection.objects.create(
            case=case, stage="notice", received_on=dt.date(2026, 1, 2), content="异议"
        )
        Visit.objects.create(case=case, visited_on=dt.date(2026, 1, 7), findings="走访")
        out[key] = case
    return out


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def case_urls(case, names):
    objection = case.objections.first()
    return {
        name: reverse(name, kwargs={"pk": case.pk, "objection_id": objection.pk})
        if name == "case-objection-handle"
        else reverse(name, args=[case.pk])
        for name in names
    }


def snapshot(case):
    fresh = MonitoringCase.objects.get(pk=case.pk)
    return (
        fresh.status, fresh.updated_at, fresh.cadre_id, fresh.objections.filter(outcome="pending").count(),
        fresh.visits.count(), fresh.measures.count(), fresh.objections.count(),
        StatusChange.objects.filter(object_id=case.pk, content_type__model="monitoringcase").count(),
    )  # fmt: skip


def test_every_case_route_is_covered():
    names = {n for n in all_url_names() if n.startswith(("case-", "measure-")) and not n.endswith("-format")}
    assert names == SCOPE_COVERED_URLS


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_case_endpoints_are_404_out_of_scope(cast, households, opened, username):
    client = api(cast[username])
    for key, case in opened.items():
        visible = key in VISIBLE[username]
        for name, url in case_urls(case, CASE_GET).items():
            assert client.get(url).status_code == (200 if visible else 404), (username, name, key)
        measure = f"/api/measures/{case.measures.first().pk}/"
        assert client.get(measure).status_code == (200 if visible else 404), (username, key)
        if visible:
            continue
        before = snapshot(case)
        for name, url in case_urls(case, CASE_POST).items():
            body = {"reason": "x", "comment": "x", "content": "x", "received_on": "2026-01-06", "findings": "x",
                    "visited_on": "2026-01-08", "outcome": "dismissed", "handling": "x", "contact": "李四"}  # fmt: skip
            assert client.post(url, body, format="json").status_code == 404, (username, name, key)
        assert client.patch(measure, {"amount": "1"}, format="json").status_code == 404, (username, key)
        assert client.delete(measure).status_code == 404, (username, key)
        assert snapshot(case) == before, (username, key)


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_lists_and_exports_hold_exactly_the_scope(cast, households, opened, username):
    client = api(cast[username])
    expected = {opened[k].pk for k in VISIBLE[username]}
    listed = client.get("/api/cases/", {"page_size": 500}).json()
    assert {row["id"] for row in listed["results"]} == expected and listed["count"] == len(expected)
    measures = client.get("/api/measures/", {"page_size": 500}).json()["results"]
    assert {m["case"] for m in measures} == expected
    for key, case in opened.items():  # filtering by a case out of scope finds nothing rather than leaking it
        found = client.get("/api/measures/", {"case": case.pk}).json()["count"]
        assert found == (1 if key in VISIBLE[username] else 0), (username, key)
    export = client.get("/api/cases/?format=xlsx")
    if username in EXPORTS:
        assert export.status_code == 200, username
        rows = xlsx_rows(export.content)
        assert {r[0] for r in rows[1:]} == expected and rows[0][2] == "户编号"
    else:
        assert export.status_code == 403, username


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_writes_naming_out_of_scope_rows_are_refused(cast, households, tree, opened, username):
    client = api(cast[username])
    MonitoringCase.objects.filter(pk__in=[c.pk for c in opened.values()]).update(status="eliminated")
    counts = MonitoringCase.objects.count(), AssistanceMeasure.objects.count()
    for key, household in households.items():
        if key in VISIBLE[username]:
            continue
        warning = make_warning(household)
        bulk = client.post("/api/cases/bulk-clues/", {"warnings": [warning.pk]}, format="json")
        assert bulk.status_code == (404 if username in ADDS else 403), (username, key)
        create = client.post("/api/cases/", {"household": household.pk, "channel": "cadre"}, format="json")
        if username in ADDS:
            assert create.status_code == 400 and "不存在" in create.json()["household"][0], (username, key)
        else:
            assert create.status_code == 403, (username, key)
        measure = {"case": opened[key].pk, "category": "health", "subtype": "医疗救助",
                   "start_on": "2026-01-06", "provider": "x"}  # fmt: skip
        response = client.post("/api/measures/", measure, format="json")
        assert response.status_code in (400, 403), (username, key)
        if response.status_code == 400:
            assert "不存在" in response.json()["case"][0]
        assert not Warning.objects.get(pk=warning.pk).cases.exists()
    assert (MonitoringCase.objects.count(), AssistanceMeasure.objects.count()) == counts


def test_assign_cadre_only_someone_who_can_see_the_household(cast, households, opened):
    township = api(cast["township_officer"])
    url = f"/api/cases/{opened['a'].pk}/assign-cadre/"
    response = township.post(url, {"cadre": cast["village_cadre_b"].pk}, format="json")
    assert response.status_code == 400 and "管辖范围不含该户" in response.json()["cadre"][0]
    assert township.post(url, {"cadre": 987654}, format="json").status_code == 400
    assert MonitoringCase.objects.get(pk=opened["a"].pk).cadre_id is None


def test_monitoring_contact_phone_is_masked_like_the_registry(cast, households, opened):
    case = opened["a"]
    for username, masked in (
        ("leader", True),
        ("supervisor", True),
        ("county_officer", False),
        ("village_cadre", False),
        ("medical_officer", False),
    ):
        client = api(cast[username])
        shown = client.get(f"/api/cases/{case.pk}/").json()["monitoring_contact_phone"]
        row = client.get("/api/cases/", {"household": households["a"].pk}).json()["results"][0]
        assert row["monitoring_contact_phone"] == shown
        assert (shown == "13972100001") is (not masked), username
        if masked:
            assert shown == "139****0001"
