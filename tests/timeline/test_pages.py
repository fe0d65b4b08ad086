"""Pages: the client's timeline, the quick log, CSV export, an entry, search, the dashboard."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forgecrm.clients import services as client_services
from forgecrm.emails.models import Email
from forgecrm.timeline.models import Communication
from tests.factories import ClientFactory, ContactFactory, UserFactory
from tests.timeline.factories import CommunicationFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def body(response) -> str:
    return response.content.decode()


def signed_in(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def log_url(client) -> str:
    return reverse("timeline:log", args=[client.pk])


def timeline_url(client) -> str:
    return reverse("timeline:client", args=[client.pk])


# ---- The client page ----


def test_the_client_page_shows_timeline_quick_log_and_insights(member_client):
    client = ClientFactory()
    CommunicationFactory(client=client, subject="Discussed the redesign")
    page = body(member_client.get(client.get_absolute_url()))
    assert 'id="timeline"' in page
    assert "Discussed the redesign" in page
    assert 'id="quick-log"' in page
    assert "Engagement score" in page
    assert "40 × max(0, 1 − days since last contact ÷ 90)" in page


def test_viewers_see_the_timeline_but_no_quick_log(viewer_client):
    client = ClientFactory()
    CommunicationFactory(client=client, subject="Discussed the redesign")
    page = body(viewer_client.get(client.get_absolute_url()))
    assert "Discussed the redesign" in page
    assert 'id="quick-log"' not in page


def test_without_the_timeline_permission_the_client_page_has_no_timeline():
    reader = UserFactory()
    reader.user_permissions.add(Permission.objects.get(codename="view_client"))
    client = ClientFactory()
    CommunicationFactory(client=client, subject="Discussed the redesign")
    page = body(signed_in(reader).get(client.get_absolute_url()))
    assert "Discussed the redesign" not in page
    assert 'id="timeline"' not in page


def _page_queries(http: HttpClient, client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(client.get_absolute_url())
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _client_with_entries(n: int):
    client = ClientFactory()
    contact = ContactFactory(client=client)
    colleague = UserFactory()
    start = timezone.now() - timedelta(days=400)
    entries = Communication.objects.bulk_create(
        Communication(
            client=client,
            kind=("call", "email", "meeting", "whatsapp", "sms", "note")[i % 6],
            direction="inbound" if i % 3 else "outbound",
            subject=f"Entry {i}",
            content="Talked about the project",
            occurred_at=start + timedelta(minutes=37 * i),
            contact=contact,
        )
        for i in range(n)
    )
    through = Communication.participant_users.through
    through.objects.bulk_create(
        through(communication_id=e.pk, user_id=colleague.pk) for e in entries[-30:]
    )
    return client


def test_the_client_page_has_a_fixed_number_of_queries(member_client, django_assert_num_queries):
    """The same count for 10 entries as for 1,000: the first page and the insights only."""
    few, many = _client_with_entries(10), _client_with_entries(1000)
    member_client.get(few.get_absolute_url())  # warm caches (content types, session)
    baseline = _page_queries(member_client, few)
    with django_assert_num_queries(baseline):
        response = member_client.get(many.get_absolute_url())
    assert body(response).count('class="timeline-entry"') == 10
    assert "Show older entries" in body(response)


# ---- The timeline's list (htmx) ----


def test_filter_search_and_older_pages(member_client):
    client = ClientFactory()
    now = timezone.now()
    calls = [
        CommunicationFactory(
            client=client, subject=f"Call {n}", occurred_at=now - timedelta(hours=n)
        )
        for n in range(25)
    ]
    CommunicationFactory(client=client, kind="note", subject="Quote agreed", occurred_at=now)

    notes = body(member_client.get(timeline_url(client), {"type": "note"}, **HTMX))
    assert "Quote agreed" in notes and "Call 0" not in notes

    found = body(member_client.get(timeline_url(client), {"q": "quote"}, **HTMX))
    assert "Quote agreed" in found and "Call 1" not in found

    first = member_client.get(timeline_url(client), {"type": "call"}, **HTMX)
    cursor = first.context["timeline"]["page"].next_cursor
    assert [e.pk for e in first.context["timeline"]["page"].entries] == [c.pk for c in calls[:10]]
    older = member_client.get(timeline_url(client), {"type": "call", "cursor": cursor}, **HTMX)
    assert [e.pk for e in older.context["timeline"]["page"].entries] == [c.pk for c in calls[10:20]]
    assert 'id="timeline-list"' not in body(older)  # rows only, appended by htmx


def test_without_htmx_the_timeline_url_leads_to_the_client_page(member_client):
    client = ClientFactory()
    response = member_client.get(timeline_url(client), {"type": "note", "cursor": "1.2"})
    assert response.status_code == 302
    assert response["Location"] == f"{client.get_absolute_url()}?type=note#timeline"


# ---- Quick log ----


def test_quick_log_with_htmx_returns_the_entry_a_fresh_form_and_insights(member_client, member):
    client = ClientFactory()
    contact = ContactFactory(client=client)
    response = member_client.post(
        log_url(client),
        {
            "kind": "whatsapp",
            "direction": "inbound",
            "subject": "Sent the wireframes",
            "content": "They liked the colours",
            "contact": contact.pk,
            "duration_minutes": "",
            "occurred_at": "",
        },
        **HTMX,
    )
    assert response.status_code == 200
    entry = Communication.objects.get()
    assert (entry.kind, entry.direction, entry.contact, entry.created_by) == (
        "whatsapp",
        "inbound",
        contact,
        member,
    )
    html = body(response)
    assert html.lstrip().startswith(f'<li class="timeline-entry" id="comm-{entry.pk}"')
    assert 'id="quick-log"' in html and 'hx-swap-oob="true"' in html
    assert 'id="timeline-insights"' in html
    # The fresh form keeps the type just used, empty otherwise.
    assert 'id="ql-kind-whatsapp" value="whatsapp" autocomplete="off" checked' in html
    assert "They liked the colours" not in html.split('id="quick-log"')[1]


def test_the_quick_log_remembers_the_last_type_in_the_session(member_client):
    client = ClientFactory()
    member_client.post(
        log_url(client), {"kind": "meeting", "direction": "outbound", "subject": "Kick-off"}
    )
    page = body(member_client.get(client.get_absolute_url()))
    assert 'id="ql-kind-meeting" value="meeting" autocomplete="off" checked' in page


def test_quick_log_without_htmx_redirects_to_the_timeline(member_client):
    client = ClientFactory()
    response = member_client.post(
        log_url(client), {"kind": "call", "direction": "outbound", "subject": "Called"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{client.get_absolute_url()}#timeline"
    assert Communication.objects.get().subject == "Called"


def test_an_invalid_quick_log_shows_the_errors(member_client):
    client = ClientFactory()
    response = member_client.post(
        log_url(client), {"kind": "call", "direction": "outbound", "is_private": "on"}, **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#quick-log"
    assert "Write a short summary or some notes." in body(response)
    assert "Only notes can be private." in body(response)
    assert not Communication.objects.exists()
    response = member_client.post(log_url(client), {"kind": "call", "direction": "outbound"})
    assert response.status_code == 422
    assert "Please correct the fields marked below." in body(response)


def test_a_private_note_from_the_quick_log(member_client, member, manager):
    client = ClientFactory()
    member_client.post(
        log_url(client),
        {
            "kind": "note",
            "direction": "outbound",
            "content": "Owner is hard to reach",
            "is_private": "on",
        },
    )
    note = Communication.objects.get()
    assert note.is_private
    assert "Owner is hard to reach" in body(member_client.get(client.get_absolute_url()))
    other = signed_in(manager)
    assert "Owner is hard to reach" not in body(other.get(client.get_absolute_url()))
    assert other.get(note.get_absolute_url()).status_code == 404
    assert member_client.get(note.get_absolute_url()).status_code == 200


def test_viewers_cannot_log(viewer_client):
    client = ClientFactory()
    response = viewer_client.post(log_url(client), {"kind": "call", "subject": "x"})
    assert response.status_code == 403
    assert not Communication.objects.exists()


def test_no_logging_on_a_client_in_the_trash(member_client, member):
    client = ClientFactory()
    client_services.client_delete(client=client, actor=member)
    response = member_client.post(log_url(client), {"kind": "call", "subject": "x"})
    assert response.status_code == 404


# ---- CSV export ----


def _csv(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(content)))


def test_csv_export_streams_the_filtered_timeline(member_client, member, manager):
    client = ClientFactory(name="Padma Textiles")
    rahim = ContactFactory(client=client, first_name="Rahim", last_name="Uddin")
    now = timezone.now()
    call = CommunicationFactory(
        client=client,
        subject="Price talk",
        contact=rahim,
        duration_minutes=15,
        occurred_at=now - timedelta(hours=1),
        created_by=member,
    )
    call.participant_contacts.add(rahim)
    CommunicationFactory(client=client, kind="note", subject='=HYPERLINK("x")', occurred_at=now)
    CommunicationFactory(
        client=client, kind="note", subject="Manager's secret", is_private=True, created_by=manager
    )
    response = member_client.get(reverse("timeline:export", args=[client.pk]))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="timeline-padma-textiles-' in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:4] == ["When", "Type", "Direction", "Summary"]
    assert [row[3] for row in rows[1:]] == ['\'=HYPERLINK("x")', "Price talk"]
    price = rows[2]
    assert price[1:3] == ["Call", "Outbound"]
    assert price[5] == "15" and price[7] == "Rahim Uddin" and price[8] == "Rahim Uddin"

    only_notes = _csv(
        member_client.get(reverse("timeline:export", args=[client.pk]), {"type": "note"})
    )
    assert len(only_notes) == 2


def test_csv_export_needs_the_view_permission():
    client = ClientFactory()
    assert (
        signed_in(UserFactory()).get(reverse("timeline:export", args=[client.pk])).status_code
        == 403
    )


# ---- An entry ----


def test_entry_page_and_delete(member_client, manager):
    entry = CommunicationFactory(subject="Wrong client", outcome="None")
    page = body(member_client.get(entry.get_absolute_url()))
    assert "Wrong client" in page
    assert "Delete" not in page  # members may not delete
    assert member_client.post(reverse("timeline:delete", args=[entry.pk])).status_code == 403
    response = signed_in(manager).post(reverse("timeline:delete", args=[entry.pk]))
    assert response.status_code == 302
    assert not Communication.objects.exists()


# ---- Search ----


def search(http: HttpClient, q: str, **params):
    return http.get(reverse("timeline:search"), {"q": q, **params})


def test_search_groups_results_by_kind_and_links_them(member_client):
    client = ClientFactory(name="Meghna Foods Ltd")
    contact = ContactFactory(client=client, first_name="Meghna", last_name="Akter")
    entry = CommunicationFactory(client=client, content="Meghna wants a mobile app")
    email = Email.objects.create(
        message_id="<m@forgecrm.example>",
        client=client,
        subject="Meghna proposal",
        body_text="Attached",
        status="sent",
    )
    response = search(member_client, "meghna")
    assert response.status_code == 200
    groups = {group.key: group for group in response.context["groups"]}
    assert [h.url for h in groups["clients"].hits] == [client.get_absolute_url()]
    assert [h.url for h in groups["contacts"].hits] == [contact.get_absolute_url()]
    assert [h.url for h in groups["communications"].hits] == [entry.get_absolute_url()]
    assert [h.url for h in groups["emails"].hits] == [reverse("emails:detail", args=[email.pk])]
    assert "<mark>Meghna</mark> wants a mobile app" in body(response)
    assert "<mark>Meghna</mark> proposal" in body(response)


def test_search_respects_permissions(member, manager):
    client = ClientFactory(name="Secretive Ltd")
    CommunicationFactory(client=client, content="secretive call")
    CommunicationFactory(
        client=client, kind="note", content="secretive private", is_private=True, created_by=manager
    )
    reader = UserFactory()
    reader.user_permissions.add(Permission.objects.get(codename="view_communication"))
    response = search(signed_in(reader), "secretive")
    assert [group.key for group in response.context["groups"]] == ["communications"]
    hits = response.context["groups"][0].hits
    assert [str(h.snippet) for h in hits] == ["<mark>secretive</mark> call"]
    manager_hits = search(signed_in(manager), "secretive", kind="communications").context["groups"]
    assert len(manager_hits[0].hits) == 2
    assert search(signed_in(UserFactory()), "secretive").status_code == 403


def test_search_leaves_out_clients_in_the_trash(member_client, member):
    client = ClientFactory(name="Vanished Ltd")
    CommunicationFactory(client=client, content="vanished call")
    client_services.client_delete(client=client, actor=member)
    assert not search(member_client, "vanished").context["found"]


def test_one_kind_is_paged(member_client):
    client = ClientFactory()
    for n in range(25):
        CommunicationFactory(client=client, content=f"invoice number {n}")
    first = search(member_client, "invoice", kind="communications").context["groups"]
    assert len(first[0].hits) == 20 and first[0].has_more
    second = search(member_client, "invoice", kind="communications", page=2).context["groups"]
    assert len(second[0].hits) == 5 and not second[0].has_more
    assert search(member_client, "invoice", kind="nonsense").status_code == 404


def test_the_dropdown_and_an_empty_search(member_client):
    CommunicationFactory(content="dropdown word")
    response = search(member_client, "dropdown", dropdown="1")
    assert "<html" not in body(response)
    assert "All results for “dropdown”" in body(response)
    empty = search(member_client, "  ")
    assert empty.status_code == 200 and not empty.context["groups"]


def test_the_header_has_the_search_box_for_those_who_may_search(member_client):
    page = body(member_client.get(reverse("core:dashboard")))
    assert 'id="header-search"' in page
    page = body(signed_in(UserFactory()).get(reverse("core:dashboard")))
    assert 'id="header-search"' not in page


# ---- Dashboard ----


def test_the_dashboard_shows_recent_activity(member_client, member):
    client = ClientFactory(name="Buriganga Boats")
    CommunicationFactory(client=client, subject="Boat demo", created_by=member)
    page = body(member_client.get(reverse("core:dashboard")))
    assert "Recent activity" in page
    assert "Call · Buriganga Boats" in page
    assert "New client · Buriganga Boats" in page
