"""Email templates over the API: CRUD, checks on save, preview, the ready-made ones."""

import pytest
from auditlog.models import LogEntry

from forgecrm.emails import defaults, services
from forgecrm.emails.models import EmailTemplate
from tests.emails.factories import EmailTemplateFactory, ProjectFactory, contact_with_address

pytestmark = pytest.mark.django_db

BODY = '<p>Dear {{contact_first_name}},</p><p>About <a href="{{client_website}}">you</a>.</p>'
STORED = BODY.replace('">you', '" rel="noopener noreferrer">you')


def test_a_template_is_created_read_listed_changed_and_deleted(api, manager_api):
    created = api.post(
        "/email-templates",
        {
            "name": "Hello",
            "subject": "Hi {{contact_first_name}}",
            "body_html": BODY,
            "template_type": "outreach",
            "category": "general",
        },
    )
    assert created.status_code == 201, created.json()
    template = created.json()
    assert template["usage_count"] == 0 and template["last_used_at"] is None
    assert api.get(f"/email-templates/{template['id']}").json()["body_html"] == STORED

    listed = api.get("/email-templates", {"q": "hel"}).json()
    assert [t["name"] for t in listed["items"]] == ["Hello"]

    changed = api.put(
        f"/email-templates/{template['id']}",
        {**template, "subject": "Hello again, {{contact_name}}", "category": "follow-ups"},
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["subject"] == "Hello again, {{contact_name}}"
    assert LogEntry.objects.get_for_object(EmailTemplate(pk=template["id"])).count() == 2

    assert api.delete(f"/email-templates/{template['id']}").status_code == 403  # members may not
    assert manager_api.delete(f"/email-templates/{template['id']}").status_code == 204
    assert not EmailTemplate.objects.exists()


def test_saving_refuses_unknown_variables_by_name(api):
    response = api.post(
        "/email-templates",
        {"name": "Bad", "subject": "Hi {{first_name}}", "body_html": "<p>{{invoice_total}}</p>"},
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "Unknown variable {{first_name}}" in errors["subject"][0]
    assert "Unknown variable {{invoice_total}}" in errors["body_html"][0]
    assert not EmailTemplate.objects.exists()


@pytest.mark.parametrize(
    "body",
    ["<p>{{ client_name </p>", "{% if client_name %}no end", "{{ ''.__class__.__mro__ }}"],
)
def test_broken_or_hostile_templates_are_a_422_never_a_500(api, body):
    response = api.post("/email-templates", {"name": "Bad", "subject": "Hi", "body_html": body})
    assert response.status_code == 422
    assert response.json()["errors"]["body_html"][0]


def test_unsafe_html_is_removed_when_a_template_is_saved(api):
    body = '<p onmouseover="x()">Hi {{contact_name}}</p><script>alert(1)</script>'
    response = api.post("/email-templates", {"name": "S", "subject": "Hi", "body_html": body})
    assert response.json()["body_html"] == "<p>Hi {{contact_name}}</p>"


def test_a_viewer_cannot_create_or_change_templates(viewer_api):
    template = EmailTemplateFactory()
    body = {"name": "X", "subject": "Hi", "body_html": "<p>x</p>"}
    assert viewer_api.post("/email-templates", body).status_code == 403
    assert viewer_api.put(f"/email-templates/{template.pk}", body).status_code == 403
    assert viewer_api.get(f"/email-templates/{template.pk}").status_code == 200


def test_preview_shows_the_email_as_the_contact_will_get_it(api, member):
    member.first_name, member.last_name = "Nusrat", "Jahan"
    member.save()
    contact = contact_with_address(first_name="Rahim", last_name="Uddin", client__name="Acme Ltd")
    ProjectFactory(client=contact.client, name="Online shop")
    template = EmailTemplateFactory(
        subject="{{project_name}} for {{client_name}}",
        body_html="<p>Dear {{contact_first_name}},</p><p>{{sender_name}}, {{sender_company}}</p>",
    )
    response = api.get(f"/email-templates/{template.pk}/preview", {"contact": contact.pk})
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "subject": "Online shop for Acme Ltd",
        "body_html": "<p>Dear Rahim,</p><p>Nusrat Jahan, Pixel Forge</p>",
        "body_text": "Dear Rahim,\n\nNusrat Jahan, Pixel Forge\n",
    }


def test_preview_names_the_variable_a_contact_has_no_value_for(api):
    contact = contact_with_address(first_name="Rahim", last_name="Uddin", client__name="Acme Ltd")
    template = EmailTemplateFactory(body_html="<p>About {{project_name}}</p>")
    response = api.get(f"/email-templates/{template.pk}/preview", {"contact": contact.pk})
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "body_html": ["{{project_name}} has no value for Rahim Uddin (Acme Ltd)."]
    }


def test_the_variables_are_listed_for_the_composer(api):
    variables = api.get("/email-templates/variables").json()
    assert {
        "name": "client_name",
        "tag": "{{client_name}}",
        "description": "The client company's name",
    } in variables


def test_the_ready_made_templates_are_created_once_and_all_work(member):
    assert services.ensure_default_templates() == len(defaults.default_templates())
    assert services.ensure_default_templates() == 0
    names = set(EmailTemplate.objects.values_list("name", flat=True))
    assert names == {t["name"] for t in defaults.default_templates()}
    categories = set(EmailTemplate.objects.values_list("category", flat=True))
    assert {"proposals", "invoices", "follow-ups", "greetings", "onboarding"} <= categories
    contact = contact_with_address(first_name="Rahim", client__name="Acme Ltd")
    ProjectFactory(client=contact.client, name="Online shop")
    for template in EmailTemplate.objects.all():
        rendered = services.preview(template=template, contact=contact, actor=member)
        assert "{{" not in rendered.subject + rendered.body_html
