#!/usr/bin/env python
"""Benchmark a client's page (the 360° view) when the client has 10,000 timeline entries.

Runs on its own database (a temp SQLite file, or a PostgreSQL database it creates and
drops), never on var/forgecrm.sqlite3. Prints the server time of the client's page and of
the timeline's htmx requests, and checks that the page's query count does not grow with
the timeline. See bench/README.md.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta

from common import bench_database, machine_info, setup_django, timed
from search import words

TARGET_P95_MS = 100.0
KINDS = ("call", "email", "meeting", "whatsapp", "sms", "note", "task")
WORDS = words(
    "quote invoice website redesign hosting renewal meeting budget deadline design review "
    "payment milestone launch feedback ধন্যবাদ আগামী সপ্তাহে মিটিং"
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="PostgreSQL URL of a database to create and drop, e.g. "
        "postgres://postgres@127.0.0.1:5432/forgecrm_bench_timeline (default: temp SQLite)",
    )
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per scenario")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def fill(client, entries: int, users: list, rng: random.Random) -> None:
    """`entries` communications over three years, with contacts and colleagues on some."""
    from django.utils import timezone

    from forgecrm.clients.models import ContactPerson
    from forgecrm.timeline.models import Communication

    contacts = ContactPerson.objects.bulk_create(
        ContactPerson(client=client, first_name=name, last_name="Rahman")
        for name in ("Rahim", "Karim", "Farhana")
    )
    start = timezone.now() - timedelta(days=3 * 365)
    step = timedelta(days=3 * 365) / max(entries, 1)
    rows = Communication.objects.bulk_create(
        (
            Communication(
                client=client,
                kind=(kind := rng.choice(KINDS)),
                direction=rng.choice(("inbound", "outbound")),
                subject=" ".join(rng.choices(WORDS, k=4)).capitalize(),
                content=" ".join(rng.choices(WORDS, k=rng.randint(10, 40))),
                occurred_at=start + step * n,
                duration_minutes=rng.randint(5, 60) if kind in ("call", "meeting") else None,
                contact=rng.choice(contacts),
                is_private=kind == "note" and rng.random() < 0.3,
                created_by=rng.choice(users),
            )
            for n in range(entries)
        ),
        batch_size=2_000,
    )
    through = Communication.participant_users.through
    through.objects.bulk_create(
        (through(communication_id=row.pk, user_id=rng.choice(users).pk) for row in rows[::3]),
        batch_size=2_000,
    )


def prepare(args: argparse.Namespace):
    """Migrate, create a member and two clients: one with 10 entries, one with `entries`."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection, transaction

    from forgecrm.accounts.roles import MEMBER
    from forgecrm.clients.models import Client

    timed("migrate", lambda: call_command("migrate", verbosity=0))
    user_model = get_user_model()
    users = [user_model.objects.create_user(f"member{i}") for i in range(4)]
    for user in users:
        user.groups.add(Group.objects.get(name=MEMBER))
    rng = random.Random(7)
    small, big = Client.objects.create(name="Small Ltd"), Client.objects.create(name="Big Ltd")
    with transaction.atomic():
        fill(small, 10, users, rng)
    with transaction.atomic():
        timed(f"fill {args.entries:,} entries", lambda: fill(big, args.entries, users, rng))
    connection.cursor().execute("ANALYZE")
    return users[0], small, big


def measure(http, path: str, params: dict, requests: int, **headers) -> tuple[float, float]:
    """p50 and p95 in ms of `requests` GETs (the whole response read), after a warm-up."""

    def get():
        response = http.get(path, params, **headers)
        if response.status_code != 200:
            sys.exit(f"GET {path} {params} -> {response.status_code}")
        if response.streaming:
            b"".join(response.streaming_content)
        return response

    for _ in range(5):
        get()
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        get()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=20)[18]


def queries_of(http, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        http.get(path)
    return len(ctx.captured_queries)


def report(user, small, big, args: argparse.Namespace) -> None:
    from django.test import Client as HttpClient
    from django.urls import reverse

    from forgecrm.timeline import queries

    http = HttpClient(HTTP_HOST="localhost")
    http.force_login(user)
    page = big.get_absolute_url()
    http.get(page)
    few, many = queries_of(http, small.get_absolute_url()), queries_of(http, page)
    print(f"\n{machine_info()}")
    print(f"queries of the client page: {few} with 10 entries, {many} with {args.entries:,}")
    if few != many:
        sys.exit("The page's query count grows with the timeline.")

    deep = queries.timeline_page(
        queries.client_timeline(big, user=user), size=args.entries // 2
    ).next_cursor
    timeline = reverse("timeline:client", args=[big.pk])
    htmx = {"HTTP_HX_REQUEST": "true"}
    scenarios = [
        ("client page (first 10 entries + insights)", page, {}, {}),
        ("older entries, halfway down (htmx)", timeline, {"cursor": deep}, htmx),
        ("filter type=call (htmx)", timeline, {"type": "call"}, htmx),
        ("search the timeline q=invoice (htmx)", timeline, {"q": "invoice"}, htmx),
        ("search the timeline q=ধন্যবাদ (htmx)", timeline, {"q": "ধন্যবাদ"}, htmx),
    ]
    print(f"{args.requests} requests per scenario; target p95 < {TARGET_P95_MS:.0f} ms\n")
    print(f"{'scenario':<46} {'p50 ms':>8} {'p95 ms':>8}  result")
    for label, path, params, headers in scenarios:
        p50, p95 = measure(http, path, params, args.requests, **headers)
        verdict = "PASS" if p95 < TARGET_P95_MS else "MISS"
        print(f"{label:<46} {p50:>8.1f} {p95:>8.1f}  {verdict}")
    export = reverse("timeline:export", args=[big.pk])
    p50, _ = measure(http, export, {}, 5)
    print(f"{f'CSV export of {args.entries:,} entries (streamed)':<46} {p50:>8.1f}")


def main() -> None:
    args = parse_args()
    with bench_database(args.database_url, args.keep) as (url, var_dir):
        setup_django(url, var_dir)
        user, small, big = prepare(args)
        report(user, small, big, args)


if __name__ == "__main__":
    main()
