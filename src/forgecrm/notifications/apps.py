from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "forgecrm.notifications"
    label = "notifications"
