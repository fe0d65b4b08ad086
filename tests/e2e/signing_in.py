"""Ways for a browser test to be signed in."""

from django.conf import settings
from django.test import Client as HttpClient

from tests.factories import TEST_PASSWORD


def sign_in_with_form(page, path: str, *, username: str = "nusrat") -> None:
    """Open `path`, land on the login page and sign in there as a person would."""
    page.goto(path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # The page signed in to, loaded: its scripts (htmx) run at the end of the body, after
    # the elements a test finds first, and a field typed in before htmx binds sends nothing.
    page.wait_for_url(lambda url: "/accounts/login/" not in url, wait_until="load")


def sign_in_with_session(page, live_server, user) -> None:
    """Hand the browser a Django session for `user` (the form itself is tested elsewhere)."""
    http = HttpClient()
    http.force_login(user)
    cookie = http.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
