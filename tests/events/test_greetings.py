"""Greetings: prepared for the right people, sent at 09:00 where each one is, exactly once."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction

from forgecrm.clients.models import Client
from forgecrm.emails import defaults
from forgecrm.emails.models import Email, EmailTemplate
from forgecrm.events import greetings
from forgecrm.events.models import EventType, Greeting, GreetingStatus, Recurrence
from tests.emails.factories import EmailTemplateFactory, contact_with_address
from tests.events.factories import ImportantDateFactory
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

CHRISTMAS = "holiday:christmas:2026"
DEC_20 = date(2026, 12, 20)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def primary(*, zone: str = "Asia/Dhaka", status: str = "active", **kwargs):
    """A client's primary contact with an e-mail address, in `zone`."""
    contact = contact_with_address(
        client__timezone=zone, client__status=status, client__name=f"{zone} Ltd", **kwargs
    )
    Client.objects.filter(pk=contact.client_id).update(primary_contact=contact)
    return contact


@pytest.fixture
def dhaka():
    return primary(zone="Asia/Dhaka", first_name="Rahim")


@pytest.fixture
def new_york():
    return primary(zone="America/New_York", first_name="Emily")


def emails_to(contact) -> list[Email]:
    return list(Email.objects.filter(contact=contact))


def test_nine_in_the_morning_where_each_recipient_is():
    assert greetings.send_time(date(2026, 12, 25), "America/New_York") == at(2026, 12, 25, 14)
    assert greetings.send_time(date(2026, 4, 14), "America/New_York") == at(2026, 4, 14, 13)
    assert greetings.send_time(date(2026, 12, 25), "Asia/Dhaka") == at(2026, 12, 25, 3)


def test_holiday_greetings_go_at_nine_local_time(dhaka, new_york):
    # The contact's own zone wins over the company's.
    london = primary(zone="Asia/Dhaka", first_name="Olivia", timezone="Europe/London")
    greetings.prepare(today=DEC_20, days=7)
    send_at = {g.contact_id: g.send_at for g in Greeting.objects.filter(occurrence_key=CHRISTMAS)}
    assert send_at == {
        dhaka.pk: at(2026, 12, 25, 3),
        new_york.pk: at(2026, 12, 25, 14),
        london.pk: at(2026, 12, 25, 9),
    }
    greetings.approve(greetings=Greeting.objects.all(), actor=None)

    assert greetings.send_due(now=at(2026, 12, 25, 2, 59)) == []  # 08:59 in Dhaka
    assert Email.objects.count() == 0

    greetings.send_due(now=at(2026, 12, 25, 3, 0))
    [email] = emails_to(dhaka)
    assert email.email_type == "greeting"
    assert email.subject == "Merry Christmas, Rahim!"
    assert email.recipients.get().address == dhaka.email_addresses.get().email
    assert emails_to(new_york) == []  # 22:00 the evening before in New York

    greetings.send_due(now=at(2026, 12, 25, 14, 1))
    assert len(emails_to(new_york)) == 1
    assert len(emails_to(dhaka)) == 1
    assert set(Greeting.objects.values_list("status", flat=True)) == {GreetingStatus.SENT}
    assert Greeting.objects.get(contact=new_york).email == emails_to(new_york)[0]


def test_a_client_saved_without_a_time_zone_is_greeted_in_the_default_one(dhaka, new_york):
    """Saved before a client's zone was required: its greeting goes at 09:00 Dhaka, and the
    other clients' greetings are still prepared."""
    blank = primary(zone="America/New_York", first_name="Zoneless")
    Client.objects.filter(pk=blank.client_id).update(timezone="")

    greetings.prepare(today=DEC_20, days=7)

    send_at = {g.contact_id: g.send_at for g in Greeting.objects.filter(occurrence_key=CHRISTMAS)}
    assert send_at == {
        dhaka.pk: at(2026, 12, 25, 3),
        new_york.pk: at(2026, 12, 25, 14),
        blank.pk: at(2026, 12, 25, 3),
    }


def test_a_client_needs_a_time_zone(api):
    response = api.post("/clients", {"name": "Zoneless Ltd", "timezone": ""})
    assert response.status_code == 422
    assert "timezone" in response.json()["errors"]
    assert api.post("/clients", {"name": "Default Zone Ltd"}).json()["timezone"] == "Asia/Dhaka"


def test_only_approved_greetings_are_sent(dhaka, new_york):
    greetings.prepare(today=DEC_20, days=7)
    greetings.exclude(greetings=Greeting.objects.filter(contact=new_york))
    greetings.send_due(now=at(2026, 12, 25, 15))
    assert Email.objects.count() == 0  # proposed ones wait for a person
    greetings.approve(greetings=Greeting.objects.filter(contact=dhaka), actor=None)
    greetings.send_due(now=at(2026, 12, 25, 15))
    assert len(emails_to(dhaka)) == 1
    assert emails_to(new_york) == []
    assert Greeting.objects.get(contact=new_york).status == GreetingStatus.EXCLUDED


def test_running_the_sender_twice_sends_once(dhaka):
    greetings.prepare(today=DEC_20, days=7)
    greetings.approve(greetings=Greeting.objects.all(), actor=None)
    now = at(2026, 12, 25, 4)
    assert len(greetings.send_due(now=now)) == 1
    assert greetings.send_due(now=now) == []
    assert greetings.send_due(now=now + timedelta(hours=1)) == []
    assert len(emails_to(dhaka)) == 1


def test_a_greeting_claimed_by_another_worker_is_left_alone(dhaka):
    greetings.prepare(today=DEC_20, days=7)
    greetings.approve(greetings=Greeting.objects.all(), actor=None)
    greeting = Greeting.objects.get()
    now = at(2026, 12, 25, 4)
    assert greetings.claim(greeting_id=greeting.pk, now=now)
    assert not greetings.claim(greeting_id=greeting.pk, now=now)  # exactly one claim wins
    assert greetings.send_due(now=now) == []
    assert Email.objects.count() == 0


def test_a_worker_that_died_after_claiming_is_recovered_without_a_duplicate(dhaka):
    greetings.prepare(today=DEC_20, days=7)
    greetings.approve(greetings=Greeting.objects.all(), actor=None)
    greeting = Greeting.objects.get()
    crashed_at = at(2026, 12, 25, 4)
    greetings.claim(greeting_id=greeting.pk, now=crashed_at)  # ... and the worker dies

    assert greetings.send_due(now=crashed_at + timedelta(minutes=5)) == []  # maybe still busy
    later = crashed_at + greetings.STALE_CLAIM + timedelta(minutes=1)
    assert greetings.send_due(now=later) == [greeting.pk]
    assert greetings.send_due(now=later + timedelta(minutes=5)) == []
    assert len(emails_to(dhaka)) == 1


def test_a_slow_worker_whose_claim_was_taken_over_stores_no_email(dhaka):
    greetings.prepare(today=DEC_20, days=7)
    greetings.approve(greetings=Greeting.objects.all(), actor=None)
    greeting = Greeting.objects.select_related("contact__client").get()
    slow = at(2026, 12, 25, 4)
    greetings.claim(greeting_id=greeting.pk, now=slow)
    later = slow + greetings.STALE_CLAIM + timedelta(minutes=1)
    assert greetings.send_due(now=later) == [greeting.pk]  # taken over and sent

    greetings._send_claimed(greeting, claimed_at=slow)  # the slow one finally gets there
    assert len(emails_to(dhaka)) == 1


def test_preparing_is_idempotent_and_the_constraint_refuses_duplicates(dhaka, new_york):
    assert greetings.prepare(today=DEC_20, days=7) == 2
    assert greetings.prepare(today=DEC_20, days=7) == 0
    assert greetings.prepare(today=DEC_20 + timedelta(days=1), days=7) == 0
    assert Greeting.objects.filter(occurrence_key=CHRISTMAS).count() == 2

    first = Greeting.objects.get(contact=dhaka)
    # A concurrent run that slipped past the check is stopped by the database.
    copy = Greeting(
        occurrence_key=CHRISTMAS,
        occasion="Christmas",
        occasion_date=first.occasion_date,
        contact=dhaka,
        send_at=first.send_at,
    )
    Greeting.objects.bulk_create([copy], ignore_conflicts=True)
    assert Greeting.objects.filter(contact=dhaka).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.pk = None
        copy.save()


def test_holidays_greet_only_active_clients_primary_contacts(dhaka):
    primary(status="prospect", first_name="Prospect")
    primary(status="inactive", first_name="Gone")
    ContactFactory(client=dhaka.client, first_name="NotPrimary")
    no_address = ContactFactory(first_name="NoAddress")
    Client.objects.filter(pk=no_address.client_id).update(primary_contact=no_address)
    trashed = primary(first_name="Trashed")
    trashed.delete()  # soft delete
    greetings.prepare(today=DEC_20, days=7)
    assert list(Greeting.objects.values_list("contact__first_name", flat=True)) == ["Rahim"]


def test_birthdays_anniversaries_and_stored_events(dhaka):
    person = contact_with_address(first_name="Karim", birthday=date(1990, 12, 22))
    primary(first_name="Boss")
    Client.objects.filter(pk=dhaka.client_id).update(client_since=date(2020, 12, 23))
    event_contact = contact_with_address(first_name="Salma")
    template = EmailTemplateFactory(name="Launch day", subject="Happy launch day")
    ImportantDateFactory(
        name="Launch",
        date=date(2024, 12, 24),
        contact=event_contact,
        send_greeting=True,
        message_template=template,
    )
    ImportantDateFactory(name="Quiet", date=date(2024, 12, 24), contact=person)  # no greeting
    ImportantDateFactory(
        name="Founding day",
        event_type=EventType.BUSINESS_MILESTONE,
        date=date(2026, 12, 21),
        recurrence=Recurrence.NONE,
        client=dhaka.client,
        send_greeting=True,
        custom_message="Thank you for <everything>!",
    )
    greetings.prepare(today=DEC_20, days=7)
    found = {
        (g.occurrence_key.split(":")[0], g.contact.first_name): g
        for g in Greeting.objects.select_related("contact", "template")
    }
    assert set(found) == {
        ("contact-birthday", "Karim"),
        ("client-since", "Rahim"),
        ("event", "Salma"),
        ("event", "Rahim"),
        ("holiday", "Rahim"),
        ("holiday", "Boss"),
    }
    assert found["contact-birthday", "Karim"].template.name == defaults.BIRTHDAY
    assert found["client-since", "Rahim"].template.name == defaults.BUSINESS_ANNIVERSARY
    assert found["event", "Salma"].template == template
    founding = found["event", "Rahim"]
    assert founding.template is None
    rendered = greetings.render(founding, actor=None)
    assert "Thank you for &lt;everything&gt;!" in rendered.body_html
    assert "Dear Rahim," in rendered.body_html
    birthday = greetings.render(found["contact-birthday", "Karim"], actor=None)
    assert birthday.subject == "Happy birthday, Karim!"


def test_the_greeting_templates_are_ready_made_and_fill_in(dhaka):
    greetings.prepare(today=date(2026, 4, 10), days=7)
    names = set(EmailTemplate.objects.filter(category="greetings").values_list("name", flat=True))
    assert set(greetings.HOLIDAY_TEMPLATES.values()) <= names
    assert {defaults.BIRTHDAY, defaults.BUSINESS_ANNIVERSARY} <= names
    greeting = Greeting.objects.get(occurrence_key="holiday:pohela-boishakh:2026")
    rendered = greetings.render(greeting, actor=None)
    assert "শুভ নববর্ষ" in rendered.subject
    assert "Shubho Noboborsho" in rendered.body_html
    assert "{{" not in rendered.subject + rendered.body_html


def test_a_greeting_approved_after_the_day_is_over_is_not_sent(dhaka):
    greetings.prepare(today=DEC_20, days=7)
    greetings.approve(greetings=Greeting.objects.all(), actor=None)
    assert greetings.send_due(now=at(2026, 12, 26, 20)) == []
    greeting = Greeting.objects.get()
    assert greeting.status == GreetingStatus.FAILED
    assert "over" in greeting.last_error
    assert Email.objects.count() == 0


def test_mark_an_occasion_done(dhaka, new_york):
    greetings.prepare(today=DEC_20, days=7)
    greetings.approve(greetings=Greeting.objects.filter(contact=dhaka), actor=None)
    assert greetings.mark_done(occurrence_key=CHRISTMAS) == 1
    statuses = dict(Greeting.objects.values_list("contact_id", "status"))
    assert statuses == {dhaka.pk: GreetingStatus.APPROVED, new_york.pk: GreetingStatus.EXCLUDED}


# ---- The API ----


@time_machine.travel(at(2026, 12, 25, 10), tick=False)
def test_api_send_greeting_sends_where_it_is_nine_and_schedules_the_rest(api, dhaka, new_york):
    response = api.post("/events/send-greeting", {"occurrence_key": CHRISTMAS})
    assert response.status_code == 200, response.content
    rows = {row["contact_id"]: row for row in response.json()}
    assert rows[dhaka.pk]["status"] == "sent"
    assert rows[dhaka.pk]["email_id"] == emails_to(dhaka)[0].pk
    assert rows[new_york.pk]["status"] == "approved"
    assert rows[new_york.pk]["send_at"].startswith("2026-12-25T14:00:00")
    assert rows[new_york.pk]["email_id"] is None

    again = api.post("/events/send-greeting", {"occurrence_key": CHRISTMAS})
    assert again.status_code == 200
    assert Email.objects.count() == 1


@time_machine.travel(at(2026, 12, 25, 10), tick=False)
def test_api_send_greeting_to_some_contacts(api, dhaka, new_york):
    response = api.post(
        "/events/send-greeting", {"occurrence_key": CHRISTMAS, "contacts": [new_york.pk]}
    )
    assert [row["contact_id"] for row in response.json()] == [new_york.pk]
    assert Greeting.objects.get(contact=dhaka).status == GreetingStatus.PROPOSED

    wrong = api.post("/events/send-greeting", {"occurrence_key": CHRISTMAS, "contacts": [999999]})
    assert wrong.status_code == 422
    unknown = api.post("/events/send-greeting", {"occurrence_key": "holiday:nothing:2026"})
    assert unknown.status_code == 422


@time_machine.travel(at(2026, 12, 25, 10), tick=False)
def test_api_send_greeting_needs_the_change_permission(viewer_api, dhaka):
    response = viewer_api.post("/events/send-greeting", {"occurrence_key": CHRISTMAS})
    assert response.status_code == 403
    assert Greeting.objects.count() == 0


# ---- The pages ----

PAGE = "/admin/crm/calendar/greetings/"


@pytest.fixture
def december():
    """20 December 2026, from before anyone signs in (sessions last two weeks)."""
    with time_machine.travel(at(2026, 12, 20, 6), tick=False) as traveller:
        yield traveller


def test_the_greetings_page_lists_occasions_with_status(december, viewer_client, dhaka, new_york):
    greetings.prepare()
    greetings.approve(greetings=Greeting.objects.filter(contact=dhaka), actor=None)
    response = viewer_client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Christmas" in html
    assert "Emily" in html and "Rahim" in html
    assert "Approved" in html and "Proposed" in html
    assert "Fri 25 Dec, 09:00" in html  # each in their own time
    assert 'name="ids"' not in html  # viewers approve nothing
    assert "Approve selected" not in html
    assert viewer_client.get("/admin/crm/calendar/").content.decode().count(PAGE) == 1


def test_preview_shows_the_greeting_as_the_recipient_gets_it(december, viewer_client, new_york):
    greetings.prepare()
    greeting = Greeting.objects.get()
    html = viewer_client.get(f"{PAGE}{greeting.pk}/").content.decode()
    assert "Merry Christmas, Emily!" in html
    assert "Dear Emily," in html  # inside the sandboxed iframe's srcdoc
    assert "<iframe" in html and " sandbox " in html


def test_the_preview_loads_nothing_from_outside(december, viewer_client, new_york):
    """Like an e-mail's page: a remote image in a greeting must not load when staff look."""
    greetings.prepare()
    greeting = Greeting.objects.get()
    html = viewer_client.get(f"{PAGE}{greeting.pk}/").content.decode()
    srcdoc = html.split('srcdoc="', 1)[1].split('"', 1)[0]
    csp = "<meta http-equiv=&quot;Content-Security-Policy&quot; content=&quot;default-src 'none';"
    assert srcdoc.index(csp) < srcdoc.index("Dear Emily")


def test_approve_bulk_one_exclude_and_mark_done(december, member_client, member, dhaka, new_york):
    third = primary(first_name="Zara")
    greetings.prepare()
    ids = dict(Greeting.objects.values_list("contact_id", "pk"))
    response = member_client.post(f"{PAGE}approve/", {"ids": [ids[dhaka.pk], ids[new_york.pk]]})
    assert response.status_code == 302
    assert Greeting.objects.get(pk=ids[dhaka.pk]).status == GreetingStatus.APPROVED
    assert Greeting.objects.get(pk=ids[dhaka.pk]).approved_by == member
    member_client.post(f"{PAGE}exclude/", {"one": ids[new_york.pk], "ids": [ids[third.pk]]})
    assert Greeting.objects.get(pk=ids[new_york.pk]).status == GreetingStatus.EXCLUDED
    assert Greeting.objects.get(pk=ids[third.pk]).status == GreetingStatus.PROPOSED
    member_client.post(f"{PAGE}done/", {"occurrence_key": CHRISTMAS})
    assert Greeting.objects.get(pk=ids[third.pk]).status == GreetingStatus.EXCLUDED
    assert Greeting.objects.get(pk=ids[dhaka.pk]).status == GreetingStatus.APPROVED


def test_the_pages_need_their_permission(
    december, client, outsider, viewer_client, member_client, dhaka
):
    greetings.prepare()
    greeting = Greeting.objects.get()
    assert client.get(PAGE).status_code == 302
    client.force_login(outsider)
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}{greeting.pk}/").status_code == 403
    for action in ("approve", "exclude", "done", "prepare"):
        assert viewer_client.post(f"{PAGE}{action}/", {"one": greeting.pk}).status_code == 403
        assert member_client.get(f"{PAGE}{action}/").status_code == 405
    assert member_client.post(PAGE).status_code == 405
    assert Greeting.objects.get().status == GreetingStatus.PROPOSED


def test_prepare_from_the_page(december, member_client, dhaka):
    response = member_client.post(f"{PAGE}prepare/", follow=True)
    assert "1 new greeting prepared" in response.content.decode()
    assert Greeting.objects.filter(occurrence_key=CHRISTMAS, contact=dhaka).exists()


def test_the_page_shows_the_fate_of_the_email(december, viewer_client, dhaka):
    greetings.prepare()
    greetings.approve(greetings=Greeting.objects.all(), actor=None)
    december.move_to(at(2026, 12, 25, 4))
    greetings.send_due()
    Email.objects.update(status="outbox")
    html = viewer_client.get(PAGE).content.decode()
    assert "In outbox" in html


def test_prepare_looks_as_far_ahead_as_the_setting_says(settings, dhaka):
    settings.GREETINGS_PREPARE_DAYS = 3
    assert greetings.prepare(today=DEC_20) == 0  # Christmas is 5 days away
    settings.GREETINGS_PREPARE_DAYS = 5
    assert greetings.prepare(today=DEC_20) == 1


def test_an_occurrence_is_found_by_its_key():
    eid = greetings.find_occurrence("holiday:eid-ul-fitr:1448")
    assert eid is not None and eid.date.year == 2027
    assert greetings.find_occurrence(CHRISTMAS).date == date(2026, 12, 25)
    assert greetings.find_occurrence("holiday:christmas:99999") is None
    assert greetings.find_occurrence("nonsense") is None


def test_greetings_of_a_trashed_contact_are_neither_shown_nor_sent(december, viewer_client, dhaka):
    greetings.prepare()
    greetings.approve(greetings=Greeting.objects.all(), actor=None)
    greeting = Greeting.objects.get()
    dhaka.client.delete()  # soft delete
    assert "Rahim" not in viewer_client.get(PAGE).content.decode()
    assert viewer_client.get(f"{PAGE}{greeting.pk}/").status_code == 404
    assert greetings.send_due(now=at(2026, 12, 25, 4)) == []
    assert Email.objects.count() == 0


EID_KEY = "holiday:eid-ul-fitr:1448"


def test_confirming_the_sighted_eid_moves_the_greetings_not_sent_yet(dhaka, new_york):
    from forgecrm.events import services
    from forgecrm.events.models import LunarHoliday

    estimate = greetings.find_occurrence(EID_KEY).date
    greetings.prepare(today=estimate - timedelta(days=3), days=7)
    greetings.approve(greetings=Greeting.objects.filter(contact=dhaka), actor=None)
    assert Greeting.objects.filter(occurrence_key=EID_KEY).count() == 2
    sighted = estimate + timedelta(days=1)

    services.holiday_confirm(
        holiday=LunarHoliday.EID_UL_FITR, hijri_year=1448, day=sighted, actor=None
    )

    moved = {g.contact_id: g for g in Greeting.objects.filter(occurrence_key=EID_KEY)}
    assert {g.occasion_date for g in moved.values()} == {sighted}
    assert moved[dhaka.pk].send_at == greetings.send_time(sighted, "Asia/Dhaka")
    assert moved[dhaka.pk].status == GreetingStatus.APPROVED
    assert moved[new_york.pk].send_at == greetings.send_time(sighted, "America/New_York")
    assert greetings.send_due(now=greetings.send_time(estimate, "Asia/Dhaka")) == []

    services.holiday_reset(holiday=LunarHoliday.EID_UL_FITR, hijri_year=1448, actor=None)
    assert Greeting.objects.get(contact=dhaka).send_at == greetings.send_time(
        estimate, "Asia/Dhaka"
    )


def test_a_greeting_already_sent_stays_as_it_was_when_eid_is_confirmed(dhaka):
    from forgecrm.events import services
    from forgecrm.events.models import LunarHoliday

    estimate = greetings.find_occurrence(EID_KEY).date
    greetings.prepare(today=estimate, days=0)
    greetings.approve(greetings=Greeting.objects.all(), actor=None)
    greetings.send_due(now=greetings.send_time(estimate, "Asia/Dhaka"))

    services.holiday_confirm(
        holiday=LunarHoliday.EID_UL_FITR,
        hijri_year=1448,
        day=estimate + timedelta(days=1),
        actor=None,
    )

    sent = Greeting.objects.get()
    assert sent.status == GreetingStatus.SENT and sent.occasion_date == estimate


def _approved_launch_greeting(contact) -> tuple:
    event = ImportantDateFactory(
        name="Launch", date=date(2024, 12, 24), contact=contact, send_greeting=True
    )
    greetings.prepare(today=DEC_20, days=7)
    greetings.approve(
        greetings=Greeting.objects.filter(occurrence_key__startswith="event"), actor=None
    )
    return event, Greeting.objects.get(occurrence_key__startswith="event")


LAUNCH_9AM = at(2026, 12, 24, 3)  # 09:00 in Dhaka


def test_an_event_moved_after_its_greeting_was_approved_is_not_greeted_on_the_old_day(dhaka):
    from forgecrm.events import services

    event, greeting = _approved_launch_greeting(dhaka)
    services.event_update(event=event, fields={"date": date(2024, 12, 26)}, actor=None)

    assert greetings.send_due(now=LAUNCH_9AM) == []

    greeting.refresh_from_db()
    assert greeting.status == GreetingStatus.FAILED
    assert greeting.last_error == (
        "Not sent: “Launch” is no longer on the calendar for 24 Dec 2026."
    )
    assert not emails_to(dhaka)


def test_a_deleted_event_or_one_whose_greeting_was_turned_off_is_not_greeted(dhaka, new_york):
    from forgecrm.events import services

    deleted, _ = _approved_launch_greeting(dhaka)
    quiet = ImportantDateFactory(
        name="Opening", date=date(2024, 12, 24), contact=new_york, send_greeting=True
    )
    greetings.prepare(today=DEC_20, days=7)
    greetings.approve(
        greetings=Greeting.objects.filter(occurrence_key__startswith="event"), actor=None
    )
    services.event_delete(event=deleted, actor=None)
    services.event_update(event=quiet, fields={"send_greeting": False}, actor=None)

    assert greetings.send_due(now=at(2026, 12, 24, 15)) == []  # 09:00 in New York

    events = Greeting.objects.filter(occurrence_key__startswith="event")
    errors = dict(events.values_list("contact__first_name", "last_error"))
    assert errors["Rahim"].startswith("Not sent: “Launch” is no longer on the calendar")
    assert errors["Emily"].startswith("Not sent: “Opening” no longer calls for a greeting to")
    assert Email.objects.count() == 0


def test_an_unchanged_event_is_greeted(dhaka):
    _approved_launch_greeting(dhaka)
    assert len(greetings.send_due(now=LAUNCH_9AM)) == 1
    assert len(emails_to(dhaka)) == 1


def test_an_event_with_a_longer_notice_has_its_greeting_prepared_that_far_ahead(dhaka):
    ImportantDateFactory(
        name="Ten years",
        date=date(2017, 1, 3),
        contact=dhaka,
        send_greeting=True,
        notify_days_before=14,
    )
    ImportantDateFactory(
        name="Short notice",
        date=date(2017, 1, 2),
        contact=dhaka,
        send_greeting=True,
        notify_days_before=3,
    )
    greetings.prepare(today=DEC_20, days=7)
    prepared = set(Greeting.objects.values_list("occasion", flat=True))
    assert "Ten years" in prepared  # 14 days ahead
    assert "Short notice" not in prepared  # 13 days ahead: prepared 7 days before, as ever
    greetings.prepare(today=date(2026, 12, 26), days=7)
    assert Greeting.objects.filter(occasion="Short notice").count() == 1
    assert Greeting.objects.filter(occasion="Ten years").count() == 1


def test_preparing_costs_the_same_queries_for_3_or_30_birthdays():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def birthdays(count: int, day: int) -> None:
        for n in range(count):
            contact_with_address(first_name=f"P{day}x{n}", birthday=date(1990, 1, day))

    birthdays(3, 5)
    birthdays(30, 6)
    greetings.prepare(today=date(2026, 1, 1), days=0)  # templates made once, before counting
    with CaptureQueriesContext(connection) as few:
        assert greetings.prepare(today=date(2027, 1, 5), days=0) == 3
    with CaptureQueriesContext(connection) as many:
        assert greetings.prepare(today=date(2027, 1, 6), days=0) == 30
    assert len(many) == len(few)


def test_a_birthday_also_stored_as_an_important_date_is_greeted_once_with_its_message(dhaka):
    karim = contact_with_address(first_name="Karim", birthday=date(1990, 12, 22))
    template = EmailTemplateFactory(name="Karim's birthday", subject="Shubho jonmodin, Karim")
    ImportantDateFactory(
        name="Karim's birthday",
        event_type=EventType.BIRTHDAY,
        date=date(1990, 12, 22),
        contact=karim,
        send_greeting=True,
        message_template=template,
    )
    greetings.prepare(today=DEC_20, days=7)
    [greeting] = Greeting.objects.filter(contact=karim)
    assert greeting.occurrence_key.startswith("event:") and greeting.template == template


def test_an_approved_birthday_greeting_stays_when_the_birthday_is_stored_later(dhaka):
    karim = contact_with_address(first_name="Karim", birthday=date(1990, 12, 22))
    greetings.prepare(today=DEC_20, days=7)
    greetings.approve(greetings=Greeting.objects.filter(contact=karim), actor=None)
    ImportantDateFactory(
        name="Karim's birthday",
        event_type=EventType.BIRTHDAY,
        date=date(1990, 12, 22),
        contact=karim,
        send_greeting=True,
    )
    greetings.prepare(today=date(2026, 12, 21), days=7)

    greetings.send_due(now=at(2026, 12, 22, 3))

    [greeting] = Greeting.objects.filter(contact=karim)
    assert greeting.occurrence_key.startswith("contact-birthday:")
    assert greeting.status == GreetingStatus.SENT
    assert len(emails_to(karim)) == 1


def test_greeting_a_birthday_also_stored_through_the_api_names_no_second_greeting(api, dhaka):
    karim = contact_with_address(first_name="Karim", birthday=date(1990, 12, 22))
    ImportantDateFactory(
        name="Karim's birthday",
        event_type=EventType.BIRTHDAY,
        date=date(1990, 12, 22),
        contact=karim,
        send_greeting=True,
    )
    greetings.prepare(today=DEC_20, days=7)
    response = api.post(
        "/events/send-greeting", {"occurrence_key": f"contact-birthday:{karim.pk}:2026-12-22"}
    )
    assert response.status_code == 422
    assert Greeting.objects.filter(contact=karim).count() == 1
    assert not Email.objects.exists()
