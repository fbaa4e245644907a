"""The inbox: the app's home. Pick a conversation, read it, reply, next.

Rows come from the master inbox 20 at a time (the API's cap), newest reply first; the next page
loads as the cursor nears the end. A timer refreshes the first page in the background (within
the request budget, so it never delays a send) and merges it in place: new rows are marked and
the cursor stays on the conversation it was on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from smartlead_tui.api.errors import (
    ApiError,
    AuthError,
    NetworkError,
    RateLimitedError,
    ServerError,
)
from smartlead_tui.api.models import Conversation
from smartlead_tui.inbox import (
    VIEWS,
    InboxQuery,
    NoReplyError,
    conversation_key,
    latest_reply,
    merge_refresh,
    reply_prefill,
)
from smartlead_tui.tui.binding_ids import bound_key
from smartlead_tui.tui.categories import CategoriesLoaded, CategoryHolder, category_names
from smartlead_tui.tui.widgets.conversation_list import ConversationList
from smartlead_tui.tui.widgets.inbox_bar import InboxViewBar
from smartlead_tui.tui.widgets.inbox_state import InboxPlaceholder, InboxStatusLine
from smartlead_tui.tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from smartlead_tui.tui.app import SmartleadApp

_VIEW_KEYS = [str(n) for n in range(1, len(VIEWS) + 1)]


def screen_clock(screen: Screen[Any], override: Callable[[], datetime] | None) -> datetime:
    """Now, from the screen's injected clock, else the app's `clock` attribute, else the OS.

    Tests and snapshots inject a fixed clock so relative times never change run to run.
    """
    clock = override or getattr(screen.app, "clock", None)
    value = clock() if callable(clock) else datetime.now(UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def app_zone(screen: Screen[Any]) -> tzinfo:
    """The configured display zone; UTC if the setting is unusable (never crash the inbox)."""
    try:
        return screen.app.timezone  # type: ignore[attr-defined]
    except Exception:
        return UTC


def api_client(screen: Screen[Any]) -> Any:
    """The app's shared client; a missing key becomes the same error a rejected one gives."""
    try:
        return screen.app.client  # type: ignore[attr-defined]
    except ValueError as exc:  # SmartLeadClient refuses to exist without a key
        raise AuthError(
            "No API key is configured. Set one in Settings (F2) or with "
            "`smartlead-tui config set api_key …`."
        ) from exc


def report_worker_failure(screen: Screen[Any], event: Worker.StateChanged) -> bool:
    """A bug in a worker must not end the app with a traceback: say so, stay usable."""
    if event.state != WorkerState.ERROR:
        return False
    error = event.worker.error
    screen.notify(
        f"Something went wrong ({type(error).__name__}: {error}). The screen stays usable; "
        "try again, and please report this.",
        title="Unexpected error",
        severity="error",
        markup=False,
    )
    return True


class CampaignPicker(ModalScreen[tuple[int | None, str] | None]):
    """Choose a campaign to filter by (the campaigns seen in the inbox so far)."""

    DEFAULT_CSS = """
    CampaignPicker { align: center middle; }
    CampaignPicker > Vertical {
        width: 60; max-width: 100%; height: auto; max-height: 80%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    CampaignPicker #picker-title { padding: 0 1; text-style: bold; }
    CampaignPicker OptionList { height: auto; max-height: 16; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="campaign-picker.cancel"),
    ]

    def __init__(self, campaigns: dict[int, str], current: int | None) -> None:
        super().__init__()
        self.campaigns = dict(sorted(campaigns.items(), key=lambda item: item[1].casefold()))
        self.current = current

    def compose(self) -> ComposeResult:
        options = [Option(Text("All campaigns"), id="all")]
        for campaign_id, name in self.campaigns.items():
            options.append(Option(Text(f"{name}  ({campaign_id})"), id=str(campaign_id)))
        with Vertical():
            yield Static("Filter by campaign (enter picks, escape cancels)", id="picker-title")
            yield OptionList(*options, id="campaign-options")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current is not None:
            try:
                options.highlighted = options.get_option_index(str(self.current))
            except Exception:
                options.highlighted = 0
        else:
            options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id or "all"
        if option_id == "all":
            self.dismiss((None, ""))
            return
        campaign_id = int(option_id)
        self.dismiss((campaign_id, self.campaigns.get(campaign_id, "")))

    def action_cancel(self) -> None:
        self.dismiss(None)


class InboxScreen(Screen[None]):
    """Conversations, newest reply first; views, campaign filter and search; triage keys."""

    #: Seconds between background refreshes of the first page (2 requests a minute at most).
    refresh_seconds: ClassVar[float] = 30.0
    #: Waits before retrying a failed load; the last one repeats.
    retry_delays: ClassVar[tuple[float, ...]] = (8.0, 15.0, 30.0, 60.0)
    #: Rows from the end at which the next page is fetched.
    prefetch_margin: ClassVar[int] = 5
    search_debounce: ClassVar[float] = 0.35
    #: The retry countdown's clock (read through the class, so a test can hold it still).
    countdown_clock: ClassVar[Callable[[], float]] = time.monotonic
    #: A background refresh is skipped while the last minute used more than this share of the
    #: request budget (sends and status polling come first).
    refresh_budget_share: ClassVar[float] = 0.6

    DEFAULT_CSS = """
    InboxScreen #inbox-search { display: none; height: 3; margin: 0 1; }
    InboxScreen #inbox-search.visible { display: block; }
    InboxScreen #inbox-list { height: 1fr; }
    InboxScreen #inbox-placeholder { display: none; }
    InboxScreen.placeholder #inbox-list { display: none; }
    InboxScreen.placeholder #inbox-placeholder { display: block; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="inbox.open"),
        Binding("r", "reply", "Reply", id="inbox.reply"),
        Binding("slash", "search", "Search", id="inbox.search"),
        Binding("v", "next_view", "View", id="inbox.next-view"),
        Binding("c", "pick_campaign", "Campaign", id="inbox.campaign"),
        Binding("ctrl+r", "reload", "Refresh", id="inbox.refresh", show=False),
        Binding("escape", "back", "Back", id="inbox.back"),
        Binding("j", "cursor_down", "Next row", id="inbox.down", show=False),
        Binding("k", "cursor_up", "Previous row", id="inbox.up", show=False),
        *[
            Binding(key, f"view('{view}')", f"{label} view", id=f"inbox.view-{view}", show=False)
            for key, (view, label) in zip(_VIEW_KEYS, VIEWS.items(), strict=True)
        ],
    ]

    def __init__(
        self, *, clock: Callable[[], datetime] | None = None, query: InboxQuery | None = None
    ) -> None:
        super().__init__()
        self._clock = clock
        self.inbox_query = query or InboxQuery()
        self.campaigns: dict[int, str] = {}
        self.busy = False
        self.page_busy = False
        self.error: ApiError | None = None
        self.last_update: datetime | None = None
        self._retry_count = 0
        self._retry_deadline = 0.0
        self._retry_timer: Timer | None = None
        self._countdown: Timer | None = None
        self._search_timer: Timer | None = None
        self._refresh_note = ""
        self._refresh_warning = False

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield InboxViewBar(id="inbox-views")
        yield Input(placeholder="Search leads by name or email", id="inbox-search")
        yield ConversationList(id="inbox-list")
        yield InboxPlaceholder(id="inbox-placeholder")
        yield InboxStatusLine(id="inbox-status")
        yield KeyFooter()

    @property
    def table(self) -> ConversationList:
        return self.query_one("#inbox-list", ConversationList)

    @property
    def search_input(self) -> Input:
        return self.query_one("#inbox-search", Input)

    def now(self) -> datetime:
        return screen_clock(self, self._clock)

    def on_mount(self) -> None:
        app: SmartleadApp = self.app  # type: ignore[assignment]
        self.title = "Inbox"
        self.sub_title = "demo sandbox" if getattr(app, "demo", False) else ""
        table = self.table
        table.clock = self.now
        table.zone = app_zone(self)
        self._use_categories()
        self._show_bar()
        self.load_first_page()
        self.set_interval(self.refresh_seconds, self._refresh_tick, name="inbox-refresh")
        self.set_interval(60.0, table.refresh_times, name="inbox-relative-times")
        table.focus()

    def on_screen_resume(self) -> None:
        if not self.search_input.has_focus:
            self.table.focus()
        self._status()

    def on_settings_changed(self, message: Any) -> None:
        """Another key, profile or demo/real switch (app `SettingsChanged`): start over."""
        self.sub_title = "demo sandbox" if getattr(self.app, "demo", False) else ""
        self.table.zone = app_zone(self)
        self._use_categories()
        self.campaigns.clear()
        self.table.replace_all([])
        self._set_query(self.inbox_query.restarted())

    def _use_categories(self) -> None:
        """The account's category names (cached at once, fresh ones repaint when they come)."""
        holder = getattr(self.app, "categories", None)
        self.table.categories = category_names(self.app)
        if isinstance(holder, CategoryHolder):
            self.table.on_unknown_category = holder.unknown_seen

    def on_categories_loaded(self, message: CategoriesLoaded) -> None:
        self.table.set_categories(category_names(self.app))

    def _show_bar(self) -> None:
        keys = [
            bound_key(self, f"inbox.view-{view}", key)
            for key, view in zip(_VIEW_KEYS, VIEWS, strict=True)
        ]
        self.query_one(InboxViewBar).show_query(self.inbox_query, keys)

    # -- states ------------------------------------------------------------------------------

    def _placeholder(self, state: str, title: str, detail: str = "") -> None:
        self.query_one(InboxPlaceholder).show_state(state, title, detail)
        if self.focused is self.table:
            # Hidden now; let the screen take the keys rather than focus drifting to search.
            self.set_focus(None)
        self.add_class("placeholder")

    def _show_table(self) -> None:
        self.remove_class("placeholder")
        if self.focused is None:
            self.table.focus()

    def _status(self) -> None:
        """Rewrite the status line from the current state."""
        table = self.table
        query = self.inbox_query
        parts = [query.describe()]
        if table.row_count:
            count = table.row_count
            noun = "conversation" if count == 1 else "conversations"
            more = "" if query.exhausted else " (more below)"
            if self.page_busy:
                more = " (loading more…)"
            parts.append(f"{count} {noun}{more}")
        new = len(table.new_keys)
        if new:
            parts.append(f"{new} new")
        if self.last_update is not None:
            parts.append(f"updated {self.last_update.astimezone(table.zone):%H:%M}")
        if self._refresh_note:
            parts.append(self._refresh_note)
        self.query_one(InboxStatusLine).show(" · ".join(parts), warning=self._refresh_warning)

    def _show_empty(self) -> None:
        query = self.inbox_query
        if query.is_filtered:
            escape = bound_key(self, "inbox.back", "escape")
            detail = f"Nothing in {query.describe()}. Press {escape} to clear the filters."
        elif query.view == "inbox":
            detail = "No lead has replied yet. New replies appear here by themselves."
        else:
            detail = f"The {query.view_label} view is empty."
        self._placeholder("empty", "No replies match", detail)

    def _show_error(self, error: ApiError) -> None:
        from smartlead_tui.tui.wording import in_app_words

        refresh = bound_key(self, "inbox.refresh", "ctrl+r")
        if isinstance(error, AuthError):
            self._placeholder(
                "error",
                "No API key" if isinstance(error.__cause__, ValueError) else "API key rejected",
                f"{in_app_words(error.message)}\nFix the key, then press {refresh} to try again.",
            )
            return
        remaining = max(0, math.ceil(self._retry_deadline - type(self).countdown_clock()))
        if isinstance(error, NetworkError):
            what = "SmartLead unreachable"
        elif isinstance(error, RateLimitedError):
            what = "SmartLead is rate limiting us"
        elif isinstance(error, ServerError):
            what = "SmartLead had a server error"
        else:
            what = "SmartLead's answer was not usable"
        self._placeholder(
            "error",
            f"{what} — retrying in {remaining} s",
            f"{error.message}\nPress {refresh} to retry now.",
        )

    # -- loading -----------------------------------------------------------------------------

    def _remember_campaigns(self, rows: list[Conversation]) -> None:
        for row in rows:
            if row.campaign_id is not None and row.campaign_name:
                self.campaigns[row.campaign_id] = row.campaign_name

    @work(exclusive=True, group="inbox-load", exit_on_error=False)
    async def load_first_page(self) -> None:
        """First page of the current query: replaces the rows (view, search or filter changed)."""
        query = self.inbox_query
        self._cancel_retry()
        self.busy = True
        if not self.table.row_count or self.error is not None:
            self._placeholder("loading", "Loading conversations…", query.describe())
        try:
            rows = await api_client(self).inbox_replies(
                view=query.view, offset=0, limit=query.page_size, filters=query.filters
            )
        except ApiError as error:
            if query.generation == self.inbox_query.generation:
                self._load_failed(error)
            return
        finally:
            self.busy = False
        if query.generation != self.inbox_query.generation:
            return  # the query changed while this page was on its way
        holder = getattr(self.app, "categories", None)
        if isinstance(holder, CategoryHolder) and not self.table.categories.loaded:
            # First start (nothing cached): names, not "#1", on the first screen if they come soon.
            self.table.categories = await holder.ready()
            if query.generation != self.inbox_query.generation:
                return
        self.error = None
        self._retry_count = 0
        self._refresh_note = ""
        self._refresh_warning = False
        self._remember_campaigns(rows)
        self.inbox_query = query.after_page(len(rows))
        self.last_update = self.now()
        table = self.table
        table.replace_all(rows)
        if rows:
            self._show_table()
            if not self.search_input.has_focus:
                table.focus()
        else:
            self._show_empty()
        self._status()
        self.refresh_bindings()

    def _load_failed(self, error: ApiError) -> None:
        self.error = error
        self._refresh_note = ""
        if isinstance(error, AuthError):
            self._show_error(error)
            self._status()
            self.refresh_bindings()
            return
        delay = self.retry_delays[min(self._retry_count, len(self.retry_delays) - 1)]
        self._retry_count += 1
        self._retry_deadline = type(self).countdown_clock() + delay
        self._retry_timer = self.set_timer(delay, self.load_first_page, name="inbox-retry")
        self._countdown = self.set_interval(1.0, self._tick_countdown, name="inbox-countdown")
        self._show_error(error)
        self._status()
        self.refresh_bindings()

    def _tick_countdown(self) -> None:
        if self.error is not None and not isinstance(self.error, AuthError):
            self._show_error(self.error)

    def _cancel_retry(self) -> None:
        for timer in (self._retry_timer, self._countdown):
            if timer is not None:
                timer.stop()
        self._retry_timer = self._countdown = None

    def _maybe_next_page(self) -> None:
        query = self.inbox_query
        table = self.table
        if query.exhausted or self.page_busy or self.busy or self.error is not None:
            return
        if not table.row_count or table.cursor_row < table.row_count - self.prefetch_margin:
            return
        self.load_next_page()

    @work(exclusive=True, group="inbox-page", exit_on_error=False)
    async def load_next_page(self) -> None:
        """The next 20 rows, appended (rows that moved up a page are updated, not repeated)."""
        query = self.inbox_query
        if query.exhausted:
            return
        self.page_busy = True
        self._status()
        try:
            rows = await api_client(self).inbox_replies(
                view=query.view,
                offset=query.next_offset,
                limit=query.page_size,
                filters=query.filters,
            )
        except ApiError as error:
            self._refresh_note = f"could not load more: {error.message}"
            self._refresh_warning = True
            return
        finally:
            self.page_busy = False
            self._status()
        if query.generation != self.inbox_query.generation:
            return
        self._remember_campaigns(rows)
        self.inbox_query = self.inbox_query.after_page(len(rows))
        self.table.append(rows)
        self._refresh_note = ""
        self._refresh_warning = False
        self._status()

    def _refresh_tick(self) -> None:
        if self.busy or self.error is not None:
            return  # a load or its retry is already under way
        try:
            budget = api_client(self).budget
        except ApiError:
            return
        if budget.used_last_minute() > budget.per_minute * self.refresh_budget_share:
            return
        self.refresh_first_page()

    @work(exclusive=True, group="inbox-refresh", exit_on_error=False)
    async def refresh_first_page(self) -> None:
        """Background refresh: merge the first page in place and mark new conversations."""
        query = self.inbox_query
        try:
            rows = await api_client(self).inbox_replies(
                view=query.view,
                offset=0,
                limit=query.page_size,
                filters=query.filters,
                background=True,
            )
        except ApiError as error:
            self._refresh_note = f"refresh failed: {error.message}"
            self._refresh_warning = True
            self._status()
            return
        if query.generation != self.inbox_query.generation or self.busy:
            return
        self._apply_refresh(rows)

    def _apply_refresh(self, rows: list[Conversation]) -> None:
        table = self.table
        self._remember_campaigns(rows)
        merge = merge_refresh(table.conversations, rows)
        was_empty = not table.row_count
        table.merge(merge.added, merge.changed, merge.new_reply_keys)
        if merge.added:
            # Rows arrived at the top: every later row moved down the server's list.
            self.inbox_query = self.inbox_query.shifted(len(merge.added))
        self.last_update = self.now()
        self._refresh_note = ""
        self._refresh_warning = False
        if table.row_count and was_empty:
            self._show_table()
        self._status()

    # -- events ------------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if report_worker_failure(self, event):
            self.busy = self.page_busy = False
            if not self.table.row_count:
                self._placeholder(
                    "error",
                    "The inbox could not be shown",
                    f"{type(event.worker.error).__name__}: {event.worker.error}",
                )

    @on(DataTable.RowHighlighted, "#inbox-list")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._maybe_next_page()

    @on(DataTable.RowSelected, "#inbox-list")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    @on(Input.Changed, "#inbox-search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(self.search_debounce, self._apply_search)

    @on(Input.Submitted, "#inbox-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._apply_search()
        self._leave_search()

    def _apply_search(self) -> None:
        text = self.search_input.value.strip()
        if text == self.inbox_query.search:
            return
        self._set_query(self.inbox_query.with_search(text))

    def _set_query(self, query: InboxQuery) -> None:
        self.inbox_query = query
        self.error = None
        self._retry_count = 0
        self.table.new_keys.clear()
        self._show_bar()
        self.load_first_page()
        self.refresh_bindings()

    def _leave_search(self) -> None:
        if not self.search_input.value.strip():
            self.search_input.remove_class("visible")
        if self.has_class("placeholder"):
            self.set_focus(None)  # the table is hidden: the screen takes the keys
        else:
            self.table.focus()
        self.refresh_bindings()

    # -- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in ("back", "open", "reply"):
            return True
        if not self.query("#inbox-list"):
            return None  # asked before compose (the footer can): shown, not yet usable
        if action == "back":
            return self.search_input.has_focus or self.inbox_query.is_filtered
        return self.table.current is not None

    def action_cursor_down(self) -> None:
        self.table.action_cursor_down()

    def action_cursor_up(self) -> None:
        self.table.action_cursor_up()

    def action_view(self, view: str) -> None:
        if view in VIEWS and view != self.inbox_query.view:
            self._set_query(self.inbox_query.with_view(view))

    def action_next_view(self) -> None:
        views = list(VIEWS)
        index = views.index(self.inbox_query.view)
        self.action_view(views[(index + 1) % len(views)])

    def action_search(self) -> None:
        field = self.search_input
        field.add_class("visible")
        field.focus()
        self.refresh_bindings()

    def action_back(self) -> None:
        """escape: leave the search field; then clear search and campaign filter. With nothing
        listed there is nowhere to leave the field for, so it clears at once."""
        nothing_listed = self.has_class("placeholder") and self.inbox_query.is_filtered
        if self.search_input.has_focus and not nothing_listed:
            self._leave_search()
            return
        if self.inbox_query.is_filtered:
            self.search_input.value = ""
            self.search_input.remove_class("visible")
            if self._search_timer is not None:
                self._search_timer.stop()
            self._set_query(self.inbox_query.with_search("").with_campaign(None))

    def action_reload(self) -> None:
        self._set_query(self.inbox_query.restarted())

    def action_pick_campaign(self) -> None:
        campaigns = dict(self.campaigns)
        if not campaigns:
            self.notify("No campaigns seen yet: load some conversations first.", markup=False)
            return

        def picked(choice: tuple[int | None, str] | None) -> None:
            if choice is None:
                return
            campaign_id, name = choice
            if campaign_id != self.inbox_query.campaign_id:
                self._set_query(self.inbox_query.with_campaign(campaign_id, name))

        self.app.push_screen(CampaignPicker(campaigns, self.inbox_query.campaign_id), picked)

    def action_open(self) -> None:
        conversation = self.table.current
        if conversation is None:
            return
        from smartlead_tui.tui.screens.thread import ThreadScreen

        self.conversation_opened(conversation_key(conversation))
        self.app.push_screen(ThreadScreen(conversation, navigator=self, clock=self._clock))

    def action_reply(self) -> None:
        conversation = self.table.current
        if conversation is None:
            return
        if latest_reply(conversation.history) is not None:
            self.open_reply(conversation, list(conversation.history))
        else:
            self.fetch_and_reply(conversation)

    @work(exclusive=True, group="inbox-reply", exit_on_error=False)
    async def fetch_and_reply(self, conversation: Conversation) -> None:
        """The row came without history: read the thread first, then prefill from it."""
        if conversation.campaign_id is None or conversation.lead_id is None:
            self.notify(
                "This conversation has no campaign or lead id; open it from SmartLead instead.",
                severity="warning",
                markup=False,
            )
            return
        try:
            history = await api_client(self).message_history(
                conversation.campaign_id, conversation.lead_id
            )
        except ApiError as error:
            self.notify(
                error.message, title="Could not read the thread", severity="error", markup=False
            )
            return
        self.open_reply(conversation, history)

    def open_reply(self, conversation: Conversation, history: list[Any]) -> None:
        """Hand compose the prefilled fields (or explain why there is nothing to answer)."""
        try:
            prefill = reply_prefill(conversation, history)
        except NoReplyError as error:
            self.notify(str(error), title="Nothing to reply to", severity="warning", markup=False)
            return
        self.app.open_compose(prefill)  # type: ignore[attr-defined]

    # -- thread navigation (used by the thread view) -------------------------------------------

    def conversation_opened(self, key: str) -> None:
        self.table.select_key(key)
        self.table.mark_read(key)
        self._status()

    def select_next_conversation(self, answered: dict[str, Any] | None = None) -> None:
        """After a reply went to the outbox: the row below the one answered, ready for enter.

        `answered` are the reply's fields: their campaign and lead name the row, so a reply
        sent again after an undo (the cursor already moved on) does not skip a conversation.
        """
        key = None
        if answered and answered.get("lead_id") is not None:
            key = f"{answered.get('campaign_id')}:{answered.get('lead_id')}"
        if key is None or key not in self.table.conversations:
            current = self.table.current
            key = conversation_key(current) if current is not None else None
        if key is not None:
            self.table.select_key(key)
            self.table.neighbour(key, 1)
        self.table.focus()

    def step_conversation(self, key: str, delta: int) -> Conversation | None:
        """The conversation before/after `key` in the list (n/p in a thread), or None."""
        conversation = self.table.neighbour(key, delta)
        if conversation is None and delta > 0 and not self.inbox_query.exhausted:
            self.load_next_page()
        if conversation is not None:
            self.conversation_opened(conversation_key(conversation))
        return conversation

    def position_of(self, key: str) -> tuple[int, int, bool]:
        """(1-based position, rows loaded, more pages) for the thread's 'n of m' line."""
        keys = self.table.ordered_keys()
        index = keys.index(key) + 1 if key in keys else 0
        return index, len(keys), not self.inbox_query.exhausted
