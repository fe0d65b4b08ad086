"""How the calendar shows each type: one colour per type, the same in every view."""

from forgecrm.events.models import EventType

# Dark enough for white text (contrast 4.5:1 or more).
TYPE_COLOURS = {
    EventType.HOLIDAY: "#157347",
    EventType.BIRTHDAY: "#c2255c",
    EventType.ANNIVERSARY: "#6f42c1",
    EventType.BUSINESS_MILESTONE: "#0b5ed7",
    EventType.CONTRACT_RENEWAL: "#b4410b",
    EventType.CUSTOM: "#495057",
}


def legend() -> list[dict[str, str]]:
    return [
        {"value": value, "label": label, "colour": TYPE_COLOURS[EventType(value)]}
        for value, label in EventType.choices
    ]
