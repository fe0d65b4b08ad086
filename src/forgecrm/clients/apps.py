from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "forgecrm.clients"
    label = "clients"
