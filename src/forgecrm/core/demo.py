"""Made-up but realistic demo data for `manage.py seed_demo`.

Mostly Bangladeshi clients (names in Bengali script or romanised), some abroad. Choices
come from one seeded random generator, so two runs on the same day give the same data;
dates are relative to today so renewals and birthdays stay "upcoming".

E-mail domains use the reserved `.example` TLD, so mail sent to demo contacts cannot
reach a real company. US phones are in the fictional 555-01XX range; other numbers are
random but valid for their country.
"""

import random
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import phonenumbers
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from faker import Faker

from forgecrm.clients.models import (
    BillingInterval,
    Client,
    CompanySize,
    ContactChannel,
    ContactRole,
    EmailLabel,
    PhoneKind,
    Project,
    ProjectStatus,
    RelationshipStatus,
    ServiceType,
    Subscription,
    SubscriptionStatus,
    Tier,
)
from forgecrm.clients.services import client_create, contact_create
from forgecrm.sales.models import Deal, DealStage, Lead, LeadSource, LeadStatus

SEED = 1432  # Bengali year of Pohela Boishakh 2025
CLIENT_COUNT = 50
CONTACT_COUNT = 150
LEAD_COUNT = 20


@dataclass(frozen=True)
class Market:
    country: str
    timezone: str
    currency: str
    company_suffix: str
    faker_locale: str
    cities: tuple[tuple[str, str], ...]  # (city, postal code)


BD = Market(
    "BD", "Asia/Dhaka", "BDT", "Ltd", "bn_BD",
    (("Dhaka", "1212"), ("Dhaka", "1205"), ("Chattogram", "4000"), ("Sylhet", "3100"),
     ("Khulna", "9000"), ("Rajshahi", "6000"), ("Gazipur", "1700"), ("Narayanganj", "1400")),
)  # fmt: skip
ABROAD = (
    Market("US", "America/New_York", "USD", "Inc.", "en_US",
           (("New York", "10001"), ("Brooklyn", "11201"), ("Jersey City", "07302"))),
    Market("GB", "Europe/London", "USD", "Ltd", "en_GB",
           (("London", "EC1A 1BB"), ("Manchester", "M1 1AE"))),
    Market("AE", "Asia/Dubai", "USD", "LLC", "en_GB", (("Dubai", ""), ("Abu Dhabi", ""))),
    Market("AU", "Australia/Sydney", "USD", "Pty Ltd", "en_AU",
           (("Sydney", "2000"), ("Parramatta", "2150"))),
    Market("SG", "Asia/Singapore", "USD", "Pte Ltd", "en_US", (("Singapore", "018956"),)),
)  # fmt: skip
# How many of the 50 clients are in each market: most are Bangladeshi.
MARKET_COUNTS = {"BD": 36, "US": 5, "GB": 3, "AE": 2, "AU": 2, "SG": 2}

STATUS_COUNTS = {
    RelationshipStatus.ACTIVE: 22,
    RelationshipStatus.PROSPECT: 14,
    RelationshipStatus.INACTIVE: 6,
    RelationshipStatus.FORMER: 5,
    RelationshipStatus.BLACKLISTED: 3,
}

# Industry -> words that end a company name in it.
INDUSTRIES: dict[str, tuple[str, ...]] = {
    "Software": ("Soft", "Digital Labs", "IT Solutions", "Technologies"),
    "E-commerce": ("Bazar", "Shop", "Mart"),
    "Garments & Textiles": ("Garments", "Knitwear", "Apparels", "Textile Mills"),
    "Banking & Finance": ("Finance", "Capital", "Securities"),
    "Healthcare": ("Diagnostic Centre", "Hospital", "Pharma"),
    "Education": ("Academy", "School", "Learning"),
    "Real Estate": ("Properties", "Developers", "Housing"),
    "Logistics": ("Logistics", "Shipping", "Courier"),
    "NGO": ("Foundation", "Trust", "Development Society"),
    "Telecom": ("Telecom", "Communications", "Net"),
    "Restaurants": ("Kitchen", "Foods", "Restaurant"),
    "Travel & Tourism": ("Travels", "Tours", "Holidays"),
}
BD_NAME_STARTS = (
    "Padma", "Meghna", "Jamuna", "Karnaphuli", "Teesta", "Surma", "Sundarban", "Shapla",
    "Bengal", "Delta", "Sonargaon", "Lalbagh", "Rupsha", "Mohona", "Shobuj", "Nabanna",
    "Shonali", "Dhanshiri", "Probashi", "Ekushey", "Kushiara", "Bijoy", "Shimanto", "Nodi",
)  # fmt: skip
# Bangladeshi companies whose name is written in Bengali: (Bengali, romanised for the domain).
BD_BENGALI_COMPANIES = (
    ("পদ্মা টেক্সটাইল লিমিটেড", "padmatextile", "Garments & Textiles"),
    ("মেঘনা ফার্মা", "meghnapharma", "Healthcare"),
    ("যমুনা লজিস্টিকস", "jamunalogistics", "Logistics"),
    ("সোনার বাংলা রেস্তোরাঁ", "sonarbangla", "Restaurants"),
    ("আলোর পথ ফাউন্ডেশন", "alorpoth", "NGO"),
    ("নবান্ন শিক্ষা নিকেতন", "nabanna", "Education"),
    ("শাপলা আবাসন", "shaplaabashon", "Real Estate"),
)  # fmt: skip

# Bangladeshi people: (romanised, Bengali) pairs, first names with surnames that go with them.
BD_PEOPLE = (
    (
        (("Rahim", "রহিম"), ("Karim", "করিম"), ("Tanvir", "তানভীর"), ("Sabbir", "সাব্বির"),
         ("Farhana", "ফারহানা"), ("Nusrat", "নুসরাত"), ("Sadia", "সাদিয়া"), ("Ayesha", "আয়েশা"),
         ("Mahmud", "মাহমুদ"), ("Arif", "আরিফ"), ("Rafiq", "রফিক"), ("Imran", "ইমরান"),
         ("Nasrin", "নাসরিন"), ("Taslima", "তাসলিমা"), ("Mehedi", "মেহেদী"), ("Rakib", "রাকিব"),
         ("Sumaiya", "সুমাইয়া"), ("Fahim", "ফাহিম"), ("Tahmina", "তাহমিনা"), ("Habib", "হাবিব"),
         ("Shirin", "শিরিন"), ("Kamal", "কামাল"), ("Jannat", "জান্নাত"), ("Shakil", "শাকিল")),
        (("Uddin", "উদ্দিন"), ("Ahmed", "আহমেদ"), ("Hossain", "হোসেন"), ("Rahman", "রহমান"),
         ("Islam", "ইসলাম"), ("Chowdhury", "চৌধুরী"), ("Khan", "খান"), ("Akter", "আক্তার"),
         ("Talukder", "তালুকদার"), ("Haque", "হক"), ("Siddique", "সিদ্দিকী"), ("Bhuiyan", "ভূঁইয়া")),
    ),
    (
        (("Sourav", "সৌরভ"), ("Priya", "প্রিয়া"), ("Ananya", "অনন্যা"), ("Partha", "পার্থ"),
         ("Dipankar", "দীপঙ্কর"), ("Riya", "রিয়া"), ("Amit", "অমিত"), ("Mitali", "মিতালী")),
        (("Das", "দাস"), ("Roy", "রায়"), ("Saha", "সাহা"), ("Biswas", "বিশ্বাস"),
         ("Paul", "পাল"), ("Majumder", "মজুমদার"), ("Sarkar", "সরকার")),
    ),
)  # fmt: skip

JOB_TITLES = {
    ContactRole.DECISION_MAKER: ("CEO", "Managing Director", "Founder", "Director", "Chairman"),
    ContactRole.TECHNICAL: ("CTO", "IT Manager", "Head of Engineering", "Systems Administrator"),
    ContactRole.BILLING: ("Finance Manager", "Accounts Officer", "CFO", "Procurement Manager"),
    ContactRole.OTHER: ("Marketing Executive", "Office Manager", "HR Manager"),
}
CONTACT_ROLES = (ContactRole.DECISION_MAKER, ContactRole.TECHNICAL, ContactRole.BILLING)
BD_STREETS = (
    "House 12, Road 5, Dhanmondi", "Plot 45, Gulshan Avenue", "Level 7, Kawran Bazar",
    "House 3, Road 11, Banani", "Sector 7, Uttara", "CDA Avenue, GEC Circle",
    "Zindabazar", "KDA Avenue", "Shaheb Bazar Road", "BSCIC Industrial Area",
)  # fmt: skip
US_AREA_CODES = ("212", "646", "718", "917", "201")
# Mobile number patterns for the other markets; a drawn number is kept only if valid.
MOBILE_PATTERNS = {"GB": "+447{d9}", "AE": "+97150{d7}", "AU": "+614{d8}", "SG": "+659{d7}"}


class DemoBuilder:
    """Draws the demo rows and writes them through the client services as `actor`."""

    def __init__(self, actor: AbstractBaseUser, today: date | None = None):
        self.actor = actor
        self.today = today or timezone.localdate()
        self.rng = random.Random(SEED)
        self.fakers: dict[str, Faker] = {}
        self.used_phones: set[str] = set()
        self.used_names: set[str] = set()

    # -- drawing helpers ---------------------------------------------------------------

    def faker(self, locale: str) -> Faker:
        if locale not in self.fakers:
            self.fakers[locale] = Faker(locale)
            # Seeded per locale: one shared seed would make every locale draw in lockstep.
            self.fakers[locale].seed_instance(f"{SEED}-{locale}")
        return self.fakers[locale]

    def day_between(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def years_ago(self, years: float) -> date:
        return self.today - timedelta(days=int(years * 365))

    def phone(self, country: str) -> str:
        """A number phonenumbers accepts as valid (E.164), unique within the demo data."""
        while True:
            number = self._draw_phone(country)
            if number not in self.used_phones and phonenumbers.is_valid_number(
                phonenumbers.parse(number)
            ):
                self.used_phones.add(number)
                return number

    def _draw_phone(self, country: str) -> str:
        if country == "BD":
            return f"+8801{self.rng.choice('3456789')}{self.rng.randrange(10**8):08d}"
        if country == "US":
            return f"+1{self.rng.choice(US_AREA_CODES)}55501{self.rng.randrange(100):02d}"
        pattern = MOBILE_PATTERNS[country]
        return re.sub(
            r"\{d(\d)\}",
            lambda m: f"{self.rng.randrange(10 ** int(m[1])):0{m[1]}d}",
            pattern,
        )

    def person(self, market: Market) -> tuple[str, str, str]:
        """(first name, last name, ASCII e-mail local part); Bangladeshis half in Bengali."""
        if market is not BD:
            fake = self.faker(market.faker_locale)
            first, last = fake.first_name(), fake.last_name()
            return first, last, ascii_slug(f"{first}.{last}", ".")
        first_names, last_names = self.rng.choice(BD_PEOPLE)
        (first, first_bn), (last, last_bn) = (
            self.rng.choice(first_names),
            self.rng.choice(last_names),
        )
        local = ascii_slug(f"{first}.{last}", ".")
        if self.rng.random() < 0.5:
            return first_bn, last_bn, local
        return first, last, local

    def company(self, market: Market, industry: str) -> tuple[str, str]:
        """(company name, domain) unique within the demo data."""
        while True:
            word = self.rng.choice(INDUSTRIES[industry])
            if market is BD:
                start = self.rng.choice(BD_NAME_STARTS)
            else:
                start = self.faker(market.faker_locale).last_name()
            name = f"{start} {word} {market.company_suffix}"
            if name not in self.used_names:
                self.used_names.add(name)
                return name, f"{ascii_slug(f'{start}{word}', '')}.example"

    # -- clients ------------------------------------------------------------------------

    def client_plans(self) -> list[tuple[Market, str, tuple[str, str, str] | None]]:
        """(market, status, Bengali-named company or None) for every client, shuffled."""
        markets = [m for m in (BD, *ABROAD) for _ in range(MARKET_COUNTS[m.country])]
        statuses = [s for s, n in STATUS_COUNTS.items() for _ in range(n)]
        self.rng.shuffle(markets)
        self.rng.shuffle(statuses)
        bengali = iter(BD_BENGALI_COMPANIES)
        plans = []
        for market, status in zip(markets, statuses, strict=True):
            named = next(bengali, None) if market is BD and self.rng.random() < 0.25 else None
            plans.append((market, status, named))
        return plans

    def contact_counts(self) -> list[int]:
        """Contacts per client: 1 to 5, adding up to exactly CONTACT_COUNT."""
        counts = [CONTACT_COUNT // CLIENT_COUNT] * CLIENT_COUNT
        for _ in range(CLIENT_COUNT // 2):
            give, take = self.rng.sample(range(CLIENT_COUNT), 2)
            if counts[give] > 1 and counts[take] < 5:
                counts[give] -= 1
                counts[take] += 1
        return counts

    def client_fields(
        self, market: Market, status: str, named: tuple[str, str, str] | None
    ) -> tuple[dict, str]:
        if named:
            name, slug, industry = named
            domain = f"{slug}.example"
        else:
            industry = self.rng.choice(list(INDUSTRIES))
            name, domain = self.company(market, industry)
        tier = self.rng.choices(list(Tier), weights=(40, 30, 20, 10))[0]
        city, postal_code = self.rng.choice(market.cities)
        since = None
        if status != RelationshipStatus.PROSPECT:
            since = self.day_between(self.years_ago(9), self.years_ago(0.2))
        fields = {
            "name": name,
            "industry": industry,
            "company_size": self.rng.choice(list(CompanySize)),
            "website": f"https://www.{domain}",
            "tax_id": self.tax_id(market),
            "address_line": self.street(market, in_bengali=bool(named)),
            "city": city,
            "postal_code": postal_code,
            "country": market.country,
            "timezone": market.timezone,
            "status": status,
            "tier": tier,
            "client_since": since,
            "currency": market.currency,
            "created_at": self.created_at(since),
            **self.money(market, status, tier, since),
        }
        if status == RelationshipStatus.ACTIVE:
            fields["contract_renewal_date"] = self.today + timedelta(days=self.rng.randint(5, 360))
        if status == RelationshipStatus.BLACKLISTED:
            fields["notes"] = "Unpaid invoices for over a year; do not take new work."
        return fields, domain

    def tax_id(self, market: Market) -> str:
        if self.rng.random() < 0.4:
            return ""
        if market is BD:
            return f"BIN {self.rng.randrange(10**12):012d}"
        return f"{self.rng.randrange(10, 99)}-{self.rng.randrange(10**7):07d}"

    def street(self, market: Market, *, in_bengali: bool) -> str:
        """Bengali-named companies write their address in Bengali too."""
        if market is BD and not in_bengali:
            return self.rng.choice(BD_STREETS)
        return self.faker(market.faker_locale).street_address()

    def created_at(self, since: date | None) -> datetime:
        day = since or self.day_between(self.years_ago(0.5), self.today)
        return timezone.make_aware(datetime.combine(day, time(10, 30)))

    def money(self, market: Market, status: str, tier: str, since: date | None) -> dict:
        """Annual contract and lifetime value, growing with tier and years as a client."""
        if since is None:
            return {"annual_contract_value": Decimal(0), "lifetime_value": Decimal(0)}
        base = 150_000 if market.currency == "BDT" else 4_000
        acv = base * (1 + list(Tier).index(tier) * 2) * self.rng.uniform(0.6, 1.6)
        years = max(1.0, (self.today - since).days / 365)
        lifetime = acv * years * self.rng.uniform(0.7, 1.0)
        if status not in (RelationshipStatus.ACTIVE, RelationshipStatus.INACTIVE):
            acv = 0
        return {
            "annual_contract_value": Decimal(round(acv, -2)),
            "lifetime_value": Decimal(round(lifetime, -2)),
        }

    def company_contacts(self, market: Market, domain: str) -> tuple[list[dict], list[dict]]:
        emails = []
        if self.rng.random() < 0.7:
            emails.append({"email": f"info@{domain}", "label": EmailLabel.WORK, "is_primary": True})
            if self.rng.random() < 0.4:
                emails.append(
                    {
                        "email": f"accounts@{domain}",
                        "label": EmailLabel.BILLING,
                        "is_primary": False,
                    }
                )
        phones = []
        if self.rng.random() < 0.6:
            phones.append({"number": self.phone(market.country), "kind": PhoneKind.OFFICE})
        return emails, phones

    # -- contacts -----------------------------------------------------------------------

    def contact(self, market: Market, domain: str, role: str) -> tuple[dict, list, list]:
        first, last, local = self.person(market)
        fields = {
            "first_name": first,
            "last_name": last,
            "role": role,
            "job_title": self.rng.choice(JOB_TITLES[role]),
            "preferred_channel": self.rng.choice(
                (ContactChannel.WHATSAPP, ContactChannel.PHONE, ContactChannel.EMAIL)
                if market is BD
                else (ContactChannel.EMAIL, ContactChannel.MEETING)
            ),
        }
        if self.rng.random() < 0.4:
            fields["birthday"] = self.day_between(date(1965, 1, 1), date(1999, 12, 31))
        if self.rng.random() < 0.2:
            fields["anniversary"] = self.day_between(date(1995, 1, 1), self.years_ago(1))
        if market is BD and self.rng.random() < 0.05:
            fields["timezone"] = "Europe/London"  # works from the UK office
        emails = [{"email": f"{local}@{domain}", "label": EmailLabel.WORK, "is_primary": True}]
        if self.rng.random() < 0.3:
            personal = f"{local}{self.rng.randrange(10, 99)}@mail.example"
            emails.append({"email": personal, "label": EmailLabel.PERSONAL, "is_primary": False})
        kinds = self.rng.sample(
            (PhoneKind.MOBILE, PhoneKind.WHATSAPP, PhoneKind.OFFICE), self.rng.randint(1, 3)
        )
        phones = [{"number": self.phone(market.country), "kind": kind} for kind in kinds]
        return fields, emails, phones

    # -- everything ---------------------------------------------------------------------

    def build(self) -> list[Client]:
        """Create the clients with their contacts, then their projects, deals and leads."""
        clients = []
        for (market, status, named), count in zip(
            self.client_plans(), self.contact_counts(), strict=True
        ):
            fields, domain = self.client_fields(market, status, named)
            emails, phones = self.company_contacts(market, domain)
            client = client_create(fields=fields, emails=emails, phones=phones, actor=self.actor)
            for index in range(count):
                role = CONTACT_ROLES[index] if index < len(CONTACT_ROLES) else ContactRole.OTHER
                c_fields, c_emails, c_phones = self.contact(market, domain, role)
                contact_create(
                    client=client,
                    fields=c_fields,
                    emails=c_emails,
                    phones=c_phones,
                    actor=self.actor,
                )
            clients.append(client)
        projects = Project.objects.bulk_create(p for c in clients for p in self.projects(c))
        Subscription.objects.bulk_create(s for c in clients for s in self.subscriptions(c))
        by_client: dict[int, list[Project]] = {}
        for project in projects:
            by_client.setdefault(project.client_id, []).append(project)
        Deal.objects.bulk_create(d for c in clients for d in self.deals(c, by_client))
        Lead.objects.bulk_create(self.leads(clients))
        return clients

    def projects(self, client: Client) -> list[Project]:
        if client.client_since is None:
            return []
        rows = []
        for _ in range(self.rng.randint(1, 3)):
            started = self.day_between(client.client_since, self.today)
            status = (
                ProjectStatus.COMPLETED
                if client.status != RelationshipStatus.ACTIVE or self.rng.random() < 0.5
                else self.rng.choice((ProjectStatus.ACTIVE, ProjectStatus.ON_HOLD))
            )
            service = self.rng.choice(
                (ServiceType.WEB, ServiceType.MOBILE, ServiceType.ECOMMERCE, ServiceType.DESIGN)
            )
            done = status == ProjectStatus.COMPLETED
            rows.append(
                Project(
                    client=client,
                    name=f"{ServiceType(service).label} for {client.name}",
                    service_type=service,
                    status=status,
                    started_on=started,
                    completed_on=self.day_between(started, self.today) if done else None,
                    currency=client.currency,
                    value=Decimal(round(client.lifetime_value * Decimal("0.3"), -2)),
                )
            )
        return rows

    def subscriptions(self, client: Client) -> list[Subscription]:
        if client.status not in (RelationshipStatus.ACTIVE, RelationshipStatus.FORMER):
            return []
        if self.rng.random() < 0.4:
            return []
        service = self.rng.choice((ServiceType.HOSTING, ServiceType.MAINTENANCE))
        interval = self.rng.choice(list(BillingInterval))
        monthly = 5_000 if client.currency == "BDT" else 150
        per_interval = {"monthly": 1, "quarterly": 3, "yearly": 12}[interval] * monthly
        active = client.status == RelationshipStatus.ACTIVE
        return [
            Subscription(
                client=client,
                service_type=service,
                name=f"{ServiceType(service).label} ({BillingInterval(interval).label.lower()})",
                status=SubscriptionStatus.ACTIVE if active else SubscriptionStatus.CANCELLED,
                currency=client.currency,
                amount=Decimal(per_interval),
                interval=interval,
                started_on=client.client_since,
                renews_on=self.today + timedelta(days=self.rng.randint(3, 90)) if active else None,
            )
        ]

    def deals(self, client: Client, projects: dict[int, list[Project]]) -> list[Deal]:
        if client.status not in (RelationshipStatus.ACTIVE, RelationshipStatus.PROSPECT):
            return []
        rows = []
        for _ in range(self.rng.randint(0, 2)):
            stage = self.rng.choice(list(DealStage))
            project = None
            if stage == DealStage.WON and projects.get(client.pk):
                project = self.rng.choice(projects[client.pk])
            closed = stage in (DealStage.WON, DealStage.LOST)
            base = 300_000 if client.currency == "BDT" else 8_000
            rows.append(
                Deal(
                    title=f"{self.rng.choice(('Website', 'Mobile app', 'ERP', 'Online shop'))} "
                    f"for {client.name}",
                    client=client,
                    project=project,
                    stage=stage,
                    currency=client.currency,
                    amount=Decimal(round(base * self.rng.uniform(0.3, 3), -2)),
                    expected_close=self.today + timedelta(days=self.rng.randint(7, 120)),
                    closed_at=(
                        timezone.now() - timedelta(days=self.rng.randint(5, 200))
                        if closed
                        else None
                    ),
                    owner=self.actor,
                )
            )
        return rows

    def leads(self, clients: list[Client]) -> list[Lead]:
        """Open leads, plus one converted lead for each of a few active clients."""
        rows = []
        for _ in range(LEAD_COUNT):
            market = BD if self.rng.random() < 0.7 else self.rng.choice(ABROAD)
            first, last, local = self.person(market)
            industry = self.rng.choice(list(INDUSTRIES))
            company, domain = self.company(market, industry)
            rows.append(
                Lead(
                    name=f"{first} {last}",
                    company_name=company,
                    email=f"{local}@{domain}",
                    phone=self.phone(market.country),
                    source=self.rng.choice(list(LeadSource)),
                    status=self.rng.choice(
                        (
                            LeadStatus.NEW,
                            LeadStatus.CONTACTED,
                            LeadStatus.QUALIFIED,
                            LeadStatus.UNQUALIFIED,
                        )
                    ),  # fmt: skip
                    owner=self.actor,
                )
            )
        for client in [c for c in clients if c.status == RelationshipStatus.ACTIVE][:5]:
            rows.append(
                Lead(
                    name=str(client.primary_contact),
                    company_name=client.name,
                    source=LeadSource.REFERRAL,
                    status=LeadStatus.CONVERTED,
                    owner=self.actor,
                    converted_client=client,
                    converted_at=client.created_at,
                )
            )
        return rows


def ascii_slug(text: str, separator: str) -> str:
    """'Rahim.Uddin' -> 'rahim.uddin': lower-case ASCII letters joined by `separator`."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return separator.join(words)
