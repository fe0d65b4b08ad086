"""The calendar page, the important date pages, confirming an Eid, the upcoming widget."""

from datetime import date

import pytest
import time_machine
from django.template import Context, Template
from django.test import RequestFactory

from forgecrm.events.models import HolidayOverride, ImportantDate
from tests.events.factories import ImportantDateFactory
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_the_calendar_page_has_the_legend_filters_and_feed(viewer_client):
    contact = ContactFactory()
    response = viewer_client.get(f"/admin/crm/calendar/?client={contact.client_id}&type=birthday")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'src="/static/vendor/fullcalendar/index.global.min.js"' in html
    assert "cdn" not in html.lower()
    assert 'value="birthday" id="type-birthday" autocomplete="off" checked' in html
    assert 'value="holiday" id="type-holiday" autocomplete="off">' in html  # filtered out
    assert f'<option value="{contact.client_id}" selected>' in html
    assert '"eventsUrl": "/api/admin/crm/events"' in html
    assert '"createUrl": ""' in html  # viewers add nothing
    assert "Add date" not in html
    assert 'href="/admin/crm/calendar/"' in html  # in the menu


def test_the_fullcalendar_bundle_is_served_from_node_modules(viewer_client, settings):
    from django.contrib.staticfiles import finders

    assert finders.find("vendor/fullcalendar/index.global.min.js")
    assert finders.find("events/calendar.js")


def test_pages_need_their_permission(client, outsider, viewer_client, member_client):
    event = ImportantDateFactory()
    assert client.get("/admin/crm/calendar/").status_code == 302
    client.force_login(outsider)
    assert client.get("/admin/crm/calendar/").status_code == 403
    assert client.get(f"/admin/crm/calendar/events/{event.pk}/").status_code == 403
    assert viewer_client.get(f"/admin/crm/calendar/events/{event.pk}/").status_code == 200
    assert viewer_client.get("/admin/crm/calendar/events/new/").status_code == 403
    assert viewer_client.get(f"/admin/crm/calendar/events/{event.pk}/edit/").status_code == 403
    assert member_client.get(f"/admin/crm/calendar/events/{event.pk}/delete/").status_code == 403
    assert member_client.post("/admin/crm/calendar/").status_code == 405


def test_add_an_event_from_a_day_on_the_calendar(member_client, member):
    contact = ContactFactory(first_name="Karim")
    form = member_client.get(
        f"/admin/crm/calendar/events/new/?date=2026-12-05&contact={contact.pk}"
    )
    html = form.content.decode()
    assert 'value="2026-12-05"' in html
    assert f'<option value="{contact.pk}" selected>Karim' in html
    assert html.count("<option value=") < 30  # no list of every client and contact

    response = member_client.post(
        "/admin/crm/calendar/events/new/",
        {
            "name": "Karim's wedding anniversary",
            "event_type": "anniversary",
            "date": "2026-12-05",
            "recurrence": "yearly",
            "contact": contact.pk,
            "notify_days_before": 3,
        },
    )
    event = ImportantDate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/crm/calendar/events/{event.pk}/"
    assert event.client == contact.client
    detail = member_client.get(response["Location"]).content.decode()
    assert "Karim&#x27;s wedding anniversary" in detail
    assert "Sat 5 Dec 2026" in detail
    assert "3 days ahead, to the managers" in detail  # the client has no owner


def test_form_errors_are_shown_on_the_page(member_client):
    response = member_client.post(
        "/admin/crm/calendar/events/new/",
        {
            "name": "",
            "event_type": "custom",
            "date": "2026-01-01",
            "recurrence": "custom",
            "rrule": "FREQ=SECONDLY",
            "notify_days_before": 1,
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "This field is required." in html
    assert "FREQ=DAILY, WEEKLY, MONTHLY or YEARLY" in html
    assert not ImportantDate.objects.exists()


def test_edit_and_delete(member_client, admin_client_):
    event = ImportantDateFactory(name="Old name", date=date(2026, 3, 1))
    response = member_client.post(
        f"/admin/crm/calendar/events/{event.pk}/edit/",
        {
            "name": "New name",
            "event_type": "custom",
            "date": "2026-03-02",
            "recurrence": "none",
            "notify_days_before": 0,
        },
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.name, event.date, event.recurrence) == ("New name", date(2026, 3, 2), "none")

    assert admin_client_.get(f"/admin/crm/calendar/events/{event.pk}/delete/").status_code == 200
    response = admin_client_.post(f"/admin/crm/calendar/events/{event.pk}/delete/")
    assert response["Location"] == "/admin/crm/calendar/"
    assert not ImportantDate.objects.exists()


def test_confirm_an_eid_on_its_page(member_client, viewer_client, admin_client_):
    url = "/admin/crm/calendar/holidays/eid-ul-fitr/1448/"
    page = viewer_client.get(url).content.decode()
    assert "Estimated" in page and "Wed 10 Mar 2027" in page and "Tue 9 Mar 2027" in page
    assert "Confirm the date" not in page  # viewers cannot
    assert viewer_client.post(url, {"date": "2027-03-11"}).status_code == 403

    response = member_client.post(url, {"date": "2027-03-11"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/crm/calendar/?date=2027-03-11"
    assert HolidayOverride.objects.get().date == date(2027, 3, 11)
    assert "Confirmed" in member_client.get(url).content.decode()

    assert member_client.post(url + "reset/").status_code == 403
    assert admin_client_.post(url + "reset/").status_code == 302
    assert not HolidayOverride.objects.exists()
    assert viewer_client.get("/admin/crm/calendar/holidays/diwali/1448/").status_code == 404


@time_machine.travel(date(2026, 11, 25))
def test_the_upcoming_widget(viewer, outsider):
    soon = ContactFactory(first_name="Anika", last_name="Das", birthday=date(1992, 11, 27))
    ContactFactory(first_name="Later", last_name="One", birthday=date(1992, 12, 20))
    template = Template(
        "{% load events_tags %}{% upcoming_events %}|{% upcoming_events client=client %}"
    )
    request = RequestFactory().get("/")
    html = template.render(Context({"user": viewer, "request": request, "client": soon.client}))
    everyone, for_client = html.split("|")
    assert "Next 7 days" in everyone
    assert "Birthday: Anika Das" in everyone and "Birthday: Later One" in everyone
    assert "Tomorrow" in everyone and "Thanksgiving" in everyone
    assert "Christmas" in everyone  # 30 days on is 25 December
    assert "Birthday: Anika Das" in for_client and "Later One" not in for_client
    assert "Thanksgiving" not in for_client  # a client's own dates only
    assert template.render(Context({"user": outsider, "request": request})).split() == ["|"]
