"""The email analytics page: the API's figures, as a person reads them."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forgecrm.accounts.models import UserProfile
from forgecrm.emails.models import EmailStatus
from tests.emails.factories import EmailFactory
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

URL = "/admin/crm/emails/analytics/"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in November 2026, UTC (Asia/Dhaka, the users' default zone, is UTC+6)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def known_emails() -> None:
    acme, beta = ClientFactory(name="Acme"), ClientFactory(name="Beta")
    opened = {"first_opened_at": at(20, 0), "open_count": 1}
    EmailFactory(
        email_type="proposal", client=acme, sent_at=at(2, 4), replied_at=at(3, 0), **opened
    )
    EmailFactory(email_type="proposal", client=acme, sent_at=at(2, 4, 30), **opened)
    EmailFactory(email_type="invoice", client=beta, sent_at=at(3, 9))
    EmailFactory(email_type="invoice", client=beta, sent_at=at(10, 9), **opened)
    EmailFactory(email_type="invoice", client=beta, status=EmailStatus.OUTBOX, sent_at=None)


def test_the_page_shows_the_rates_by_type_client_and_period(viewer_client):
    known_emails()
    response = viewer_client.get(URL, {"period": "week"})
    assert response.status_code == 200
    page = response.content.decode()
    result = response.context["result"]
    assert (result["totals"]["sent"], result["totals"]["open_rate"]) == (4, 75.0)
    assert 'data-figure="open_rate">75.0%' in page
    assert 'data-figure="reply_rate">25.0%' in page
    assert "after 20 h on average" in page  # sent 2 Nov 04:00, answered 3 Nov 00:00
    clients = [(r["client_name"], r["sent"], r["open_rate"]) for r in response.context["clients"]]
    assert clients == [("Acme", 2, 100.0), ("Beta", 2, 50.0)]
    assert "mail-privacy proxies" in page
    assert "vendor/chart.js/chart.umd.min.js" in page
    # The same rule as the API: outbox mail is never counted.
    api_totals = viewer_client.get("/api/admin/crm/emails/analytics").json()["totals"]
    assert api_totals["sent"] == 4


def test_best_time_is_in_the_users_time_zone(viewer_client, viewer):
    for minute in range(5):
        EmailFactory(sent_at=at(2, 4, minute), first_opened_at=at(2, 5), open_count=1)
    page = viewer_client.get(URL).content.decode()
    assert 'data-figure="best_time">Monday, 10:00' in page  # 04:00 UTC is 10:00 in Dhaka

    UserProfile.objects.update_or_create(user=viewer, defaults={"timezone": "Europe/London"})
    page = viewer_client.get(URL).content.decode()
    assert 'data-figure="best_time">Monday, 04:00' in page


def test_a_date_range_narrows_the_figures_and_a_bad_one_is_ignored(viewer_client):
    known_emails()
    narrowed = viewer_client.get(URL, {"date_from": "2026-11-09", "period": "month"})
    assert narrowed.context["result"]["totals"]["sent"] == 1
    assert [r["period"].isoformat() for r in narrowed.context["result"]["by_period"]] == [
        "2026-11-01"
    ]
    backwards = viewer_client.get(URL, {"date_from": "2026-11-09", "date_to": "2026-11-01"})
    assert backwards.status_code == 200
    assert "The end date is before the start date." in backwards.content.decode()
    assert backwards.context["result"]["totals"]["sent"] == 1  # only "from" was used


def test_empty_state_says_what_to_do(member_client):
    EmailFactory(status=EmailStatus.OUTBOX, sent_at=None)
    page = member_client.get(URL).content.decode()
    assert "Nothing to measure yet." in page
    assert "Send an email" in page
    assert "chart.umd.min.js" not in page
    in_range = member_client.get(URL, {"date_from": "2020-01-01", "date_to": "2020-01-31"})
    assert "No email was sent in this date range." in in_range.content.decode()


def test_clients_are_paginated_and_the_query_count_does_not_grow(viewer_client):
    def queries_for_page(number: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert viewer_client.get(URL, {"page": number}).status_code == 200
        return len(captured)

    for n in range(3):
        EmailFactory(client=ClientFactory(name=f"Client {n:02d}"), sent_at=at(2, 4))
    few = queries_for_page(1)
    for n in range(3, 30):
        EmailFactory(client=ClientFactory(name=f"Client {n:02d}"), sent_at=at(2, 4))
    assert queries_for_page(1) == few
    response = viewer_client.get(URL, {"page": 2})
    names = [row["client_name"] for row in response.context["clients"]]
    assert names == ["Client 25", "Client 26", "Client 27", "Client 28", "Client 29"]
    # Signing in, permissions and the header (6), then the analytics: 5 groupings, the
    # clients' count and page.
    assert few <= 13


def test_the_emails_section_links_to_it_and_outsiders_are_refused(viewer_client, client, outsider):
    assert URL in viewer_client.get("/admin/crm/emails/").content.decode()
    client.force_login(outsider)
    assert client.get(URL).status_code == 403
