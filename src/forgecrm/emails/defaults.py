"""Ready-made templates every installation starts with (see services.ensure_default_templates)."""

from forgecrm.emails.models import EmailType, TemplateCategory

SIGNATURE = "<p>Best regards,<br>{{sender_name}}<br>{{sender_company}}</p>"
# For mail a person did not ask for (follow-ups, greetings); not for proposals or invoices.
UNSUBSCRIBE_FOOTER = (
    '<p><small>Rather not hear from us? <a href="{{unsubscribe_url}}">Unsubscribe</a>.</small></p>'
)


# The greetings the calendar prepares for each occasion (see events.greetings), by name.
NEW_YEAR = "Greeting: New Year"
POHELA_BOISHAKH = "Greeting: Pohela Boishakh"
EID_UL_FITR = "Greeting: Eid ul-Fitr"
EID_UL_ADHA = "Greeting: Eid ul-Adha"
THANKSGIVING = "Greeting: Thanksgiving"
CHRISTMAS = "Greeting: Christmas"
BIRTHDAY = "Greeting: Birthday"
ANNIVERSARY = "Greeting: Anniversary"
BUSINESS_ANNIVERSARY = "Greeting: Business anniversary"


def _greeting(name: str, subject: str, *paragraphs: str) -> dict[str, str]:
    return {
        "name": name,
        "subject": subject,
        "body_html": "".join(f"<p>{p}</p>" for p in paragraphs) + SIGNATURE + UNSUBSCRIBE_FOOTER,
        "template_type": EmailType.GREETING,
        "category": TemplateCategory.GREETINGS,
    }


def greeting_templates() -> list[dict[str, str]]:
    """The calendar's greeting for each occasion (created by events.greetings when missing)."""
    return [
        _greeting(
            NEW_YEAR,
            "Happy New Year, {{contact_first_name}}!",
            "Dear {{contact_first_name}},",
            "Happy New Year from all of us at {{sender_company}}! Thank you for the trust "
            "you and {{client_name}} placed in us; we wish you a healthy, joyful and "
            "successful {{year}}.",
        ),
        _greeting(
            POHELA_BOISHAKH,
            "Shubho Noboborsho — শুভ নববর্ষ, {{contact_first_name}}!",
            "Dear {{contact_first_name}},",
            "Shubho Noboborsho! শুভ নববর্ষ! On Pohela Boishakh, everyone at "
            "{{sender_company}} wishes you and your family a bright new Bengali year, full "
            "of happiness, good health and prosperity.",
            "Thank you for being with us; we look forward to the year ahead together.",
        ),
        _greeting(
            EID_UL_FITR,
            "Eid Mubarak, {{contact_first_name}}!",
            "Dear {{contact_first_name}},",
            "Eid Mubarak! ঈদ মোবারক! As Ramadan ends, all of us at {{sender_company}} wish "
            "you and your loved ones a joyful Eid ul-Fitr, filled with peace, blessings and "
            "time together.",
        ),
        _greeting(
            EID_UL_ADHA,
            "Eid Mubarak, {{contact_first_name}}!",
            "Dear {{contact_first_name}},",
            "Eid Mubarak! ঈদ মোবারক! On Eid ul-Adha, everyone at {{sender_company}} sends "
            "warm wishes to you and your family for a blessed celebration of faith, "
            "sharing and togetherness.",
        ),
        _greeting(
            THANKSGIVING,
            "Happy Thanksgiving, {{contact_first_name}}",
            "Dear {{contact_first_name}},",
            "Happy Thanksgiving! This season we are especially grateful for partners like "
            "you and the team at {{client_name}}. Wishing you a relaxing holiday with the "
            "people who matter most.",
        ),
        _greeting(
            CHRISTMAS,
            "Merry Christmas, {{contact_first_name}}!",
            "Dear {{contact_first_name}},",
            "Merry Christmas! Everyone at {{sender_company}} wishes you and your family a "
            "peaceful and happy holiday season. Thank you for a wonderful year of working "
            "together.",
        ),
        _greeting(
            BIRTHDAY,
            "Happy birthday, {{contact_first_name}}!",
            "Dear {{contact_first_name}},",
            "Happy birthday! শুভ জন্মদিন! All of us at {{sender_company}} wish you a "
            "wonderful day and a year ahead full of good health, happiness and success.",
        ),
        _greeting(
            ANNIVERSARY,
            "Happy anniversary, {{contact_first_name}}!",
            "Dear {{contact_first_name}},",
            "Happy anniversary! Everyone at {{sender_company}} sends you warm wishes on "
            "your special day, with many happy years to come.",
        ),
        _greeting(
            BUSINESS_ANNIVERSARY,
            "Happy anniversary, {{client_name}}!",
            "Dear {{contact_first_name}},",
            "Today marks another year of {{client_name}} and {{sender_company}} working "
            "together. Thank you for your trust and partnership; we are proud of what we "
            "have built with you and look forward to the years ahead.",
        ),
    ]


def default_templates() -> list[dict[str, str]]:
    """Name, subject, body, type and category of each ready-made template."""
    return greeting_templates() + [
        {
            "name": "Project proposal",
            "subject": "Proposal for {{project_name}} — {{sender_company}}",
            "body_html": (
                "<p>Dear {{contact_first_name}},</p>"
                "<p>Thank you for the time you gave us to understand what {{client_name}} "
                "needs. Please find attached our proposal for <strong>{{project_name}}</strong>: "
                "the scope, the timeline, the team and the cost.</p>"
                "<p>We would be glad to walk you through it on a short call this week. "
                "Just reply with a time that suits you.</p>" + SIGNATURE
            ),
            "template_type": EmailType.PROPOSAL,
            "category": TemplateCategory.PROPOSALS,
        },
        {
            "name": "Invoice",
            "subject": "Invoice for {{project_name}}",
            "body_html": (
                "<p>Dear {{contact_first_name}},</p>"
                "<p>Please find attached our invoice for <strong>{{project_name}}</strong>, "
                "dated {{date}}. The payment details are on the invoice.</p>"
                "<p>If anything on it needs a second look, reply to this email and we will "
                "sort it out.</p>" + SIGNATURE
            ),
            "template_type": EmailType.INVOICE,
            "category": TemplateCategory.INVOICES,
        },
        {
            "name": "Friendly follow-up",
            "subject": "Following up, {{contact_first_name}}",
            "body_html": (
                "<p>Hi {{contact_first_name}},</p>"
                "<p>I wanted to follow up on my last email to see whether you had a chance "
                "to look at it. Is there anything I can clarify, or anyone else at "
                "{{client_name}} I should talk to?</p>" + SIGNATURE + UNSUBSCRIBE_FOOTER
            ),
            "template_type": EmailType.FOLLOW_UP,
            "category": TemplateCategory.FOLLOW_UPS,
        },
        {
            "name": "Season's greetings",
            "subject": "Warm wishes from {{sender_company}}",
            "body_html": (
                "<p>Dear {{contact_name}},</p>"
                "<p>On behalf of everyone at {{sender_company}}, warm wishes to you and the "
                "whole team at {{client_name}}. Thank you for your trust this year; we look "
                "forward to building great things together in the year ahead.</p>"
                + SIGNATURE
                + UNSUBSCRIBE_FOOTER
            ),
            "template_type": EmailType.GREETING,
            "category": TemplateCategory.GREETINGS,
        },
        {
            "name": "Welcome aboard",
            "subject": "Welcome to {{sender_company}}, {{client_name}}!",
            "body_html": (
                "<p>Dear {{contact_first_name}},</p>"
                "<p>Welcome aboard! We are delighted to start working with {{client_name}}. "
                "Over the next days we will:</p>"
                "<ul><li>introduce you to your project team,</li>"
                "<li>set up a shared channel for quick questions,</li>"
                "<li>agree on the first milestones and a weekly check-in.</li></ul>"
                "<p>If you have any questions in the meantime, simply reply to this email."
                "</p>" + SIGNATURE
            ),
            "template_type": EmailType.OTHER,
            "category": TemplateCategory.ONBOARDING,
        },
        *sequence_templates(),
    ]


# Used by the ready-made follow-up sequences (followups.defaults).
ONBOARDING_GETTING_STARTED = "Onboarding: getting started"
ONBOARDING_TWO_WEEKS = "Onboarding: two weeks in"
PROJECT_THANK_YOU = "Project completed: thank you"
PROJECT_CHECK_IN = "Project completed: checking in"
UPSELL_IDEAS = "Upselling: what could come next"


def _sequence_mail(name: str, subject: str, template_type: str, category: str, *paragraphs: str):
    return {
        "name": name,
        "subject": subject,
        "body_html": "<p>Dear {{contact_first_name}},</p>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + SIGNATURE
        + UNSUBSCRIBE_FOOTER,
        "template_type": template_type,
        "category": category,
    }


def sequence_templates() -> list[dict[str, str]]:
    return [
        _sequence_mail(
            ONBOARDING_GETTING_STARTED,
            "Getting started with {{sender_company}}",
            EmailType.OTHER,
            TemplateCategory.ONBOARDING,
            "A few days in, here is how to reach us: reply to this email for anything at all, "
            "and your project team will answer within one working day.",
            "If there is anyone else at {{client_name}} we should keep in the loop, just let "
            "us know.",
        ),
        _sequence_mail(
            ONBOARDING_TWO_WEEKS,
            "Two weeks in — how are we doing, {{contact_first_name}}?",
            EmailType.FOLLOW_UP,
            TemplateCategory.ONBOARDING,
            "We have been working with {{client_name}} for two weeks now. Is everything going "
            "the way you expected? Anything we should do differently?",
            "A two-line reply is plenty; we read every one.",
        ),
        _sequence_mail(
            PROJECT_THANK_YOU,
            "Thank you, {{contact_first_name}} — the project is complete",
            EmailType.FOLLOW_UP,
            TemplateCategory.FOLLOW_UPS,
            "Thank you for working with us. It was a pleasure building this with the team at "
            "{{client_name}}.",
            "Over the next weeks we stay on hand for any questions or fixes: simply reply to "
            "this email.",
        ),
        _sequence_mail(
            PROJECT_CHECK_IN,
            "Checking in after the launch",
            EmailType.FOLLOW_UP,
            TemplateCategory.FOLLOW_UPS,
            "It has been a month since we wrapped up. How is everything running at "
            "{{client_name}}?",
            "If you were happy with our work, a short testimonial or a referral would mean a "
            "lot to us.",
        ),
        _sequence_mail(
            UPSELL_IDEAS,
            "A few ideas for {{client_name}}",
            EmailType.MARKETING,
            TemplateCategory.MARKETING,
            "Working with {{client_name}}, we noticed a few things that could help you grow: "
            "a maintenance plan, SEO and performance work, and mobile apps for your customers.",
            "Would a 20-minute call next week to talk them through be useful?",
        ),
    ]
