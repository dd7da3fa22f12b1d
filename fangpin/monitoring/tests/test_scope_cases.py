"""Scope of every monitoring-case page, for each member of the cast: a case is seen through its household's
village; out of scope is 404 (exactly like a case that does not exist) and a POST out of scope changes nothing.
Which villages each user sees is declared in the registry's scope test, not computed."""

import datetime as dt

import pytest
from django.urls import reverse

from fangpin.assistance.models import AssistanceMeasure
from fangpin.core.models import StatusChange
from fangpin.core.testing import PASSWORD
from fangpin.monitoring import services
from fangpin.monitoring.models import CaseObjection, MonitoringCase, Visit
from fangpin.monitoring.services import cases
from fangpin.registry.tests.test_scope import VISIBLE

SCOPE_COVERED_URLS = {
    "monitoring:case_list",
    "monitoring:case_detail",
    "monitoring:case_step",
    "monitoring:case_objection_add",
    "monitoring:case_objection_handle",
    "monitoring:case_cadre",
    "monitoring:case_visit_add",
    "monitoring:case_measure_add",
    "monitoring:case_measure_edit",
    "monitoring:case_measure_delete",
    "monitoring:case_open",
    "monitoring:warning_clues",
    "monitoring:worklist",
    "monitoring:worklist_unvisited",
    "monitoring:cadre_reassign",
}
CAN_OPEN = {"county_officer", "township_officer", "village_cadre", "village_cadre_b", "outsider"}
CAN_REASSIGN = {"county_officer", "township_officer", "outsider"}
# The officials who register the clue of each household (the city administrator registers none).
OPENER = {"a": "village_cadre", "b": "village_cadre_b", "c": "county_officer", "d": "outsider"}


@pytest.fixture
def case_of(tree, cast, households):
    """A case per household, with an objection and a measure written directly (fixture data: the services'
    status rules are tested elsewhere), so every object page has something to point at."""
    services.load_default_parameters()
    out = {}
    for key, h in households.items():
        case = cases.open_case(h, user=cast[OPENER[key]], channel="cadre")
        CaseObjection.objects.create(
            case=case, stage="notice", received_on=dt.date(2026, 1, 6), content="异议"
        )
        AssistanceMeasure.objects.create(
            case=case,
            category="health",
            subtype="医疗救助",
            start_on=dt.date(2026, 1, 6),
            provider="县医保局",
        )
        out[key] = case
    return out


def pages(case):
    measure = case.measures.get()
    objection = case.objections.get()
    return {
        "get": {
            "monitoring:case_detail": reverse("monitoring:case_detail", args=[case.pk]),
            "monitoring:case_measure_add": reverse("monitoring:case_measure_add", args=[case.pk]),
            "monitoring:case_measure_edit": reverse(
                "monitoring:case_measure_edit", args=[case.pk, measure.pk]
            ),
            "monitoring:case_open": reverse("monitoring:case_open", args=[case.household_id]),
        },
        "post": {
            "monitoring:case_step": reverse("monitoring:case_step", args=[case.pk, "check"]),
            "monitoring:case_objection_add": reverse("monitoring:case_objection_add", args=[case.pk]),
            "monitoring:case_objection_handle": reverse(
                "monitoring:case_objection_handle", args=[case.pk, objection.pk]
            ),
            "monitoring:case_cadre": reverse("monitoring:case_cadre", args=[case.pk]),
            "monitoring:case_visit_add": reverse("monitoring:case_visit_add", args=[case.pk]),
            "monitoring:case_measure_delete": reverse(
                "monitoring:case_measure_delete", args=[case.pk, measure.pk]
            ),
            "monitoring:case_measure_edit": reverse(
                "monitoring:case_measure_edit", args=[case.pk, measure.pk]
            ),
        },
    }


def state(case):
    fresh = MonitoringCase.objects.get(pk=case.pk)
    return (
        fresh.status,
        fresh.cadre_id,
        fresh.monitoring_contact,
        StatusChange.objects.filter(object_id=case.pk, content_type__model="monitoringcase").count(),
        list(CaseObjection.objects.filter(case=case).values_list("outcome", flat=True)),
        Visit.objects.filter(case=case).count(),
        list(AssistanceMeasure.objects.filter(case=case).values_list("pk", "amount")),
    )


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_case_pages_are_404_out_of_scope(client, cast, households, case_of, username):
    client.login(username=username, password=PASSWORD)
    for key, case in case_of.items():
        for name, url in pages(case)["get"].items():
            code = client.get(url).status_code
            if name == "monitoring:case_open" and username not in CAN_OPEN:
                assert code == 403, (username, name, key)
            elif name in ("monitoring:case_measure_add", "monitoring:case_measure_edit") and username in (
                "city_admin",
                "supervisor",
                "leader",
            ):
                assert code == (403 if key in VISIBLE[username] else 404), (username, name, key, code)
            elif key in VISIBLE[username]:
                assert code == 200, (username, name, key, code)
            else:
                assert code == 404, (username, name, key, code)


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_posts_out_of_scope_are_404_and_change_nothing(client, cast, households, case_of, username):
    client.login(username=username, password=PASSWORD)
    data = {
        "check-checked_on": "2026-01-05",
        "check-consent_signed_on": "2026-01-05",
        "check-category": "unstable_exited",
        "check-risks": ["illness"],
        "cadre-contact": "x",
        "visit-visited_on": "2026-01-05",
        "visit-method": "home",
        "visit-findings": "x",
        "objection-content": "x",
        "category": "health",
        "subtype": "医疗救助",
        "amount": "1",
        "start_on": "2026-01-05",
        "provider": "x",
    }
    for key, case in case_of.items():
        if key in VISIBLE[username]:
            continue
        before = state(case)
        for name, url in pages(case)["post"].items():
            code = client.post(url, data).status_code
            assert code == 404, (username, name, key, code)  # whatever the role: out of scope is "not found"
        open_code = client.post(
            reverse("monitoring:case_open", args=[case.household_id]), {"channel": "cadre"}
        )
        assert open_code.status_code == (404 if username in CAN_OPEN else 403)
        assert state(case) == before, (username, key)
        assert MonitoringCase.objects.filter(household_id=case.household_id).count() == 1


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_lists_and_worklists_hold_exactly_the_scope(client, cast, households, case_of, username):
    client.login(username=username, password=PASSWORD)
    expected = {households[k].number for k in VISIBLE[username]}
    for url in (reverse("monitoring:case_list"), reverse("monitoring:worklist"), reverse("home")):
        page = client.get(url).content.decode()
        shown = {h.number for h in households.values() if h.number in page}
        shown |= {c.household.number for c in case_of.values() if c.get_absolute_url() + '"' in page}
        if url == reverse("monitoring:case_list"):
            assert shown == expected, (username, url)
        else:
            assert shown <= expected, (username, url)
    export = client.get(reverse("monitoring:case_list") + "?export=xlsx")
    if username == "leader":
        assert export.status_code == 403
    else:
        from fangpin.core.testing import xlsx_rows

        rows = xlsx_rows(b"".join(export.streaming_content))
        column = rows[0].index("户编号")
        assert {r[column] for r in rows[1:]} == expected
    assert client.get(reverse("monitoring:worklist_unvisited")).status_code == 200
    reassign = client.get(reverse("monitoring:cadre_reassign"))
    assert reassign.status_code == (200 if username in CAN_REASSIGN else 403)
    for key, h in households.items():
        panel = client.get(h.get_absolute_url()).content.decode()
        if key in VISIBLE[username]:
            assert case_of[key].get_absolute_url() in panel


@pytest.mark.parametrize("username", sorted(CAN_OPEN))
def test_warning_clues_out_of_scope(client, cast, tree, households, case_of, username):
    from fangpin.monitoring.tests.test_case_views import warn

    warned = warn(tree, households)
    client.login(username=username, password=PASSWORD)
    for key, warning in warned.items():
        if key in VISIBLE[username]:
            continue
        response = client.post(reverse("monitoring:warning_clues"), {"warning": [warning.pk]})
        assert response.status_code == 404, (username, key)
        assert not warning.cases.exists()
        village = households[key].region
        assert client.post(reverse("monitoring:warning_clues"), {"village": village.pk}).status_code == 404
        assert not warning.cases.exists()
