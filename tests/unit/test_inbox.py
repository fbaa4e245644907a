"""The inbox core without a terminal: reply prefill, readable bodies, times, paging, merging."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from smartlead_tui.api.models import Conversation, Message
from smartlead_tui.inbox import (
    PAGE_SIZE,
    InboxQuery,
    NoReplyError,
    conversation_key,
    format_message_time,
    html_to_text,
    latest_reply,
    lead_label,
    merge_refresh,
    parse_api_time,
    pending_outbox_entries,
    quoted_line_count,
    relative_time,
    reply_prefill,
    zone_label,
)
from smartlead_tui.sandbox import SandboxServer
from tests.import_check import loaded_by

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def msg(
    kind: str,
    time: str,
    *,
    stats_id: str = "",
    message_id: str | None = None,
    sender: str = "lead@acme.test",
    body: str = "<p>Hello</p>",
    subject: str = "Re: Pricing",
) -> Message:
    return Message(
        stats_id=stats_id or f"stats-{kind}-{time}",
        message_id=message_id if message_id is not None else f"<{kind}-{time}@mail.test>",
        type=kind,
        time=time,
        from_email=sender,
        to_email="sdr@us.test" if kind == "REPLY" else "lead@acme.test",
        subject=subject,
        body_html=body,
    )


def conv(history: list[Message] | tuple[Message, ...] = (), **overrides: Any) -> Conversation:
    values: dict[str, Any] = {
        "lead_id": 42,
        "lead_map_id": 4242,
        "campaign_id": 7,
        "campaign_name": "Q4 Fintech CFOs",
        "lead_email": "lead@acme.test",
        "lead_first_name": "José",
        "lead_last_name": "Núñez",
        "category_id": 1,
        "last_reply_time": "2026-11-23T08:00:00.000Z",
        "history": tuple(history),
    }
    values.update(overrides)
    return Conversation(**values)


# -- reply prefill --------------------------------------------------------------------------------


def test_prefill_answers_the_latest_reply_whatever_the_order() -> None:
    older = msg("REPLY", "2026-11-22T09:00:00.000Z", stats_id="s-old", message_id="<old@x.test>")
    newest = msg(
        "REPLY",
        "2026-11-23T08:00:00.000Z",
        stats_id="s-new",
        message_id="<new@x.test>",
        body="<p>Send pricing</p>",
    )
    sent_after = msg("SENT", "2026-11-23T09:00:00.000Z", stats_id="s-sent", sender="sdr@us.test")
    first = msg("SENT", "2026-11-20T09:00:00.000Z", sender="sdr@us.test")
    conversation = conv()
    prefill = reply_prefill(conversation, [sent_after, newest, first, older])
    assert prefill == {
        "campaign_id": 7,
        "campaign_name": "Q4 Fintech CFOs",
        "lead_id": 42,
        "lead_label": "José Núñez <lead@acme.test>",
        "lead_category_id": 1,
        "email_stats_id": "s-new",
        "thread_id": None,
        "to_email": "lead@acme.test",
        "to_first_name": "José",
        "to_last_name": "Núñez",
        "reply_message_id": "<new@x.test>",
        "reply_email_body": "<p>Send pricing</p>",
        "reply_email_time": "2026-11-23T08:00:00.000Z",
        "subject": "Re: Pricing",
    }


def test_prefill_goes_to_the_colleague_who_replied_not_the_imported_lead() -> None:
    server = SandboxServer(now=lambda: NOW)  # seed only; never started
    colleague = server.seed.colleague_reply()
    lead = server.seed.lead(colleague.lead_id)
    ref = server.seed.latest_reply(lead.lead_id)  # the colleague wrote the latest one too
    assert ref.from_email == colleague.from_email
    history = [
        Message.from_api(m.to_json()) for m in reversed(lead.history)
    ]  # reversed: order must not matter
    conversation = conv(
        lead_id=lead.lead_id,
        campaign_id=lead.campaign_id,
        lead_email=lead.email,
        lead_first_name=lead.first_name,
        lead_last_name=lead.last_name,
    )
    prefill = reply_prefill(conversation, history)
    assert ref.from_email != lead.email
    assert prefill["to_email"] == ref.from_email
    assert prefill["email_stats_id"] == ref.stats_id
    assert prefill["reply_message_id"] == ref.message_id
    # The colleague is not Tom: the lead's names must not be used for her.
    assert (prefill["to_first_name"], prefill["to_last_name"]) == ("", "")
    assert prefill["lead_label"] == f"{lead.first_name} {lead.last_name} <{lead.email}>"


def test_prefill_takes_a_display_name_from_the_from_header() -> None:
    reply = msg("REPLY", "2026-11-23T08:00:00Z", sender="Anna Schmidt <anna@acme.test>")
    prefill = reply_prefill(conv(), [reply])
    assert prefill["to_email"] == "anna@acme.test"
    assert (prefill["to_first_name"], prefill["to_last_name"]) == ("Anna", "Schmidt")
    reply = msg("REPLY", "2026-11-23T08:00:00Z", sender='"Schmidt, Anna" <anna@acme.test>')
    assert reply_prefill(conv(), [reply])["to_first_name"] == "Anna"


def test_prefill_matches_the_lead_address_case_insensitively() -> None:
    reply = msg("REPLY", "2026-11-23T08:00:00Z", sender="LEAD@Acme.test")
    prefill = reply_prefill(conv(), [reply])
    assert prefill["to_first_name"] == "José"


def test_prefill_falls_back_to_the_rows_own_history() -> None:
    reply = msg("REPLY", "2026-11-23T08:00:00Z", stats_id="from-row")
    assert reply_prefill(conv([reply]), [])["email_stats_id"] == "from-row"


def test_prefill_without_any_reply_explains() -> None:
    with pytest.raises(NoReplyError, match="has not replied"):
        reply_prefill(conv(), [msg("SENT", "2026-11-23T08:00:00Z", sender="sdr@us.test")])


def test_prefill_keeps_an_existing_re_prefix_and_adds_a_missing_one() -> None:
    reply = msg("REPLY", "2026-11-23T08:00:00Z", subject="[URGENT] pricing question")
    assert reply_prefill(conv(), [reply])["subject"] == "Re: [URGENT] pricing question"
    reply = msg("REPLY", "2026-11-23T08:00:00Z", subject="RE: pricing")
    assert reply_prefill(conv(), [reply])["subject"] == "RE: pricing"


def test_latest_reply_uses_real_time_not_text_order() -> None:
    a = msg("REPLY", "2026-11-23T09:00:00+02:00", stats_id="a")  # 07:00 UTC
    b = msg("REPLY", "2026-11-23T08:00:00Z", stats_id="b")
    latest = latest_reply([a, b])
    assert latest is not None and latest.stats_id == "b"
    assert latest_reply([]) is None


def test_lead_label_without_a_name_is_the_address() -> None:
    assert lead_label(conv(lead_first_name="", lead_last_name="")) == "lead@acme.test"


# -- html to text ---------------------------------------------------------------------------------


GMAIL_REPLY = (
    "<p>Hi Alex,</p><p>Tuesday works &amp; so does Wednesday.</p><p>José</p>"
    '<div class="gmail_quote"><div class="gmail_attr">On Sun, Nov 22, 2026 at 01:09 '
    "alex@acme.io wrote:</div><blockquote><p>Hi José,</p><p>Worth a look?</p>"
    "<p>Best,<br>Alex</p></blockquote></div>"
)


def test_gmail_quote_is_folded_into_one_marker_line() -> None:
    text = html_to_text(GMAIL_REPLY)
    assert text == (
        "Hi Alex,\n\nTuesday works & so does Wednesday.\n\nJosé\n\n"
        "[… 5 quoted lines folded — press z to show]"
    )
    assert quoted_line_count(GMAIL_REPLY) == 5


def test_unfolded_quote_is_prefixed() -> None:
    text = html_to_text(GMAIL_REPLY, fold_quotes=False)
    assert "> On Sun, Nov 22, 2026 at 01:09 alex@acme.io wrote:" in text
    assert "> Hi José," in text
    assert "> Alex" in text
    assert not text.endswith(">")


def test_marker_names_the_remapped_key() -> None:
    assert "press q to show" in html_to_text(GMAIL_REPLY, show_key="q")


def test_plain_text_reply_with_angle_quotes_and_attribution() -> None:
    body = (
        "Sounds good.\nSee you then.\n\nOn Mon, Bob <b@x.test> wrote:\n> Are you free?\n>> earlier"
    )
    assert html_to_text(body) == (
        "Sounds good.\nSee you then.\n\n[… 3 quoted lines folded — press z to show]"
    )
    unfolded = html_to_text(body, fold_quotes=False)
    assert "> Are you free?" in unfolded and "> > earlier" in unfolded


def test_outlook_original_message_folds_everything_after() -> None:
    body = "Thanks!\n\n-----Original Message-----\nFrom: Alex\nSent: Monday\nHi"
    assert html_to_text(body) == "Thanks!\n\n[… 4 quoted lines folded — press z to show]"


def test_a_wrote_line_without_quoted_text_after_it_stays() -> None:
    body = "<p>On Monday John wrote:</p><p>we should talk.</p>"
    assert html_to_text(body) == "On Monday John wrote:\n\nwe should talk."


def test_markup_lookalikes_entities_links_lists_and_images() -> None:
    body = (
        "<div>[URGENT] price &lt;b&gt;now&lt;/b&gt; [/bold]</div>"
        "<ul><li>one</li><li>two</li></ul><ol><li>first</li><li>second</li></ol>"
        '<p>See <a href="https://acme.test/deck">the deck</a> and '
        '<a href="https://acme.test/x">https://acme.test/x</a>.</p>'
        '<img src="x.png" alt="logo"><style>p{color:red}</style><script>alert(1)</script>'
    )
    text = html_to_text(body)
    assert "[URGENT] price <b>now</b> [/bold]" in text
    assert "• one\n• two" in text
    assert "1. first\n2. second" in text
    assert "the deck (https://acme.test/deck)" in text
    assert text.count("https://acme.test/x") == 1
    assert "[image: logo]" in text
    assert "color" not in text and "alert" not in text


def test_whitespace_is_collapsed_but_pre_is_kept() -> None:
    body = "<p>  lots   of\n\n   space </p><pre>a  b\n  c</pre>"
    assert html_to_text(body) == "lots of space\n\na  b\n  c"


def test_unclosed_and_stray_tags_do_not_leak_quoting() -> None:
    body = (
        "<p>Reply<blockquote><p>quoted</blockquote></div></span><p>After the quote<blockquote>again"
    )
    text = html_to_text(body)
    assert text.startswith("Reply")
    assert "After the quote" in text
    assert text.count("quoted line") == 2


def test_empty_and_none_like_bodies() -> None:
    assert html_to_text("") == ""
    assert html_to_text("<p></p><br>") == ""


def test_every_seeded_body_converts_without_leftover_tags() -> None:
    server = SandboxServer(now=lambda: NOW)
    for lead in server.seed.leads.values():
        for message in lead.history:
            text = html_to_text(message.email_body)
            assert "<p>" not in text and "</" not in text
            assert text.strip()


# -- times ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ago", "expected"),
    [
        (timedelta(seconds=10), "just now"),
        (timedelta(minutes=5), "5m ago"),
        (timedelta(minutes=59), "59m ago"),
        (timedelta(hours=3), "3h ago"),
        (timedelta(hours=9, minutes=59), "9h ago"),
        (timedelta(hours=11), "yesterday"),  # 23:00 the day before
        (timedelta(days=3), "3d ago"),
        (timedelta(days=20), "3 Nov"),
        (timedelta(days=400), "19 Oct 2025"),
        (-timedelta(minutes=30), "in 30m"),
        (-timedelta(hours=5), "in 5h"),
    ],
)
def test_relative_time(ago: timedelta, expected: str) -> None:
    assert relative_time(NOW - ago, NOW) == expected


def test_relative_time_days_follow_the_display_zone() -> None:
    when = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 02:00 in Berlin: same day there
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert relative_time(when, now, ZoneInfo("Europe/Berlin")) == "9h ago"
    assert relative_time(when, now, ZoneInfo("America/Los_Angeles")) == "yesterday"


def test_relative_time_accepts_api_strings_and_missing_values() -> None:
    assert relative_time("2026-11-23T09:00:00.000Z", NOW) == "1h ago"
    assert relative_time(None, NOW) == "—"
    assert relative_time("not a date", NOW) == "—"


def test_parse_api_time_forms() -> None:
    assert parse_api_time("2026-03-12T11:29:05.173Z") == datetime(
        2026, 3, 12, 11, 29, 5, 173000, tzinfo=UTC
    )
    assert parse_api_time("2026-03-12 11:29:05") == datetime(2026, 3, 12, 11, 29, 5, tzinfo=UTC)
    assert parse_api_time("Thu, 12 Mar 2026 11:29:05 +0000") == datetime(
        2026, 3, 12, 11, 29, 5, tzinfo=UTC
    )
    assert parse_api_time("") is None


def test_message_times_are_shown_in_the_configured_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert format_message_time("2026-11-23T08:10:00.000Z", berlin) == "Mon 23 Nov 2026 09:10"
    assert format_message_time("2026-11-23T08:10:00.000Z", UTC) == "Mon 23 Nov 2026 08:10"
    assert format_message_time("garbage", UTC) == "garbage"
    assert zone_label(berlin) == "Europe/Berlin"
    assert zone_label(UTC) == "UTC"
    assert zone_label(timezone(timedelta(hours=2))) == "UTC+02:00"


# -- query and paging -----------------------------------------------------------------------------


def test_query_paging_and_restarts() -> None:
    query = InboxQuery()
    assert query.filters == {} and not query.is_filtered and query.page_size == PAGE_SIZE
    query = query.after_page(20)
    assert (query.next_offset, query.exhausted) == (20, False)
    query = query.after_page(7)
    assert (query.next_offset, query.exhausted) == (27, True)
    searched = query.with_search("  jose ")
    assert searched.search == "jose" and searched.next_offset == 0 and not searched.exhausted
    assert searched.generation == query.generation + 1
    filtered = searched.with_campaign(12, "Q4")
    assert filtered.filters == {"search": "jose", "campaignId": 12}
    assert filtered.describe() == 'Inbox · campaign Q4 · "jose"'
    assert filtered.with_campaign(None).campaign_name == ""
    unread = filtered.with_view("unread")
    assert unread.view_label == "Unread" and unread.search == "jose"
    assert unread.restarted().generation == unread.generation + 1
    assert InboxQuery().after_page(20).shifted(2).next_offset == 22
    with pytest.raises(ValueError, match="unknown inbox view"):
        InboxQuery(view="spam")


def test_merge_refresh_finds_new_changed_and_new_replies() -> None:
    a = conv(lead_id=1)
    b = conv(lead_id=2, unread=True)
    shown = {conversation_key(c): c for c in (a, b)}
    newer_a = conv(lead_id=1, last_reply_time="2026-11-23T09:30:00.000Z")
    read_b = conv(lead_id=2, unread=False)
    c = conv(lead_id=3)
    merge = merge_refresh(shown, [c, newer_a, read_b])
    assert [x.lead_id for x in merge.added] == [3]
    assert {x.lead_id for x in merge.changed} == {1, 2}
    assert merge.new_reply_keys == {conversation_key(c), conversation_key(newer_a)}
    assert merge_refresh(shown, [a, b]).changed == []


def test_conversation_key_prefers_campaign_and_lead() -> None:
    assert conversation_key(conv()) == "7:42"
    assert conversation_key(conv(lead_id=None)) == "map:4242"
    assert conversation_key(conv(lead_id=None, lead_map_id=None)) == "7:lead@acme.test"


# -- outbox entries in the thread -----------------------------------------------------------------


@dataclass
class FakeEntry:
    thread_key: str
    state: str
    fields: dict[str, Any] = field(default_factory=dict)
    message_id: str | None = None


def test_pending_outbox_entries_until_the_history_shows_them() -> None:
    reply = msg("REPLY", "2026-11-23T08:00:00Z", stats_id="r1")
    ours = msg(
        "SENT",
        "2026-11-23T09:00:00Z",
        stats_id="s9",
        message_id="<ours@x.test>",
        sender="sdr@us.test",
        body="<p>Thanks, Tuesday works.</p><p>Alex</p>",
    )
    conversation = conv()
    held = FakeEntry("7:r1", "held", {"body": "Still in the undo window"})
    queued_by_id = FakeEntry("7:r1", "queued", {"body": "x"}, message_id="<ours@x.test>")
    queued_by_text = FakeEntry("7:r1", "queued", {"body": "Thanks, Tuesday works."})
    cancelled = FakeEntry("7:r1", "cancelled", {"body": "never sent"})
    elsewhere = FakeEntry("8:r1", "held", {"body": "other campaign"})
    entries = [held, queued_by_id, queued_by_text, cancelled, elsewhere]
    assert pending_outbox_entries(entries, conversation, [reply]) == [
        held,
        queued_by_id,
        queued_by_text,
    ]
    assert pending_outbox_entries(entries, conversation, [reply, ours]) == [held]


# -- layering -------------------------------------------------------------------------------------


def test_core_inbox_module_does_not_import_textual() -> None:
    assert loaded_by(["smartlead_tui.inbox"], {"textual", "textual_serve"}) == []
