"""The rectification ledger and rates (issue #6 part 4) on a small fixture whose every number is worked out by
hand below: by region and by unit, within the user's scope, with a region filter; the nightly job turning
overdue clues into 督办 does not hide them; the page, its Excel downloads and /api/clue-ledger/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from fangpin.core.testing import PASSWORD, xlsx_rows
from fangpin.supervision.models import Clue
from fangpin.supervision.services import clues, ledger
from fangpin.supervision.tests.test_clue_lifecycle import S, at, make_people, pool_clue, soon

SCOPE_COVERED_URLS = {"supervision:ledger", "clue-ledger-list"}
DAY0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 4, 11)  # 40 days on: the deadlines (DAY0 + 30) have passed


@pytest.fixture
def people(cast, tree):
    return make_people(cast, tree)


@pytest.fixture
def fixture(people, tree, households):
    """崇阳县: 白霓镇 (villages of households a, b) and 天城镇 (c); 通山县 (d). Every clue handed over on DAY0
    with a deadline of DAY0 + 30.

    closed     a → 白霓镇   discipline, 1 person held accountable, 1200 stopped, 4800 recovered, closed day 10
    unfounded  b → 白霓镇   closed unfounded on day 4
    rectified  a → 白霓镇   data error, rectified (waiting for the spot check: not overdue)
    verifying  c → 天城镇   overdue on DAY
    county     a → 崇阳县   handed to the county itself, still 已交办: overdue on DAY
    pool       b            the supervisors' pool: received by no one, not counted
    tongshan   d → 通羊镇   confirmed (seen only city-wide), overdue on DAY
    """
    city = people["city_department"]
    with time_machine.travel(DAY0, tick=False) as clock:
        out = {
            "closed": at(S.SPOT_CHECK, people, tree, households["a"], classification="discipline"),
            "unfounded": at(S.VERIFYING, people, tree, households["b"]),
            "rectified": at(S.RECTIFIED, people, tree, households["a"]),
            "verifying": at(S.VERIFYING, people, tree, households["c"], unit=tree.township_2),
            "county": at(S.ASSIGNED, people, tree, households["a"], unit=tree.county),
            "pool": at(S.GENERATED, people, tree, households["b"]),
        }
        Clue.objects.filter(pk=out["closed"].pk).update(
            funds_stopped=Decimal("1200"), funds_recovered=Decimal("4800")
        )
        tongshan = pool_clue(people, households["d"])
        clues.assign(
            tongshan,
            user=people["tongshan_supervisor"],
            unit=tree.other_township,
            lead_official="x",
            deadline=soon(),
        )
        clues.start_verifying(tongshan, user=people["outsider"])
        clues.confirm(
            tongshan, user=people["outsider"], classification="data_error", verification_note="属实"
        )
        out["tongshan"] = tongshan
        clock.shift(dt.timedelta(days=4))
        clues.close_unfounded(
            out["unfounded"], user=people["township_officer"], verification_note="同名不同人"
        )
        clock.shift(dt.timedelta(days=6))
        clues.pass_spot_check(Clue.objects.get(pk=out["closed"].pk), user=city, note="抽查属实")
    return out


def numbers(row) -> tuple:
    return (
        row.received, row.confirmed, row.unfounded, row.rectified, row.closed, row.overdue, row.escalated,
        row.funds_stopped, row.funds_recovered, row.persons_accountable, row.average_days_to_close,
    )  # fmt: skip


def rates(row) -> tuple:
    return row.confirmed_rate, row.rectification_rate, row.closure_rate, row.overdue_rate


D = Decimal
#                received confirmed unfounded rectified closed overdue escalated stopped recovered persons days
BAINI_AREA = (4, 2, 1, 2, 1, 1, 0, D(1200), D(4800), 1, D("7.0"))
TIANCHENG = (1, 0, 0, 0, 0, 1, 0, D(0), D(0), 0, None)
CHONGYANG_AREA = (5, 2, 1, 2, 1, 2, 0, D(1200), D(4800), 1, D("7.0"))
BAINI_UNIT = (3, 2, 1, 2, 1, 0, 0, D(1200), D(4800), 1, D("7.0"))
CHONGYANG_UNIT = (1, 0, 0, 0, 0, 1, 0, D(0), D(0), 0, None)


def test_by_region_counts_each_area_and_its_subtree(people, tree, fixture):
    result = ledger.ledger(people["supervisor"], by="region", day=DAY)
    assert [(r.name, numbers(r)) for r in result] == [
        ("崇阳县", CHONGYANG_AREA),
        ("天城镇", TIANCHENG),
        ("白霓镇", BAINI_AREA),
    ]
    assert numbers(result.total) == CHONGYANG_AREA and result.total.name == "崇阳县合计"
    baini = result.rows[2]
    assert rates(baini) == (D("50.0"), D("100.0"), D("50.0"), D("25.0"))
    assert rates(result.rows[1]) == (D("0.0"), None, D("0.0"), D("100.0"))
    assert rates(result.total) == (D("40.0"), D("100.0"), D("40.0"), D("40.0"))


def test_by_unit_counts_what_each_unit_was_handed(people, tree, fixture):
    result = ledger.ledger(people["supervisor"], by="unit", day=DAY)
    assert [(r.name, numbers(r)) for r in result] == [
        ("崇阳县", CHONGYANG_UNIT),
        ("天城镇", TIANCHENG),
        ("白霓镇", BAINI_UNIT),
    ]
    assert numbers(result.total) == CHONGYANG_AREA


def test_the_overdue_job_does_not_hide_overdue_clues(people, tree, fixture):
    assert clues.escalate_overdue(DAY) == 3  # 天城镇's, the county's and 通山's
    result = ledger.ledger(people["supervisor"], by="region", day=DAY)
    assert (result.total.overdue, result.total.escalated) == (2, 2)
    assert (result.rows[1].overdue, result.rows[1].escalated) == (1, 1)
    before = ledger.ledger(people["supervisor"], by="region", day=DAY - dt.timedelta(days=11))
    assert before.total.overdue == 0  # on the deadline day itself nothing is late yet


def test_the_scope_and_the_region_filter(people, tree, fixture):
    city = ledger.ledger(people["city_supervisor"], by="region", day=DAY)
    assert [r.name for r in city] == ["崇阳县", "天城镇", "白霓镇", "通山县", "通羊镇"]
    assert city.total.name == "咸宁市合计" and city.total.received == 6 and city.total.overdue == 3
    assert numbers(city.rows[4])[:6] == (1, 1, 0, 0, 0, 1)

    township = ledger.ledger(people["township_officer"], by="region", day=DAY)
    assert [r.name for r in township] == ["白霓镇"]
    assert numbers(township.total) == BAINI_UNIT  # the county's own clue is not the township's to see
    other = ledger.ledger(people["tiancheng"], by="unit", day=DAY)
    assert [(r.name, r.received) for r in other] == [("天城镇", 1)] and other.total.received == 1

    filtered = ledger.ledger(people["supervisor"], by="region", region=tree.township, day=DAY)
    assert [r.name for r in filtered] == ["白霓镇"] and numbers(filtered.total) == BAINI_AREA
    assert filtered.total.name == "白霓镇合计"
    filtered = ledger.ledger(people["supervisor"], by="unit", region=tree.township, day=DAY)
    assert numbers(filtered.total) == BAINI_UNIT
    assert ledger.area_in_scope(people["supervisor"], tree.other_township.code) is None
    assert ledger.area_in_scope(people["supervisor"], tree.village_a.code) is None


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_the_page_and_its_excel_downloads(client, people, tree, fixture):
    login(client, people["supervisor"])
    with time_machine.travel(dt.datetime.combine(DAY, dt.time(9)), tick=False):
        page = client.get(reverse("supervision:ledger"))
        assert page.status_code == 200
        html = page.content.decode()
        assert (
            "按问题所在地" in html and "按承办单位" in html and "崇阳县合计" in html and "通羊镇" not in html
        )
        export = client.get(reverse("supervision:ledger"), {"export": "xlsx", "by": "unit"})
        rows = xlsx_rows(b"".join(export.streaming_content))
        assert rows[0] == list(ledger.HEADER)
        assert rows[3][:10] == [tree.township.code, "白霓镇", "乡（镇、街道）", 3, 2, 1, 2, 1, 0, 0]
        assert rows[3][10:] == [1200, 4800, 1, 7, 66.7, 100, 66.7, 0]
        assert rows[-1][1] == "崇阳县合计" and rows[-1][3] == 5
        filtered = client.get(reverse("supervision:ledger"), {"region": tree.township.code, "export": "xlsx"})
        rows = xlsx_rows(b"".join(filtered.streaming_content))
        assert [r[1] for r in rows[1:]] == ["白霓镇", "白霓镇合计"] and rows[1][3] == 4
        outside = client.get(reverse("supervision:ledger"), {"region": tree.other_township.code})
        assert outside.status_code == 200 and "不在您的管辖范围内" in outside.content.decode()
        assert "ledger-region" not in outside.content.decode()
    for username in ("leader", "village_cadre"):
        client.logout()
        login(client, people[username])
        assert client.get(reverse("supervision:ledger")).status_code == 403


def test_the_api(people, tree, fixture):
    api = APIClient()
    api.force_authenticate(people["supervisor"])
    with time_machine.travel(dt.datetime.combine(DAY, dt.time(9)), tick=False):
        body = api.get("/api/clue-ledger/").json()
        assert body["by"] == "region" and body["day"] == DAY.isoformat()
        assert [(r["name"], r["received"], r["overdue"]) for r in body["rows"]] == [
            ("崇阳县", 5, 2), ("天城镇", 1, 1), ("白霓镇", 4, 1),
        ]  # fmt: skip
        assert (
            body["total"]["rectification_rate"] == "100.0" and body["total"]["funds_recovered"] == "4800.00"
        )
        unit = api.get("/api/clue-ledger/", {"by": "unit", "region": tree.township.code}).json()
        assert [r["received"] for r in unit["rows"]] == [3] and unit["region"] == tree.township.code
        export = api.get("/api/clue-ledger/?format=xlsx&by=unit")
        assert xlsx_rows(b"".join(export.streaming_content))[-1][3] == 5
        refused = api.get("/api/clue-ledger/", {"region": tree.other_township.code})
        assert refused.status_code == 400 and "不在您的管辖范围内" in refused.json()["region"][0]
        assert api.get("/api/clue-ledger/", {"by": "x"}).status_code == 400
    api.force_authenticate(people["leader"])
    assert api.get("/api/clue-ledger/").status_code == 403
