import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from fangpin.accounts.models import User
from fangpin.accounts.roles import ROLES


@pytest.mark.django_db
def test_migrate_leaves_every_role_group_with_its_permissions():
    """The groups are synced after every app's migrate, so registry permissions are there without assign_role."""
    for role in ROLES.values():
        group = Group.objects.get(name=role.group_name)
        have = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert have == set(role.permissions), role.code


def test_createuser_command(tree):
    call_command(
        "createuser", "cadre", "--role", "village", "--region", tree.village_a.code, "--password", "pass-1234"
    )
    user = User.objects.get(username="cadre")
    assert user.region == tree.village_a and user.has_perm("registry.change_household")
    with pytest.raises(CommandError, match="村（社区）"):
        call_command(
            "createuser", "x", "--role", "village", "--region", tree.county.code, "--password", "pass-1234"
        )
    with pytest.raises(CommandError, match="不存在"):
        call_command("createuser", "y", "--role", "county", "--region", "999999", "--password", "pass-1234")
    with pytest.raises(CommandError, match="部门"):
        call_command(
            "createuser", "z", "--role", "department", "--region", tree.county.code, "--password", "pass-1234"
        )
    with pytest.raises(CommandError, match="已存在"):
        call_command(
            "createuser",
            "cadre",
            "--role",
            "village",
            "--region",
            tree.village_a.code,
            "--password",
            "pass-1234",
        )
    assert not User.objects.filter(username__in=["x", "y", "z"]).exists()
