"""What a county official and a village cadre do in the browser: start a screening, watch it finish, read a
warning's explanation on the household page, preview a parameter change."""

from decimal import Decimal

import pytest

from fangpin.core.testing import PASSWORD
from fangpin.monitoring import services
from fangpin.monitoring.models import ScreeningRun, Warning
from fangpin.registry.tests.test_browser import browser_page, server  # noqa: F401 - pytest fixtures


def login(page, server, username):  # noqa: F811 - the fixture, passed in
    page.goto(f"{server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")


@pytest.mark.browser
def test_county_runs_a_screening_and_a_cadre_reads_why(server, tree, cast, households, browser_page):  # noqa: F811
    services.load_default_parameters()
    household = households["a"]
    income = household.incomes.get(year=2025)
    income.wage, income.business, income.transfer, income.business_cost = Decimal("6000"), 0, 0, 0
    income.save()
    head = household.members.get(relation="head")
    head.serious_illness = True
    head.save()
    household.refresh_summary()

    page = browser_page
    login(page, server, "county_officer")
    page.click("nav >> text=筛查")
    page.click("summary:has-text('发起筛查')")
    page.select_option("select[name=region]", value=str(tree.county.pk))
    page.fill("input[name=as_of]", "2026-06-30")
    page.click("button:has-text('开始筛查')")
    # The progress block polls until the run is done or failed (a generous wait: CI machines are loaded).
    page.wait_for_selector("text=/已完成|失败/", timeout=180_000)
    run = ScreeningRun.objects.get()
    assert run.status == ScreeningRun.Status.SUCCEEDED, run.message
    assert run.user == cast["county_officer"]
    assert Warning.objects.filter(household=household, rule_code="JC-01").exists()

    page.context.clear_cookies()
    login(page, server, "village_cadre")
    page.goto(f"{server.url}{household.get_absolute_url()}")
    page.wait_for_selector("text=数据截至")
    panel = page.locator("article", has_text="JC-01")
    assert "3,000" in panel.inner_text()
    panel.get_by_role("link", name="JC-01").click()
    page.wait_for_selector("text=为什么预警")
    body = page.inner_text("main")
    assert "政策依据" in body and "监测范围（家庭人均纯收入）" in body and "登记数据" in body

    # Impact preview: with a line of 2,000 yuan household a (3,000 per head) would no longer be warned.
    page.goto(f"{server.url}/monitoring/preview/")
    page.select_option("select[name=region]", value=str(tree.village_a.pk))
    page.fill("input[name=as_of]", "2026-06-30")
    page.fill("textarea[name=overrides]", "monitoring_line=2000")
    page.click("button:has-text('预览')")
    page.wait_for_selector("text=合计")
    assert "不再预警 1 户" in page.inner_text("main")
