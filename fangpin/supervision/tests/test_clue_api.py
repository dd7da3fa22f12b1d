"""The clue API (issue #6 part 8): the whole loop with the right role for each step, refusals with their codes
and Chinese reasons (400 / 403 / 404 / 409), personal data masked and every view logged, evidence uploads
refused as on the pages, and the scope of every route for each member of the cast."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from fangpin.core.models import StatusChange
from fangpin.core.testing import all_url_names, xlsx_rows
from fangpin.supervision.api import STEPS
from fangpin.supervision.models import Clue, ClueAccess, ClueBatch, ClueEvidence
from fangpin.supervision.services import clues
from fangpin.supervision.tests.test_clue_lifecycle import JPEG, PDF, S, at, make_people, soon
from fangpin.supervision.tests.test_clue_path import comparison_hit
from fangpin.supervision.tests.test_scope_clues import (  # noqa: F401 (clue_of is a fixture)
    NO_CLUE_PAGES,
    SUPERVISORS,
    VISIBLE,
    clue_of,
)

STEP_URLS = {f"clue-{name.replace('_', '-')}" for name in STEPS}
CLUE_GET = {"clue-detail", "clue-files", "clue-file", "clue-history"}
CLUE_POST = STEP_URLS | {"clue-files"}
SCOPE_COVERED_URLS = {
    "clue-list", "clue-from-warnings", "clue-assign-batch", "cluebatch-list", "cluebatch-detail",
    "clue-ledger-list", "supervision:ledger", *CLUE_GET, *CLUE_POST,
}  # fmt: skip
DAY0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"


@pytest.fixture
def people(cast, tree):
    return make_people(cast, tree)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def step(client, clue, name, body=None):
    return client.post(reverse(f"clue-{name}", args=[clue.pk]), body or {}, format="json")


def upload(client, clue, name, content, note=""):
    """A multipart upload written by hand: the test client would strip a path from the file's name, and a
    crafted request does not."""
    boundary = "fangpin-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = (
        f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\n{note}\r\n--{boundary}--\r\n'
    )
    return client.post(
        reverse("clue-files", args=[clue.pk]),
        head + content + tail.encode(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def ok(response, code=200):
    assert response.status_code == code, (response.status_code, getattr(response, "data", response))
    return response.json()


def test_a_clue_from_a_hit_to_closure_through_the_api(people, tree, households):
    sup, town, city = (api(people[u]) for u in ("supervisor", "township_officer", "city_department"))
    with time_machine.travel(DAY0, tick=False) as clock:
        hit = comparison_hit(households["a"])
        made = ok(sup.post("/api/clues/from-warnings/", {"warnings": [hit.pk]}, format="json"), 201)
        assert [c["rule_code"] for c in made["created"]] == ["BD-03"] and made["skipped"] == []
        again = ok(sup.post("/api/clues/from-warnings/", {"warnings": [hit.pk]}, format="json"))
        assert again["created"] == [] and "已生成问题线索" in again["skipped"][0]
        clue = Clue.objects.get(pk=made["created"][0]["id"])

        body = {"unit": tree.township.code, "lead_official": "王镇长", "deadline": "2026-04-01"}
        detail = ok(step(sup, clue, "assign", body))
        assert detail["status"] == S.ASSIGNED and detail["unit_code"] == tree.township.code
        assert [s["name"] for s in ok(town.get(f"/api/clues/{clue.pk}/"))["steps"]] == ["start_verifying"]
        ok(step(town, clue, "start-verifying"))
        ok(
            step(
                town, clue, "confirm", {"classification": "discipline", "verification_note": "系镇财政所职工"}
            )
        )
        ok(step(town, clue, "start-rectifying", {"actions": ["exclude", "recover_funds"]}))
        ok(step(sup, clue, "hold-accountable", {"comment": "违纪违规，转入问责"}))
        body = {"accountability_type": "party_discipline", "persons_accountable": 2, "note": "给予党内警告"}
        ok(step(sup, clue, "record-accountability", body))
        blocked = ok(town.get(f"/api/clues/{clue.pk}/"))["steps"]
        assert "追缴金额" in next(s for s in blocked if s["name"] == "rectified")["blocked_by"]
        stored = ok(upload(town, clue, "清退通知.pdf", PDF, note="清退通知书"), 201)
        assert stored["stage"] == S.ACCOUNTABILITY and stored["original_name"] == "清退通知.pdf"
        body = {"rectification_note": "已清退并追缴", "funds_recovered": "4800.00", "funds_stopped": "1200"}
        assert ok(step(town, clue, "rectified", body))["status"] == S.RECTIFIED

        clock.shift(dt.timedelta(days=10))
        ok(step(city, clue, "select-spot-check"))
        assert ok(step(city, clue, "spot-check-fail", {"note": "追缴凭证不全"}))["status"] == S.RECTIFYING
        ok(upload(town, clue, "追缴凭证.jpg", JPEG), 201)
        ok(step(town, clue, "rectified", {"rectification_note": "补充凭证", "funds_recovered": "4800"}))
        ok(step(city, clue, "select-spot-check"))
        closed = ok(step(city, clue, "spot-check-pass", {"note": "抽查属实"}))
    assert closed["status"] == S.CLOSED and closed["closed_on"] == "2026-03-12"
    assert closed["funds_recovered"] == "4800.00" and closed["persons_accountable"] == 2
    history = ok(town.get(f"/api/clues/{clue.pk}/history/"))
    assert [h["transition"] for h in history] == [
        "open", "assign", "start_verifying", "confirm", "start_rectifying", "hold_accountable",
        "record_accountability", "rectified", "select_spot_check", "spot_check_fail", "rectified",
        "select_spot_check", "spot_check_pass",
    ]  # fmt: skip
    assert (
        history[9]["transition_label"] == "抽查未通过，退回整改" and history[9]["comment"] == "追缴凭证不全"
    )
    files = ok(town.get(f"/api/clues/{clue.pk}/files/"))
    assert [f["original_name"] for f in files] == ["清退通知.pdf", "追缴凭证.jpg"]
    download = town.get(files[0]["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert "清退通知.pdf" in download["Content-Disposition"] or "filename*" in download["Content-Disposition"]


def test_hand_entered_batch_assigned_unfounded_escalated_resumed_and_closed(people, tree, households):
    sup, town = api(people["supervisor"]), api(people["township_officer"])
    body = {
        "source": "hotline",
        "household": households["a"].pk,
        "title": "热线反映",
        "description": "群众来电",
    }
    first = ok(sup.post("/api/clues/", body, format="json"), 201)
    assert first["status"] == S.GENERATED and first["region_code"] == tree.village_a.code
    body = {**body, "household": households["b"].pk, "amount_involved": "300"}
    second = ok(sup.post("/api/clues/", body, format="json"), 201)
    batch_body = {"clues": [first["id"], second["id"]], "title": "第一批", "unit": tree.township.code,
                  "lead_official": "王镇长", "deadline": soon().isoformat(), "note": "限期整改"}  # fmt: skip
    batch = ok(sup.post("/api/clues/assign-batch/", batch_body, format="json"), 201)
    assert batch["clue_count"] == 2 and batch["unit_code"] == tree.township.code
    assert ok(town.get(f"/api/clue-batches/{batch['id']}/"))["title"] == "第一批"
    assert {c["id"] for c in ok(town.get("/api/clues/", {"batch": batch["id"]}))["results"]} == {
        first["id"],
        second["id"],
    }
    one, two = Clue.objects.get(pk=first["id"]), Clue.objects.get(pk=second["id"])

    ok(step(town, one, "start-verifying"))
    ok(upload(town, one, "核查记录.pdf", PDF), 201)
    assert ok(step(town, one, "unfounded", {"verification_note": "同名不同人"}))["status"] == S.UNFOUNDED

    escalated = ok(step(sup, two, "escalate", {"reason": "弄虚作假"}))
    assert escalated["status"] == S.ESCALATED and [s["name"] for s in escalated["steps"]] == ["resume"]
    new_deadline = soon(60).isoformat()
    resumed = ok(step(sup, two, "resume", {"comment": "重新交办", "deadline": new_deadline}))
    assert resumed["status"] == S.ASSIGNED and resumed["deadline"] == new_deadline
    ok(step(town, two, "start-verifying"))
    ok(step(town, two, "confirm", {"classification": "data_error", "verification_note": "录入错误"}))
    ok(step(town, two, "start-rectifying", {"actions": ["correct_data"]}))
    ok(upload(town, two, "更正.pdf", PDF), 201)
    ok(step(town, two, "rectified", {"rectification_note": "已更正"}))
    assert ok(step(sup, two, "close", {"comment": "销号"}))["status"] == S.CLOSED


def test_refusals_come_back_with_their_codes_and_reasons(people, tree, households):
    sup, town = api(people["supervisor"]), api(people["township_officer"])
    clue = at(S.ASSIGNED, people, tree, households["a"])
    before = StatusChange.objects.count()

    refused = step(town, clue, "escalate", {"reason": "x"})
    assert refused.status_code == 403 and "督办" in refused.json()["detail"]
    refused = step(sup, clue, "start-verifying")
    assert refused.status_code == 403 and "开始核查" in refused.json()["detail"]
    refused = step(sup, clue, "escalate", {"reason": ""})
    assert refused.status_code == 400 and "必须填写" in refused.json()["non_field_errors"][0]
    refused = step(town, clue, "confirm", {"classification": "data_error", "verification_note": "x"})
    assert refused.status_code == 400 and "当前状态为" in refused.json()["non_field_errors"][0]
    refused = step(sup, clue, "resume")
    assert refused.status_code == 400 and "未被督办" in refused.json()["non_field_errors"][0]
    assert StatusChange.objects.count() == before

    ok(step(town, clue, "start-verifying"))
    refused = step(town, clue, "confirm", {"verification_note": "已核查"})
    assert refused.status_code == 400 and "问题定性" in refused.json()["non_field_errors"][0]
    refused = step(town, clue, "unfounded", {"verification_note": "查否"})
    assert refused.status_code == 400 and "佐证材料" in refused.json()["non_field_errors"][0]
    assert step(town, clue, "start-verifying").status_code == 400

    pool = at(S.GENERATED, people, tree, households["b"])
    body = {"unit": tree.other_township.code, "lead_official": "x", "deadline": soon().isoformat()}
    refused = step(sup, pool, "assign", body)
    assert refused.status_code == 400 and "不在您的管辖范围内" in refused.json()["unit"][0]
    refused = step(sup, pool, "assign", {**body, "unit": tree.township.code, "deadline": "2020-01-01"})
    assert refused.status_code == 400 and "不能早于今天" in refused.json()["deadline"][0]
    refused = step(sup, pool, "assign", {**body, "unit": tree.township.code, "lead_official": ""})
    assert refused.status_code == 400 and "牵头负责人" in refused.json()["non_field_errors"][0]
    assert Clue.objects.get(pk=pool.pk).status == S.GENERATED

    assert sup.get("/api/clues/999999/").status_code == 404
    assert step(sup, Clue(pk=999999), "escalate", {"reason": "x"}).status_code == 404
    create = town.post("/api/clues/", {"source": "hotline", "region": tree.village_a.code, "title": "x",
                                       "description": "x"}, format="json")  # fmt: skip
    assert create.status_code == 403
    create = sup.post("/api/clues/", {"source": "comparison", "region": tree.village_a.code, "title": "x",
                                      "description": "x"}, format="json")  # fmt: skip
    assert create.status_code == 400 and "source" in create.json()
    hit = comparison_hit(households["a"])
    assert town.post("/api/clues/from-warnings/", {"warnings": [hit.pk]}, format="json").status_code == 403
    batch = {"clues": [pool.pk], "title": "x", "unit": tree.township.code, "lead_official": "x",
             "deadline": soon().isoformat()}  # fmt: skip
    assert town.post("/api/clues/assign-batch/", batch, format="json").status_code == 403


def test_a_step_lost_to_another_official_is_409(people, tree, households, monkeypatch):
    town = api(people["township_officer"])
    clue = at(S.VERIFYING, people, tree, households["a"])
    real = clues.confirm

    def confirm_after_a_colleague(target, **kwargs):
        # Another official closes the clue between this request's read and its write.
        Clue.objects.filter(pk=target.pk).update(status=S.UNFOUNDED)
        return real(target, **kwargs)

    monkeypatch.setattr(clues, "confirm", confirm_after_a_colleague)
    refused = step(town, clue, "confirm", {"classification": "data_error", "verification_note": "x"})
    assert refused.status_code == 409 and "已被他人修改" in refused.json()["detail"]
    assert Clue.objects.get(pk=clue.pk).classification == ""


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("setup.exe", EXECUTABLE, "不支持"),
        ("报告.pdf", EXECUTABLE, "内容与扩展名"),
        ("../../etc/passwd.pdf", PDF, "路径"),
        ("dir\\核查.pdf", PDF, "路径"),
        ("大文件.pdf", PDF + b"0" * (10 * 1024 * 1024), "超过上限"),
    ],
)
def test_unsafe_uploads_through_the_api_are_refused(people, tree, households, name, content, reason):
    clue = at(S.VERIFYING, people, tree, households["a"], proof=False)
    refused = upload(api(people["township_officer"]), clue, name, content)
    assert refused.status_code == 400 and reason in refused.json()["file"][0], refused.json()
    assert not ClueEvidence.objects.exists()


def test_uploads_need_the_permission_and_an_open_clue(people, tree, households):
    clue = at(S.UNFOUNDED, people, tree, households["a"])
    refused = upload(api(people["township_officer"]), clue, "补充.pdf", PDF)
    assert refused.status_code == 400 and "已销号" in refused.json()["non_field_errors"][0]
    leader = upload(api(people["leader"]), clue, "补充.pdf", PDF)
    assert leader.status_code == 403


def test_personal_data_is_masked_and_every_view_is_logged(people, tree, households):
    clue = at(S.ASSIGNED, people, tree, households["a"])
    Clue.objects.filter(pk=clue.pk).update(person=households["a"].members.first())
    id_number, phone = households["a"].members.first().id_number, households["a"].phone
    town, sup = people["township_officer"], people["supervisor"]
    masked = ok(api(town).get(f"/api/clues/{clue.pk}/"))
    assert masked["person_id_number"] != id_number and masked["person_id_number"][:6] == id_number[:6]
    assert masked["household_phone"] != phone and "*" in masked["household_phone"]
    listed = ok(api(town).get("/api/clues/"))["results"][0]
    assert listed["person_id_number"] == masked["person_id_number"]
    whole = ok(api(sup).get(f"/api/clues/{clue.pk}/"))
    assert whole["person_id_number"] == id_number and whole["household_phone"] == phone
    logged = list(ClueAccess.objects.filter(clue=clue).values_list("user__username", "channel"))
    assert sorted(logged) == [("supervisor", "api"), ("township_officer", "api")]

    export = api(sup).get("/api/clues/?format=xlsx")
    rows = xlsx_rows(export.content)
    assert export.status_code == 200 and id_number in rows[1]
    assert ClueAccess.objects.filter(clue=clue, channel="export", user=sup).count() == 1
    assert api(town).get("/api/clues/?format=xlsx").status_code == 403


def test_filters(people, tree, households):
    sup = api(people["supervisor"])
    late = at(S.VERIFYING, people, tree, households["a"])
    other = at(S.ASSIGNED, people, tree, households["c"], unit=tree.township_2)
    pool = at(S.GENERATED, people, tree, households["b"])
    Clue.objects.filter(pk=late.pk).update(deadline=dt.date.today() - dt.timedelta(days=3))

    def ids(**query):
        return {c["id"] for c in ok(sup.get("/api/clues/", query))["results"]}

    assert ids() == {late.pk, other.pk, pool.pk}
    assert ids(status="verifying") == {late.pk}
    assert ids(status=["assigned", "generated"]) == {other.pk, pool.pk}
    assert ids(unit=tree.township_2.pk) == {other.pk}
    assert ids(overdue="true") == {late.pk}
    assert ok(sup.get(f"/api/clues/{late.pk}/"))["overdue_days"] == 3
    assert ids(source="unannounced_visit") == {late.pk, other.pk, pool.pk}
    assert ids(source="hotline") == set()
    hit = comparison_hit(households["a"], code="BD-09")
    made = clues.clues_from_warnings([hit], user=people["supervisor"]).created[0]
    assert ids(rule="bd-09") == {made.pk}


# ------------------------------------------------------------------------------------------------- scope


def test_every_clue_route_is_covered():
    names = {
        n for n in all_url_names() if n.startswith(("clue-", "cluebatch-")) and not n.endswith("-format")
    }
    assert names == {n for n in SCOPE_COVERED_URLS if n.startswith(("clue-", "cluebatch-"))}
    assert "supervision:ledger" in all_url_names()


def clue_urls(clue, names):
    item = clue.files.first()
    return {
        name: reverse(name, kwargs={"pk": clue.pk, "file_id": item.pk})
        if name == "clue-file"
        else reverse(name, args=[clue.pk])
        for name in names
    }


def state(clue):
    fresh = Clue.objects.get(pk=clue.pk)
    return (
        fresh.status,
        fresh.assigned_region_id,
        fresh.escalation_reason,
        StatusChange.objects.filter(object_id=clue.pk, content_type__model="clue").count(),
        ClueEvidence.objects.filter(clue=clue).count(),
    )


def users(cast):
    from django.contrib.auth import get_user_model

    return {u.username: u for u in get_user_model().objects.all()}


ALL = sorted(set(VISIBLE) | NO_CLUE_PAGES)


def without_view(username, key):
    """Without supervision.view_clue: the leader (city-wide) is refused the clues its region holds (403), but
    not shown the supervisors' pool (404); a village cadre sees no clue at all (clues go to counties and
    townships), so for it every clue is "not found"."""
    return 403 if username == "leader" and key != "pool" else 404


@pytest.mark.parametrize("username", ALL)
def test_every_clue_route_is_404_out_of_scope(cast, clue_of, username):  # noqa: F811
    user = users(cast)[username]
    client = api(user)
    for key, clue in clue_of.items():
        visible = key in VISIBLE.get(username, ())
        expected = without_view(username, key) if username in NO_CLUE_PAGES else (200 if visible else 404)
        for name, url in clue_urls(clue, CLUE_GET).items():
            assert client.get(url).status_code == expected, (username, key, name)
        if visible:
            continue
        before = state(clue)
        for name, url in clue_urls(clue, CLUE_POST).items():
            body = {
                "reason": "越权",
                "note": "x",
                "comment": "x",
                "unit": "421223104",
                "deadline": "2099-01-01",
            }
            code = client.post(url, body, format="json").status_code
            assert code == expected, (username, key, name, code)
        assert upload(client, clue, "越权.pdf", PDF).status_code == expected, (username, key)
        assert state(clue) == before, (username, key)


@pytest.mark.parametrize("username", ALL)
def test_the_list_and_the_export_hold_exactly_the_scope(cast, clue_of, username):  # noqa: F811
    client = api(users(cast)[username])
    listed = client.get("/api/clues/", {"page_size": 500})
    if username in NO_CLUE_PAGES:
        assert listed.status_code == 403
        assert client.get("/api/clue-batches/").status_code == 403
        return
    body = listed.json()
    assert {k for k, c in clue_of.items() if c.pk in {r["id"] for r in body["results"]}} == VISIBLE[username]
    assert body["count"] == len(VISIBLE[username])
    export = client.get("/api/clues/?format=xlsx")
    if username not in SUPERVISORS:
        assert export.status_code == 403, username
        return
    rows = xlsx_rows(export.content)
    numbers = {r[rows[0].index("线索编号")] for r in rows[1:]}
    assert {k for k, c in clue_of.items() if c.number in numbers} == VISIBLE[username]


@pytest.fixture
def batches(people, tree, households):
    """A batch for 白霓镇 (崇阳) and one for 通羊镇 (通山)."""
    out = {}
    for key, unit, sup in (
        ("a", tree.township, "supervisor"),
        ("d", tree.other_township, "tongshan_supervisor"),
    ):
        clue = at(S.GENERATED, people, tree, households[key])
        out[key] = clues.assign_batch(
            [clue], user=people[sup], title=f"批次{key}", unit=unit, lead_official="x", deadline=soon()
        )
    return out


BATCH_VISIBLE = {
    "supervisor": {"a"}, "township_officer": {"a"}, "county_officer": {"a"}, "tiancheng": set(),
    "tongshan_supervisor": {"d"}, "outsider": {"d"}, "city_department": {"a", "d"}, "city_supervisor": {"a", "d"},
}  # fmt: skip


@pytest.mark.parametrize("username", sorted(BATCH_VISIBLE))
def test_batches_are_scoped(people, batches, username):
    client = api(people[username])
    listed = {row["id"] for row in ok(client.get("/api/clue-batches/"))["results"]}
    assert listed == {batches[k].pk for k in BATCH_VISIBLE[username]}
    for key, batch in batches.items():
        code = client.get(f"/api/clue-batches/{batch.pk}/").status_code
        assert code == (200 if key in BATCH_VISIBLE[username] else 404), (username, key)
    assert client.post("/api/clue-batches/", {"title": "x"}, format="json").status_code in (403, 405)
    assert ClueBatch.objects.count() == 2


def test_writes_naming_rows_out_of_scope_are_refused(people, tree, households):
    tongshan, sup = api(people["tongshan_supervisor"]), api(people["supervisor"])
    hit = comparison_hit(households["a"])
    assert (
        tongshan.post("/api/clues/from-warnings/", {"warnings": [hit.pk]}, format="json").status_code == 404
    )
    assert not Clue.objects.filter(warning=hit).exists()
    pool = at(S.GENERATED, people, tree, households["a"])
    batch = {"clues": [pool.pk], "title": "越权", "unit": tree.other_township.code, "lead_official": "x",
             "deadline": soon().isoformat()}  # fmt: skip
    assert tongshan.post("/api/clues/assign-batch/", batch, format="json").status_code == 404
    refused = sup.post("/api/clues/assign-batch/", batch, format="json")
    assert refused.status_code == 400 and "unit" in refused.json()
    assert not ClueBatch.objects.exists() and Clue.objects.get(pk=pool.pk).status == S.GENERATED
    body = {"source": "hotline", "region": tree.village_a.code, "title": "x", "description": "x"}
    refused = tongshan.post("/api/clues/", body, format="json")
    assert refused.status_code == 400 and "不在您的管辖范围内" in refused.json()["region"][0]
    refused = tongshan.post(
        "/api/clues/", {**body, "region": None, "household": households["a"].pk}, format="json"
    )
    assert refused.status_code == 400 and "household" in refused.json()
    assert Clue.objects.count() == 1


def test_a_township_sees_none_of_another_townships_clues(people, tree, households):
    clue = at(S.RECTIFIED, people, tree, households["a"])
    other = api(people["tiancheng"])
    assert ok(other.get("/api/clues/"))["count"] == 0
    for url in (f"/api/clues/{clue.pk}/", f"/api/clues/{clue.pk}/files/", f"/api/clues/{clue.pk}/history/"):
        assert other.get(url).status_code == 404
    item = clue.files.first()
    assert other.get(reverse("clue-file", kwargs={"pk": clue.pk, "file_id": item.pk})).status_code == 404
    assert not ClueAccess.objects.filter(user=people["tiancheng"]).exists()
    ledger = ok(other.get("/api/clue-ledger/"))
    assert ledger["total"]["received"] == 0 and [r["code"] for r in ledger["rows"]] == [tree.township_2.code]
    assert Decimal(ok(api(people["township_officer"]).get("/api/clue-ledger/"))["total"]["received"]) == 1
