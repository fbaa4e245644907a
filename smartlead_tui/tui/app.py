"""The Textual application: screens, global bindings, and the one API client they share."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.notifications import Notify, SeverityLevel
from textual.screen import Screen

from smartlead_tui import __version__
from smartlead_tui.tui import crash_guard
from smartlead_tui.tui.screens.help import HelpScreen
from smartlead_tui.tui.screens.home import HomeScreen
from smartlead_tui.tui.toasts import TOAST_SECONDS, make_room
from smartlead_tui.tui.wording import in_app_words

if TYPE_CHECKING:
    from datetime import tzinfo

    from smartlead_tui.api.client import SmartLeadClient
    from smartlead_tui.config import Settings
    from smartlead_tui.outbox.sessions import SessionMarks
    from smartlead_tui.outbox.store import Store
    from smartlead_tui.tui.screens.compose import ComposeScreen


#: How long keys typed while the composer opens are held for it at most.
TYPEAHEAD_LIMIT_SECONDS = 2.0

#: The name the reused composer is installed under.
COMPOSER_SCREEN_NAME = "compose"


class SettingsChanged(Message):
    """Posted to every screen after the settings (key, profile, demo/real) were replaced."""


class SmartleadApp(App[int]):
    """Holds settings and the shared client; screens do the arranging and displaying."""

    TITLE = "smartlead-tui"
    SUB_TITLE = f"v{__version__}"
    CSS_PATH = Path(__file__).parent / "app.tcss"
    NOTIFICATION_TIMEOUT = TOAST_SECONDS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        Binding("f1", "help", "Help", id="help"),
        Binding("question_mark", "help", "Help", id="help-alt", show=False),
        Binding("f2", "settings", "Settings", id="settings"),
        Binding("ctrl+o", "open_outbox", "Outbox", id="open-outbox"),
        # Not a priority binding: a focused text field takes the letter first.
        Binding("u", "undo_send", "Undo", id="undo-send"),
        Binding("f3", "drafts", "Drafts", id="drafts", show=False),
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        warnings: list[str] | None = None,
        demo: bool = False,
        store_path: Path | None = None,
        account_settings: Settings | None = None,
        first_run: bool = False,
        config_error: str | None = None,
        compose: dict[str, Any] | None = None,
        screen: str | None = None,
        home: str = "inbox",
    ) -> None:
        """`account_settings` are the settings of the user's real account (no demo swap):
        the welcome and settings screens test and save against those."""
        super().__init__()
        self.settings = settings
        self.account_settings = account_settings or settings
        self.startup_warnings = list(warnings or [])
        self.demo = demo
        self.first_run = first_run
        self.config_error = config_error
        self._client: SmartLeadClient | None = None
        self._store: Store | None = None
        self.session_marks: SessionMarks | None = None
        self._ended_by_error = False
        #: Thread keys of the drafts composers opened this session (recovery leaves them out).
        self.opened_draft_keys: set[str] = set()
        self._store_path = store_path
        self.compose_prefill = compose
        self.start_screen = screen
        self.home = home  # "inbox", or "connection" (tests of other screens: no inbox traffic)
        self.send_driver: Any = None
        self._typeahead: list[str] | None = None
        self._spare_composer: ComposeScreen | None = None
        self.applied_keymap: dict[str, str] = {}
        from smartlead_tui.tui.categories import CategoryHolder
        from smartlead_tui.tui.tracking import TrackingDriver

        self.tracking = TrackingDriver(self)
        self.categories = CategoryHolder(self)
        self.crash_guard = crash_guard.CrashGuard(self)
        crash_guard.install()
        if settings.keymap:
            self.startup_warnings += self._use_keymap(dict(settings.keymap))

    @property
    def client(self) -> SmartLeadClient:
        """Created on first use so start-up does not pay for httpx."""
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    @property
    def store(self) -> Store:
        """The outbox/draft store (SQLite in the user data dir, or `store_path` in tests)."""
        if self._store is None:
            from smartlead_tui.config import data_dir
            from smartlead_tui.outbox.sessions import SessionMarks
            from smartlead_tui.outbox.store import STORE_FILENAME, Store

            path = self._store_path
            if path is None:
                path = (data_dir() / "demo" if self.demo else data_dir()) / STORE_FILENAME
            self._store = Store(path)
            # After the store's session lock: a crashed session's mark is read while alone.
            self.session_marks = SessionMarks(path)
            self.session_marks.begin()
        return self._store

    def _close_store(self) -> None:
        """The end of this session on the store. Only a clean end removes the session's mark:
        after an exception ended the app, the next start offers its drafts back."""
        if self.session_marks is not None:
            if not self._ended_by_error:
                self.session_marks.end()
            self.session_marks = None
        if self._store is not None:
            self._store.close()
            self._store = None

    @property
    def timezone(self) -> tzinfo:
        """The zone schedule times are typed and shown in (config `timezone`)."""
        from smartlead_tui.config import resolve_timezone

        return resolve_timezone(self.settings.timezone)

    def on_mount(self) -> None:
        from smartlead_tui.tui.screens.recovery import offer_recovery
        from smartlead_tui.tui.widgets.reply_sender import SendDriver

        self._apply_theme()
        self.push_screen(self._home_screen())
        self.send_driver = SendDriver(self)
        self.send_driver.start()
        self.tracking.start()
        self.categories.start()  # names ready before anyone reaches a review
        self.send_driver.changed.subscribe(self, self._outbox_changed)
        self.notify_config_warnings(self.startup_warnings)

        # A config error or the first run asks something first; what the last session left
        # behind is offered once that is answered, in whichever outbox the answer chose.
        def recover_next(_answer: object) -> None:
            offer_recovery(self)

        if self.config_error is not None:
            from smartlead_tui.tui.screens.settings import SettingsScreen

            self.push_screen(SettingsScreen(file_error=self.config_error), recover_next)
            return
        if self.first_run:
            from smartlead_tui.tui.screens.welcome import WelcomeScreen

            self.push_screen(WelcomeScreen(), recover_next)
            return
        if self.start_screen == "outbox":
            self.open_outbox()
        if self.compose_prefill is not None:
            self.open_compose(self.compose_prefill)
        # Synchronous on purpose: recovery must run before the tracker touches 'sending' rows.
        offer_recovery(self)

    def _use_keymap(self, keymap: dict[str, str]) -> list[str]:
        """Apply the entries of `[keymap]` that can work; the warnings about the others.

        `applied_keymap` is what on-screen hints name (`binding_ids.bound_key`): a refused
        entry is not bound, so no hint may name it.
        """
        from smartlead_tui.tui.binding_ids import keymap_warnings, usable_keymap

        self.applied_keymap = usable_keymap(keymap) if keymap else {}
        self.set_keymap(self.applied_keymap)
        return keymap_warnings(keymap) if keymap else []

    def _outbox_changed(self, change: Any) -> None:
        self.tracking.entry_changed(change.entry.id)
        self.refresh_bindings()  # "u Undo send" comes and goes with held replies

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast in the app's words (F2, not `smartlead-tui config`)."""
        super().notify(
            in_app_words(message), title=title, severity=severity, timeout=timeout, markup=markup
        )

    def notify_config_warnings(self, warnings: list[str]) -> None:
        """All of them in one toast: one per warning would replace each other (toasts.py)."""
        if warnings:
            text = "\n".join(f"• {w}" for w in warnings[:3])
            if len(warnings) > 3:
                text += f"\n… and {len(warnings) - 3} more: smartlead-tui config show lists them"
            self.notify(text, title="Configuration", severity="warning", timeout=10, markup=False)

    def _on_notify(self, event: Notify) -> None:
        # Runs before App._on_notify adds the toast: keep few on screen (see toasts.py).
        make_room(self, event.notification)

    @on(events.Ready)
    def _arm_crash_guard(self) -> None:
        self.crash_guard.arm()

    def _handle_exception(self, error: Exception) -> None:
        """An unexpected exception is a message and a log entry, not the end (crash_guard)."""
        if not self.crash_guard.handle(error):
            self._ended_by_error = True
            super()._handle_exception(error)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "undo_send":
            # Shown only while a reply is held; the composer has its own u while it holds one.
            from smartlead_tui.tui.screens.compose import ComposeScreen

            held = self.send_driver is not None and bool(self.send_driver.held_ids)
            return held and not isinstance(self.screen, ComposeScreen)
        # The key to the screen you are on does nothing there: its footer room goes to others.
        return action != getattr(self.screen, "NAV_ACTION", None)

    def _home_screen(self) -> Screen[Any]:
        """The inbox is home; the connection screen only when there is no key at all."""
        if self.settings.api_key and self.home == "inbox":
            from smartlead_tui.tui.screens.inbox import InboxScreen

            return InboxScreen()
        return HomeScreen()

    async def action_quit(self) -> None:
        """Never drop a reply silently: one held or in flight is settled (QuitScreen) first."""
        if self.send_driver is None or self.send_driver.request_quit():
            self.exit()
            return
        from smartlead_tui.tui.screens.quit_confirm import QuitScreen

        if not isinstance(self.screen, QuitScreen):
            self.push_screen(QuitScreen())

    def action_open_outbox(self) -> None:
        self.open_outbox()

    async def on_unmount(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        self._close_store()

    async def apply_settings(self, settings: Settings, *, demo: bool) -> None:
        """Switch account, profile or demo/real mode without restarting the app."""
        blocker = self.send_driver.switch_blocker() if self.send_driver else None
        if blocker:
            self.notify(f"Not switched: {blocker}.", severity="warning", markup=False)
            return
        old_client, self._client = self._client, None
        if demo != self.demo:
            self._close_store()
        self.settings = settings
        self.demo = demo
        if not demo:
            self.account_settings = settings
        self._apply_theme()
        # Always: an emptied keymap must give every remapped binding its default key back.
        self.notify_config_warnings(self._use_keymap(dict(settings.keymap)))
        if old_client is not None:
            await old_client.aclose()
        self.categories.reset()  # another account's ids mean other categories
        for screen in self.screen_stack:
            screen.post_message(SettingsChanged())
        self.tracking.reset()

    def _apply_theme(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme

    # -- navigation ------------------------------------------------------------------------------

    def open_compose(
        self, prefill: dict[str, Any] | None = None, *, after_undo: bool = False
    ) -> None:
        """Open the compose screen, prefilled for a thread when `prefill` is given.

        Printable keys typed while the screen is being built are kept (type-ahead) and handed
        to the composer, instead of landing on the screen below it.
        """
        from smartlead_tui.outbox.sender import draft_key_for, normalize_fields
        from smartlead_tui.tui.screens.compose import ComposeScreen

        self.opened_draft_keys.add(draft_key_for(normalize_fields(prefill)))
        if after_undo:
            self._typeahead = None  # keys after an undo are the mash guard's, not typing
        else:
            self._typeahead = []
            self.set_timer(TYPEAHEAD_LIMIT_SECONDS, self._flush_stale_typeahead)
        spare = self._spare_composer
        try:
            if spare is not None and spare not in self.screen_stack:
                spare.load(prefill, after_undo=after_undo)
                self.push_screen(spare)
                return
            composer = ComposeScreen(prefill=prefill, after_undo=after_undo)
            if spare is None:
                # The first composer is kept (installed) and refilled for every later reply:
                # opening it again costs a frame instead of building the form anew.
                self.install_screen(composer, name=COMPOSER_SCREEN_NAME)
                self._spare_composer = composer
            self.push_screen(composer)
        except Exception:
            self._typeahead = None
            raise

    def return_from_compose(self, composer: Screen[Any]) -> None:
        """A reply was handed to the outbox: back to the inbox, the next conversation selected.

        The composer goes (its reply keeps counting down in the send driver) and so does the
        thread it was opened from; `u` (or "Undo send" in the palette) still takes it back.
        """
        from smartlead_tui.tui.screens.inbox import InboxScreen

        if self.screen is not composer:
            return  # something opened above it meanwhile (the quit question): stay put
        inbox = next((s for s in self.screen_stack if isinstance(s, InboxScreen)), None)
        self.pop_screen()
        if inbox is None:
            return
        while self.screen_stack[-1] is not inbox and len(self.screen_stack) > 1:
            self.pop_screen()
        inbox.select_next_conversation(getattr(composer, "answered_fields", None))

    def action_undo_send(self) -> None:
        """Take the newest held reply back into the composer (u, wherever no field has focus)."""
        if self.send_driver is not None:
            self.send_driver.undo_into_composer()

    def take_typeahead(self) -> str:
        """The keys typed since `open_compose`; stops collecting them.

        Keys already on their way to the screen below come back unhandled for a moment
        longer: `_on_key` hands those to the composer's focused field too.
        """
        keys, self._typeahead = self._typeahead or [], None
        return "".join(keys)

    def _flush_stale_typeahead(self) -> None:
        """Never hold keys for long, whatever happened to the screen being opened."""
        if self._typeahead is not None:
            self._typeahead = None

    def _collect_typeahead(self, event: events.Key) -> bool:
        if self._typeahead is not None and event.is_printable and event.character:
            self._typeahead.append(event.character)
            return True
        return False

    async def on_event(self, event: events.Event) -> None:
        # Keys that arrive after the composer was asked for.
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self._collect_typeahead(event):
                return
            swallows_key = getattr(self.screen, "swallows_key", None)
            if swallows_key is not None and swallows_key(event.key):
                return
            event._routed_to_screen = self.screen  # type: ignore[attr-defined]
        await super().on_event(event)

    async def _on_key(self, event: events.Key) -> None:
        # Keys forwarded to the screen below before it handled the key that opened the
        # composer bubble back here after it: they are type-ahead too, not commands.
        # Textual calls App._on_key itself after this (handlers run along the MRO), so this
        # never calls super(); prevent_default() is what stops the binding check.
        if self._collect_typeahead(event):
            event.prevent_default()
            event.stop()
            return
        routed = getattr(event, "_routed_to_screen", None)
        if (
            (
                (routed is not None and routed is not self.screen)
                or getattr(self.screen, "accepting_typeahead", False)
            )
            and event.is_printable
            and event.character
            and self._insert_into_focused_field(event.character)
        ):
            event.prevent_default()
            event.stop()

    def _insert_into_focused_field(self, text: str) -> bool:
        insert = getattr(self.screen, "insert_typeahead", None)
        return bool(insert(text)) if insert is not None else False

    def open_outbox(self) -> None:
        """Open the live status panel (or return to it if it is already open)."""
        from smartlead_tui.tui.screens.outbox import OutboxScreen

        self._open_single(OutboxScreen)

    def open_inbox(self) -> None:
        """Return to the inbox, the home screen."""
        from smartlead_tui.tui.screens.inbox import InboxScreen

        self._open_single(InboxScreen)

    def _open_single(self, screen_type: type[Screen[Any]]) -> None:
        """Go back to an open screen of this type rather than stacking a second copy."""
        for screen in self.screen_stack:
            if isinstance(screen, screen_type):
                while self.screen is not screen:
                    self.pop_screen()
                return
        self.push_screen(screen_type())

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_drafts(self) -> None:
        """Saved drafts, to reopen or discard (recovery offers them only after a crash)."""
        from smartlead_tui.tui.screens.drafts import DraftsScreen

        if not isinstance(self.screen, DraftsScreen):
            self.push_screen(DraftsScreen())

    def action_settings(self) -> None:
        from smartlead_tui.tui.screens.settings import SettingsScreen

        self._open_single(SettingsScreen)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Settings", "Edit settings, switch profile, test the key", self.action_settings
        )
        yield SystemCommand("Help", "Every key binding", self.action_help)
        yield SystemCommand("Outbox", "Live delivery status of sent replies", self.open_outbox)
        yield compose_command(self, screen)
        yield SystemCommand(
            "Drafts", "Saved drafts: reopen one in the composer (F3)", self.action_drafts
        )
        if self.send_driver is not None:
            yield from self.send_driver.system_commands()


def compose_command(app: App[Any], screen: Screen[Any]) -> SystemCommand:
    """The palette's Compose: a reply to the selected conversation, prefilled from it.

    A blank form would need a campaign id and an email stats id typed by hand (ids the person
    never sees); without a conversation the entry says how to get one instead.
    """
    table = getattr(screen, "table", None)
    conversation = getattr(table, "current", None) or getattr(screen, "conversation", None)
    reply = getattr(screen, "action_reply", None)
    if conversation is not None and callable(reply):
        who = getattr(conversation, "lead_name", "") or getattr(conversation, "lead_email", "")
        return SystemCommand(
            f"Compose a reply to {who or 'this lead'}",
            "Prefilled from the selected conversation (same as r)",
            reply,
        )
    return SystemCommand(
        "Compose…",
        "Select a conversation in the inbox first: a reply is prefilled from it",
        lambda: app.notify(
            "Compose needs a conversation: select one in the inbox, then press r (or use "
            "`smartlead-tui compose --campaign-id N --email-stats-id S` from the shell).",
            title="Compose",
            markup=False,
        ),
    )


def make_client(settings: Settings) -> SmartLeadClient:
    """The app's client for these settings (imported lazily: start-up does not pay for httpx)."""
    from smartlead_tui.api.client import SmartLeadClient

    return SmartLeadClient.from_settings(settings)


def run_app(
    settings: Settings,
    *,
    warnings: list[str] | None = None,
    demo: bool = False,
    account_settings: Settings | None = None,
    first_run: bool = False,
    config_error: str | None = None,
    compose: dict[str, Any] | None = None,
    screen: str | None = None,
) -> int:
    from smartlead_tui.tui import paste_parser

    paste_parser.install()  # a paste reaches the app whole, ESC sequences included
    app = SmartleadApp(
        settings,
        warnings=warnings,
        demo=demo,
        account_settings=account_settings,
        first_run=first_run,
        config_error=config_error,
        compose=compose,
        screen=screen,
    )
    app.run()
    return app.return_code or 0
