"""The worker's claims and the SMTP relay, the child process that holds a batch's
connection to the mail server."""

import multiprocessing
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from forgecrm.emails import delivery, smtp_relay
from forgecrm.emails.models import Email, EmailStatus
from tests.emails.factories import EmailFactory

BODY = b"Subject: Hello\r\n\r\n" + b"A line of a long proposal.\r\n" * 400  # about 11 kB


def message(number: int) -> delivery.Prepared:
    envelope = smtp_relay.Envelope("hello@pixelforgebd.com", [f"p{number}@acme.example"], BODY)
    return delivery.Prepared(Email(pk=number), None, envelope=envelope)


def test_a_long_batch_goes_whole_and_in_order_without_the_worker_and_relay_stuck(smtp):
    """A thousand answers fill the pipe back to the worker: unless the worker takes them
    while it hands over messages, both sides wait on each other for ever."""
    sender = delivery.Sender()
    outcomes: list[delivery.Outcome] = []

    def hand_over_then_collect() -> None:
        for number in range(1, 1001):
            sender.submit(message(number))
        outcomes.extend(sender.results(1000))

    worker = threading.Thread(target=hand_over_then_collect, daemon=True)
    worker.start()
    worker.join(timeout=60)
    finished = not worker.is_alive()
    if finished:
        sender.finish()
    else:
        sender.relay.kill()
    assert finished, "the worker and the relay were stuck waiting on each other"
    assert [o.email.pk for o in outcomes] == list(range(1, 1001))
    assert {o.result for o in outcomes} == {smtp_relay.SENT}
    assert [e.rcpt_tos for e in smtp.envelopes] == [[f"p{n}@acme.example"] for n in range(1, 1001)]


def test_a_relay_that_dies_fails_the_batch_at_once_instead_of_hanging(smtp):
    sender = delivery.Sender()
    sender.relay.kill()
    sender.relay.join()

    with pytest.raises(delivery.SenderStalled, match=r"relay stopped \(exit code -9\)"):
        sender.submit(message(1))
        sender.results(1)
    sender.finish()
    assert smtp.envelopes == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_one_batch_at_once_win_each_email_once():
    """Real concurrency (PostgreSQL): both claim the same 600 emails (two statements each)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the race needs PostgreSQL")
    ids = [EmailFactory(status=EmailStatus.QUEUED, sent_at=None).pk for _ in range(600)]
    both_ready = threading.Barrier(2, timeout=10)
    won: list[list[int]] = []

    def worker(order: list[int]) -> None:
        try:
            both_ready.wait()
            with transaction.atomic():
                won.append(delivery.claim(order, now=timezone.now()))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(order,)) for order in (ids, list(reversed(ids)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(won[0] + won[1]) == ids
    assert set(Email.objects.values_list("status", flat=True)) == {EmailStatus.SENDING}


@pytest.mark.django_db
def test_when_no_relay_can_start_the_emails_wait_for_a_retry_with_the_reason(smtp, monkeypatch):
    email = EmailFactory(status=EmailStatus.QUEUED, sent_at=None)

    def no_process(*args, **kwargs):
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(delivery.RELAYS, "Process", no_process)
    delivery.deliver(ids=[email.pk])

    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.QUEUED, 1)
    assert email.last_error == "Could not start sending: OSError: Resource temporarily unavailable"
    assert email.next_attempt_at > timezone.now()
    assert smtp.envelopes == []


@pytest.mark.django_db
def test_a_worker_that_may_not_start_a_process_sends_the_batch_itself(smtp, monkeypatch):
    """Huey's process workers are daemonic, and a daemonic process may not have children."""
    monkeypatch.setattr(multiprocessing.current_process(), "daemon", True)
    emails = [EmailFactory(status=EmailStatus.QUEUED, sent_at=None) for _ in range(3)]
    sender = delivery.Sender()
    assert sender.relay is None and sender.here is not None
    sender.finish()

    delivery.deliver(ids=[e.pk for e in emails])

    assert set(Email.objects.values_list("status", flat=True)) == {EmailStatus.SENT}
    assert [e.mail_from for e in smtp.envelopes] == ["hello@pixelforgebd.com"] * 3
