from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fangpin.accounts"
    verbose_name = "用户与角色"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from fangpin.accounts.roles import sync_role_groups

        post_migrate.connect(sync_role_groups, sender=self, dispatch_uid="fangpin-sync-roles")
