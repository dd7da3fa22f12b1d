"""Region scoping, written once. Every read goes through `Model.objects.visible_to(user)`; every write through
`save_in_scope()`. Out of scope looks exactly like not found.

A scoped model names, in `scope_field`, the path to its Region foreign key ("region", "household__region"),
or "self" for the Region model itself. Regions carry a materialised `path` (their code's significant prefix),
so a subtree is a range scan on an indexed column.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction


class OutOfScopeError(PermissionDenied):
    """A write would leave the object outside the acting user's region."""

    message = "保存后的记录不在您的管辖范围内，未做任何修改"

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message


def subtree_bounds(path: str) -> tuple[str, str]:
    """The [low, high) range of paths in the subtree rooted at `path`.

    Paths are digit strings, and every collation sorts digits before letters, so "z" closes the range on both
    SQLite and PostgreSQL with a plain b-tree index (LIKE 'x%' would not use one on SQLite).
    """
    return path, path + "z"


def user_region(user: Any):
    """The region a user may see, or None for an unrestricted user (superuser). Raises for anonymous users."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied("请先登录")
    if user.is_superuser:
        return None
    return getattr(user, "region", None)


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ScopedQuerySet:
        """The rows `user` may see: their region's subtree, nothing for an anonymous or region-less user."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        region = getattr(user, "region", None)
        if region is None:
            return self.none()
        low, high = subtree_bounds(region.path)
        field = self.model.scope_field
        if field == "self":
            return self.filter(path__gte=low, path__lt=high)
        # A join on the region's path, not `region_id IN (subtree)`: for a wide scope the planner can then walk
        # the list's ordering index and stop at a page, instead of collecting and sorting every row in scope.
        return self.filter(**{f"{field}__path__gte": low, f"{field}__path__lt": high})


class ScopedModel(models.Model):
    """Base for every model whose rows belong to a region."""

    scope_field: str = "region"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True


def save_in_scope(obj: models.Model, user: Any, save: Callable[[], Any] | None = None) -> None:
    """Save `obj` (or run `save`) in a transaction, re-read it through the user's scope, roll back if it left.

    This is what stops a village clerk from moving a household into another village, for every model at once.
    """
    from fangpin.core.changelog import acting

    with transaction.atomic(), acting(user):
        (save or obj.save)()
        if not type(obj).objects.visible_to(user).filter(pk=obj.pk).exists():
            raise OutOfScopeError()
