from django.apps import AppConfig


class EmailsConfig(AppConfig):
    name = "forgecrm.emails"
    label = "emails"
