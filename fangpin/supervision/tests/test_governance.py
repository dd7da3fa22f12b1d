"""Talks (约谈) and the visit-all duty (遍访): recording and its refusals, which villages and households are "poor",
the coverage gaps, and every page's scope and 403s for the cast."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from fangpin.core.testing import PASSWORD, make_household, xlsx_rows
from fangpin.monitoring.models import MonitoringCase
from fangpin.registry.models import Household
from fangpin.supervision.choices import VisitorPost
from fangpin.supervision.models import LeaderVisit, Talk
from fangpin.supervision.services import clues, governance

SCOPE_COVERED_URLS = {
    "supervision:talk_list",
    "supervision:talk_add",
    "supervision:talk_detail",
    "supervision:leadervisit_list",
    "supervision:leadervisit_add",
    "supervision:leadervisit_coverage",
}

YEAR = timezone.localdate().year
DAY = dt.date(YEAR, 1, 2)
COUNTY, TOWNSHIP, VILLAGE = (
    VisitorPost.COUNTY_SECRETARY,
    VisitorPost.TOWNSHIP_SECRETARY,
    VisitorPost.VILLAGE_SECRETARY,
)


def handed_clue(tree, cast, village, unit):
    supervisor = cast["supervisor"]
    clue = clues.create_clue(
        user=supervisor, source="hotline", region=village, title="举报", description="举报"
    )
    deadline = timezone.localdate() + dt.timedelta(days=30)
    return clues.assign(clue, user=supervisor, unit=unit, lead_official="负责人", deadline=deadline)


def talk_data(tree, **extra):
    return {
        "region": tree.township,
        "persons": "白霓镇党委书记 王某",
        "held_on": DAY,
        "held_by": "县纪委监委 李某",
        "reason": "问题线索整改滞后",
        **extra,
    }


# ---------------------------------------------------------------- talks


def test_a_talk_is_recorded_with_its_clues_and_followed_up(tree, cast):
    clue = handed_clue(tree, cast, tree.village_a, tree.township)
    talk = governance.record_talk(user=cast["supervisor"], clue_numbers=[clue.number, " "], **talk_data(tree))
    assert talk.unit == "咸宁市崇阳县白霓镇" and list(talk.clues.all()) == [clue]
    governance.update_talk_follow_up(
        talk, user=cast["supervisor"], follow_up="已整改 1 条", commitments="一月内整改"
    )
    talk.refresh_from_db()
    assert (talk.follow_up, talk.commitments) == ("已整改 1 条", "一月内整改")
    with pytest.raises(ValidationError, match="请填写跟踪落实情况"):
        governance.update_talk_follow_up(talk, user=cast["supervisor"], follow_up=" ")


def test_talk_refusals(tree, cast, households):
    supervisor = cast["supervisor"]
    elsewhere = handed_clue(tree, cast, tree.village_c, tree.township_2)
    with pytest.raises(ValidationError, match="不属于被约谈单位"):  # a clue of another township
        governance.record_talk(user=supervisor, clue_numbers=[elsewhere.number], **talk_data(tree))
    pool = clues.create_clue(
        user=supervisor, source="hotline", region=tree.village_a, title="池", description="未交办"
    )
    with pytest.raises(ValidationError, match=pool.number):  # not handed over yet: no unit to answer for it
        governance.record_talk(
            user=supervisor, clue_numbers=[pool.number], **talk_data(tree, region=tree.county)
        )
    with pytest.raises(ValidationError, match="XS-NONE"):
        governance.record_talk(user=supervisor, clue_numbers=["XS-NONE"], **talk_data(tree))
    with pytest.raises(ValidationError, match="管辖范围"):
        governance.record_talk(user=supervisor, **talk_data(tree, region=tree.other_township))
    with pytest.raises(ValidationError, match="管辖范围"):  # a village is not a unit talked to
        governance.record_talk(user=supervisor, **talk_data(tree, region=tree.village_a))
    with pytest.raises(ValidationError, match="不能晚于今天"):
        governance.record_talk(
            user=supervisor, **talk_data(tree, held_on=timezone.localdate() + dt.timedelta(1))
        )
    for username in ("county_officer", "township_officer", "city_admin"):  # talks are the supervisors'
        with pytest.raises(PermissionDenied):
            governance.record_talk(user=cast[username], **talk_data(tree))
    assert not Talk.objects.exists()
    talk = governance.record_talk(user=supervisor, **talk_data(tree))
    with pytest.raises(PermissionDenied):
        governance.update_talk_follow_up(talk, user=cast["county_officer"], follow_up="越权")


# ---------------------------------------------------------------- visits


def test_visit_validation(tree, cast, households):
    officer = cast["county_officer"]
    ok = {"user": officer, "visitor": "张书记", "visited_on": DAY}
    with pytest.raises(ValidationError, match="不登记走访户"):
        governance.record_visit(post=COUNTY, region=tree.village_a, household=households["a"], **ok)
    with pytest.raises(ValidationError, match="请填写走访户"):
        governance.record_visit(post=TOWNSHIP, region=tree.village_a, **ok)
    with pytest.raises(ValidationError, match="走访户不在所选村"):
        governance.record_visit(post=VILLAGE, region=tree.village_a, household=households["b"], **ok)
    with pytest.raises(ValidationError, match="请选择走访的村"):
        governance.record_visit(post=COUNTY, region=tree.township, **ok)
    with pytest.raises(ValidationError, match="不在您的管辖范围内"):
        governance.record_visit(post=COUNTY, region=tree.village_d, **ok)
    with pytest.raises(ValidationError, match="请选择走访人职务"):
        governance.record_visit(post="", region=tree.village_a, **ok)
    Household.objects.filter(pk=households["a"].pk).update(status="cancelled")
    with pytest.raises(ValidationError, match="已注销"):
        governance.record_visit(post=VILLAGE, region=tree.village_a, household=households["a"], **ok)
    with pytest.raises(PermissionDenied):  # the village role records no leaders' visits
        governance.record_visit(**{**ok, "user": cast["village_cadre"]}, post=COUNTY, region=tree.village_a)
    assert not LeaderVisit.objects.exists()
    governance.record_visit(post=COUNTY, region=tree.village_a, **ok)
    governance.record_visit(**{**ok, "user": cast["township_officer"]}, post=VILLAGE, region=tree.village_b,
                            household=households["b"])  # fmt: skip
    assert LeaderVisit.objects.count() == 2


def test_poor_villages_follow_the_flag_where_the_county_has_it(tree, households):
    # No village is flagged: the villages with an active 脱贫户 are the poor villages.
    assert set(governance.poor_villages(tree.city)) == {
        tree.village_a,
        tree.village_b,
        tree.village_c,
        tree.village_d,
    }
    Household.objects.filter(pk=households["b"].pk).update(status="cancelled")
    assert set(governance.poor_villages(tree.township)) == {tree.village_a}
    # 崇阳县 loads the designation (only 桂花村): its flagged villages are its poor villages; 通山县 is unchanged.
    type(tree.village_c).objects.filter(pk=tree.village_c.pk).update(is_poor_village=True)
    assert set(governance.poor_villages(tree.city)) == {tree.village_c, tree.village_d}
    assert set(governance.poor_villages(tree.township)) == set()  # decided by the county, not the township


def test_poor_households_are_exited_or_monitored(tree, households):
    ordinary = make_household(tree.village_a, household_type="ordinary")
    monitored = make_household(tree.village_a, household_type="ordinary")
    eliminated = make_household(tree.village_a, household_type="ordinary")
    for household, status in ((monitored, "elim_proposed"), (eliminated, "eliminated")):
        MonitoringCase.objects.create(
            household=household, status=status, channel="cadre", stage_entered_at=timezone.now()
        )
    Household.objects.filter(pk=households["b"].pk).update(status="cancelled")
    assert set(governance.poor_households(tree.township)) == {households["a"], monitored}
    assert ordinary not in governance.poor_households(tree.county)


def test_coverage_shows_what_each_secretary_did_not_visit(tree, households):
    a, b, c = households["a"], households["b"], households["c"]
    LeaderVisit.objects.create(post=COUNTY, region=tree.village_a, visitor="县委书记", visited_on=DAY)
    LeaderVisit.objects.create(
        post=COUNTY, region=tree.village_c, visitor="县委书记", visited_on=dt.date(YEAR - 1, 6, 1)
    )
    LeaderVisit.objects.create(
        post=TOWNSHIP, region=tree.village_a, household=a, visitor="镇书记", visited_on=DAY
    )
    LeaderVisit.objects.create(
        post=VILLAGE, region=tree.village_a, household=a, visitor="村书记", visited_on=DAY
    )
    LeaderVisit.objects.create(
        post=VILLAGE, region=tree.village_b, household=b, visitor="村书记", visited_on=DAY
    )
    result = governance.compute_coverage(tree.county, YEAR)
    rows = {r.township.name: (r.villages, r.villages_visited, r.households, r.by_township, r.by_village)
            for r in result.rows}  # fmt: skip
    assert rows == {"白霓镇": (2, 1, 2, 1, 2), "天城镇": (1, 0, 1, 0, 0)}
    assert result.village_gaps == [tree.village_c, tree.village_b]  # by code; 桂花村's visit was last year
    gaps = {h.number: missing for h, missing in result.household_gaps}
    assert gaps == {b.number: ["乡镇党委书记"], c.number: ["乡镇党委书记", "村党组织书记"]}
    assert governance.compute_coverage(tree.county, YEAR - 1).village_gaps == [tree.village_a, tree.village_b]
    header, sheet = governance.gap_rows(result)
    assert header[0] == "类别" and [r[4] for r in sheet] == ["", "", c.number, b.number]


# ---------------------------------------------------------------- pages: scope and 403s


def login(client, username):
    client.logout()
    assert client.login(username=username, password=PASSWORD)


TALK_VIEWERS = {"city_admin", "county_officer", "supervisor", "outsider"}  # view_talk
VISIT_VIEWERS = TALK_VIEWERS | {"township_officer"}  # view_leadervisit
VISIT_RECORDERS = {"city_admin", "county_officer", "township_officer", "outsider"}
ALL = ["city_admin", "county_officer", "township_officer", "village_cadre", "village_cadre_b", "medical_officer",
       "supervisor", "leader", "outsider"]  # fmt: skip
# Which talks (by unit) and visits (by village) each viewer sees, declared from the tree's shape.
SEES_TALK = {"city_admin": {"a", "d"}, "county_officer": {"a"}, "supervisor": {"a"}, "outsider": {"d"}}
SEES_VISIT = {"city_admin": {"a", "d"}, "county_officer": {"a"}, "supervisor": {"a"}, "outsider": {"d"},
              "township_officer": {"a"}}  # fmt: skip


@pytest.fixture
def records(tree, cast, households):
    talk_a = governance.record_talk(user=cast["supervisor"], **talk_data(tree, persons="甲书记"))
    talk_d = Talk.objects.create(region=tree.other_township, unit="通羊镇", persons="丁书记", held_on=DAY,
                                 held_by="通山县纪委", reason="滞后")  # fmt: skip
    for key, village in (("a", tree.village_a), ("d", tree.village_d)):
        LeaderVisit.objects.create(post=VILLAGE, region=village, household=households[key], visitor=f"{key}村书记",
                                   visited_on=DAY)  # fmt: skip
    return {"a": talk_a, "d": talk_d}


@pytest.mark.parametrize("username", ALL)
def test_talk_pages_scope(client, records, username):
    login(client, username)
    listing = client.get(reverse("supervision:talk_list"))
    add = client.get(reverse("supervision:talk_add"))
    assert add.status_code == (200 if username == "supervisor" else 403), username
    if username not in TALK_VIEWERS:
        assert listing.status_code == 403
        for talk in records.values():
            assert client.get(reverse("supervision:talk_detail", args=[talk.pk])).status_code == 403
        return
    page = listing.content.decode()
    assert {k for k, t in records.items() if t.persons in page} == SEES_TALK[username]
    rows = xlsx_rows(
        b"".join(client.get(reverse("supervision:talk_list") + "?export=xlsx").streaming_content)
    )
    assert {k for k, t in records.items() if any(t.persons in r for r in rows)} == SEES_TALK[username]
    for key, talk in records.items():
        url = reverse("supervision:talk_detail", args=[talk.pk])
        assert client.get(url).status_code == (200 if key in SEES_TALK[username] else 404), (username, key)
        response = client.post(url, {"follow_up": "越权"})
        expected = (
            302
            if username == "supervisor" and key == "a"
            else (404 if key not in SEES_TALK[username] else 403)
        )
        assert response.status_code == expected, (username, key)
    assert Talk.objects.filter(follow_up="越权").count() == (1 if username == "supervisor" else 0)


@pytest.mark.parametrize("username", ALL)
def test_visit_pages_scope(client, tree, records, username):
    login(client, username)
    listing = client.get(reverse("supervision:leadervisit_list"))
    add = client.get(reverse("supervision:leadervisit_add"))
    assert add.status_code == (200 if username in VISIT_RECORDERS else 403), username
    coverage = reverse("supervision:leadervisit_coverage")
    if username not in VISIT_VIEWERS:
        assert listing.status_code == 403 and client.get(coverage).status_code == 403
        return
    page = listing.content.decode()
    assert {k for k in "ad" if f"{k}村书记" in page} == SEES_VISIT[username]
    for region, key in ((tree.county, "a"), (tree.other_county, "d"), (tree.township, "a")):
        code = client.get(f"{coverage}?region={region.code}&year={YEAR}").status_code
        assert code == (
            200 if key in SEES_VISIT[username] and region.path.startswith(_own(username, tree)) else 404
        ), (
            username,
            region,
        )


def _own(username, tree):
    return {"city_admin": tree.city, "county_officer": tree.county, "supervisor": tree.county,
            "outsider": tree.other_county, "township_officer": tree.township}[username].path  # fmt: skip


def test_a_visit_is_recorded_through_the_page(client, tree, cast, households):
    login(client, "township_officer")
    url = reverse("supervision:leadervisit_add")
    data = {"visitor": "王书记", "post": TOWNSHIP, "region": tree.village_a.pk, "visited_on": DAY.isoformat()}
    response = client.post(url, {**data, "household": households["b"].number})
    assert response.status_code == 200 and "走访户不在所选村" in response.content.decode()
    response = client.post(url, {**data, "household": households["d"].number})  # out of scope: not found
    assert "未找到该户" in response.content.decode()
    assert not LeaderVisit.objects.exists()
    assert client.post(url, {**data, "household": households["a"].number}).status_code == 302
    assert LeaderVisit.objects.get().household == households["a"]
    # A village the user cannot see is not a choice.
    response = client.post(url, {**data, "region": tree.village_c.pk, "household": households["c"].number})
    assert response.status_code == 200 and LeaderVisit.objects.count() == 1


def test_coverage_page_and_gap_export(client, tree, cast, households):
    LeaderVisit.objects.create(post=COUNTY, region=tree.village_a, visitor="县委书记", visited_on=DAY)
    login(client, "supervisor")
    page = client.get(reverse("supervision:leadervisit_coverage") + f"?year={YEAR}").content.decode()
    assert "咸宁市崇阳县" in page and "桂花村" in page and households["a"].number in page
    export = client.get(reverse("supervision:leadervisit_coverage") + f"?year={YEAR}&export=xlsx")
    rows = xlsx_rows(b"".join(export.streaming_content))
    assert [r[0] for r in rows[1:]].count("贫困村未遍访") == 2  # 石门村, 桂花村
    assert {r[4] for r in rows[1:] if r[0] == "贫困户未遍访"} == {households[k].number for k in "abc"}


def test_talk_page_records_and_refuses(client, tree, cast):
    login(client, "supervisor")
    url = reverse("supervision:talk_add")
    data = {"region": tree.township.pk, "persons": "镇长", "held_on": DAY.isoformat(), "held_by": "纪委",
            "reason": "滞后", "clues": "XS-NONE"}  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 200 and "XS-NONE" in response.content.decode()
    clue = handed_clue(tree, cast, tree.village_a, tree.township)
    response = client.post(url, {**data, "clues": f"{clue.number}，"})
    talk = Talk.objects.get()
    assert response.status_code == 302 and list(talk.clues.all()) == [clue]
    assert clue.number in client.get(reverse("supervision:talk_detail", args=[talk.pk])).content.decode()


def test_services_answer_not_found_out_of_scope(tree, cast, records):
    with pytest.raises(Http404):
        governance.update_talk_follow_up(records["d"], user=cast["supervisor"], follow_up="越权")
    with pytest.raises(Http404):
        governance.coverage(tree.other_county, YEAR, user=cast["supervisor"])
