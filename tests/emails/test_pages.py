"""The email pages: history (filters, search, CSV), detail, composer and templates."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forgecrm.emails.models import (
    Email,
    EmailEvent,
    EmailLink,
    EmailStatus,
    EmailTemplate,
    EventKind,
)
from tests.emails.factories import (
    DealFactory,
    EmailFactory,
    EmailTemplateFactory,
    ProjectFactory,
    contact_with_address,
)
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 6) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def subjects(response) -> list[str]:
    assert response.status_code == 200
    return [email.subject for email in response.context["page"]]


# ---- History -------------------------------------------------------------------------------


def test_the_history_filters_by_client_type_status_and_dates(member_client):
    acme, beta = ClientFactory(name="Acme"), ClientFactory(name="Beta")
    EmailFactory(subject="Proposal", client=acme, email_type="proposal", sent_at=at(2))
    EmailFactory(subject="Invoice", client=beta, email_type="invoice", sent_at=at(9))
    EmailFactory(subject="Stuck", status=EmailStatus.OUTBOX, sent_at=None)
    url = reverse("emails:list")

    assert set(subjects(member_client.get(url))) == {"Proposal", "Invoice", "Stuck"}
    assert subjects(member_client.get(url, {"client": acme.pk})) == ["Proposal"]
    assert subjects(member_client.get(url, {"email_type": "invoice"})) == ["Invoice"]
    assert subjects(member_client.get(url, {"status": "outbox"})) == ["Stuck"]
    assert subjects(
        member_client.get(url, {"date_from": "2026-11-01", "date_to": "2026-11-05"})
    ) == ["Proposal"]
    # An invalid value is ignored and said so, never a 500.
    response = member_client.get(url, {"date_from": "soon"})
    assert response.status_code == 200
    assert "Some filters were ignored" in response.content.decode()


def test_the_history_searches_subjects_and_recipients_and_shows_the_outbox(member_client):
    EmailFactory(subject="Quarterly report", to="cfo@acme.example")
    EmailFactory(subject="Hello", to="rahim@beta.example", status=EmailStatus.OUTBOX)
    url = reverse("emails:list")

    assert subjects(member_client.get(url, {"q": "quarterly"})) == ["Quarterly report"]
    response = member_client.get(url, {"q": "rahim@beta"})
    assert subjects(response) == ["Hello"]
    assert "In outbox — not delivered" in response.content.decode()


def test_the_history_exports_the_filtered_list_as_csv(member_client):
    acme = ClientFactory(name="Acme")
    EmailFactory(subject="=HYPERLINK(1)", client=acme, to="cfo@acme.example", sent_at=at(3))
    EmailFactory(subject="Not this one")

    response = member_client.get(reverse("emails:export"), {"client": acme.pk})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:5] == ["id", "date", "status", "type", "subject"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["subject"] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet
    assert row["to"] == "cfo@acme.example"
    assert row["client"] == "Acme"
    assert row["date"] == "2026-11-03 12:00"  # the user's zone, Asia/Dhaka


def test_the_history_takes_the_same_number_of_queries_for_5_or_25_emails(member_client):
    client = ClientFactory()
    url = reverse("emails:list")
    member_client.get(url)  # warm the session and permission caches

    def queries_for(total: int) -> int:
        while Email.objects.count() < total:
            contact = contact_with_address(client=client)
            EmailFactory(client=client, contact=contact, subject=f"S{Email.objects.count()}")
        with CaptureQueriesContext(connection) as captured:
            response = member_client.get(url)
        assert len(response.context["page"]) == total
        return len(captured)

    assert queries_for(5) == queries_for(25)


# ---- Detail --------------------------------------------------------------------------------


def test_the_detail_shows_headers_sanitized_body_tracking_and_events(member_client):
    email = EmailFactory(
        subject="Welcome",
        body_html='<p>Hi</p><script>alert(1)</script><a href="https://x.example">x</a>',
        to="rahim@acme.example",
        open_count=2,
        status=EmailStatus.FAILED,
        last_error="550 mailbox unavailable",
    )
    link = EmailLink.objects.create(email=email, url="https://x.example", token="t" * 20)
    EmailEvent.objects.create(email=email, kind=EventKind.OPENED, occurred_at=at(4, 3))
    EmailEvent.objects.create(
        email=email, kind=EventKind.OPENED, occurred_at=at(4, 4), is_proxy=True
    )
    EmailEvent.objects.create(email=email, kind=EventKind.CLICKED, occurred_at=at(4, 5), link=link)

    response = member_client.get(reverse("emails:detail", args=[email.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "rahim@acme.example" in html
    assert "550 mailbox unavailable" in html
    assert "<script>alert(1)</script>" not in html and "alert(1)" not in html
    assert 'sandbox referrerpolicy="no-referrer"' in html
    events = response.context["events"]
    assert [e.kind for e in events] == ["opened", "opened", "clicked"]
    assert response.context["proxy_opens"] == 1
    assert "4 Nov 2026, 09:00" in html  # 03:00 UTC in Asia/Dhaka
    assert "https://x.example" in html


def test_attachments_are_downloaded_never_shown_inline(member_client, api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    contact = contact_with_address("rahim@acme.example")
    response = _compose(
        member_client,
        to=[str(contact.pk)],
        subject="Files",
        body_html="<p>See attached</p>",
        attachments=[SimpleUploadedFile("page.html", b"<script>x</script>", "text/html")],
    )
    email = Email.objects.get(subject="Files")
    attachment = email.attachments.get()
    response = member_client.get(reverse("emails:attachment", args=[email.pk, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"


# ---- Composer ------------------------------------------------------------------------------


def _compose(http, **fields):
    data = {"when": "now", **fields}
    return http.post(reverse("emails:compose"), data)


def test_compose_with_a_template_to_a_contact_creates_the_email_and_redirects(member_client):
    contact = contact_with_address("rahim@acme.example", first_name="Rahim")
    template = EmailTemplateFactory(subject="Hello {{contact_first_name}}")

    page = member_client.get(
        reverse("emails:compose"), {"client": contact.client_id, "contact": contact.pk}
    )
    assert page.status_code == 200
    assert page.context["form"].initial["to"] == [contact.pk]
    response = _compose(
        member_client, template=template.pk, to=[str(contact.pk)], cc=["boss@acme.example"]
    )

    email = Email.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("emails:detail", args=[email.pk])
    assert email.subject == "Hello Rahim"
    assert email.client_id == contact.client_id
    assert email.status == EmailStatus.QUEUED
    assert {(r.kind, r.address) for r in email.recipients.all()} == {
        ("to", "rahim@acme.example"),
        ("cc", "boss@acme.example"),
    }
    template.refresh_from_db()
    assert template.usage_count == 1
    # No mailbox in tests: the message says so rather than "sent".
    followed = member_client.get(response["Location"])
    assert "Kept in the outbox — not delivered" in followed.content.decode()


def test_compose_can_schedule_in_the_recipients_zone(member_client):
    contact = contact_with_address("rahim@acme.example")
    response = _compose(
        member_client,
        to=[str(contact.pk)],
        subject="Later",
        body_html="<p>Hi</p>",
        when="later",
        send_at="2099-01-02T09:30",
        timezone="recipient",
        follow_up_days="3",
        read_receipt="on",
    )
    assert response.status_code == 302
    email = Email.objects.get()
    assert email.status == EmailStatus.SCHEDULED
    assert email.follow_up_days == 3 and email.read_receipt_requested
    assert timezone.localtime(email.scheduled_at).strftime("%H:%M") == "09:30"  # Dhaka both


def test_compose_refuses_an_unknown_variable_next_to_the_field(member_client):
    contact = contact_with_address("rahim@acme.example")
    response = _compose(
        member_client, to=[str(contact.pk)], subject="Hi", body_html="<p>{{clinet_name}}</p>"
    )
    assert response.status_code == 422
    assert Email.objects.count() == 0
    errors = response.context["form"].errors
    assert "clinet_name" in " ".join(errors["body_html"])
    assert 'id="body_html-errors"' in response.content.decode()


def test_compose_refuses_attachments_that_are_too_big(member_client, settings):
    settings.EMAIL_ATTACHMENTS_MAX_BYTES = 1000
    contact = contact_with_address("rahim@acme.example")
    response = _compose(
        member_client,
        to=[str(contact.pk)],
        subject="Big",
        body_html="<p>Hi</p>",
        attachments=[SimpleUploadedFile("big.bin", b"x" * 1001)],
    )
    assert response.status_code == 422
    assert Email.objects.count() == 0
    assert "Attachments may add up to" in " ".join(response.context["form"].errors["attachments"])


def test_the_preview_fills_in_the_variables_and_stores_nothing(member_client):
    contact = contact_with_address("rahim@acme.example", first_name="Rahim")
    response = member_client.post(
        reverse("emails:compose_preview"),
        {"to": [str(contact.pk)], "subject": "Hi {{contact_first_name}}", "body_html": "<p>x</p>"},
    )
    assert response.status_code == 200
    assert "Hi Rahim" in response.content.decode()
    assert Email.objects.count() == 0


def test_a_viewer_cannot_compose(viewer_client):
    contact = contact_with_address("rahim@acme.example")
    assert viewer_client.get(reverse("emails:compose")).status_code == 403
    response = _compose(viewer_client, to=[str(contact.pk)], subject="Hi", body_html="<p>x</p>")
    assert response.status_code == 403
    assert Email.objects.count() == 0
    assert viewer_client.get(reverse("emails:list")).status_code == 200


def test_the_contact_search_finds_contacts_with_an_address(member_client):
    contact = contact_with_address("farhana@meghna.example", first_name="Farhana")
    response = member_client.get(reverse("emails:contact_search"), {"q": "farhana"})
    assert response.json()["results"] == [
        {
            "value": str(contact.pk),
            "text": contact.full_name,
            "email": "farhana@meghna.example",
            "client": contact.client.name,
            "suppressed": "",
        }
    ]


@pytest.mark.parametrize(
    ("name", "typed"), [("emails:contact_search", "farhana"), ("emails:client_search", "meghna")]
)
def test_the_pickers_shrug_off_a_nul_in_what_is_typed(member_client, name, typed):
    contact_with_address("farhana@meghna.example", first_name="Farhana", client__name="Meghna")
    response = member_client.get(reverse(name), {"q": f"\x00{typed}"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


# ---- Templates -----------------------------------------------------------------------------


def test_templates_are_listed_by_category_with_usage(member_client):
    EmailTemplateFactory(name="Proposal A", category="proposals")
    EmailTemplateFactory(name="Hello", category="general")
    response = member_client.get(reverse("email_templates:list"))
    assert [label for label, _ in response.context["groups"]] == ["General", "Proposals"]


def test_a_template_is_created_edited_and_refused_with_a_syntax_error(member_client):
    fields = {
        "name": "Thanks",
        "subject": "Thanks {{contact_first_name}}",
        "body_html": "<p>Thank you, {{client_name}}.</p>",
        "template_type": "follow-up",
        "category": "follow-ups",
        "is_active": "on",
    }
    assert member_client.post(reverse("email_templates:create"), fields).status_code == 302
    template = EmailTemplate.objects.get(name="Thanks")
    bad = {**fields, "subject": "Thanks {{contact_first_name"}
    response = member_client.post(reverse("email_templates:edit", args=[template.pk]), bad)
    assert response.status_code == 422
    assert response.context["form"].errors["subject"]
    template.refresh_from_db()
    assert template.subject == "Thanks {{contact_first_name}}"


def test_the_template_preview_is_for_a_chosen_contact(member_client):
    contact = contact_with_address(first_name="Rahim")
    response = member_client.post(
        reverse("email_templates:preview"),
        {
            "subject": "Hi {{contact_first_name}}",
            "body_html": "<p>{{client_name}}</p>",
            "preview_contact": contact.pk,
        },
    )
    assert "Hi Rahim" in response.content.decode()
    assert contact.client.name in response.content.decode()


def test_deleting_a_template_needs_the_permission(manager, member_client, client):
    template = EmailTemplateFactory()
    url = reverse("email_templates:delete", args=[template.pk])
    assert member_client.post(url).status_code == 403
    client.force_login(manager)
    assert client.post(url).status_code == 302
    assert not EmailTemplate.objects.filter(pk=template.pk).exists()


def test_the_composer_offers_the_chosen_clients_deals_and_projects(member_client):
    acme = ClientFactory(name="Acme")
    DealFactory(client=acme, title="Acme redesign")
    ProjectFactory(client=acme, name="Acme app")
    DealFactory(title="Someone else's deal")

    html = member_client.get(reverse("emails:compose"), {"client": acme.pk}).content.decode()

    assert "Acme redesign" in html and "Acme app" in html
    assert "Someone else" not in html
    assert 'hx-select="#about-fields"' in html


def test_the_composer_lists_only_the_chosen_client_and_finds_others_by_typing(member_client):
    chosen = ClientFactory(name="Shapla Garments")
    ClientFactory(name="Meghna Foods")

    page = member_client.get(reverse("emails:compose"), {"client": chosen.pk}).content.decode()
    found = member_client.get(reverse("emails:client_search"), {"q": "meghna"}).json()

    assert "Shapla Garments" in page
    assert "Meghna Foods" not in page
    assert [row["text"] for row in found["results"]] == ["Meghna Foods"]


def test_the_history_filter_lists_only_the_chosen_client(member_client):
    chosen = ClientFactory(name="Shapla Garments")
    ClientFactory(name="Meghna Foods")

    page = member_client.get(reverse("emails:list"), {"client": chosen.pk}).content.decode()
    huge = member_client.get(reverse("emails:list"), {"client": "9" * 30})

    assert "Shapla Garments" in page
    assert "Meghna Foods" not in page
    assert huge.status_code == 200
