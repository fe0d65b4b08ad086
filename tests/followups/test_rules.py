"""Rules: a proposal, quote or outreach email sent creates a follow-up; a reply closes it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from forgecrm.emails import services as emails
from forgecrm.emails.models import Email, EmailStatus
from forgecrm.followups import services
from forgecrm.followups.models import FollowUpRule, FollowUpSource, FollowUpStatus, FollowUpTask
from tests.emails.factories import contact_with_address

pytestmark = pytest.mark.django_db


@pytest.fixture
def rahim():
    return contact_with_address(first_name="Rahim", client__name="Acme", address="r@acme.example")


def send(committed, contact, member, **draft) -> Email:
    """Through the emails service; no mailbox in tests, so the worker keeps it in the outbox."""
    with committed():
        email = emails.email_send(
            draft=emails.Draft(
                to=[contact.pk], subject="Our proposal", body_html="<p>Hi</p>", **draft
            ),
            actor=member,
        )
    email.refresh_from_db()
    assert email.status == EmailStatus.OUTBOX
    return email


def test_the_default_rules_exist():
    assert dict(FollowUpRule.objects.values_list("email_type", "days")) == {
        "proposal": 3,
        "quote": 2,
        "outreach": 7,
    }


def test_a_proposal_email_gets_a_follow_up_in_three_days(committed, rahim, member):
    before = timezone.now()
    email = send(committed, rahim, member, email_type="proposal")
    task = FollowUpTask.objects.get(email=email)
    assert task.source == FollowUpSource.RULE
    assert task.client_id == rahim.client_id and task.assignee == member
    assert before + timedelta(days=3) <= task.due_at <= timezone.now() + timedelta(days=3)


def test_no_rule_no_follow_up_and_an_inactive_rule_does_nothing(committed, rahim, member):
    send(committed, rahim, member, email_type="support")
    FollowUpRule.objects.filter(email_type="quote").update(is_active=False)
    send(committed, rahim, member, email_type="quote")
    assert not FollowUpTask.objects.exists()


def test_the_emails_own_days_win_over_the_rule(committed, rahim, member):
    email = send(committed, rahim, member, email_type="proposal", follow_up_days=10)
    task = FollowUpTask.objects.get(email=email)
    assert task.source == FollowUpSource.MANUAL
    assert task.due_at - email.events.get(kind="outbox").occurred_at == timedelta(days=10)


def test_an_open_follow_up_for_the_email_is_not_doubled(committed, rahim, member):
    email = send(committed, rahim, member, email_type="proposal")
    services.on_emails_sent(emails=[email])
    assert FollowUpTask.objects.filter(email=email).count() == 1


def test_a_reply_completes_the_reminder_asked_for_in_the_composer(committed, rahim, member):
    email = send(committed, rahim, member, email_type="proposal", follow_up_days=3)
    [reminder] = FollowUpTask.objects.filter(email=email)
    assert reminder.source == FollowUpSource.MANUAL  # the composer's, instead of the rule's
    email.replied_at = timezone.now()
    email.save(update_fields=["replied_at"])

    assert services.on_reply(email=email) == 1

    reminder.refresh_from_db()
    assert reminder.status == FollowUpStatus.COMPLETED


def test_a_reply_completes_the_rule_follow_ups_only(committed, rahim, member):
    email = send(committed, rahim, member, email_type="proposal")
    manual = FollowUpTask.objects.create(
        client=rahim.client, title="Call", task_type="call", due_at=timezone.now(), email=email
    )
    email.replied_at = timezone.now()
    email.save(update_fields=["replied_at"])
    assert services.on_reply(email=email) == 1
    rule = FollowUpTask.objects.get(email=email, source=FollowUpSource.RULE)
    assert rule.status == FollowUpStatus.COMPLETED and rule.completed_at == email.replied_at
    manual.refresh_from_db()
    assert manual.status == FollowUpStatus.PENDING
    assert services.on_reply(email=email) == 0
