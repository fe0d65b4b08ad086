"""The parser on real-world shapes and on garbage: it reads what it can and never crashes."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forgecrm.mailbox.models import FolderRole, MailboxFolder, MessageKind, MessageStatus
from forgecrm.mailbox.parsing import Unreadable, parse
from forgecrm.mailbox.services import handle_message
from tests.mailbox.conftest import FIXTURES

FIXTURE_BYTES = [path.read_bytes() for path in sorted(FIXTURES.glob("*.eml"))]


def test_encoded_words_and_bodies_in_bengali():
    parsed = parse((FIXTURES / "bengali_subject.eml").read_bytes())
    assert parsed.subject == "প্রস্তাবের জন্য ধন্যবাদ"
    assert parsed.from_name == "নুসরাত জাহান"
    assert "আসসালামু আলাইকুম" in parsed.body_text


def test_charsets_that_lie_or_do_not_exist_still_give_readable_text():
    parsed = parse((FIXTURES / "wrong_charset.eml").read_bytes())
    assert "Café menu price: £200" in parsed.body_text
    assert "Café menu ক price" in parsed.body_html


def test_missing_headers_and_malformed_mime_are_read_as_far_as_they_go():
    bare = parse((FIXTURES / "missing_headers.eml").read_bytes())
    assert (bare.message_id, bare.from_address, bare.sent_at) == ("", "", None)
    assert "without From, Date or Message-ID" in bare.body_text
    broken = parse((FIXTURES / "malformed_mime.eml").read_bytes())
    assert broken.sent_at is None  # "32 Foo 2026 99:99:99"
    assert "NoBoundaryInMultipartDefect" in broken.defects
    assert "this is not base64 at all" in broken.body_text


def test_a_gmail_reply_names_our_message_and_its_html_is_sanitized():
    parsed = parse((FIXTURES / "reply_gmail.eml").read_bytes())
    assert parsed.thread_ids == ["<proposal.20261118@pixelforgebd.com>"]
    assert not parsed.auto_reply and parsed.bounce is None
    assert "<script" not in parsed.body_html and "onerror" not in parsed.body_html


@pytest.mark.parametrize("fixture", ["out_of_office.eml", "vacation.eml"])
def test_auto_replies_are_recognised(fixture):
    assert parse((FIXTURES / fixture).read_bytes()).auto_reply


def test_a_read_receipt_names_the_message_it_answers():
    receipt = parse((FIXTURES / "mdn.eml").read_bytes()).receipt
    assert receipt is not None
    assert receipt.original_message_id == "<proposal.20261118@pixelforgebd.com>"
    assert receipt.disposition.endswith("displayed")


@pytest.mark.parametrize(
    ("fixture", "detail"),
    [
        ("dsn_postfix.eml", "550 5.1.1 <nobody@dhakatextiles.com.bd>: Recipient address rejected"),
        ("dsn_exim.eml", "550 No Such User Here"),
        ("dsn_gmail.eml", "550-5.1.1 The email account that you tried to reach does not exist"),
        ("dsn_exchange.eml", "550 5.1.10 RESOLVER.ADR.RecipientNotFound"),
        ("dsn_yahoo_permanent.eml", "554: delivery error: dd This user doesn't have"),
        ("dsn_yahoo_temporary.eml", "421 4.7.0 [TSS04] Messages from 198.54.127.1 temporarily"),
    ],
)
@pytest.mark.parametrize("line_end", [b"\n", b"\r\n"], ids=["LF", "CRLF as IMAP serves it"])
def test_bounces_carry_the_servers_answer_and_our_message_id(fixture, detail, line_end):
    raw = (FIXTURES / fixture).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", line_end)
    bounce = parse(raw).bounce
    assert bounce is not None and len(bounce.failures) == 1
    assert bounce.failures[0].detail.startswith(detail)
    assert bounce.original_message_id.endswith("@pixelforgebd.com>")


def test_a_plain_message_mentioning_an_error_code_is_no_bounce():
    raw = (
        b"From: rahim@dhakatextiles.com.bd\r\nSubject: Our server says 550\r\n\r\n"
        b"Our mail server answered 550 5.1.1 when I wrote to accounts@example.com.\r\n"
    )
    assert parse(raw).bounce is None


def test_raw_utf8_headers_as_modern_mail_apps_send_them():
    raw = (
        "From: নুসরাত জাহান <nusrat@meghnafoods.com.bd>\r\nSubject: ধন্যবাদ\r\n"
        "To: Pixel Forge <hello@pixelforgebd.com>\r\n\r\nঠিক আছে\r\n"
    ).encode()
    parsed = parse(raw)
    assert (parsed.from_name, parsed.subject) == ("নুসরাত জাহান", "ধন্যবাদ")


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    if hasattr(value, "__dataclass_fields__"):
        return [s for name in value.__dataclass_fields__ for s in _strings(getattr(value, name))]
    return []


HEADERISH = st.tuples(st.binary(max_size=40), st.binary(max_size=40), st.binary(max_size=200)).map(
    lambda parts: b"From: %s <a@example.com>\r\nSubject: %s\r\n\r\n%s" % parts
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=4000), HEADERISH))
def test_random_bytes_never_crash_the_parser_and_give_storable_text(raw):
    try:
        parsed = parse(raw)
    except Unreadable as error:
        assert str(error)
        return
    for text in _strings(parsed):
        assert "\x00" not in text
        text.encode("utf-8")  # no lone surrogates: PostgreSQL stores it


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(FIXTURE_BYTES),
    st.lists(st.tuples(st.integers(0, 10_000), st.binary(min_size=0, max_size=8)), max_size=8),
    st.integers(0, 2**32),
)
def test_mutated_fixtures_never_crash_the_parser(raw, mutations, seed):
    data = bytearray(raw)
    for position, replacement in mutations:
        position %= max(len(data), 1)
        data[position : position + len(replacement) + random.Random(seed).randint(0, 3)] = (
            replacement
        )
    try:
        parse(bytes(data))
    except Unreadable as error:
        assert str(error)


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.binary(max_size=2000), HEADERISH, st.sampled_from(FIXTURE_BYTES).map(lambda b: b[::-1])
    )
)
def test_garbage_becomes_a_ledger_row_never_an_exception(raw):
    folder, _ = MailboxFolder.objects.get_or_create(
        name="INBOX", defaults={"role": FolderRole.INBOX, "uidvalidity": 1}
    )
    uid = folder.messages.count() + 1
    row = handle_message(folder=folder, uid=uid, raw=raw)
    assert row.pk and row.kind in MessageKind.values and row.status in MessageStatus.values
    if row.status == MessageStatus.FAILED:
        assert row.error


def test_a_person_writing_about_a_vacation_is_not_an_auto_reply():
    raw = (
        b"From: rahim@dhakatextiles.com.bd\r\nSubject: Re: Vacation plans and the launch date\r\n"
        b"In-Reply-To: <proposal.20261118@pixelforgebd.com>\r\n\r\nLet's launch after Eid.\r\n"
    )
    assert not parse(raw).auto_reply


def test_a_mail_system_notice_no_parser_understands_is_never_a_persons_reply():
    raw = (
        b"From: MAILER-DAEMON@mx.example.net\r\nSubject: Re: Website redesign proposal\r\n"
        b"In-Reply-To: <proposal.20261118@pixelforgebd.com>\r\n\r\nSomething went wrong.\r\n"
    )
    parsed = parse(raw)
    assert parsed.bounce is None and parsed.auto_reply
