"""Issue 11, items 6, 8 and 9 in the real app: scheduled replies, unknown sends, outbox wording.

Against the loopback sandbox. Each test names what it showed before the fix.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.widgets import Static
from textual.widgets._footer import FooterKey

from smartlead_tui.api.models import ReplyDraft
from smartlead_tui.outbox.store import Store, thread_key
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.app import SmartleadApp
from smartlead_tui.tui.screens.help import HelpScreen
from smartlead_tui.tui.screens.outbox_detail import OutboxDetailScreen
from smartlead_tui.tui.screens.resolve_unknown import ResolveCommands, ResolveUnknownScreen
from smartlead_tui.tui.screens.thread import ThreadScreen
from smartlead_tui.tui.tracking import tracking_driver
from smartlead_tui.tui.widgets.message_view import MessageCard
from smartlead_tui.tui.widgets.status_table import COLUMNS_NARROW, StatusTable
from tests.tui.test_inbox import jump_to, loaded
from tests.tui.test_outbox import make_app, new_entry, open_outbox, row_texts, server, wait_for

__all__ = ["server"]  # the fixture, shared with test_outbox


def footer_keys(app: SmartleadApp) -> list[FooterKey]:
    return list(app.screen.query(FooterKey))


def assert_footer_fits(app: SmartleadApp) -> list[str]:
    """Every footer key lies whole inside the terminal; returns the descriptions shown."""
    keys = footer_keys(app)
    assert keys
    for key in keys:
        assert key.region.width > 0 and key.region.right <= app.size.width, key.description
    return [key.description for key in keys]


def unknown_entry(store: Store, server: SandboxServer, body: str, *, ref_index: int = 0) -> int:
    """A send whose POST got no answer (it never reached the sandbox)."""
    entry, _ = new_entry(store, server, body, ref_index=ref_index)
    store.transition(entry.id, "sending")
    store.transition(entry.id, "unknown", error="SmartLead did not answer within 20 s")
    return entry.id


async def scheduled_send(app: SmartleadApp, server: SandboxServer, body: str) -> tuple[int, Any]:
    """Schedule a reply for real (the sandbox lists it in the thread at once)."""
    ref = server.seed.first_reply()
    goes = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    draft = ReplyDraft(
        campaign_id=ref.campaign_id,
        email_stats_id=ref.stats_id,
        body=body,
        to_email=ref.from_email,
        scheduled_time=goes,
    )
    path, payload = draft.to_payload()
    entry = app.store.create_entry(
        thread_key=thread_key(ref.campaign_id, ref.stats_id),
        fingerprint=draft.fingerprint(),
        fields={
            "campaign_id": ref.campaign_id,
            "email_stats_id": ref.stats_id,
            "lead_id": ref.lead_id,
            "body": body,
            "to_email": ref.from_email,
            "scheduled_time": goes.isoformat(),
        },
        endpoint=path,
        request_body=payload,
        lead_label=ref.from_email,
        campaign_id=ref.campaign_id,
    )
    app.store.transition(entry.id, "sending")
    await app.client.send_reply(draft)
    app.store.transition(entry.id, "queued", server_message="Email added to the queue")
    return entry.id, ref


async def open_thread(app: SmartleadApp, pilot: Any, ref: Any) -> ThreadScreen:
    screen = await loaded(pilot)
    jump_to(screen, f"{ref.campaign_id}:{ref.lead_id}")
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ThreadScreen))
    thread = app.screen
    assert isinstance(thread, ThreadScreen)
    await wait_for(pilot, lambda: thread.history_fresh)
    return thread


def cards(thread: ThreadScreen) -> list[str]:
    return [str(card.content) for card in thread.query(MessageCard)]


# -- item 9: one state, 80 columns -----------------------------------------------------------


async def test_at_80_columns_one_state_every_header_whole_and_the_footer_fits(
    server: SandboxServer, tmp_path: Path
) -> None:
    """Before: "• queued … ✓ COMPLETED", a fifth header "C", no campaign, footer cut."""
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        store = app.store
        done = store.add_tracked_message(server.seed.first_sent().message_id)
        waiting, _ = new_entry(store, server, "still held", ref_index=1)
        screen = await open_outbox(app, pilot)
        table = screen.query_one(StatusTable)
        await wait_for(pilot, lambda: row_texts(app, done.id)["state"] == "✓ delivered")
        assert row_texts(app, waiting.id)["state"] == "‖ held"
        for key, label, width in COLUMNS_NARROW:
            assert len(label) <= width, key
        assert [c.label.plain for c in table.columns.values()] == [
            "State",
            "Lead",
            "Campaign",
            "Status message",
            "When",
        ]
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert row_texts(app, waiting.id)["campaign"] != "—"
        shown = assert_footer_fits(app)
        assert "Settings" in shown and "Help" in shown
        # The delivered filter shows exactly the rows that read "delivered".
        table.focus()
        await pilot.press("f", "f")
        assert screen.filter_name == "delivered"
        assert table.row_count == 1 and table.has_row(done.id)
        await pilot.press("a")
        # The detail keeps both sources.
        table.move_cursor(row=table.get_row_index(str(done.id)))
        await pilot.press("enter")
        assert isinstance(app.screen, OutboxDetailScreen)
        summary = str(app.screen.query_one("#detail-summary").render())
        assert "State:" in summary and "✓ delivered" in summary
        assert "Send outcome:" in summary and "SmartLead says:" in summary
        assert "COMPLETED" in summary
        shown = assert_footer_fits(app)
        assert "Outbox" in shown  # ctrl+o is there on the detail screen


# -- item 8: unknown sends close -------------------------------------------------------------


async def test_resolve_an_unknown_send_from_the_outbox(
    server: SandboxServer, tmp_path: Path
) -> None:
    """Before: nothing closed an unknown row; d only changed its text."""
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        store = app.store
        went = unknown_entry(store, server, "This one did go", ref_index=1)
        lost = unknown_entry(store, server, "This one did not", ref_index=2)
        screen = await open_outbox(app, pilot)
        table = screen.query_one(StatusTable)
        table.focus()
        table.move_cursor(row=table.get_row_index(str(lost)))
        await pilot.pause()
        shown = assert_footer_fits(app)
        assert "Resolve" in shown  # m, on an unknown row, with the rest of the footer whole
        assert "Resolve unknown send" in [
            hit.text async for hit in ResolveCommands(screen).discover()
        ]
        await pilot.press("enter")  # the detail offers it too, its footer whole
        assert isinstance(app.screen, OutboxDetailScreen)
        assert "Resolve" in assert_footer_fits(app)
        await pilot.press("escape")
        await pilot.press("m")
        assert isinstance(app.screen, ResolveUnknownScreen)
        await pilot.press("n")
        await wait_for(pilot, lambda: row_texts(app, lost)["state"] == "– not sent")
        assert store.get_entry(lost).state == "send-failed"
        assert "you marked it as not sent" in store.journal(lost)[-1].detail

        table.move_cursor(row=table.get_row_index(str(went)))
        await pilot.press("m", "s")
        await wait_for(pilot, lambda: store.get_entry(went).state == "queued")
        assert "you marked it as sent" in store.journal(went)[-1].detail
        assert store.count_entries(states=["unknown"]) == 0
        await pilot.pause()
        assert "Resolve" not in assert_footer_fits(app)  # nothing left to resolve here
        await pilot.press("f1")  # every key, shown or not, with its id
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one(Static).render())
        assert "outbox.resolve" in text and "outbox.track" in text


async def test_the_composer_count_and_an_open_thread_follow_a_resolution(
    server: SandboxServer, tmp_path: Path
) -> None:
    """Before: the toast said "did go out" while the thread still said UNKNOWN, and the
    composer's unknown count never went down."""
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        ref = server.seed.first_reply()
        entry_id = unknown_entry(app.store, server, "Maybe gone, maybe not")
        thread = await open_thread(app, pilot, ref)
        await wait_for(pilot, lambda: any("OUTBOX · UNKNOWN" in c for c in cards(thread)))
        await pilot.press("r")
        await wait_for(pilot, lambda: app.screen.query("#outbox-summary").first() is not None)
        summary = app.screen.query_one("#outbox-summary")
        assert "1 unknown" in str(summary.render())
        tracking_driver(app).resolve(entry_id, sent=False)
        await wait_for(pilot, lambda: "0 unknown" in str(summary.render()))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is thread)
        await wait_for(pilot, lambda: any("OUTBOX · NOT SENT" in c for c in cards(thread)))
        assert not any("UNKNOWN" in c for c in cards(thread))


# -- item 6: scheduled replies -------------------------------------------------------------


async def test_a_scheduled_reply_reads_scheduled_with_its_time_everywhere(
    server: SandboxServer, tmp_path: Path
) -> None:
    """Before: the thread said "▶ SENT", the Scheduled view showed the lead's reply time."""
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        body = "Thursday works, talk then."
        entry_id, ref = await scheduled_send(app, server, body)
        thread = await open_thread(app, pilot, ref)
        ours = [c for c in cards(thread) if body in c]
        assert ours and ours[-1].startswith("◷ SCHEDULED"), ours
        assert "sends " in ours[-1] and "▶ SENT" not in ours[-1]
        await pilot.press("escape")
        inbox = await loaded(pilot)
        await pilot.press("5")  # the Scheduled view
        await wait_for(pilot, lambda: inbox.inbox_query.view == "scheduled" and not inbox.busy)
        await wait_for(pilot, lambda: inbox.table.row_count == 1)
        table = inbox.table
        assert [c.label.plain for c in table.columns.values()][-1] == "Sends"
        when = str(table.get_row(f"{ref.campaign_id}:{ref.lead_id}")[-1])
        assert when in ("in 1h", "in 2h"), when
        await pilot.press("1")
        await wait_for(pilot, lambda: inbox.inbox_query.view == "inbox" and not inbox.busy)
        assert [c.label.plain for c in table.columns.values()][-1] == "Last reply"
        assert app.store.get_entry(entry_id).state == "queued"


def test_cards_say_scheduled_with_the_send_time_not_sent() -> None:
    """The card texts themselves: a scheduled history message and a scheduled outbox entry."""
    from dataclasses import replace

    from smartlead_tui.api.models import Message
    from smartlead_tui.tui.widgets.message_view import message_text, pending_text
    from tests.unit.test_states import entry

    goes = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    message = Message("s1", "<m@x>", "SENT", "2026-12-01T19:59:00Z", "me@x", "lead@y")
    card = message_text(message, UTC, fold_quotes=True, subject=False, sends_at=goes.timestamp())
    assert card.plain.startswith("◷ SCHEDULED to lead@y  ·  sends Thu 3 Dec 2026 09:30")
    sent = message_text(message, UTC, fold_quotes=True, subject=False)
    assert sent.plain.startswith("▶ SENT to lead@y")

    waiting = entry(last_status="SCHEDULED", last_scheduled_time=goes.isoformat())
    text = pending_text(waiting, UTC).plain
    assert "OUTBOX · SCHEDULED" in text and "sends Thu 3 Dec 2026 09:30" in text
    gone = replace(waiting, last_status="COMPLETED")
    assert "OUTBOX · DELIVERED" in pending_text(gone, UTC).plain
