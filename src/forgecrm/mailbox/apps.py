from django.apps import AppConfig


class MailboxConfig(AppConfig):
    name = "forgecrm.mailbox"
    label = "mailbox"
    verbose_name = "mailbox"
