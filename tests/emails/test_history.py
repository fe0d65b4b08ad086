"""Reading emails back: the list with its filters, one email in full, and the analytics."""

import base64
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forgecrm.emails.models import EmailStatus
from tests.conftest import ApiClient
from tests.emails.factories import EmailFactory, contact_with_address
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in November 2026, UTC (Asia/Dhaka is UTC+6)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def subjects(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [item["subject"] for item in response.json()["items"]]


def test_the_list_filters_by_client_type_status_dates_and_search(api):
    acme, beta = ClientFactory(name="Acme"), ClientFactory(name="Beta")
    EmailFactory(subject="Proposal", client=acme, email_type="proposal", sent_at=at(2, 4))
    EmailFactory(
        subject="Invoice",
        client=beta,
        email_type="invoice",
        sent_at=at(9, 20),
        to="billing@beta.example",
    )
    EmailFactory(subject="Hello", status=EmailStatus.FAILED, sent_at=None)

    assert subjects(api.get("/emails")) == ["Hello", "Invoice", "Proposal"]
    assert subjects(api.get("/emails", {"client": acme.pk})) == ["Proposal"]
    assert subjects(api.get("/emails", {"type": "invoice"})) == ["Invoice"]
    assert subjects(api.get("/emails", {"status": "failed"})) == ["Hello"]
    assert subjects(api.get("/emails", {"q": "beta.exam"})) == ["Invoice"]
    assert subjects(api.get("/emails", {"q": "propos"})) == ["Proposal"]
    # 9 Nov 20:00 UTC is already 10 Nov in Dhaka, the user's time zone.
    november = {"date_from": "2026-11-01", "date_to": "2026-11-09"}
    assert subjects(api.get("/emails", november)) == ["Proposal"]
    assert subjects(api.get("/emails", {"date_from": "2026-11-10", "date_to": "2026-11-10"})) == [
        "Invoice"
    ]
    assert api.get("/emails", {"type": "nonsense"}).status_code == 422


def test_the_list_takes_the_same_number_of_queries_for_any_page_size(api):
    def queries_for(n: int) -> int:
        for _ in range(n):
            EmailFactory(client=ClientFactory())
        with CaptureQueriesContext(connection) as captured:
            response = api.get("/emails", {"per_page": 50})
        assert response.status_code == 200
        return len(captured)

    assert queries_for(2) == queries_for(8)


def test_one_email_shows_its_recipients_attachments_links_and_events(api, committed, smtp, client):
    rahim = contact_with_address(first_name="Rahim", address="rahim@acme.example")
    body = {
        "to": [rahim.pk],
        "bcc": ["boss@pixelforgebd.com"],
        "subject": "Plan",
        "body_html": '<p><a href="https://pixelforgebd.com/plan">Plan</a></p>',
        "attachments": [
            {
                "filename": "../../etc/plan.html",
                "content_type": "text/html",
                "content_base64": base64.b64encode(b"<script>x</script>").decode(),
            }
        ],
    }
    with committed():
        email_id = api.post("/emails/send", body).json()["id"]
    detail = api.get(f"/emails/{email_id}").json()
    assert [(r["kind"], r["address"]) for r in detail["recipients"]] == [
        ("to", "rahim@acme.example"),
        ("bcc", "boss@pixelforgebd.com"),
    ]
    assert detail["links"] == [{"url": "https://pixelforgebd.com/plan", "click_count": 0}]
    assert [e["kind"] for e in detail["events"]] == ["queued", "sent"]
    [attachment] = detail["attachments"]
    assert attachment["filename"] == "plan.html" and attachment["size"] == 18

    download = api.get(f"/emails/{email_id}/attachments/{attachment['id']}")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == b"<script>x</script>"
    stored = rahim.emails.get().attachments.get().file.name
    assert "plan" not in stored and "." not in stored.rpartition("/")[2]
    assert api.get("/emails/999999").status_code == 404


def test_analytics_on_a_known_set_of_emails(api):
    acme, beta = ClientFactory(name="Acme"), ClientFactory(name="Beta")
    opened = {"first_opened_at": at(20, 0), "open_count": 1}
    # Monday 2 Nov, 10:00 and 10:30 in Dhaka: two proposals to Acme, both opened.
    EmailFactory(
        email_type="proposal",
        client=acme,
        sent_at=at(2, 4),
        click_count=1,
        replied_at=at(3, 0),
        **opened,
    )
    EmailFactory(email_type="proposal", client=acme, sent_at=at(2, 4, 30), **opened)
    # Tuesdays 3 and 10 Nov, 15:00 in Dhaka: invoices to Beta, one opened.
    EmailFactory(email_type="invoice", client=beta, sent_at=at(3, 9))
    EmailFactory(email_type="invoice", client=beta, sent_at=at(10, 9), **opened)
    EmailFactory(email_type="follow-up", sent_at=at(10, 9, 10))
    # Never delivered: not counted.
    EmailFactory(email_type="invoice", client=beta, status=EmailStatus.OUTBOX, sent_at=None)
    EmailFactory(email_type="invoice", client=beta, status=EmailStatus.FAILED, sent_at=None)

    result = api.get("/emails/analytics", {"period": "week", "min_sent": 2}).json()
    assert result["totals"] == {
        "sent": 5,
        "tracked": 5,
        "opened": 3,
        "clicked": 1,
        "replied": 1,
        "bounced": 0,
        "open_rate": 60.0,
        "click_rate": 20.0,
        "reply_rate": 20.0,
        "bounce_rate": 0.0,
        "response_hours": 20.0,  # sent 2 Nov 04:00, answered 3 Nov 00:00
    }
    by_type = {row["email_type"]: (row["sent"], row["open_rate"]) for row in result["by_type"]}
    assert by_type == {"proposal": (2, 100.0), "invoice": (2, 50.0), "follow-up": (1, 0.0)}
    by_client = [(r["client_name"], r["sent"], r["open_rate"]) for r in result["by_client"]]
    assert by_client == [("Acme", 2, 100.0), ("Beta", 2, 50.0)]
    by_week = [(r["period"], r["sent"], r["opened"]) for r in result["by_period"]]
    assert by_week == [("2026-11-02", 3, 2), ("2026-11-09", 2, 1)]
    by_hour = [(r["hour"], r["sent"], r["open_rate"]) for r in result["by_hour"]]
    assert by_hour == [(10, 2, 100.0), (15, 3, 33.3)]
    assert (result["best_hour"], result["best_weekday"]) == (10, "Monday")

    stricter = api.get("/emails/analytics", {"min_sent": 3}).json()
    assert (stricter["best_hour"], stricter["best_weekday"]) == (15, "Tuesday")
    by_month = api.get("/emails/analytics", {"period": "month", "date_from": "2026-11-09"}).json()
    assert [(r["period"], r["sent"]) for r in by_month["by_period"]] == [("2026-11-01", 2)]


def test_mail_written_in_a_mail_app_counts_as_sent_but_not_as_unopened(api):
    EmailFactory(sent_at=at(2, 4), first_opened_at=at(2, 5), open_count=1, click_count=1)
    EmailFactory(sent_at=at(2, 6))
    # Read from the Sent folder: it went out, but had no pixel and no tracked links.
    EmailFactory(sent_at=at(2, 7), tracking_token=None, replied_at=at(3, 0))
    totals = api.get("/emails/analytics").json()["totals"]
    assert (totals["sent"], totals["tracked"], totals["opened"]) == (3, 2, 1)
    assert (totals["open_rate"], totals["click_rate"]) == (50.0, 50.0)
    assert totals["reply_rate"] == 33.3


def test_a_viewer_reads_emails_but_an_outsider_does_not(viewer_api, outsider):
    EmailFactory()
    assert viewer_api.get("/emails").status_code == 200
    assert viewer_api.get("/emails/analytics").status_code == 200
    assert ApiClient(outsider).get("/emails").status_code == 403
