"""Recurrence rules: 29 February, the 31st of the month, custom RRULEs."""

from datetime import date

import pytest

from forgecrm.events.recurrence import (
    RuleError,
    build_rule,
    dates_between,
    monthly_rule,
    on_or_last_day,
    parse_rule,
    yearly_rule,
)


def test_a_yearly_29_february_falls_on_28_february_in_common_years():
    rule = build_rule(yearly_rule(date(2024, 2, 29)), date(2024, 2, 29))
    assert dates_between(rule, date(2024, 1, 1), date(2029, 12, 31)) == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
        date(2029, 2, 28),
    ]


def test_a_monthly_31st_falls_on_the_last_day_of_shorter_months():
    rule = build_rule(monthly_rule(date(2027, 1, 31)), date(2027, 1, 31))
    found = dates_between(rule, date(2027, 1, 1), date(2028, 3, 31))
    assert found[:5] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
    ]
    assert date(2028, 2, 29) in found  # leap year
    assert len(found) == 15


def test_a_monthly_30th_keeps_the_30th_and_uses_february_last_day():
    rule = build_rule(monthly_rule(date(2026, 1, 30)), date(2026, 1, 30))
    assert dates_between(rule, date(2026, 1, 1), date(2026, 3, 31)) == [
        date(2026, 1, 30),
        date(2026, 2, 28),
        date(2026, 3, 30),
    ]


def test_an_ordinary_day_repeats_on_that_day():
    assert yearly_rule(date(2026, 4, 14)) == "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=14"
    assert monthly_rule(date(2026, 4, 14)) == "FREQ=MONTHLY;BYMONTHDAY=14"
    assert on_or_last_day(2027, 2, 29) == date(2027, 2, 28)
    assert on_or_last_day(2028, 2, 29) == date(2028, 2, 29)


def test_a_custom_rule_first_monday_of_each_month():
    rule = parse_rule("RRULE:freq=monthly;byday=1MO", date(2026, 1, 1))
    assert dates_between(rule, date(2026, 1, 1), date(2026, 4, 30)) == [
        date(2026, 1, 5),
        date(2026, 2, 2),
        date(2026, 3, 2),
        date(2026, 4, 6),
    ]


def test_a_custom_rule_with_count_and_until():
    every_other_year = parse_rule("FREQ=YEARLY;INTERVAL=2;COUNT=3", date(2026, 6, 1))
    assert dates_between(every_other_year, date(2026, 1, 1), date(2040, 1, 1)) == [
        date(2026, 6, 1),
        date(2028, 6, 1),
        date(2030, 6, 1),
    ]
    until = parse_rule("FREQ=MONTHLY;UNTIL=20260331", date(2026, 1, 15))
    assert len(dates_between(until, date(2026, 1, 1), date(2027, 1, 1))) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter a rule"),
        ("FREQ=HOURLY", "FREQ=DAILY, WEEKLY, MONTHLY or YEARLY"),
        ("BYMONTH=4", "FREQ=DAILY, WEEKLY, MONTHLY or YEARLY"),
        ("garbage", "is not NAME=VALUE"),
        ("FREQ=YEARLY;BYDAY=XX", "not a valid recurrence rule"),
        ("FREQ=YEARLY;FOO=1", "unknown parameter"),
        ("FREQ=YEARLY;BYMONTH=13", "never happens"),
        ("FREQ=YEARLY;UNTIL=20270101T000000Z", "UNTIL as a date"),
        ("DTSTART:20200101\nRRULE:FREQ=DAILY", "only the rule itself"),
        ("FREQ=YEARLY;COUNT=0", "never happens"),
        ("FREQ=DAILY;UNTIL=20200101", "never happens"),
        ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL as a whole number from 1"),
        ("FREQ=WEEKLY;INTERVAL=-2", "INTERVAL as a whole number from 1"),
        ("FREQ=DAILY;BYHOUR=9,10", "a date has no time of day"),
        ("FREQ=DAILY;BYSECOND=1", "a date has no time of day"),
    ],
)
def test_unusable_custom_rules_are_explained(text, message):
    with pytest.raises(RuleError, match=message):
        parse_rule(text, date(2026, 1, 1))


def test_a_stored_rule_that_would_stand_still_is_refused_when_read():
    """Saved before INTERVAL=0 and times of day were refused, it must not hang a page."""
    for text in ("FREQ=WEEKLY;INTERVAL=0", "FREQ=DAILY;INTERVAL=0", "FREQ=DAILY;BYHOUR=9,10"):
        with pytest.raises(RuleError):
            build_rule(text, date(2026, 1, 1))
