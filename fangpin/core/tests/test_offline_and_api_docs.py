"""The platform runs on intranets with no internet: no page may load a script, style or font from elsewhere.
And the API describes itself (OpenAPI 3) with docs served from vendored assets."""

import re

from django.contrib.staticfiles import finders

from fangpin.core.testing import PASSWORD

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)


def test_pages_load_nothing_from_outside(client, cast, households):
    client.login(username="county_officer", password=PASSWORD)
    h = households["a"]
    for url in [
        "/login/",
        "/",
        "/registry/households/",
        f"/registry/households/{h.pk}/",
        f"/registry/households/{h.pk}/edit/",
        "/registry/persons/",
        "/geo/regions/",
        "/imports/",
        "/api/docs/",
        "/api/redoc/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert not EXTERNAL.search(html), (url, EXTERNAL.search(html).group(0))
        for asset in re.findall(r"""(?:src|href)=["'](/static/[^"']+)["']""", html):
            assert finders.find(asset.removeprefix("/static/").split("?")[0]), (url, asset)


def test_openapi_schema_lists_the_resources(client, cast):
    client.login(username="county_officer", password=PASSWORD)
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for resource in ("regions", "households", "persons", "incomes"):
        assert f"/api/{resource}/" in paths and f"/api/{resource}/{{id}}/" in paths
    assert "/api/auth/token/" in paths


def test_token_endpoint(client, cast):
    response = client.post(
        "/api/auth/token/",
        {"username": "village_cadre", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200 and len(response.json()["token"]) == 40
    bad = client.post(
        "/api/auth/token/",
        {"username": "village_cadre", "password": "wrong"},
        content_type="application/json",
    )
    assert bad.status_code == 400
