from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "forgecrm.accounts"
    label = "accounts"

    def ready(self) -> None:
        from forgecrm.accounts.roles import sync_roles

        post_migrate.connect(sync_roles, sender=self, dispatch_uid="forgecrm-sync-roles")
