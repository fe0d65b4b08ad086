"""When a date comes round again: yearly and monthly rules, custom RRULEs, 29 February.

Decision: a date that a month or year does not have falls on that month's last day.
A yearly 29 February falls on 28 February in other years; a monthly 31st falls on the
30th, or on 28/29 February. The rules below say so in RFC 5545 terms
(`BYMONTHDAY=28,29;BYSETPOS=-1`: the last of those days the month has), so the same
rule holds for stored events, derived birthdays and anything exported.
"""

import calendar
from datetime import date, datetime, time

from dateutil.rrule import rrule, rrulestr

DATE_FREQUENCIES = {"YEARLY", "MONTHLY", "WEEKLY", "DAILY"}
# Parts that give times of day: an important date has none, and each would repeat a day.
TIME_PARTS = {"BYHOUR", "BYMINUTE", "BYSECOND"}


class RuleError(ValueError):
    """A custom rule that cannot be used; its message is shown to the user."""


def on_or_last_day(year: int, month: int, day: int) -> date:
    """`day` of that month, or the month's last day when it is shorter (29 Feb -> 28 Feb)."""
    if day <= 28:  # every month has it; spares monthrange() on the hot path
        return date(year, month, day)
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _days_from(day: int) -> str:
    """'28,29,30' for 30: with BYSETPOS=-1 the last of them that the month has."""
    return ",".join(str(d) for d in range(28, day + 1))


def yearly_rule(start: date) -> str:
    if start.month == 2 and start.day == 29:
        return "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1"
    return f"FREQ=YEARLY;BYMONTH={start.month};BYMONTHDAY={start.day}"


def monthly_rule(start: date) -> str:
    if start.day > 28:
        return f"FREQ=MONTHLY;BYMONTHDAY={_days_from(start.day)};BYSETPOS=-1"
    return f"FREQ=MONTHLY;BYMONTHDAY={start.day}"


def normalize_rule(text: str) -> str:
    """The rule without a leading `RRULE:` and surrounding space, upper-cased."""
    text = text.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    return text.upper()


def _parts(body: str) -> dict[str, str]:
    """'FREQ=YEARLY;BYMONTH=4' -> {'FREQ': 'YEARLY', 'BYMONTH': '4'}."""
    parts = {}
    for item in body.split(";"):
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise RuleError(f"“{item}” is not NAME=VALUE, e.g. FREQ=YEARLY;BYMONTH=4.")
        parts[name] = value
    return parts


def parse_rule(text: str, start: date) -> rrule:
    """A custom RRULE body such as `FREQ=MONTHLY;BYDAY=1MO`, starting on `start`.

    Only one RRULE line is accepted (no DTSTART, EXDATE ...), with a frequency of a day or
    longer and UNTIL as a plain date, because important dates have no time of day.
    """
    body = normalize_rule(text)
    if not body:
        raise RuleError("Enter a rule, e.g. FREQ=MONTHLY;BYDAY=1MO.")
    if any(mark in body for mark in ("\n", "\r", ":")):
        raise RuleError("Enter only the rule itself, e.g. FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=14.")
    parts = _parts(body)
    if parts.get("FREQ") not in DATE_FREQUENCIES:
        raise RuleError("Start with FREQ=DAILY, WEEKLY, MONTHLY or YEARLY.")
    if "UNTIL" in parts and not (len(parts["UNTIL"]) == 8 and parts["UNTIL"].isdigit()):
        raise RuleError("Give UNTIL as a date without a time, e.g. UNTIL=20301231.")
    try:
        rule = build_rule(body, start)
    except RuleError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise RuleError(f"This is not a valid recurrence rule ({exc}).") from None
    if rule.after(datetime.combine(start, time.min), inc=True) is None:
        raise RuleError("This rule never happens on or after the date.")
    return rule


def build_rule(body: str, start: date) -> rrule:
    """A rule body already known to be good (see `parse_rule`), starting on `start`.

    Still refuses (RuleError) the parts that would make it repeat one day endlessly or
    stand still, should such a rule have been stored before they were checked.
    """
    parts = _parts(normalize_rule(body))
    if TIME_PARTS & parts.keys():
        raise RuleError("Leave out BYHOUR, BYMINUTE and BYSECOND: a date has no time of day.")
    interval = parts.get("INTERVAL", "1")
    if not (interval.isdigit() and int(interval) >= 1):
        raise RuleError("Give INTERVAL as a whole number from 1, e.g. INTERVAL=2.")
    return rrulestr(body, dtstart=datetime.combine(start, time.min))


def dates_between(rule: rrule, start: date, end: date) -> list[date]:
    """The rule's dates from `start` to `end`, both included."""
    found = rule.between(
        datetime.combine(start, time.min), datetime.combine(end, time.min), inc=True
    )
    return [moment.date() for moment in found]
