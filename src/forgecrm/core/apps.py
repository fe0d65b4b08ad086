from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "forgecrm.core"
    label = "core"
