"""Shapes of the communications API: list filters, the request body and the response.

The body is loose on purpose: timeline.forms.CommunicationForm does the real validation, so
the API and the quick log answer with the same rules and the same messages.
"""

from datetime import date, datetime
from typing import Any

from django.forms import model_to_dict
from ninja import Field, Schema

from forgecrm.clients.schemas import LooseIn, SearchTerm, Text, UserRef
from forgecrm.core.api import ObjectId, PageParams
from forgecrm.timeline.forms import CommunicationForm
from forgecrm.timeline.models import Communication, CommunicationDirection, CommunicationType
from forgecrm.timeline.queries import CommunicationFilters

# The API says "type" where the model says "kind" (`type` is a Python built-in).
API_NAMES = {"kind": "type"}


class TimelineQuery(PageParams):
    type: CommunicationType | None = None
    q: SearchTerm = Field("", description="Words of the summary, notes, outcome or next steps.")


class CommunicationQuery(TimelineQuery):
    client: ObjectId | None = Field(None, description="Only the timeline of this client.")
    contact: ObjectId | None = Field(None, description="Entries with this contact person.")
    direction: CommunicationDirection | None = None
    date_from: date | None = Field(None, description="From this day (your time zone).")
    date_to: date | None = Field(None, description="Up to and including this day.")

    def to_filters(self) -> CommunicationFilters:
        return CommunicationFilters(
            client=self.client,
            contact=self.contact,
            kind=self.type or "",
            direction=self.direction or "",
            date_from=self.date_from,
            date_to=self.date_to,
            q=self.q,
        )


class CommunicationIn(LooseIn):
    """An entry for a client's timeline. `type` and a summary or notes are required."""

    client: int = Field(description="Id of the client.")
    type: Text = Field(None, examples=[CommunicationType.CALL.value])
    direction: Text = Field(None, examples=[CommunicationDirection.OUTBOUND.value])
    subject: Text = Field(None, description="A one-line summary.")
    content: Text = Field(None, description="Notes.")
    occurred_at: Text = Field(
        None, examples=["2025-04-14T10:30:00+06:00"], description="Defaults to now."
    )
    duration_minutes: int | None = None
    location: Text = None
    contact: int | None = Field(None, description="Id of one of the client's contact persons.")
    participant_contacts: list[int] = Field([], description="Ids of the client's contacts.")
    participant_users: list[int] = Field([], description="Ids of users of the CRM.")
    outcome: Text = None
    next_steps: Text = None
    is_private: bool = Field(False, description="Notes only: seen by you and admins alone.")
    email: int | None = Field(None, description="Type email only: id of the client's e-mail.")

    def form_data(self) -> dict[str, Any]:
        """The form's data: what the caller sent, the model's defaults for the rest."""
        data = model_to_dict(Communication(), fields=CommunicationForm._meta.fields)
        sent = self.model_dump(exclude_unset=True, exclude={"client"})
        if "type" in sent:
            sent["kind"] = sent.pop("type")
        data.update(sent)
        return {name: "" if value is None else value for name, value in data.items()}


def api_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """A form's errors keyed by the API's field names."""
    return {API_NAMES.get(name, name): list(messages) for name, messages in errors.items()}


class PersonRef(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return obj.full_name


class CommunicationOut(Schema):
    id: int
    type: str
    type_label: str
    direction: str
    subject: str
    content: str
    occurred_at: datetime
    duration_minutes: int | None
    location: str
    outcome: str
    next_steps: str
    is_private: bool
    client: int
    client_name: str
    contact: PersonRef | None
    participant_contacts: list[PersonRef]
    participant_users: list[UserRef]
    email: int | None
    created_by: UserRef | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_type(obj: Communication) -> str:
        return obj.kind

    @staticmethod
    def resolve_type_label(obj: Communication) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_client(obj: Communication) -> int:
        return obj.client_id

    @staticmethod
    def resolve_client_name(obj: Communication) -> str:
        return obj.client.name

    @staticmethod
    def resolve_participant_contacts(obj: Communication) -> list:
        return list(obj.participant_contacts.all())

    @staticmethod
    def resolve_participant_users(obj: Communication) -> list:
        return list(obj.participant_users.all())

    @staticmethod
    def resolve_email(obj: Communication) -> int | None:
        return obj.email_id
