"""Holidays: the built-in greeting days, Eid as an estimate until confirmed, more countries."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from hijridate import Gregorian

from forgecrm.events.holiday_calendar import check_countries, hijri_year
from forgecrm.events.models import EventType, HolidayOverride
from forgecrm.events.queries import lunar_holiday_state, occurrences

pytestmark = pytest.mark.django_db

# Bangladesh's published Eid days (2025 observed; 2026 and 2027 as announced/expected).
PUBLISHED_EID = {
    2025: {"eid-ul-fitr": date(2025, 3, 31), "eid-ul-adha": date(2025, 6, 7)},
    2026: {"eid-ul-fitr": date(2026, 3, 20), "eid-ul-adha": date(2026, 5, 27)},
    2027: {"eid-ul-fitr": date(2027, 3, 10), "eid-ul-adha": date(2027, 5, 17)},
}


def holidays_in(start: date, end: date):
    return occurrences(start, end, types=[EventType.HOLIDAY])


def built_in(year: int) -> dict[str, list]:
    found: dict[str, list] = {}
    for o in holidays_in(date(year, 1, 1), date(year, 12, 31)):
        if ":" not in o.source_id:
            found.setdefault(o.source_id, []).append(o)
    return found


@pytest.mark.parametrize("year", [2025, 2026, 2027, 2030])
def test_fixed_greeting_days(year):
    found = built_in(year)
    assert [o.date for o in found["new-year"]] == [date(year, 1, 1)]
    assert [o.date for o in found["pohela-boishakh"]] == [date(year, 4, 14)]
    assert [o.date for o in found["christmas"]] == [date(year, 12, 25)]
    assert found["pohela-boishakh"][0].title == "Pohela Boishakh (Bengali New Year)"
    assert found["christmas"][0].key == f"holiday:christmas:{year}"


def test_thanksgiving_is_the_fourth_thursday_of_november():
    assert [o.date for o in built_in(2026)["thanksgiving"]] == [date(2026, 11, 26)]
    assert [o.date for o in built_in(2027)["thanksgiving"]] == [date(2027, 11, 25)]


@pytest.mark.parametrize("year", [2025, 2026, 2027])
@pytest.mark.parametrize("holiday", ["eid-ul-fitr", "eid-ul-adha"])
def test_eid_is_within_a_day_of_the_published_date(year, holiday):
    (eid,) = built_in(year)[holiday]
    assert abs((eid.date - PUBLISHED_EID[year][holiday]).days) <= 1
    # Bangladesh observes Eid on Saudi Arabia's Umm al-Qura day or the day after.
    hijri = Gregorian(eid.date.year, eid.date.month, eid.date.day).to_hijri()
    expected_day = 1 if holiday == "eid-ul-fitr" else 10
    assert hijri.day - expected_day in (0, 1)
    assert eid.key == f"holiday:{holiday}:{hijri.year}"
    assert eid.url == f"/admin/crm/calendar/holidays/{holiday}/{hijri.year}/"


def test_past_eids_are_the_days_bangladesh_observed():
    """The library records these as observed (not estimated); later ones may still move."""
    assert built_in(2025)["eid-ul-fitr"][0].date == date(2025, 3, 31)
    assert built_in(2025)["eid-ul-adha"][0].date == date(2025, 6, 7)
    assert built_in(2026)["eid-ul-fitr"][0].date == date(2026, 3, 21)
    assert built_in(2026)["eid-ul-adha"][0].date == date(2026, 5, 28)


@time_machine.travel(date(2026, 11, 25))
def test_a_future_eid_is_estimated_and_a_past_observed_one_is_not():
    assert built_in(2027)["eid-ul-fitr"][0].is_estimated
    assert not built_in(2025)["eid-ul-fitr"][0].is_estimated
    assert not built_in(2027)["christmas"][0].is_estimated


def test_an_eid_shows_once_not_as_three_bangladesh_public_holidays():
    found = holidays_in(date(2027, 3, 1), date(2027, 3, 31))
    eid_days = [o for o in found if "Eid" in o.title]
    assert [(o.date, o.title) for o in eid_days] == [(date(2027, 3, 10), "Eid ul-Fitr")]
    titles = [o.title for o in found]
    assert "Independence Day (BD)" in titles  # other Bangladesh holidays do show


def test_bangladesh_public_holidays_are_shown_by_default_without_duplicates():
    found = holidays_in(date(2026, 12, 1), date(2026, 12, 31))
    assert [(o.date, o.title) for o in found] == [
        (date(2026, 12, 16), "Victory Day (BD)"),
        (date(2026, 12, 25), "Christmas"),
    ]
    victory = found[0]
    assert victory.key == "holiday:BD:victory-day:2026-12-16"


@time_machine.travel(date(2027, 3, 8))
def test_a_confirmed_eid_replaces_the_estimate():
    (estimate,) = built_in(2027)["eid-ul-fitr"]
    assert estimate.is_estimated
    year = hijri_year(estimate.date)
    HolidayOverride.objects.create(holiday="eid-ul-fitr", hijri_year=year, date=date(2027, 3, 11))

    (confirmed,) = built_in(2027)["eid-ul-fitr"]
    assert (confirmed.date, confirmed.is_estimated) == (date(2027, 3, 11), False)
    assert confirmed.key == estimate.key  # the same Eid, so a greeting is not sent twice
    march = holidays_in(date(2027, 3, 1), date(2027, 3, 31))
    assert [o.date for o in march if "Eid" in o.title] == [date(2027, 3, 11)]

    state = lunar_holiday_state("eid-ul-fitr", year)
    assert (state.estimate, state.confirmed, state.date) == (
        date(2027, 3, 10),
        date(2027, 3, 11),
        date(2027, 3, 11),
    )
    assert state.umm_al_qura == date(2027, 3, 9)


def test_a_confirmed_eid_moved_across_the_edge_of_the_range():
    (estimate,) = built_in(2027)["eid-ul-adha"]
    HolidayOverride.objects.create(
        holiday="eid-ul-adha", hijri_year=hijri_year(estimate.date), date=date(2027, 5, 16)
    )
    assert [o.date for o in holidays_in(date(2027, 5, 16), date(2027, 5, 16))] == [
        date(2027, 5, 16)
    ]
    assert [o.title for o in holidays_in(date(2027, 5, 17), date(2027, 5, 19))] == []


def test_two_eids_in_one_gregorian_year_are_two_occurrences():
    fitr = built_in(2033)["eid-ul-fitr"]
    assert [o.date.month for o in fitr] == [1, 12]
    assert len({o.key for o in fitr}) == 2


def test_more_countries_from_the_setting(settings):
    settings.HOLIDAY_COUNTRIES = ["BD", "GB"]
    found = holidays_in(date(2026, 12, 24), date(2026, 12, 31))
    assert [(o.date, o.title) for o in found] == [
        (date(2026, 12, 25), "Christmas"),
        (date(2026, 12, 26), "Boxing Day (GB)"),
        (date(2026, 12, 28), "Boxing Day (observed) (GB)"),  # 26 December is a Saturday
    ]
    settings.HOLIDAY_COUNTRIES = []
    assert [o.title for o in holidays_in(date(2026, 12, 1), date(2026, 12, 31))] == ["Christmas"]


def test_an_unknown_country_stops_start_up():
    check_countries(["BD", "US", "GB"])
    with pytest.raises(ImproperlyConfigured, match="XX not known"):
        check_countries(["BD", "XX"])
