"""Chinese first, English second: every page speaks Chinese unless the user chose English with the switcher —
whatever the browser's Accept-Language says; the choice is a cookie, changes no data and is open to everyone;
the navigation, the page frame, the login page and the role names have English; the catalogue compiles without
gettext tools."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from fangpin.core.context_processors import navigation
from fangpin.core.models import ObjectChange
from fangpin.core.testing import PASSWORD
from fangpin.core.translations import LOCALE_DIR, compile_catalogues

SCOPE_COVERED_URLS = {"set_language"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def choose(client, language, next_url="/"):
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


def test_chinese_whatever_the_browser_says(client, cast):
    client.login(username="county_officer", password=PASSWORD)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = page.content.decode()
    assert '<html lang="zh-Hans">' in html and "问题线索" in html and "退出" in html
    assert page["Content-Language"] == "zh-hans"


def test_the_switcher_turns_the_frame_english_and_back(client, cast):
    client.login(username="county_officer", password=PASSWORD)
    response = choose(client, "en", "/supervision/clues/")
    assert response.status_code == 302 and response["Location"] == "/supervision/clues/"
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    for text in ("Problem clues", "Log out", "County poverty-prevention office", "Annual assessment", "中文",
                 "Home", "Registered households", "My to-do list", "Waiting for me", "Search households"):  # fmt: skip
        assert text in html, text
    assert "问题线索" not in html
    choose(client, "zh-hans")
    assert "问题线索" in client.get("/").content.decode()


def test_the_login_page_in_english_for_a_visitor(client, db):
    choose(client, "en", "/login/")
    html = client.get("/login/").content.decode()
    assert "Log in" in html and "User name" in html and "Password" in html
    assert (
        client.post("/login/", {"username": "nobody", "password": "x"})
        .content.decode()
        .count("Wrong user name")
    )


def test_an_unknown_language_is_refused_and_chinese_stays(client, cast):
    client.login(username="village_cadre", password=PASSWORD)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    client.cookies["django_language"] = "fr"  # even forged
    assert "工作台" in client.get("/").content.decode()


@pytest.mark.parametrize(
    "username", ["city_admin", "county_officer", "village_cadre", "medical_officer", "leader"]
)
def test_choosing_a_language_changes_no_data(client, cast, username):
    client.login(username=username, password=PASSWORD)
    before = ObjectChange.objects.count()
    assert choose(client, "en").status_code == 302
    assert ObjectChange.objects.count() == before


def test_every_navigation_entry_and_role_has_english(rf, django_user_model, cast):
    admin = django_user_model.objects.create_superuser("root_en", password=PASSWORD)
    request = rf.get("/")
    request.user = admin
    with translation.override("en"):
        labels = [label for _, label in navigation(request)["nav_items"]]
        roles = [cast[u].role_labels for u in cast]
    assert len(labels) > 15
    assert [x for x in labels + roles if CJK.search(x)] == []


def test_every_entry_of_the_catalogue_is_translated():
    import polib

    catalogue = polib.pofile(str(LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"))
    assert [e.msgid for e in catalogue if not e.msgstr or CJK.search(e.msgstr)] == []
    assert catalogue.percent_translated() == 100


def test_the_catalogue_compiles_when_stale_and_not_otherwise(tmp_path):
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "django.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "退出"\nmsgstr "Log out"\n',
        encoding="utf-8",
    )
    assert compile_catalogues(tmp_path) == [folder / "django.mo"]
    assert compile_catalogues(tmp_path) == []  # fresh: left as it is
    import gettext

    with (folder / "django.mo").open("rb") as compiled:
        assert gettext.GNUTranslations(compiled).gettext("退出") == "Log out"
