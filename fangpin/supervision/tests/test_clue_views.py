"""The clue pages: generating clues from comparison hits, entering one by hand, batch hand-over, every lifecycle
step posted through the web by the role that owns it, refusals shown with their Chinese reason and changing
nothing, 403 for roles without the permission, evidence uploads (unsafe files refused through the form) and
downloads, masked personal data, the access log, the list's filters and its export."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse

from fangpin.accounts.services import create_user
from fangpin.core.models import StatusChange
from fangpin.core.testing import PASSWORD, xlsx_rows
from fangpin.supervision.models import Clue, ClueAccess, ClueBatch, ClueEvidence
from fangpin.supervision.services import clues
from fangpin.supervision.tests.test_clue_path import PDF, comparison_hit

S = Clue.Status
JPEG = b"\xff\xd8\xff\xe0 jpeg"


@pytest.fixture
def city_department(tree):
    return create_user(
        "city_civil",
        role="department",
        region_code=tree.city.code,
        password=PASSWORD,
        department="civil_affairs",
    )


def as_user(client, username):
    client.logout()
    assert client.login(username=username, password=PASSWORD)
    return client


def in_a_month():
    return clues.today() + dt.timedelta(days=30)


def step(client, clue, name, **data):
    """POST a lifecycle step's form (fields carry the step's prefix)."""
    payload = {f"{name}-{key}": value for key, value in data.items()}
    return client.post(reverse("supervision:clue_step", args=[clue.pk, name]), payload)


def upload(client, clue, name, content, note=""):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("supervision:clue_evidence_add", args=[clue.pk]),
        {"evidence-file": SimpleUploadedFile(name, content), "evidence-note": note},
    )


def raw_upload(client, clue, name, content):
    """A multipart POST written by hand, so the file name reaches the server exactly as given (Django's test
    client, like a browser, would send only the base name)."""
    boundary = "----fangpin-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="evidence-file"; filename="{name}"\r\n'
            f"Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.generic(
        "POST",
        reverse("supervision:clue_evidence_add", args=[clue.pk]),
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def status(clue):
    return Clue.objects.get(pk=clue.pk).status


def refused(response, text):
    body = response.content.decode()
    assert response.status_code == 200, response.status_code
    assert text in body, body[:3000]


def shown(response, text):
    assert text in response.content.decode()


def assigned(cast, tree, household, unit=None):
    """A clue generated from a hit on `household` and handed to `unit` (the township 白霓镇 by default)."""
    clue = clues.clues_from_warnings([comparison_hit(household)], user=cast["supervisor"]).created[0]
    return clues.assign(
        clue,
        user=cast["supervisor"],
        unit=unit or tree.township,
        lead_official="王镇长",
        deadline=in_a_month(),
    )


def test_generate_and_hand_over_a_batch(client, cast, tree, households):
    hits = {key: comparison_hit(households[key]) for key in "abcd"}
    as_user(client, "supervisor")
    page = client.get(reverse("supervision:clue_generate")).content.decode()
    for key in "abc":
        assert households[key].number in page
    assert households["d"].number not in page  # another county

    response = client.post(reverse("supervision:clue_generate"), {"warning": [hits["a"].pk]})
    assert response.status_code == 302 and response["Location"] == reverse("supervision:batch_assign")
    first = Clue.objects.get(warning=hits["a"])
    assert first.status == S.GENERATED and first.household == households["a"]
    # Out of scope is "not found", and nothing is generated.
    assert client.post(reverse("supervision:clue_generate"), {"warning": [hits["d"].pk]}).status_code == 404
    assert not Clue.objects.filter(warning=hits["d"]).exists()
    client.post(reverse("supervision:clue_generate"), {"all": "1"})
    assert set(Clue.objects.values_list("warning__household", flat=True)) == {households[k].pk for k in "abc"}
    assert households["a"].number not in client.get(reverse("supervision:clue_generate")).content.decode()

    batch_page = client.get(reverse("supervision:batch_assign")).content.decode()
    made = {k: Clue.objects.get(warning=hits[k]) for k in "abc"}
    for clue in made.values():
        assert clue.number in batch_page
    form = {"title": "第一批", "unit": tree.township.pk, "lead_official": "王镇长", "deadline": in_a_month()}
    # 桂花村 (c) lies in 天城镇: handing it to 白霓镇 is refused, and so is the whole batch.
    response = client.post(
        reverse("supervision:batch_assign"), {**form, "clue": [made["a"].pk, made["c"].pk]}
    )
    refused(response, "承办单位须为问题所在地的县（市、区）或乡镇")
    assert {status(c) for c in made.values()} == {S.GENERATED} and not ClueBatch.objects.exists()
    refused(
        client.post(
            reverse("supervision:batch_assign"), {**form, "lead_official": "", "clue": [made["a"].pk]}
        ),
        "牵头负责人：此字段不能为空",
    )
    response = client.post(
        reverse("supervision:batch_assign"), {**form, "clue": [made["a"].pk, made["b"].pk]}
    )
    batch = ClueBatch.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"?batch={batch.pk}")
    for key in "ab":
        clue = Clue.objects.get(pk=made[key].pk)
        assert (clue.status, clue.batch, clue.assigned_region, clue.lead_official) == (
            S.ASSIGNED, batch, tree.township, "王镇长",
        )  # fmt: skip
    listed = client.get(reverse("supervision:clue_list") + f"?batch={batch.pk}").content.decode()
    assert made["a"].number in listed and made["c"].number not in listed


def test_whole_loop_through_the_web(client, cast, tree, households, city_department):
    supervisor = as_user(client, "supervisor")
    clue = clues.clues_from_warnings([comparison_hit(households["a"])], user=cast["supervisor"]).created[0]
    refused(step(supervisor, clue, "assign", unit=tree.township_2.pk, lead_official="李镇长",
                 deadline=in_a_month()), "承办单位须为问题所在地")  # fmt: skip
    assert status(clue) == S.GENERATED
    step(supervisor, clue, "assign", unit=tree.township.pk, lead_official="王镇长", deadline=in_a_month())
    assert status(clue) == S.ASSIGNED

    township = as_user(client, "township_officer")
    detail = township.get(clue.get_absolute_url())
    shown(detail, "开始核查")
    assert "step-assign" not in detail.content.decode()
    assert step(township, clue, "start_verifying").status_code == 302
    refused(step(township, clue, "confirm", verification_note="属实"), "请选择问题定性")
    assert status(clue) == S.VERIFYING
    step(township, clue, "confirm", classification="discipline", verification_note="该成员系镇财政所职工")
    refused(step(township, clue, "start_rectifying"), "请至少选择一项整改措施")
    step(township, clue, "start_rectifying", actions=["exclude", "recover_funds"])
    assert status(clue) == S.RECTIFYING

    supervisor = as_user(client, "supervisor")
    step(supervisor, clue, "hold_accountable", comment="违纪违规，转入问责")
    refused(step(supervisor, clue, "record_accountability", accountability_type="party_discipline",
                 persons_accountable="0"), "问责人数至少为 1")  # fmt: skip
    step(
        supervisor,
        clue,
        "record_accountability",
        accountability_type="party_discipline",
        persons_accountable="2",
    )
    assert Clue.objects.get(pk=clue.pk).persons_accountable == 2

    township = as_user(client, "township_officer")
    refused(step(township, clue, "rectified", rectification_note="已清退", funds_recovered="4800"),
            "请上传整改佐证材料")  # fmt: skip
    assert upload(township, clue, "清退通知.pdf", PDF, "清退通知").status_code == 302
    step(township, clue, "rectified", rectification_note="已清退并追缴", funds_recovered="4800")
    assert status(clue) == S.RECTIFIED

    city = as_user(client, "city_civil")
    page = city.get(reverse("supervision:clue_spot_check")).content.decode()
    assert '<strong id="waiting">1</strong>' in page
    city.post(reverse("supervision:clue_spot_check"), {"percent": "10"})
    assert status(clue) == S.SPOT_CHECK
    refused(step(city, clue, "spot_check_fail"), "必须填写意见或原因")
    step(city, clue, "spot_check_fail", note="追缴凭证不全")
    assert status(clue) == S.RECTIFYING

    township = as_user(client, "township_officer")
    upload(township, clue, "追缴凭证.jpg", JPEG)
    step(township, clue, "rectified", rectification_note="补充追缴凭证", funds_recovered="4800")
    city = as_user(client, "city_civil")
    city.post(reverse("supervision:clue_spot_check"), {"percent": "100"})
    response = step(city, clue, "spot_check_pass", note="抽查属实")
    assert response.status_code == 302 and status(clue) == S.CLOSED
    page = city.get(clue.get_absolute_url()).content.decode()
    assert "当前环节没有需要您办理的事项" in page and "上传佐证材料" not in page
    assert list(
        StatusChange.objects.filter(content_type__model="clue", object_id=clue.pk).values_list("transition", flat=True)
    ) == [
        "open", "assign", "start_verifying", "confirm", "start_rectifying", "hold_accountable",
        "record_accountability", "rectified", "select_spot_check", "spot_check_fail", "rectified",
        "select_spot_check", "spot_check_pass",
    ]  # fmt: skip


def test_unfounded_close_escalate_and_resume(client, cast, tree, households):
    first, second = assigned(cast, tree, households["a"]), assigned(cast, tree, households["b"])
    township = as_user(client, "township_officer")
    for clue in (first, second):
        step(township, clue, "start_verifying")
    refused(step(township, first, "unfounded", verification_note="同名不同人"), "查否销号须上传核查佐证材料")
    upload(township, first, "核查记录.pdf", PDF)
    step(township, first, "unfounded", verification_note="同名不同人")
    assert status(first) == S.UNFOUNDED

    supervisor = as_user(client, "supervisor")
    refused(step(supervisor, second, "escalate"), "必须填写意见或原因")
    step(supervisor, second, "escalate", reason="弄虚作假")
    fresh = Clue.objects.get(pk=second.pk)
    assert (fresh.status, fresh.escalated_from) == (S.ESCALATED, S.VERIFYING)
    shown(supervisor.get(second.get_absolute_url()), "弄虚作假")
    step(supervisor, second, "resume", comment="已约谈", deadline=clues.today() + dt.timedelta(days=10))
    fresh = Clue.objects.get(pk=second.pk)
    assert (fresh.status, fresh.deadline) == (S.VERIFYING, clues.today() + dt.timedelta(days=10))
    refused(step(supervisor, second, "resume"), "不能执行“恢复办理”")

    township = as_user(client, "township_officer")
    step(township, second, "confirm", classification="data_error", verification_note="录入错误")
    step(township, second, "start_rectifying", actions=["correct_data"])
    upload(township, second, "更正.pdf", PDF)
    step(township, second, "rectified", rectification_note="已更正")
    supervisor = as_user(client, "supervisor")
    step(supervisor, second, "close", comment="整改到位")
    assert status(second) == S.CLOSED


def test_steps_belong_to_their_roles(client, cast, tree, households):
    clue = assigned(cast, tree, households["a"])
    before = status(clue)
    as_user(client, "supervisor")
    assert step(client, clue, "start_verifying").status_code == 403
    as_user(client, "township_officer")
    assert step(client, clue, "escalate", reason="x").status_code == 403
    assert step(client, clue, "close").status_code == 403
    assert step(client, clue, "no_such_step").status_code == 404
    assert status(clue) == before
    for url in ("clue_generate", "batch_assign", "clue_add", "clue_spot_check"):
        assert client.get(reverse(f"supervision:{url}")).status_code == 403, url
    as_user(client, "supervisor")
    assert client.get(reverse("supervision:clue_spot_check")).status_code == 403
    for username in ("village_cadre", "leader"):
        as_user(client, username)
        assert client.get(reverse("supervision:clue_list")).status_code == 403
        assert client.get(clue.get_absolute_url()).status_code == 403
    as_user(client, "county_officer")
    assert client.get(reverse("supervision:clue_list") + "?export=xlsx").status_code == 403


def test_spot_checks_are_the_citys(client, cast, tree, households):
    clue = assigned(cast, tree, households["a"])
    township = as_user(client, "township_officer")
    step(township, clue, "start_verifying")
    step(township, clue, "confirm", classification="data_error", verification_note="录入错误")
    step(township, clue, "start_rectifying", actions=["correct_data"])
    upload(township, clue, "更正.pdf", PDF)
    step(township, clue, "rectified", rectification_note="已更正")
    county_department = as_user(client, "medical_officer")
    refused(
        county_department.post(reverse("supervision:clue_spot_check"), {"percent": "100"}),
        "抽查由市级部门进行",
    )
    assert status(clue) == S.RECTIFIED
    # a county department does not see a township's clue at all
    assert step(county_department, clue, "select_spot_check").status_code == 404
    as_user(client, "city_admin")
    response = client.post(reverse("supervision:clue_spot_check"), {"percent": "50"})
    assert response.status_code == 302 and status(clue) == S.SPOT_CHECK
    assert clue.number in client.get(reverse("supervision:clue_spot_check")).content.decode()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("setup.exe", b"MZ\x90\x00", "不支持“.exe”文件"),
        ("报告.pdf", b"MZ\x90\x00 renamed executable", "内容与扩展名"),
        ("大文件.pdf", PDF + b"0" * (10 * 1024 * 1024), "超过上限"),
    ],
)
def test_unsafe_uploads_are_refused_through_the_form(client, cast, tree, households, name, content, reason):
    clue = assigned(cast, tree, households["a"])
    as_user(client, "township_officer")
    refused(upload(client, clue, name, content), reason)
    assert not ClueEvidence.objects.exists()


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "dir\\核查.pdf", "/tmp/核查.pdf"])
def test_a_file_name_with_a_path_is_refused_through_the_form(client, cast, tree, households, name):
    clue = assigned(cast, tree, households["a"])
    as_user(client, "township_officer")
    refused(raw_upload(client, clue, name, PDF), "含有路径或非法字符")
    assert not ClueEvidence.objects.exists()
    # The same file under a plain name is accepted: the refusal was the name's.
    assert raw_upload(client, clue, "核查.pdf", PDF).status_code == 302
    assert ClueEvidence.objects.get().original_name == "核查.pdf"


def test_upload_without_a_file_or_by_a_role_without_the_permission(client, cast, tree, households):
    clue = assigned(cast, tree, households["a"])
    as_user(client, "township_officer")
    refused(client.post(reverse("supervision:clue_evidence_add", args=[clue.pk]), {}), "请选择要上传的文件")
    user = cast["township_officer"]
    user.groups.first().permissions.remove(Permission.objects.get(codename="add_clueevidence"))
    as_user(client, "township_officer")
    assert upload(client, clue, "a.pdf", PDF).status_code == 403
    assert not ClueEvidence.objects.exists()


def test_download_is_served_only_within_the_clues_scope(client, cast, tree, households):
    clue = assigned(cast, tree, households["a"])
    as_user(client, "township_officer")
    upload(client, clue, "核查 记录.pdf", PDF)
    item = ClueEvidence.objects.get()
    assert item.file.name.endswith(".pdf") and "核查" not in item.file.name  # stored under a generated name
    url = reverse("supervision:clue_evidence_download", args=[clue.pk, item.pk])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]
    assert "%E6%A0%B8%E6%9F%A5%20%E8%AE%B0%E5%BD%95.pdf" in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    assert ClueAccess.objects.filter(clue=clue, channel="file").count() == 1

    create_user("township_2", role="township", region_code=tree.township_2.code, password=PASSWORD)
    for username in ("township_2", "outsider"):
        as_user(client, username)
        assert client.get(url).status_code == 404, username
    other = assigned(cast, tree, households["b"])
    as_user(client, "township_officer")
    assert (
        client.get(reverse("supervision:clue_evidence_download", args=[other.pk, item.pk])).status_code == 404
    )
    as_user(client, "supervisor")
    assert client.get(url).status_code == 200


def test_personal_data_is_masked_and_every_view_is_logged(client, cast, tree, households):
    clue = assigned(cast, tree, households["a"])
    id_number = clue.person.id_number
    masked = id_number[:6] + "********" + id_number[-4:]
    as_user(client, "township_officer")
    page = client.get(clue.get_absolute_url()).content.decode()
    assert masked in page and id_number not in page and "个人信息已脱敏" in page
    assert "部门数据：财政《财政供养人员信息》" in page and "该脱贫户成员在财政供养人员名单中" in page
    as_user(client, "supervisor")
    page = client.get(clue.get_absolute_url()).content.decode()
    assert id_number in page
    client.get(clue.get_absolute_url())
    rows = list(ClueAccess.objects.filter(clue=clue).values_list("user__username", "channel"))
    assert sorted(rows) == [("supervisor", "page"), ("supervisor", "page"), ("township_officer", "page")]

    export = client.get(reverse("supervision:clue_list") + "?export=xlsx")
    table = xlsx_rows(b"".join(export.streaming_content))
    assert table[1][table[0].index("身份证号")] == id_number
    assert ClueAccess.objects.filter(clue=clue, channel="export", user=cast["supervisor"]).count() == 1

    # A unit allowed to export but not to see the clue's people gets the ID number masked.
    cast["township_officer"].user_permissions.add(Permission.objects.get(codename="export_clue"))
    as_user(client, "township_officer")
    export = client.get(reverse("supervision:clue_list") + "?export=xlsx")
    table = xlsx_rows(b"".join(export.streaming_content))
    assert table[1][table[0].index("身份证号")] == masked
    assert ClueAccess.objects.filter(clue=clue, channel="export", user=cast["township_officer"]).count() == 1
    list_page = client.get(reverse("supervision:clue_list")).content.decode()
    assert masked in list_page and id_number not in list_page


def test_a_clue_entered_by_hand(client, cast, tree, households):
    as_user(client, "supervisor")
    assert "热线" in client.get(reverse("supervision:clue_add")).content.decode()
    household = households["a"]
    person = household.members.get(relation="spouse")
    response = client.post(
        reverse("supervision:clue_add"),
        {"source": "hotline", "household_number": household.number, "person_id_number": person.id_number,
         "title": "举报违规享受低保", "description": "群众来电反映", "amount_involved": "1200"},
    )  # fmt: skip
    clue = Clue.objects.get()
    assert response.status_code == 302 and response["Location"] == clue.get_absolute_url()
    assert (clue.source, clue.region, clue.assigned_region, clue.person, clue.status) == (
        "hotline", tree.village_a, tree.county, person, S.GENERATED,
    )  # fmt: skip
    refused(
        client.post(reverse("supervision:clue_add"), {"source": "audit", "household_number": households["d"].number,
                                                      "title": "x", "description": "x"}),
        "未找到该户编号",
    )  # fmt: skip
    refused(
        client.post(reverse("supervision:clue_add"), {"source": "comparison", "region": tree.county.code,
                                                      "title": "x", "description": "x"}),
        "请检查填写的内容",
    )  # fmt: skip
    refused(
        client.post(reverse("supervision:clue_add"), {"source": "inspection", "region": tree.village_c.code,
                                                      "household_number": household.number, "title": "x",
                                                      "description": "x"}),
        "涉及户不在问题所在地",
    )  # fmt: skip
    response = client.post(
        reverse("supervision:clue_add"),
        {"source": "unannounced_visit", "region": tree.township_2.code, "title": "村务公开不到位", "description": "暗访发现"},
    )  # fmt: skip
    assert response.status_code == 302 and Clue.objects.count() == 2


def test_list_filters_and_overdue_days(client, cast, tree, households):
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0), tick=False) as clock:
        late = assigned(cast, tree, households["a"])
        on_time = assigned(cast, tree, households["b"], unit=tree.county)
        pool = clues.clues_from_warnings([comparison_hit(households["c"], "BD-05")], user=cast["supervisor"])
        pool = pool.created[0]
        Clue.objects.filter(pk=on_time.pk).update(deadline=dt.date(2026, 6, 1))
        clock.shift(dt.timedelta(days=33))
        as_user(client, "supervisor")
        url = reverse("supervision:clue_list")

        def listed(query):
            page = client.get(url + query).content.decode()
            return {c.number for c in (late, on_time, pool) if c.number in page}

        assert listed("") == {late.number, on_time.number, pool.number}
        assert listed("?overdue=true") == {late.number}
        assert listed("?overdue=false") == {on_time.number, pool.number}
        assert listed("?status=generated") == {pool.number}
        assert listed(f"?unit={tree.county.pk}") == {on_time.number, pool.number}
        assert listed("?rule=BD-05") == {pool.number}
        assert listed("?source=hotline") == set()
        assert listed(f"?region={tree.village_b.code}") == {on_time.number}
        assert listed(f"?q={late.number}") == {late.number}
        page = client.get(late.get_absolute_url()).content.decode()
        assert "逾期 3 天" in page
        as_user(client, "township_officer")
        assert listed("") == {late.number}  # neither the county's clue nor the supervisors' pool


def test_the_upload_form_keeps_its_csrf_check(cast, tree, households):
    """The upload view parses its own multipart body (to see the names as sent) and so checks CSRF itself."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    clue = assigned(cast, tree, households["a"])
    browser = Client(enforce_csrf_checks=True)
    browser.login(username="township_officer", password=PASSWORD)
    browser.get(clue.get_absolute_url())
    url = reverse("supervision:clue_evidence_add", args=[clue.pk])
    assert browser.post(url, {"evidence-file": SimpleUploadedFile("a.pdf", PDF)}).status_code == 403
    assert not ClueEvidence.objects.exists()
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        url, {"evidence-file": SimpleUploadedFile("a.pdf", PDF), "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302 and ClueEvidence.objects.count() == 1
