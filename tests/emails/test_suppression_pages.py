"""The suppressed-addresses page and API: filters, search, pages, and clearing (audited)."""

from datetime import UTC, datetime, timedelta

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forgecrm.emails.models import Suppression
from forgecrm.emails.services import record_bounce, suppressed_addresses
from tests.emails.factories import contact_with_address

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 12, 9, 30, tzinfo=UTC)


def bounce(address: str, *, permanent: bool = True, at: datetime = AT, detail: str = "550 5.1.1"):
    record_bounce(address=address, permanent=permanent, email=None, at=at, detail=detail)


def test_the_page_lists_blocking_addresses_with_why_and_whose_they_are(member_client):
    contact_with_address("gone@acme.example", first_name="Gone", last_name="Away")
    bounce("gone@acme.example", detail="550 5.1.1 user unknown")
    bounce("full@acme.example", permanent=False, detail="452 mailbox full")  # counting only

    html = member_client.get(reverse("emails:suppressions")).content.decode()

    assert "gone@acme.example" in html and "Undeliverable" in html
    assert "bounced permanently on 12 Nov 2026: 550 5.1.1 user unknown" in html
    assert "Gone Away" in html
    assert "full@acme.example" not in html
    counting = member_client.get(reverse("emails:suppressions"), {"state": "counting"})
    assert "full@acme.example" in counting.content.decode()
    assert "1 soft bounce" in counting.content.decode()


def test_the_page_searches_filters_and_pages_in_a_fixed_number_of_queries(member_client):
    for n in range(30):
        bounce(f"person{n}@acme.example", at=AT + timedelta(minutes=n))
        contact_with_address(f"person{n}@acme.example")
    url = reverse("emails:suppressions")

    with CaptureQueriesContext(connection) as first:
        page_one = member_client.get(url)
    assert page_one.context["page"].paginator.count == 30
    assert len(page_one.context["page"].object_list) == 25
    with CaptureQueriesContext(connection) as second:
        page_two = member_client.get(url, {"page": 2})
    assert len(page_two.context["page"].object_list) == 5
    assert len(first) == len(second)

    found = member_client.get(url, {"q": "person7@"}).context["page"]
    assert [s.address for s in found] == ["person7@acme.example"]
    assert member_client.get(url, {"reason": "unsubscribed"}).context["page"].paginator.count == 0
    empty = member_client.get(url, {"q": "nobody"}).content.decode()
    assert "No addresses match these filters." in empty


def test_a_manager_clears_an_address_and_it_can_be_written_to_again(manager, client):
    bounce("gone@acme.example")
    suppression = Suppression.objects.get()
    client.force_login(manager)

    response = client.post(
        reverse("emails:suppression_clear", args=[suppression.pk]), {"next": "/admin/crm/clients/"}
    )

    assert response.status_code == 302 and response["Location"] == "/admin/crm/clients/"
    assert suppressed_addresses(["gone@acme.example"]) == set()
    suppression.refresh_from_db()
    assert suppression.cleared_by == manager and suppression.cleared_at
    entry = LogEntry.objects.get_for_object(suppression).filter(actor=manager).get()
    assert "cleared_at" in entry.changes_dict


def test_clearing_never_redirects_to_another_site(manager, client):
    bounce("gone@acme.example")
    client.force_login(manager)
    response = client.post(
        reverse("emails:suppression_clear", args=[Suppression.objects.get().pk]),
        {"next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("emails:suppressions")


def test_a_member_sees_the_list_but_cannot_clear(member_client):
    bounce("gone@acme.example")
    suppression = Suppression.objects.get()
    html = member_client.get(reverse("emails:suppressions")).content.decode()
    assert reverse("emails:suppression_clear", args=[suppression.pk]) not in html
    response = member_client.post(reverse("emails:suppression_clear", args=[suppression.pk]))
    assert response.status_code == 403
    assert suppressed_addresses(["gone@acme.example"]) == {"gone@acme.example"}


def test_the_api_lists_and_clears(api, manager_api):
    bounce("gone@acme.example", detail="550 5.1.1 user unknown")
    bounce("full@acme.example", permanent=False)

    listed = api.get("/emails/suppressions").json()
    assert listed["count"] == 1
    [item] = listed["items"]
    assert item["address"] == "gone@acme.example" and item["blocking"] is True
    assert item["why"] == "bounced permanently on 12 Nov 2026: 550 5.1.1 user unknown"
    assert api.get("/emails/suppressions", {"state": "all"}).json()["count"] == 2
    assert api.get("/emails/suppressions", {"state": "nonsense"}).status_code == 422

    assert api.delete(f"/emails/suppressions/{item['id']}").status_code == 403
    assert manager_api.delete(f"/emails/suppressions/{item['id']}").status_code == 204
    assert manager_api.delete("/emails/suppressions/999999").status_code == 404
    assert api.get("/emails/suppressions").json()["count"] == 0
    cleared = api.get("/emails/suppressions", {"state": "cleared"}).json()["items"]
    assert cleared[0]["cleared_at"] and cleared[0]["blocking"] is False


def test_the_client_page_marks_undeliverable_and_unsubscribed_addresses(manager, client):
    contact = contact_with_address("gone@acme.example", first_name="Gone")
    contact_with_address("fine@acme.example", client=contact.client)
    bounce("Gone@Acme.example", detail="550 5.1.1 user unknown")
    client.force_login(manager)

    html = client.get(reverse("clients:detail", args=[contact.client_id])).content.decode()

    assert html.count("suppressed-address") == 1
    assert "Undeliverable" in html
    assert "Bounced permanently on 12 Nov 2026: 550 5.1.1 user unknown" in html
    clear_url = reverse("emails:suppression_clear", args=[Suppression.objects.get().pk])
    assert f'action="{clear_url}"' in html


def test_the_client_page_costs_one_query_more_for_suppressions_however_many_contacts(
    member_client,
):
    first = contact_with_address("a0@acme.example")
    url = reverse("clients:detail", args=[first.client_id])
    member_client.get(url)
    with CaptureQueriesContext(connection) as one:
        member_client.get(url)
    for n in range(1, 6):
        contact_with_address(f"a{n}@acme.example", client=first.client)
        bounce(f"a{n}@acme.example")
    with CaptureQueriesContext(connection) as six:
        html = member_client.get(url).content.decode()
    assert html.count("Undeliverable") == 5
    assert len(six) == len(one)
