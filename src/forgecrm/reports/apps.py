from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "forgecrm.reports"
    label = "reports"
