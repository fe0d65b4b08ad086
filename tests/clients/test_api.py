"""The clients and contacts JSON API under /api/admin/crm/ as its callers see it."""

from datetime import date
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forgecrm.clients.forms import ClientForm, ContactForm
from forgecrm.clients.models import Client, ContactPerson
from forgecrm.clients.schemas import ClientIn, ContactIn
from forgecrm.clients.services import refresh_search_text
from tests.factories import (
    ClientEmailFactory,
    ClientFactory,
    ClientPhoneFactory,
    ContactEmailFactory,
    ContactFactory,
    ContactPhoneFactory,
)

pytestmark = pytest.mark.django_db


def assert_field_error(response, field: str) -> None:
    """A 422 in the API's error shape, with a readable message for `field`."""
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["message"] == "Invalid input"
    messages = body["errors"].get(field)
    assert messages, body["errors"]
    assert all(isinstance(m, str) and m for m in messages)


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["items"]]


def client_with_people(name: str = "Acme Foods") -> Client:
    """A client with an address, a phone and a primary contact who has both too."""
    company = ClientFactory(name=name)
    ClientEmailFactory(client=company)
    ClientPhoneFactory(client=company)
    person = ContactFactory(client=company)
    ContactEmailFactory(contact=person)
    ContactPhoneFactory(contact=person)
    company.primary_contact = person
    company.save()
    refresh_search_text(company)
    return company


# ---- Creating and reading clients ----


def test_creating_a_client_answers_201_with_the_saved_client(api, member):
    response = api.post(
        "/clients",
        {
            "name": "Acme Foods",
            "status": "active",
            "tier": "gold",
            "lifetime_value": "150000.50",
            "currency": "USD",
            "emails": [
                {"email": "hello@acmefoods.com"},
                {"email": "billing@acmefoods.com", "label": "billing"},
            ],
            "phones": [{"number": "01711-000001", "kind": "office"}],
        },
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["name"] == "Acme Foods"
    assert (data["status"], data["status_label"]) == ("active", "Active")
    assert (data["tier"], data["tier_label"]) == ("gold", "Gold")
    assert (data["lifetime_value"], data["currency"]) == ("150000.50", "USD")
    assert data["emails"] == [
        {"email": "hello@acmefoods.com", "label": "work", "is_primary": True},
        {"email": "billing@acmefoods.com", "label": "billing", "is_primary": False},
    ]
    assert data["phones"] == [{"number": "+8801711000001", "kind": "office"}]
    assert data["owner"] == {"id": member.pk, "username": member.username}
    assert data["contacts"] == [] and data["primary_contact"] is None
    assert api.get(f"/clients/{data['id']}").json() == data


def test_every_field_of_the_client_form_can_be_set_through_the_api(api, manager):
    assert set(ClientIn.model_fields) == set(ClientForm.Meta.fields) | {"emails", "phones"}
    body = {
        "name": "Acme Foods",
        "status": "former",
        "tier": "platinum",
        "industry": "Retail",
        "company_size": "51-200",
        "website": "https://acmefoods.com.bd",
        "linkedin_url": "https://linkedin.com/company/acme",
        "facebook_url": "https://facebook.com/acme",
        "twitter_url": "https://x.com/acme",
        "tax_id": "BIN-001122",
        "address_line": "12 Gulshan Avenue",
        "city": "Dhaka",
        "postal_code": "1212",
        "country": "bd",
        "timezone": "Asia/Kolkata",
        "client_since": "2021-03-01",
        "contract_renewal_date": "2026-03-01",
        "currency": "EUR",
        "lifetime_value": 1200,
        "annual_contract_value": "300.5",
        "owner": manager.pk,
        "notes": "Pays on time.",
    }

    data = api.post("/clients", body).json()

    expected = {
        **body,
        "country": "BD",
        "lifetime_value": "1200.00",
        "annual_contract_value": "300.50",
        "owner": {"id": manager.pk, "username": manager.username},
    }
    assert {key: data[key] for key in expected} == expected


def test_a_client_shows_its_contacts_with_their_addresses(api):
    company = client_with_people()
    person = company.primary_contact
    address = company.email_addresses.get()

    data = api.get(f"/clients/{company.pk}").json()

    assert data["primary_contact"] == person.pk
    assert data["emails"] == [{"email": address.email, "label": "work", "is_primary": True}]
    assert data["phones"][0]["number"].startswith("+8801711")
    [contact] = data["contacts"]
    assert (contact["id"], contact["full_name"]) == (person.pk, person.full_name)
    assert contact["emails"][0]["email"] == person.email_addresses.get().email
    assert contact["phones"][0]["number"] == person.phones.get().number.as_e164


@pytest.mark.parametrize("client_id", ["424242", "9223372036854775808", "99999999999999999999999"])
def test_an_unknown_client_is_404(api, client_id):
    assert api.get(f"/clients/{client_id}").status_code == 404
    assert api.put(f"/clients/{client_id}", {"name": "X"}).status_code == 404


def test_a_client_id_that_is_not_a_number_is_422(api):
    assert_field_error(api.get("/clients/acme"), "client_id")


# ---- Listing clients ----


@pytest.fixture
def directory(db) -> dict[str, Client]:
    """Three clients that differ in every field the list filters on."""
    acme = ClientFactory(
        name="Acme Foods",
        status="active",
        tier="gold",
        industry="Retail",
        client_since=date(2021, 3, 1),
        lifetime_value=Decimal("900000"),
    )
    bright = ClientFactory(
        name="Bright Apps",
        status="prospect",
        tier="silver",
        industry="Software",
        client_since=date(2023, 6, 15),
        lifetime_value=Decimal("50000"),
    )
    cedar = ClientFactory(
        name="Cedar Bank",
        status="inactive",
        tier="platinum",
        industry="Finance",
        client_since=date(2024, 1, 10),
        lifetime_value=Decimal("250000"),
    )
    ClientEmailFactory(client=acme, email="hello@acmefoods.com.bd")
    ClientPhoneFactory(client=bright, number="+8801711000001")
    person = ContactFactory(client=cedar, first_name="Farhana", last_name="Karim")
    ContactEmailFactory(contact=person, email="farhana@cedarbank.com")
    ContactPhoneFactory(contact=person, number="+8801911222333")
    for company in (acme, bright, cedar):
        refresh_search_text(company)
    return {"acme": acme, "bright": bright, "cedar": cedar}


def test_the_list_is_a_page_of_light_rows(api, directory):
    acme = directory["acme"]
    acme.primary_contact = ContactFactory(client=acme, first_name="Rahim", last_name="Uddin")
    acme.save()

    body = api.get("/clients").json()

    assert {k: body[k] for k in ("count", "page", "pages", "per_page")} == {
        "count": 3,
        "page": 1,
        "pages": 1,
        "per_page": 25,
    }
    first = body["items"][0]
    assert first == {
        "id": acme.pk,
        "name": "Acme Foods",
        "status": "active",
        "status_label": "Active",
        "tier": "gold",
        "tier_label": "Gold",
        "industry": "Retail",
        "client_since": "2021-03-01",
        "primary_contact": acme.primary_contact_id,
        "primary_contact_name": "Rahim Uddin",
        "primary_email": "hello@acmefoods.com.bd",
        "currency": "BDT",
        "lifetime_value": "900000.00",
        "deleted_at": None,
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "active"}, ["Acme Foods"]),
        ({"tier": "platinum"}, ["Cedar Bank"]),
        ({"industry": "Software"}, ["Bright Apps"]),
        ({"industry": "Soft"}, []),
        ({"client_since_from": "2023-01-01"}, ["Bright Apps", "Cedar Bank"]),
        ({"client_since_to": "2023-06-15"}, ["Acme Foods", "Bright Apps"]),
        ({"client_since_from": "2022-01-01", "client_since_to": "2023-12-31"}, ["Bright Apps"]),
        ({"status": "active", "tier": "silver"}, []),
    ],
)
def test_the_list_filters(api, directory, params, expected):
    assert names(api.get("/clients", params)) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("acme", "Acme Foods"),
        ("CEDAR bank", "Cedar Bank"),
        ("Farhana", "Cedar Bank"),
        ("karim", "Cedar Bank"),
        ("bank cedar", "Cedar Bank"),  # words in any order
        ("hello@acmefoods", "Acme Foods"),
        ("farhana@cedarbank.com", "Cedar Bank"),
        ("01711-000001", "Bright Apps"),
        ("+880 1711-000001", "Bright Apps"),
        ("01911 222 333", "Cedar Bank"),
        ("০১৭১১-০০০০০১", "Bright Apps"),  # typed on a Bengali keyboard
    ],
)
def test_search_finds_company_people_emails_and_phones(api, directory, q, expected):
    assert names(api.get("/clients", {"q": q})) == [expected]


@pytest.mark.parametrize(
    ("stored", "typed"), [("\u09df", "\u09af\u09bc"), ("\u09af\u09bc", "\u09df")]
)
def test_a_bengali_letter_typed_either_way_is_found(api, stored, typed):
    """য় is one code point on some keyboards, য and a nukta on others."""
    company = ClientFactory(name=f"ম{stored}মনসিংহ Traders")
    refresh_search_text(company)
    assert names(api.get("/clients", {"q": f"ম{typed}মনসিংহ"})) == [company.name]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("name", ["Acme Foods", "Bright Apps", "Cedar Bank"]),
        ("-name", ["Cedar Bank", "Bright Apps", "Acme Foods"]),
        ("client_since", ["Acme Foods", "Bright Apps", "Cedar Bank"]),
        ("-lifetime_value", ["Acme Foods", "Cedar Bank", "Bright Apps"]),
        ("lifetime_value", ["Bright Apps", "Cedar Bank", "Acme Foods"]),
    ],
)
def test_the_list_orders(api, directory, order, expected):
    assert names(api.get("/clients", {"order": order})) == expected


def test_pages_of_the_list(api):
    ClientFactory.create_batch(5)

    body = api.get("/clients", {"per_page": 2, "page": 3}).json()

    assert {k: body[k] for k in ("count", "page", "pages", "per_page")} == {
        "count": 5,
        "page": 3,
        "pages": 3,
        "per_page": 2,
    }
    assert len(body["items"]) == 1
    response = api.get("/clients", {"per_page": 2, "page": 4})
    assert_field_error(response, "page")
    assert "3 pages" in response.json()["errors"]["page"][0]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"order": "revenue"}, "order"),
        ({"status": "vip"}, "status"),
        ({"tier": "diamond"}, "tier"),
        ({"client_since_from": "2024-02-30"}, "client_since_from"),
        ({"client_since_to": "yesterday"}, "client_since_to"),
        ({"page": "first"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"per_page": "100000"}, "per_page"),
        ({"per_page": "0"}, "per_page"),
        ({"q": "acme\x00"}, "q"),
        ({"q": "a" * 201}, "q"),
        ({"deleted": "maybe"}, "deleted"),
    ],
)
def test_bad_list_parameters_are_422_with_a_message(api, directory, params, field):
    assert_field_error(api.get("/clients", params), field)


def test_an_unknown_order_names_the_allowed_ones(api):
    message = api.get("/clients", {"order": "revenue"}).json()["errors"]["order"][0]
    assert "-lifetime_value" in message


# ---- Changing clients ----


def test_an_update_changes_only_the_fields_sent(api):
    company = client_with_people()
    before = api.get(f"/clients/{company.pk}").json()

    response = api.put(f"/clients/{company.pk}", {"status": "inactive", "industry": None})

    assert response.status_code == 200, response.content
    after = response.json()
    assert (after["status"], after["industry"]) == ("inactive", "")
    unchanged = ("name", "tier", "emails", "phones", "contacts", "primary_contact", "owner")
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}


def test_an_update_with_emails_replaces_the_list(api):
    company = client_with_people()

    data = api.put(
        f"/clients/{company.pk}",
        {"emails": [{"email": "new@acmefoods.com", "label": "billing"}]},
    ).json()

    assert data["emails"] == [
        {"email": "new@acmefoods.com", "label": "billing", "is_primary": True}
    ]
    assert company.email_addresses.get().email == "new@acmefoods.com"


def test_a_refused_update_changes_nothing(api):
    company = client_with_people()

    response = api.put(f"/clients/{company.pk}", {"name": "Renamed", "tier": "diamond"})

    assert_field_error(response, "tier")
    company.refresh_from_db()
    assert (company.name, company.tier) == ("Acme Foods", "silver")


def test_the_primary_contact_must_work_for_the_client(api):
    company = client_with_people()
    stranger = ContactFactory()
    assert_field_error(
        api.put(f"/clients/{company.pk}", {"primary_contact": stranger.pk}), "primary_contact"
    )


INVALID_CLIENT_BODIES = [
    ({"name": ""}, "name"),
    ({"name": None}, "name"),
    ({"name": ["Acme"]}, "name"),
    ({"name": "A" * 201}, "name"),
    ({"status": "vip"}, "status"),
    ({"tier": "diamond"}, "tier"),
    ({"company_size": "huge"}, "company_size"),
    ({"phones": [{"number": "12345"}]}, "phones.0.number"),
    ({"phones": [{"number": "01711-000001", "kind": "pager"}]}, "phones.0.kind"),
    ({"phones": [{"number": "01711-000001"}, {"number": "+8801711000001"}]}, "phones"),
    ({"emails": [{"email": "not-an-email"}]}, "emails.0.email"),
    ({"emails": [{"email": "a@acme.com"}, {"email": "A@ACME.com"}]}, "emails"),
    (
        {
            "emails": [
                {"email": "a@acme.com", "is_primary": True},
                {"email": "b@acme.com", "is_primary": True},
            ]
        },
        "emails",
    ),
    ({"emails": "hello@acme.com"}, "emails"),
    ({"emails": [{"email": f"e{n}@acme.com"} for n in range(21)]}, "emails"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"client_since": "2024-02-30"}, "client_since"),
    ({"client_since": "0024-02-03"}, "client_since"),
    ({"contract_renewal_date": 20250101}, "contract_renewal_date"),
    ({"lifetime_value": "a lot"}, "lifetime_value"),
    ({"lifetime_value": "1e20"}, "lifetime_value"),
    ({"lifetime_value": "Infinity"}, "lifetime_value"),
    ({"currency": "BTC"}, "currency"),
    ({"country": "Bangladesh"}, "country"),
    ({"website": "not a url"}, "website"),
    ({"owner": 987654}, "owner"),
    ({"owner": "me"}, "owner"),
    ({"primary_contact": 987654}, "primary_contact"),
    ({"nickname": "Acme"}, "nickname"),
]


@pytest.mark.parametrize(("body", "field"), INVALID_CLIENT_BODIES)
def test_invalid_client_input_is_422_with_a_message_per_field(api, body, field):
    response = api.post("/clients", {"name": "Acme Foods", **body})

    assert_field_error(response, field)
    assert not Client.all_objects.exists()


def test_a_body_that_is_not_a_json_object_is_refused(api):
    not_json = api.http.post("/api/admin/crm/clients", "{name", content_type="application/json")
    assert not_json.status_code == 400
    a_list = api.http.post("/api/admin/crm/clients", "[]", content_type="application/json")
    assert a_list.status_code == 422
    assert not Client.all_objects.exists()


# ---- The trash ----


def test_a_deleted_client_goes_to_the_trash_and_can_be_restored(manager_api):
    company = client_with_people()

    response = manager_api.delete(f"/clients/{company.pk}")

    assert response.status_code == 204
    assert manager_api.get(f"/clients/{company.pk}").status_code == 404
    assert names(manager_api.get("/clients")) == []
    assert names(manager_api.get("/contacts")) == []
    trash = manager_api.get("/clients", {"deleted": "true"}).json()["items"]
    assert [(row["name"], row["deleted_at"] is not None) for row in trash] == [("Acme Foods", True)]

    restored = manager_api.post(f"/clients/{company.pk}/restore")

    assert restored.status_code == 200, restored.content
    assert restored.json()["contacts"][0]["id"] == company.primary_contact_id
    assert names(manager_api.get("/clients")) == ["Acme Foods"]
    assert names(manager_api.get("/clients", {"deleted": "true"})) == []


def test_only_clients_in_the_trash_can_be_restored(manager_api):
    company = ClientFactory()
    assert manager_api.post(f"/clients/{company.pk}/restore").status_code == 404
    manager_api.delete(f"/clients/{company.pk}")
    assert manager_api.delete(f"/clients/{company.pk}").status_code == 404
    assert manager_api.put(f"/clients/{company.pk}", {"name": "Back"}).status_code == 404


def test_a_member_can_neither_delete_nor_see_the_trash(api):
    company = ClientFactory()
    assert api.delete(f"/clients/{company.pk}").status_code == 403
    assert api.get("/clients", {"deleted": "true"}).status_code == 403
    assert api.post(f"/clients/{company.pk}/restore").status_code == 403
    assert Client.objects.filter(pk=company.pk).exists()


# ---- Permissions ----


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/clients", {"name": "Viewer Ltd"}),
        ("put", "/clients/{client}", {"name": "Viewer Ltd"}),
        ("delete", "/clients/{client}", None),
        ("post", "/contacts", {"client": "{client}", "first_name": "Vik"}),
        ("put", "/contacts/{contact}", {"first_name": "Vik"}),
        ("delete", "/contacts/{contact}", None),
    ],
)
def test_a_viewer_can_read_but_not_write(viewer_api, method, path, body):
    company = client_with_people()
    ids = {"client": company.pk, "contact": company.primary_contact_id}
    call = getattr(viewer_api, method)
    if body is None:
        response = call(path.format(**ids))
    else:
        body = {key: ids["client"] if value == "{client}" else value for key, value in body.items()}
        response = call(path.format(**ids), body)

    assert response.status_code == 403
    assert "permission" in response.json()["detail"]
    assert viewer_api.get(f"/clients/{company.pk}").json()["name"] == "Acme Foods"
    assert viewer_api.get(f"/contacts/{company.primary_contact_id}").status_code == 200
    assert Client.objects.count() == 1 and ContactPerson.objects.count() == 1


# ---- Contacts ----


def test_creating_a_contact_answers_201_and_makes_it_the_primary_one(api):
    company = ClientFactory(name="Acme Foods")

    response = api.post(
        "/contacts",
        {
            "client": company.pk,
            "first_name": "Rahim",
            "last_name": "Uddin",
            "role": "billing",
            "birthday": "1990-04-14",
            "emails": [{"email": "rahim@acmefoods.com"}],
            "phones": [{"number": "01811-000002", "kind": "whatsapp"}],
        },
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["client"], data["client_name"]) == (company.pk, "Acme Foods")
    assert (data["full_name"], data["role_label"]) == ("Rahim Uddin", "Billing contact")
    assert data["birthday"] == "1990-04-14"
    assert data["emails"] == [{"email": "rahim@acmefoods.com", "label": "work", "is_primary": True}]
    assert data["phones"] == [{"number": "+8801811000002", "kind": "whatsapp"}]
    assert api.get(f"/contacts/{data['id']}").json() == data
    assert api.get(f"/clients/{company.pk}").json()["primary_contact"] == data["id"]


def test_every_field_of_the_contact_form_can_be_sent():
    assert set(ContactIn.model_fields) == set(ContactForm.Meta.fields) | {"emails", "phones"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"client": 987654}, "client"),
        ({"client": None}, "client"),
        ({"first_name": ""}, "first_name"),
        ({"role": "ceo"}, "role"),
        ({"preferred_channel": "pigeon"}, "preferred_channel"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"birthday": "1990-02-30"}, "birthday"),
        ({"birthday": "0090-02-03"}, "birthday"),
        ({"anniversary": "0015-12-20"}, "anniversary"),
        ({"linkedin_url": "linkedin"}, "linkedin_url"),
        ({"phones": [{"number": "call me"}]}, "phones.0.number"),
        ({"emails": [{"email": "x@y.com"}, {"email": "X@y.com"}]}, "emails"),
        ({"salary": 100}, "salary"),
    ],
)
def test_invalid_contact_input_is_422_with_a_message_per_field(api, body, field):
    company = ClientFactory()
    response = api.post("/contacts", {"client": company.pk, "first_name": "Rahim", **body})

    assert_field_error(response, field)
    assert not ContactPerson.all_objects.exists()


def test_a_contact_cannot_be_added_to_a_client_in_the_trash(api):
    company = ClientFactory(deleted_at=timezone.now())
    assert_field_error(api.post("/contacts", {"client": company.pk, "first_name": "R"}), "client")


@pytest.fixture
def people(db) -> dict[str, ContactPerson]:
    acme, bright = ClientFactory(name="Acme Foods"), ClientFactory(name="Bright Apps")
    rahim = ContactFactory(client=acme, first_name="Rahim", last_name="Uddin", role="billing")
    sadia = ContactFactory(client=acme, first_name="Sadia", last_name="Islam", role="technical")
    tanvir = ContactFactory(client=bright, first_name="Tanvir", last_name="Ahmed", role="billing")
    ContactEmailFactory(contact=sadia, email="sadia@acmefoods.com")
    ContactPhoneFactory(contact=tanvir, number="+8801811000002")
    refresh_search_text(acme)
    refresh_search_text(bright)
    return {"rahim": rahim, "sadia": sadia, "tanvir": tanvir}


def full_names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["full_name"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["Rahim Uddin", "Sadia Islam", "Tanvir Ahmed"]),
        ({"role": "billing"}, ["Rahim Uddin", "Tanvir Ahmed"]),
        ({"q": "sadia@acme"}, ["Sadia Islam"]),
        ({"q": "01811-000002"}, ["Tanvir Ahmed"]),
        ({"q": "uddin"}, ["Rahim Uddin"]),
        ({"order": "-name"}, ["Tanvir Ahmed", "Sadia Islam", "Rahim Uddin"]),
    ],
)
def test_the_contact_list_filters_searches_and_orders(api, people, params, expected):
    assert full_names(api.get("/contacts", params)) == expected


def test_the_contact_list_filters_by_client(api, people):
    acme_id = people["rahim"].client_id
    body = api.get("/contacts", {"client": acme_id, "per_page": 1}).json()
    assert (body["count"], body["pages"], body["items"][0]["client_name"]) == (2, 2, "Acme Foods")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"order": "age"}, "order"),
        ({"role": "ceo"}, "role"),
        ({"client": "acme"}, "client"),
        ({"page": "9"}, "page"),
    ],
)
def test_bad_contact_list_parameters_are_422(api, people, params, field):
    assert_field_error(api.get("/contacts", params), field)


def test_a_contact_update_changes_only_the_fields_sent(api, people):
    sadia = people["sadia"]

    data = api.put(f"/contacts/{sadia.pk}", {"job_title": "CTO"}).json()

    assert (data["job_title"], data["first_name"], data["role"]) == ("CTO", "Sadia", "technical")
    assert data["emails"][0]["email"] == "sadia@acmefoods.com"


def test_a_contact_cannot_be_moved_to_another_client(api, people):
    rahim, other = people["rahim"], people["tanvir"].client_id
    assert_field_error(api.put(f"/contacts/{rahim.pk}", {"client": other}), "client")
    rahim.refresh_from_db()
    assert rahim.client.name == "Acme Foods"


def test_a_deleted_contact_goes_to_the_trash_and_can_be_restored(manager_api, api):
    company = client_with_people()
    primary = company.primary_contact
    other = ContactFactory(client=company, first_name="Zara")

    assert api.delete(f"/contacts/{primary.pk}").status_code == 403
    assert manager_api.delete(f"/contacts/{primary.pk}").status_code == 204

    assert manager_api.get(f"/contacts/{primary.pk}").status_code == 404
    assert [c["id"] for c in manager_api.get("/contacts").json()["items"]] == [other.pk]
    detail = manager_api.get(f"/clients/{company.pk}").json()
    assert detail["primary_contact"] == other.pk
    assert [c["id"] for c in detail["contacts"]] == [other.pk]

    restored = manager_api.post(f"/contacts/{primary.pk}/restore")

    assert restored.status_code == 200, restored.content
    assert manager_api.get(f"/contacts/{primary.pk}").status_code == 200
    assert manager_api.post(f"/contacts/{primary.pk}/restore").status_code == 404


def test_contacts_of_a_client_in_the_trash_are_hidden(manager_api):
    company = client_with_people()
    manager_api.delete(f"/clients/{company.pk}")
    assert manager_api.get(f"/contacts/{company.primary_contact_id}").status_code == 404
    assert manager_api.put(f"/contacts/{company.primary_contact_id}", {}).status_code == 404


# ---- Audit, documentation, query counts ----


def test_an_update_made_with_a_token_is_audited_with_its_owner(api, member):
    company = ClientFactory(tier="silver")

    api.put(f"/clients/{company.pk}", {"tier": "gold"})

    entry = LogEntry.objects.get_for_object(company).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == member
    assert entry.changes_dict["tier"] == ["silver", "gold"]


def test_the_api_is_documented(member_client):
    assert member_client.get("/api/docs").status_code == 200
    response = member_client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/admin/crm/clients",
        "/api/admin/crm/clients/{client_id}",
        "/api/admin/crm/clients/{client_id}/restore",
        "/api/admin/crm/contacts",
        "/api/admin/crm/contacts/{contact_id}",
    ):
        assert path in paths
    assert set(paths["/api/admin/crm/clients/{client_id}"]) == {"get", "put", "delete"}


@pytest.mark.parametrize("path", ["/clients", "/contacts"])
def test_lists_run_the_same_queries_for_5_and_30_rows(api, django_assert_num_queries, path):
    for _ in range(5):
        client_with_people()
    with CaptureQueriesContext(connection) as five:
        assert api.get(path, {"per_page": 50}).json()["count"] == 5

    for _ in range(25):
        client_with_people()
    with django_assert_num_queries(len(five.captured_queries)):
        assert api.get(path, {"per_page": 50}).json()["count"] == 30
