"""Follow-ups reacting to other apps' signals."""

from datetime import datetime

from forgecrm.followups import services


def stop_sequences_of_address(
    sender: object, *, address: str, at: datetime, **kwargs: object
) -> None:
    """An address bounced for good, unsubscribed or was blocked: its contacts' sequences
    stop now."""
    services.stop_for_suppressed_address(address=address, at=at)
