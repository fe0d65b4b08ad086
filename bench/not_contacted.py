#!/usr/bin/env python
"""Benchmark the "not contacted in N days" query at 100,000 clients.

Runs on its own database (a temp SQLite file, or a PostgreSQL database it creates and
drops). Times the query behind the list page and the dashboard widget, and one run of the
worker's producer when nothing is new. See bench/README.md.
"""

import argparse
import random
import statistics
import time
from datetime import timedelta

from common import bench_database, machine_info, setup_django, timed

TARGET_P95_MS = 100.0
BATCH = 10_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL whose name contains 'bench'")
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--communications", type=int, default=500_000)
    parser.add_argument("--requests", type=int, default=50, help="timed runs per scenario")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def fill(args: argparse.Namespace) -> None:
    """Clients of every status and tier, created up to two years ago; communications
    spread over them in the last year (so some clients are silent, a few never heard)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from forgecrm.clients.models import Client
    from forgecrm.timeline.models import Communication

    rng = random.Random(14)
    now = timezone.now()
    owners = [get_user_model().objects.create_user(f"owner{i}") for i in range(5)]
    for start in range(0, args.clients, BATCH):
        Client.objects.bulk_create(
            Client(
                name=f"Bench Client {start + n:06d} Ltd",
                status=rng.choices(("prospect", "active", "inactive"), weights=(30, 55, 15))[0],
                tier=rng.choice(("bronze", "silver", "gold", "platinum")),
                owner=rng.choice([*owners, None]),
                created_at=now - timedelta(days=rng.randint(0, 730)),
            )
            for n in range(min(BATCH, args.clients - start))
        )
    ids = list(Client.objects.values_list("pk", flat=True))
    for start in range(0, args.communications, BATCH):
        Communication.objects.bulk_create(
            Communication(
                client_id=rng.choice(ids),
                kind="call",
                subject="Talked about the website",
                occurred_at=now - timedelta(minutes=rng.randint(0, 365 * 24 * 60)),
            )
            for _ in range(min(BATCH, args.communications - start))
        )


def measure(action, runs: int) -> tuple[float, float]:
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=20)[18]


def main() -> None:
    args = parse_args()
    with bench_database(args.database_url, args.keep) as (url, var_dir):
        setup_django(url, var_dir)
        from django.core.management import call_command
        from django.db import connection

        from forgecrm.notifications import services
        from forgecrm.notifications.queries import silent_clients

        timed("migrate", lambda: call_command("migrate", verbosity=0))
        timed(
            f"fill {args.clients:,} clients, {args.communications:,} communications",
            lambda: fill(args),
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        silent = silent_clients()
        total = silent.count()
        timed(f"first producer run ({total:,} silent clients notified)", _drain(services, total))
        scenarios = {
            "count (the widget's badge)": silent.count,
            "first page of 25 (list page)": lambda: list(silent[:25]),
            "producer run with nothing new": lambda: services.notify_not_contacted(now=_now()),
        }
        print(f"\n{machine_info()}")
        print(f"{args.requests} runs per scenario; target p95 < {TARGET_P95_MS:.0f} ms\n")
        print(f"{'scenario':<36} {'p50 ms':>8} {'p95 ms':>8}  result")
        for label, action in scenarios.items():
            p50, p95 = measure(action, args.requests)
            verdict = "PASS" if p95 < TARGET_P95_MS else "MISS"
            print(f"{label:<36} {p50:>8.1f} {p95:>8.1f}  {verdict}")


def _now():
    from django.utils import timezone

    return timezone.now()


def _drain(services, total: int):
    """Run the producer until every silent client was notified (500 a run)."""

    def run() -> None:
        for _ in range(total // services.SILENT_CLIENTS_PER_RUN + 1):
            services.notify_not_contacted(now=_now())

    return run


if __name__ == "__main__":
    main()
