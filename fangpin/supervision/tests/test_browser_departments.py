"""A clue handed to a county line department, in the browser: the supervisor hands it to 崇阳县 医保 in a batch;
the county office sees it but is offered no step; the department verifies, confirms, rectifies with its evidence;
a city department draws it for a spot check and passes it. Then the county sets its departments' indicators and
computes the assessment, whose department table shows 医保."""

import datetime as dt

import pytest

from fangpin.accounts.services import create_user
from fangpin.core.testing import PASSWORD
from fangpin.monitoring.tests.test_browser_cases import as_user, take
from fangpin.registry.tests.test_browser import browser_page, server  # noqa: F401 - pytest fixtures
from fangpin.supervision.models import AssessmentResult, Clue
from fangpin.supervision.services import clues
from fangpin.supervision.tests.test_browser_clues import status_is
from fangpin.supervision.tests.test_clue_path import PDF, comparison_hit

S = Clue.Status


@pytest.mark.browser
def test_department_clue_and_assessment(server, tree, cast, households, browser_page, tmp_path):  # noqa: F811
    create_user("city_civil", role="department", region_code=tree.city.code, password=PASSWORD,
                department="civil_affairs")  # fmt: skip
    clue = clues.clues_from_warnings([comparison_hit(households["a"])], user=cast["supervisor"]).created[0]
    page = browser_page

    # The supervisor hands it to 崇阳县 医保 in a batch.
    as_user(page, server, "supervisor")
    page.goto(f"{server.url}/supervision/batches/assign/")
    page.check(f"input[name=clue][value='{clue.pk}']")
    page.fill("input[name=title]", "医保专项第一批")
    page.select_option("select[name=unit]", str(tree.county.pk))
    page.select_option("select[name=department]", "medical_insurance")
    page.fill("input[name=lead_official]", "李局长")
    page.fill("input[name=deadline]", str(clues.today() + dt.timedelta(days=30)))
    page.click("button:has-text('交办所选线索')")
    page.wait_for_selector("text=已交办 1 条问题线索")
    page.goto(f"{server.url}{clue.get_absolute_url()}")
    page.wait_for_selector("text=崇阳县 医保")

    # The county office sees it, with no step to take.
    as_user(page, server, "county_officer")
    page.goto(f"{server.url}{clue.get_absolute_url()}")
    status_is(page, "已交办，待核查")
    assert page.locator("[id^='step-']").count() == 0

    # The department verifies, confirms and rectifies with its evidence.
    as_user(page, server, "medical_officer")
    page.click("nav >> text=问题线索")
    page.click(f"table a[href='{clue.get_absolute_url()}']")
    take(page, "start_verifying")
    status_is(page, "核查中")
    take(page, "confirm", {"verification_note": "系医保局退休职工"}, {"classification": "policy_deviation"})
    take(page, "start_rectifying", checks=[("actions", "correct_data")])
    status_is(page, "整改中")
    notice = tmp_path / "更正说明.pdf"
    notice.write_bytes(PDF)
    page.set_input_files("input[name='evidence-file']", str(notice))
    page.click("button:has-text('上传佐证材料')")
    page.wait_for_selector("text=已上传佐证材料")
    take(page, "rectified", {"rectification_note": "已更正参保身份"})
    status_is(page, "已整改，待抽查或销号")

    # A city department draws it and passes the check.
    as_user(page, server, "city_civil")
    page.goto(f"{server.url}/supervision/clues/spot-check/")
    page.fill("input[name=percent]", "100")
    page.click("button:has-text('抽取')")
    page.goto(f"{server.url}{clue.get_absolute_url()}")
    status_is(page, "市级抽查中")
    take(page, "spot_check_pass", {"note": "抽查属实，整改到位"})
    status_is(page, "已销号")

    # The county sets its departments' indicators and computes the year's assessment.
    as_user(page, server, "county_officer")
    page.goto(f"{server.url}/supervision/assessment/")
    page.click("#set-region")
    for name, weight in (("rectification_rate", "50"), ("overdue_clues", "50"), ("monitoring_timeliness", "0"),
                         ("visit_coverage", "0")):  # fmt: skip
        page.fill(f"input[name={name}]", weight)
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=已保存")
    page.click("#set-department")
    page.click("button:has-text('保存')")  # the offered defaults: 40 / 30 / 30
    page.wait_for_selector("text=已保存")
    page.click("#compute")
    page.wait_for_selector("#results-department >> text=医保")
    result = AssessmentResult.objects.get(unit=tree.county, department="medical_insurance")
    assert result.values["indicators"]["rectification_rate"]["value"] == "100.00"
    assert Clue.objects.get(pk=clue.pk).status == S.CLOSED
