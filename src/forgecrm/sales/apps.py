from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "forgecrm.sales"
    label = "sales"
