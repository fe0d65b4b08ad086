"""Bad input on the calendar's pages is refused, never a server error."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("year", [99999, 2**31, 10**20])
def test_an_eid_in_a_year_no_calendar_converts_is_not_found(admin_client_, year):
    for url in (
        f"/admin/crm/calendar/holidays/eid-ul-fitr/{year}/",
        f"/admin/crm/calendar/holidays/eid-ul-adha/{year}/reset/",
    ):
        response = admin_client_.post(url, {"date": "2025-03-30"})
        assert response.status_code == 404, url
    assert admin_client_.get(f"/admin/crm/calendar/holidays/eid-ul-fitr/{year}/").status_code == 404


@pytest.mark.parametrize("action", ["approve", "exclude"])
def test_greeting_ids_too_big_for_the_database_choose_nothing(admin_client_, action):
    url = f"/admin/crm/calendar/greetings/{action}/"
    for body in ({"one": "9" * 20}, {"ids": ["9" * 20, "1"]}):
        response = admin_client_.post(url, body)
        assert response.status_code == 302, body


@pytest.mark.parametrize("year", [99999, 2**31, 10**20])
@pytest.mark.parametrize("method", ["get", "delete"])
def test_the_api_finds_no_eid_in_a_year_no_calendar_converts(admin_client_, year, method):
    url = f"/api/admin/crm/events/holidays/eid-ul-fitr/{year}"
    assert getattr(admin_client_, method)(url).status_code == 404
    response = admin_client_.put(url, {"date": "2025-03-30"}, content_type="application/json")
    assert response.status_code == 404


def test_greeting_contact_ids_too_big_for_the_database_are_a_422(admin_client_):
    body = {"occurrence_key": "holiday:new-year:2026", "contacts": [10**20]}
    response = admin_client_.post(
        "/api/admin/crm/events/send-greeting", body, content_type="application/json"
    )
    assert response.status_code == 422, response.content
