#!/usr/bin/env python
"""Benchmark the follow-up dashboard (/admin/crm/followups/) with 50,000 follow-ups.

Runs on its own database (a temp SQLite file, or a PostgreSQL database it creates and
drops), never on var/forgecrm.sqlite3. Prints p50/p95 server time of the page, unfiltered
and filtered by assignee ("only mine"), client and priority. See bench/README.md.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta

from common import bench_database, machine_info, setup_django, timed

TARGET_P95_MS = 100.0
BATCH = 5_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="PostgreSQL URL of a database to create and drop, e.g. "
        "postgres://postgres@127.0.0.1:5432/forgecrm_bench_followups (default: temp SQLite)",
    )
    parser.add_argument("--followups", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def fill(args: argparse.Namespace, users: list, rng: random.Random) -> None:
    """Clients, then follow-ups spread over them, the users, every status, type and
    priority, due from a year ago to three months ahead (most of the open ones overdue or
    coming, as on a busy team's board)."""
    from django.utils import timezone

    from forgecrm.clients.models import Client
    from forgecrm.followups.models import FollowUpStatus, FollowUpTask, FollowUpType, Priority

    clients = Client.objects.bulk_create(
        Client(
            name=f"Bench Client {n:05d} Ltd",
            status="active",
            tier=rng.choice(("bronze", "silver", "gold", "platinum")),
            owner=rng.choice(users),
        )
        for n in range(args.clients)
    )
    now = timezone.now()
    statuses = list(FollowUpStatus)
    for start in range(0, args.followups, BATCH):
        FollowUpTask.objects.bulk_create(
            FollowUpTask(
                client=rng.choice(clients),
                title=f"Follow up on the proposal #{start + n}",
                task_type=rng.choice(list(FollowUpType)),
                priority=rng.choice(list(Priority)),
                status=rng.choices(statuses, weights=(45, 10, 35, 10))[0],
                due_at=now + timedelta(minutes=rng.randint(-365 * 24 * 60, 90 * 24 * 60)),
                assignee=rng.choice(users),
                notes="Asked for a discount on hosting." if rng.random() < 0.3 else "",
            )
            for n in range(min(BATCH, args.followups - start))
        )


def prepare(args: argparse.Namespace):
    """Migrate, create five members and fill; returns (a member, a client with follow-ups)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from forgecrm.accounts.roles import MEMBER
    from forgecrm.followups.models import FollowUpTask
    from forgecrm.followups.queries import OPEN

    timed("migrate", lambda: call_command("migrate", verbosity=0))
    users = [get_user_model().objects.create_user(f"member{i}") for i in range(5)]
    for user in users:
        user.groups.add(Group.objects.get(name=MEMBER))
    rng = random.Random(6)
    timed(
        f"fill {args.followups:,} follow-ups over {args.clients:,} clients",
        lambda: fill(args, users, rng),
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    busiest = (
        FollowUpTask.objects.filter(status__in=OPEN)
        .values("client")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    return users[0], busiest["client"] if busiest else None


def measure(http, params: dict, requests: int) -> tuple[float, float]:
    """p50 and p95 in ms of `requests` GETs of the dashboard, after a warm-up."""
    for _ in range(10):
        response = http.get("/admin/crm/followups/", params)
        if response.status_code != 200:
            sys.exit(f"GET /admin/crm/followups/ {params} -> {response.status_code}")
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        http.get("/admin/crm/followups/", params)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=20)[18]


def report(member, client_id: int, requests: int) -> None:
    from django.test import Client as HttpClient

    from forgecrm.followups.models import FollowUpTask
    from forgecrm.followups.queries import OPEN

    http = HttpClient(HTTP_HOST="localhost")
    http.force_login(member)
    open_rows = FollowUpTask.objects.filter(status__in=OPEN)
    scenarios = {
        f"no filter ({open_rows.count():,} open)": {},
        f"by assignee: only mine ({open_rows.filter(assignee=member).count():,})": {"mine": "on"},
        f"by client ({open_rows.filter(client_id=client_id).count():,})": {"client": client_id},
        f"by priority: urgent ({open_rows.filter(priority='urgent').count():,})": {
            "priority": "urgent"
        },
    }
    print(f"\n{machine_info()}")
    print(f"{requests} requests per scenario; target p95 < {TARGET_P95_MS:.0f} ms\n")
    print(f"{'scenario':<44} {'p50 ms':>8} {'p95 ms':>8}  result")
    for label, params in scenarios.items():
        p50, p95 = measure(http, params, requests)
        verdict = "PASS" if p95 < TARGET_P95_MS else "MISS"
        print(f"{label:<44} {p50:>8.1f} {p95:>8.1f}  {verdict}")


def main() -> None:
    args = parse_args()
    with bench_database(args.database_url, args.keep) as (url, var_dir):
        setup_django(url, var_dir)
        member, client_id = prepare(args)
        report(member, client_id, args.requests)


if __name__ == "__main__":
    main()
