"""Ready-made templates every installation starts with (see services.ensure_default_templates)."""

from forgecrm.emails.models import EmailType, TemplateCategory

SIGNATURE = "<p>Best regards,<br>{{sender_name}}<br>{{sender_company}}</p>"


def default_templates() -> list[dict[str, str]]:
    """Name, subject, body, type and category of each ready-made template."""
    return [
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
                "{{client_name}} I should talk to?</p>" + SIGNATURE
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
                "forward to building great things together in the year ahead.</p>" + SIGNATURE
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
    ]
