"""Clients (companies), their contact persons, projects and subscriptions."""

from datetime import date

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from phonenumber_field.modelfields import PhoneNumberField

from forgecrm.core.audit import track
from forgecrm.core.models import (
    Currency,
    SoftDeleteModel,
    TimeStampedModel,
    TimeZoneField,
    money_field,
)

# Years before this in a birthday, anniversary or "client since" are typing slips ("90"
# for 1990), and would each cost the calendar's yearly look-ups a range of their own.
EARLIEST_DATE = date(1900, 1, 1)


def _not_before_1900() -> MinValueValidator:
    return MinValueValidator(EARLIEST_DATE, message="Enter a date from 1900 on.")


class RelationshipStatus(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    FORMER = "former", "Former"
    BLACKLISTED = "blacklisted", "Blacklisted"


class Tier(models.TextChoices):
    BRONZE = "bronze", "Bronze"
    SILVER = "silver", "Silver"
    GOLD = "gold", "Gold"
    PLATINUM = "platinum", "Platinum"


class CompanySize(models.TextChoices):
    SOLO = "1", "Just one person"
    MICRO = "2-10", "2–10 employees"
    SMALL = "11-50", "11–50 employees"
    MEDIUM = "51-200", "51–200 employees"
    LARGE = "201-1000", "201–1,000 employees"
    ENTERPRISE = "1000+", "More than 1,000 employees"


class PhoneKind(models.TextChoices):
    OFFICE = "office", "Office"
    MOBILE = "mobile", "Mobile"
    WHATSAPP = "whatsapp", "WhatsApp"
    OTHER = "other", "Other"


class EmailLabel(models.TextChoices):
    WORK = "work", "Work"
    PERSONAL = "personal", "Personal"
    BILLING = "billing", "Billing"
    OTHER = "other", "Other"


ALIVE = models.Q(deleted_at__isnull=True)


class Client(SoftDeleteModel, TimeStampedModel):
    # Basic information
    name = models.CharField("company name", max_length=200)
    industry = models.CharField(max_length=100, blank=True)
    company_size = models.CharField(max_length=10, choices=CompanySize.choices, blank=True)
    website = models.URLField(blank=True)
    linkedin_url = models.URLField("LinkedIn", blank=True)
    facebook_url = models.URLField("Facebook", blank=True)
    twitter_url = models.URLField("X / Twitter", blank=True)
    tax_id = models.CharField("tax ID / business registration no.", max_length=64, blank=True)
    primary_contact = models.ForeignKey(
        "ContactPerson",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The person we talk to first.",
    )

    # Contact information (company level; people have their own)
    address_line = models.CharField("street address", max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(
        max_length=2, blank=True, help_text="Two-letter country code, e.g. BD, US."
    )
    # Required: a contact without a zone of their own is greeted and scheduled in it.
    timezone = TimeZoneField(default="Asia/Dhaka", blank=False)

    # Business relationship
    status = models.CharField(
        max_length=12, choices=RelationshipStatus.choices, default=RelationshipStatus.PROSPECT
    )
    tier = models.CharField(max_length=10, choices=Tier.choices, default=Tier.BRONZE)
    client_since = models.DateField(null=True, blank=True, validators=[_not_before_1900()])
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.BDT)
    lifetime_value = money_field("customer lifetime value", default=0)
    annual_contract_value = money_field(default=0)
    contract_renewal_date = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_clients",
        help_text="The team member responsible for this client.",
    )
    notes = models.TextField(blank=True)

    # Lower-cased company, people, e-mail addresses and phone digits, kept by services so
    # one indexed column answers free-text search.
    search_text = models.TextField(blank=True, editable=False, default="")

    class Meta:
        ordering = ["name", "id"]
        # Lists show only live rows, so the list indexes skip the trash (partial indexes).
        indexes = [
            models.Index(fields=["name", "id"], name="client_name_idx", condition=ALIVE),
            models.Index(
                fields=["status", "tier", "name", "id"],
                name="client_status_tier_idx",
                condition=ALIVE,
            ),
            models.Index(fields=["tier", "name", "id"], name="client_tier_idx", condition=ALIVE),
            models.Index(
                fields=["industry", "name", "id"], name="client_industry_idx", condition=ALIVE
            ),
            models.Index(fields=["client_since"], name="client_since_idx"),
            models.Index(fields=["contract_renewal_date"], name="client_renewal_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("clients:detail", args=[self.pk])


class ContactRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", "Decision maker"
    TECHNICAL = "technical", "Technical contact"
    BILLING = "billing", "Billing contact"
    OTHER = "other", "Other"


class ContactChannel(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone call"
    WHATSAPP = "whatsapp", "WhatsApp"
    SMS = "sms", "SMS"
    MEETING = "meeting", "Meeting"


class ContactPerson(SoftDeleteModel, TimeStampedModel):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    job_title = models.CharField(max_length=120, blank=True)
    role = models.CharField(max_length=20, choices=ContactRole.choices, default=ContactRole.OTHER)
    linkedin_url = models.URLField("LinkedIn", blank=True)
    twitter_url = models.URLField("X / Twitter", blank=True)
    birthday = models.DateField(null=True, blank=True, validators=[_not_before_1900()])
    anniversary = models.DateField(null=True, blank=True, validators=[_not_before_1900()])
    preferred_channel = models.CharField(
        max_length=10, choices=ContactChannel.choices, default=ContactChannel.EMAIL
    )
    timezone = TimeZoneField(help_text="Leave empty to use the company's time zone.")
    relationship_notes = models.TextField(blank=True)
    search_text = models.TextField(blank=True, editable=False, default="")

    class Meta:
        ordering = ["first_name", "last_name", "id"]
        verbose_name = "contact person"
        indexes = [
            models.Index(fields=["client", "first_name"], name="contact_client_idx"),
            models.Index(fields=["first_name", "last_name", "id"], name="contact_name_idx"),
            models.Index(fields=["role"], name="contact_role_idx"),
            models.Index(fields=["birthday"], name="contact_birthday_idx"),
            models.Index(fields=["anniversary"], name="contact_anniversary_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def effective_timezone(self) -> str:
        return self.timezone or self.client.timezone or settings.TIME_ZONE

    def get_absolute_url(self) -> str:
        return reverse("clients:detail", args=[self.client_id]) + f"#contact-{self.pk}"


class EmailAddressBase(models.Model):
    email = models.EmailField()
    label = models.CharField(max_length=10, choices=EmailLabel.choices, default=EmailLabel.WORK)
    is_primary = models.BooleanField(default=False)

    class Meta:
        abstract = True
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return self.email


class PhoneBase(models.Model):
    number = PhoneNumberField(help_text="Any format; stored as +8801XXXXXXXXX.")
    kind = models.CharField(max_length=10, choices=PhoneKind.choices, default=PhoneKind.MOBILE)

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.number}"


class ClientEmail(EmailAddressBase):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="email_addresses")

    class Meta(EmailAddressBase.Meta):
        indexes = [models.Index(fields=["email"], name="client_email_idx")]

    def get_additional_data(self) -> dict:
        """Stored on audit entries so a client's history finds rows deleted since."""
        return {"client_id": self.client_id}


class ClientPhone(PhoneBase):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="phones")

    get_additional_data = ClientEmail.get_additional_data

    class Meta(PhoneBase.Meta):
        indexes = [models.Index(fields=["number"], name="client_phone_idx")]


class ContactEmail(EmailAddressBase):
    contact = models.ForeignKey(
        ContactPerson, on_delete=models.CASCADE, related_name="email_addresses"
    )

    class Meta(EmailAddressBase.Meta):
        indexes = [models.Index(fields=["email"], name="contact_email_idx")]

    def get_additional_data(self) -> dict:
        """Stored on audit entries so a client's history finds rows deleted since."""
        return {"client_id": self.contact.client_id, "contact": str(self.contact)}


class ContactPhone(PhoneBase):
    contact = models.ForeignKey(ContactPerson, on_delete=models.CASCADE, related_name="phones")

    get_additional_data = ContactEmail.get_additional_data

    class Meta(PhoneBase.Meta):
        indexes = [models.Index(fields=["number"], name="contact_phone_idx")]


class ServiceType(models.TextChoices):
    WEB = "web", "Web development"
    MOBILE = "mobile", "Mobile app"
    DESIGN = "design", "UI/UX design"
    ECOMMERCE = "ecommerce", "E-commerce"
    SEO = "seo", "SEO & marketing"
    HOSTING = "hosting", "Hosting"
    MAINTENANCE = "maintenance", "Maintenance & support"
    CONSULTING = "consulting", "Consulting"
    OTHER = "other", "Other"


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Project(TimeStampedModel):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=200)
    service_type = models.CharField(max_length=20, choices=ServiceType.choices)
    status = models.CharField(
        max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED
    )
    started_on = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.BDT)
    value = money_field(default=0)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        indexes = [models.Index(fields=["client", "status"], name="project_client_status_idx")]

    def __str__(self) -> str:
        return self.name


class BillingInterval(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    YEARLY = "yearly", "Yearly"


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    CANCELLED = "cancelled", "Cancelled"


class Subscription(TimeStampedModel):
    """A recurring service (hosting, maintenance retainer ...) that makes recurring revenue."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="subscriptions")
    service_type = models.CharField(max_length=20, choices=ServiceType.choices)
    name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE
    )
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.BDT)
    amount = money_field()
    interval = models.CharField(
        max_length=10, choices=BillingInterval.choices, default=BillingInterval.MONTHLY
    )
    started_on = models.DateField(null=True, blank=True)
    renews_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        indexes = [
            models.Index(fields=["client", "status"], name="subscription_client_idx"),
            models.Index(fields=["renews_on"], name="subscription_renews_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class ClientDocument(TimeStampedModel):
    """A file kept on the client's record (contract, brief, invoice ...)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to="documents/%Y/%m/")
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "-created_at"], name="document_client_idx")]

    def __str__(self) -> str:
        return self.filename

    def get_additional_data(self) -> dict:
        """Stored on audit entries so a client's history finds documents deleted since."""
        return {"client_id": self.client_id}


for _model in (
    Client,
    ContactPerson,
    ClientEmail,
    ClientPhone,
    ContactEmail,
    ContactPhone,
    Project,
    Subscription,
    ClientDocument,
):
    track(_model)
