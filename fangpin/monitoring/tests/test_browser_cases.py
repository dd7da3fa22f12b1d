"""The whole monitoring path in the browser, each step by the official who owns it: a screening warning becomes
a clue (village cadre), the household is checked, compared, reviewed, put on notice, audited, approved,
announced and recorded; measures are added when the alert fires; after six months the risk is eliminated.

The clock: time_machine moves it (the live server runs in this process, so it sees the same time). Sessions
last eight hours, so every jump of the clock is followed by a fresh login, as it would be in real life.
"""

import datetime as dt

import pytest
import time_machine

from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.tests.test_browser_monitoring import login
from fangpin.monitoring.tests.test_case_views import warn
from fangpin.registry.tests.test_browser import browser_page, server  # noqa: F401 - pytest fixtures

S = MonitoringCase.Status
DAY0 = dt.datetime(2026, 1, 5, 9, 0)


def as_user(page, server, username):  # noqa: F811 - the fixture, passed in
    page.context.clear_cookies()
    login(page, server, username)


def take(page, name, fields=None, selects=None, checks=()):
    """Open the step's panel on a case's or clue's page, fill its form (`checks`: (field, value) boxes to tick)
    and submit it."""
    panel = page.locator(f"#step-{name}")
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    for field, value in (fields or {}).items():
        panel.locator(f"[name='{name}-{field}']").fill(value)
    for field, value in (selects or {}).items():
        panel.locator(f"select[name='{name}-{field}']").select_option(value)
    for field, value in checks:
        panel.locator(f"input[name='{name}-{field}'][value='{value}']").check()
    panel.locator("button[type=submit]").click()
    page.wait_for_load_state()


def status_is(page, label):
    page.wait_for_selector(f"#case-status:has-text('{label}')")


@pytest.mark.browser
def test_warning_to_eliminated_in_the_browser(server, tree, cast, households, browser_page):  # noqa: F811
    from fangpin.monitoring import services

    services.load_default_parameters()
    household = households["a"]
    page = browser_page
    with time_machine.travel(DAY0, tick=True) as traveller:
        warn(tree, households)

        # The village cadre sees the new warnings on the worklist and turns the village's into clues.
        as_user(page, server, "village_cadre")
        assert "近 30 天新预警" in page.inner_text("main")
        page.goto(f"{server.url}/monitoring/warnings/?status=open&produces=warning")
        page.select_option("select[name=village]", str(tree.village_a.pk))
        page.click("button:has-text('该村全部待核实监测预警转为线索')")
        page.wait_for_selector("text=已登记 1 条监测线索")
        case = MonitoringCase.objects.get(household=household)
        page.click("nav >> text=监测对象")
        page.click(f"table a[href='/monitoring/cases/{case.pk}/']")
        status_is(page, "线索待入户核实")
        assert "JC-01" in page.inner_text("#warnings")

        # Household check: six risks are refused with the reason, nothing changes; then the real finding.
        common = {"consent_signed_on": "2026-01-05", "checked_on": "2026-01-05"}
        answers = {
            "category": "unstable_exited",
            "housing_unsafe": "false",
            "dropout": "false",
            "uninsured_member": "false",
            "water_unsafe": "false",
        }
        six = ["illness", "education", "disability", "accident", "lack_of_labour", "employment_unstable"]
        take(page, "check", common, answers, [("risks", risk) for risk in six])
        page.wait_for_selector("text=致贫返贫风险最多 5 项")
        status_is(page, "线索待入户核实")
        for value in six[1:]:
            page.locator(f"input[name='check-risks'][value='{value}']").uncheck()
        take(page, "check", common, answers)
        page.wait_for_selector("text=已完成：入户核实")
        status_is(page, "待部门数据比对")

        as_user(page, server, "county_officer")
        page.goto(f"{server.url}{case.get_absolute_url()}")
        take(page, "compare", {"result": "医保数据显示户主大病住院，收入下降属实"})
        status_is(page, "待村级民主评议")

        as_user(page, server, "village_cadre")
        page.goto(f"{server.url}{case.get_absolute_url()}")
        take(page, "review", {"reviewed_on": "2026-01-05", "minutes": "村民代表会议一致同意纳入"})
        take(page, "start_notice", {"start": "2026-01-05"})
        status_is(page, "村内公示中")
        take(page, "end_notice")
        page.wait_for_selector("text=公示期未满")

        traveller.shift(dt.timedelta(days=5))
        as_user(page, server, "village_cadre")
        page.goto(f"{server.url}{case.get_absolute_url()}")
        take(page, "end_notice")
        status_is(page, "公示期满，待乡镇审核")

        as_user(page, server, "township_officer")
        page.click(f"#waiting a[href='{case.get_absolute_url()}']")  # the worklist on the home page
        take(page, "audit", {"comment": "同意"})
        status_is(page, "乡镇已审核")
        as_user(page, server, "county_officer")
        page.goto(f"{server.url}{case.get_absolute_url()}")
        take(page, "approve")
        status_is(page, "县级已审定")
        as_user(page, server, "township_officer")
        page.goto(f"{server.url}{case.get_absolute_url()}")
        take(page, "announce")
        status_is(page, "已公告")
        page.click("#cadre summary")
        page.select_option("select[name='cadre-cadre']", str(cast["village_cadre"].pk))
        page.fill("input[name='cadre-contact']", "张建国")
        page.fill("input[name='cadre-contact_phone']", "13972100001")
        page.click("button:has-text('保存帮扶责任人')")
        page.wait_for_selector("text=已保存帮扶责任人")
        as_user(page, server, "county_officer")
        page.goto(f"{server.url}{case.get_absolute_url()}")
        take(page, "record")
        status_is(page, "监测帮扶中")

        # A month on, the alert is on the cadre's home page; measures clear it.
        traveller.shift(dt.timedelta(days=40))
        as_user(page, server, "village_cadre")
        assert "识别后未落实帮扶措施" in page.inner_text("main")
        for category, subtype, provider in (
            ("health", "医疗救助", "县医保局"),
            ("employment", "转移就业", "县人社局"),
        ):
            page.goto(f"{server.url}/monitoring/cases/{case.pk}/measures/add/")
            page.select_option("select[name=category]", category)
            page.select_option("select[name=subtype]", subtype)
            page.fill("input[name=amount]", "3000")
            page.fill("input[name=provider]", provider)
            page.click("button:has-text('保存')")
            page.wait_for_selector("text=已保存帮扶措施")
        assert "识别后未落实帮扶措施" not in page.inner_text("main")
        page.click("#visits summary")
        page.fill("textarea[name='visit-findings']", "户主出院，病情稳定")
        page.click("button:has-text('登记走访')")
        page.wait_for_selector("text=已登记走访记录")

        # Elimination is refused before six months, with the criterion named.
        elim = {"after_dropout": "false", "after_housing_damaged": "false", "after_uninsured": "false"}
        elim |= {"after_water_damaged": "false", "method": "assisted"}
        take(page, "propose_elimination", selects=elim)
        page.wait_for_selector("text=监测帮扶满 6 个月")
        status_is(page, "监测帮扶中")

        # Six months on, the income has recovered: the cadre registers this year's income in the registry.
        traveller.shift(dt.timedelta(days=160))
        as_user(page, server, "village_cadre")
        page.goto(f"{server.url}/registry/households/{household.pk}/incomes/add/")
        for field, value in {"year": "2026", "wage": "30000", "business": "5000", "transfer": "2000"}.items():
            page.fill(f"input[name={field}]", value)
        page.fill("input[name=business_cost]", "1000")
        page.click("button:has-text('保存')")
        page.wait_for_selector("text=已保存")
        page.goto(f"{server.url}{case.get_absolute_url()}")
        criteria = page.inner_text("#criteria")
        assert "✓ 监测帮扶满 6 个月" in criteria and "✓ 人均纯收入稳定高于当年监测范围" in criteria
        assert "✗ 风险消除后指标已填写" in criteria  # filled in by the proposal below
        take(page, "propose_elimination", selects=elim)  # the figures start from the latest income
        status_is(page, "拟消除风险")
        today = dt.date.today().isoformat()
        take(page, "elim_review", {"reviewed_on": today, "minutes": "评议同意消除风险"})
        take(page, "elim_start_notice", {"start": today})
        status_is(page, "风险消除公示中")

        traveller.shift(dt.timedelta(days=5))
        as_user(page, server, "village_cadre")
        page.goto(f"{server.url}{case.get_absolute_url()}")
        take(page, "elim_end_notice")
        as_user(page, server, "township_officer")
        page.goto(f"{server.url}{case.get_absolute_url()}")
        take(page, "elim_check")
        as_user(page, server, "county_officer")
        page.goto(f"{server.url}{case.get_absolute_url()}")
        take(page, "elim_approve")
        status_is(page, "风险已消除")
        timeline = page.inner_text("#timeline")
        assert "县级审定风险消除" in timeline and "登记线索" in timeline

        page.goto(f"{server.url}{household.get_absolute_url()}")
        assert "风险已消除" in page.inner_text("main")
    case.refresh_from_db()
    assert case.status == S.ELIMINATED and case.measures.count() == 2 and case.visits.count() == 1
