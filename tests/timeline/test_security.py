"""Bad input on the timeline's pages is refused, never a server error."""

import pytest

from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field", ["participant_contacts", "participant_users"])
def test_the_quick_log_refuses_an_id_too_big_for_the_database(admin_client_, field):
    contact = ContactFactory()
    body = {"kind": "call", "subject": "Call", "occurred_at": "2025-01-01T10:00", field: "9" * 20}
    response = admin_client_.post(f"/admin/crm/timeline/clients/{contact.client_id}/log/", body)
    assert response.status_code == 422
    assert not contact.client.communications.exists()
