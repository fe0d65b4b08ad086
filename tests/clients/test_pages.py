"""The server-rendered pages for clients and contact persons."""

from datetime import date

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forgecrm.clients import services
from forgecrm.clients.models import Client, ContactPerson
from tests.factories import (
    ClientEmailFactory,
    ClientFactory,
    ClientPhoneFactory,
    ContactEmailFactory,
    ContactFactory,
    ContactPhoneFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def list_url() -> str:
    return reverse("clients:list")


def create_url() -> str:
    return reverse("clients:create")


@pytest.fixture
def manager_client(manager) -> HttpClient:
    client = HttpClient()
    client.force_login(manager)
    return client


def rows(prefix: str, items: list[dict], initial: int = 0) -> dict:
    """POST data for a formset: management form plus one group of fields per row."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(items)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "20",
    }
    for index, item in enumerate(items):
        for key, value in item.items():
            if value is True:
                value = "on"
            if value is False:
                continue
            data[f"{prefix}-{index}-{key}"] = value
    return data


def client_post(**overrides) -> dict:
    data = {
        "name": "Padma Textiles Ltd",
        "status": "active",
        "tier": "gold",
        "industry": "Garments",
        "timezone": "Asia/Dhaka",
        "currency": "BDT",
        "lifetime_value": "0",
        "annual_contract_value": "120000",
        "client_since": "2024-03-01",
        **rows("emails", [{"email": "hello@padma.example", "label": "work", "is_primary": True}]),
        **rows("phones", [{"number": "01711-000001", "kind": "office"}]),
    }
    data.update(overrides)
    return data


def contact_post(**overrides) -> dict:
    data = {
        "first_name": "Rahim",
        "last_name": "Uddin",
        "job_title": "CTO",
        "role": "technical",
        "preferred_channel": "email",
        "timezone": "",
        **rows("emails", [{"email": "rahim@padma.example", "label": "work", "is_primary": True}]),
        **rows("phones", [{"number": "01811-222333", "kind": "whatsapp"}]),
    }
    data.update(overrides)
    return data


def body(response) -> str:
    return response.content.decode()


# --- List -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(list_url())
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_signed_in_without_role_gets_403(outsider):
    http = HttpClient()
    http.force_login(outsider)
    assert http.get(list_url()).status_code == 403


def test_list_shows_clients_with_contact_and_email(member_client):
    acme = ClientFactory(name="Acme Bangladesh", status="prospect", tier="platinum")
    ClientEmailFactory(client=acme, email="info@acme.example")
    person = ContactFactory(client=acme, first_name="Karim", last_name="Hossain")
    acme.primary_contact = person
    acme.save()
    ClientFactory(name="Bengal Foods")

    response = member_client.get(list_url())

    assert response.status_code == 200
    html = body(response)
    assert "Acme Bangladesh" in html and "Bengal Foods" in html
    assert "Karim Hossain" in html
    assert "info@acme.example" in html
    assert "badge-status-prospect" in html and "badge-tier-platinum" in html
    assert "2</strong> clients" in html
    assert reverse("clients:create") in html  # members may add clients


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"status": "prospect"}, {"Prospect Co"}),
        ({"tier": "gold"}, {"Gold Co"}),
        ({"q": "nusrat"}, {"Gold Co"}),  # a contact person's name
        ({"q": "01711-000001"}, {"Prospect Co"}),  # a phone number in local format
        ({"industry": "Fintech"}, {"Prospect Co"}),
        ({"client_since_from": "2024-01-01"}, {"Gold Co"}),
    ],
)
def test_list_filters_and_search(member_client, params, expected):
    prospect = ClientFactory(
        name="Prospect Co", status="prospect", tier="bronze", industry="Fintech"
    )
    ClientPhoneFactory(client=prospect, number="+8801711000001")
    services.refresh_search_text(prospect)
    gold = ClientFactory(
        name="Gold Co", status="active", tier="gold", client_since=date(2024, 5, 1)
    )
    ContactFactory(client=gold, first_name="Nusrat", last_name="Jahan")
    ClientFactory(name="Other Co", status="inactive", tier="silver")

    response = member_client.get(list_url(), params)

    assert response.status_code == 200
    names = {c.name for c in response.context["page"]}
    assert names == expected


def test_invalid_filter_values_are_ignored_with_a_message(member_client):
    ClientFactory(name="Still Listed")
    response = member_client.get(
        list_url(), {"status": "bogus", "client_since_from": "not-a-date", "order": "drop table"}
    )
    assert response.status_code == 200
    html = body(response)
    assert "Still Listed" in html
    assert "Some filters were ignored" in html
    assert "Client since (from)" in html


def test_pagination_keeps_filters(member_client):
    for n in range(30):
        ClientFactory(name=f"Active {n:02d}", status="active")
    for n in range(3):
        ClientFactory(name=f"Prospect {n}", status="prospect")

    first = member_client.get(list_url(), {"status": "active"})
    html = body(first)
    assert "30</strong> clients match" in html
    assert len(first.context["page"]) == 25
    assert "?status=active&amp;page=2" in html

    second = member_client.get(list_url(), {"status": "active", "page": "2"})
    names = [c.name for c in second.context["page"]]
    assert len(names) == 5
    assert all(name.startswith("Active") for name in names)
    assert "?status=active&amp;page=1" in body(second)


def test_empty_state_without_clients_invites_to_add_one(member_client):
    html = body(member_client.get(list_url()))
    assert "No clients yet" in html
    assert "Add your first client" in html


def test_empty_state_without_matches_offers_to_clear_filters(member_client):
    ClientFactory(name="Acme")
    html = body(member_client.get(list_url(), {"q": "zzzz-nothing"}))
    assert "No clients match" in html
    assert "clear filters" in html
    assert "Add your first client" not in html


def test_htmx_search_renders_only_the_results(member_client):
    ClientFactory(name="Acme")
    response = member_client.get(list_url(), {"q": "acme"}, HTTP_HX_REQUEST="true")
    html = body(response)
    assert response.status_code == 200
    assert "<html" not in html
    assert "Acme" in html
    assert "HX-Request" in response["Vary"]


# --- Create, edit ---------------------------------------------------------------------------


def test_create_client_with_email_and_phone(member_client, member):
    form = member_client.get(create_url())
    assert form.status_code == 200
    assert 'name="emails-TOTAL_FORMS"' in body(form)

    response = member_client.post(create_url(), client_post())

    client = Client.objects.get(name="Padma Textiles Ltd")
    assert response.status_code == 302
    assert response["Location"] == client.get_absolute_url()
    assert client.owner == member
    assert [e.email for e in client.email_addresses.all()] == ["hello@padma.example"]
    assert [str(p.number.as_e164) for p in client.phones.all()] == ["+8801711000001"]

    page = member_client.get(response["Location"])
    html = body(page)
    assert "was added" in html
    assert "+880 1711-000001" in html
    assert 'href="tel:+8801711000001"' in html
    assert 'href="mailto:hello@padma.example"' in html

    listed = body(member_client.get(list_url(), {"q": "01711-000001"}))
    assert "Padma Textiles Ltd" in listed


def test_invalid_create_shows_errors_and_creates_nothing(member_client):
    data = client_post(
        name="",
        website="not a url",
        **rows("emails", [{"email": "nope", "label": "work"}]),
    )
    response = member_client.post(create_url(), data)

    assert response.status_code == 422
    html = body(response)
    assert "Nothing was saved" in html
    assert 'aria-invalid="true"' in html
    assert "This field is required." in html
    assert "Enter a valid email address." in html
    assert 'href="#id_emails-0-email"' in html
    assert not Client.all_objects.exists()


def test_edit_client(member_client):
    client = ClientFactory(name="Old Name")
    ClientEmailFactory(client=client, email="old@example.com")
    url = reverse("clients:edit", args=[client.pk])

    form = member_client.get(url)
    assert 'value="old@example.com"' in body(form)

    data = client_post(
        name="New Name",
        **rows(
            "emails",
            [
                {"email": "old@example.com", "label": "work", "is_primary": True, "DELETE": True},
                {"email": "new@example.com", "label": "billing"},
            ],
            initial=1,
        ),
    )
    response = member_client.post(url, data)

    assert response.status_code == 302
    client.refresh_from_db()
    assert client.name == "New Name"
    assert [e.email for e in client.email_addresses.all()] == ["new@example.com"]


def test_editing_a_client_keeps_its_owner_who_has_left(member_client, api):
    left = UserFactory(username="former", is_active=False)
    client = ClientFactory(name="Padma Traders", owner=left)
    url = reverse("clients:edit", args=[client.pk])

    form = member_client.get(url).content.decode()
    assert f'<option value="{left.pk}" selected>' in form
    member_client.post(url, client_post(name="Padma Traders Ltd", owner=left.pk))
    client.refresh_from_db()
    assert (client.name, client.owner) == ("Padma Traders Ltd", left)

    response = api.put(f"/clients/{client.pk}", {"notes": "Called today"})
    assert response.status_code == 200, response.content
    client.refresh_from_db()
    assert client.owner == left
    new = member_client.get(reverse("clients:create")).content.decode()
    assert f'<option value="{left.pk}"' not in new  # not offered for other clients


def test_add_and_edit_contact_from_client_page(member_client):
    client = ClientFactory(name="Padma")
    profile = body(member_client.get(client.get_absolute_url()))
    add_url = reverse("clients:contact-create", args=[client.pk])
    assert add_url in profile
    assert "Add contact person" in profile

    response = member_client.post(add_url, contact_post())

    contact = ContactPerson.objects.get(client=client)
    assert response.status_code == 302
    assert response["Location"] == contact.get_absolute_url()
    client.refresh_from_db()
    assert client.primary_contact == contact

    html = body(member_client.get(client.get_absolute_url()))
    assert "Rahim Uddin" in html
    assert "Technical contact" in html
    assert "https://wa.me/8801811222333" in html
    edit_url = reverse("clients:contact-edit", args=[contact.pk])
    assert edit_url in html

    response = member_client.post(
        edit_url,
        contact_post(
            job_title="Chief Technology Officer",
            birthday="1990-07-15",
            **rows("phones", [{"number": "+8801811222333", "kind": "whatsapp"}], initial=1),
        ),
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.job_title == "Chief Technology Officer"
    html = body(member_client.get(client.get_absolute_url()))
    assert "Chief Technology Officer" in html
    assert "15 July 1990" in html


def test_invalid_contact_post_shows_errors(member_client):
    client = ClientFactory()
    url = reverse("clients:contact-create", args=[client.pk])
    response = member_client.post(url, contact_post(first_name=""))
    assert response.status_code == 422
    assert "This field is required." in body(response)
    assert not ContactPerson.objects.exists()


def test_delete_contact(manager_client):
    client = ClientFactory()
    contact = ContactFactory(client=client, first_name="Gone", last_name="Person")
    url = reverse("clients:contact-delete", args=[contact.pk])
    assert "Remove Gone Person" in body(manager_client.get(url))

    response = manager_client.post(url)

    assert response.status_code == 302
    html = body(manager_client.get(response["Location"]))
    assert "Gone Person was moved to the trash" in html
    assert f'id="contact-{contact.pk}"' not in html
    assert not ContactPerson.objects.filter(pk=contact.pk).exists()


# --- Delete, trash, restore -----------------------------------------------------------------


def test_delete_moves_to_trash_and_restore_brings_back(manager_client, settings):
    settings.SOFT_DELETE_RETENTION_DAYS = 30
    client = ClientFactory(name="Trashable Ltd")
    delete_url = reverse("clients:delete", args=[client.pk])

    confirm = body(manager_client.get(delete_url))
    assert "30 days" in confirm and "trash" in confirm

    response = manager_client.post(delete_url, follow=True)
    html = body(response)
    assert "moved to the trash" in html
    assert f'href="{reverse("clients:trash")}#client-{client.pk}"' in html  # the Undo link
    assert "Trashable Ltd" not in body(manager_client.get(list_url(), {"q": "trashable"}))
    assert manager_client.get(client.get_absolute_url()).status_code == 404

    trash = body(manager_client.get(reverse("clients:trash")))
    assert "Trashable Ltd" in trash
    assert "30 days" in trash

    restore = manager_client.post(reverse("clients:restore", args=[client.pk]))
    assert restore.status_code == 302
    assert "Trashable Ltd" in body(manager_client.get(list_url()))
    assert "Trashable Ltd" not in body(manager_client.get(reverse("clients:trash")))


def test_a_deleted_contact_is_in_the_trash_and_comes_back_as_primary(manager_client):
    client = ClientFactory(name="Padma Ltd")
    farhana = ContactFactory(client=client, first_name="Farhana", last_name="Akter")
    client.primary_contact = farhana
    client.save()

    deleted = manager_client.post(reverse("clients:contact-delete", args=[farhana.pk]), follow=True)
    undo = f"{reverse('clients:trash')}?show=contacts#contact-{farhana.pk}"
    assert f'href="{undo}"' in body(deleted)
    client.refresh_from_db()
    assert client.primary_contact is None
    assert "Farhana" not in body(manager_client.get(reverse("clients:trash")))
    trash = body(manager_client.get(reverse("clients:trash"), {"show": "contacts"}))
    assert "Farhana Akter" in trash and "Padma Ltd" in trash and "30 days" in trash

    restored = manager_client.post(
        reverse("clients:contact-restore", args=[farhana.pk]), follow=True
    )

    assert "Farhana Akter is back with Padma Ltd." in body(restored)
    client.refresh_from_db()
    assert client.primary_contact == farhana
    empty = body(manager_client.get(reverse("clients:trash"), {"show": "contacts"}))
    assert "No contact persons in the trash." in empty


def test_a_contact_of_a_deleted_client_comes_back_with_the_client_not_alone(manager_client):
    client = ClientFactory()
    contact = ContactFactory(client=client)
    services.contact_delete(contact=contact, actor=None)
    services.client_delete(client=client, actor=None)
    response = manager_client.post(reverse("clients:contact-restore", args=[contact.pk]))
    assert response.status_code == 404


def test_trash_shows_who_deleted(manager_client, manager):
    client = ClientFactory(name="Gone Ltd")
    services.client_delete(client=client, actor=manager)
    html = body(manager_client.get(reverse("clients:trash")))
    assert manager.get_full_name() in html


def test_members_cannot_delete_or_open_the_trash(member_client):
    client = ClientFactory()
    contact = ContactFactory(client=client)
    assert (
        member_client.post(reverse("clients:contact-delete", args=[contact.pk])).status_code == 403
    )
    assert member_client.get(reverse("clients:trash")).status_code == 403
    services.contact_delete(contact=contact, actor=None)
    restore = member_client.post(reverse("clients:contact-restore", args=[contact.pk]))
    assert restore.status_code == 403
    assert member_client.post(reverse("clients:delete", args=[client.pk])).status_code == 403
    assert Client.objects.filter(pk=client.pk).exists()


def test_restore_needs_post(manager_client):
    client = ClientFactory()
    services.client_delete(client=client, actor=None)
    assert manager_client.get(reverse("clients:restore", args=[client.pk])).status_code == 405


# --- Permissions ----------------------------------------------------------------------------


def test_viewer_sees_no_write_buttons_and_cannot_create(viewer_client):
    client = ClientFactory()
    ContactFactory(client=client)

    listing = body(viewer_client.get(list_url()))
    profile = body(viewer_client.get(client.get_absolute_url()))

    assert create_url() not in listing
    assert reverse("clients:edit", args=[client.pk]) not in profile
    assert reverse("clients:delete", args=[client.pk]) not in profile
    assert reverse("clients:contact-create", args=[client.pk]) not in profile
    assert "bi-pencil" not in profile
    assert viewer_client.post(create_url(), client_post()).status_code == 403
    assert viewer_client.get(reverse("clients:edit", args=[client.pk])).status_code == 403
    assert not Client.objects.filter(name="Padma Textiles Ltd").exists()


def test_trashed_or_missing_client_is_404(member_client):
    client = ClientFactory()
    services.client_delete(client=client, actor=None)
    assert member_client.get(client.get_absolute_url()).status_code == 404
    assert member_client.get(reverse("clients:detail", args=[999999])).status_code == 404
    assert member_client.get(reverse("clients:edit", args=[client.pk])).status_code == 404


# --- Profile --------------------------------------------------------------------------------


def test_profile_shows_company_data_and_history_with_actor(member_client, member):
    member_client.post(create_url(), client_post(website="https://padma.example"))
    client = Client.objects.get()
    member_client.post(
        reverse("clients:edit", args=[client.pk]),
        client_post(
            status="inactive",
            website="https://padma.example",
            owner=str(member.pk),
            annual_contract_value="120000.00",
            **rows(
                "emails",
                [{"email": "hello@padma.example", "label": "work", "is_primary": True}],
                initial=1,
            ),
            **rows("phones", [{"number": "+8801711000001", "kind": "office"}], initial=1),
        ),
    )

    html = body(member_client.get(client.get_absolute_url()))

    assert "https://padma.example" in html
    assert "BDT 120,000.00" in html
    assert "1 Mar 2024" in html
    assert "History" in html
    assert f"@{member.username}" in html
    assert "Changed" in html
    changed = next(
        item for item in response_history(member_client, client) if item.action == "Changed"
    )
    assert [(c.label, c.old, c.new) for c in changed.changes] == [("Status", "Active", "Inactive")]
    assert "<del>Active</del>" in html
    assert "No projects yet" in html and "No deals yet" in html


def test_history_names_related_rows(member_client, member):
    client = ClientFactory(name="Owned Co")
    services.client_update(
        client=client,
        fields={"owner": member},
        emails=[],
        phones=[],
        actor=member,
    )
    history = member_client.get(client.get_absolute_url()).context["history"]
    owner_change = next(c for item in history for c in item.changes if c.label == "Owner")
    assert (owner_change.old, owner_change.new) == (None, member.username)


def response_history(http: HttpClient, client: Client) -> list:
    return http.get(client.get_absolute_url()).context["history"]


def _profile_queries(http: HttpClient, client: Client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(client.get_absolute_url())
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _with_contacts(n: int) -> Client:
    client = ClientFactory()
    ClientEmailFactory(client=client)
    ClientPhoneFactory(client=client)
    for _ in range(n):
        contact = ContactFactory(client=client)
        ContactEmailFactory(contact=contact)
        ContactPhoneFactory(contact=contact)
    return client


def test_profile_query_count_does_not_grow_with_contacts(
    member_client, django_assert_max_num_queries
):
    few, many = _with_contacts(3), _with_contacts(15)
    member_client.get(few.get_absolute_url())  # warm caches (content types, session)
    baseline = _profile_queries(member_client, few)

    with django_assert_max_num_queries(baseline):
        response = member_client.get(many.get_absolute_url())
    assert response.status_code == 200
    assert body(response).count('class="card shadow-sm h-100 contact-card"') == 15
    # the page, its timeline, documents (issue 8), coming dates (issue 7), suppressed addresses,
    # sequences, open follow-ups (one query each)
    assert baseline <= 31


def test_list_query_count_does_not_grow_with_clients(member_client, django_assert_max_num_queries):
    def make(n: int) -> None:
        for _ in range(n):
            client = ClientFactory()
            ClientEmailFactory(client=client)
            client.primary_contact = ContactFactory(client=client)
            client.save()

    make(5)
    member_client.get(list_url())
    with CaptureQueriesContext(connection) as ctx:
        member_client.get(list_url())
    baseline = len(ctx.captured_queries)

    make(20)
    with django_assert_max_num_queries(baseline):
        response = member_client.get(list_url())
    assert len(response.context["page"]) == 25
    assert baseline <= 15
