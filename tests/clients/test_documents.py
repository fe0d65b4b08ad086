"""Documents kept on a client's record: upload, list, inert download, remove, size limit."""

import os

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from forgecrm.clients.models import ClientDocument
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(client_http, client, name="contract.html", content=b"<script>alert(1)</script>"):
    return client_http.post(
        reverse("clients:document-add", args=[client.pk]),
        {"file": SimpleUploadedFile(name, content, content_type="text/html")},
    )


def test_an_uploaded_document_is_listed_and_downloads_inertly(member_client, member):
    client = ClientFactory(name="Shapla Garments")

    response = upload(member_client, client)

    assert response.status_code == 302
    document = ClientDocument.objects.get(client=client)
    assert document.uploaded_by == member
    assert not document.file.name.endswith(".html")  # stored under a random name
    page = member_client.get(client.get_absolute_url()).content.decode()
    assert "contract.html" in page
    download = member_client.get(
        reverse("clients:document-download", args=[client.pk, document.pk])
    )
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == b"<script>alert(1)</script>"
    assert LogEntry.objects.get_for_object(document).get().actor == member
    assert "Added" in page and "Client document contract.html" in page


def test_a_document_over_the_limit_is_refused_with_a_message(member_client, settings):
    settings.CLIENT_DOCUMENT_MAX_BYTES = 10
    client = ClientFactory()

    response = upload(member_client, client, content=b"x" * 11)

    assert not ClientDocument.objects.exists()
    page = member_client.get(response["Location"]).content.decode()
    assert "documents can be up to 10" in page


def test_removing_a_document_deletes_its_file(member_client, manager, client):
    company = ClientFactory()
    upload(member_client, company)
    document = ClientDocument.objects.get()
    path = document.file.path
    client.force_login(manager)

    client.post(reverse("clients:document-delete", args=[company.pk, document.pk]))

    assert not ClientDocument.objects.exists()
    assert not os.path.exists(path)


def test_a_member_cannot_remove_a_document_for_good(member_client):
    """Members do not delete (roles), and a document has no trash to come back from."""
    company = ClientFactory()
    upload(member_client, company)
    document = ClientDocument.objects.get()

    page = member_client.get(reverse("clients:detail", args=[company.pk])).content.decode()
    assert reverse("clients:document-delete", args=[company.pk, document.pk]) not in page
    response = member_client.post(
        reverse("clients:document-delete", args=[company.pk, document.pk])
    )

    assert response.status_code == 403
    assert os.path.exists(ClientDocument.objects.get().file.path)


def test_a_document_is_only_reachable_through_its_own_client(member_client):
    owner, other = ClientFactory(), ClientFactory()
    upload(member_client, owner)
    document = ClientDocument.objects.get()

    response = member_client.get(reverse("clients:document-download", args=[other.pk, document.pk]))

    assert response.status_code == 404


def test_a_viewer_can_download_but_not_upload(viewer_client, member_client):
    client = ClientFactory()
    upload(member_client, client)
    document = ClientDocument.objects.get()

    assert upload(viewer_client, client).status_code == 403
    download = viewer_client.get(
        reverse("clients:document-download", args=[client.pk, document.pk])
    )
    assert download.status_code == 200
    page = viewer_client.get(client.get_absolute_url()).content.decode()
    assert 'enctype="multipart/form-data"' not in page
