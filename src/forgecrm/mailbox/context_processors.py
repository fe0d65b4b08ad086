from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from forgecrm.mailbox import queries

PERMISSION = "mailbox.view_mailboxrun"


def mailbox_warning(request: HttpRequest) -> dict[str, Callable[[], queries.StaleWarning | None]]:
    """`mailbox_warning` for base.html: why the mailbox reader needs a look, for those who
    may open its panel. Lazy and kept on the request: one query, only on pages that show it."""
    user = getattr(request, "user", None)
    if not settings.IMAP_URL or user is None or not user.is_authenticated:
        return {}

    def warning() -> queries.StaleWarning | None:
        if not hasattr(request, "_mailbox_warning"):
            allowed = user.has_perm(PERMISSION)
            found = queries.stale_warning(now=timezone.now()) if allowed else None
            request._mailbox_warning = found  # type: ignore[attr-defined]
        return request._mailbox_warning  # type: ignore[attr-defined]

    return {"mailbox_warning": warning}
