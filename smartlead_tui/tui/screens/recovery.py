"""Start-up recovery: drafts, replies held in the undo window, and sends cut short.

After a crash, `kill -9` or a dropped SSH session the store still has everything; this modal
offers it back. A held reply is never sent silently: the person chooses "send now" or "back to
draft". Interrupted sends are shown as unknown, to be checked before any resend.

Drafts are offered once, and only those the crashed session wrote (outbox/sessions.py): a draft
left on purpose waits in the Drafts screen (F3) instead. The modal never covers a composer (the
`compose` command's, which has restored its own draft already): it waits until that closes, and
leaves out drafts a composer has opened meanwhile.
"""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import tzinfo
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from smartlead_tui.outbox.store import DraftRecord, OutboxEntry, Recovery, StoreError
from smartlead_tui.tui.screens.drafts import body_preview, draft_prompt
from smartlead_tui.tui.widgets.key_footer import KeyFooter
from smartlead_tui.tui.widgets.reply_sender import get_send_driver
from smartlead_tui.wording import plural

if TYPE_CHECKING:
    from smartlead_tui.tui.app import SmartleadApp

__all__ = ["RecoveryScreen", "offer_recovery"]


#: How often a recovery that waits for the composer to close looks again.
DEFER_SECONDS = 0.25


class RecoveryScreen(ModalScreen[None]):
    """Lists what the last session left behind; each line says what its keys do."""

    DEFAULT_CSS = """
    RecoveryScreen { align: center middle; }
    RecoveryScreen > #recovery {
        width: 100; max-width: 100%; height: auto; max-height: 100%;
        border: thick $warning; border-title-align: center; background: $surface; padding: 0 1;
    }
    RecoveryScreen #recovery-intro { height: auto; margin-bottom: 1; }
    RecoveryScreen #recovery-list { height: auto; max-height: 14; }
    RecoveryScreen #recovery-help { height: auto; color: $text-muted; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open in composer", id="recovery.open"),
        Binding("s", "send_now", "Send now", id="recovery.send-now"),
        Binding("d", "to_draft", "Back to draft", id="recovery.to-draft"),
        Binding("escape", "later", "Later", id="recovery.later"),
    ]

    def __init__(self, recovery: Recovery) -> None:
        super().__init__()
        self.recovery = recovery
        self._held: dict[str, OutboxEntry] = {f"held-{e.id}": e for e in recovery.held}
        self._drafts: dict[str, DraftRecord] = {f"draft-{d.thread_key}": d for d in recovery.drafts}
        self._unknown: dict[str, OutboxEntry] = {f"unknown-{e.id}": e for e in recovery.interrupted}
        self._shown_at: float | None = None

    @property
    def tz(self) -> tzinfo:
        return self.app.timezone  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        box = Vertical(id="recovery")
        box.border_title = "Recovered from the last session"
        with box:
            yield Static(self._intro(), id="recovery-intro", markup=False)
            yield OptionList(*self._options(), id="recovery-list", markup=False)
            yield Static(
                "Held: s sends now, d puts it back into the drafts. Drafts: enter opens. "
                "escape: decide later (everything stays saved; F3 lists the drafts).",
                id="recovery-help",
                markup=False,
            )
        yield KeyFooter()

    def on_mount(self) -> None:
        self.call_after_refresh(self._mark_shown)

    def _mark_shown(self) -> None:
        from textual import _time  # the clock Textual stamps every event with

        self._shown_at = _time.get_time()

    def on_key(self, event: events.Key) -> None:
        """A key typed before this modal was on screen was meant for the app starting up (a
        reply being typed, `s` of "sure"): it never sends or moves anything here."""
        if self._shown_at is None or event.time < self._shown_at:
            event.prevent_default()
            event.stop()

    def _intro(self) -> str:
        parts = []
        if self._held:
            parts.append(
                plural(len(self._held), "1 reply was", "{count} replies were")
                + " waiting in the undo window and "
                + ("has" if len(self._held) == 1 else "have")
                + " NOT been sent."
            )
        if self._unknown:
            parts.append(
                plural(len(self._unknown), "1 send was", "{count} sends were")
                + " cut short: unknown — check the thread before resending."
            )
        if self._drafts:
            parts.append(
                plural(len(self._drafts), "1 draft was", "{count} drafts were")
                + " being written when the last session ended without quitting."
            )
        return " ".join(parts) or "Nothing to recover."

    def _options(self) -> list[Option]:
        options: list[Option] = []
        for key, entry in self._held.items():
            options.append(Option(self._held_text(entry), id=key))
        for key, entry in self._unknown.items():
            text = Text.assemble(
                ("UNKNOWN ", "bold"),
                f"{entry.lead_label or 'reply'} — {body_preview(entry.fields)} — ",
                "check the thread before resending",
            )
            options.append(Option(text, id=key))
        for key, draft in self._drafts.items():
            options.append(Option(self._draft_text(draft), id=key))
        return options

    def _held_text(self, entry: OutboxEntry) -> Text:
        due = entry.hold_until.astimezone(self.tz).strftime("%H:%M:%S") if entry.hold_until else "?"
        label = entry.lead_label or "reply"
        return Text.assemble(
            ("HELD    ", "bold"),
            f"{label} — {body_preview(entry.fields)} — was due {due}, not sent",
        )

    def _draft_text(self, draft: DraftRecord) -> Text:
        return draft_prompt(draft, self.tz)

    # -- actions ------------------------------------------------------------------------------

    def _current(self) -> str | None:
        # The footer asks check_action as soon as the screen is pushed, before compose.
        found = self.query("#recovery-list").results(OptionList)
        listing = next(found, None)
        if listing is None or listing.highlighted is None:
            return None
        return listing.get_option_at_index(listing.highlighted).id

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        key = self._current() or ""
        if action in ("send_now", "to_draft"):
            return key.startswith("held-")
        if action == "open":
            return key.startswith("draft-")
        return True

    def action_send_now(self) -> None:
        key = self._current()
        entry = self._held.pop(key, None) if key else None
        if entry is None:
            return
        get_send_driver(self.app).send_now(entry.id)
        self.notify(f"Sending the reply to {entry.lead_label or 'the lead'}…", markup=False)
        self._remove(key)

    def action_to_draft(self) -> None:
        """Back into the drafts; its draft line is listed (enter opens it), the cursor stays put
        for the next held reply."""
        key = self._current()
        entry = self._held.pop(key, None) if key else None
        if entry is None:
            return
        restored = get_send_driver(self.app).undo(entry.id)
        if restored is None:
            self._remove(key)
            self.notify("That reply is no longer held.", severity="warning", markup=False)
            return
        try:
            draft = self.app.store.load_draft(restored.thread_key)  # type: ignore[attr-defined]
        except StoreError:
            draft = None
        listing = self.query_one("#recovery-list", OptionList)
        if draft is not None:
            draft_key = f"draft-{draft.thread_key}"
            self._drafts[draft_key] = draft
            shown = {listing.get_option_at_index(i).id for i in range(listing.option_count)}
            if draft_key in shown:
                listing.replace_option_prompt(draft_key, self._draft_text(draft))
            else:
                listing.add_option(Option(self._draft_text(draft), id=draft_key))
        self._remove(key)  # after the draft is listed, so the modal stays open to show it
        self.notify("Back in the drafts: nothing was sent.", markup=False)

    def action_open(self) -> None:
        key = self._current()
        draft = self._drafts.get(key) if key else None
        if draft is None:
            return
        self.dismiss()
        app: Any = self.app
        opener = getattr(app, "open_compose", None)
        if callable(opener):
            opener(prefill=draft.fields)
        else:  # pragma: no cover - the app always has open_compose
            from smartlead_tui.tui.screens.compose import ComposeScreen

            app.push_screen(ComposeScreen(prefill=draft.fields))

    def action_later(self) -> None:
        self.dismiss()

    def _remove(self, key: str | None) -> None:
        listing = self.query_one("#recovery-list", OptionList)
        if key is not None:
            with contextlib.suppress(OptionDoesNotExist):  # already gone
                listing.remove_option(key)
        self.query_one("#recovery-intro", Static).update(self._intro())
        if listing.option_count == 0:
            self.dismiss()
        else:
            self.refresh_bindings()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.refresh_bindings()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        # enter on an OptionList selects; a draft opens, other lines have their own keys.
        event.stop()
        if event.option.id and event.option.id.startswith("draft-"):
            self.action_open()


def offer_recovery(app: App[Any]) -> Recovery | None:
    """Run `store.recover()` once per app and show this modal when anything came back.

    Call it from the app's on_mount (after the first screen is pushed). Returns the Recovery
    (drafts: only the crashed session's), or None when it already ran or the store failed (the
    failure is notified).
    """
    if getattr(app, "_smartlead_recovery_done", False):
        return None
    app._smartlead_recovery_done = True  # type: ignore[attr-defined]
    smartlead: SmartleadApp = app  # type: ignore[assignment]
    try:
        recovery = smartlead.store.recover()
    except StoreError as exc:
        app.notify(f"Could not open the outbox store: {exc}", severity="error", markup=False)
        return None
    moved = getattr(smartlead.store, "recovered_from", None)
    if moved is not None:
        app.notify(
            f"The outbox file could not be read, so it was moved aside to {moved} (kept, not "
            "deleted) and a new, empty outbox was started.",
            title="Outbox",
            severity="warning",
            timeout=30,
            markup=False,
        )
    if recovery.skipped_busy:
        app.notify(
            "Another smartlead-tui is running on this outbox, so its held and in-flight "
            "replies are left to it: start-up recovery was skipped.",
            title="Outbox",
            severity="warning",
            timeout=15,
            markup=False,
        )
        return recovery
    marks = getattr(smartlead, "session_marks", None)
    crashed = marks.crashed_since() if marks is not None else None
    left = marks.left_in_crashed() if marks is not None and crashed is not None else {}
    drafts = (
        [
            d
            for d in recovery.drafts
            if d.updated_at >= crashed  # the same clock, in µs
            # closed on purpose in that session and not touched since: the person's, not lost
            and not (d.thread_key in left and left[d.thread_key] >= d.updated_at)
        ]
        if crashed is not None
        else []
    )
    recovery = dataclasses.replace(recovery, drafts=drafts)
    if marks is not None:
        marks.forget_crashed()  # offered once; the drafts stay in the Drafts screen
    if recovery.held or recovery.drafts or recovery.interrupted:
        _show_when_no_composer(smartlead, recovery)
    return recovery


def _composer_open(app: App[Any]) -> bool:
    from smartlead_tui.tui.screens.compose import ComposeScreen

    return any(isinstance(screen, ComposeScreen) for screen in app.screen_stack)


def _show_when_no_composer(app: SmartleadApp, recovery: Recovery) -> None:
    """Push the modal now, or once no composer is open (never over what is being typed)."""
    if not _composer_open(app):
        app.push_screen(RecoveryScreen(recovery))
        return
    store = app.store

    def retry() -> None:
        if _composer_open(app) or not app.is_running:
            return
        timer.stop()
        if app.store is not store:
            return  # switched to another outbox meanwhile: offered at its next start instead
        current = _still_to_offer(app, recovery)
        if current.held or current.drafts or current.interrupted:
            app.push_screen(RecoveryScreen(current))

    timer = app.set_interval(DEFER_SECONDS, retry, name="recovery-deferred")


def _still_to_offer(app: SmartleadApp, recovery: Recovery) -> Recovery:
    """What is still worth offering after a wait: not what a composer opened or a send used."""
    opened: set[str] = getattr(app, "opened_draft_keys", set())
    store = app.store
    drafts: list[DraftRecord] = []
    held: list[OutboxEntry] = []
    interrupted: list[OutboxEntry] = []
    try:
        for draft in recovery.drafts:
            current = store.load_draft(draft.thread_key)
            if current is not None and draft.thread_key not in opened:
                drafts.append(current)
        held = [e for e in recovery.held if store.get_entry(e.id).state == "held"]
        interrupted = [e for e in recovery.interrupted if store.get_entry(e.id).state == "unknown"]
    except StoreError:
        return recovery
    return dataclasses.replace(recovery, drafts=drafts, held=held, interrupted=interrupted)
