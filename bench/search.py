#!/usr/bin/env python
"""Benchmark the global search (/admin/crm/search/) over 1,000,000 communications.

Fills its own database (a temp SQLite file, or a PostgreSQL database it creates and drops;
never var/forgecrm.sqlite3) with clients, contacts, e-mails and communications written in
English and Bengali, then times the search page for a common word, a rare word, a Bengali
word and a person's name. See bench/README.md.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from common import bench_database, machine_info, setup_django, timed

TARGET_P95_MS = 100.0
BATCH = 10_000


def words(text: str) -> list[str]:
    return text.split()


COMMON_WORD = "project"  # in about a third of the entries
RARE_WORD = "zanzibar"  # in about 40 entries
BENGALI_WORD = "ধন্যবাদ"  # "thank you", in about 3% of the entries
ENGLISH = words(
    "call client meeting about the website redesign budget invoice timeline deadline "
    "hosting renewal contract proposal quote support ticket bug fix release mobile "
    "app design review feedback payment pending approved schedule next week demo "
    "training server migration domain email campaign launch analytics report "
    "seo ranking content"
)
BENGALI = words(
    "আমরা আপনার ওয়েবসাইট নিয়ে আলোচনা করেছি বাজেট চালান সময়সীমা চুক্তি নবায়ন "
    "প্রস্তাব মিটিং আগামী সপ্তাহে পেমেন্ট বাকি অনুমোদিত সার্ভার ডোমেইন প্রতিবেদন "
    "ঢাকা চট্টগ্রাম"
)
FIRST_NAMES = ("Rahim", "Karim", "Nusrat", "Farhana", "Tanvir", "Sadia", "Arif", "Mitu", "John")
LAST_NAMES = ("Ahmed", "Hossain", "Rahman", "Islam", "Chowdhury", "Khan", "Smith", "Das")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="PostgreSQL URL of a database to create and drop, e.g. "
        "postgres://postgres@127.0.0.1:5432/forgecrm_bench_search (default: a temp SQLite file)",
    )
    parser.add_argument("--communications", type=int, default=1_000_000)
    parser.add_argument("--emails", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per term")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


# ---- Filling ----------------------------------------------------------------------------


class Filler:
    """Rows written with bulk_create in batches, one transaction per batch."""

    def __init__(self, args: argparse.Namespace, users: list):
        self.rng = random.Random(2024)
        self.args = args
        self.users = users
        self.start = datetime(2023, 1, 1, tzinfo=UTC)

    def sentence(self, words: int) -> str:
        rng = self.rng
        bengali = rng.random() < 0.3
        vocabulary = BENGALI if bengali else ENGLISH
        text = [rng.choice(vocabulary) for _ in range(words)]
        if rng.random() < 0.33:
            text.insert(rng.randrange(len(text) + 1), COMMON_WORD)
        if rng.random() < 0.03:
            text.insert(rng.randrange(len(text) + 1), BENGALI_WORD)
        return " ".join(text)

    def clients(self) -> None:
        from forgecrm.clients.models import Client, ContactPerson
        from forgecrm.clients.services import refresh_search_text

        rng = self.rng
        clients = Client.objects.bulk_create(
            Client(name=f"{rng.choice(LAST_NAMES)} {rng.choice(ENGLISH).title()} {n} Ltd")
            for n in range(self.args.clients)
        )
        ContactPerson.objects.bulk_create(
            ContactPerson(
                client=client, first_name=rng.choice(FIRST_NAMES), last_name=rng.choice(LAST_NAMES)
            )
            for client in clients
            for _ in range(3)
        )
        for client in clients:
            refresh_search_text(client)
        self.client_ids = [c.pk for c in clients]

    def emails(self) -> None:
        from django.db import transaction

        from forgecrm.emails.models import Email

        rng = self.rng
        for start in range(0, self.args.emails, BATCH):
            with transaction.atomic():
                Email.objects.bulk_create(
                    Email(
                        message_id=f"<bench-{n}@forgecrm.example>",
                        from_email="hello@pixelforgebd.com",
                        subject=self.sentence(5),
                        body_text=self.sentence(40),
                        client_id=rng.choice(self.client_ids),
                        status="sent",
                    )
                    for n in range(start, min(start + BATCH, self.args.emails))
                )

    def communications(self) -> None:
        from django.db import transaction

        from forgecrm.timeline.models import (
            Communication,
            CommunicationDirection,
            CommunicationType,
        )

        rng = self.rng
        total = self.args.communications
        rare = set(rng.sample(range(total), 40))
        kinds = list(CommunicationType)
        span = timedelta(days=730).total_seconds()
        for start in range(0, total, BATCH):
            rows = []
            for n in range(start, min(start + BATCH, total)):
                kind = rng.choice(kinds)
                content = self.sentence(rng.randint(8, 30))
                if n in rare:
                    content += f" {RARE_WORD}"
                rows.append(
                    Communication(
                        kind=kind,
                        direction=rng.choice(list(CommunicationDirection)),
                        subject=self.sentence(4),
                        content=content,
                        occurred_at=self.start + timedelta(seconds=rng.random() * span),
                        client_id=rng.choice(self.client_ids),
                        is_private=kind == CommunicationType.NOTE and rng.random() < 0.3,
                        created_by=rng.choice(self.users),
                    )
                )
            with transaction.atomic():
                Communication.objects.bulk_create(rows)
            print(f"\r  {start + len(rows):,} communications", end="", flush=True)
        print()


def prepare(args: argparse.Namespace):
    """Migrate, create the users and fill; returns the member whose searches are timed."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection

    from forgecrm.accounts.roles import MEMBER

    timed("migrate", lambda: call_command("migrate", verbosity=0))
    user_model = get_user_model()
    users = [user_model.objects.create_user(f"member{i}") for i in range(5)]
    for user in users:
        user.groups.add(Group.objects.get(name=MEMBER))
    filler = Filler(args, users)
    timed(f"fill {args.clients:,} clients with 3 contacts each", filler.clients)
    timed(f"fill {args.emails:,} e-mails", filler.emails)
    timed(f"fill {args.communications:,} communications", filler.communications)
    timed("ANALYZE", lambda: connection.cursor().execute("ANALYZE"))
    return users[0]


# ---- Measuring -------------------------------------------------------------------------


def measure(http, path: str, params: dict, requests: int) -> tuple[float, float]:
    """p50 and p95 in ms of `requests` GETs, after a warm-up."""
    for _ in range(5):
        response = http.get(path, params)
        if response.status_code != 200:
            sys.exit(f"GET {path} {params} -> {response.status_code}")
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        http.get(path, params)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=20)[18]


def matches(term: str) -> int:
    from forgecrm.timeline import fulltext
    from forgecrm.timeline.models import Communication

    return fulltext.matching(Communication.objects.all(), term).count()


def report(user, requests: int) -> None:
    from django.test import Client as HttpClient

    http = HttpClient(HTTP_HOST="localhost")
    http.force_login(user)
    terms = {
        "common word": COMMON_WORD,
        "rare word": RARE_WORD,
        "Bengali word": BENGALI_WORD,
        "two words": f"{COMMON_WORD} budget",
        "name prefix": "Rahm",
    }
    print(f"\n{machine_info()}")
    print(f"{requests} requests per term; target p95 < {TARGET_P95_MS:.0f} ms\n")
    print(
        f"{'term':<32} {'entries':>9} {'page p50':>9} {'p95 ms':>8}  {'dropdown p95':>12}  result"
    )
    for label, term in terms.items():
        p50, p95 = measure(http, "/admin/crm/search/", {"q": term}, requests)
        _, drop95 = measure(http, "/admin/crm/search/", {"q": term, "dropdown": "1"}, requests)
        verdict = "PASS" if max(p95, drop95) < TARGET_P95_MS else "MISS"
        print(
            f"{label + ': ' + term:<32} {matches(term):>9,} {p50:>9.1f} {p95:>8.1f}  "
            f"{drop95:>12.1f}  {verdict}"
        )


def main() -> None:
    args = parse_args()
    with bench_database(args.database_url, args.keep) as (url, var_dir):
        setup_django(url, var_dir)
        user = prepare(args)
        report(user, args.requests)


if __name__ == "__main__":
    main()
