"""Holidays: the built-in greeting days plus the public holidays of HOLIDAY_COUNTRIES.

Built in: New Year (1 Jan), Pohela Boishakh (14 Apr), Christmas (25 Dec), Thanksgiving
(fourth Thursday of November, from the `holidays` library's US calendar) and Eid ul-Fitr
and Eid ul-Adha (from its Bangladesh calendar, i.e. the day Bangladesh observes, often a
day after Saudi Arabia's Umm al-Qura date). An Eid is an estimate until someone confirms or
moves it once the moon is sighted (a HolidayOverride), or until it is past and the library
itself records it as observed.

A country's own entry for a built-in day (Bangladesh's "Eid al-Fitr" days, the US "Christmas
Day") is left out, so each celebration shows once.
"""

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import holidays
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from hijridate import Hijri

from forgecrm.events.models import EventType, LunarHoliday
from forgecrm.events.occurrence import Occurrence, Source, occurrence_key

LANGUAGE = "en_US"  # without it the names follow the country's own language
ESTIMATED_SUFFIX = " (estimated)"
# A country's entry this close to a built-in day of the same name is the same celebration
# (Eid is three public holidays in Bangladesh; a sighted Eid may move a day or two).
SAME_CELEBRATION_DAYS = 3
_ISLAMIC_EPOCH = date(622, 7, 19).toordinal()  # 1 Muharram 1 AH


@dataclass(frozen=True)
class BuiltIn:
    key: str
    name: str
    aliases: frozenset[str]
    fixed: tuple[int, int] | None = None
    library: tuple[str, str] | None = None  # (country, the library's name for it)


BUILT_INS = (
    BuiltIn("new-year", "New Year's Day", frozenset({"New Year's Day"}), fixed=(1, 1)),
    BuiltIn(
        "pohela-boishakh",
        "Pohela Boishakh (Bengali New Year)",
        frozenset({"Bengali New Year's Day"}),
        fixed=(4, 14),
    ),
    BuiltIn(
        LunarHoliday.EID_UL_FITR.value,
        LunarHoliday.EID_UL_FITR.label,
        frozenset({"Eid al-Fitr"}),
        library=("BD", "Eid al-Fitr"),
    ),
    BuiltIn(
        LunarHoliday.EID_UL_ADHA.value,
        LunarHoliday.EID_UL_ADHA.label,
        frozenset({"Eid al-Adha"}),
        library=("BD", "Eid al-Adha"),
    ),
    BuiltIn(
        "thanksgiving",
        "Thanksgiving",
        frozenset({"Thanksgiving Day", "Thanksgiving"}),
        library=("US", "Thanksgiving Day"),
    ),
    BuiltIn("christmas", "Christmas", frozenset({"Christmas Day", "Christmas"}), fixed=(12, 25)),
)
LUNAR_KEYS = frozenset(LunarHoliday.values)
ALIASES = {rule.key: rule.aliases for rule in BUILT_INS}
# The Islamic month and day of each lunar holiday, for the Umm al-Qura reference date.
HIJRI_MONTH_DAY = {LunarHoliday.EID_UL_FITR: (10, 1), LunarHoliday.EID_UL_ADHA: (12, 10)}


@dataclass(frozen=True)
class LibraryHoliday:
    date: date
    name: str
    is_estimated: bool


def check_countries(codes: Iterable[str]) -> None:
    """Refuse to start with a country code the `holidays` library does not know."""
    known = holidays.list_supported_countries()
    unknown = sorted(set(codes) - set(known))
    if unknown:
        raise ImproperlyConfigured(
            f"HOLIDAY_COUNTRIES: {', '.join(unknown)} not known to the holidays library "
            "(use ISO 3166 codes such as BD, US, GB)."
        )


@functools.lru_cache(maxsize=512)
def library_holidays(country: str, year: int) -> tuple[LibraryHoliday, ...]:
    """One country's public holidays in one year, in English, each name on its own."""
    calendar = holidays.country_holidays(country, years=year, language=LANGUAGE)
    found = []
    for day in sorted(calendar):
        for name in calendar.get_list(day):
            estimated = name.endswith(ESTIMATED_SUFFIX)
            found.append(LibraryHoliday(day, name.removesuffix(ESTIMATED_SUFFIX), estimated))
    return tuple(found)


def hijri_year(day: date) -> int:
    """The Islamic year `day` falls in, by the arithmetic calendar.

    Good to a day or two, which is plenty to name the year of an Eid: both fall weeks away
    from the turn of the Islamic year.
    """
    return (day.toordinal() - _ISLAMIC_EPOCH) * 30 // 10631 + 1


def umm_al_qura_date(holiday: LunarHoliday, year: int) -> date | None:
    """Saudi Arabia's (Umm al-Qura) date of the holiday in Islamic `year`, for reference."""
    month, day = HIJRI_MONTH_DAY[holiday]
    try:
        return Hijri(year, month, day).to_gregorian()
    except (OverflowError, ValueError):  # the tables cover 1343-1500 AH (1924-2077)
        return None


def _years(start: date, end: date) -> range:
    return range(start.year, end.year + 1)


def _fixed(rule: BuiltIn, start: date, end: date) -> Iterator[Occurrence]:
    assert rule.fixed is not None
    for year in _years(start, end):
        day = date(year, *rule.fixed)
        if start <= day <= end:
            yield Occurrence(
                key=occurrence_key(Source.HOLIDAY, rule.key, year),
                source=Source.HOLIDAY,
                source_id=rule.key,
                date=day,
                title=rule.name,
                event_type=EventType.HOLIDAY,
            )


def _first_days(country: str, name: str, start: date, end: date) -> list[LibraryHoliday]:
    """The first day of each run of `name` (an Eid is three days in Bangladesh)."""
    entries = {
        entry.date: entry
        for year in range(start.year - 1, end.year + 2)
        for entry in library_holidays(country, year)
        if entry.name == name
    }
    return [
        entry
        for day, entry in sorted(entries.items())
        if start <= day <= end and day - timedelta(days=1) not in entries
    ]


def _lunar_rule(holiday: LunarHoliday) -> BuiltIn:
    return next(rule for rule in BUILT_INS if rule.key == holiday)


def lunar_estimate(holiday: LunarHoliday, year: int) -> date | None:
    """The library's date for the holiday in Islamic `year`."""
    library = _lunar_rule(holiday).library
    assert library is not None
    new_year = date.fromordinal(_ISLAMIC_EPOCH + (year - 1) * 10631 // 30)  # about 1 Muharram
    for entry in _first_days(*library, new_year, new_year + timedelta(days=360)):
        if hijri_year(entry.date) == year:
            return entry.date
    return None


def _from_library(
    rule: BuiltIn, start: date, end: date, overrides: dict[tuple[str, int], date]
) -> Iterator[Occurrence]:
    """A computed built-in; a lunar one is keyed by its Islamic year and may be overridden."""
    assert rule.library is not None
    lunar = rule.key in LUNAR_KEYS
    today = timezone.localdate()
    margin = timedelta(days=SAME_CELEBRATION_DAYS)
    for entry in _first_days(*rule.library, start - margin, end + margin):
        year = hijri_year(entry.date) if lunar else entry.date.year
        confirmed = overrides.get((rule.key, year)) if lunar else None
        day = confirmed or entry.date
        if start <= day <= end:
            yield Occurrence(
                key=occurrence_key(Source.HOLIDAY, rule.key, year),
                source=Source.HOLIDAY,
                source_id=rule.key,
                date=day,
                title=rule.name,
                event_type=EventType.HOLIDAY,
                url=reverse("events:holiday", args=[rule.key, year]) if lunar else "",
                is_estimated=lunar and not confirmed and (entry.is_estimated or day >= today),
            )


def _built_ins(start: date, end: date, overrides: dict[tuple[str, int], date]) -> list[Occurrence]:
    found: list[Occurrence] = []
    for rule in BUILT_INS:
        if rule.fixed:
            found.extend(_fixed(rule, start, end))
        else:
            found.extend(_from_library(rule, start, end, overrides))
    return found


def _shown_already(entry: LibraryHoliday, built_ins: list[Occurrence]) -> bool:
    return any(
        entry.name in ALIASES[held.source_id]
        and abs((entry.date - held.date).days) <= SAME_CELEBRATION_DAYS
        for held in built_ins
    )


def _country(
    country: str, start: date, end: date, built_ins: list[Occurrence]
) -> Iterator[Occurrence]:
    for year in _years(start, end):
        for entry in library_holidays(country, year):
            if not start <= entry.date <= end or _shown_already(entry, built_ins):
                continue
            source_id = f"{country}:{slugify(entry.name)}"
            yield Occurrence(
                key=occurrence_key(Source.HOLIDAY, source_id, entry.date),
                source=Source.HOLIDAY,
                source_id=source_id,
                date=entry.date,
                title=f"{entry.name} ({country})",
                event_type=EventType.HOLIDAY,
                is_estimated=entry.is_estimated,
            )


def holidays_between(
    start: date, end: date, overrides: dict[tuple[str, int], date]
) -> list[Occurrence]:
    """Built-in and HOLIDAY_COUNTRIES holidays from `start` to `end`, both included.

    `overrides` maps (lunar holiday key, Islamic year) to its confirmed date.
    """
    margin = timedelta(days=SAME_CELEBRATION_DAYS)
    around = _built_ins(start - margin, end + margin, overrides)
    found = [held for held in around if start <= held.date <= end]
    for country in settings.HOLIDAY_COUNTRIES:
        found.extend(_country(country, start, end, around))
    return found
