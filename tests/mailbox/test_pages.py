"""The mailbox pages: status panel, "Read now" and re-scan, unmatched and failed messages,
assigning and ignoring, and the stale-reader warning on every page."""

import socket
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forgecrm.emails.models import Direction, Email, EmailStatus
from forgecrm.mailbox.models import (
    FolderRole,
    MailboxFolder,
    MailboxMessage,
    MailboxRun,
    MessageKind,
    MessageStatus,
    RunTrigger,
)
from forgecrm.mailbox.services import NO_DATA
from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db

STATUS = "/admin/crm/mailbox/"
UNMATCHED = "/admin/crm/mailbox/unmatched/"
FAILED = "/admin/crm/mailbox/failed/"
NOON = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # 12:00 in Dhaka


def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def refusing_imap(settings):
    """IMAP configured, on a port that refuses connections."""
    settings.IMAP_URL = f"imap://hello%40pixelforgebd.com:s3cret@127.0.0.1:{closed_port()}"
    return settings.IMAP_URL


@pytest.fixture
def inbox():
    return MailboxFolder.objects.create(name="INBOX", role=FolderRole.INBOX, uidvalidity=7)


def unmatched_message(folder, uid: int, **values) -> MailboxMessage:
    defaults = {
        "kind": MessageKind.UNMATCHED,
        "status": MessageStatus.UNMATCHED,
        "from_address": f"sender{uid}@unknown.example",
        "subject": f"Question {uid}",
        "message_id": f"<q{uid}@unknown.example>",
        "body_text": "Hello, do you build shops?",
    }
    return MailboxMessage.objects.create(
        folder=folder, uidvalidity=7, uid=uid, **{**defaults, **values}
    )


def finished_run(at: datetime, *, ok: bool, error: str = "", read: int = 0) -> MailboxRun:
    return MailboxRun.objects.create(
        trigger=RunTrigger.SCHEDULE,
        started_at=at,
        finished_at=at + timedelta(seconds=5),
        heartbeat_at=at,
        ok=ok,
        error=error,
        messages_read=read,
    )


# ---- Who may see what -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["crm_admin", "manager"])
def test_admins_and_managers_open_the_panel_and_see_it_in_the_menu(role, request, client):
    client.force_login(request.getfixturevalue(role))
    response = client.get(STATUS)
    assert response.status_code == 200
    assert any(item["label"] == "Mailbox" for item in response.context["nav_items"])


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_neither_open_it_nor_see_it(role, request, client):
    client.force_login(request.getfixturevalue(role))
    for url in (STATUS, UNMATCHED, FAILED):
        assert client.get(url).status_code == 403
    assert client.post("/admin/crm/mailbox/read").status_code == 403
    page = client.get("/admin/crm/clients/")
    assert all(item["label"] != "Mailbox" for item in page.context["nav_items"])


def test_actions_are_post_only(admin_client_, inbox):
    message = unmatched_message(inbox, 1)
    assert admin_client_.get("/admin/crm/mailbox/read").status_code == 405
    assert admin_client_.get("/admin/crm/mailbox/ignore").status_code == 405
    assert admin_client_.get(f"/admin/crm/mailbox/messages/{message.pk}/assign").status_code == 405


# ---- The status panel -----------------------------------------------------------------------


def test_without_imap_the_panel_says_how_to_configure_it(admin_client_, settings):
    settings.IMAP_URL = ""
    page = admin_client_.get(STATUS).content.decode()
    assert "The mailbox is not read" in page
    assert "IMAP_URL=imaps://" in page
    assert 'id="read-now"' not in page
    response = admin_client_.post("/admin/crm/mailbox/read", follow=True)
    assert "The mailbox is not configured: set IMAP_URL first." in response.content.decode()
    assert not MailboxRun.objects.exists()


def test_the_panel_shows_folders_last_success_and_failed_runs(admin_client_, refusing_imap, inbox):
    MailboxFolder.objects.create(name="Sent", role=FolderRole.SENT, last_read_at=NOON)
    unmatched_message(inbox, 1)
    unmatched_message(inbox, 2, status=MessageStatus.FAILED, kind=MessageKind.FAILED)
    finished_run(NOON, ok=True, read=2)
    finished_run(NOON + timedelta(minutes=5), ok=False, error="LOGIN failed: wrong password")

    response = admin_client_.get(STATUS)
    page = response.content.decode()
    assert "hello@pixelforgebd.com at 127.0.0.1" in page
    assert "s3cret" not in page
    assert "24 Nov 2026, 12:00" in page  # last success, in the user's zone
    folders = {f.name: f.read_count for f in response.context["status"].folders}
    assert folders == {"INBOX": 2, "Sent": 0}
    assert "1 unmatched" in page and "1 failed" in page
    assert "LOGIN failed: wrong password" in page
    assert 'hx-trigger="every 2s"' not in page  # nothing going: no polling


def test_read_now_runs_the_reader_and_shows_its_error(admin_client_, refusing_imap):
    # Huey runs the task at once in the tests; the mailbox refuses the connection.
    response = admin_client_.post("/admin/crm/mailbox/read", headers={"HX-Request": "true"})
    assert response.status_code == 200
    run = MailboxRun.objects.get()
    assert (run.trigger, run.ok) == (RunTrigger.MANUAL, False)
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section class="card shadow-sm mb-3"')
    assert 'id="runs"' in fragment and "<html" not in fragment
    assert "Failed" in fragment and run.error.splitlines()[0][:30] in fragment
    assert "A read of the mailbox was asked for" in fragment


def test_full_rescan_is_recorded_as_such_and_refused_while_a_read_goes(
    admin_client_, refusing_imap
):
    admin_client_.post("/admin/crm/mailbox/rescan")
    assert MailboxRun.objects.get().trigger == RunTrigger.RESCAN
    MailboxRun.objects.create(trigger=RunTrigger.SCHEDULE, lock="running")
    response = admin_client_.post("/admin/crm/mailbox/rescan", follow=True)
    assert "A read of the mailbox is going now" in response.content.decode()
    assert MailboxRun.objects.count() == 2


def test_the_runs_table_polls_until_the_read_is_finished(admin_client_, refusing_imap):
    with time_machine.travel(NOON, tick=False):
        asked = NOON.isoformat()
        waiting = admin_client_.get("/admin/crm/mailbox/runs", {"asked": asked}).content.decode()
        assert 'hx-trigger="every 2s"' in waiting and "Waiting for the worker" in waiting

        run = MailboxRun.objects.create(
            trigger=RunTrigger.MANUAL, lock="running", started_at=NOON, heartbeat_at=NOON
        )
        going = admin_client_.get("/admin/crm/mailbox/runs", {"asked": asked}).content.decode()
        assert 'hx-trigger="every 2s"' in going and "Reading…" in going

        MailboxRun.objects.filter(pk=run.pk).update(
            lock=None, ok=True, finished_at=NOON + timedelta(seconds=3), messages_read=4
        )
        done = admin_client_.get("/admin/crm/mailbox/runs", {"asked": asked}).content.decode()
        assert "hx-trigger" not in done and "Done" in done


def test_read_now_against_a_real_mailbox_files_the_mail_and_clears_the_warning(
    admin_client_, imap, settings
):
    settings.MAILBOX_STALE_MINUTES = 30
    finished_run(NOON, ok=False, error="LOGIN failed")
    imap.append("unknown_sender.eml")
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        before = admin_client_.get(STATUS).content.decode()
        assert 'id="mailbox-stale"' in before
        admin_client_.post("/admin/crm/mailbox/read")
        page = admin_client_.get(STATUS)
    run = MailboxRun.objects.filter(trigger=RunTrigger.MANUAL).get()
    assert (run.ok, run.messages_read) == (True, 1), run.error
    assert 'id="mailbox-stale"' not in page.content.decode()
    assert page.context["status"].unmatched == 1
    folders = {f.name: f.read_count for f in page.context["status"].folders}
    assert folders["INBOX"] == 1
    listed = admin_client_.get(UNMATCHED).context["page"]
    assert [m.subject for m in listed] == ["Do you build e-commerce sites?"]


def test_the_panel_takes_as_many_queries_for_many_runs_and_folders(admin_client_, refusing_imap):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client_.get(STATUS).status_code == 200
        return len(captured)

    MailboxFolder.objects.create(name="INBOX")
    finished_run(NOON, ok=True)
    few = queries()
    for n in range(20):
        MailboxFolder.objects.create(name=f"Folder {n}")
        finished_run(NOON + timedelta(minutes=n + 1), ok=n % 2 == 0, error="x")
    assert queries() == few


def test_a_read_the_worker_never_starts_is_reported(admin_client_, refusing_imap):
    with time_machine.travel(NOON + timedelta(minutes=3), tick=False):
        page = admin_client_.get("/admin/crm/mailbox/runs", {"asked": NOON.isoformat()})
    assert "The worker has not started the read you asked for" in page.content.decode()
    assert "hx-trigger" not in page.content.decode()


# ---- Unmatched and failed messages ----------------------------------------------------------


def test_unmatched_list_filters_by_search_folder_and_shows_ignored(admin_client_, inbox):
    archive = MailboxFolder.objects.create(name="Archive")
    unmatched_message(inbox, 1, subject="Shop website", from_name="Rafiq")
    unmatched_message(archive, 2, subject="Logo design")
    unmatched_message(inbox, 3, subject="Old news", status=MessageStatus.IGNORED)

    def subjects(**params) -> list[str]:
        response = admin_client_.get(UNMATCHED, params)
        return [m.subject for m in response.context["page"]]

    assert subjects() == ["Logo design", "Shop website"]  # newest first
    assert subjects(q="rafiq") == ["Shop website"]
    assert subjects(folder=archive.pk) == ["Logo design"]
    assert subjects(ignored="on") == ["Old news"]
    nothing = admin_client_.get(UNMATCHED, {"q": "zzz"}).content.decode()
    assert "No messages match these filters." in nothing


def test_unmatched_list_pages_with_a_fixed_number_of_queries(admin_client_, inbox):
    def queries_for(url: str, **params) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client_.get(url, params).status_code == 200
        return len(captured)

    for uid in range(3):
        unmatched_message(inbox, uid)
    few = queries_for(UNMATCHED)
    for uid in range(3, 60):
        unmatched_message(inbox, uid)
    assert queries_for(UNMATCHED) == few
    assert queries_for(UNMATCHED, page=3) == few
    assert len(admin_client_.get(UNMATCHED, {"page": 3}).context["page"]) == 10


def test_failed_list_shows_uid_folder_and_error(admin_client_, inbox):
    unmatched_message(
        inbox,
        4242,
        kind=MessageKind.FAILED,
        status=MessageStatus.FAILED,
        error="UnicodeDecodeError: 'x-unknown' charset",
    )
    unmatched_message(inbox, 1)
    response = admin_client_.get(FAILED)
    page = response.content.decode()
    assert [m.uid for m in response.context["page"]] == [4242]
    assert "4242" in page and "INBOX" in page and "x-unknown" in page


def test_bulk_ignore_ignores_only_unmatched_messages(admin_client_, inbox):
    first, second = unmatched_message(inbox, 1), unmatched_message(inbox, 2)
    filed = unmatched_message(inbox, 3, status=MessageStatus.ASSIGNED)
    response = admin_client_.post(
        "/admin/crm/mailbox/ignore", {"ids": [first.pk, second.pk, filed.pk]}, follow=True
    )
    assert "2 messages ignored." in response.content.decode()
    statuses = dict(MailboxMessage.objects.values_list("uid", "status"))
    assert statuses == {1: "ignored", 2: "ignored", 3: "assigned"}


def test_a_message_is_read_escaped_and_assigned_to_a_client(admin_client_, inbox, crm_admin):
    message = unmatched_message(inbox, 1, body_text="<script>alert(1)</script> Need a shop")
    page = admin_client_.get(f"/admin/crm/mailbox/messages/{message.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Need a shop" in page
    assert "<script>alert(1)" not in page

    client = ClientFactory(name="New Prospect Ltd")
    tanvir = ContactFactory(client=client, first_name="Tanvir")
    options = admin_client_.get("/admin/crm/mailbox/contacts", {"client": client.pk})
    assert f'value="{tanvir.pk}"' in options.content.decode()

    response = admin_client_.post(
        f"/admin/crm/mailbox/messages/{message.pk}/assign",
        {"client": client.pk, "contact": tanvir.pk},
    )
    email = Email.objects.get(message_id="<q1@unknown.example>")
    assert response["Location"] == f"/admin/crm/emails/{email.pk}/"
    assert (email.direction, email.status) == (Direction.INBOUND, EmailStatus.RECEIVED)
    assert (email.client, email.contact, email.created_by) == (client, tanvir, crm_admin)
    message.refresh_from_db()
    assert message.status == MessageStatus.ASSIGNED

    again = admin_client_.post(
        f"/admin/crm/mailbox/messages/{message.pk}/assign", {"client": client.pk}, follow=True
    )
    assert Email.objects.filter(message_id="<q1@unknown.example>").count() == 1
    assert "Assign to a client" not in again.content.decode()


def test_assigning_to_someone_of_another_client_is_refused(admin_client_, inbox):
    message = unmatched_message(inbox, 1)
    client, other = ClientFactory(), ContactFactory()
    response = admin_client_.post(
        f"/admin/crm/mailbox/messages/{message.pk}/assign",
        {"client": client.pk, "contact": other.pk},
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    missing = admin_client_.post(f"/admin/crm/mailbox/messages/{message.pk}/assign", {})
    assert "Pick the client this message is about." in missing.content.decode()
    assert MailboxMessage.objects.get().status == MessageStatus.UNMATCHED


# ---- The warning on every page --------------------------------------------------------------


def test_the_warning_appears_when_reading_stops_and_goes_when_it_works(
    admin_client_, member_client, refusing_imap, settings
):
    settings.MAILBOX_STALE_MINUTES = 30
    finished_run(NOON, ok=True)
    with time_machine.travel(NOON + timedelta(minutes=25), tick=False):
        finished_run(NOON + timedelta(minutes=20), ok=False, error="Connection refused")
        assert 'id="mailbox-stale"' not in admin_client_.get("/admin/crm/clients/").content.decode()
    with time_machine.travel(NOON + timedelta(minutes=31), tick=False):
        page = admin_client_.get("/admin/crm/clients/").content.decode()
        assert 'id="mailbox-stale"' in page
        assert "The mailbox has not been read since 24 Nov 2026, 12:00" in page
        assert "Connection refused" in page
        assert 'href="/admin/crm/mailbox/"' in page
        # Only for those who may open the panel.
        assert 'id="mailbox-stale"' not in member_client.get("/admin/crm/clients/").content.decode()
        finished_run(NOON + timedelta(minutes=30), ok=True)
        assert 'id="mailbox-stale"' not in admin_client_.get("/admin/crm/clients/").content.decode()


def test_no_warning_without_imap_and_a_never_successful_reader_is_reported(
    admin_client_, refusing_imap, settings
):
    with time_machine.travel(NOON + timedelta(hours=2), tick=False):
        finished_run(NOON, ok=False, error="LOGIN failed")
        page = admin_client_.get("/admin/crm/clients/").content.decode()
        assert "The mailbox has never been read" in page and "LOGIN failed" in page
        settings.IMAP_URL = ""
        assert 'id="mailbox-stale"' not in admin_client_.get("/admin/crm/clients/").content.decode()


def test_the_warning_costs_one_query(admin_client_, refusing_imap):
    finished_run(NOON, ok=True)
    with CaptureQueriesContext(connection) as captured:
        admin_client_.get("/admin/crm/clients/")
    reads = [q["sql"] for q in captured if "mailbox_mailboxrun" in q["sql"]]
    assert len(reads) == 1


def test_a_client_id_too_big_for_the_database_is_no_server_error(admin_client_, inbox):
    message = unmatched_message(inbox, 1)
    huge = "99999999999999999999"

    options = admin_client_.get("/admin/crm/mailbox/contacts", {"client": huge})
    assert options.status_code == 200
    assert "Nobody in particular" in options.content.decode()

    response = admin_client_.post(
        f"/admin/crm/mailbox/messages/{message.pk}/assign", {"client": huge}
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    ignored = admin_client_.post("/admin/crm/mailbox/ignore", {"ids": [huge]}, follow=True)
    assert "Nothing was ignored" in ignored.content.decode()
    assert MailboxMessage.objects.get().status == MessageStatus.UNMATCHED


def test_unreadable_messages_are_dismissed_and_leave_the_failed_list(admin_client_, inbox):
    gone = unmatched_message(
        inbox, 4242, kind=MessageKind.FAILED, status=MessageStatus.FAILED, error=NO_DATA
    )
    kept = unmatched_message(
        inbox, 4243, kind=MessageKind.FAILED, status=MessageStatus.FAILED, error="Bad MIME"
    )
    page = admin_client_.get(FAILED).content.decode()
    assert "Dismiss ticked" in page and f'name="ids" value="{gone.pk}"' in page

    response = admin_client_.post(
        "/admin/crm/mailbox/ignore", {"ids": [gone.pk], "tab": "failed"}, follow=True
    )
    assert response.redirect_chain[-1][0] == FAILED
    assert "1 message dismissed." in response.content.decode()
    assert [m.uid for m in response.context["page"]] == [kept.uid]
    gone.refresh_from_db()
    assert gone.status == MessageStatus.IGNORED


def test_dismissed_unreadable_messages_are_listed_on_the_failed_tab_not_with_ignored_mail(
    admin_client_, inbox
):
    dismissed = unmatched_message(
        inbox, 4242, kind=MessageKind.FAILED, status=MessageStatus.IGNORED, error=NO_DATA
    )
    ignored = unmatched_message(inbox, 7, status=MessageStatus.IGNORED)

    on_failed_tab = admin_client_.get(FAILED, {"ignored": "on"})
    assert [m.pk for m in on_failed_tab.context["page"]] == [dismissed.pk]
    assert "Show dismissed instead" in on_failed_tab.content.decode()
    with_ignored_mail = admin_client_.get(UNMATCHED, {"ignored": "on"})
    assert [m.pk for m in with_ignored_mail.context["page"]] == [ignored.pk]
    assert [m.pk for m in admin_client_.get(FAILED).context["page"]] == []


def test_no_dismissed_messages_says_so(admin_client_, inbox):
    page = admin_client_.get(FAILED, {"ignored": "on"}).content.decode()
    assert "No dismissed messages." in page


def test_a_dismissed_unreadable_message_cannot_be_filed(admin_client_, inbox):
    message = unmatched_message(
        inbox, 4242, kind=MessageKind.FAILED, status=MessageStatus.IGNORED, error=NO_DATA
    )
    client = ClientFactory(name="New Prospect Ltd")
    page = admin_client_.get(f"/admin/crm/mailbox/messages/{message.pk}/").content.decode()
    assert "/assign" not in page

    response = admin_client_.post(
        f"/admin/crm/mailbox/messages/{message.pk}/assign", {"client": client.pk}, follow=True
    )
    assert "A message that could not be read has nothing to file." in response.content.decode()
    message.refresh_from_db()
    assert message.status == MessageStatus.IGNORED and message.email_id is None
    assert not Email.objects.exists()
