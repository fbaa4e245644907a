"""The inbox and thread view, driven by keys through Pilot against a real loopback sandbox."""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.events import Mount
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

import smartlead_tui.tui.app as app_module
from smartlead_tui.api.client import SmartLeadClient
from smartlead_tui.api.models import Message
from smartlead_tui.config import Settings
from smartlead_tui.inbox import conversation_key
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.sandbox.seed import Message as SeedMessage
from smartlead_tui.tui.app import SmartleadApp
from smartlead_tui.tui.screens.help import HelpScreen
from smartlead_tui.tui.screens.inbox import CampaignPicker, InboxScreen
from smartlead_tui.tui.screens.thread import ThreadScreen
from smartlead_tui.tui.widgets.inbox_state import InboxPlaceholder, InboxStatusLine
from smartlead_tui.tui.widgets.message_view import MessageCard, MessageView

FIXED_NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _compose_available() -> bool:
    return importlib.util.find_spec("smartlead_tui.tui.screens.compose") is not None


class InboxTestApp(SmartleadApp):
    """The real app with the inbox as home, a fixed clock, and retries without back-off."""

    CSS_PATH = str(Path(app_module.__file__).parent / "app.tcss")
    clock = staticmethod(lambda: FIXED_NOW)

    def on_mount(self, event: Mount) -> None:
        event.prevent_default()  # not the app's own start-up screens: just the inbox
        self.push_screen(InboxScreen())

    @property
    def client(self) -> SmartLeadClient:
        if self._client is None:
            self._client = SmartLeadClient(
                self.settings.api_key or "",
                base_url=self.settings.base_url,
                # Nothing here waits for a read timeout; a short one would let a slow answer
                # on a loaded machine be sent twice, and the tests count requests.
                read_timeout=10.0,
                connect_timeout=1.0,
                backoff_base=0.001,
            )
        return self._client


class RecordingApp(InboxTestApp):
    """Records what would go to the compose screen instead of opening it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prefills: list[dict[str, Any] | None] = []

    def open_compose(self, prefill: dict[str, Any] | None = None) -> None:
        self.prefills.append(prefill)


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(now=lambda: FIXED_NOW) as sandbox:
        yield sandbox


def settings_for(server: SandboxServer, **changes: Any) -> Settings:
    fields: dict[str, Any] = {
        "api_key": server.api_key,
        "api_key_source": "demo",
        "base_url": server.base_url,
        "timezone": "UTC",
    }
    fields.update(changes)
    return dataclasses.replace(Settings(), **fields)


def make_app(
    server: SandboxServer, tmp_path: Path, cls: type[InboxTestApp] = RecordingApp, **changes: Any
) -> Any:
    return cls(settings_for(server, **changes), demo=True, store_path=tmp_path / "outbox.sqlite3")


async def wait_until(
    pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 10.0
) -> None:
    deadline = datetime.now(UTC) + timedelta(seconds=timeout)
    while not condition():
        if datetime.now(UTC) > deadline:
            raise AssertionError("timed out waiting for the screen")
        await pilot.pause(0.02)


def inbox(app: Any) -> InboxScreen:
    screen = app.screen_stack[1] if len(app.screen_stack) > 1 else app.screen
    assert isinstance(screen, InboxScreen)
    return screen


async def loaded(pilot: Pilot[Any]) -> InboxScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, InboxScreen))
    screen = pilot.app.screen
    assert isinstance(screen, InboxScreen)
    await wait_until(pilot, lambda: screen.table.row_count > 0 and not screen.busy)
    return screen


def inbox_posts(server: SandboxServer, list_name: str = "inbox-replies") -> list[dict[str, Any]]:
    return [r.json for r in server.posts(f"/master-inbox/{list_name}")]


def placeholder_text(screen: InboxScreen) -> str:
    return str(screen.query_one(InboxPlaceholder).render())


def status_text(screen: InboxScreen) -> str:
    return str(screen.query_one(InboxStatusLine).render())


def expected_order(server: SandboxServer) -> list[str]:
    leads = [lead for lead in server.seed.leads.values() if lead.replies() and not lead.archived]
    leads.sort(key=lambda lead: (lead.replies()[-1].time, lead.lead_id), reverse=True)
    return [f"{lead.campaign_id}:{lead.lead_id}" for lead in leads]


def jump_to(screen: InboxScreen, key: str) -> None:
    """Put the cursor on a loaded row directly (where walking there is not the point)."""
    assert key in screen.table.conversations, f"row {key} is not loaded"
    screen.table.select_key(key)


async def move_to(pilot: Pilot[Any], screen: InboxScreen, key: str) -> None:
    """Walk the cursor with j/k until it sits on `key` (as a person would)."""
    for _ in range(60):
        keys = screen.table.ordered_keys()
        if screen.table.cursor_key == key:
            return
        below = key not in keys or keys.index(key) > screen.table.cursor_row
        await pilot.press("j" if below else "k")  # further down loads the next page
        if key not in keys:
            await wait_until(pilot, lambda: not screen.page_busy)
    raise AssertionError(f"row {key} not reached")


# -- the list -------------------------------------------------------------------------------------


async def test_inbox_lists_newest_reply_first_one_page(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        assert screen.table.ordered_keys() == expected_order(server)[:20]
        assert inbox_posts(server) == [
            {"offset": 0, "limit": 20, "filters": {}, "sortBy": "REPLY_TIME_DESC"}
        ]
        assert "20 conversations (more below)" in status_text(screen)
        # (the account's category names are read beside it, issue 11 item 1)
        listing = [r for r in server.requests if "/master-inbox/" in r.path]
        assert listing[0].query["fetch_message_history"] == "true"


async def test_paging_loads_the_next_page_as_the_cursor_nears_the_end(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path)
    total = len(expected_order(server))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        for _ in range(14):
            await pilot.press("j")
        assert len(inbox_posts(server)) == 1  # not yet: 6 rows below the cursor
        await pilot.press("down")
        await wait_until(pilot, lambda: screen.table.row_count == total)
        await wait_until(pilot, lambda: not screen.page_busy)
        assert [p["offset"] for p in inbox_posts(server)] == [0, 20]
        assert screen.table.ordered_keys() == expected_order(server)
        assert screen.table.cursor_row == 15
        assert screen.inbox_query.exhausted
        await pilot.press("end")
        assert screen.table.cursor_row == total - 1
        await pilot.press("j", "home")
        assert screen.table.cursor_row == 0
        assert len(inbox_posts(server)) == 2  # exhausted: no third request
        assert f"{total} conversations ·" in status_text(screen) + " ·"


async def test_search_filters_on_the_server_and_escape_clears_it(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        # Letters go into the field: 'r' (reply), 'v' (view), 'c' (campaign) must not fire.
        await pilot.press(*"rivera", "enter")
        await wait_until(pilot, lambda: screen.table.row_count == 1 and not screen.busy)
        assert app.prefills == []
        assert screen.inbox_query.view == "inbox"
        conversation = screen.table.current
        assert conversation is not None and conversation.lead_last_name == "Rivera [CFO]"
        assert inbox_posts(server)[-1]["filters"] == {"search": "rivera"}
        cell = screen.table.get_row_at(0)[1]
        assert "Sam Rivera [CFO]" in str(cell)  # brackets shown, not eaten as markup
        assert app.focused is screen.table
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.table.row_count == 20 and not screen.busy)
        assert inbox_posts(server)[-1]["filters"] == {}
        assert not screen.search_input.has_class("visible")


async def test_search_while_typing_is_debounced_and_escape_leaves_the_field(
    server: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each key restarts the debounce timer. However long a loaded machine takes between keys,
    # a timer started on a partial word ("j", "jo", "jos") must not fire: it gets a minute.
    # The timer started by the last key gets the real pause, so the search fires by itself.
    real_debounce = InboxScreen.search_debounce

    def debounce(screen: InboxScreen) -> float:
        return real_debounce if screen.search_input.value == "jose" else 60.0

    monkeypatch.setattr(InboxScreen, "search_debounce", property(debounce))
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("slash", *"jose")
        await wait_until(pilot, lambda: screen.table.row_count == 1 and not screen.busy)
        assert [p["filters"] for p in inbox_posts(server)] == [{}, {"search": "jose"}]
        await pilot.press("escape")  # leaves the field, keeps the search
        assert app.focused is screen.table
        assert screen.search_input.has_class("visible")
        assert screen.inbox_query.search == "jose"


async def test_empty_state_says_so(server: SandboxServer, tmp_path: Path) -> None:
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("slash", *"zzq", "enter")
        await wait_until(pilot, lambda: screen.has_class("placeholder") and not screen.busy)
        text = placeholder_text(screen)
        assert "No replies match" in text
        assert "escape to clear" in text
        assert not screen.table.display or screen.table.row_count == 0
        assert screen.check_action("reply", ()) is False
        await pilot.press("escape")  # nothing listed: one escape clears the search
        await wait_until(pilot, lambda: screen.table.row_count == 20 and not screen.busy)
        assert not screen.has_class("placeholder")
        assert app.focused is screen.table


async def test_escape_in_the_field_with_no_results_clears_at_once(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("slash", *"zzq")
        await wait_until(pilot, lambda: screen.has_class("placeholder") and not screen.busy)
        assert screen.search_input.has_focus
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.table.row_count == 20 and not screen.busy)
        assert screen.inbox_query.search == ""


async def test_empty_view(server: SandboxServer, tmp_path: Path) -> None:
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("6")  # Sent: nothing sent from this sandbox yet
        await wait_until(pilot, lambda: screen.has_class("placeholder") and not screen.busy)
        assert "No replies match" in placeholder_text(screen)
        assert "Sent view is empty" in placeholder_text(screen)


async def test_rejected_key_is_an_explicit_error(server: SandboxServer, tmp_path: Path) -> None:
    app = make_app(server, tmp_path, api_key="wrong-key-0000")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = inbox(app)
        await wait_until(pilot, lambda: screen.error is not None)
        text = placeholder_text(screen)
        assert "API key rejected" in text
        assert "wrong-key-0000" not in text
        assert screen._retry_timer is None  # no point retrying a rejected key


async def test_missing_key_says_so(server: SandboxServer, tmp_path: Path) -> None:
    app = make_app(server, tmp_path, api_key="")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = inbox(app)
        await wait_until(pilot, lambda: screen.error is not None)
        assert "No API key" in placeholder_text(screen)
        screen._refresh_tick()  # the timer must not crash either
        assert server.requests == []


async def test_an_unexpected_error_is_reported_not_a_crash(
    server: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await loaded(pilot)
        monkeypatch.setattr(app.client, "inbox_replies", broken)
        await pilot.press("2")
        await wait_until(pilot, lambda: "Unexpected error" in _notes(app))
        assert "RuntimeError: boom" in placeholder_text(screen) or screen.table.row_count
        await pilot.press("1")  # still usable
        assert app.is_running


def _notes(app: Any) -> str:
    return " ".join(f"{n.title} {n.message}" for n in app._notifications)


@pytest.mark.usefixtures("still_countdown")
async def test_unreachable_is_retried_with_a_countdown(tmp_path: Path) -> None:
    with SandboxServer(now=lambda: FIXED_NOW) as sandbox:
        dead_url = sandbox.base_url
    # The port is closed now: connection refused.
    settings = dataclasses.replace(
        Settings(), api_key="sandbox-key", base_url=dead_url, timezone="UTC"
    )
    app = RecordingApp(settings, demo=True, store_path=tmp_path / "outbox.sqlite3")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = inbox(app)
        await wait_until(pilot, lambda: screen.error is not None)
        text = placeholder_text(screen)
        assert "SmartLead unreachable — retrying in 8 s" in text
        assert "connection refused" in text
        assert screen._retry_timer is not None


@pytest.mark.usefixtures("still_countdown")
async def test_server_error_then_manual_retry_recovers(
    server: SandboxServer, tmp_path: Path
) -> None:
    server.add_fault("500", path="/master-inbox/inbox-replies", times=4)  # all 4 attempts
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = inbox(app)
        await wait_until(pilot, lambda: screen.error is not None)
        assert "SmartLead had a server error — retrying in 8 s" in placeholder_text(screen)
        assert "(500)" in placeholder_text(screen)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: screen.table.row_count == 20 and not screen.busy)
        assert screen.error is None
        assert not screen.has_class("placeholder")
        assert screen._retry_timer is None


async def test_views_use_their_own_lists(server: SandboxServer, tmp_path: Path) -> None:
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("2")
        await wait_until(pilot, lambda: screen.inbox_query.view == "unread" and not screen.busy)
        assert inbox_posts(server, "unread-replies")
        assert all(c.unread for c in screen.table.conversations.values())
        await pilot.press("v")
        await wait_until(pilot, lambda: screen.inbox_query.view == "important" and not screen.busy)
        assert all(c.important for c in screen.table.conversations.values())
        assert "[3 Important]" in str(screen.query_one("#inbox-views", Static).render())


async def test_campaign_filter(server: SandboxServer, tmp_path: Path) -> None:
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("c")
        assert isinstance(app.screen, CampaignPicker)
        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels[0] == "All campaigns"
        assert "[Beta] Agency partners  (1204537)" in labels
        target = labels.index("[Beta] Agency partners  (1204537)")
        for _ in range(target):
            await pilot.press("down")
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.inbox_query.campaign_id == 1204537)
        await wait_until(pilot, lambda: not screen.busy and screen.table.row_count > 0)
        assert inbox_posts(server)[-1]["filters"] == {"campaignId": 1204537}
        assert {c.campaign_id for c in screen.table.conversations.values()} == {1204537}
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.inbox_query.campaign_id is None and not screen.busy)
        assert inbox_posts(server)[-1]["filters"] == {}


async def test_refresh_marks_new_rows_and_keeps_the_cursor(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        for _ in range(3):
            await pilot.press("j")
        focused_key = screen.table.cursor_key
        # A lead far down the list (not loaded yet) replies just now.
        late = server.seed.lead(int(expected_order(server)[-1].split(":")[1]))
        late_key = f"{late.campaign_id}:{late.lead_id}"
        assert late_key not in screen.table.conversations
        with server._lock:
            late.history.append(
                SeedMessage(
                    stats_id="fresh-stats",
                    message_id="<fresh@lead.test>",
                    type="REPLY",
                    time=FIXED_NOW - timedelta(minutes=2),
                    from_email=late.email,
                    to_email="sdr@acme.test",
                    subject="Re: hello",
                    email_body="<p>Yes, let's talk.</p>",
                )
            )
            late.unread = True
        screen.refresh_first_page()
        await wait_until(pilot, lambda: late_key in screen.table.conversations)
        assert screen.table.ordered_keys()[0] == late_key
        assert screen.table.cursor_key == focused_key  # the cursor did not jump
        assert str(screen.table.get_row_at(0)[0]) == "NEW"
        assert str(screen.table.get_row_at(0)[4]) == "2m ago"
        assert "1 new" in status_text(screen)
        assert server.posts("/master-inbox/")[-1].json["offset"] == 0
        # Opening it clears the marker.
        screen.table.select_key(late_key)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ThreadScreen))
        await pilot.press("escape")
        assert str(screen.table.get_row_at(0)[0]).strip() in ("", "!")  # not NEW, not ●
        assert "new" not in status_text(screen)


async def test_background_refresh_steps_aside_when_the_budget_is_busy(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        budget = app.client.budget
        for _ in range(40):
            budget.try_acquire()
        before = len(server.requests)
        screen._refresh_tick()
        await pilot.pause(0.1)
        assert len(server.requests) == before


# -- the thread -----------------------------------------------------------------------------------


async def test_thread_shows_messages_oldest_first_with_labels(
    server: SandboxServer, tmp_path: Path
) -> None:
    ref = server.seed.first_reply()  # José: a CC'd colleague? no: an attachment and a quote
    lead = server.seed.lead(ref.lead_id)
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        jump_to(screen, f"{lead.campaign_id}:{lead.lead_id}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ThreadScreen))
        thread = app.screen
        assert isinstance(thread, ThreadScreen)
        await wait_until(pilot, lambda: thread.history_fresh)
        cards = [str(card.render()) for card in thread.query(MessageCard)]
        expected = sorted(lead.history, key=lambda m: m.time)
        assert len(cards) == len(expected)
        for card, message in zip(cards, expected, strict=True):
            label = "◀ REPLY from" if message.type == "REPLY" else "▶ SENT to"
            assert card.startswith(label)
            assert message.time.strftime("%d %b %Y %H:%M").lstrip("0") in card
        reply_card = cards[-1]
        assert "Attachment: requirements – Q4.pdf (application/pdf, 47 KB)" in reply_card
        assert "quoted lines folded — press z to show" in reply_card
        assert "<p>" not in reply_card
        await pilot.press("z")
        reply_card = str(list(thread.query(MessageCard))[-1].render())
        assert "> On " in reply_card and "folded" not in reply_card
        await pilot.press("z")
        assert "folded" in str(list(thread.query(MessageCard))[-1].render())
        assert thread.query_one(MessageView).has_focus
        assert [
            r.path for r in server.requests
            if r.method == "GET" and not r.path.endswith("/leads/fetch-categories")
        ] == [f"/api/v1/campaigns/{lead.campaign_id}/leads/{lead.lead_id}/message-history"]
        await pilot.press("escape")
        assert app.screen is screen


async def test_thread_shows_cc_and_keeps_markup_literal(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path)
    zoe = server.seed.find_lead("Zoë")
    urgent = server.seed.find_lead("Daniel Kim")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("end")  # the last row: loads page 2, where Zoë is
        await wait_until(pilot, lambda: screen.inbox_query.exhausted and not screen.page_busy)
        jump_to(screen, f"{zoe.campaign_id}:{zoe.lead_id}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ThreadScreen))
        thread = app.screen
        assert isinstance(thread, ThreadScreen)
        text = "\n".join(str(card.render()) for card in thread.query(MessageCard))
        assert "CC: ops@brontecapital.co.uk" in text
        await pilot.press("escape")
        jump_to(screen, f"{urgent.campaign_id}:{urgent.lead_id}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ThreadScreen))
        thread = app.screen
        assert isinstance(thread, ThreadScreen)
        text = "\n".join(str(card.render()) for card in thread.query(MessageCard))
        assert "Subject: [URGENT] pricing question" in text


async def test_next_and_previous_conversation_from_inside_a_thread(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path)
    order = expected_order(server)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ThreadScreen))
        thread = app.screen
        assert isinstance(thread, ThreadScreen)
        assert conversation_key(thread.conversation) == order[0]
        await pilot.press("n")
        assert conversation_key(thread.conversation) == order[1]
        await pilot.press("n")
        assert conversation_key(thread.conversation) == order[2]
        title = str(thread.query_one("#thread-title", Static).render())
        assert "conversation 3 of 20+" in title
        await pilot.press("p")
        assert conversation_key(thread.conversation) == order[1]
        await pilot.press("p", "p")  # already at the first: stays
        assert conversation_key(thread.conversation) == order[0]
        await pilot.press("n")
        await pilot.press("escape")
        assert screen.table.cursor_key == order[1]  # the list follows


async def test_the_long_thread_opens_in_full(server: SandboxServer, tmp_path: Path) -> None:
    long_lead = server.seed.long_thread()
    app = make_app(server, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot)
        await move_to(pilot, screen, f"{long_lead.campaign_id}:{long_lead.lead_id}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ThreadScreen))
        thread = app.screen
        assert isinstance(thread, ThreadScreen)
        view = thread.query_one(MessageView)
        # The newest cards paint first; the older ones are mounted right after.
        await wait_until(pilot, lambda: view.complete)
        assert len(thread.query(MessageCard)) == len(long_lead.history)
        times = [m.time for m in thread.query_one(MessageView).messages]
        assert times == sorted(times)
        assert thread.query_one(MessageView).scroll_y > 0  # newest in view


async def test_thread_read_error_keeps_the_inbox_copy(
    server: SandboxServer, tmp_path: Path
) -> None:
    server.add_fault("404", path="/message-history", times=1)
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ThreadScreen))
        thread = app.screen
        assert isinstance(thread, ThreadScreen)
        await wait_until(pilot, lambda: thread.error is not None)
        status = str(thread.query_one("#thread-status", Static).render())
        assert "Could not read the thread" in status
        assert "Showing the inbox's copy" in status
        assert len(thread.query(MessageCard)) == len(thread.conversation.history)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: thread.history_fresh)
        assert thread.error is None


# -- reply ----------------------------------------------------------------------------------------


def expected_prefill(server: SandboxServer, lead_id: int) -> dict[str, Any]:
    lead = server.seed.lead(lead_id)
    reply = lead.replies()[-1]
    wire = Message.from_api(reply.to_json())
    lead_is_sender = reply.from_email == lead.email
    campaign = server.seed.campaign(lead.campaign_id)
    subject = reply.subject if reply.subject.lower().startswith("re:") else f"Re: {reply.subject}"
    return {
        "campaign_id": lead.campaign_id,
        "campaign_name": campaign.name,
        "lead_id": lead.lead_id,
        "lead_label": f"{lead.first_name} {lead.last_name} <{lead.email}>",
        "lead_category_id": lead.category_id,
        "email_stats_id": reply.stats_id,
        "thread_id": None,
        "to_email": reply.from_email,
        "to_first_name": lead.first_name if lead_is_sender else "",
        "to_last_name": lead.last_name if lead_is_sender else "",
        "reply_message_id": reply.message_id,
        "reply_email_body": reply.email_body,
        "reply_email_time": wire.time,
        "subject": subject,
    }


async def test_list_thread_reply_prefills_every_field(
    server: SandboxServer, tmp_path: Path
) -> None:
    ref = server.seed.first_reply()
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        jump_to(screen, f"{ref.campaign_id}:{ref.lead_id}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ThreadScreen))
        thread = app.screen
        assert isinstance(thread, ThreadScreen)
        await wait_until(pilot, lambda: thread.history_fresh)
        await pilot.press("r")
        assert app.prefills == [expected_prefill(server, ref.lead_id)]
        prefill = app.prefills[0]
        assert prefill["email_stats_id"] == ref.stats_id
        assert prefill["reply_email_time"] == "2026-11-22T" + prefill["reply_email_time"][11:]


async def test_reply_from_the_list_goes_to_the_colleague_who_answered(
    server: SandboxServer, tmp_path: Path
) -> None:
    colleague = server.seed.colleague_reply()
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        await move_to(pilot, screen, f"{colleague.campaign_id}:{colleague.lead_id}")
        await pilot.press("r")
        assert app.prefills == [expected_prefill(server, colleague.lead_id)]
        prefill = app.prefills[0]
        assert prefill["to_email"] == colleague.from_email == "anna.schmidt@nordlicht-pay.de"
        assert prefill["lead_label"] == "Tom Becker <tom.becker@nordlicht-pay.de>"
        assert prefill["to_first_name"] == ""  # not "Tom"
        reads = [r for r in server.requests if not r.path.endswith("/leads/fetch-categories")]
        assert reads[-1].path.endswith("/master-inbox/inbox-replies")  # no extra read


async def test_reply_keys_are_remappable(server: SandboxServer, tmp_path: Path) -> None:
    app = make_app(server, tmp_path, keymap={"inbox.reply": "e", "inbox.down": "ctrl+n"})
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("ctrl+n")
        assert screen.table.cursor_row == 1
        await pilot.press("r")
        assert app.prefills == []
        await pilot.press("e")
        assert len(app.prefills) == 1
        assert app.prefills[0]["email_stats_id"]


async def test_a_keymap_entry_for_no_binding_is_reported_at_start(
    server: SandboxServer, tmp_path: Path
) -> None:
    """`keymap.inbox-reply` used to be taken silently and then did nothing."""
    app = make_app(server, tmp_path, keymap={"inbox-reply": "e", "inbox.down": "ctrl+n"})
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        messages = app.startup_warnings  # what the app's own on_mount shows as toasts
        assert any(
            "keymap.inbox-reply: no key binding has the id 'inbox-reply'; did you mean "
            "'inbox.reply'" in m
            for m in messages
        ), messages
        await pilot.press("ctrl+n")  # the good entry still applies
        assert screen.table.cursor_row == 1


async def test_help_explains_the_row_marks(server: SandboxServer, tmp_path: Path) -> None:
    """F1 listed keys only: nothing said what the inbox's ● and ! mean."""
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one(Static).render())
        assert "Marks in the list" in text
        for mark, words in (("●", "unread"), ("!", "important"), ("NEW", "arrived")):
            assert any(line.split()[:1] == [mark] and words in line for line in text.splitlines())


async def test_palette_compose_replies_to_the_selected_conversation(
    server: SandboxServer, tmp_path: Path
) -> None:
    """The palette's Compose opened a blank form that needed a campaign id and a stats id."""
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        current = screen.table.current
        assert current is not None
        [command] = [c for c in app.get_system_commands(screen) if "Compose" in c.title]
        assert command.title == f"Compose a reply to {current.lead_name or current.lead_email}"
        command.callback()
        await wait_until(pilot, lambda: len(app.prefills) == 1)
        prefill = app.prefills[0]
        assert prefill is not None and prefill["email_stats_id"] and prefill["campaign_id"]


async def test_toasts_in_a_thread_leave_the_newest_message_visible(
    server: SandboxServer, tmp_path: Path
) -> None:
    """In a thread the newest message is at the bottom, where toasts used to stack."""
    from textual.widgets._toast import Toast

    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await loaded(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ThreadScreen))
        app.notify("Something happened.")
        await wait_until(pilot, lambda: bool(app.screen.query(Toast)))
        await pilot.pause()
        toast = app.screen.query_one(Toast)
        assert toast.region.bottom <= 24 // 2, toast.region


async def test_help_lists_the_inbox_and_thread_keys(server: SandboxServer, tmp_path: Path) -> None:
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one(Static).render())
        for description in ("Open", "Reply", "Search", "Campaign", "Next row", "Unread view"):
            assert description in text
        await pilot.press("escape", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ThreadScreen))
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one(Static).render())
        for description in ("Back", "Reply", "Next", "Previous", "Quotes", "Scroll down"):
            assert description in text


# -- reply end to end, with the real compose screen -----------------------------------------------


@pytest.mark.skipif(not _compose_available(), reason="the compose screen is not in the tree yet")
async def test_reply_is_sent_once_to_the_right_thread_and_shows_in_it(
    server: SandboxServer, tmp_path: Path
) -> None:
    from textual.widgets import TextArea

    from smartlead_tui.tui.screens.compose import ComposeScreen

    colleague = server.seed.colleague_reply()
    app = make_app(server, tmp_path, cls=InboxTestApp, undo_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot)
        await move_to(pilot, screen, f"{colleague.campaign_id}:{colleague.lead_id}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ThreadScreen))
        thread = app.screen
        assert isinstance(thread, ThreadScreen)
        await wait_until(pilot, lambda: thread.history_fresh)
        shown_before = len(thread.query(MessageCard))
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        compose = app.screen
        await pilot.pause()
        # Every field the inbox prefilled is on the form as it was handed over.
        shown = compose.form.get_fields()
        for key, value in expected_prefill(server, colleague.lead_id).items():
            if key != "thread_id":
                assert shown[key] == value, key
        body = compose.query_one("#body", TextArea)
        body.focus()
        body.insert("Thanks Anna — details below.")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is not compose)  # the review modal
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(server.posts("send-email-thread")) == 1, timeout=10)
        await wait_until(pilot, lambda: getattr(compose, "phase", "") == "done", timeout=10)
        post = server.posts("send-email-thread")[0].json
        assert post["emailStatsId"] == server.seed.latest_reply(colleague.lead_id).stats_id
        assert post["toEmail"] == "anna.schmidt@nordlicht-pay.de"
        assert post["campaignId"] == colleague.campaign_id
        assert post["replyMessageId"] == server.seed.latest_reply(colleague.lead_id).message_id
        assert post["emailBody"].startswith("<p>Thanks Anna")  # minimal HTML (issue 11 item 7)
        # Sent: back on the inbox (the thread closed too), the next conversation selected.
        replied = f"{colleague.campaign_id}:{colleague.lead_id}"
        keys = screen.table.ordered_keys()
        await wait_until(pilot, lambda: app.screen is screen)
        if keys.index(replied) + 1 < len(keys):
            assert screen.table.cursor_key == keys[keys.index(replied) + 1]
        await move_to(pilot, screen, replied)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ThreadScreen))
        thread = app.screen
        assert isinstance(thread, ThreadScreen)
        await wait_until(pilot, lambda: len(thread.query(MessageCard)) == shown_before + 1)
        last = str(list(thread.query(MessageCard))[-1].render())
        assert "Thanks Anna — details below." in last
        assert len(server.posts("send-email-thread")) == 1
