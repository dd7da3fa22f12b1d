"""Review findings at the API and page level: bulk cadre reassignment through the API (all or nothing, scoped),
404s answered in Chinese without saying whether the object exists elsewhere, and no rejection offered to an
official who does not own the pending step (the reassign URL's scope is covered in test_case_api_scope)."""

from django.urls import reverse

from fangpin.core.testing import PASSWORD
from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.services import cases
from fangpin.monitoring.tests.test_case_api import api, clock, to_status  # noqa: F401 - fixture

S = MonitoringCase.Status


def _monitored(cast, households, key, clock):  # noqa: F811
    case = cases.open_case(
        households[key], user=cast["village_cadre" if key == "a" else "village_cadre_b"], channel="cadre"
    )
    return to_status(case, cast, S.MONITORED, clock)


def test_reassign_cadres_through_the_api(clock, cast, households):  # noqa: F811
    first = _monitored(cast, households, "a", clock)
    cadre = MonitoringCase.objects.get(pk=first.pk).cadre
    township = api(cast["township_officer"])
    url = "/api/cases/reassign-cadre/"
    refused = township.post(
        url, {"from_cadre": cadre.pk, "to_cadre": cast["village_cadre_b"].pk}, format="json"
    )
    assert refused.status_code == 400 and "未做任何调整" in refused.content.decode()
    assert MonitoringCase.objects.get(pk=first.pk).cadre == cadre
    moved = township.post(
        url, {"from_cadre": cadre.pk, "to_cadre": cast["township_officer"].pk}, format="json"
    )
    assert moved.status_code == 200 and moved.json() == {"moved": 1}
    assert MonitoringCase.objects.get(pk=first.pk).cadre == cast["township_officer"]
    outsider = api(cast["outsider"]).post(
        url,
        {"from_cadre": cast["township_officer"].pk, "to_cadre": cast["outsider"].pk, "cases": [first.pk]},
        format="json",
    )
    assert outsider.status_code == 404
    assert (
        api(cast["village_cadre"])
        .post(
            url,
            {"from_cadre": cast["village_cadre"].pk, "to_cadre": cast["township_officer"].pk},
            format="json",
        )
        .status_code
        == 403
    )


def test_not_found_is_answered_in_chinese(clock, cast, households):  # noqa: F811
    case = cases.open_case(households["a"], user=cast["village_cadre"], channel="cadre")
    body = api(cast["outsider"]).get(f"/api/cases/{case.pk}/").json()
    assert body == {"detail": "未找到该记录，或不在您的管辖范围内"}
    assert api(cast["outsider"]).get("/api/cases/999999/").json() == body


def test_rejection_is_offered_only_to_the_owner_of_the_pending_step(clock, cast, households, client):  # noqa: F811
    case = cases.open_case(households["a"], user=cast["village_cadre"], channel="cadre")
    to_status(case, cast, S.AUDITED, clock)  # waits for the county's approval
    actions = {a["name"] for a in api(cast["village_cadre"]).get(f"/api/cases/{case.pk}/").json()["actions"]}
    assert "reject" not in actions
    county = {a["name"] for a in api(cast["county_officer"]).get(f"/api/cases/{case.pk}/").json()["actions"]}
    assert {"approve", "reject"} <= county
    client.login(username="village_cadre", password=PASSWORD)
    page = client.get(reverse("monitoring:case_detail", args=[case.pk])).content.decode()
    assert "不予纳入" not in page
