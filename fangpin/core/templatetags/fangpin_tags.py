from django import template

from fangpin.core.privacy import MASKS, shown

register = template.Library()

PERSONAL_FIELDS = {"id_number": "id_number", "phone": "phone"}


@register.filter(needs_autoescape=False)
def verbose_name(model) -> str:
    return model._meta.verbose_name if model is not None else ""


def _current_user():
    # The request being rendered is in the change context (set by middleware for every request).
    from fangpin.core.changelog import current_context

    ctx = current_context()
    return getattr(ctx.request, "user", None)


@register.filter
def personal(value, kind: str):
    """Mask an ID number or phone unless the current user's role may see it."""
    return shown(value or "", kind, _current_user())


@register.filter
def personal_value(value, field: str):
    """Mask a logged value if its field is personal data (the history timeline)."""
    kind = PERSONAL_FIELDS.get(field)
    if value is None or value == "":
        return "（空）"
    if kind and kind in MASKS:
        return shown(str(value), kind, _current_user())
    return value
