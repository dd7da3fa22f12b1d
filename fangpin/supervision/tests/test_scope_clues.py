"""Scope of every clue page, for each member of the cast and a second township: a clue is seen through the unit it
is assigned to; units do not see the supervisors' pool of unassigned clues; out of scope is 404 (exactly like a
clue that does not exist) and a POST out of scope changes nothing. Which clues each user sees is declared here
from the tree's shape, not computed."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fangpin.accounts.services import create_user
from fangpin.core.models import StatusChange
from fangpin.core.testing import PASSWORD, xlsx_rows
from fangpin.supervision.models import Clue, ClueBatch, ClueEvidence
from fangpin.supervision.services import clues, evidence
from fangpin.supervision.tests.test_clue_path import PDF, comparison_hit

SCOPE_COVERED_URLS = {
    "supervision:clue_list",
    "supervision:clue_detail",
    "supervision:clue_step",
    "supervision:clue_evidence_add",
    "supervision:clue_evidence_download",
    "supervision:clue_generate",
    "supervision:clue_add",
    "supervision:batch_assign",
    "supervision:clue_spot_check",
}

# The clues of the fixture: a → 白霓镇, b → 崇阳县 (the county's own unit), c → 天城镇, d → 通山县's 通羊镇,
# e → 崇阳县's 医保 department (a line department of the county: a second hit on household b),
# pool → 崇阳县's unassigned pool (a second hit on household a). A county department sees only what was
# handed to it; the county's poverty office and supervisor see the department's clue too.
VISIBLE = {
    "city_admin": {"a", "b", "c", "d", "e"},
    "county_officer": {"a", "b", "c", "e"},
    "township_officer": {"a"},
    "township_2": {"c"},
    "medical_officer": {"e"},
    "supervisor": {"a", "b", "c", "e", "pool"},
    "supervisor_2": {"d"},
    "outsider": {"d"},
}
NO_CLUE_PAGES = {"village_cadre", "village_cadre_b", "leader"}  # no supervision.view_clue: 403 everywhere
SUPERVISORS = {"supervisor", "supervisor_2"}
HANDLERS = {"county_officer", "township_officer", "township_2", "outsider"}
SPOT_CHECKERS = {"city_admin", "medical_officer"}
ALL = sorted(set(VISIBLE) | NO_CLUE_PAGES)


@pytest.fixture
def clue_of(tree, cast, households):
    create_user("township_2", role="township", region_code=tree.township_2.code, password=PASSWORD)
    supervisor_2 = create_user(
        "supervisor_2", role="supervisor", region_code=tree.other_county.code, password=PASSWORD
    )
    units = {"a": tree.township, "b": tree.county, "c": tree.township_2, "d": tree.other_township}
    deadline = dt.date.today() + dt.timedelta(days=30)
    out = {}
    for key, unit in units.items():
        supervisor = supervisor_2 if key == "d" else cast["supervisor"]
        clue = clues.clues_from_warnings([comparison_hit(households[key])], user=supervisor).created[0]
        out[key] = clues.assign(clue, user=supervisor, unit=unit, lead_official="负责人", deadline=deadline)
        handler = cast["outsider"] if key == "d" else cast["county_officer"]
        evidence.add_evidence(out[key], user=handler, name=f"材料{key}.pdf", content=PDF)
    department_hit = comparison_hit(households["b"], code="BD-04")
    clue = clues.clues_from_warnings([department_hit], user=cast["supervisor"]).created[0]
    out["e"] = clues.assign(
        clue,
        user=cast["supervisor"],
        unit=tree.county,
        department="medical_insurance",
        lead_official="负责人",
        deadline=deadline,
    )
    evidence.add_evidence(out["e"], user=cast["medical_officer"], name="材料e.pdf", content=PDF)
    pool = comparison_hit(households["a"], code="BD-05")
    out["pool"] = clues.clues_from_warnings([pool], user=cast["supervisor"]).created[0]
    evidence.add_evidence(out["pool"], user=cast["supervisor"], name="材料pool.pdf", content=PDF)
    return out


def state(clue):
    fresh = Clue.objects.get(pk=clue.pk)
    return (
        fresh.status,
        fresh.assigned_region_id,
        fresh.escalation_reason,
        StatusChange.objects.filter(object_id=clue.pk, content_type__model="clue").count(),
        ClueEvidence.objects.filter(clue=clue).count(),
    )


def login(client, username):
    client.logout()
    assert client.login(username=username, password=PASSWORD)


@pytest.mark.parametrize("username", ALL)
def test_clue_pages_are_404_out_of_scope(client, clue_of, username):
    login(client, username)
    for key, clue in clue_of.items():
        item = clue.files.get()
        for url in (
            clue.get_absolute_url(),
            reverse("supervision:clue_evidence_download", args=[clue.pk, item.pk]),
        ):
            code = client.get(url).status_code
            if username in NO_CLUE_PAGES:
                assert code == 403, (username, key, url)
            else:
                assert code == (200 if key in VISIBLE[username] else 404), (username, key, url, code)


@pytest.mark.parametrize("username", ALL)
def test_posts_out_of_scope_are_404_and_change_nothing(client, clue_of, username):
    login(client, username)
    for key, clue in clue_of.items():
        if key in VISIBLE.get(username, ()):
            continue
        before = state(clue)
        posts = {
            reverse("supervision:clue_step", args=[clue.pk, "escalate"]): {"escalate-reason": "越权"},
            reverse("supervision:clue_step", args=[clue.pk, "start_verifying"]): {},
            reverse("supervision:clue_evidence_add", args=[clue.pk]): {
                "evidence-file": SimpleUploadedFile("越权.pdf", PDF)
            },
        }
        for url, data in posts.items():
            code = client.post(url, data).status_code
            assert code == (403 if username in NO_CLUE_PAGES else 404), (username, key, url, code)
        assert state(clue) == before, (username, key)


@pytest.mark.parametrize("username", ALL)
def test_the_list_and_the_export_hold_exactly_the_scope(client, clue_of, username):
    login(client, username)
    response = client.get(reverse("supervision:clue_list"))
    if username in NO_CLUE_PAGES:
        assert response.status_code == 403
        return
    page = response.content.decode()
    assert {k for k, c in clue_of.items() if c.number in page} == VISIBLE[username]
    export = client.get(reverse("supervision:clue_list") + "?export=xlsx")
    if username not in SUPERVISORS:
        assert export.status_code == 403
        return
    rows = xlsx_rows(b"".join(export.streaming_content))
    column = rows[0].index("线索编号")
    assert {k for k, c in clue_of.items() if c.number in {r[column] for r in rows[1:]}} == VISIBLE[username]


@pytest.mark.parametrize("username", ALL)
def test_pool_pages_hold_the_scope(client, tree, households, clue_of, username):
    login(client, username)
    hits = {key: comparison_hit(households[key], code="BD-07") for key in "abcd"}
    for name in ("clue_generate", "clue_add", "batch_assign"):
        code = client.get(reverse(f"supervision:{name}")).status_code
        assert code == (200 if username in SUPERVISORS else 403), (username, name)
    spot = client.get(reverse("supervision:clue_spot_check")).status_code
    assert spot == (200 if username in SPOT_CHECKERS else 403), username
    if username not in SUPERVISORS:
        assert client.post(reverse("supervision:clue_generate"), {"all": "1"}).status_code == 403
        return
    own = {"a", "b", "c"} if username == "supervisor" else {"d"}
    page = client.get(reverse("supervision:clue_generate")).content.decode()
    assert {k for k in "abcd" if households[k].number in page} == own
    batch_page = client.get(reverse("supervision:batch_assign")).content.decode()
    assert (clue_of["pool"].number in batch_page) == (username == "supervisor")
    for key, hit in hits.items():
        if key in own:
            continue
        assert client.post(reverse("supervision:clue_generate"), {"warning": [hit.pk]}).status_code == 404
        assert not Clue.objects.filter(warning=hit).exists()
    form = {"title": "越权", "unit": tree.township.pk, "lead_official": "x", "deadline": "2099-01-01"}
    if username == "supervisor_2":
        response = client.post(reverse("supervision:batch_assign"), {**form, "clue": [clue_of["pool"].pk]})
        assert response.status_code == 404
        assert Clue.objects.get(pk=clue_of["pool"].pk).status == Clue.Status.GENERATED
        assert not ClueBatch.objects.exists()
        response = client.post(
            reverse("supervision:clue_add"),
            {
                "source": "hotline",
                "household_number": households["a"].number,
                "title": "x",
                "description": "x",
            },
        )
        assert response.status_code == 200 and "未找到该户编号" in response.content.decode()
    else:
        # A unit outside the supervisor's county is not even offered.
        response = client.post(
            reverse("supervision:batch_assign"),
            {**form, "unit": tree.other_township.pk, "clue": [clue_of["pool"].pk]},
        )
        assert response.status_code == 200 and not ClueBatch.objects.exists()
