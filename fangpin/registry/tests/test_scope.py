"""Scope tests generated for every page and endpoint: each member of the cast against each household.

Which villages each user may see is declared here from the tree's shape, not computed with visible_to(), so a
bug in scoping cannot hide itself.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from fangpin.core.testing import PASSWORD, all_url_names, xlsx_rows
from fangpin.registry.models import Household, Person

VISIBLE = {
    "city_admin": "abcd",
    "county_officer": "abc",
    "township_officer": "ab",
    "village_cadre": "a",
    "village_cadre_b": "b",
    "medical_officer": "abc",
    "supervisor": "abc",
    "leader": "abcd",
    "outsider": "d",
}
CAN_EDIT = {
    "city_admin",
    "county_officer",
    "township_officer",
    "village_cadre",
    "village_cadre_b",
    "outsider",
}


def household_pages(h):
    person = h.members.first()
    income = h.incomes.first()
    return {
        "registry:household_detail": reverse("registry:household_detail", args=[h.pk]),
        "registry:household_edit": reverse("registry:household_edit", args=[h.pk]),
        "registry:person_add": reverse("registry:person_add", args=[h.pk]),
        "registry:person_edit": reverse("registry:person_edit", args=[h.pk, person.pk]),
        "registry:income_add": reverse("registry:income_add", args=[h.pk]),
        "registry:income_edit": reverse("registry:income_edit", args=[h.pk, income.pk]),
    }


def api_objects(h):
    return {
        "household-detail": reverse("household-detail", args=[h.pk]),
        "person-detail": reverse("person-detail", args=[h.members.first().pk]),
        "income-detail": reverse("income-detail", args=[h.incomes.first().pk]),
    }


# Named URLs that take no object, or are not region-scoped data, each with the reason.
NOT_OBJECT_PAGES = {
    "home",
    "login",
    "logout",
    "geo:region_list",
    "registry:household_list",
    "registry:person_list",
    "registry:household_add",
    "api_token",
    "schema",
    "api_docs",
    "api_redoc",
    "api-root",
    "region-list",
    "region-detail",
    "household-list",
    "person-list",
    "income-list",
}
POST_ONLY = {"registry:household_transition", "registry:person_delete"}
# Import batches: scoped like the registry, tested in test_import_web_api.py.
IMPORT_PAGES = {
    "import_template",
    "imports",
    "import_detail",
    "import_errors",
    "importbatch-list",
    "importbatch-detail",
    "importbatch-errors",
}


# Monitoring pages and endpoints: scoped through the warning's household, tested in
# fangpin/monitoring/tests/test_scope_monitoring.py.
MONITORING_PAGES = {
    "monitoring:warning_list",
    "monitoring:warning_detail",
    "monitoring:run_list",
    "monitoring:run_detail",
    "monitoring:parameter_list",
    "monitoring:parameter_add",
    "monitoring:parameter_edit",
    "monitoring:preview",
    "warning-list",
    "warning-detail",
    "screeningrun-list",
    "screeningrun-detail",
    "parameter-list",
    "parameter-detail",
}


def test_every_named_url_is_covered_by_the_scope_tests(households):
    covered = (
        MONITORING_PAGES
        | set(household_pages(households["a"]))
        | set(api_objects(households["a"]))
        | NOT_OBJECT_PAGES
        | POST_ONLY
        | IMPORT_PAGES
    )
    covered |= scope_covered_elsewhere()
    names = {n for n in all_url_names() if not n.endswith("-format") and not n.startswith("api-root")}
    assert names - covered == set(), "add the new URLs to the scope tests"


def scope_covered_elsewhere() -> set[str]:
    """URL names that other apps' scope tests cover: each such test module declares them in
    `SCOPE_COVERED_URLS`, so an app's pages are listed next to the tests that check them."""
    import importlib
    import pkgutil

    import fangpin

    covered: set[str] = set()
    for module in pkgutil.walk_packages(fangpin.__path__, "fangpin."):
        if ".tests." in module.name and module.name.rsplit(".", 1)[-1].startswith("test_"):
            covered |= set(getattr(importlib.import_module(module.name), "SCOPE_COVERED_URLS", ()))
    return covered


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_object_pages_are_404_out_of_scope(client, cast, households, username):
    client.login(username=username, password=PASSWORD)
    for key, h in households.items():
        for name, url in household_pages(h).items():
            status = client.get(url).status_code
            if key not in VISIBLE[username]:
                assert status == 404, (username, name, key)
            elif name == "registry:household_detail":
                assert status == 200, (username, name, key)
            else:
                assert status == (200 if username in CAN_EDIT else 403), (username, name, key)


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_post_actions_are_404_out_of_scope_and_change_nothing(client, cast, households, username):
    client.login(username=username, password=PASSWORD)
    for key, h in households.items():
        if key in VISIBLE[username]:
            continue
        person = h.members.exclude(relation="head").first()
        before = (Household.objects.get(pk=h.pk).status, Person.objects.filter(household=h).count())
        assert (
            client.post(
                reverse("registry:household_transition", args=[h.pk, "cancel"]), {"comment": "x"}
            ).status_code
            == 404
        )
        assert client.post(reverse("registry:person_delete", args=[h.pk, person.pk])).status_code == 404
        assert (
            client.post(reverse("registry:household_edit", args=[h.pk]), {"address": "x"}).status_code == 404
        )
        assert (Household.objects.get(pk=h.pk).status, Person.objects.filter(household=h).count()) == before


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_lists_and_exports_hold_exactly_the_scope(client, cast, households, username):
    client.login(username=username, password=PASSWORD)
    expected = {households[k].number for k in VISIBLE[username]}
    page = client.get(reverse("registry:household_list")).content.decode()
    assert {h.number for h in households.values() if h.number in page} == expected
    export = client.get(reverse("registry:household_list") + "?export=xlsx")
    if username == "leader":
        assert export.status_code == 403
    else:
        rows = xlsx_rows(b"".join(export.streaming_content))
        assert {r[0] for r in rows[1:]} == expected
    people = client.get(reverse("registry:person_list")).content.decode()
    assert {h.number for h in households.values() if h.number in people} == expected
    person_export = client.get(reverse("registry:person_list") + "?export=xlsx")
    if username != "leader":
        rows = xlsx_rows(b"".join(person_export.streaming_content))
        column = rows[0].index("户编号")
        assert {r[column] for r in rows[1:]} == expected


def _api(username):
    api = APIClient()
    token = api.post("/api/auth/token/", {"username": username, "password": PASSWORD}, format="json").json()[
        "token"
    ]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_api_scope(cast, households, username):
    api = _api(username)
    expected = {households[k].number for k in VISIBLE[username]}
    listed = api.get("/api/households/?page_size=500").json()
    assert {r["number"] for r in listed["results"]} == expected
    assert listed["count"] == len(expected)
    persons = api.get("/api/persons/?page_size=500").json()["results"]
    assert {p["household"] for p in persons} == {households[k].pk for k in VISIBLE[username]}
    incomes = api.get("/api/incomes/?page_size=500").json()["results"]
    assert {i["household"] for i in incomes} == {households[k].pk for k in VISIBLE[username]}
    export = api.get("/api/households/?format=xlsx")
    if username == "leader":
        assert export.status_code == 403
    else:
        assert export.status_code == 200
        rows = xlsx_rows(export.content)
        assert {r[1] for r in rows[1:]} == expected  # column 0 is id, 1 is number
    for key, h in households.items():
        for name, url in api_objects(h).items():
            status = api.get(url).status_code
            assert status == (200 if key in VISIBLE[username] else 404), (username, name, key)
            if key not in VISIBLE[username]:
                assert api.patch(url, {"address": "x"}, format="json").status_code == 404
                if name != "household-detail":
                    assert api.delete(url).status_code == 404
    regions = {r["code"] for r in api.get("/api/regions/?page_size=500").json()["results"]}
    assert {households[k].region.code for k in VISIBLE[username]} <= regions
    assert not ({households[k].region.code for k in "abcd" if k not in VISIBLE[username]} & regions)


def test_village_cadre_cannot_move_a_household_out_of_the_village(client, cast, households, tree):
    h = households["a"]
    client.login(username="village_cadre", password=PASSWORD)
    form = client.get(reverse("registry:household_edit", args=[h.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(region=tree.village_b.pk, number=h.number)
    response = client.post(reverse("registry:household_edit", args=[h.pk]), data)
    assert response.status_code == 200
    assert "不在您的管辖范围内" in response.content.decode()
    assert Household.objects.get(pk=h.pk).region_id == tree.village_a.pk

    api = _api("village_cadre")
    response = api.patch(f"/api/households/{h.pk}/", {"region": tree.village_b.code}, format="json")
    assert response.status_code == 400 and "region" in response.json()
    assert Household.objects.get(pk=h.pk).region_id == tree.village_a.pk


def test_write_side_check_rolls_back_a_move_the_form_did_not_catch(cast, households, tree):
    """save_in_scope re-reads through the scope: a service call that moves the household out is undone."""
    from fangpin.core.scoping import OutOfScopeError
    from fangpin.registry import services

    h = Household.objects.get(pk=households["a"].pk)
    h.region = tree.village_b
    with pytest.raises(OutOfScopeError):
        services.save_household(h, user=cast["village_cadre"])
    assert Household.objects.get(pk=h.pk).region_id == tree.village_a.pk


def test_cannot_add_a_member_to_an_out_of_scope_household_via_api(cast, households):
    api = _api("village_cadre")
    response = api.post(
        "/api/persons/",
        {
            "household": households["b"].pk,
            "id_number": "11010519491231002X",
            "name": "王五",
            "relation": "son",
        },
        format="json",
    )
    assert response.status_code == 400 and "household" in response.json()
    assert Person.objects.filter(name="王五").count() == 0


def test_personal_data_is_masked_for_roles_that_do_not_need_it(client, cast, households):
    person = households["a"].members.first()
    for username, masked in (
        ("leader", True),
        ("supervisor", True),
        ("county_officer", False),
        ("village_cadre", False),
        ("medical_officer", False),
    ):
        client.login(username=username, password=PASSWORD)
        page = client.get(reverse("registry:household_detail", args=[households["a"].pk])).content.decode()
        assert (person.id_number in page) is (not masked), username
        api = _api(username)
        shown = api.get(f"/api/persons/{person.pk}/").json()["id_number"]
        assert (shown == person.id_number) is (not masked), username
        if masked:
            assert shown.startswith(person.id_number[:6]) and "*" in shown


def test_region_filter_offers_and_accepts_only_the_users_subtree(client, cast, households, tree):
    client.login(username="township_officer", password=PASSWORD)
    response = client.get(reverse("registry:household_list"), {"region": tree.village_a.code})
    page = response.content.decode()
    assert households["a"].number in page and households["b"].number not in page
    assert tree.village_d.code not in page and tree.village_c.code not in page  # not even offered
    outside = client.get(reverse("registry:household_list"), {"region": tree.village_d.code}).content.decode()
    assert households["d"].number not in outside and households["a"].number not in outside

    api = _api("township_officer")
    assert {
        r["number"] for r in api.get(f"/api/households/?region={tree.township.code}").json()["results"]
    } == {households["a"].number, households["b"].number}
    assert api.get(f"/api/households/?region={tree.village_d.code}").status_code == 400


def test_search_by_name_id_number_and_household_number_stays_in_scope(client, cast, households):
    client.login(username="village_cadre", password=PASSWORD)
    a, b = households["a"], households["b"]
    spouse = a.members.get(relation="spouse")
    url = reverse("registry:household_list")

    def found(q):
        page = client.get(url, {"q": q}).content.decode()
        return {h.number for h in households.values() if h.number in page}

    assert found(spouse.name) == {a.number}  # b has a member of the same name, but is another village
    typed = " ".join([spouse.id_number[:6], spouse.id_number[6:14], spouse.id_number[14:].lower()])
    assert found(typed) == {a.number}
    assert found(b.members.first().id_number) == set()
    assert found(a.number[:-2]) == {a.number}
    assert found("不存在的名字") == set()
