"""The governance API (issue #6 part 8): talks, leader visits and their coverage, assessment indicators and
results — a create and list path for each, refusals with their Chinese reasons (400), and for every member of the
cast the same scope as the pages (403 without the permission, 404 out of scope, nothing changed)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from fangpin.supervision.models import AssessmentIndicator, AssessmentResult, LeaderVisit, Talk
from fangpin.supervision.services import assessment
from fangpin.supervision.tests.test_assessment import (  # noqa: F401 (clock and computed are fixtures)
    EQUAL,
    ORGANISERS,
    RESULT_VIEWERS,
    YEAR,
    clock,
    computed,
)
from fangpin.supervision.tests.test_governance import (  # noqa: F401 (records is a fixture)
    ALL,
    DAY,
    SEES_TALK,
    SEES_VISIT,
    TALK_VIEWERS,
    VILLAGE,
    VISIT_RECORDERS,
    VISIT_VIEWERS,
    handed_clue,
    records,
)

SCOPE_COVERED_URLS = {
    "talk-list", "talk-detail", "talk-follow-up",
    "leadervisit-list", "leadervisit-detail", "leadervisit-coverage",
    "assessmentindicator-list", "assessmentindicator-detail",
    "assessmentresult-list", "assessmentresult-detail", "assessmentresult-recompute",
}  # fmt: skip


def api(cast, username):
    client = APIClient()
    client.force_authenticate(cast[username])
    return client


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def talk_body(tree, **extra):
    return {"region": tree.township.code, "persons": "白霓镇党委书记 王某", "held_on": str(DAY),
            "held_by": "县纪委监委 李某", "reason": "问题线索整改滞后", **extra}  # fmt: skip


# ---------------------------------------------------------------- talks


def test_talk_is_recorded_listed_and_followed_up(tree, cast):
    client = api(cast, "supervisor")
    clue = handed_clue(tree, cast, tree.village_a, tree.township)
    created = client.post(reverse("talk-list"), talk_body(tree, clue_numbers=[clue.number]), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["unit"], body["clues"], body["region"]) == (
        "咸宁市崇阳县白霓镇",
        [clue.number],
        tree.township.code,
    )
    assert ids(client.get(reverse("talk-list"))) == {body["id"]}
    assert client.get(reverse("talk-detail", args=[body["id"]])).json()["persons"] == "白霓镇党委书记 王某"
    url = reverse("talk-follow-up", args=[body["id"]])
    done = client.post(url, {"follow_up": "已整改 1 条", "commitments": "一月内整改"}, format="json")
    assert done.status_code == 200 and done.json()["follow_up"] == "已整改 1 条"
    assert Talk.objects.get(pk=body["id"]).commitments == "一月内整改"


def test_talk_refusals_carry_the_services_reasons(tree, cast):
    client = api(cast, "supervisor")
    elsewhere = handed_clue(tree, cast, tree.village_c, tree.township_2)
    future = dt.date.today() + dt.timedelta(days=3)
    cases = [
        (talk_body(tree, clue_numbers=[elsewhere.number]), "clues", "不属于被约谈单位"),
        (talk_body(tree, held_on=str(future)), "held_on", "约谈日期不能晚于今天"),
        (talk_body(tree, region=tree.village_a.code), "region", "县（市、区）或乡镇"),
        (talk_body(tree, region=tree.other_township.code), "region", "不在您的管辖范围内"),
    ]
    for body, field, reason in cases:
        response = client.post(reverse("talk-list"), body, format="json")
        assert response.status_code == 400 and reason in "".join(response.json()[field]), response.json()
    assert not Talk.objects.exists()
    talk = client.post(reverse("talk-list"), talk_body(tree), format="json").json()
    blank = client.post(reverse("talk-follow-up", args=[talk["id"]]), {"follow_up": " "}, format="json")
    assert blank.status_code == 400 and blank.json()["follow_up"] == ["请填写跟踪落实情况"]


@pytest.mark.parametrize("username", ALL)
def test_talk_api_scope(tree, cast, records, username):  # noqa: F811
    client = api(cast, username)
    created = client.post(reverse("talk-list"), talk_body(tree, persons="越权"), format="json")
    assert created.status_code == (201 if username == "supervisor" else 403), username
    Talk.objects.filter(persons="越权").delete()
    listing = client.get(reverse("talk-list"))
    if username not in TALK_VIEWERS:
        assert listing.status_code == 403
        # As everywhere in the API: out of scope is 404 for everyone, in scope without the permission 403.
        in_scope = set(Talk.objects.visible_to(cast[username]).values_list("pk", flat=True))
        for talk in records.values():
            status = client.get(reverse("talk-detail", args=[talk.pk])).status_code
            assert status == (403 if talk.pk in in_scope else 404), username
        return
    assert ids(listing) == {records[k].pk for k in SEES_TALK[username]}, username
    for key, talk in records.items():
        seen = key in SEES_TALK[username]
        assert client.get(reverse("talk-detail", args=[talk.pk])).status_code == (200 if seen else 404)
        response = client.post(
            reverse("talk-follow-up", args=[talk.pk]), {"follow_up": "越权"}, format="json"
        )
        expected = 404 if not seen else (200 if username == "supervisor" else 403)
        assert response.status_code == expected, (username, key)
    assert Talk.objects.filter(follow_up="越权").count() == (1 if username == "supervisor" else 0)


# ---------------------------------------------------------------- leader visits


def test_visit_is_recorded_listed_and_refused_with_reasons(tree, cast, households):
    client = api(cast, "township_officer")
    body = {"visitor": "王书记", "post": VILLAGE, "region": tree.village_a.code,
            "household": households["a"].number, "visited_on": str(DAY)}  # fmt: skip
    created = client.post(reverse("leadervisit-list"), body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["household"] == households["a"].number
    assert ids(client.get(reverse("leadervisit-list"))) == {created.json()["id"]}
    refusals = [
        ({**body, "post": "county_secretary"}, "household", "不登记走访户"),
        ({**body, "household": households["b"].number}, "household", "走访户不在所选村"),
        ({**body, "household": None}, "household", "请填写走访户"),
        ({**body, "region": tree.village_c.code}, "region", "不在您的管辖范围内"),
        ({**body, "household": households["d"].number}, "household", "不在您的管辖范围内"),
    ]
    for data, field, reason in refusals:
        response = client.post(reverse("leadervisit-list"), data, format="json")
        assert response.status_code == 400 and reason in "".join(response.json()[field]), response.json()
    assert LeaderVisit.objects.count() == 1


def test_coverage_counts_the_years_visits(tree, cast, households):
    client = api(cast, "county_officer")
    LeaderVisit.objects.create(post=VILLAGE, region=tree.village_a, household=households["a"], visitor="村书记",
                               visited_on=DAY)  # fmt: skip
    response = client.get(reverse("leadervisit-coverage"), {"year": DAY.year})
    assert response.status_code == 200
    body = response.json()
    assert body["region"] == tree.county.code and body["totals"]["by_village"] == 1
    gaps = {g["number"]: g["missing"] for g in body["household_gaps"]}
    assert gaps[households["a"].number] == ["乡镇党委书记"] and households["d"].number not in gaps
    assert client.get(reverse("leadervisit-coverage"), {"region": tree.other_county.code}).status_code == 404


@pytest.mark.parametrize("username", ALL)
def test_visit_api_scope(tree, cast, records, households, username):  # noqa: F811
    client = api(cast, username)
    body = {"visitor": "越权", "post": "county_secretary", "region": cast[username].region.code,
            "visited_on": str(DAY)}  # fmt: skip
    created = client.post(reverse("leadervisit-list"), body, format="json")
    if username not in VISIT_RECORDERS:
        assert created.status_code == 403, username
    else:  # recorders are let through to the service, which wants a village
        assert created.status_code in (201, 400), username
    visits = {k: LeaderVisit.objects.get(household=households[k]) for k in ("a", "d")}
    coverage = client.get(reverse("leadervisit-coverage"))
    if username not in VISIT_VIEWERS:
        assert client.get(reverse("leadervisit-list")).status_code == 403 and coverage.status_code == 403
        return
    assert coverage.status_code == 200
    assert ids(client.get(reverse("leadervisit-list"))) >= {visits[k].pk for k in SEES_VISIT[username]}
    assert not ids(client.get(reverse("leadervisit-list"))) & {
        v.pk for k, v in visits.items() if k not in SEES_VISIT[username]
    }
    for key, visit in visits.items():
        status = client.get(reverse("leadervisit-detail", args=[visit.pk])).status_code
        assert status == (200 if key in SEES_VISIT[username] else 404), (username, key)


# ---------------------------------------------------------------- assessment


def test_indicator_weights_are_set_and_listed(tree, cast):
    client = api(cast, "county_officer")
    short = {**{m: "25" for m in assessment.METRICS}, next(iter(assessment.METRICS)): "15"}
    refused = client.post(
        reverse("assessmentindicator-list"), {"year": YEAR, "weights": short}, format="json"
    )
    assert (
        refused.status_code == 400
        and "各项权重之和须为 100，现为 90" in refused.json()["non_field_errors"][0]
    )
    assert not AssessmentIndicator.objects.exists()
    weights = {m: str(w) for m, w in EQUAL.items()}
    created = client.post(
        reverse("assessmentindicator-list"), {"year": YEAR, "weights": weights}, format="json"
    )
    assert created.status_code == 201 and {r["weight"] for r in created.json()} == {"25.00"}
    listed = client.get(reverse("assessmentindicator-list"), {"year": YEAR}).json()["results"]
    assert {r["metric"] for r in listed} == set(assessment.METRICS) and {r["region"] for r in listed} == {
        tree.county.code
    }
    assert ids(client.get(reverse("assessmentindicator-list"), {"year": YEAR - 1})) == set()


def test_results_are_recomputed_and_refused_without_indicators(clock, tree, cast, households):  # noqa: F811
    client = api(cast, "county_officer")
    url = reverse("assessmentresult-recompute")
    refused = client.post(url, {"organiser": tree.county.code, "year": YEAR}, format="json")
    assert refused.status_code == 400 and "请先设置考核指标" in refused.json()["non_field_errors"][0]
    assessment.set_indicators(tree.county, YEAR, EQUAL, user=cast["county_officer"])
    done = client.post(url, {"organiser": tree.county.code, "year": YEAR}, format="json")
    assert done.status_code == 200 and {r["unit"] for r in done.json()} == {tree.township.code, "421223100"}
    listed = client.get(reverse("assessmentresult-list"), {"year": YEAR, "organiser": tree.county.code})
    assert {r["unit"] for r in listed.json()["results"]} == {tree.township.code, "421223100"}
    assert client.get(reverse("assessmentresult-list"), {"year": YEAR - 1}).json()["results"] == []


@pytest.mark.parametrize("username", ALL)
def test_assessment_api_scope(tree, cast, computed, username):  # noqa: F811
    client = api(cast, username)
    mine = client.get(reverse("assessmentresult-list"), {"year": YEAR, "organiser": tree.county.code})
    theirs = client.get(reverse("assessmentresult-list"), {"year": YEAR, "organiser": tree.other_county.code})
    result = AssessmentResult.objects.get(unit=tree.township)
    detail = client.get(reverse("assessmentresult-detail", args=[result.pk]))
    if username not in RESULT_VIEWERS:
        in_scope = AssessmentResult.objects.visible_to(cast[username]).filter(pk=result.pk).exists()
        assert (mine.status_code, theirs.status_code) == (403, 403), username
        assert detail.status_code == (403 if in_scope else 404), username
    else:
        sees_chongyang = username != "outsider"
        assert mine.status_code == (200 if sees_chongyang else 404), username
        assert theirs.status_code == (200 if username in ("city_admin", "outsider") else 404), username
        assert detail.status_code == (200 if sees_chongyang else 404), username
        if sees_chongyang:
            row = next(r for r in mine.json()["results"] if r["unit"] == tree.township.code)
            assert row["must_talk"] and "存在突出问题：1 条问题线索被督办" in row["must_talk_reasons"]
    indicators = client.get(reverse("assessmentindicator-list"), {"year": YEAR})
    counties = {"city_admin": {"421223", "421224"}, "outsider": {"421224"}}
    if indicators.status_code == 200:
        regions = {r["region"] for r in indicators.json()["results"]}
        assert regions == counties.get(username, {"421223"}), username
        own = AssessmentIndicator.objects.filter(region=tree.county).first()
        status = client.get(reverse("assessmentindicator-detail", args=[own.pk])).status_code
        assert status == (404 if username == "outsider" else 200)
    else:
        assert indicators.status_code == 403 and username not in ORGANISERS | {"supervisor"}, username
    before = list(AssessmentResult.objects.values_list("unit_id", "score", "computed_at"))
    weights = {m: str(w) for m, w in EQUAL.items()}
    recompute = client.post(
        reverse("assessmentresult-recompute"), {"organiser": tree.county.code, "year": YEAR}, format="json"
    )
    setting = client.post(
        reverse("assessmentindicator-list"), {"year": YEAR, "weights": weights}, format="json"
    )
    if username == "county_officer":
        assert recompute.status_code == 200 and setting.status_code == 201
        return
    assert recompute.status_code == (404 if username == "outsider" else 403), username
    assert setting.status_code == (201 if username in ORGANISERS else 403), username
    assert list(AssessmentResult.objects.values_list("unit_id", "score", "computed_at")) == before
    assert AssessmentIndicator.objects.filter(region=tree.county, weight=Decimal(25)).count() == 4
