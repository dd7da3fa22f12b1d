"""Uploading through the web page and the API; batches and their error workbooks are seen only in scope."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from fangpin.core.models import ImportBatch
from fangpin.core.testing import PASSWORD, xlsx_rows
from fangpin.registry.models import Household
from fangpin.registry.tests.test_import import HEADER, family, xlsx

# Who sees a batch uploaded by the cadre of village A (declared from the tree, not computed).
SEES_VILLAGE_A_BATCH = {
    "city_admin",
    "county_officer",
    "township_officer",
    "village_cadre",
    "medical_officer",
    "supervisor",
    "leader",
}
NOT = {"village_cadre_b", "outsider"}


def upload(name, content):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture
def failed_batch(client, cast, tree):
    rows = family(tree.village_a)
    rows[0][4] = "123"
    client.login(username="village_cadre", password=PASSWORD)
    response = client.post(
        reverse("imports"), {"kind": "registry", "file": upload("户籍.xlsx", xlsx(HEADER, rows).getvalue())}
    )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("import_detail", args=[batch.pk])
    client.logout()
    return batch


def test_web_upload_reports_errors_and_the_fixed_file_imports(client, cast, tree, failed_batch):
    client.login(username="village_cadre", password=PASSWORD)
    page = client.get(reverse("import_detail", args=[failed_batch.pk])).content.decode()
    assert "有错误，未导入" in page and "户联系电话" in page
    errors = client.get(reverse("import_errors", args=[failed_batch.pk]))
    rows = xlsx_rows(b"".join(errors.streaming_content))
    assert rows[0][-1] == "错误说明" and len(rows) == 4  # the household's three rows all carry the bad phone
    fixed = family(tree.village_a)
    client.post(
        reverse("imports"), {"kind": "registry", "file": upload("户籍.xlsx", xlsx(HEADER, fixed).getvalue())}
    )
    assert ImportBatch.objects.latest("id").status == ImportBatch.Status.SUCCEEDED
    assert Household.objects.filter(number=fixed[0][0]).exists()


@pytest.mark.parametrize("username", sorted(SEES_VILLAGE_A_BATCH | NOT))
def test_batches_and_error_workbooks_are_scoped(client, cast, failed_batch, username):
    client.login(username=username, password=PASSWORD)
    detail = client.get(reverse("import_detail", args=[failed_batch.pk])).status_code
    errors = client.get(reverse("import_errors", args=[failed_batch.pk])).status_code
    listed = failed_batch.file_name in client.get(reverse("imports")).content.decode()
    api = APIClient()
    api.force_authenticate(cast[username])
    api_detail = api.get(f"/api/imports/{failed_batch.pk}/").status_code
    api_errors = api.get(f"/api/imports/{failed_batch.pk}/errors/").status_code
    api_listed = failed_batch.pk in [b["id"] for b in api.get("/api/imports/").json()["results"]]
    visible = username in SEES_VILLAGE_A_BATCH
    assert (detail, errors, api_detail, api_errors) == ((200,) * 4 if visible else (404,) * 4)
    assert listed is visible and api_listed is visible


def test_api_upload_and_poll(cast, tree):
    api = APIClient()
    token = api.post(
        "/api/auth/token/", {"username": "village_cadre", "password": PASSWORD}, format="json"
    ).json()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    rows = family(tree.village_a)
    rows[1][6] = "not-an-id"
    response = api.post(
        "/api/imports/",
        {"kind": "registry", "file": upload("a.xlsx", xlsx(HEADER, rows).getvalue())},
        format="multipart",
    )
    assert response.status_code == 201 and response.json()["status"] == "failed"
    batch_id = response.json()["id"]
    polled = api.get(f"/api/imports/{batch_id}/").json()
    assert polled["rows_failed"] == 1 and polled["errors_url"].endswith(f"/api/imports/{batch_id}/errors/")
    assert "身份证号码" in xlsx_rows(b"".join(api.get(polled["errors_url"]).streaming_content))[1][-1]

    bad_kind = api.post(
        "/api/imports/", {"kind": "nothing", "file": upload("a.xlsx", b"x")}, format="multipart"
    )
    assert bad_kind.status_code == 400 and "kind" in bad_kind.json()
    no_file = api.post("/api/imports/", {"kind": "registry"}, format="multipart")
    assert no_file.status_code == 400 and "file" in no_file.json()


def test_oversized_and_unauthorised_uploads_are_refused(client, cast, settings):
    settings.IMPORT_MAX_BYTES = 100
    api = APIClient()
    api.force_authenticate(cast["county_officer"])
    response = api.post(
        "/api/imports/", {"kind": "registry", "file": upload("a.xlsx", b"x" * 200)}, format="multipart"
    )
    assert response.status_code == 400 and "超过上限" in response.json()["file"][0]
    api.force_authenticate(cast["leader"])
    response = api.post(
        "/api/imports/", {"kind": "registry", "file": upload("a.xlsx", b"x")}, format="multipart"
    )
    assert response.status_code == 403
    assert ImportBatch.objects.count() == 0


def test_large_files_import_in_the_background(client, transactional_db, cast, tree, settings):
    from fangpin.core import importing

    settings.IMPORT_BACKGROUND_BYTES = 10  # every real file is "large"
    rows = family(tree.village_a)
    client.login(username="village_cadre", password=PASSWORD)
    response = client.post(
        reverse("imports"), {"kind": "registry", "file": upload("big.xlsx", xlsx(HEADER, rows).getvalue())}
    )
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("import_detail", args=[batch.pk])
    assert batch.status in (
        ImportBatch.Status.QUEUED,
        ImportBatch.Status.RUNNING,
        ImportBatch.Status.SUCCEEDED,
    )
    for thread in importing.BACKGROUND:
        thread.join(timeout=30)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.message
    assert Household.objects.filter(number=rows[0][0]).exists()
    page = client.get(reverse("import_detail", args=[batch.pk])).content.decode()
    assert "已导入" in page and "hx-trigger" not in page


def test_run_imports_picks_up_queued_batches(cast, tree):
    import io

    from django.core.management import call_command

    from fangpin.core.importing import start_batch
    from fangpin.registry.importers import RegistryImporter

    rows = family(tree.village_a)
    batch = start_batch(
        RegistryImporter(),
        io.BytesIO(xlsx(HEADER, rows).getvalue()),
        "q.xlsx",
        user=cast["village_cadre"],
        status=ImportBatch.Status.QUEUED,
    )
    call_command("run_imports")
    batch.refresh_from_db()
    assert (
        batch.status == ImportBatch.Status.SUCCEEDED and Household.objects.filter(number=rows[0][0]).exists()
    )
