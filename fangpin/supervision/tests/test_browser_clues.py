"""A clue's loop in the browser, each step by the official who owns it: the supervisor turns a comparison hit into
a clue and hands it to the township in a batch; the township verifies it, confirms it, rectifies it and uploads
the rectification notice (a refused upload first); the supervisor closes it (销号)."""

import datetime as dt

import pytest

from fangpin.monitoring.tests.test_browser_cases import as_user, take
from fangpin.registry.tests.test_browser import browser_page, server  # noqa: F401 - pytest fixtures
from fangpin.supervision.models import Clue, ClueEvidence
from fangpin.supervision.services import clues
from fangpin.supervision.tests.test_clue_path import PDF, comparison_hit

S = Clue.Status


def status_is(page, label):
    page.wait_for_selector(f"#clue-status:has-text('{label}')")


@pytest.mark.browser
def test_clue_loop_in_the_browser(server, tree, cast, households, browser_page, tmp_path):  # noqa: F811
    household = households["a"]
    hit = comparison_hit(household)
    page = browser_page

    # The supervisor generates the clue from the comparison hit and hands it to 白霓镇 in a batch.
    as_user(page, server, "supervisor")
    page.click("nav >> text=问题线索")
    page.click("text=由比对结果生成线索")
    page.check(f"input[name=warning][value='{hit.pk}']")
    page.click("button:has-text('所选比对结果生成线索')")
    page.wait_for_selector("text=已生成 1 条问题线索")
    clue = Clue.objects.get(warning=hit)
    page.check(f"input[name=clue][value='{clue.pk}']")
    page.fill("input[name=title]", "财政供养人员专项第一批")
    page.select_option("select[name=unit]", str(tree.township.pk))
    page.fill("input[name=lead_official]", "王镇长")
    page.fill("input[name=deadline]", str(clues.today() + dt.timedelta(days=30)))
    page.click("button:has-text('交办所选线索')")
    page.wait_for_selector("text=已交办 1 条问题线索")
    page.click(f"table a[href='{clue.get_absolute_url()}']")
    status_is(page, "已交办，待核查")

    # The township verifies, confirms and rectifies, with the notice as evidence.
    as_user(page, server, "township_officer")
    page.click("nav >> text=问题线索")
    page.click(f"table a[href='{clue.get_absolute_url()}']")
    take(page, "start_verifying")
    status_is(page, "核查中")
    take(page, "confirm", {"verification_note": "该成员系镇财政所职工"}, {"classification": "data_error"})
    status_is(page, "查实，待整改")
    take(page, "start_rectifying", checks=[("actions", "exclude")])
    status_is(page, "整改中")
    take(page, "rectified", {"rectification_note": "已清退"})
    page.wait_for_selector("text=请上传整改佐证材料")
    status_is(page, "整改中")
    executable = tmp_path / "清退通知.exe"
    executable.write_bytes(b"MZ\x90\x00")
    page.set_input_files("input[name='evidence-file']", str(executable))
    page.click("button:has-text('上传佐证材料')")
    page.wait_for_selector("text=不支持“.exe”文件")
    notice = tmp_path / "清退通知.pdf"
    notice.write_bytes(PDF)
    page.set_input_files("input[name='evidence-file']", str(notice))
    page.fill("input[name='evidence-note']", "镇政府清退通知")
    page.click("button:has-text('上传佐证材料')")
    page.wait_for_selector("text=已上传佐证材料")
    assert "清退通知.pdf" in page.inner_text("#files")
    take(page, "rectified", {"rectification_note": "已清退，停发相关待遇"})
    status_is(page, "已整改，待抽查或销号")
    with page.expect_download() as download:
        page.click("#files a:has-text('清退通知.pdf')")
    assert download.value.suggested_filename == "清退通知.pdf"

    # The supervisor closes it.
    as_user(page, server, "supervisor")
    page.goto(f"{server.url}{clue.get_absolute_url()}")
    take(page, "close", {"comment": "整改到位，同意销号"})
    status_is(page, "已销号")
    assert "整改到位，同意销号" in page.inner_text("#timeline")
    clue.refresh_from_db()
    assert clue.status == S.CLOSED and clue.closed_on is not None
    assert ClueEvidence.objects.get(clue=clue).original_name == "清退通知.pdf"
