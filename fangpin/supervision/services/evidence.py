"""Evidence files of a clue, stored safely: a size limit, an allow-list of types checked by extension AND by
the file's first bytes (so a renamed executable is refused), names with a path refused, stored under a
generated name, served only to users who can see the clue."""

from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from fangpin.core import changelog
from fangpin.supervision.models import Clue, ClueEvidence
from fangpin.supervision.services.clues import _visible
from fangpin.supervision.services.workflow import HANDLE_PERMISSION, HANDLER_EVIDENCE_STAGES, handles

# extension -> (content type, accepted leading bytes). Office files are ZIP (OOXML) or OLE2 (legacy).
ZIP, OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ALLOWED = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (ZIP,)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (ZIP,)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (ZIP,)),
    "doc": ("application/msword", (OLE,)),
    "xls": ("application/vnd.ms-excel", (OLE,)),
    "ppt": ("application/vnd.ms-powerpoint", (OLE,)),
}
UNSAFE_NAME = re.compile(r"[/\\\x00-\x1f]|^\.|\.\.")


def max_bytes() -> int:
    return getattr(settings, "EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)


def check_upload(name: str, content: bytes) -> tuple[str, str]:
    """(sanitised display name, content type) of an acceptable evidence file, or ValidationError naming why."""
    if not name or UNSAFE_NAME.search(name) or PurePosixPath(name).name != name:
        raise ValidationError({"file": f"文件名“{name}”含有路径或非法字符，请改名后上传"})
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in ALLOWED:
        allowed = "、".join(sorted(ALLOWED))
        raise ValidationError({"file": f"不支持“.{suffix or '（无扩展名）'}”文件，只能上传 {allowed}"})
    if not content:
        raise ValidationError({"file": "文件为空"})
    limit = max_bytes()
    if len(content) > limit:
        raise ValidationError(
            {"file": f"文件大小 {len(content) / 1048576:.1f} MB，超过上限 {limit / 1048576:.0f} MB"}
        )
    content_type, magics = ALLOWED[suffix]
    if not any(content.startswith(m) for m in magics):
        raise ValidationError({"file": f"文件内容与扩展名“.{suffix}”不符，可能已损坏或为可执行文件，已拒收"})
    if len(name) > 120:
        stem, _, ext = name.rpartition(".")
        name = f"{stem[: 120 - len(ext) - 1]}.{ext}"
    return name, content_type


def upload_refusal(clue: Clue, user) -> str | None:
    """Why `user` may not attach a file to the clue's current step, or None. While the unit verifies and
    rectifies, its evidence is its own (or a supervisor's): the guards of its steps count these files."""
    if not user.has_perm("supervision.add_clueevidence"):
        return "您没有权限上传佐证材料"
    handler = user.has_perm(HANDLE_PERMISSION) and handles(clue, user)
    if clue.status in HANDLER_EVIDENCE_STAGES and not (
        handler or user.has_perm("supervision.supervise_clue")
    ):
        return "核查、整改阶段的佐证材料由承办单位上传"
    return None


def add_evidence(clue: Clue, *, user, name: str, content: bytes, note: str = "") -> ClueEvidence:
    """Attach a file to the clue's current step."""
    _visible(clue, user)
    if reason := upload_refusal(clue, user):
        raise PermissionDenied(reason)
    if clue.status in Clue.FINISHED:
        raise ValidationError("已销号的问题线索不能再上传材料")
    display, content_type = check_upload(name, content)
    suffix = display.rsplit(".", 1)[-1].lower()
    evidence = ClueEvidence(
        clue=clue,
        stage=clue.status,
        original_name=display,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        note=note,
        uploaded_by=user,
    )
    evidence.full_clean(exclude=["file"])
    try:
        with transaction.atomic(), changelog.acting(user):
            evidence.file.save(f"{uuid.uuid4().hex}.{suffix}", ContentFile(content), save=False)
            evidence.save()
            changelog.log_bulk(
                ClueEvidence,
                "bulk_create",
                1,
                description=f"问题线索 {clue.number} 上传材料 {display}",
                ids=[evidence.pk],
            )
    except Exception:
        if evidence.file.name:
            evidence.file.storage.delete(evidence.file.name)
        raise
    return evidence


def evidence_visible_to(user):
    from fangpin.supervision.services.clues import clues_visible_to

    return ClueEvidence.objects.filter(clue__in=clues_visible_to(user))
