"""The morning digest: 08:00 in each user's own time zone, once a day, through Django's
mail backend (the locmem outbox here)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from forgecrm.accounts.models import UserProfile
from forgecrm.followups.models import FollowUpStatus
from forgecrm.notifications import services
from forgecrm.notifications.models import DigestSent
from tests.factories import ClientFactory, UserFactory
from tests.followups.factories import FollowUpFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def outbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://crm.example.com"
    mail.outbox = []
    return mail.outbox


def person(username: str, zone: str):
    user = UserFactory(username=username, role="member", first_name=username.title())
    UserProfile.objects.create(user=user, timezone=zone)
    return user


def run_at(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return services.send_morning_digests()


# 08:00 on 10 March 2026 in Dhaka (UTC+6) is 02:00 UTC; in New York (daylight saving time
# since 8 March, UTC-4) it is 12:00 UTC.
DHAKA_8 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
NEW_YORK_8 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_each_user_gets_it_at_eight_in_their_own_time_zone(outbox):
    rahim = person("rahim", "Asia/Dhaka")
    jane = person("jane", "America/New_York")
    acme = ClientFactory(name="Acme Ltd")
    late = FollowUpFactory(
        client=acme, title="Chase the invoice", assignee=rahim, due_at=DHAKA_8 - timedelta(days=1)
    )
    FollowUpFactory(
        client=acme, title="Call at noon", assignee=rahim, due_at=DHAKA_8 + timedelta(hours=4)
    )
    FollowUpFactory(
        client=acme, title="Tomorrow's", assignee=rahim, due_at=DHAKA_8 + timedelta(days=1)
    )
    FollowUpFactory(
        client=acme, title="Jane's call", assignee=jane, due_at=NEW_YORK_8 + timedelta(hours=2)
    )

    assert run_at(DHAKA_8 - timedelta(minutes=1)) == 0
    assert run_at(DHAKA_8) == 1
    [message] = outbox
    assert message.to == [rahim.email]
    assert message.subject == "Your follow-ups for Tuesday 10 March: 1 overdue, 1 due today"
    assert "Chase the invoice — Acme Ltd, was due Mon 9 Mar, 08:00" in message.body
    assert "Call at noon — Acme Ltd, at 12:00" in message.body
    assert "Tomorrow's" not in message.body
    link = f"https://crm.example.com/admin/crm/followups/?client={acme.pk}#followup-{late.pk}"
    assert link in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and f'href="{link}"' in html

    assert run_at(NEW_YORK_8 - timedelta(minutes=1)) == 0  # 07:59 in New York
    assert run_at(NEW_YORK_8) == 1
    assert outbox[1].to == [jane.email]
    assert "Jane's call — Acme Ltd, at 10:00" in outbox[1].body  # New York time
    assert "Times are in America/New_York" in outbox[1].body


def test_sent_once_even_if_the_worker_runs_twice(outbox):
    rahim = person("rahim", "Asia/Dhaka")
    FollowUpFactory(assignee=rahim, due_at=DHAKA_8 + timedelta(hours=1))
    assert run_at(DHAKA_8) == 1
    assert run_at(DHAKA_8) == 0
    assert run_at(DHAKA_8 + timedelta(hours=1)) == 0
    assert len(outbox) == 1
    assert DigestSent.objects.get().date.isoformat() == "2026-03-10"
    # The next morning brings the next one.
    FollowUpFactory(assignee=rahim, due_at=DHAKA_8 + timedelta(days=1, hours=1))
    assert run_at(DHAKA_8 + timedelta(days=1)) == 1


def test_no_digest_without_follow_ups_after_the_morning_or_when_turned_off(outbox):
    idle = person("idle", "Asia/Dhaka")
    FollowUpFactory(assignee=idle, due_at=DHAKA_8, status=FollowUpStatus.COMPLETED)
    late_riser = person("late", "Asia/Dhaka")
    FollowUpFactory(assignee=late_riser, due_at=DHAKA_8 + timedelta(hours=8))
    opted_out = person("quiet", "Asia/Dhaka")
    FollowUpFactory(assignee=opted_out, due_at=DHAKA_8 + timedelta(hours=1))
    services.set_morning_digest(user=opted_out, enabled=False)

    assert run_at(DHAKA_8 + timedelta(hours=4)) == 0  # 12:00: too late for a morning digest
    assert run_at(DHAKA_8 + timedelta(hours=1)) == 1  # 09:00: the late riser gets theirs
    assert [m.to for m in outbox] == [[late_riser.email]]


def test_a_digest_that_fails_to_send_is_tried_again(outbox, settings):
    rahim = person("rahim", "Asia/Dhaka")
    FollowUpFactory(assignee=rahim, due_at=DHAKA_8 + timedelta(hours=1))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    assert run_at(DHAKA_8) == 0
    assert not DigestSent.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert run_at(DHAKA_8 + timedelta(minutes=1)) == 1
    assert len(outbox) == 1


def test_the_settings_page_turns_it_off_and_on(member_client, member):
    page = member_client.get("/accounts/settings/").content.decode()
    assert 'name="morning_digest" id="id_morning_digest" checked' in page
    response = member_client.post("/accounts/settings/", {"action": "digest"}, follow=True)
    assert "Morning digest turned off." in response.content.decode()
    assert not services.wants_morning_digest(member)
    member_client.post("/accounts/settings/", {"action": "digest", "morning_digest": "on"})
    assert services.wants_morning_digest(member)


def test_owners_see_the_unassigned_follow_ups_of_their_clients(outbox):
    """The same people reminders go to: the assignee, else the client's owner."""
    owner = person("owner", "Asia/Dhaka")
    colleague = person("colleague", "Asia/Dhaka")
    mine = ClientFactory(name="Owned Ltd", owner=owner)
    FollowUpFactory(client=mine, title="Nobody's call", assignee=None, due_at=DHAKA_8)
    FollowUpFactory(
        client=mine,
        title="Colleague's call",
        assignee=colleague,
        due_at=DHAKA_8 + timedelta(hours=1),
    )
    assert run_at(DHAKA_8 + timedelta(minutes=30)) == 2
    by_address = {m.to[0]: m for m in outbox}
    owners = by_address[owner.email].body
    assert (
        "Nobody's call — Owned Ltd, was due Tue 10 Mar, 08:00 (unassigned, your client)" in owners
    )
    assert "Colleague's call" not in owners
    assert "Nobody's call" not in by_address[colleague.email].body
    assert "Colleague's call — Owned Ltd, at 09:00\n" in by_address[colleague.email].body
