"""Personal data is shown in full only to roles that need it; everyone else sees masked values. Once, here."""

from typing import Any

from fangpin.core.validators import mask_id_number, mask_mobile

PERSONAL_DATA_PERMISSION = "registry.view_personal_data"
MASKS = {"id_number": mask_id_number, "phone": mask_mobile}


def sees_personal_data(user: Any) -> bool:
    return bool(user and getattr(user, "is_authenticated", False) and user.has_perm(PERSONAL_DATA_PERMISSION))


def shown(value: str, kind: str, user: Any) -> str:
    """`value` as `user` may see it: whole, or masked by `kind` ("id_number" or "phone")."""
    if not value or sees_personal_data(user):
        return value
    return MASKS[kind](value)
