from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "forgecrm.followups"
    label = "followups"
