"""Shapes of the clients and contacts API: list filters, request bodies and responses.

Request bodies are deliberately loose (mostly strings): clients.forms does the real
validation, so the API and the pages answer with the same rules and the same messages.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict
from pydantic_core import PydanticCustomError

from forgecrm.clients.models import (
    Client,
    ContactPerson,
    ContactRole,
    EmailLabel,
    PhoneKind,
    RelationshipStatus,
    Tier,
)
from forgecrm.clients.queries import (
    CLIENT_ORDERINGS,
    CONTACT_ORDERINGS,
    ClientFilters,
    ContactFilters,
)
from forgecrm.core.api import ObjectId, PageParams

# Same cap as the formsets' max_num in clients.forms.
MAX_ROWS = 20


def _no_null_character(value: str) -> str:
    """PostgreSQL refuses NUL in text; answer 422 instead of failing on the query."""
    if "\x00" in value:
        raise PydanticCustomError("null_character", "Null characters are not allowed.")
    return value


SearchTerm = Annotated[str, Field(max_length=200), AfterValidator(_no_null_character)]


# ---- List filters (query string) ----


class ClientQuery(PageParams):
    status: RelationshipStatus | None = None
    tier: Tier | None = None
    industry: SearchTerm = ""
    client_since_from: date | None = None
    client_since_to: date | None = None
    q: SearchTerm = Field("", description="Company, contact names, e-mail addresses, phones.")
    order: Literal[tuple(CLIENT_ORDERINGS)] = "name"  # type: ignore[valid-type]
    deleted: bool = Field(False, description="List the trash instead (needs delete permission).")

    def to_filters(self) -> ClientFilters:
        return ClientFilters(
            status=self.status or "",
            tier=self.tier or "",
            industry=self.industry,
            client_since_from=self.client_since_from,
            client_since_to=self.client_since_to,
            q=self.q,
            order=self.order,
        )


class ContactQuery(PageParams):
    client: ObjectId | None = Field(None, description="Only the contacts of this client.")
    role: ContactRole | None = None
    q: SearchTerm = Field("", description="Names, job title, e-mail addresses, phones.")
    order: Literal[tuple(CONTACT_ORDERINGS)] = "name"  # type: ignore[valid-type]

    def to_filters(self) -> ContactFilters:
        return ContactFilters(client=self.client, role=self.role or "", q=self.q, order=self.order)


# ---- Request bodies ----

Text = str | None


class LooseIn(Schema):
    """Unknown fields are refused; numbers are accepted where the form expects text."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class EmailIn(LooseIn):
    email: Text = None
    label: Text = EmailLabel.WORK.value
    is_primary: bool | None = False


class PhoneIn(LooseIn):
    number: Text = Field(None, description="Any format, e.g. 01711-000001 or +8801711000001.")
    kind: Text = PhoneKind.MOBILE.value


class BundleIn(LooseIn):
    """Fields of a form plus its `emails` and `phones` lists, for forms.Bundle.from_json."""

    # Body fields that are not fields of the form.
    not_form_fields: ClassVar[set[str]] = set()

    emails: list[EmailIn] | None = Field(
        None, max_length=MAX_ROWS, description="Replaces all addresses; omit to keep them."
    )
    phones: list[PhoneIn] | None = Field(
        None, max_length=MAX_ROWS, description="Replaces all numbers; omit to keep them."
    )

    def form_data(self) -> dict[str, Any]:
        """Only the fields the caller sent, so that omitted ones keep their current values."""
        rows = {"emails", "phones"}
        data = self.model_dump(exclude_unset=True, exclude=rows | self.not_form_fields)
        for name in rows:
            if getattr(self, name) is not None:
                data[name] = [row.model_dump() for row in getattr(self, name)]
        return data


class ClientIn(BundleIn):
    """A client; `name` is required on create. On update, omitted fields are kept."""

    name: Text = None
    status: Text = Field(None, examples=[RelationshipStatus.ACTIVE.value])
    tier: Text = Field(None, examples=[Tier.GOLD.value])
    industry: Text = None
    company_size: Text = None
    website: Text = None
    linkedin_url: Text = None
    facebook_url: Text = None
    twitter_url: Text = None
    tax_id: Text = None
    primary_contact: int | None = Field(None, description="Id of one of the client's contacts.")
    address_line: Text = None
    city: Text = None
    postal_code: Text = None
    country: Text = Field(None, description="Two-letter country code, e.g. BD.")
    timezone: Text = Field(None, examples=["Asia/Dhaka"])
    client_since: Text = Field(None, examples=["2024-01-31"])
    contract_renewal_date: Text = Field(None, examples=["2025-01-31"])
    currency: Text = Field(None, examples=["BDT"])
    lifetime_value: Text = Field(None, examples=["150000.00"])
    annual_contract_value: Text = Field(None, examples=["50000.00"])
    owner: int | None = Field(None, description="Id of an active user; defaults to you.")
    notes: Text = None


class ContactIn(BundleIn):
    """A contact person; `first_name` is required on create. On update, omitted fields are kept."""

    first_name: Text = None
    last_name: Text = None
    job_title: Text = None
    role: Text = Field(None, examples=[ContactRole.DECISION_MAKER.value])
    preferred_channel: Text = Field(None, examples=["email"])
    timezone: Text = Field(None, description="Empty to use the company's time zone.")
    birthday: Text = Field(None, examples=["1990-04-14"])
    anniversary: Text = None
    linkedin_url: Text = None
    twitter_url: Text = None
    relationship_notes: Text = None


class ContactCreateIn(ContactIn):
    not_form_fields: ClassVar[set[str]] = {"client"}

    client: int = Field(description="Id of the client this person works for.")


# ---- Responses ----


class UserRef(Schema):
    id: int
    username: str


class EmailOut(Schema):
    email: str
    label: str
    is_primary: bool


class PhoneOut(Schema):
    number: str = Field(description="E.164, e.g. +8801711000001.")
    kind: str

    @staticmethod
    def resolve_number(obj: Any) -> str:
        return obj.number.as_e164


class ContactOut(Schema):
    id: int
    first_name: str
    last_name: str
    full_name: str
    job_title: str
    role: str
    role_label: str
    preferred_channel: str
    timezone: str
    birthday: date | None
    anniversary: date | None
    linkedin_url: str
    twitter_url: str
    relationship_notes: str
    emails: list[EmailOut]
    phones: list[PhoneOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_role_label(obj: ContactPerson) -> str:
        return obj.get_role_display()

    @staticmethod
    def resolve_emails(obj: ContactPerson) -> list:
        return list(obj.email_addresses.all())

    @staticmethod
    def resolve_phones(obj: ContactPerson) -> list:
        return list(obj.phones.all())


class ContactDetailOut(ContactOut):
    client: int
    client_name: str

    @staticmethod
    def resolve_client(obj: ContactPerson) -> int:
        return obj.client_id

    @staticmethod
    def resolve_client_name(obj: ContactPerson) -> str:
        return obj.client.name


class ClientBaseOut(Schema):
    """What the list and the detail both show of a client."""

    id: int
    name: str
    status: str
    status_label: str
    tier: str
    tier_label: str
    industry: str
    client_since: date | None
    primary_contact: int | None
    currency: str
    lifetime_value: Decimal

    @staticmethod
    def resolve_status_label(obj: Client) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_tier_label(obj: Client) -> str:
        return obj.get_tier_display()

    @staticmethod
    def resolve_primary_contact(obj: Client) -> int | None:
        return obj.primary_contact_id


class ClientListItem(ClientBaseOut):
    primary_contact_name: str | None
    primary_email: str | None
    deleted_at: datetime | None

    @staticmethod
    def resolve_primary_contact_name(obj: Client) -> str | None:
        return obj.primary_contact.full_name if obj.primary_contact else None

    @staticmethod
    def resolve_primary_email(obj: Client) -> str | None:
        """`primary_emails` is prefetched by queries.client_list."""
        return obj.primary_emails[0].email if obj.primary_emails else None


class ClientOut(ClientBaseOut):
    company_size: str
    website: str
    linkedin_url: str
    facebook_url: str
    twitter_url: str
    tax_id: str
    address_line: str
    city: str
    postal_code: str
    country: str
    timezone: str
    contract_renewal_date: date | None
    annual_contract_value: Decimal
    owner: UserRef | None
    notes: str
    emails: list[EmailOut]
    phones: list[PhoneOut]
    contacts: list[ContactOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_emails(obj: Client) -> list:
        return list(obj.email_addresses.all())

    @staticmethod
    def resolve_phones(obj: Client) -> list:
        return list(obj.phones.all())

    @staticmethod
    def resolve_contacts(obj: Client) -> list:
        return list(obj.contacts.all())
