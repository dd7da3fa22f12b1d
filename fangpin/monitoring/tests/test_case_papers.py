"""Papers of monitoring cases: village notices and announcements as PDF (the households on notice or approved,
masked ID numbers, nothing out of scope), the ledger as Excel (enrolled cases in scope, IDs whole or masked by
role), the 10–20 % reference KPI per county, and each page's permission and scope over the cast."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from fangpin.accounts.models import User
from fangpin.accounts.services import create_user
from fangpin.core import testing
from fangpin.core.testing import PASSWORD, xlsx_rows
from fangpin.core.validators import mask_id_number
from fangpin.monitoring import ledger, services
from fangpin.monitoring.ledger import HEADER, ShareRow
from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.services import resolve_parameters
from fangpin.registry.models import Household, Person
from fangpin.registry.tests.test_scope import VISIBLE

SCOPE_COVERED_URLS = {
    "monitoring:paper_index",
    "monitoring:paper_notice",
    "monitoring:paper_announcement",
    "monitoring:ledger",
    "monitoring:ledger_share",
}
S = MonitoringCase.Status
TODAY = dt.datetime(2026, 1, 12, 10, 0)
CAN_PRINT = {
    "city_admin",
    "county_officer",
    "township_officer",
    "village_cadre",
    "village_cadre_b",
    "outsider",
}
# The ledger also goes to departments (they act on cases) and supervisors (they audit them), masked for the latter.
CAN_EXPORT_LEDGER = CAN_PRINT | {"medical_officer", "supervisor"}
ID_COLUMN = HEADER.index("证件号码")
NUMBER_COLUMN = HEADER.index("户编号")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def params(tree):
    services.load_default_parameters()


def head(household) -> Person:
    return household.members.get(relation="head")


def rename_head(household, name: str) -> Household:
    Person.objects.filter(household=household, relation="head").update(name=name)
    household.refresh_summary()
    household.refresh_from_db()
    return household


def make_case(household, status, **fields) -> MonitoringCase:
    """A case written directly in `status` (fixture data: the workflow's own rules are tested elsewhere)."""
    values = dict(
        channel="cadre",
        category="unstable_exited" if household.household_type == "exited" else "edge_vulnerable",
        risks=["illness", "education"],
        stage_entered_at=timezone.now(),
    )
    values.update(fields)
    return MonitoringCase.objects.create(household=household, status=status, **values)


@pytest.fixture
def village_a(tree, params, households):
    """Village A (大坪村) with one household in every paper-relevant status; village B and D one on notice."""
    extra = {key: testing.make_household(tree.village_a) for key in ("elim", "approved", "monitored", "gone")}
    on = {
        "notice": rename_head(households["a"], "王公示"),
        "elim": rename_head(extra["elim"], "李消除"),
        "approved": rename_head(extra["approved"], "赵审定"),
        "monitored": rename_head(extra["monitored"], "钱监测"),
        "gone": rename_head(extra["gone"], "孙已消"),
        "b": rename_head(households["b"], "周石门"),
        "d": rename_head(households["d"], "吴湄港"),
    }
    notice = dict(notice_start=dt.date(2026, 1, 8), notice_days=5)
    cases = {
        "notice": make_case(on["notice"], S.NOTICE, **notice),
        "elim": make_case(
            on["elim"],
            S.ELIM_NOTICE,
            elimination_method="assisted",
            elim_notice_start=dt.date(2026, 1, 10),
            elim_notice_days=5,
        ),
        "approved": make_case(on["approved"], S.APPROVED, **notice),
        "monitored": make_case(on["monitored"], S.MONITORED, identified_month="202512"),
        "gone": make_case(
            on["gone"],
            S.ELIMINATED,
            elimination_method="natural",
            eliminated_on=dt.date(2026, 1, 6),
            eliminated_month="202601",
        ),
        "b": make_case(on["b"], S.NOTICE, **notice),
        "d": make_case(on["d"], S.NOTICE, **notice),
    }
    return on, cases


def pdf_text(response) -> str:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    content = response.content
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def login(client, username):
    assert client.login(username=username, password=PASSWORD)


# ---------------------------------------------------------------- PDF


def test_identification_notice_lists_the_households_on_notice_with_masked_ids(client, cast, tree, village_a):
    on, _ = village_a
    login(client, "village_cadre")
    text = pdf_text(
        client.get(reverse("monitoring:paper_notice", args=[tree.village_a.pk]), {"phone": "0715-3321234"})
    )
    assert "大坪村防止返贫监测对象识别纳入公示" in text
    assert "王公示" in text and mask_id_number(head(on["notice"]).id_number) in text
    assert head(on["notice"]).id_number not in text  # the cadre may see it, the public may not
    for key in ("elim", "approved", "monitored", "gone", "b", "d"):
        assert on[key].head_name not in text, key
        assert mask_id_number(head(on[key]).id_number) not in text, key
    # period from notice_start and notice_days: 5 days from 8 January are the 8th to the 12th
    assert "公示期为2026年1月8日至2026年1月12日" in text
    assert "0715-3321234" in text and "2026年1月12日前" in text
    assert "因病、因学" in text and "脱贫不稳定户" in text
    assert "大坪村村民委员会" in text


def test_elimination_notice_and_announcements(client, cast, tree, village_a):
    on, _ = village_a
    login(client, "township_officer")
    url = reverse("monitoring:paper_notice", args=[tree.village_a.pk])
    text = pdf_text(client.get(url, {"stage": "eliminate"}))
    assert "风险消除公示" in text and "李消除" in text and "帮扶消除" in text
    assert mask_id_number(head(on["elim"]).id_number) in text
    assert "王公示" not in text and "孙已消" not in text

    url = reverse("monitoring:paper_announcement", args=[tree.village_a.pk])
    text = pdf_text(client.get(url, {"issuer": "白霓镇人民政府", "issued_on": "2026-01-12"}))
    assert "识别纳入公告" in text and "赵审定" in text
    assert mask_id_number(head(on["approved"]).id_number) in text
    assert all(name not in text for name in ("王公示", "李消除", "钱监测", "孙已消"))
    assert "白霓镇人民政府" in text

    text = pdf_text(client.get(url, {"stage": "eliminate", "since": "2026-01-01", "until": "2026-01-12"}))
    assert "风险消除公告" in text and "孙已消" in text and "自然消除" in text
    assert "赵审定" not in text and "李消除" not in text
    # an elimination outside the chosen period is not announced: nothing to print
    response = client.get(url, {"stage": "eliminate", "since": "2025-12-01", "until": "2025-12-31"})
    assert response.status_code == 302 and response["Location"] == reverse("monitoring:paper_index")


def test_township_notice_of_another_village_and_the_index(client, cast, tree, village_a):
    login(client, "township_officer")
    text = pdf_text(client.get(reverse("monitoring:paper_notice", args=[tree.village_b.pk])))
    assert "周石门" in text and "王公示" not in text
    page = client.get(reverse("monitoring:paper_index")).content.decode()
    assert "大坪村" in page and "石门村" in page and "湄港村" not in page
    login(client, "village_cadre")
    page = client.get(reverse("monitoring:paper_index")).content.decode()
    assert "大坪村" in page and "石门村" not in page


def test_bad_print_parameters_change_nothing(client, cast, tree, village_a):
    login(client, "village_cadre")
    url = reverse("monitoring:paper_notice", args=[tree.village_a.pk])
    response = client.get(url, {"phone": "call me maybe"})
    assert response.status_code == 302
    response = client.get(url, {"stage": "nonsense"})
    assert response.status_code == 302


# ---------------------------------------------------------------- ledger


def ledger_numbers(response) -> tuple[list, list[list]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = xlsx_rows(b"".join(response.streaming_content))
    return rows[0], rows[1:]


def test_ledger_rows_are_the_enrolled_cases_in_scope_with_whole_ids(client, cast, tree, village_a):
    on, cases = village_a
    cases["b"].status = S.MONITORED
    cases["b"].save()
    cases["d"].status = S.MONITORED
    cases["d"].save()
    login(client, "county_officer")
    header, rows = ledger_numbers(client.get(reverse("monitoring:ledger"), {"export": "xlsx"}))
    assert tuple(header) == HEADER
    expected = {on[k].number: head(on[k]).id_number for k in ("elim", "monitored", "b")}
    assert {r[NUMBER_COLUMN]: r[ID_COLUMN] for r in rows} == expected
    row = next(r for r in rows if r[NUMBER_COLUMN] == on["monitored"].number)
    assert row[:5] == ["湖北省", "咸宁市", "崇阳县", "白霓镇", "大坪村"]
    assert row[HEADER.index("致贫返贫风险1")] == "因病" and row[HEADER.index("致贫返贫风险2")] == "因学"
    assert row[HEADER.index("识别监测时间")] == "202512"
    assert row[HEADER.index("风险是否已消除")] == "否"
    assert row[HEADER.index("家庭住址")] == on["monitored"].address
    line = resolve_parameters(["monitoring_line"], tree.village_a, dt.date(2025, 12, 31))["monitoring_line"]
    assert (
        row[HEADER.index("纳入监测对象的收入参考范围")] == line.value
    )  # the line of the identification year
    assert not row[HEADER.index("健康帮扶")] and not row[HEADER.index("就业帮扶")]  # empty cells
    assert row[HEADER.index("实施开发式帮扶措施情况")] == "尚未实施"

    # filters: a village, and the eliminated
    _, rows = ledger_numbers(
        client.get(reverse("monitoring:ledger"), {"export": "xlsx", "region": tree.village_b.code})
    )
    assert [r[NUMBER_COLUMN] for r in rows] == [on["b"].number]
    _, rows = ledger_numbers(
        client.get(reverse("monitoring:ledger"), {"export": "xlsx", "status": "eliminated"})
    )
    assert [r[NUMBER_COLUMN] for r in rows] == [on["gone"].number]
    assert rows[0][HEADER.index("风险消除方式")] == "自然消除"
    assert rows[0][HEADER.index("消除监测时间")] == "202601"
    _, rows = ledger_numbers(client.get(reverse("monitoring:ledger"), {"export": "xlsx", "status": "all"}))
    assert {r[NUMBER_COLUMN] for r in rows} == {on[k].number for k in ("elim", "monitored", "b", "gone")}


def test_ledger_masks_ids_for_a_role_without_personal_data(client, cast, tree, village_a):
    on, _ = village_a
    from django.contrib.auth.models import Permission

    auditor = create_user("auditor", role="supervisor", region_code=tree.county.code, password=PASSWORD)
    auditor.user_permissions.add(Permission.objects.get(codename="export_ledger"))
    login(client, "auditor")
    _, rows = ledger_numbers(client.get(reverse("monitoring:ledger"), {"export": "xlsx"}))
    expected = {on[k].number: mask_id_number(head(on[k]).id_number) for k in ("elim", "monitored")}
    assert {r[NUMBER_COLUMN]: r[ID_COLUMN] for r in rows} == expected
    assert all("*" in r[ID_COLUMN] for r in rows)
    assert all(r[HEADER.index("户联系电话")] == "139****0000" for r in rows)


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_ledger_over_the_cast(client, cast, tree, households, params, username):
    cases = {key: make_case(h, S.MONITORED) for key, h in households.items()}
    login(client, username)
    url = reverse("monitoring:ledger")
    response = client.get(url, {"export": "xlsx"})
    if username not in CAN_EXPORT_LEDGER:
        assert response.status_code == 403
        return
    _, rows = ledger_numbers(response)
    assert sorted(r[NUMBER_COLUMN] for r in rows) == sorted(
        cases[k].household.number for k in VISIBLE[username]
    )
    for key in "abcd":
        village = getattr(tree, f"village_{key}")
        response = client.get(url, {"export": "xlsx", "region": village.code})
        if key in VISIBLE[username]:
            assert [r[NUMBER_COLUMN] for r in ledger_numbers(response)[1]] == [households[key].number]
        else:  # a region out of scope is not a choice: the page says the filter is wrong, nothing exported
            assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
            assert "筛选条件有误" in response.content.decode()


# ---------------------------------------------------------------- KPI


@pytest.fixture
def share_fixture(tree, households, params):
    """崇阳: 脱贫 persons 2 (a) + 2 (b) + 2 (c) + 4 (c2) = 10 (a cancelled 脱贫户 does not count); monitored:
    a (2) and an ordinary household of 3 in village A = 5. 通山: 2 脱贫 persons, d (2) monitored."""
    ordinary = testing.make_household(tree.village_a, members=3, household_type="ordinary")
    c2 = testing.make_household(tree.village_c, members=4)
    cancelled = testing.make_household(tree.village_b)
    Household.objects.filter(pk=cancelled.pk).update(status=Household.Status.CANCELLED)
    make_case(households["a"], S.MONITORED)
    make_case(ordinary, S.ELIM_PROPOSED)
    make_case(households["c"], S.ELIMINATED)  # eliminated: not in the ledger any more
    make_case(c2, S.REJECTED)
    make_case(households["d"], S.MONITORED)


def test_share_arithmetic_per_county_and_city(cast, share_fixture):
    rows, total = ledger.ledger_share(cast["city_admin"], TODAY.date())
    assert [(r.name, r.registered_poor, r.monitored, r.monitored_households) for r in rows] == [
        ("崇阳县", 10, 5, 2),
        ("通山县", 2, 2, 1),
    ]
    assert rows[0].share == Decimal("0.5") and rows[0].percent == "50.0%"
    assert rows[0].band == (Decimal("0.10"), Decimal("0.20")) and rows[0].band_label == "10%–20%"
    assert rows[0].position == "above"
    assert (total.name, total.registered_poor, total.monitored, total.monitored_households) == (
        "咸宁市合计",
        12,
        7,
        3,
    )
    assert total.percent == "58.3%"
    # a county officer sees their own county only
    rows, total = ledger.ledger_share(cast["county_officer"], TODAY.date())
    assert rows == [] and (total.name, total.registered_poor, total.monitored) == ("崇阳县", 10, 5)
    rows, total = ledger.ledger_share(cast["village_cadre"], TODAY.date())
    assert (total.name, total.registered_poor, total.monitored) == ("大坪村", 2, 5)


def test_share_position_against_the_band():
    band = (Decimal("0.10"), Decimal("0.20"))
    assert ShareRow(None, "x", 100, 15, 5, band).position_label == "在参考区间内"
    assert ShareRow(None, "x", 100, 9, 3, band).position == "below"
    assert ShareRow(None, "x", 100, 20, 7, band).position == "within"
    assert ShareRow(None, "x", 0, 3, 1, band).share is None
    assert ShareRow(None, "x", 100, 15, 5, None).band_label == "未配置"


# The KPI rows each user sees: the counties of their scope (and its total), or their own area below county level.
SHARE_ROWS = {
    "city_admin": {"崇阳县", "通山县", "咸宁市合计"},
    "leader": {"崇阳县", "通山县", "咸宁市合计"},
    "county_officer": {"崇阳县"},
    "medical_officer": {"崇阳县"},
    "supervisor": {"崇阳县"},
    "township_officer": {"白霓镇"},
    "village_cadre": {"大坪村"},
    "village_cadre_b": {"石门村"},
    "outsider": {"通山县"},
}


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_share_page_over_the_cast(client, cast, share_fixture, username):
    login(client, username)
    page = client.get(reverse("monitoring:ledger_share"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "不作规模限制" in text
    table = text[text.index('id="ledger-share"') : text.index("</table>")]
    for name in set().union(*SHARE_ROWS.values()):
        assert (name in table) == (name in SHARE_ROWS[username]), (username, name)


def test_share_page_needs_the_case_permission(client, tree, params):
    User.objects.create_user("nobody", password=PASSWORD, region=tree.county)
    login(client, "nobody")
    assert client.get(reverse("monitoring:ledger_share")).status_code == 403
    assert client.get(reverse("monitoring:ledger")).status_code == 403
    assert client.get(reverse("monitoring:paper_index")).status_code == 403


# ---------------------------------------------------------------- scope of the paper pages


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_paper_pages_over_the_cast(client, cast, tree, households, params, username):
    for key, h in households.items():
        make_case(h, S.NOTICE, notice_start=dt.date(2026, 1, 8), notice_days=5)
        make_case(testing.make_household(getattr(tree, f"village_{key}")), S.APPROVED)
    login(client, username)
    index = client.get(reverse("monitoring:paper_index"))
    assert index.status_code == (200 if username in CAN_PRINT else 403)
    for key, h in households.items():
        village = getattr(tree, f"village_{key}")
        for name in ("monitoring:paper_notice", "monitoring:paper_announcement"):
            response = client.get(reverse(name, args=[village.pk]))
            if username not in CAN_PRINT:
                assert response.status_code == 403, (username, name, key)
            elif key not in VISIBLE[username]:
                assert response.status_code == 404, (username, name, key)
            else:
                text = pdf_text(response)
                if name == "monitoring:paper_notice":
                    assert mask_id_number(head(h).id_number) in text, (username, key)
        if username in CAN_PRINT:
            assert (village.name in index.content.decode()) == (key in VISIBLE[username]), (username, key)
    # a village that does not exist looks the same as one out of scope
    missing = client.get(reverse("monitoring:paper_notice", args=[999999]))
    assert missing.status_code == (404 if username in CAN_PRINT else 403)


def test_notice_with_different_periods_prints_each_period(client, cast, tree, village_a):
    on, _ = village_a
    later = rename_head(testing.make_household(tree.village_a), "郑后示")
    make_case(later, S.NOTICE, notice_start=dt.date(2026, 1, 10), notice_days=7)
    login(client, "village_cadre")
    text = pdf_text(client.get(reverse("monitoring:paper_notice", args=[tree.village_a.pk])))
    assert "王公示" in text and "郑后示" in text and "以下2户4人" in text
    assert "各户公示期见下表" in text and "公示期" in text
    assert "01.08–01.12" in text and "01.10–01.16" in text
    # objections are received until the last notice ends
    assert "2026年1月16日前" in text


def test_ledger_has_one_column_per_measure_field(client, cast, tree, village_a):
    """Spec §3.8: the national layout has a column per measure category and 实施开发式帮扶措施情况."""
    from fangpin.assistance.models import AssistanceMeasure

    on, cases = village_a
    case = next(c for c in cases.values() if c.household_id == on["monitored"].pk)
    for category, subtype, amount in (
        ("health", "医疗救助", 3000),
        ("health", "大病保险", 0),
        ("employment", "转移就业", 0),
    ):
        AssistanceMeasure.objects.create(
            case=case,
            category=category,
            subtype=subtype,
            amount=amount,
            start_on=dt.date(2026, 1, 1),
            provider="县直",
        )
    login(client, "county_officer")
    _, rows = ledger_numbers(client.get(reverse("monitoring:ledger"), {"export": "xlsx"}))
    row = next(r for r in rows if r[NUMBER_COLUMN] == on["monitored"].number)
    assert row[HEADER.index("健康帮扶")] == "医疗救助（3000元）；大病保险"
    assert row[HEADER.index("就业帮扶")] == "转移就业"
    assert not row[HEADER.index("产业帮扶")]
    assert row[HEADER.index("实施开发式帮扶措施情况")] == "已实施"
