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
