"""Attachments are served the same safe way by the API as by the pages."""

import base64

import pytest

from tests.emails.factories import contact_with_address

pytestmark = pytest.mark.django_db


def test_the_api_serves_an_attachment_as_an_inert_download(api):
    rahim = contact_with_address(first_name="Rahim", address="rahim@acme.example")
    body = {
        "to": [rahim.pk],
        "subject": "Plan",
        "body_html": "<p>Plan</p>",
        "attachments": [
            {
                "filename": "plan.svg",
                "content_type": "image/svg+xml",
                "content_base64": base64.b64encode(b"<svg onload=alert(1)/>").decode(),
            }
        ],
    }
    email_id = api.post("/emails/send", body).json()["id"]
    [attachment] = api.get(f"/emails/{email_id}").json()["attachments"]

    download = api.get(f"/emails/{email_id}/attachments/{attachment['id']}")

    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    # The uploader chose the stored type: the browser must not render or sniff it.
    assert download["Content-Type"] == "application/octet-stream"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "sandbox"


@pytest.mark.parametrize("url", ["/admin/crm/emails/compose", "/admin/crm/emails/compose/preview"])
def test_the_composer_refuses_a_recipient_id_too_big_for_the_database(admin_client_, url):
    body = {"to": ["9" * 20], "subject": "Hello", "body_html": "<p>Hi</p>", "when": "now"}
    response = admin_client_.post(url, body)
    assert response.status_code in (200, 422)
    assert b"9" * 20 in response.content  # shown back as a recipient that is not valid


def test_the_composer_refuses_attachments_too_big_before_reading_them(settings):
    """Reading every upload into memory first let one request exhaust the server's memory."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils.datastructures import MultiValueDict

    from forgecrm.emails.forms import ComposeForm

    settings.EMAIL_ATTACHMENTS_MAX_BYTES = 1000
    files = [SimpleUploadedFile("a.bin", b"x" * 600), SimpleUploadedFile("b.bin", b"x" * 600)]
    form = ComposeForm({"subject": "Big"}, MultiValueDict({"attachments": files}))
    assert not form.is_valid()
    assert "Attachments may add up to 1000" in " ".join(form.errors["attachments"])
