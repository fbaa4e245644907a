"""One conversation, oldest message first: read it, reply (r), next/previous (n/p), back (escape).

The inbox row already carries the history, so the thread paints at once from it; a fresh
message history is then read in a worker and replaces it when it differs (new replies, or the
reply we just sent). Our own replies that SmartLead does not show yet come from the local
outbox, so a sent reply appears in the thread straight away.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, Protocol

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Header, Static
from textual.worker import Worker

from smartlead_tui.api.errors import ApiError
from smartlead_tui.api.models import Conversation, Message
from smartlead_tui.categories import is_do_not_contact
from smartlead_tui.inbox import (
    NoReplyError,
    conversation_key,
    lead_label,
    pending_outbox_entries,
    reply_prefill,
    zone_label,
)
from smartlead_tui.outbox.states import display_state, scheduled_messages
from smartlead_tui.tui.binding_ids import bound_key
from smartlead_tui.tui.categories import CategoriesLoaded, category_names
from smartlead_tui.tui.screens.inbox import (
    api_client,
    app_zone,
    report_worker_failure,
    screen_clock,
)
from smartlead_tui.tui.tracking import tracking_driver
from smartlead_tui.tui.widgets.key_footer import KeyFooter
from smartlead_tui.tui.widgets.message_view import MessageView


class ThreadNavigator(Protocol):
    """What the thread needs from the list it was opened from (the inbox screen)."""

    def step_conversation(self, key: str, delta: int) -> Conversation | None: ...

    def conversation_opened(self, key: str) -> None: ...

    def position_of(self, key: str) -> tuple[int, int, bool]: ...


class ThreadScreen(Screen[None]):
    """A conversation's messages, SENT and REPLY told apart by label and side."""

    #: Re-read the history this long after coming back from compose: SmartLead can take a
    #: moment to show a queued reply in the thread.
    after_send_recheck: ClassVar[float] = 6.0

    DEFAULT_CSS = """
    ThreadScreen #thread-title {
        height: auto;
        padding: 0 1;
        background: $panel;
    }
    ThreadScreen #thread-status {
        height: 1;
        padding: 0 1;
        color: $text-muted;
        background: $panel;
    }
    ThreadScreen #thread-status.error { color: $error; text-style: bold; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="thread.back"),
        Binding("r", "reply", "Reply", id="thread.reply"),
        Binding("n", "step(1)", "Next", id="thread.next"),
        Binding("p", "step(-1)", "Previous", id="thread.previous"),
        Binding("z", "toggle_quotes", "Quotes", id="thread.toggle-quotes"),
        Binding("ctrl+r", "reload", "Reload", id="thread.reload", show=False),
        Binding("j", "scroll_down", "Scroll down", id="thread.down", show=False),
        Binding("k", "scroll_up", "Scroll up", id="thread.up", show=False),
    ]

    def __init__(
        self,
        conversation: Conversation,
        *,
        navigator: ThreadNavigator | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.conversation = conversation
        self.navigator = navigator
        self._clock = clock
        self.history: list[Message] = list(conversation.history)
        self.history_fresh = False
        self.error: ApiError | None = None
        self._compose_opened = False
        self._shown_pending: list[tuple[Any, ...]] = []
        self._shown_scheduled: dict[str, float] = {}
        self._show_lock = asyncio.Lock()
        #: perf_counter() of the first paint with messages (read by the benchmark).
        self.painted_at: float | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="thread-title", markup=False)
        yield MessageView(id="thread-messages")
        yield Static("", id="thread-status", markup=False)
        yield KeyFooter()

    @property
    def view(self) -> MessageView:
        return self.query_one(MessageView)

    def now(self) -> datetime:
        return screen_clock(self, self._clock)

    async def on_mount(self) -> None:
        tracking_driver(self.app).subscribe(self)  # resolutions reach an open thread
        self.title = "Thread"
        self.sub_title = "demo sandbox" if getattr(self.app, "demo", False) else ""
        view = self.view
        view.zone = app_zone(self)
        view.show_key = bound_key(self, "thread.toggle-quotes", "z")
        await self._open_current()
        view.focus()

    async def _open_current(self) -> None:
        """Paint the conversation from what the list already has, then read it fresh."""
        self.history = list(self.conversation.history)
        self.history_fresh = False
        self.error = None
        self._title()
        if self.history:
            await self._show(self.history, self._pending())
            self._set_status("Checking for newer messages…")
            # Paint what we have first; the fresh read (and its parsing) comes right after.
            self.call_after_refresh(self._painted)
            self.call_after_refresh(self.load_history)
        else:
            await self._show([], [])
            self._set_status("Loading the thread…")
            self.load_history()

    async def _show(self, history: list[Message], pending: list[Any]) -> None:
        # One repaint at a time: an outbox change and a history read may both ask for one.
        async with self._show_lock:
            self._shown_pending = _pending_identity(pending)
            self._shown_scheduled = self._scheduled(history)
            await self.view.show(history, pending, scheduled=self._shown_scheduled)

    def _painted(self) -> None:
        if self.painted_at is None:
            self.painted_at = time.perf_counter()

    def _title(self) -> None:
        conversation = self.conversation
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(lead_label(conversation), style="bold")
        if conversation.campaign_name:
            line.append(f"  ·  {conversation.campaign_name}")
        second = Text(no_wrap=True, overflow="ellipsis", style="dim")
        if conversation.category_id is not None:
            # First on its line, so 80 columns never cut it off.
            names = category_names(self.app)
            known = names.get(conversation.category_id)
            warn = "⚠ " if known is not None and is_do_not_contact(known) else ""
            second.append(f"{warn}{names.label(conversation.category_id)}", style="bold")
            second.append("  ·  ")
        count = len(self.history)
        second.append(f"{count} message{'s' if count != 1 else ''}")
        second.append(f"  ·  times in {zone_label(self.view.zone, self.now())}")
        if self.navigator is not None:
            index, total, more = self.navigator.position_of(conversation_key(conversation))
            if index:
                second.append(f"  ·  conversation {index} of {total}{'+' if more else ''}")
        joined = Text("\n", no_wrap=True, overflow="ellipsis").join([line, second])
        self.query_one("#thread-title", Static).update(joined)  # one line each, cut at the edge

    def _set_status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#thread-status", Static)
        status.set_class(error, "error")
        status.update(Text(text, no_wrap=True, overflow="ellipsis"))

    def _entries(self) -> list[Any]:
        try:
            return self.app.store.list_entries(limit=200)  # type: ignore[attr-defined]
        except Exception:  # the store is a nicety here; a broken one must not hide the thread
            return []

    def _pending(self) -> list[Any]:
        """Our outbox entries for this thread that SmartLead's history does not show yet."""
        return pending_outbox_entries(self._entries(), self.conversation, self.history)

    def _scheduled(self, history: list[Message]) -> dict[str, float]:
        """History messages that are only scheduled (SmartLead lists them like sent ones)."""
        return scheduled_messages(self._entries(), history, now=self.now().timestamp())

    async def on_reply_status_changed(self, message: Any) -> None:
        """The outbox learnt something (an unknown send resolved, a scheduled reply went):
        this thread shows it now, not at its next read."""
        if not self.is_attached:
            return
        pending = self._pending()
        if (
            _pending_identity(pending) != self._shown_pending
            or self._scheduled(self.history) != self._shown_scheduled
        ):
            await self._show(self.history, pending)
        if getattr(message, "kind", "") in ("sent", "completed", "message-id"):
            self.load_history(background=True)

    # -- loading -------------------------------------------------------------------------------

    @work(exclusive=True, group="thread-history", exit_on_error=False)
    async def load_history(self, *, background: bool = False) -> None:
        conversation = self.conversation
        if conversation.campaign_id is None or conversation.lead_id is None:
            self._set_status("This row has no campaign or lead id: showing what the inbox sent.")
            return
        try:
            history = await api_client(self).message_history(
                conversation.campaign_id, conversation.lead_id, background=background
            )
        except ApiError as error:
            if conversation is not self.conversation:
                return
            self.error = error
            shown = "Showing the inbox's copy. " if self.history else ""
            reload_key = bound_key(self, "thread.reload", "ctrl+r")
            self._set_status(
                f"Could not read the thread: {error.message} {shown}{reload_key} retries.",
                error=True,
            )
            return
        if conversation is not self.conversation:
            return  # n/p moved on while this was loading
        self.error = None
        changed = _identity(history) != _identity(self.history)
        self.history = history
        self.history_fresh = True
        pending = self._pending()
        if (
            changed
            or _pending_identity(pending) != self._shown_pending
            or self._scheduled(history) != self._shown_scheduled
        ):
            await self._show(history, pending)
            self._title()
        self.call_after_refresh(self._painted)
        waiting = f"  ·  {len(pending)} of ours not in SmartLead's copy yet" if pending else ""
        self._set_status(f"Up to date{waiting}.")

    def on_unmount(self) -> None:
        tracking_driver(self.app).unsubscribe(self)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if report_worker_failure(self, event):
            self._set_status("Could not read the thread (unexpected error).", error=True)

    def on_screen_resume(self) -> None:
        """Back from compose: show the reply we (maybe) just sent."""
        if self._compose_opened:
            self._compose_opened = False
            self.load_history()
            self.set_timer(self.after_send_recheck, self._recheck)
        self.view.focus()

    def on_categories_loaded(self, message: CategoriesLoaded) -> None:
        self._title()

    def on_settings_changed(self, message: Any) -> None:
        """Another key or demo/real switch (app `SettingsChanged`): re-read with the new one."""
        self.view.zone = app_zone(self)
        self.load_history()

    def _recheck(self) -> None:
        if self.is_current:
            self.load_history(background=True)

    # -- actions -------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_reload(self) -> None:
        self._set_status("Reloading…")
        self.load_history()

    def action_scroll_down(self) -> None:
        self.view.scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.view.scroll_up(animate=False)

    def action_toggle_quotes(self) -> None:
        view = self.view
        if not view.quoted_count():
            self.notify("No quoted history in this thread.", markup=False)
            return
        folded = view.toggle_quotes()
        self._set_status("Quoted history folded." if folded else "Quoted history shown.")

    def action_reply(self) -> None:
        try:
            prefill = reply_prefill(self.conversation, self.history)
        except NoReplyError as error:
            self.notify(str(error), title="Nothing to reply to", severity="warning", markup=False)
            return
        self._compose_opened = True
        self.app.open_compose(prefill)  # type: ignore[attr-defined]

    async def action_step(self, delta: int) -> None:
        if self.navigator is None:
            self.notify("Opened on its own: there is no list to move through.", markup=False)
            return
        conversation = self.navigator.step_conversation(conversation_key(self.conversation), delta)
        if conversation is None:
            if delta > 0:
                _, _, more = self.navigator.position_of(conversation_key(self.conversation))
                message = "Loading more conversations…" if more else "This is the last one."
            else:
                message = "This is the first conversation."
            self.notify(message, markup=False)
            return
        self.conversation = conversation
        await self._open_current()


def _identity(history: list[Message]) -> list[tuple[str, str | None, str]]:
    return [(m.stats_id, m.message_id, m.time) for m in history]


def _pending_identity(entries: list[Any]) -> list[tuple[Any, ...]]:
    return [(getattr(e, "id", None), getattr(e, "state", None), display_state(e)) for e in entries]
