"""What a county official does in the browser: log in, search, open a household, edit a member, see the edit
in the history, export the list. Drives Debian's Chromium through Playwright."""

import os

import pytest

from fangpin.core.testing import PASSWORD, xlsx_rows
from fangpin.registry.models import Person

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def server(transactional_db):
    """A live server for this test only: stopped (and its database connection closed) before the test database
    is dropped, which PostgreSQL refuses while a session is open."""
    from pytest_django.live_server_helper import LiveServer

    live = LiveServer("127.0.0.1:0")
    yield live
    live.stop()


@pytest.fixture
def browser_page():
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, locale="zh-CN")
        yield context.new_page()
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.mark.browser
def test_county_official_searches_edits_and_exports(server, cast, households, browser_page, tmp_path):
    page = browser_page
    household = households["a"]
    spouse = household.members.get(relation="spouse")

    page.goto(f"{server.url}/login/")
    page.fill("input[name=username]", "county_officer")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")

    # Search by the spouse's ID number from the home page: exactly her household is found.
    page.fill("input[name=q]", spouse.id_number)
    page.click("form[role=search] button[type=submit]")
    page.wait_for_selector("table.table")
    rows = page.locator("table.table tbody tr")
    assert rows.count() == 1
    assert household.number in rows.first.inner_text()
    page.wait_for_selector("#total:has-text('共 1 条')")

    page.click(f"text={household.number}")
    page.wait_for_selector("text=家庭成员")

    # Edit the spouse: she now works outside the province for 8 months.
    page.locator("tr", has_text=spouse.name).get_by_text("修改").click()
    page.select_option("select[name=work_location]", "out_of_province")
    page.fill("input[name=work_months]", "8")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=已保存")

    spouse.refresh_from_db()
    assert (spouse.work_location, spouse.work_months) == ("out_of_province", 8)
    history = page.locator("#history").inner_text()
    assert "county_officer" in history and "务工所在地" in history and "省外务工" in history

    # A bad edit is refused with the field named, and nothing changes.
    page.locator("tr", has_text=spouse.name).get_by_text("修改").click()
    page.fill("input[name=work_months]", "0")
    page.click("button:has-text('保存')")
    assert "务工时间" in page.locator(".errorlist").first.inner_text()
    spouse.refresh_from_db()
    assert spouse.work_months == 8

    # Export the filtered list: the same scope, the same rows.
    page.goto(f"{server.url}/registry/households/?household_type=exited")
    with page.expect_download() as download_info:
        page.click("text=导出 Excel")
    path = tmp_path / "export.xlsx"
    download_info.value.save_as(path)
    numbers = {row[0] for row in xlsx_rows(path.read_bytes())[1:]}
    assert numbers == {households[k].number for k in "abc"}
    assert Person.objects.filter(pk=spouse.pk, work_months=8).exists()


@pytest.mark.browser
def test_upload_with_errors_download_the_workbook_fix_and_upload_again(
    server, cast, tree, browser_page, tmp_path
):
    from fangpin.registry.tests.test_import import HEADER, family, xlsx

    page = browser_page
    rows = family(tree.village_a)
    bad = [list(r) for r in rows]
    bad[2][8] = "博士"  # not an education level
    bad_file, good_file = tmp_path / "户籍.xlsx", tmp_path / "户籍-改正.xlsx"
    bad_file.write_bytes(xlsx(HEADER, bad).getvalue())
    good_file.write_bytes(xlsx(HEADER, rows).getvalue())

    page.goto(f"{server.url}/login/")
    page.fill("input[name=username]", "village_cadre")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    page.click("text=数据导入")
    page.set_input_files("input[type=file]", str(bad_file))
    page.click("button:has-text('上传并校验')")
    page.wait_for_selector("#batch-status")
    assert "有错误，未导入" in page.inner_text("#batch-status")
    with page.expect_download() as download_info:
        page.click("#error-workbook")
    errors = tmp_path / "errors.xlsx"
    download_info.value.save_as(errors)
    rows_back = xlsx_rows(errors.read_bytes())
    assert rows_back[1][5] == "王小山" and "文化程度" in rows_back[1][-1]
    assert not Person.objects.filter(name="王小山").exists()

    page.click("text=返回数据导入")
    page.set_input_files("input[type=file]", str(good_file))
    page.click("button:has-text('上传并校验')")
    page.wait_for_selector("#batch-status")
    assert "已导入" in page.inner_text("#batch-status")
    assert Person.objects.filter(name="王小山", household__region=tree.village_a).exists()
