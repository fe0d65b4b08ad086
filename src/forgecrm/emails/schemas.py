"""Shapes of the emails and email-templates API: filters, request bodies and responses."""

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, Base64Bytes
from pydantic_core import PydanticCustomError

from forgecrm.core.api import ObjectId, PageParams
from forgecrm.emails.models import (
    EmailEvent,
    EmailStatus,
    EmailType,
    EventKind,
    SuppressionReason,
    TemplateCategory,
)
from forgecrm.emails.queries import (
    PERIODS,
    EmailFilters,
    SuppressionFilters,
    SuppressionState,
    TemplateFilters,
)


def _no_null_character(value: str) -> str:
    """PostgreSQL refuses NUL in text; answer 422 instead of failing on the query."""
    if "\x00" in value:
        raise PydanticCustomError("null_character", "Null characters are not allowed.")
    return value


NoNul = AfterValidator(_no_null_character)
SearchTerm = Annotated[str, Field(max_length=200), NoNul]
Address = Annotated[
    ObjectId | Annotated[str, Field(max_length=320), NoNul],
    Field(description="A contact id, or an address such as a@b.com or “Name <a@b.com>”."),
]

# ---- Templates ---------------------------------------------------------------------------


class TemplateQuery(PageParams):
    category: TemplateCategory | None = None
    template_type: EmailType | None = None
    active: bool | None = None
    q: SearchTerm = Field("", description="Name or subject.")

    def to_filters(self) -> TemplateFilters:
        return TemplateFilters(
            category=self.category or "",
            template_type=self.template_type or "",
            active=self.active,
            q=self.q,
        )


class TemplateIn(Schema):
    name: Annotated[str, Field(max_length=150), NoNul]
    subject: Annotated[str, Field(max_length=255), NoNul]
    body_html: Annotated[
        str,
        Field(max_length=500_000, description="HTML with {{variables}}; unsafe HTML is removed."),
        NoNul,
    ]
    template_type: EmailType = EmailType.OTHER
    category: TemplateCategory = TemplateCategory.GENERAL
    is_active: bool = True


class TemplateOut(Schema):
    id: int
    name: str
    subject: str
    body_html: str
    template_type: str
    category: str
    is_active: bool
    usage_count: int
    last_used_at: datetime | None
    created_at: datetime
    updated_at: datetime


class VariableOut(Schema):
    name: str
    tag: str
    description: str


class PreviewQuery(Schema):
    contact: int = Field(description="The contact to fill the variables in for.")


class RenderedOut(Schema):
    subject: str
    body_html: str
    body_text: str


# ---- Emails ------------------------------------------------------------------------------


class EmailQuery(PageParams):
    client: ObjectId | None = None
    contact: ObjectId | None = None
    type: EmailType | None = None
    status: EmailStatus | None = None
    date_from: date | None = Field(None, description="First day, in your time zone.")
    date_to: date | None = Field(None, description="Last day, in your time zone.")
    q: SearchTerm = Field("", description="Subject, recipients' addresses and names.")

    def to_filters(self) -> EmailFilters:
        return EmailFilters(
            client=self.client,
            contact=self.contact,
            email_type=self.type or "",
            status=self.status or "",
            date_from=self.date_from,
            date_to=self.date_to,
            q=self.q,
        )


class AttachmentIn(Schema):
    filename: Annotated[str, Field(min_length=1, max_length=255), NoNul]
    content_type: Annotated[str, Field(pattern=r"^[\w.+-]+/[\w.+-]+$", max_length=150)] = (
        "application/octet-stream"
    )
    content_base64: Base64Bytes = Field(description="The file, base64-encoded.")


class SendIn(Schema):
    to: list[Address] = Field(min_length=1, max_length=50)
    cc: list[Address] = Field(default_factory=list, max_length=50)
    bcc: list[Address] = Field(default_factory=list, max_length=50)
    template: int | None = Field(None, description="Template id; subject and body default to it.")
    subject: Annotated[str, Field(max_length=998), NoNul] = ""
    body_html: Annotated[str, Field(max_length=500_000), NoNul] = ""
    email_type: EmailType | None = None
    client: int | None = None
    contact: int | None = Field(None, description="Whom variables are filled in for.")
    deal: int | None = None
    project: int | None = None
    read_receipt: bool = False
    follow_up_in_days: int | None = Field(None, ge=1, le=365)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class ScheduleIn(SendIn):
    send_at: datetime = Field(
        description="When to send. Without an offset it is read in `timezone`."
    )
    timezone: Annotated[str, Field(max_length=64)] = Field(
        "", description='An IANA name, "recipient" (the contact\'s own), or empty for yours.'
    )


class NamedRef(Schema):
    id: int
    name: str


class RecipientOut(Schema):
    kind: str
    address: str
    name: str
    contact_id: int | None


class EmailListItem(Schema):
    id: int
    direction: str
    status: str
    email_type: str
    subject: str
    from_email: str
    recipients: list[RecipientOut]
    client: NamedRef | None
    contact_id: int | None
    template_id: int | None
    created_at: datetime
    scheduled_at: datetime | None
    sent_at: datetime | None
    attempts: int
    last_error: str
    open_count: int
    first_opened_at: datetime | None
    click_count: int
    replied_at: datetime | None
    bounced_at: datetime | None


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int


class LinkOut(Schema):
    url: str
    click_count: int


class EventOut(Schema):
    kind: EventKind
    occurred_at: datetime
    is_proxy: bool
    url: str | None
    detail: str

    @staticmethod
    def resolve_url(event: EmailEvent) -> str | None:
        return event.link.url if event.link else None


class EmailOut(EmailListItem):
    message_id: str
    body_html: str
    body_text: str
    deal_id: int | None
    project_id: int | None
    read_receipt_requested: bool
    follow_up_days: int | None
    last_opened_at: datetime | None
    next_attempt_at: datetime | None
    attachments: list[AttachmentOut]
    links: list[LinkOut]
    events: list[EventOut]


class AnalyticsQuery(Schema):
    date_from: date | None = None
    date_to: date | None = None
    period: Literal[tuple(PERIODS)] = "week"  # type: ignore[valid-type]
    min_sent: int = Field(5, ge=1, description="Fewest emails an hour or weekday needs to rank.")


class Rates(Schema):
    sent: int
    tracked: int = Field(
        description="Sent with open and click tracking (not mail read from the Sent folder)."
    )
    opened: int
    clicked: int
    replied: int
    bounced: int
    open_rate: float = Field(description="Percent of tracked emails a person opened.")
    click_rate: float = Field(description="Percent of tracked emails with a click.")
    reply_rate: float
    bounce_rate: float
    response_hours: float | None = Field(
        description="Average hours from sending to the first reply, over replied emails."
    )


class TypeRates(Rates):
    email_type: str
    label: str


class ClientRates(Rates):
    client_id: int
    client_name: str


class PeriodRates(Rates):
    period: date


class HourRates(Rates):
    hour: int


class WeekdayRates(Rates):
    weekday: int
    name: str


class AnalyticsOut(Schema):
    totals: Rates
    by_type: list[TypeRates]
    by_client: list[ClientRates]
    by_period: list[PeriodRates]
    by_hour: list[HourRates]
    by_weekday: list[WeekdayRates]
    best_hour: int | None
    best_weekday: str | None


# ---- Suppressed addresses ------------------------------------------------------------------


class SuppressionQuery(PageParams):
    q: SearchTerm = Field("", description="Part of the address or of the server's answer.")
    reason: SuppressionReason | None = None
    state: Literal["active", "counting", "cleared", "all"] = Field(
        SuppressionState.ACTIVE,
        description="active: blocking sends; counting: soft bounces below the limit; "
        "cleared: cleared by a person.",
    )

    def to_filters(self) -> SuppressionFilters:
        return SuppressionFilters(
            q=self.q, reason=self.reason or "", state="" if self.state == "all" else self.state
        )


class SuppressionIn(Schema):
    address: str = Field(max_length=254)
    note: str = Field("", max_length=500, description="Why it is blocked, shown in the list.")


class SuppressionOut(Schema):
    id: int
    address: str
    reason: str
    why: str = Field(description="E.g. “bounced permanently on 12 Nov 2026: 550 5.1.1 …”.")
    blocking: bool = Field(description="Whether sends to the address are refused now.")
    bounce_permanent: bool
    soft_bounce_count: int
    first_event_at: datetime
    last_event_at: datetime
    suppressed_at: datetime | None
    detail: str
    email_id: int | None
    cleared_at: datetime | None
    cleared_by_id: int | None

    @staticmethod
    def resolve_why(obj) -> str:
        return obj.why()

    @staticmethod
    def resolve_blocking(obj) -> bool:
        return obj.is_active
