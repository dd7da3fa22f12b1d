"""Line departments as units (县直、市直行业部门), independently: a clue handed to a county department is handled
by that department's users only (the county's poverty office is refused and nothing is written), a department is
handed clues only at the city or a county, a county department sees only its own clues and batches (services,
pages, API), spot checks stay the city's and never a department's own, the batch page and the API hand clues to
a department, and the ledger by unit gives each department its own row. Then every page and endpoint touched,
for every member of the cast."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from fangpin.accounts.services import create_user
from fangpin.core.testing import PASSWORD
from fangpin.core.workflow import TransitionRefused
from fangpin.supervision.models import Clue, ClueBatch
from fangpin.supervision.services import clues, evidence, ledger
from fangpin.supervision.services.workflow import steps_for
from fangpin.supervision.tests.test_clue_api import api, ok, step
from fangpin.supervision.tests.test_clue_lifecycle import (
    PDF,
    S,
    at,
    make_people,
    nothing_written,
    one_step,
    pool_clue,
    soon,
)

SCOPE_COVERED_URLS = {
    "supervision:clue_list", "supervision:clue_detail", "supervision:batch_assign",
    "clue-list", "clue-detail", "clue-assign", "cluebatch-list", "cluebatch-detail", "clue-ledger-list",
}  # fmt: skip
MED, CIVIL = "medical_insurance", "civil_affairs"
HANDLING = ("start_verifying", "confirm", "unfounded", "start_rectifying", "rectified")


@pytest.fixture(autouse=True)
def county_civil(tree):
    """崇阳县 民政's own account: a clue is handed only to a department that has one (someone must handle it)."""
    from fangpin.accounts.services import create_user
    from fangpin.core.testing import PASSWORD

    return create_user(
        "county_civil", role="department", region_code=tree.county.code, password=PASSWORD, department=CIVIL
    )


@pytest.fixture
def people(cast, tree):
    return make_people(cast, tree)


def hand(people, tree, household, *, unit, department="", by="supervisor", state=S.ASSIGNED) -> Clue:
    """A clue of `household` handed by `by` to `department` of `unit`, then set to `state` (for visibility and
    counting, not walked)."""
    clue = pool_clue(people, household)
    clues.assign(
        clue, user=people[by], unit=unit, department=department, lead_official="局长", deadline=soon()
    )
    Clue.objects.filter(pk=clue.pk).update(status=state)
    return Clue.objects.get(pk=clue.pk)


def walk_to_rectified(clue: Clue, handler) -> Clue:
    clues.start_verifying(clue, user=handler)
    clues.confirm(clue, user=handler, classification="data_error", verification_note="属实")
    clues.start_rectifying(clue, user=handler, actions=["correct_data"])
    evidence.add_evidence(clue, user=handler, name="整改.pdf", content=PDF)
    return clues.mark_rectified(clue, user=handler, rectification_note="已更正")


# ---------------------------------------------------------------- handing over and handling


def test_only_the_department_takes_the_handling_steps_of_its_clue(people, tree, households):
    clue = at(S.ASSIGNED, people, tree, households["b"], unit=tree.county, department=MED)
    assert (clue.assigned_region, clue.assigned_department, clue.unit_name) == (
        tree.county,
        MED,
        "崇阳县 医保",
    )
    office, med = people["county_officer"], people["medical_officer"]
    assert not {name for name, _ in steps_for(clue, office)} & set(HANDLING)
    assert [name for name, _ in steps_for(clue, med)] == ["start_verifying"]
    calls = {
        "start_verifying": lambda u: clues.start_verifying(clue, user=u),
        "confirm": lambda u: clues.confirm(
            clue, user=u, classification="data_error", verification_note="医保结算数据有误"
        ),
        "start_rectifying": lambda u: clues.start_rectifying(clue, user=u, actions=["correct_data"]),
        "rectified": lambda u: clues.mark_rectified(clue, user=u, rectification_note="已更正"),
    }
    for name, call in calls.items():
        if name == "rectified":
            evidence.add_evidence(clue, user=med, name="更正.pdf", content=PDF)
        with nothing_written(clue), pytest.raises(PermissionDenied, match="医保"):
            call(office)  # the county's poverty office does not handle its department's clue
        with one_step(clue, name):
            call(med)
        clue.refresh_from_db()
    assert clue.status == S.RECTIFIED


def test_the_county_office_still_handles_the_countys_own_clue_and_the_department_does_not(
    people, tree, households
):
    own = at(S.ASSIGNED, people, tree, households["b"], unit=tree.county)
    with nothing_written(own), pytest.raises(Http404):  # out of its sight entirely
        clues.start_verifying(own, user=people["medical_officer"])
    with one_step(own, "start_verifying"):
        clues.start_verifying(own, user=people["county_officer"])


def test_a_city_department_does_not_handle_the_same_department_of_a_county(people, tree, households):
    clue = hand(people, tree, households["b"], unit=tree.county, department=CIVIL)
    assert "start_verifying" not in {name for name, _ in steps_for(clue, people["city_department"])}
    with nothing_written(clue), pytest.raises(PermissionDenied):
        clues.start_verifying(clue, user=people["city_department"])


def test_hand_over_to_a_department_only_at_the_city_or_a_county(people, tree, households):
    clue = pool_clue(people, households["a"])
    sup, city_sup = people["supervisor"], people["city_supervisor"]
    kw = {"lead_official": "局长", "deadline": soon()}
    with nothing_written(clue), pytest.raises(TransitionRefused, match="市级或县"):
        clues.assign(clue, user=sup, unit=tree.township, department=MED, **kw)
    with nothing_written(clue), pytest.raises(ValidationError, match="未知的部门：tax"):
        clues.assign(clue, user=sup, unit=tree.county, department="tax", **kw)
    with nothing_written(clue), pytest.raises(TransitionRefused, match="只能交办到县（市、区）或乡镇"):
        clues.assign(clue, user=city_sup, unit=tree.city, **kw)  # the city itself is no unit
    with nothing_written(clue), pytest.raises(ValidationError, match="管辖范围"):
        clues.assign(clue, user=sup, unit=tree.city, department=CIVIL, **kw)  # above the county supervisor
    with one_step(clue, "assign"):
        clues.assign(clue, user=city_sup, unit=tree.city, department=CIVIL, **kw)
    assert Clue.objects.get(pk=clue.pk).unit_full_name == "咸宁市 民政"


# ---------------------------------------------------------------- spot checks


def test_a_city_department_never_spot_checks_its_own_clue(people, tree, households):
    city_med = create_user("city_med", role="department", region_code=tree.city.code, password=PASSWORD,
                           department=MED)  # fmt: skip
    own = pool_clue(people, households["a"])
    clues.assign(own, user=people["city_supervisor"], unit=tree.city, department=CIVIL, lead_official="局长",
                 deadline=soon())  # fmt: skip
    own = walk_to_rectified(own, people["city_department"])
    with nothing_written(own), pytest.raises(TransitionRefused, match="不能抽查本部门承办的问题线索"):
        clues.select_for_spot_check(own, user=people["city_department"])
    with one_step(own, "select_spot_check"):
        clues.select_for_spot_check(own, user=city_med)  # another city department may
    county_med = at(S.RECTIFIED, people, tree, households["b"], unit=tree.county, department=MED)
    with one_step(county_med, "select_spot_check"):
        clues.select_for_spot_check(county_med, user=city_med)  # same code, but the county's department
    other = at(S.RECTIFIED, people, tree, households["c"], unit=tree.county, department=MED)
    with one_step(other, "select_spot_check"):
        clues.select_for_spot_check(other, user=people["city_department"])


def test_a_county_department_may_not_draw_spot_checks_of_what_it_sees(people, tree, households):
    mine = at(S.RECTIFIED, people, tree, households["b"], unit=tree.county, department=MED)
    assert list(clues.clues_visible_to(people["medical_officer"]).filter(status=S.RECTIFIED)) == [mine]
    with nothing_written(mine), pytest.raises(TransitionRefused, match="抽查由市级部门进行"):
        clues.draw_spot_checks(user=people["medical_officer"], share=Decimal(1), seed=1)


def test_a_city_departments_draw_leaves_out_its_own_clues(people, tree, households):
    own = pool_clue(people, households["a"])
    clues.assign(own, user=people["city_supervisor"], unit=tree.city, department=CIVIL, lead_official="局长",
                 deadline=soon())  # fmt: skip
    own = walk_to_rectified(own, people["city_department"])
    theirs = at(S.RECTIFIED, people, tree, households["b"], unit=tree.county, department=MED)
    drawn = clues.draw_spot_checks(user=people["city_department"], share=Decimal(1), seed=1)
    assert [c.pk for c in drawn] == [theirs.pk]
    assert Clue.objects.get(pk=own.pk).status == S.RECTIFIED


# ---------------------------------------------------------------- the batch page and the API


def login(client, username):
    client.logout()
    assert client.login(username=username, password=PASSWORD)


def test_the_batch_page_hands_a_batch_to_a_department(client, people, tree, households):
    picked = [pool_clue(people, households[k]) for k in "ab"]
    login(client, "supervisor")
    url = reverse("supervision:batch_assign")
    page = client.get(url).content.decode()
    assert (
        "承办部门" in page and 'name="department"' in page and f'<option value="{MED}">医保</option>' in page
    )
    form = {"title": "医保批次", "unit": tree.county.pk, "lead_official": "局长", "deadline": str(soon()),
            "clue": [c.pk for c in picked]}  # fmt: skip
    refused = client.post(url, {**form, "unit": tree.township.pk, "department": MED})
    assert refused.status_code == 200 and "市级或县" in refused.content.decode()
    assert not ClueBatch.objects.exists() and not Clue.objects.exclude(status=S.GENERATED).exists()
    response = client.post(url, {**form, "department": MED})
    batch = ClueBatch.objects.get()
    assert response.status_code == 302 and (batch.assigned_region, batch.assigned_department) == (
        tree.county,
        MED,
    )
    assert {
        (c.assigned_department, c.batch_id, c.status)
        for c in Clue.objects.filter(pk__in=[c.pk for c in picked])
    } == {(MED, batch.pk, S.ASSIGNED)}
    assert batch.unit_name == "崇阳县 医保"


def test_the_clue_page_offers_the_handling_steps_to_the_department_only(client, people, tree, households):
    clue = at(S.ASSIGNED, people, tree, households["b"], unit=tree.county, department=MED)
    url = reverse("supervision:clue_step", args=[clue.pk, "start_verifying"])
    login(client, "medical_officer")
    page = client.get(clue.get_absolute_url()).content.decode()
    assert url in page and "咸宁市崇阳县 医保" in page
    login(client, "county_officer")
    page = client.get(clue.get_absolute_url()).content.decode()
    assert url not in page and "咸宁市崇阳县 医保" in page
    with nothing_written(clue):
        assert client.post(url).status_code == 403


def test_the_api_hands_a_clue_and_a_batch_to_a_department(people, tree, households):
    sup = api(people["supervisor"])
    clue = pool_clue(people, households["a"])
    body = {"unit": tree.county.code, "lead_official": "局长", "deadline": str(soon())}
    bogus = step(sup, clue, "assign", {**body, "department": "tax"})
    assert bogus.status_code == 400 and bogus.json()["department"] == ["未知的部门：tax"]
    township = step(sup, clue, "assign", {**body, "unit": tree.township.code, "department": MED})
    assert township.status_code == 400 and "市级或县" in str(township.json())
    assert Clue.objects.get(pk=clue.pk).status == S.GENERATED
    detail = ok(step(sup, clue, "assign", {**body, "department": MED}))
    assert (detail["unit_code"], detail["unit_department"], detail["unit_name"]) == (
        "421223",
        MED,
        "崇阳县 医保",
    )
    assert [s["name"] for s in ok(api(people["medical_officer"]).get(f"/api/clues/{clue.pk}/"))["steps"]] == [
        "start_verifying"
    ]
    assert "start_verifying" not in {
        s["name"] for s in ok(api(people["county_officer"]).get(f"/api/clues/{clue.pk}/"))["steps"]
    }
    refused = step(api(people["county_officer"]), clue, "start-verifying")
    assert refused.status_code == 403 and Clue.objects.get(pk=clue.pk).status == S.ASSIGNED
    more = [pool_clue(people, households[k]).pk for k in "bc"]
    batch = ok(
        sup.post("/api/clues/assign-batch/", {**body, "title": "批次", "note": "", "department": CIVIL,
                                              "clues": more}, format="json"),
        201,
    )  # fmt: skip
    assert (batch["unit_department"], batch["unit_name"], batch["clue_count"]) == (CIVIL, "崇阳县 民政", 2)
    assert set(Clue.objects.filter(pk__in=more).values_list("assigned_department", flat=True)) == {CIVIL}


# ---------------------------------------------------------------- the ledger by unit


def test_the_ledger_by_unit_gives_each_department_its_row(people, tree, households):
    hand(people, tree, households["a"], unit=tree.county)  # the county's own: 1 received
    for state in (S.CLOSED, S.VERIFYING, S.UNFOUNDED):
        hand(people, tree, households["b"], unit=tree.county, department=MED, state=state)
    hand(people, tree, households["c"], unit=tree.county, department=CIVIL, state=S.RECTIFIED)
    hand(people, tree, households["a"], unit=tree.township, state=S.CLOSED)
    result = ledger.ledger(people["supervisor"], by="unit")
    rows = [(r.name, r.level_label, r.received, r.closed, r.unfounded, r.rectified) for r in result]
    assert rows == [
        ("崇阳县", "县（市、区）", 1, 0, 0, 0),
        ("崇阳县 民政", "行业部门", 1, 0, 0, 1),
        ("崇阳县 医保", "行业部门", 3, 1, 1, 1),
        ("天城镇", "乡（镇、街道）", 0, 0, 0, 0),
        ("白霓镇", "乡（镇、街道）", 1, 1, 0, 1),
    ]
    med = next(r for r in result if r.name == "崇阳县 医保")
    assert (med.level, med.code, med.closure_rate) == ("department", "421223", Decimal("66.7"))
    assert result.total.received == sum(r.received for r in result) == 6
    assert result.total.closed == sum(r.closed for r in result)
    own = ledger.ledger(people["medical_officer"], by="unit")  # the department's ledger: its clues only
    assert [(r.name, r.received) for r in own if r.received] == [
        ("崇阳县 医保", 3)
    ] and own.total.received == 3


# ---------------------------------------------------------------- scope, for the whole cast

# town → 白霓镇 and med → 崇阳县 医保 (each in a batch), county → 崇阳县 itself, civil → 崇阳县 民政, tongshan →
# 通羊镇, city → 咸宁市 民政, pool → 崇阳县's unassigned pool. A county department sees only its own clues; the
# city's departments see every clue handed over in the city.
CITY_WIDE = {"town", "county", "med", "civil", "tongshan", "city"}
VISIBLE = {
    "city_admin": CITY_WIDE, "city_department": CITY_WIDE, "city_supervisor": CITY_WIDE | {"pool"},
    "county_officer": {"town", "county", "med", "civil"}, "supervisor": {"town", "county", "med", "civil", "pool"},
    "township_officer": {"town"}, "tiancheng": set(), "medical_officer": {"med"}, "outsider": {"tongshan"},
    "tongshan_supervisor": {"tongshan"},
}  # fmt: skip
NO_VIEW = {"village_cadre", "village_cadre_b", "leader"}
SUPERVISORS = {"supervisor", "city_supervisor", "tongshan_supervisor"}
DEPARTMENT_ROWS = {"city_admin": {"咸宁市 民政", "崇阳县 民政", "崇阳县 医保"}, "county_officer": {"崇阳县 民政", "崇阳县 医保"},
                   "medical_officer": {"崇阳县 医保"}}  # fmt: skip
DEPARTMENT_ROWS |= {"city_department": DEPARTMENT_ROWS["city_admin"], "city_supervisor": DEPARTMENT_ROWS["city_admin"],
                    "supervisor": DEPARTMENT_ROWS["county_officer"]}  # fmt: skip


@pytest.fixture
def world(people, tree, households):
    out = {
        "county": hand(people, tree, households["a"], unit=tree.county),
        "civil": hand(people, tree, households["c"], unit=tree.county, department=CIVIL),
        "tongshan": hand(people, tree, households["d"], unit=tree.other_township, by="tongshan_supervisor"),
        "city": hand(people, tree, households["b"], unit=tree.city, department=CIVIL, by="city_supervisor"),
        "pool": pool_clue(people, households["b"]),
    }
    batches = {}
    for key, unit, department in (("town", tree.township, ""), ("med", tree.county, MED)):
        out[key] = pool_clue(people, households["a"])
        batches[key] = clues.assign_batch(
            [out[key]], user=people["supervisor"], title=f"批次{key}", unit=unit, department=department,
            lead_official="局长", deadline=soon(),
        )  # fmt: skip
    return out, batches


def expected(username, key, visible: bool) -> int:
    if username in NO_VIEW:  # the leader is refused what its region holds; a village holds no clue
        return 403 if username == "leader" and key != "pool" else 404
    return 200 if visible else 404


@pytest.mark.parametrize("username", sorted(set(VISIBLE) | NO_VIEW))
def test_department_clues_and_batches_are_scoped_on_every_route(client, people, world, username):
    found, batches = world
    user, sees = people[username], VISIBLE.get(username, set())
    if username not in NO_VIEW:
        assert {k for k, c in found.items() if clues.clues_visible_to(user).filter(pk=c.pk).exists()} == sees
    rest = api(user)
    client.force_login(user)
    listing, api_list = (
        client.get(reverse("supervision:clue_list")),
        rest.get("/api/clues/", {"page_size": 100}),
    )
    batch_list, ledger_api = rest.get("/api/clue-batches/"), rest.get("/api/clue-ledger/", {"by": "unit"})
    if username in NO_VIEW:
        assert {r.status_code for r in (listing, api_list, batch_list, ledger_api)} == {403}, username
    else:
        page = listing.content.decode()
        assert {k for k, c in found.items() if c.number in page} == sees, username
        assert {r["id"] for r in ok(api_list)["results"]} == {found[k].pk for k in sees}, username
        assert {r["id"] for r in ok(batch_list)["results"]} == {b.pk for k, b in batches.items() if k in sees}
        rows = ok(ledger_api)["rows"]
        names = {r["name"] for r in rows if r["level"] == "department"}
        assert names == DEPARTMENT_ROWS.get(username, set()), username
        assert all(r["received"] == 1 for r in rows if r["level"] == "department")
    for key, clue in found.items():
        code = expected(username, key, key in sees)
        assert rest.get(f"/api/clues/{clue.pk}/").status_code == code, (username, key)
        assert client.get(clue.get_absolute_url()).status_code == (403 if username in NO_VIEW else code)
    for key, batch in batches.items():
        code = expected(username, key, key in sees)
        assert rest.get(f"/api/clue-batches/{batch.pk}/").status_code == code, (username, key)
    batch_page = client.get(reverse("supervision:batch_assign")).status_code
    assert batch_page == (200 if username in SUPERVISORS else 403), username
    # Handing the department's clue over again: 400 (already handed) for its supervisors, 403 for those who
    # see it without the right, 404 for the others; nothing changes.
    med, before = found["med"], Clue.objects.filter(pk=found["med"].pk).values().get()
    body = {"unit": "421223", "department": CIVIL, "lead_official": "越权", "deadline": str(soon())}
    code = step(rest, med, "assign", body).status_code
    if username in NO_VIEW or "med" not in sees:
        want = expected(username, "med", False)
    else:
        want = 400 if username in {"supervisor", "city_supervisor"} else 403
    assert code == want, (username, code)
    assert Clue.objects.filter(pk=med.pk).values().get() == before
