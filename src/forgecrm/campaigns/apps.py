from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "forgecrm.campaigns"
    label = "campaigns"
