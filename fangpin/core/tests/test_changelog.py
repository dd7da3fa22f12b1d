"""The change log (ObjectChange) and workflow transitions (StatusChange), from the issue:

one correct entry for every edit — via the web, the API, a management command or a job — naming who, from
where, under which request id, with before/after values; nothing for a save that changes nothing; a person's
edit on its household's timeline; workflow steps guarded by permission, state, comment and concurrency.
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from fangpin.core.changelog import change_context, log_bulk
from fangpin.core.models import ObjectChange, StatusChange
from fangpin.core.testing import PASSWORD
from fangpin.registry import services
from fangpin.registry.models import Household, Person


def ct(model) -> ContentType:
    return ContentType.objects.get_for_model(model)


def changes_of(obj):
    return ObjectChange.objects.filter(content_type=ct(type(obj)), object_id=obj.pk)


def diff(change: ObjectChange) -> set[str]:
    before, after = change.before or {}, change.after or {}
    return {k for k in set(before) | set(after) if before.get(k) != after.get(k)}


def household_form_data(h: Household, **overrides) -> dict:
    """The household edit form as the page would post it back unchanged."""

    def nb(value):
        return {None: "unknown", True: "true", False: "false"}[value]

    data = {
        "region": h.region_id,
        "natural_village": h.natural_village,
        "household_type": h.household_type,
        "exit_year": h.exit_year or "",
        "identification_standard": h.identification_standard,
        "phone": h.phone,
        "address": h.address,
        "relocation_site": h.relocation_site,
        "housing_grade": h.housing_grade,
        "water_quantity_ok": nb(h.water_quantity_ok),
        "water_quality_ok": nb(h.water_quality_ok),
        "water_convenience_ok": nb(h.water_convenience_ok),
        "water_reliability_ok": nb(h.water_reliability_ok),
    }
    for flag in ("in_relocation_site", "is_military_family"):
        if getattr(h, flag):
            data[flag] = "on"
    data.update(overrides)
    return data


def api_client_for(user) -> APIClient:
    client = APIClient()
    response = client.post(
        "/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


# --------------------------------------------------------------------------------------------------------------
# One correct entry per edit, whatever made it
# --------------------------------------------------------------------------------------------------------------


def test_web_edit_leaves_one_correct_entry(cast, households):
    h = households["a"]
    user = cast["village_cadre"]
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    total = ObjectChange.objects.count()
    response = client.post(
        f"/registry/households/{h.pk}/edit/", household_form_data(h, address="大坪村一组8号")
    )
    assert response.status_code == 302, getattr(response, "context", None) and response.context["form"].errors
    assert ObjectChange.objects.count() == total + 1
    change = changes_of(h).latest("id")
    assert change.action == "update"
    assert change.user_id == user.pk
    assert change.username == user.username
    assert change.source == "web"
    assert change.request_id and change.request_id == response["X-Request-ID"]
    assert change.before["address"] == h.address
    assert change.after["address"] == "大坪村一组8号"
    assert diff(change) == {"address"}
    assert change.related_type == ct(Household) and change.related_id == h.pk
    assert change.time is not None
    h.refresh_from_db()
    assert h.address == "大坪村一组8号"


def test_web_edit_that_changes_nothing_writes_no_entry(cast, households):
    h = households["a"]
    client = Client()
    assert client.login(username="village_cadre", password=PASSWORD)
    total = ObjectChange.objects.count()
    response = client.post(f"/registry/households/{h.pk}/edit/", household_form_data(h))
    assert response.status_code == 302
    assert ObjectChange.objects.count() == total


def test_refused_web_edit_writes_no_entry(cast, households):
    h = households["a"]
    client = Client()
    assert client.login(username="village_cadre", password=PASSWORD)
    total = ObjectChange.objects.count()
    response = client.post(f"/registry/households/{h.pk}/edit/", household_form_data(h, phone="1397210000"))
    assert response.status_code == 200  # the form again, with the error
    assert "phone" in response.context["form"].errors
    assert ObjectChange.objects.count() == total
    h.refresh_from_db()
    assert h.phone == "13972100000"


def test_api_patch_leaves_one_correct_entry(cast, households):
    h = households["a"]
    user = cast["county_officer"]
    client = api_client_for(user)
    total = ObjectChange.objects.count()
    response = client.patch(f"/api/households/{h.pk}/", {"natural_village": "三组"}, format="json")
    assert response.status_code == 200, response.content
    assert ObjectChange.objects.count() == total + 1
    change = changes_of(h).latest("id")
    assert change.action == "update"
    assert change.source == "api"
    assert change.user_id == user.pk and change.username == user.username
    assert change.request_id == response["X-Request-ID"]
    assert change.before["natural_village"] == "" and change.after["natural_village"] == "三组"
    assert diff(change) == {"natural_village"}


def test_api_create_of_a_person_is_logged_on_the_household(cast, households):
    h = households["a"]
    user = cast["village_cadre"]
    client = api_client_for(user)
    import datetime as dt

    from fangpin.core.testing import make_id_number

    number = make_id_number("421223", dt.date(2001, 4, 5), "male")
    response = client.post(
        "/api/persons/",
        {
            "household": h.pk,
            "id_number": number,
            "name": "张小军",
            "relation": "son",
            "education": "senior",
            "labour_skill": "ordinary",
            "resident_medical": True,
            "critical_illness": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    person = Person.objects.get(id_number=number)
    [change] = changes_of(person)
    assert change.action == "create" and change.before is None
    assert change.after["id_number"] == number and change.after["name"] == "张小军"
    assert change.source == "api" and change.user_id == user.pk
    assert change.related_type == ct(Household) and change.related_id == h.pk
    assert change.request_id == response["X-Request-ID"]


def test_management_command_is_logged_as_the_command(tree):
    total = ObjectChange.objects.count()
    call_command(
        "createuser", "new_clerk", role="village", region=tree.village_a.code, password="a-long-password"
    )
    from fangpin.accounts.models import User

    user = User.objects.get(username="new_clerk")
    [change] = changes_of(user)
    assert ObjectChange.objects.count() == total + 1
    assert change.source == "command:createuser"
    assert change.action == "create"
    assert change.user is None
    assert change.request_id  # a batch id groups everything one run did
    assert change.after["username"] == "new_clerk"
    assert change.after["region"] == tree.village_a.pk
    assert "password" not in change.after  # secrets are never logged


def test_a_job_context_attributes_service_calls_to_the_job(cast, households):
    h = households["a"]
    user = cast["county_officer"]
    with change_context("job:7", user=user) as ctx:
        h.address = "改由定时任务修正的地址"
        services.save_household(h, user=user)
    [change] = changes_of(h).filter(source="job:7")
    assert change.user_id == user.pk
    assert change.request_id == ctx.request_id
    assert diff(change) == {"address"}


def test_a_job_context_without_user_records_no_user(households):
    h = households["b"]
    with change_context("job:7"):
        h.natural_village = "五组"
        h.save()
    change = changes_of(h).latest("id")
    assert change.source == "job:7"
    assert change.user is None and change.username == ""


def test_one_request_id_groups_a_whole_job(households):
    with change_context("import:3") as ctx:
        for key in "ab":
            h = households[key]
            h.address = f"{h.address}（更正）"
            h.save()
    rows = ObjectChange.objects.filter(request_id=ctx.request_id)
    assert rows.count() == 2
    assert set(rows.values_list("source", flat=True)) == {"import:3"}


def test_save_that_changes_nothing_writes_no_entry(cast, households):
    h = households["a"]
    total = ObjectChange.objects.count()
    h.save()
    services.save_household(Household.objects.get(pk=h.pk), user=cast["village_cadre"])
    person = h.members.first()
    person.save()
    assert ObjectChange.objects.count() == total


def test_two_consecutive_edits_each_log_their_own_difference(households):
    h = households["a"]
    h.address = "第一次"
    h.save()
    h.natural_village = "二组"
    h.save()
    first, second = changes_of(h).filter(action="update").order_by("id")
    assert diff(first) == {"address"}
    assert diff(second) == {"natural_village"}
    assert second.before["address"] == "第一次"


# --------------------------------------------------------------------------------------------------------------
# Timeline, deletes, bulk writes
# --------------------------------------------------------------------------------------------------------------


def person_form_data(p: Person, **overrides) -> dict:
    """The member edit form as the page would post it back."""
    from django.forms.models import model_to_dict

    from fangpin.registry.forms import PersonForm

    data = {}
    for name, value in model_to_dict(p, fields=PersonForm._meta.fields).items():
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else value
    data["health"] = p.health
    data.update(overrides)
    return data


def test_person_edit_via_web_appears_on_the_household_timeline_and_page(cast, households):
    h = households["a"]
    user = cast["county_officer"]
    spouse = h.members.get(relation="spouse")
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    total = ObjectChange.objects.count()
    response = client.post(
        f"/registry/households/{h.pk}/members/{spouse.pk}/edit/", person_form_data(spouse, name="李秀兰")
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert ObjectChange.objects.count() == total + 1
    change = changes_of(spouse).latest("id")
    assert change.related_type == ct(Household) and change.related_id == h.pk
    assert diff(change) == {"name"}
    assert change.before["name"] == "李秀英" and change.after["name"] == "李秀兰"
    assert change.source == "web" and change.user_id == user.pk
    assert change.request_id == response["X-Request-ID"]
    assert change in services.household_history(h)

    page = client.get(f"/registry/households/{h.pk}/").content.decode()
    history = page[page.index('id="history"') :]
    assert "李秀英" in history and "李秀兰" in history
    assert user.username in history


def test_person_edit_via_service_is_on_the_household_timeline(cast, households):
    h = households["a"]
    spouse = h.members.get(relation="spouse")
    spouse.name = "李秀兰"
    services.save_person(spouse, user=cast["village_cadre"])
    change = changes_of(spouse).latest("id")
    assert change.related_type == ct(Household) and change.related_id == h.pk
    assert diff(change) == {"name"}
    assert change in services.household_history(h)


def test_income_edit_appears_on_the_household_timeline(cast, households):
    h = households["a"]
    income = h.incomes.get()
    income.wage = 31000
    services.save_income(income, user=cast["village_cadre"])
    change = changes_of(income).latest("id")
    assert change.related_id == h.pk and change.related_type == ct(Household)
    assert change.after["wage"] in ("31000", "31000.00")
    assert change in services.household_history(h)


def test_other_households_changes_stay_off_the_timeline(households):
    other = households["b"]
    other.address = "别处"
    other.save()
    assert not services.household_history(households["a"]).filter(related_id=other.pk).exists()
    assert services.household_history(other).filter(object_id=other.pk).exists()


def test_delete_is_logged_with_before(cast, households):
    h = households["a"]
    spouse = h.members.get(relation="spouse")
    pk, number = spouse.pk, spouse.id_number
    services.delete_person(spouse, user=cast["village_cadre"])
    [change] = ObjectChange.objects.filter(content_type=ct(Person), object_id=pk, action="delete")
    assert change.after is None
    assert change.before["name"] == "李秀英"
    assert change.before["id_number"] == number
    assert change.before["household"] == h.pk
    assert change.related_id == h.pk
    assert change in services.household_history(h)


def test_delete_via_api_records_user_and_source(cast, households):
    h = households["a"]
    spouse = h.members.get(relation="spouse")
    response = api_client_for(cast["village_cadre"]).delete(f"/api/persons/{spouse.pk}/")
    assert response.status_code == 204, response.content
    [change] = ObjectChange.objects.filter(content_type=ct(Person), object_id=spouse.pk, action="delete")
    assert change.source == "api" and change.user_id == cast["village_cadre"].pk
    assert change.before["name"] == "李秀英" and change.after is None


def test_log_bulk_writes_one_summary_row(cast, households):
    ids = [households[k].pk for k in "abcd"]
    total = ObjectChange.objects.count()
    with change_context("import:42", user=cast["city_admin"]) as ctx:
        Household.objects.filter(pk__in=ids).update(natural_village="批量")
        log_bulk(Household, "bulk_update", len(ids), description="批量更新自然村", ids=ids)
    assert ObjectChange.objects.count() == total + 1
    row = ObjectChange.objects.latest("id")
    assert row.action == "bulk_update"
    assert row.source == "import:42" and row.request_id == ctx.request_id
    assert row.user_id == cast["city_admin"].pk
    assert row.content_type == ct(Household)
    assert row.after["count"] == 4 and row.after["ids"] == ids
    assert "批量更新自然村" in row.object_repr


def test_change_outside_any_context_is_logged_as_system(households):
    h = households["c"]
    h.address = "系统修正"
    h.save()
    change = changes_of(h).latest("id")
    assert change.source == "system" and change.user is None


def _edit_household(h, user):
    h.address = "新地址"
    services.save_household(h, user=user)
    return Household, h.pk


def _edit_person(h, user):
    p = h.members.get(relation="spouse")
    p.name = "李秀兰"
    services.save_person(p, user=user)
    return Person, p.pk


def _delete_person(h, user):
    p = h.members.get(relation="spouse")
    pk = p.pk
    services.delete_person(p, user=user)
    return Person, pk


def _cancel(h, user):
    services.cancel_household(h, user=user, reason="全户迁出")
    return Household, h.pk


@pytest.mark.parametrize(
    "action",
    [_edit_household, _edit_person, _delete_person, _cancel],
    ids=["save_household", "save_person", "delete_person", "cancel_household"],
)
def test_service_call_outside_a_request_logs_the_acting_user(cast, households, action):
    """A service takes the acting user as an argument; its log entry must name them even from a shell or job."""
    user = cast["county_officer"]
    model, pk = action(households["a"], user)
    change = ObjectChange.objects.filter(object_id=pk, content_type=ct(model)).latest("id")
    assert change.user_id == user.pk, f"logged user {change.user_id!r}, acting user {user.pk}"
    assert change.username == user.username


# --------------------------------------------------------------------------------------------------------------
# Workflow: cancel / restore a household
# --------------------------------------------------------------------------------------------------------------


def status_changes(h):
    return StatusChange.objects.filter(content_type=ct(Household), object_id=h.pk)


def test_county_officer_cancels_with_a_comment(cast, households):
    h = households["a"]
    user = cast["county_officer"]
    total = ObjectChange.objects.count()
    services.cancel_household(h, user=user, reason="全户迁出本县")
    h.refresh_from_db()
    assert h.status == Household.Status.CANCELLED
    [step] = status_changes(h)
    assert (step.from_status, step.to_status) == ("active", "cancelled")
    assert step.transition == "cancel"
    assert step.user_id == user.pk
    assert step.comment == "全户迁出本县"
    assert ObjectChange.objects.count() == total + 1
    change = changes_of(h).latest("id")
    assert change.action == "update"
    assert change.before["status"] == "active" and change.after["status"] == "cancelled"
    assert diff(change) == {"status"}


def test_restore_after_cancel(cast, households):
    h = households["a"]
    user = cast["county_officer"]
    services.cancel_household(h, user=user, reason="全户迁出")
    services.restore_household(h, user=user, reason="迁回原籍")
    h.refresh_from_db()
    assert h.status == "active"
    assert [(s.transition, s.from_status, s.to_status) for s in status_changes(h).order_by("id")] == [
        ("cancel", "active", "cancelled"),
        ("restore", "cancelled", "active"),
    ]


def test_village_cadre_may_not_cancel(cast, households):
    h = households["a"]
    user = cast["village_cadre"]
    assert not user.has_perm("registry.cancel_household")
    assert Household.WORKFLOW.available(h, user) == []
    total = ObjectChange.objects.count()
    with pytest.raises(PermissionDenied):
        services.cancel_household(h, user=user, reason="迁出")
    h.refresh_from_db()
    assert h.status == "active"
    assert not status_changes(h).exists()
    assert ObjectChange.objects.count() == total


def test_county_officer_sees_only_the_allowed_step(cast, households):
    h = households["a"]
    assert [t.name for t in Household.WORKFLOW.available(h, cast["county_officer"])] == ["cancel"]


@pytest.mark.parametrize("comment", ["", "   "])
def test_cancel_requires_a_comment(cast, households, comment):
    h = households["a"]
    total = ObjectChange.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.cancel_household(h, user=cast["county_officer"], reason=comment)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in " ".join(exc.value.messages))
    h.refresh_from_db()
    assert h.status == "active"
    assert not status_changes(h).exists()
    assert ObjectChange.objects.count() == total


def test_wrong_state_is_refused_in_chinese(cast, households):
    h = households["a"]
    user = cast["county_officer"]
    with pytest.raises(ValidationError) as exc:
        services.restore_household(h, user=user, reason="恢复")
    text = " ".join(exc.value.messages)
    assert "在册" in text  # names the current state
    assert not status_changes(h).exists()

    services.cancel_household(h, user=user, reason="迁出")
    with pytest.raises(ValidationError) as exc:
        services.cancel_household(h, user=user, reason="再次注销")
    assert "已注销" in " ".join(exc.value.messages)
    assert status_changes(h).count() == 1


def test_concurrent_cancel_second_stale_copy_is_refused(cast, households):
    pk = households["a"].pk
    first, second = Household.objects.get(pk=pk), Household.objects.get(pk=pk)
    services.cancel_household(first, user=cast["county_officer"], reason="全户死亡")
    assert second.status == "active"  # the stale copy still says active
    total = ObjectChange.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.cancel_household(second, user=cast["township_officer"], reason="全户迁出")
    assert "已被他人修改" in " ".join(exc.value.messages)
    [step] = status_changes(first)
    assert step.user_id == cast["county_officer"].pk and step.comment == "全户死亡"
    assert ObjectChange.objects.count() == total
    assert Household.objects.get(pk=pk).status == "cancelled"


def test_web_transition_by_village_cadre_changes_nothing(cast, households):
    h = households["a"]
    client = Client()
    assert client.login(username="village_cadre", password=PASSWORD)
    response = client.post(f"/registry/households/{h.pk}/transition/cancel/", {"comment": "迁出"})
    assert response.status_code in (302, 403)
    h.refresh_from_db()
    assert h.status == "active"
    assert not status_changes(h).exists()


def test_web_transition_by_county_officer_is_recorded_with_request(cast, households):
    h = households["a"]
    client = Client()
    assert client.login(username="county_officer", password=PASSWORD)
    response = client.post(f"/registry/households/{h.pk}/transition/cancel/", {"comment": "全户迁出"})
    assert response.status_code == 302
    h.refresh_from_db()
    assert h.status == "cancelled"
    [step] = status_changes(h)
    assert step.user_id == cast["county_officer"].pk and step.comment == "全户迁出"
    change = changes_of(h).latest("id")
    assert change.source == "web" and change.request_id == response["X-Request-ID"]
    page = client.get(f"/registry/households/{h.pk}/").content.decode()
    assert "全户迁出" in page[page.index('id="history"') :]


def test_refused_command_changes_nothing_and_says_why_in_chinese(tree):
    from django.core.management.base import CommandError

    from fangpin.accounts.models import User

    users, total = User.objects.count(), ObjectChange.objects.count()
    with pytest.raises(CommandError) as exc:
        call_command("createuser", "bad_clerk", role="village", region="999999", password="a-long-password")
    assert "区划" in str(exc.value)
    assert User.objects.count() == users and ObjectChange.objects.count() == total
