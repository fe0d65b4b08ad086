"""Scheduling a follow-up from a client's page."""

import pytest
from django.urls import reverse

from forgecrm.followups.models import FollowUpSource, FollowUpTask
from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_a_member_schedules_a_follow_up_from_the_client_page(member_client, member):
    client = ClientFactory(name="Shapla Garments")
    contact = ContactFactory(client=client, first_name="Rahim")
    ContactFactory(first_name="Stranger")  # works for another client
    url = reverse("followups:create", args=[client.pk])

    assert url in member_client.get(client.get_absolute_url()).content.decode()
    form_page = member_client.get(url).content.decode()
    response = member_client.post(
        url,
        {
            "client": client.pk,
            "contact": contact.pk,
            "title": "Call about the proposal",
            "task_type": "call",
            "priority": "high",
            "due_at": "2026-12-01T10:00",
            "assignee": member.pk,
        },
    )

    assert "Rahim" in form_page and "Stranger" not in form_page
    assert response.status_code == 302
    task = FollowUpTask.objects.get()
    assert (task.client, task.contact, task.source) == (client, contact, FollowUpSource.MANUAL)
    assert "Call about the proposal" in member_client.get(response["Location"]).content.decode()


def test_a_follow_up_without_a_title_is_refused_next_to_the_field(member_client):
    client = ClientFactory()
    url = reverse("followups:create", args=[client.pk])

    response = member_client.post(url, {"client": client.pk, "task_type": "call"})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not FollowUpTask.objects.exists()


def test_a_viewer_cannot_schedule(viewer_client):
    client = ClientFactory()
    response = viewer_client.post(reverse("followups:create", args=[client.pk]), {})
    assert response.status_code == 403
