"""What other apps may react to without the emails app knowing them."""

from django.dispatch import Signal

# Sent as an address stops receiving our mail (a permanent bounce, the soft-bounce limit, an
# unsubscribe), with keyword arguments `address` (lowercased) and `at`.
address_suppressed = Signal()
