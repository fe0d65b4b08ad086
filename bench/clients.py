#!/usr/bin/env python
"""Benchmark GET /api/admin/crm/clients on 100,000 clients and 300,000 contacts.

Runs on its own database (a temp SQLite file, or a PostgreSQL database it creates and
drops), never on var/forgecrm.sqlite3. See bench/README.md.
"""

import argparse
import random
import statistics
import sys
import time

from common import bench_database, machine_info, setup_django, timed
from phonenumber_field.phonenumber import PhoneNumber

TARGET_P95_MS = 50.0
CLIENTS_PER_TRANSACTION = 5_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="PostgreSQL URL of a database to create and drop, e.g. "
        "postgres://postgres@127.0.0.1:5432/forgecrm_bench (default: a temp SQLite file)",
    )
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=300_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


# ---- Filling ----------------------------------------------------------------------------


class Filler:
    """Inserts clients with their contacts, addresses and phones with bulk_create.

    Ids are assigned here (the database is empty) so that the search column can be built
    before inserting, with the services' own helpers, instead of updating every row after.
    """

    def __init__(self, clients: int, contacts: int, owners: list):
        from faker import Faker

        from forgecrm.core.demo import BD_NAME_STARTS, BD_PEOPLE, INDUSTRIES

        self.rng = random.Random(1432)
        fake = Faker("en_US")
        fake.seed_instance(1432)
        self.client_total = clients
        self.contact_total = contacts
        self.owners = owners
        self.industries = list(INDUSTRIES.items())
        self.company_starts = [*BD_NAME_STARTS, *(fake.unique.last_name() for _ in range(400))]
        # (first, last, ascii first, ascii last): Bengali script, romanised and English.
        self.people = [
            (first[i], last[i], first[0], last[0])
            for firsts, lasts in BD_PEOPLE
            for first in firsts
            for last in lasts
            for i in (0, 1)
        ]
        self.people += [
            (f, ln, f, ln)
            for f, ln in ((fake.first_name(), fake.last_name()) for _ in range(1_000))
        ]
        self.contact_id = 0

    def contacts_per_client(self) -> list[int]:
        """1–5 contacts per client (about contacts/clients on average), adding up exactly."""
        n = self.client_total
        counts = [self.contact_total * (i + 1) // n - self.contact_total * i // n for i in range(n)]
        for _ in range(n // 2):
            give, take = self.rng.randrange(n), self.rng.randrange(n)
            if counts[give] > 1 and counts[take] < 5:
                counts[give] -= 1
                counts[take] += 1
        return counts

    def fill(self) -> None:
        from django.db import transaction

        counts = self.contacts_per_client()
        for start in range(0, self.client_total, CLIENTS_PER_TRANSACTION):
            with transaction.atomic():
                self.insert_batch(range(start + 1, start + 1 + CLIENTS_PER_TRANSACTION), counts)
            done = min(start + CLIENTS_PER_TRANSACTION, self.client_total)
            print(f"\r  {done:,} clients, {self.contact_id:,} contacts", end="", flush=True)
        print()

    def insert_batch(self, ids: range, counts: list[int]) -> None:
        from forgecrm.clients.models import (
            Client,
            ClientEmail,
            ClientPhone,
            ContactEmail,
            ContactPerson,
            ContactPhone,
        )

        rows: dict[type, list] = {
            m: []
            for m in (Client, ContactPerson, ClientEmail, ClientPhone, ContactEmail, ContactPhone)
        }
        for client_id in ids:
            if client_id > self.client_total:
                break
            client, domain, emails, phones = self.client(client_id)
            contacts = [self.contact(client, domain, rows) for _ in range(counts[client_id - 1])]
            client.primary_contact_id = contacts[0].id if contacts else None
            client.search_text = client_search_text(client, emails, phones, contacts)
            rows[Client].append(client)
            rows[ClientEmail] += emails
            rows[ClientPhone] += phones
            rows[ContactPerson] += contacts
        for model, objects in rows.items():
            model.objects.bulk_create(objects)

    def client(self, client_id: int) -> tuple:
        from forgecrm.clients.models import (
            Client,
            ClientEmail,
            ClientPhone,
            RelationshipStatus,
            Tier,
        )
        from forgecrm.core.demo import ascii_slug

        rng = self.rng
        industry, words = rng.choice(self.industries)
        start, word = rng.choice(self.company_starts), rng.choice(words)
        client = Client(
            id=client_id,
            name=f"{start} {word} Ltd",
            industry=industry,
            status=rng.choices(list(RelationshipStatus), weights=(30, 45, 12, 10, 3))[0],
            tier=rng.choices(list(Tier), weights=(40, 30, 20, 10))[0],
            country="BD",
            owner=rng.choice(self.owners),
        )
        domain = f"{ascii_slug(f'{start}{word}', '')}.example"
        emails = []
        if rng.random() < 0.7:
            emails.append(ClientEmail(client=client, email=f"info@{domain}", is_primary=True))
        phones = [ClientPhone(client=client, number=self.phone())] if rng.random() < 0.6 else []
        return client, domain, emails, phones

    def contact(self, client, domain: str, rows: dict[type, list]):
        from forgecrm.clients.models import ContactEmail, ContactPerson, ContactPhone, ContactRole
        from forgecrm.clients.services import _contact_search_text
        from forgecrm.core.demo import ascii_slug

        rng = self.rng
        self.contact_id += 1
        first, last, ascii_first, ascii_last = rng.choice(self.people)
        contact = ContactPerson(
            id=self.contact_id,
            client=client,
            first_name=first,
            last_name=last,
            job_title=rng.choice(("CEO", "CTO", "Finance Manager", "IT Manager", "Director")),
            role=rng.choice(list(ContactRole)),
        )
        local = ascii_slug(f"{ascii_first}.{ascii_last}", ".")
        emails = [ContactEmail(contact=contact, email=f"{local}@{domain}", is_primary=True)]
        if rng.random() < 0.3:
            emails.append(
                ContactEmail(contact=contact, email=f"{local}{rng.randrange(100)}@mail.example")
            )
        phones = [
            ContactPhone(contact=contact, number=self.phone()) for _ in range(rng.randint(1, 2))
        ]
        contact._prefetched_objects_cache = {"email_addresses": emails, "phones": phones}
        contact.search_text = _contact_search_text(contact)
        rows[ContactEmail] += emails
        rows[ContactPhone] += phones
        return contact

    def phone(self) -> PhoneNumber:
        """A Bangladeshi mobile, +8801[3-9]XXXXXXXX, built without parsing a string."""
        national = int(f"1{self.rng.choice('3456789')}{self.rng.randrange(10**8):08d}")
        return PhoneNumber(country_code=880, national_number=national)


def client_search_text(client, emails: list, phones: list, contacts: list) -> str:
    """What services.refresh_search_text stores for a client, from rows in memory.

    The same composition as there (name, industry, addresses, phones, contacts' texts)
    with the same helpers; only the reading of related rows from the database differs.
    """
    from forgecrm.clients.services import _search_text, phone_search_forms

    return _search_text(
        client.name,
        client.industry,
        *(e.email for e in emails),
        *(form for p in phones for form in phone_search_forms(p.number)),
        *(c.search_text for c in contacts),
    )


def prepare(args: argparse.Namespace) -> str:
    """Migrate, create the users and fill; returns the viewer's API token."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection

    from forgecrm.accounts.roles import MEMBER, VIEWER
    from forgecrm.accounts.tokens import api_token_create
    from forgecrm.clients.models import (
        Client,
        ClientEmail,
        ClientPhone,
        ContactEmail,
        ContactPerson,
        ContactPhone,
    )

    timed("migrate", lambda: call_command("migrate", verbosity=0))
    User = get_user_model()
    owners = [User.objects.create_user(f"owner{i}") for i in range(5)]
    for owner in owners:
        owner.groups.add(Group.objects.get(name=MEMBER))
    viewer = User.objects.create_user("bench-viewer")
    viewer.groups.add(Group.objects.get(name=VIEWER))
    filler = Filler(args.clients, args.contacts, owners)
    fill_seconds = timed(f"fill {args.clients:,} clients, {args.contacts:,} contacts", filler.fill)
    models = [Client, ClientEmail, ClientPhone, ContactPerson, ContactEmail, ContactPhone]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
        # The state of a database that has been up a while: planner statistics, and on
        # PostgreSQL the visibility map that autovacuum keeps (index-only scans need it).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    rows = sum(m.objects.count() for m in models)
    print(f"  {rows:,} rows in {fill_seconds:.1f} s ({rows / fill_seconds:,.0f} rows/s)")
    return api_token_create(user=viewer, name="bench")[1]


# ---- Measuring -------------------------------------------------------------------------


def search_term() -> tuple[str, int]:
    """Part of one contact's e-mail address ('first.last@company'), and how many clients match."""
    from forgecrm.clients.models import ContactEmail
    from forgecrm.clients.queries import ClientFilters, client_list

    email = ContactEmail.objects.order_by("id")[ContactEmail.objects.count() // 2].email
    term = email.removesuffix(".example")
    return term, client_list(ClientFilters(q=term)).count()


def measure(http, params: dict, requests: int) -> tuple[float, float]:
    """p50 and p95 in ms of `requests` GETs of the client list, after a warm-up."""
    for _ in range(10):
        response = http.get("/api/admin/crm/clients", params)
        if response.status_code != 200:
            sys.exit(
                f"GET /api/admin/crm/clients {params} -> {response.status_code}: "
                f"{response.content[:300]!r}"
            )
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        http.get("/api/admin/crm/clients", params)
        times.append((time.perf_counter() - start) * 1000)
    p95 = statistics.quantiles(times, n=20)[18]
    return statistics.median(times), p95


def report(token: str, requests: int, pages: int) -> None:
    from django.test import Client as HttpClient

    http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="localhost")
    term, matches = search_term()
    deep = min(3000, pages)
    scenarios = {
        "no filter": {},
        "status=active&tier=gold": {"status": "active", "tier": "gold"},
        f"q={term} ({matches} clients)": {"q": term},
        f"page={deep} of 25": {"page": deep, "per_page": 25},
    }
    print(f"\n{machine_info()}")
    print(f"{requests} requests per scenario; target p95 < {TARGET_P95_MS:.0f} ms\n")
    print(f"{'scenario':<48} {'p50 ms':>8} {'p95 ms':>8}  result")
    for label, params in scenarios.items():
        p50, p95 = measure(http, params, requests)
        verdict = "PASS" if p95 < TARGET_P95_MS else "MISS"
        print(f"{label:<48} {p50:>8.1f} {p95:>8.1f}  {verdict}")


def main() -> None:
    args = parse_args()
    with bench_database(args.database_url, args.keep) as (url, var_dir):
        setup_django(url, var_dir)
        token = prepare(args)
        report(token, args.requests, pages=max(1, args.clients // 25))


if __name__ == "__main__":
    main()
