from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fangpin.accounts"
    verbose_name = "用户与角色"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from fangpin.accounts.roles import sync_role_groups

        # No sender: permissions of apps migrated after this one (registry) exist only at their post_migrate.
        post_migrate.connect(sync_role_groups, dispatch_uid="fangpin-sync-roles")
