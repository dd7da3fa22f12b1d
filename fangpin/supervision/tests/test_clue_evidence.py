"""Evidence files of a clue (issue #6 part 3): images, PDF and Office files only, checked by extension and by
their first bytes, a size limit, no path in the name; a refused upload stores nothing (no row, no file under
MEDIA_ROOT, no change-log entry); files are visible only to those who can see the clue. The signatures below
are the formats' own magic numbers, written from the file formats, not copied from the service."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from fangpin.core.models import ObjectChange
from fangpin.supervision.models import ClueEvidence
from fangpin.supervision.services import clues, evidence
from fangpin.supervision.services.evidence import check_upload
from fangpin.supervision.tests.test_clue_lifecycle import (
    PDF,
    S,
    at,
    make_people,
)


@pytest.fixture
def people(cast, tree):
    return make_people(cast, tree)


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SIGNATURES = {
    "pdf": b"%PDF-",
    "jpg": b"\xff\xd8\xff",
    "jpeg": b"\xff\xd8\xff",
    "png": b"\x89PNG\r\n\x1a\n",
    "docx": b"PK\x03\x04",
    "xlsx": b"PK\x03\x04",
    "pptx": b"PK\x03\x04",
    "doc": OLE,
    "xls": OLE,
    "ppt": OLE,
}
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"


def stored_files(media) -> set[Path]:
    root = Path(media)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def refused_and_nothing_stored(clue, user, media, name, content, match, note=""):
    files, rows, log = stored_files(media), ClueEvidence.objects.count(), ObjectChange.objects.count()
    with pytest.raises(ValidationError, match=match):
        evidence.add_evidence(clue, user=user, name=name, content=content, note=note)
    assert ClueEvidence.objects.count() == rows
    assert stored_files(media) == files
    assert ObjectChange.objects.count() == log


@pytest.fixture
def verifying(people, tree, households):
    return at(S.VERIFYING, people, tree, households["a"], proof=False)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("setup.exe", EXECUTABLE, "不支持"),
        ("SETUP.EXE", EXECUTABLE, "不支持"),
        ("报告.pdf", EXECUTABLE, "内容与扩展名"),  # a renamed executable
        ("照片.jpg", EXECUTABLE, "内容与扩展名"),
        ("台账.docx", EXECUTABLE, "内容与扩展名"),
        ("台账.xls", EXECUTABLE, "内容与扩展名"),
        ("照片.png", PDF, "内容与扩展名"),  # a real file of another allowed type
        ("核查.pdf", b"%PD", "内容与扩展名"),  # a truncated signature
        ("../../etc/passwd.pdf", PDF, "路径"),
        ("..\\..\\windows\\核查.pdf", PDF, "路径"),
        ("dir/核查.pdf", PDF, "路径"),
        ("dir\\核查.pdf", PDF, "路径"),
        ("/etc/核查.pdf", PDF, "路径"),
        (".核查.pdf", PDF, "非法字符"),  # a leading dot (hidden file)
        ("..", PDF, "路径|非法字符"),
        ("核查\x00.pdf.exe", PDF, "非法字符"),
        ("核查\n.pdf", PDF, "非法字符"),
        ("", PDF, "[\u4e00-\u9fff]"),
        ("空文件.pdf", b"", "文件为空"),
        ("说明.txt", b"plain text", "不支持"),
        ("页面.html", b"<html><script>alert(1)</script>", "不支持"),
        ("图.svg", b"<svg onload=alert(1)>", "不支持"),
        ("脚本.js", b"alert(1)", "不支持"),
        ("宏.docm", b"PK\x03\x04", "不支持"),
        ("压缩包.zip", b"PK\x03\x04", "不支持"),
        ("无扩展名", PDF, "不支持"),
        ("核查.pdf.", PDF, "不支持"),
    ],
)
def test_unsafe_uploads_are_refused_and_nothing_is_stored(name, content, match, verifying, people, media):
    refused_and_nothing_stored(verifying, people["township_officer"], media, name, content, match)


def test_the_size_limit_is_inclusive_and_a_larger_file_is_refused(verifying, people, media, settings):
    settings.EVIDENCE_MAX_BYTES = 4096
    user = people["township_officer"]
    body = PDF + b"0" * (4096 - len(PDF))
    refused_and_nothing_stored(verifying, user, media, "大文件.pdf", body + b"0", "超过上限")
    stored = evidence.add_evidence(verifying, user=user, name="刚好.pdf", content=body)
    assert stored.size == 4096


def test_the_default_limit_refuses_an_oversized_file(verifying, people, media):
    content = PDF + b"0" * (10 * 1024 * 1024)
    refused_and_nothing_stored(
        verifying, people["township_officer"], media, "扫描件.pdf", content, "超过上限"
    )


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("核查记录.pdf", PDF, "application/pdf"),
        ("现场照片.JPG", b"\xff\xd8\xff\xe1 exif", "image/jpeg"),
        ("现场照片.png", b"\x89PNG\r\n\x1a\n rest", "image/png"),
        (
            "整改台账.xlsx",
            b"PK\x03\x04 ooxml",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("情况说明.doc", OLE + b" ole2", "application/msword"),
    ],
)
def test_an_allowed_file_is_stored_under_a_generated_name(
    name, content, content_type, verifying, people, media
):
    import hashlib

    stored = evidence.add_evidence(
        verifying, user=people["township_officer"], name=name, content=content, note="现场"
    )
    stored.refresh_from_db()
    assert (stored.original_name, stored.content_type, stored.size) == (name, content_type, len(content))
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert (stored.stage, stored.uploaded_by, stored.clue_id) == (
        S.VERIFYING,
        people["township_officer"],
        verifying.pk,
    )
    stored_name = Path(stored.file.name).name
    assert name.rsplit(".", 1)[0] not in stored_name  # the user's name never reaches the disk
    assert stored_name.endswith("." + name.rsplit(".", 1)[1].lower())
    on_disk = Path(stored.file.path)
    assert on_disk.resolve().is_relative_to(Path(media).resolve())
    assert on_disk.read_bytes() == content


def test_a_long_name_keeps_its_extension_and_fits_the_columns(verifying, people, media):
    name = "关于" + "某某村" * 60 + "问题的核查报告.pdf"
    stored = evidence.add_evidence(verifying, user=people["township_officer"], name=name, content=PDF)
    assert stored.original_name.endswith(".pdf") and len(stored.original_name) <= 120
    assert stored.file.name.endswith(".pdf")
    assert len(stored.file.name) <= ClueEvidence._meta.get_field("file").max_length


def test_a_note_too_long_is_refused_before_anything_is_stored(verifying, people, media):
    limit = ClueEvidence._meta.get_field("note").max_length
    refused_and_nothing_stored(
        verifying,
        people["township_officer"],
        media,
        "核查.pdf",
        PDF,
        "[\u4e00-\u9fff]",
        note="说" * (limit + 1),
    )


@pytest.mark.parametrize("state", [S.UNFOUNDED, S.CLOSED])
def test_no_upload_to_a_finished_clue(state, people, tree, households, media):
    clue = at(state, people, tree, households["a"])
    refused_and_nothing_stored(clue, people["supervisor"], media, "补充.pdf", PDF, "已销号")


@pytest.mark.parametrize("key", ["tiancheng", "outsider", "tongshan_supervisor", "village_cadre"])
def test_an_upload_out_of_scope_is_not_found_and_stores_nothing(key, verifying, people, media):
    files, rows = stored_files(media), ClueEvidence.objects.count()
    with pytest.raises(Http404):
        evidence.add_evidence(verifying, user=people[key], name="核查.pdf", content=PDF)
    assert (stored_files(media), ClueEvidence.objects.count()) == (files, rows)


def test_a_unit_cannot_upload_to_the_pool_and_a_reader_cannot_upload_at_all(people, tree, households, media):
    pool = at(S.GENERATED, people, tree, households["a"])
    with pytest.raises(Http404):
        evidence.add_evidence(pool, user=people["township_officer"], name="核查.pdf", content=PDF)
    assigned = at(S.ASSIGNED, people, tree, households["a"])
    with pytest.raises((PermissionDenied, Http404)):
        evidence.add_evidence(assigned, user=people["leader"], name="核查.pdf", content=PDF)
    assert not ClueEvidence.objects.exists() and stored_files(media) == set()


# -------------------------------------------------------------------------------------------- who sees files


def test_evidence_is_visible_exactly_to_those_who_see_the_clue(people, tree, households):
    pool = at(S.GENERATED, people, tree, households["a"])
    pool_file = evidence.add_evidence(pool, user=people["supervisor"], name="举报材料.pdf", content=PDF)
    baini = at(S.VERIFYING, people, tree, households["a"])  # proof uploaded by 白霓镇
    baini_file = baini.files.get()
    tiancheng = at(S.VERIFYING, people, tree, households["c"], unit=tree.township_2)
    tiancheng_file = tiancheng.files.get()
    expected = {
        "supervisor": {pool_file, baini_file, tiancheng_file},
        "city_supervisor": {pool_file, baini_file, tiancheng_file},
        "township_officer": {baini_file},
        "tiancheng": {tiancheng_file},
        "county_officer": {baini_file, tiancheng_file},
        "city_department": {baini_file, tiancheng_file},
        "outsider": set(),
        "tongshan_supervisor": set(),
        "village_cadre": set(),
    }
    for key, files in expected.items():
        assert set(evidence.evidence_visible_to(people[key])) == files, key
        assert set(evidence.evidence_visible_to(people[key])) == set(
            ClueEvidence.objects.filter(clue__in=clues.clues_visible_to(people[key]))
        ), key
    # once the pool clue is handed to 白霓镇, its file follows it
    clues.assign(
        pool, user=people["supervisor"], unit=tree.township, lead_official="王镇长", deadline=baini.deadline
    )
    assert pool_file in set(evidence.evidence_visible_to(people["township_officer"]))
    assert pool_file not in set(evidence.evidence_visible_to(people["tiancheng"]))


# -------------------------------------------------------------------------------------------- the properties

SEPARATORS = st.sampled_from(["/", "\\"])
SAFE_STEM = st.text(
    alphabet=st.sampled_from(
        list(string.ascii_letters + string.digits + "_- ") + list("核查整改材料照片记录")
    ),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() and not s.startswith("."))
EXTENSIONS = st.sampled_from(sorted(SIGNATURES))
PROPERTY = hsettings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(
    before=st.text(max_size=30),
    sep=SEPARATORS,
    after=st.text(max_size=30),
    ext=EXTENSIONS,
    tail=st.binary(max_size=64),
)
def test_a_name_with_a_path_separator_is_never_accepted(before, sep, after, ext, tail):
    with pytest.raises(ValidationError):
        check_upload(f"{before}{sep}{after}.{ext}", SIGNATURES[ext] + tail)


@PROPERTY
@given(stem=SAFE_STEM, ext=EXTENSIONS, content=st.binary(min_size=0, max_size=64))
def test_bytes_without_the_types_signature_are_never_accepted(stem, ext, content):
    if content.startswith(SIGNATURES[ext]):
        content = b"X" + content
    with pytest.raises(ValidationError):
        check_upload(f"{stem}.{ext}", content)


@PROPERTY
@given(stem=SAFE_STEM, ext=EXTENSIONS, tail=st.binary(max_size=64), upper=st.booleans())
def test_a_safe_name_with_the_right_signature_is_accepted(stem, ext, tail, upper):
    name = f"{stem}.{ext.upper() if upper else ext}"
    display, content_type = check_upload(name, SIGNATURES[ext] + tail)
    assert display == name and content_type


@PROPERTY
@given(
    name=st.text(max_size=60),
    content=st.one_of(
        st.binary(max_size=64),
        st.tuples(EXTENSIONS, st.binary(max_size=32)).map(lambda t: SIGNATURES[t[0]] + t[1]),
    ),
)
def test_whatever_is_accepted_is_a_plain_name_of_an_allowed_type_with_its_signature(name, content):
    try:
        display, _ = check_upload(name, content)
    except ValidationError:
        return
    assert not re.search(r"[/\\\x00-\x1f]", name) and not name.startswith(".") and ".." not in name
    ext = name.rsplit(".", 1)[-1].lower()
    assert ext in SIGNATURES and content.startswith(SIGNATURES[ext])
    assert not re.search(r"[/\\]", display) and len(display) <= 120
