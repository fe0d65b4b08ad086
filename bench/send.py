#!/usr/bin/env python
"""Benchmark sending 5,000 personalized emails, and the open-tracking pixel under load.

1. Our path: emails.services.emails_send_each renders a template for each contact, stores
   the rows (email, recipient, links, event), queues one batch, and the worker task (Huey,
   immediate mode, so in this process) claims each email and sends it over one SMTP
   connection to an aiosmtpd sink; then it records the outcome.
2. The baseline: a plain smtplib loop sending the very same messages, rendered beforehand,
   over one connection to the same sink.
3. The pixel: GET /t/<token>.gif against Django's threaded WSGI server (what runserver
   uses) on 127.0.0.1, from a pool of client threads with http.client.

The sink runs in a process of its own, as a mail server would: in this process its work
would compete for the interpreter lock with the sender's and be charged to both sides.

Runs on a temp SQLite database and temp media/var directories, never var/forgecrm.sqlite3.
"""

import argparse
import asyncio
import http.client
import multiprocessing
import os
import platform
import random
import smtplib
import socket
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.5
# The machine may be shared: each side is the median of a few runs.
RUNS = 3
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Thunderbird/128.0"
BODY = (
    "<p>Dear {{contact_first_name}},</p>"
    "<p>Thank you for the time you gave us to understand what {{client_name}} needs. "
    "Our proposal covers the scope, the timeline, the team and the cost; the highlights:</p>"
    "<ul><li>Discovery workshop and a clickable prototype</li>"
    "<li>Design and build in two-week sprints</li><li>Launch, training and support</li></ul>"
    '<p>Read it online: <a href="https://pixelforgebd.com/proposals/2026">our proposal</a>, '
    'or see <a href="https://pixelforgebd.com/work">what we built for others</a>.</p>'
    "<p>We would be glad to walk you through it this week.</p>"
    "<p>Best regards,<br>{{sender_name}}<br>{{sender_company}}</p>"
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=3_000, help="pixel requests")
    parser.add_argument("--threads", type=int, default=8, help="pixel client threads")
    parser.add_argument(
        "--answer-ms",
        type=float,
        default=0.0,
        help="the sink waits this long before accepting each message, as a mail server "
        "across a network does (default 0: the local sink answers at once)",
    )
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    """An aiosmtpd handler that counts (in memory shared with the benchmark) and throws away
    what it receives."""

    def __init__(self, received, answer_seconds: float) -> None:
        self.received = received
        self.answer_seconds = answer_seconds

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.answer_seconds:
            await asyncio.sleep(self.answer_seconds)
        self.received.value += 1
        return "250 2.0.0 Accepted"


def run_sink(port: int, answer_seconds: float, received, ready) -> None:
    """The SMTP sink's process: serve until terminated."""
    from aiosmtpd.controller import Controller

    Controller(Sink(received, answer_seconds), hostname="127.0.0.1", port=port).start()
    ready.set()
    threading.Event().wait()


def start_sink(port: int, answer_seconds: float = 0.0):
    """(the sink's process, its received-messages counter), once it accepts connections."""
    context = multiprocessing.get_context("spawn")
    received, ready = context.Value("i", 0, lock=False), context.Event()
    process = context.Process(
        target=run_sink, args=(port, answer_seconds, received, ready), daemon=True
    )
    process.start()
    if not ready.wait(timeout=30):
        sys.exit("The SMTP sink did not start.")
    return process, received


def setup_django(smtp_port: int) -> None:
    """Settings as `make run` has them, on a temp database, sending to the local sink.

    DEBUG=true only so the settings load without SECRET_KEY and HTTPS redirects; it is
    switched off once loaded so queries are not also logged.
    """
    var = Path(tempfile.mkdtemp(prefix="forgecrm-bench-send-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="forgecrm.settings",
        DEBUG="true",
        FORGECRM_VAR_DIR=str(var),
        DATABASE_URL=f"sqlite:///{var / 'forgecrm.sqlite3'}",
        MEDIA_ROOT=str(var / "media"),
        HUEY_IMMEDIATE="true",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        EMAIL_RATE_LIMIT_PER_MINUTE="0",
        EMAIL_RATE_LIMIT_PER_HOUR="0",
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(ROOT / "src"))
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False
    # A running server has loaded its URLconf (tracking links are reversed from it) before
    # it sends anything: that one-time import is not part of sending.
    import_module(settings.ROOT_URLCONF)


def prepare(count: int) -> tuple:
    """Migrate; create a sender and `count` contacts (5 per company) with an address each."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from forgecrm.accounts.roles import MEMBER
    from forgecrm.clients.models import Client, ContactEmail, ContactPerson

    call_command("migrate", verbosity=0)
    sender = get_user_model().objects.create_user(
        "nusrat", email="nusrat@pixelforgebd.com", first_name="Nusrat", last_name="Jahan"
    )
    sender.groups.add(Group.objects.get(name=MEMBER))
    rng = random.Random(1432)
    firsts = ["Rahim", "Karim", "Ayesha", "Farhana", "Tanvir", "Nadia", "Sadia", "Imran", "Jane"]
    clients = Client.objects.bulk_create(
        Client(name=f"Company {i} Ltd", status="active") for i in range((count + 4) // 5)
    )
    contacts = ContactPerson.objects.bulk_create(
        ContactPerson(client=clients[i // 5], first_name=rng.choice(firsts), last_name=f"P{i}")
        for i in range(count)
    )
    ContactEmail.objects.bulk_create(
        ContactEmail(contact=c, email=f"person{c.pk}@example.com", is_primary=True)
        for c in contacts
    )
    loaded = list(
        ContactPerson.objects.filter(pk__in=[c.pk for c in contacts])
        .select_related("client")
        .prefetch_related("email_addresses")
        .order_by("pk")
    )
    return sender, loaded


@dataclass
class OurRun:
    ids: list[int]
    seconds: float
    worker: float  # seconds in the worker
    cpu: float  # CPU seconds of this process: everything but the SMTP relay's conversation


def send_our_way(sender, contacts: list) -> OurRun:
    """One personalized email to each contact, sent through the real path."""
    from forgecrm.emails import delivery, services

    worker = {"seconds": 0.0}
    deliver = delivery.deliver

    def timed_deliver(*, ids: list[int]) -> None:
        start = time.perf_counter()
        deliver(ids=ids)
        worker["seconds"] += time.perf_counter() - start

    delivery.deliver = timed_deliver
    draft = services.Draft(
        to=[], subject="Proposal for {{client_name}}", body_html=BODY, email_type="proposal"
    )
    start, cpu = time.perf_counter(), time.process_time()
    emails = services.emails_send_each(contacts=contacts, draft=draft, actor=sender)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    delivery.deliver = deliver
    return OurRun([e.pk for e in emails], seconds, worker["seconds"], cpu)


def rendered_messages(ids: list[int]) -> list[tuple[str, list[str], bytes]]:
    """The same messages, envelope and bytes as the worker builds them, before the baseline
    is timed."""
    from forgecrm.emails.delivery import outgoing, prepare

    ready = [prepare(item, for_smtp=True).envelope for item in outgoing(ids, status="sent")]
    return [(e.sender, e.recipients, e.data) for e in ready if e]


def send_plain(port: int, messages: list[tuple[str, list[str], bytes]]) -> float:
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for sender, recipients, data in messages:
            smtp.sendmail(sender, recipients, data)
    return time.perf_counter() - start


def pixel_load(ids: list[int], requests: int, threads: int) -> tuple[float, int]:
    """Requests per second of the pixel on a threaded WSGI server; and how many failed."""
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application
    from django.db import connections
    from django.utils import timezone

    from forgecrm.emails.models import Email

    # Sent an hour ago: opens are then a person's (counted), not a prefetch on arrival.
    Email.objects.filter(pk__in=ids).update(sent_at=timezone.now() - timezone.timedelta(hours=1))
    tokens = list(Email.objects.filter(pk__in=ids).values_list("tracking_token", flat=True))
    connections.close_all()

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args) -> None:
            pass

    port = free_port()
    server = ThreadedWSGIServer(("127.0.0.1", port), QuietHandler)
    server.set_app(get_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def fetch(token: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", f"/t/{token}.gif", headers={"User-Agent": BROWSER})
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status

    picks = [random.choice(tokens) for _ in range(requests)]
    for token in picks[:50]:
        fetch(token)
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        statuses = list(pool.map(fetch, picks))
    seconds = time.perf_counter() - start
    server.shutdown()
    return requests / seconds, sum(1 for s in statuses if s != 200)


def main() -> None:
    args = parse_args()
    smtp_port = free_port()
    setup_django(smtp_port)
    from django import get_version

    sink, sink_received = start_sink(smtp_port, args.answer_ms / 1000)
    try:
        sender, contacts = prepare(args.emails)
        runs = [send_our_way(sender, contacts) for _ in range(RUNS)]  # new emails each time
        received = sink_received.value
        ids = [pk for run in runs for pk in run.ids]
        messages = rendered_messages(runs[-1].ids)
        plain_runs = [send_plain(smtp_port, messages) for _ in range(RUNS)]
        assert sink_received.value == received + RUNS * len(messages), "the sink lost messages"
        rps, failed = pixel_load(runs[-1].ids, args.requests, args.threads)
    finally:
        sink.terminate()

    from forgecrm.emails.models import Email

    sent = Email.objects.filter(pk__in=ids, status="sent").count()
    median = sorted(runs, key=lambda run: run.seconds)[RUNS // 2]
    ours, worker, cpu = median.seconds, median.worker, median.cpu
    plain = statistics.median(plain_runs)
    ours_rate, plain_rate = len(median.ids) / ours, len(messages) / plain
    ratio = ours_rate / plain_rate
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{os.cpu_count()} CPUs, {platform.machine()}, load average {load}; Python "
        f"{platform.python_version()}, Django {get_version()}, SQLite; SMTP sink: aiosmtpd "
        f"in a process of its own, answering after {args.answer_ms:g} ms\n"
    )
    print(f"{'':<54}{'messages':>9}{'seconds':>9}{'msg/s':>8}")
    print(
        f"{'our path: render, rows, tracking, send, record':<54}{len(median.ids):>9}"
        f"{ours:>9.2f}{ours_rate:>8.0f}"
    )
    print(f"{'  of which the worker (claim, build, send, record)':<54}{'':>9}{worker:>9.2f}")
    print(
        f"{'  CPU of this process (all but the SMTP relay)':<54}{'':>9}{cpu:>9.2f}"
        f"   ({1000 * cpu / len(median.ids):.2f} ms per email)"
    )
    print(
        f"{'plain smtplib loop, same messages, one connection':<54}{len(messages):>9}"
        f"{plain:>9.2f}{plain_rate:>8.0f}"
    )
    print(
        f"\neach side is the median of {RUNS} runs; ours took "
        f"{', '.join(f'{run.seconds:.2f}' for run in runs)} s, the plain loop "
        f"{', '.join(f'{seconds:.2f}' for seconds in plain_runs)} s"
    )
    verdict = "PASS" if ratio >= TARGET_RATIO else "MISS"
    print(f"\nour path / plain loop = {ratio:.2f} (target >= {TARGET_RATIO}): {verdict}")
    print(f"emails marked sent: {sent} of {len(ids)} (all runs)")
    print(
        f"\nopen pixel GET /t/<token>.gif: {rps:.0f} requests/s "
        f"({args.requests} requests, {args.threads} client threads, http.client, against "
        f"Django's threaded WSGI server on 127.0.0.1; {failed} not 200)"
    )


if __name__ == "__main__":
    main()
