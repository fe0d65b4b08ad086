"""Sequences: steps at their time, exactly once, and stopping on reply, bounce or unsubscribe."""

import threading
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.db import connection

from forgecrm.emails import services as emails
from forgecrm.emails.models import Direction, Email, EmailStatus, Suppression, SuppressionReason
from forgecrm.followups import services
from forgecrm.followups.models import (
    Enrollment,
    EnrollmentStatus,
    FollowUpSource,
    FollowUpTask,
    Sequence,
    SequenceStep,
    StepOutcome,
    StepRun,
    StopReason,
)
from tests.emails.factories import EmailFactory, EmailTemplateFactory, contact_with_address

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # 10:00 in Dhaka


@pytest.fixture
def rahim():
    return contact_with_address(first_name="Rahim", client__name="Acme", address="r@acme.example")


@pytest.fixture
def plan(member) -> Sequence:
    """Day 1 an email, day 3 a call."""
    sequence = Sequence.objects.create(name="Onboarding test")
    template = EmailTemplateFactory(
        name="Hello",
        subject="Welcome, {{contact_first_name}}",
        body_html="<p>Hi!</p>",
        template_type="other",
    )
    SequenceStep.objects.create(sequence=sequence, days=1, kind="email", template=template)
    SequenceStep.objects.create(
        sequence=sequence, days=3, kind="task", task_title="Call Rahim", task_type="call"
    )
    return sequence


def enroll(plan, contact, member) -> Enrollment:
    with time_machine.travel(START, tick=False):
        [enrollment] = services.enroll(sequence=plan, contacts=[contact], actor=member).enrollments
    return enrollment


def run_at(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return services.run_due_steps()


def test_each_step_runs_at_its_day_and_not_before(committed, plan, rahim, member):
    enrollment = enroll(plan, rahim, member)
    assert enrollment.next_step_at == START + timedelta(days=1)

    assert run_at(START + timedelta(days=1) - timedelta(minutes=1)) == 0
    assert not Email.objects.exists()
    with committed():
        assert run_at(START + timedelta(days=1)) == 1
    email = Email.objects.get()
    assert email.subject == "Welcome, Rahim" and email.contact == rahim
    assert email.message_id and email.status == EmailStatus.OUTBOX  # no mailbox in tests

    assert run_at(START + timedelta(days=3) - timedelta(seconds=1)) == 0
    assert run_at(START + timedelta(days=3)) == 1
    task = FollowUpTask.objects.get()
    assert (task.title, task.source, task.assignee) == (
        "Call Rahim",
        FollowUpSource.SEQUENCE,
        member,
    )
    assert task.due_at == START + timedelta(days=3)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.COMPLETED and enrollment.next_step is None


def test_a_step_runs_once_when_the_worker_runs_twice(plan, rahim, member):
    enroll(plan, rahim, member)
    day_one = START + timedelta(days=1)
    assert run_at(day_one) == 1
    assert run_at(day_one) == 0
    assert run_at(day_one + timedelta(minutes=1)) == 0
    assert Email.objects.count() == 1 and StepRun.objects.count() == 1


def test_a_second_worker_holding_the_same_step_cannot_claim_it(plan, rahim, member):
    enrollment = enroll(plan, rahim, member)
    day_one = START + timedelta(days=1)
    # Both workers read the enrollment's next step; the first one does it.
    stale_step = enrollment.next_step_id
    assert run_at(day_one) == 1
    assert not services._claim(enrollment_id=enrollment.pk, step_id=stale_step, now=day_one)
    assert services.run_step(enrollment_id=enrollment.pk, now=day_one) is None
    assert Email.objects.count() == 1


def test_a_worker_dying_after_the_claim_leaves_the_step_to_the_next_run(plan, rahim, member):
    enrollment = enroll(plan, rahim, member)
    day_one = START + timedelta(days=1)
    # The process goes (SystemExit is no Exception): the step's transaction rolls back.
    killed = mock.patch.object(emails, "email_send", side_effect=SystemExit("worker killed"))
    with killed, pytest.raises(SystemExit):
        run_at(day_one)
    enrollment.refresh_from_db()
    assert enrollment.next_step_id is not None and not StepRun.objects.exists()
    assert not Email.objects.exists()
    assert run_at(day_one + timedelta(minutes=1)) == 1
    assert Email.objects.count() == 1 and StepRun.objects.get().outcome == StepOutcome.SENT


def test_a_reply_through_on_reply_stops_the_sequence(plan, rahim, member):
    enrollment = enroll(plan, rahim, member)
    run_at(START + timedelta(days=1))
    sent = Email.objects.get()
    services.on_reply(email=sent, at=START + timedelta(days=2))
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == (
        EnrollmentStatus.STOPPED,
        StopReason.REPLIED,
    )
    assert run_at(START + timedelta(days=3)) == 0
    assert not FollowUpTask.objects.exists()


def test_an_inbound_email_from_the_contact_stops_it_at_step_time(plan, rahim, member):
    enrollment = enroll(plan, rahim, member)
    EmailFactory(
        direction=Direction.INBOUND,
        status=EmailStatus.RECEIVED,
        contact=rahim,
        client=rahim.client,
        subject="Re: hello",
        sent_at=START + timedelta(hours=5),
    )
    assert run_at(START + timedelta(days=1)) == 0
    assert not Email.objects.filter(direction=Direction.OUTBOUND).exists()
    enrollment.refresh_from_db()
    assert enrollment.stop_reason == StopReason.REPLIED and "Re: hello" in enrollment.stop_detail


def test_mail_from_the_contact_before_enrolling_does_not_stop_it(plan, rahim, member):
    EmailFactory(direction=Direction.INBOUND, contact=rahim, sent_at=START - timedelta(days=1))
    enroll(plan, rahim, member)
    assert run_at(START + timedelta(days=1)) == 1


@pytest.mark.parametrize(("permanent", "reason"), [(True, StopReason.BOUNCED)], ids=["hard bounce"])
def test_a_bounced_address_stops_it_with_the_reason(plan, rahim, member, permanent, reason):
    enrollment = enroll(plan, rahim, member)
    emails.record_bounce(
        address="r@acme.example",
        permanent=permanent,
        email=None,
        at=START + timedelta(hours=1),
        detail="550 5.1.1 user unknown",
    )
    assert run_at(START + timedelta(days=1)) == 0
    enrollment.refresh_from_db()
    assert enrollment.stop_reason == StopReason.BOUNCED
    assert "r@acme.example bounced permanently" in enrollment.stop_detail
    assert not Email.objects.exists()


def test_an_unsubscribed_address_stops_it(plan, rahim, member):
    enrollment = enroll(plan, rahim, member)
    moment = START + timedelta(hours=2)
    Suppression.objects.create(
        address="r@acme.example",
        reason=SuppressionReason.UNSUBSCRIBED,
        first_event_at=moment,
        last_event_at=moment,
        suppressed_at=moment,
    )
    assert run_at(START + timedelta(days=1)) == 0
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.STOPPED
    assert enrollment.stop_reason == StopReason.UNSUBSCRIBED
    assert "r@acme.example unsubscribed" in enrollment.stop_detail
    assert not Email.objects.exists()


def test_an_address_blocked_by_hand_stops_it_saying_so(plan, rahim, member):
    enrollment = enroll(plan, rahim, member)
    with time_machine.travel(START + timedelta(hours=3), tick=False):
        emails.suppression_block(address="r@acme.example", note="Asked to stop", actor=member)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.STOPPED
    assert enrollment.stop_reason == StopReason.BLOCKED
    assert enrollment.get_stop_reason_display() == "The contact's address was blocked by hand"
    assert "r@acme.example was blocked by hand" in enrollment.stop_detail


def test_a_bounce_or_an_unsubscribe_stops_it_at_once_not_at_the_next_step(plan, member):
    bouncing = contact_with_address(first_name="Bina", address="Bina@Acme.example")
    leaving = contact_with_address(first_name="Lutfur", address="lutfur@acme.example")
    staying = contact_with_address(first_name="Sadia", address="sadia@acme.example")
    bounced, unsubscribed, kept = (enroll(plan, c, member) for c in (bouncing, leaving, staying))
    emails.record_bounce(
        address="bina@acme.example",
        permanent=True,
        email=None,
        at=START + timedelta(hours=1),
        detail="550 5.1.1 user unknown",
    )
    sent = EmailFactory(to="lutfur@acme.example", contact=leaving, client=leaving.client)
    emails.unsubscribe(token=sent.tracking_token, at=START + timedelta(hours=2), one_click=True)

    for enrollment in (bounced, unsubscribed, kept):
        enrollment.refresh_from_db()
    assert (bounced.status, bounced.stop_reason) == (EnrollmentStatus.STOPPED, StopReason.BOUNCED)
    assert bounced.stopped_at == START + timedelta(hours=1)
    assert unsubscribed.stop_reason == StopReason.UNSUBSCRIBED
    assert "lutfur@acme.example unsubscribed" in unsubscribed.stop_detail
    assert kept.status == EnrollmentStatus.ACTIVE


def test_pause_holds_the_steps_and_resume_shifts_them(plan, rahim, member):
    enrollment = enroll(plan, rahim, member)
    with time_machine.travel(START + timedelta(hours=12), tick=False):
        services.enrollment_pause(enrollment=enrollment, actor=member)
    assert run_at(START + timedelta(days=2)) == 0
    with time_machine.travel(START + timedelta(days=2, hours=12), tick=False):
        enrollment = services.enrollment_resume(enrollment=enrollment, actor=member)
    # Paused for two days: day 1 is now START + 3 days, day 3 START + 5 days.
    assert enrollment.next_step_at == START + timedelta(days=3)
    assert run_at(START + timedelta(days=3) - timedelta(minutes=1)) == 0
    assert run_at(START + timedelta(days=3)) == 1
    enrollment.refresh_from_db()
    assert enrollment.next_step_at == START + timedelta(days=5)
    with pytest.raises(services.SequenceProblem):
        services.enrollment_resume(enrollment=enrollment, actor=member)


def test_stop_by_hand_and_enrolling_twice(plan, rahim, member):
    enrollment = enroll(plan, rahim, member)
    again = services.enroll(sequence=plan, contacts=[rahim], actor=member)
    assert again.enrollments == [] and again.skipped[0][1] == "already in this sequence"
    services.enrollment_stop(enrollment=enrollment, actor=member)
    enrollment.refresh_from_db()
    assert enrollment.stop_reason == StopReason.MANUAL
    assert run_at(START + timedelta(days=10)) == 0
    assert len(services.enroll(sequence=plan, contacts=[rahim], actor=member).enrollments) == 1


def test_a_step_that_cannot_be_rendered_is_recorded_and_the_sequence_goes_on(plan, member):
    nobody = contact_with_address(first_name="Nobody")
    nobody.email_addresses.all().delete()
    enroll(plan, nobody, member)
    assert run_at(START + timedelta(days=1)) == 1
    run = StepRun.objects.get()
    assert run.outcome == StepOutcome.FAILED and "has no e-mail address" in run.detail
    assert run_at(START + timedelta(days=3)) == 1
    assert FollowUpTask.objects.count() == 1


def test_the_step_email_reaches_the_mail_server(smtp, committed, plan, rahim, member):
    enroll(plan, rahim, member)
    with committed():
        run_at(START + timedelta(days=1))
    [message] = smtp.messages
    assert message["To"].addresses[0].addr_spec == "r@acme.example"
    assert message["Subject"] == "Welcome, Rahim"
    email = Email.objects.get()
    assert message["Message-ID"] == email.message_id and email.status == EmailStatus.SENT


def test_the_ready_made_sequences(member):
    assert services.ensure_default_sequences() == 3
    assert services.ensure_default_sequences() == 0
    onboarding = Sequence.objects.get(name="New client onboarding")
    assert [s.days for s in onboarding.steps.all()] == [1, 3, 7, 14]
    contact = contact_with_address(first_name="Karim")
    for sequence in Sequence.objects.all():
        services.enroll(sequence=sequence, contacts=[contact], actor=member, at=START)
    assert run_at(START + timedelta(days=60)) == 3
    assert run_at(START + timedelta(days=60, minutes=1)) == 3
    assert not StepRun.objects.filter(outcome=StepOutcome.FAILED).exists()


def test_a_step_whose_template_was_deleted_fails_saying_so(plan, rahim, member):
    enroll(plan, rahim, member)
    emails.template_delete(template=plan.steps.first().template, actor=member)
    assert run_at(START + timedelta(days=1)) == 1
    run = StepRun.objects.get()
    assert run.outcome == StepOutcome.FAILED and run.detail.startswith(
        "Template deleted: pick another"
    )


def test_picking_a_template_again_runs_the_step_that_failed_without_one(plan, rahim, member):
    enrollment = enroll(plan, rahim, member)
    email_step, call_step = plan.steps.all()
    emails.template_delete(template=email_step.template, actor=member)
    assert run_at(START + timedelta(days=1)) == 1
    assert StepRun.objects.get().outcome == StepOutcome.FAILED
    enrollment.refresh_from_db()
    assert enrollment.next_step == call_step

    email_step.refresh_from_db()
    email_step.template = EmailTemplateFactory(subject="Hello again, {{contact_first_name}}")
    edited = START + timedelta(days=2)
    with time_machine.travel(edited, tick=False):
        services.sequence_save(sequence=plan, steps=[email_step, call_step], actor=member)
    enrollment.refresh_from_db()
    assert enrollment.next_step == email_step and enrollment.next_step_at <= edited
    assert run_at(edited + timedelta(minutes=1)) == 1
    assert Email.objects.get().subject == "Hello again, Rahim"
    assert run_at(START + timedelta(days=3)) == 1  # then the call, on its day, once
    assert run_at(START + timedelta(days=3, minutes=1)) == 0
    assert [r.outcome for r in StepRun.objects.order_by("ran_at")] == [
        StepOutcome.SENT,
        StepOutcome.TASK,
    ]


def test_an_unexpected_error_in_one_step_is_recorded_and_the_others_go_on(plan, member):
    broken = contact_with_address(first_name="Broken", address="broken@acme.example")
    fine = contact_with_address(first_name="Fine", address="fine@acme.example")
    first, second = enroll(plan, broken, member), enroll(plan, fine, member)
    real_send = emails.email_send

    def send(*, draft, actor):
        if draft.contact == broken:
            raise RuntimeError("renderer crashed")
        return real_send(draft=draft, actor=actor)

    day_one = START + timedelta(days=1)
    with mock.patch.object(emails, "email_send", side_effect=send):
        assert run_at(day_one) == 2
        assert run_at(day_one + timedelta(minutes=1)) == 0  # failed once, not every minute
    failed = StepRun.objects.get(enrollment=first)
    assert failed.outcome == StepOutcome.FAILED
    assert failed.detail == "Unexpected error, step skipped: RuntimeError: renderer crashed"
    assert StepRun.objects.get(enrollment=second).outcome == StepOutcome.SENT
    assert Email.objects.get().contact == fine
    first.refresh_from_db()
    assert first.next_step.kind == "task" and first.status == EnrollmentStatus.ACTIVE
    assert run_at(START + timedelta(days=3)) == 2
    assert FollowUpTask.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_do_the_step_once(member):
    """Real concurrency (PostgreSQL): both workers read the due step and claim it together."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the race needs PostgreSQL")
    template = EmailTemplateFactory(template_type="other")
    sequence = Sequence.objects.create(name="Race")
    SequenceStep.objects.create(sequence=sequence, days=0, template=template)
    SequenceStep.objects.create(sequence=sequence, days=5, template=template)  # stays active
    contact = contact_with_address(first_name="Rahim")
    services.enroll(sequence=sequence, contacts=[contact], actor=member, at=START)
    claim = services._claim
    both_ready = threading.Barrier(2, timeout=10)

    def claim_together(**kwargs):
        both_ready.wait()
        return claim(**kwargs)

    ran: list[int] = []

    def worker() -> None:
        try:
            ran.append(services.run_due_steps(now=START + timedelta(minutes=1)))
        finally:
            connection.close()

    with mock.patch.object(services, "_claim", side_effect=claim_together):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(ran) == [0, 1]
    assert Email.objects.count() == 1 and StepRun.objects.count() == 1


def test_resuming_with_no_step_left_completes_it(plan, rahim, member):
    enrollment = enroll(plan, rahim, member)
    services.enrollment_pause(enrollment=enrollment, actor=member)
    services.sequence_save(sequence=plan, steps=[], removed=list(plan.steps.all()), actor=member)
    enrollment = services.enrollment_resume(enrollment=enrollment, actor=member)
    assert enrollment.status == EnrollmentStatus.COMPLETED


def test_nothing_is_done_for_a_contact_in_the_trash(plan, rahim, member):
    enroll(plan, rahim, member)
    rahim.deleted_at = START
    rahim.save(update_fields=["deleted_at"])
    assert run_at(START + timedelta(days=5)) == 0
    assert not Email.objects.exists() and not FollowUpTask.objects.exists()
