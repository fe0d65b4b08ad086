from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "forgecrm.followups"
    label = "followups"

    def ready(self) -> None:
        from forgecrm.emails.signals import address_suppressed
        from forgecrm.followups.receivers import stop_sequences_of_address

        address_suppressed.connect(
            stop_sequences_of_address, dispatch_uid="followups.stop_sequences_of_address"
        )
