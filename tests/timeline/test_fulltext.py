"""The database's own full-text search: indexes kept in sync, Bengali, prefixes, plans."""

import pytest
from django.apps import apps
from django.db import connection
from django.db.models.signals import post_migrate

from forgecrm.clients.models import Client
from forgecrm.emails.models import Email
from forgecrm.timeline import fulltext
from forgecrm.timeline.models import Communication
from tests.factories import ClientFactory, ContactFactory
from tests.timeline.factories import CommunicationFactory

pytestmark = pytest.mark.django_db

on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 only")
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def found(text: str, model=Communication) -> set[int]:
    return set(fulltext.matching(model.objects.all(), text).values_list("pk", flat=True))


def test_terms_keep_words_with_a_letter_or_digit():
    assert fulltext.terms("  Rahman  — ধন্যবাদ  info@x.com \x00 ") == [
        "Rahman",
        "ধন্যবাদ",
        "info@x.com",
    ]
    assert fulltext.terms("- ... !!") == []


def test_every_word_must_match_and_the_last_may_be_a_prefix():
    call = CommunicationFactory(subject="Quote for the website", content="Rahman agreed")
    CommunicationFactory(subject="Hosting renewal", content="Rahim will pay")
    assert found("website rahman") == {call.pk}
    assert found("Rahm") == {call.pk}
    assert found("website Rahim") == set()
    assert found("web") == {call.pk}
    assert found("websites") == set()
    assert found("") == set()


def test_bengali_words_match_whole_and_not_as_fragments():
    thanks = CommunicationFactory(content="আপনাকে অনেক ধন্যবাদ, আগামী সপ্তাহে মিটিং")
    assert found("ধন্যবাদ") == {thanks.pk}
    assert found("মিটিং আগামী") == {thanks.pk}
    # "ধন" is how a tokenizer ignoring vowel signs would cut "ধন্যবাদ": no word of its own
    # (as the last word it is a prefix, and a prefix of "ধন্যবাদ" it is).
    assert found("ধন আগামী") == set()
    assert found("আগামী ধন") == {thanks.pk}


def test_outcome_and_next_steps_are_searched_too():
    entry = CommunicationFactory(outcome="Signed the contract", next_steps="Send the invoice")
    assert found("contract") == found("invoice") == {entry.pk}


def test_the_index_follows_inserts_updates_deletes_and_bulk_inserts():
    entry = CommunicationFactory(content="first draft")
    assert found("draft") == {entry.pk}
    entry.content = "final version"
    entry.save()
    assert found("draft") == set()
    assert found("final") == {entry.pk}
    client = ClientFactory()
    Communication.objects.bulk_create(
        Communication(client=client, kind="sms", occurred_at=entry.occurred_at, content="bulk word")
        for _ in range(3)
    )
    assert len(found("bulk")) == 3
    entry.delete()
    assert found("final") == set()


def test_emails_clients_and_contacts_are_indexed():
    client = ClientFactory(name="Padma Textiles Ltd")
    contact = ContactFactory(client=client, first_name="Farhana", last_name="Chowdhury")
    email = Email.objects.create(
        message_id="<t1@forgecrm.example>", subject="Invoice 42", body_text="Dear Farhana"
    )
    assert found("padma", Client) == {client.pk}
    assert found("farhana", type(contact)) == {contact.pk}
    assert found("farhana", Email) == {email.pk}
    # The search text changes through clients.services (a queryset update): still indexed.
    client.name = "Meghna Foods Ltd"
    client.save()
    from forgecrm.clients.services import refresh_search_text

    refresh_search_text(client)
    assert found("meghna", Client) == {client.pk}
    assert found("padma", Client) == set()


def test_top_matching_orders_and_windows():
    entries = [CommunicationFactory(content=f"common word {n}") for n in range(12)]
    CommunicationFactory(content="something else")
    newest = fulltext.top_matching(
        Communication.objects.all(), "common", order=("-pk",), window=slice(0, 5)
    )
    assert [e.pk for e in newest] == [e.pk for e in reversed(entries)][:5]
    second = fulltext.top_matching(
        Communication.objects.all(), "common", order=("-pk",), window=slice(5, 10)
    )
    assert [e.pk for e in second] == [e.pk for e in reversed(entries)][5:10]


def test_top_matching_reads_further_when_the_queryset_filters_out_many():
    """The newest matches are hidden from this queryset: older ones still fill the window."""
    visible = [CommunicationFactory(content="needle", is_private=False) for _ in range(3)]
    for _ in range(120):
        CommunicationFactory(kind="note", content="needle", is_private=True)
    rows = fulltext.top_matching(
        Communication.objects.filter(is_private=False), "needle", order=("-pk",), window=slice(0, 5)
    )
    assert [r.pk for r in rows] == [e.pk for e in reversed(visible)]


@on_sqlite
def test_sqlite_triggers_dropped_by_a_table_rebuild_are_restored_after_migrate():
    entry = CommunicationFactory(content="before rebuild")
    with connection.cursor() as cursor:
        for suffix in ("insert", "delete", "update"):
            cursor.execute(f'DROP TRIGGER "timeline_communication_fts_{suffix}"')
    missed = CommunicationFactory(content="written while the triggers were missing")
    assert found("missing") == set()

    post_migrate.send(
        sender=apps.get_app_config("timeline"),
        app_config=apps.get_app_config("timeline"),
        verbosity=0,
        interactive=False,
        using="default",
        apps=apps,
        plan=[],
    )

    assert found("missing") == {missed.pk}
    assert found("rebuild") == {entry.pk}
    later = CommunicationFactory(content="after repair")
    assert found("repair") == {later.pk}


@on_postgresql
def test_postgresql_uses_the_gin_index():
    CommunicationFactory.create_batch(3)
    # With scans that ignore the search ruled out, the plan shows whether the GIN index can
    # answer it at all; left free, the planner's choice on a tiny table depends on whatever
    # statistics earlier tests left behind.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    plan = fulltext.matching(Communication.objects.all(), "website").explain()
    assert "communication_fts_gin" in plan


@on_postgresql
def test_postgresql_picks_the_plan_from_its_statistics():
    """A common word walks the newest rows; a rare one reads the GIN index."""
    client = ClientFactory()
    Communication.objects.bulk_create(
        Communication(
            client=client,
            kind="call",
            occurred_at=client.created_at,
            content=f"project update {n}" + (" zanzibar" if n == 7 else ""),
        )
        for n in range(400)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE timeline_communication")
    fulltext._stats_cache.clear()
    lexemes = fulltext._common_lexemes(Communication.objects.all(), "communication_fts_gin")
    assert lexemes.get("project", 0) > 0.9
    assert fulltext._estimated_share(lexemes, ["project"]) >= fulltext.COMMON_SHARE
    assert fulltext._estimated_share(lexemes, ["zanzibar"]) < fulltext.COMMON_SHARE
    newest = fulltext.top_matching(
        Communication.objects.all(), "project", order=("-pk",), window=slice(0, 3)
    )
    assert len(newest) == 3
    rare = fulltext.top_matching(
        Communication.objects.all(), "zanzibar", order=("-pk",), window=slice(0, 3)
    )
    assert [r.content for r in rare] == ["project update 7 zanzibar"]
    # One client's entries: a common word reads them instead of the GIN index (same rows).
    scoped = fulltext.matching(
        Communication.objects.filter(client=client), "project", scope=client.pk
    )
    assert "communication_fts_gin" not in scoped.explain()
    assert scoped.count() == 400
    fulltext._stats_cache.clear()


def test_a_search_scoped_to_a_client_follows_its_entries():
    mine, other = ClientFactory(), ClientFactory()
    entry = CommunicationFactory(client=mine, content="invoice sent")
    CommunicationFactory(client=other, content="invoice sent")

    def scoped(client) -> set[int]:
        queryset = Communication.objects.filter(client=client)
        return set(
            fulltext.matching(queryset, "invoice", scope=client.pk).values_list("pk", flat=True)
        )

    assert scoped(mine) == {entry.pk}
    # The scope's own token is never matched by what people type.
    assert found(f"s{mine.pk}") == set()
    entry.client = other
    entry.save()
    assert scoped(mine) == set()
    assert len(scoped(other)) == 2
