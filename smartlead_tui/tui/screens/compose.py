"""Compose a reply: the form, live validation, autosaved drafts, review, undo window, outcome.

The screen moves through phases: edit -> review (modal) -> held (undo countdown) -> sending ->
done (queued / unknown); an undo or a failed send (nothing went) brings it back to edit with
the fields unchanged. The send action is disabled from the first ctrl+s until the outcome is
known, whatever keys arrive meanwhile. Sending itself belongs to the app's SendDriver, so
leaving this screen never drops or stops a held reply.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from textual import events, on
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Collapsible, Header, Input, Static, TextArea

from smartlead_tui.outbox.drafts import DraftAutosaver
from smartlead_tui.outbox.sender import (
    UNKNOWN_PREFIX,
    DuplicateReply,
    FieldCheck,
    SendBlocked,
    draft_key_for,
    normalize_fields,
)
from smartlead_tui.outbox.store import OutboxEntry, StoreError
from smartlead_tui.tui.binding_ids import bound_key
from smartlead_tui.tui.categories import category_names
from smartlead_tui.tui.screens.review import ReviewResult, ReviewScreen
from smartlead_tui.tui.widgets.key_footer import KeyFooter
from smartlead_tui.tui.widgets.reply_commands import ReplyFormCommands
from smartlead_tui.tui.widgets.reply_form import FIELD_LABELS, ReplyForm
from smartlead_tui.tui.widgets.reply_sender import OutboxChange, SendDriver, get_send_driver
from smartlead_tui.tui.widgets.reply_text import body_from_editor, editor_file_text
from smartlead_tui.tui.wording import not_sent_banner
from smartlead_tui.validation import format_schedule
from smartlead_tui.wording import join_sentences

if TYPE_CHECKING:
    from datetime import tzinfo

    from smartlead_tui.tui.app import SmartleadApp

__all__ = ["ComposeScreen"]

Phase = Literal["edit", "review", "held", "sending", "done"]

#: Keys that confirm or undo a send. Right after an undo or a failed send, each of them that
#: comes within MASH_GAP_SECONDS of the previous one is a key still being mashed (or held down
#: and repeating), not typing: it is dropped instead of landing in the form.
MASH_KEYS = frozenset({"u", "enter", "y"})
MASH_GAP_SECONDS = 0.5

#: The status line while the form is locked (in edit it lists what blocks sending).
PHASE_STATUS: dict[str, str] = {
    "review": "Reviewing: enter sends, escape goes back to editing",
    "held": "Held in the undo window: u takes it back, escape leaves it going",
    "sending": "Sending: the form is locked until SmartLead answers",
    "done": "Done: escape goes back",
}


#: For how long after opening a printable key that no field took still goes into the form.
TYPEAHEAD_SETTLE_SECONDS = 0.5


class ComposeScreen(Screen[None]):
    """The composer. `prefill` is a fields dict (from the inbox or `smartlead-tui compose`)."""

    accepting_typeahead = False

    DEFAULT_CSS = """
    ComposeScreen #compose-top { height: auto; padding: 0 1; background: $panel; }
    ComposeScreen #banner { width: 1fr; height: auto; }
    ComposeScreen #banner.-held { color: $warning; text-style: bold; }
    ComposeScreen #banner.-sending { color: $warning; text-style: bold; }
    ComposeScreen #banner.-queued { color: $success; text-style: bold; }
    ComposeScreen #banner.-failed { color: $error; text-style: bold; }
    ComposeScreen #outbox-summary { width: auto; color: $text-muted; margin-left: 2; }
    ComposeScreen ReplyForm { height: 1fr; }
    ComposeScreen #blockers { height: auto; max-height: 3; padding: 0 1; background: $panel; }
    ComposeScreen #blockers.-blocked { color: $error; }
    ComposeScreen #blockers.-ready { color: $success; }
    ComposeScreen ReplyForm:disabled { opacity: 80%; }
    """
    COMMANDS: ClassVar[set[Any]] = {ReplyFormCommands}  # the form's keys, in the palette
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "review", "Review & send", id="compose.send"),
        Binding("u", "undo", "Undo send", id="compose.undo"),
        Binding("escape", "close", "Close", id="compose.close"),
        Binding("ctrl+e", "edit_external", "$EDITOR", id="compose.editor", priority=True),
        Binding("ctrl+t", "toggle_advanced", "Advanced", id="compose.advanced"),
    ]

    def __init__(
        self,
        prefill: dict[str, Any] | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        after_undo: bool = False,
    ) -> None:
        super().__init__()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._autosaver: DraftAutosaver | None = None
        self._pending: dict[str, Any] | None = None
        self._reset_state(prefill)
        if after_undo:
            self.guard_after_undo()

    def _reset_state(self, prefill: dict[str, Any] | None) -> None:
        """Everything that belongs to one reply (the screen itself is reused: see `load`)."""
        self._prefill = normalize_fields(prefill) if prefill else None
        self.phase: Phase = "edit"
        self.held_entry_id: int | None = None
        self._restored_at: datetime | None = None
        self._baseline: dict[str, Any] = {}
        self._initial: dict[str, Any] = {}
        self._show_all = False
        self._check: FieldCheck | None = None
        self._reviewed_fields: dict[str, Any] | None = None
        self._focus_before: Widget | None = None
        self._mash_guard_at: datetime | None = None
        self._notice = ""
        self._notice_class = ""
        self._undone = False

    # -- plumbing ----------------------------------------------------------------------------

    @property
    def smartlead(self) -> SmartleadApp:
        return self.app  # type: ignore[return-value]

    @property
    def driver(self) -> SendDriver:
        return get_send_driver(self.app)

    @property
    def tz(self) -> tzinfo:
        return self.smartlead.timezone

    def now(self) -> datetime:
        return self._clock().astimezone(self.tz)

    @property
    def answered_fields(self) -> dict[str, Any]:
        """The reply being written, as opened (campaign and lead name its conversation)."""
        return self._initial

    @property
    def form(self) -> ReplyForm:
        return self.query_one(ReplyForm)

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self._initial = self._initial_fields()
        yield Header()
        with Horizontal(id="compose-top"):
            yield Static("", id="banner", markup=False)
            yield Static("", id="outbox-summary", markup=False)
        yield ReplyForm(self._initial, tz=self.tz)
        yield Static("", id="blockers", markup=False)
        yield KeyFooter()

    def _initial_fields(self) -> dict[str, Any]:
        """Prefill + configured defaults; a saved draft of the same thread wins over both."""
        settings = self.smartlead.settings
        base = normalize_fields(self._prefill)
        if not str(base["cc"] or "").strip():
            base["cc"] = settings.default_cc
        if not str(base["bcc"] or "").strip():
            base["bcc"] = settings.default_bcc
        if base["add_signature"] is None:
            base["add_signature"] = settings.add_signature
        self._baseline = dict(base)
        try:
            draft = self.smartlead.store.load_draft(draft_key_for(base))
        except StoreError as exc:
            self._notice = f"Could not read saved drafts: {exc}"
            return base
        if draft is None:
            return base
        self._restored_at = draft.updated_at
        restored = normalize_fields({**base, **draft.fields})
        restored["scheduled_time"] = (
            None if restored["schedule_text"] else draft.fields.get("scheduled_time")
        )
        return restored

    def on_mount(self) -> None:
        self.sub_title = "Compose"
        self._autosaver = DraftAutosaver(self.smartlead.store)
        self.driver.changed.subscribe(self, self._on_outbox_change)
        self.set_interval(0.1, self._tick)
        self._start_editing()

    def load(self, prefill: dict[str, Any] | None, *, after_undo: bool = False) -> None:
        """Make this (already built) composer answer another reply, before it is shown again.

        Building the form costs 100-300 ms of style work; refilling it costs one frame. The
        fields are filled when the screen resumes (`on_screen_resume`), where focus can move.
        """
        typing_in = self._focus_before  # the same form widgets: an undo returns there
        self._reset_state(prefill)
        if after_undo:
            self.guard_after_undo()
            self._focus_before = typing_in
        self._pending = self._prefill or {}

    def guard_after_undo(self) -> None:
        """Opened by an undo: drop u/enter/y still being mashed (see `swallows_key`)."""
        self._undone = True
        self._mash_guard_at = self.driver.now()

    def _apply_pending(self) -> None:
        self._pending = None
        self._initial = self._initial_fields()
        form = self.form
        form.disabled = False
        form.reset(self._initial)
        self.refresh_bindings()
        self._start_editing()

    def _start_editing(self) -> None:
        """Banner, validation, focus and type-ahead for a freshly opened reply."""
        if self._autosaver is not None:
            self._autosaver.reset(draft_key_for(self._initial), self._baseline)
        undone = "Undone: nothing was sent. " if self._undone else ""
        failed = self._failed_send() if self._restored_at is not None and not undone else None
        if failed is not None:
            # Reopened after a send SmartLead refused while the person was elsewhere: say why.
            self._set_banner(not_sent_banner(failed.last_error, None), "-failed")
        elif self._restored_at is not None:
            saved = self._restored_at.astimezone(self.tz).strftime("%H:%M")
            self._set_banner(f"{undone}Draft restored (saved {saved}) · autosaved as you type", "")
        elif undone:
            self._set_banner(undone + "Back to editing.", "")
        elif self._notice:
            self._set_banner(self._notice, "-failed")
        else:
            self._set_banner("Autosaved as you type · nothing goes before the review", "")
        self._validate()
        self._refresh_summary()
        # Focus now, not after a refresh: keys typed while the screen paints must not land
        # in the field that happens to get focus first.
        if self._undone and self._focus_before is not None:
            self._refocus()
        elif self._prefill is not None and self._prefill.get("email_stats_id"):
            self.form.focus_body_end()
        else:
            self.form.query_one("#to").focus()
        # Keys typed while this screen was being built, or before focus settles, go where the
        # cursor is going (see SmartleadApp._on_key); after that keys are keys again.
        self.accepting_typeahead = True
        self.set_timer(TYPEAHEAD_SETTLE_SECONDS, self._stop_typeahead)
        take = getattr(self.app, "take_typeahead", None)
        typed = take() if take is not None else ""
        if typed:
            self.insert_typeahead(typed)

    def _failed_send(self) -> OutboxEntry | None:
        """The refused send this restored draft came back from, if that is where it came from.

        A refusal writes the reply back as the thread's draft in the same transaction, so the
        two carry the same time; a draft edited since is the person's, not the failure's.
        """
        restored = self._restored_at
        if restored is None:
            return None
        key = draft_key_for(self._initial)
        try:
            recent = self.smartlead.store.list_entries(states=["send-failed"], limit=50)
        except StoreError:
            return None
        for entry in recent:
            if entry.thread_key == key:
                gap = abs((entry.updated_at - restored).total_seconds())
                return entry if gap < 2 else None
        return None

    def _stop_typeahead(self) -> None:
        self.accepting_typeahead = False

    def insert_typeahead(self, text: str) -> bool:
        """Put keys typed while this screen opened where the cursor was going to be."""
        focused = self.focused
        if not isinstance(focused, (TextArea, Input)):
            thread = self._prefill is not None and self._prefill.get("email_stats_id")
            focused = self.form.query_one("#body" if thread else "#to")
        if isinstance(focused, TextArea) and not focused.read_only:
            focused.insert(text)
            return True
        if isinstance(focused, Input):
            focused.insert_text_at_cursor(text)
            return True
        return False

    def on_resize(self, event: events.Resize) -> None:
        # Keep the body as tall as the screen allows while the header fields stay visible.
        body = self.form.query_one("#body", TextArea)
        body.styles.height = max(6, min(18, event.size.height - 16))

    def on_unmount(self) -> None:
        self._save_now()

    # -- editing -----------------------------------------------------------------------------

    @on(ReplyForm.Edited)
    def _on_edited(self, event: ReplyForm.Edited) -> None:
        if self.phase != "edit":
            return
        if self._autosaver is not None:
            self._autosaver.changed(draft_key_for(event.fields), event.fields)
        self._validate(event.fields)

    def _tick(self) -> None:
        if self.phase == "edit" and self._autosaver is not None:
            try:
                self._autosaver.tick()
            except StoreError as exc:
                self._autosave_failed(exc)
        elif self.phase == "held":
            self._show_held()

    def _save_now(self) -> None:
        if self.phase == "edit" and self._autosaver is not None:
            try:
                self._autosaver.flush()
            except StoreError as exc:
                self._autosave_failed(exc)

    def keep_draft(self) -> bool:
        """Write what the form holds now (an unexpected error elsewhere must not lose it)."""
        if self.phase != "edit" or self._autosaver is None or not self.query(ReplyForm):
            return False
        self._save_now_forced(self.form.get_fields())
        return True

    def _autosave_failed(self, exc: Exception) -> None:
        self.notify(
            f"Could not autosave the draft: {exc}", severity="error", markup=False, timeout=8
        )

    def _validate(self, fields: dict[str, Any] | None = None) -> FieldCheck:
        fields = fields if fields is not None else self.form.get_fields()
        check = self.driver.sender.check(fields, now=self.now())
        self._check = check
        form = self.form
        form.show_problems(check, show_all=self._show_all)
        schedule_problems = check.for_key("schedule_text")
        if schedule_problems:
            form.show_schedule("✗ " + "; ".join(schedule_problems), error=True)
        elif check.scheduled_time is not None:
            form.show_schedule("→ " + format_schedule(check.scheduled_time, self.tz), error=False)
        else:
            undo = self.driver.sender.undo_seconds
            after = f" (after the {undo} s undo window)" if undo else ""
            form.show_schedule(f"→ sends right away{after}", error=False)
        if check.problems:
            ordered = self.form.in_form_order(dict.fromkeys(p.key for p in check.problems))
            names = []
            for key in ordered:
                count = len(check.for_key(key))
                label = FIELD_LABELS.get(key, key)
                names.append(f"{label} ({count})" if count > 1 else label)
            self._set_static("#blockers", "✗ Not ready to send. Fix: " + ", ".join(names))
            self.query_one("#blockers").set_classes("-blocked")
        else:
            key = bound_key(self, "compose.send", "ctrl+s")  # a remapped key is named
            self._set_static("#blockers", f"✓ Ready: {key} to review and send")
            self.query_one("#blockers").set_classes("-ready")
        return check

    def _set_static(self, selector: str, text: str) -> None:
        widget = self.query_one(selector, Static)
        if str(widget.content) != text:
            widget.update(text)

    # -- review and hold -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "undo":
            return self.phase == "held"
        if action in ("review", "edit_external", "toggle_advanced"):
            # Hidden, not greyed, while the form is locked: the footer shows what works now
            # (u while held), and fits 80 columns.
            return self.phase == "edit"
        return True

    def action_review(self) -> None:
        if self.phase != "edit":
            return
        pending = self.form.take_pending_attachment()  # a URL typed without enter is not lost
        if pending:
            self.notify(
                f"Can't review yet: {pending}. Fix the URL and press enter, or clear it.",
                title="Attachment not added",
                severity="warning",
                markup=False,
            )
            self.form.focus_problem("attachments")
            return
        fields = self.form.get_fields()
        self._show_all = True
        check = self._validate(fields)
        if check.draft is None:
            self.notify(
                "Can't send yet: " + "; ".join(check.messages),
                title="Not ready",
                severity="warning",
                markup=False,
            )
            first = self.form.in_form_order(p.key for p in check.problems)[0]
            self.form.focus_problem(first)
            return
        self._set_phase("review")
        self._save_now_forced(fields)
        sender = self.driver.sender
        try:
            duplicate = sender.find_duplicate(check.draft)
        except StoreError as exc:
            self._back_to_edit(f"Could not check the outbox: {exc}", "-failed")
            return
        self._reviewed_fields = fields
        self.app.push_screen(
            ReviewScreen(
                check.draft,
                fields,
                tz=self.tz,
                warnings=sender.review_warnings(
                    check.draft, fields, categories=category_names(self.app)
                ),
                duplicate=duplicate,
                undo_seconds=sender.undo_seconds,
            ),
            callback=self._on_review,
        )

    def _save_now_forced(self, fields: dict[str, Any]) -> None:
        """Before the review: make sure the draft on disk is what is being reviewed."""
        if self._autosaver is not None:
            self._autosaver.changed(draft_key_for(fields), fields)
            try:
                self._autosaver.flush()
            except StoreError as exc:
                self._autosave_failed(exc)

    def _on_review(self, result: ReviewResult) -> None:
        fields = self._reviewed_fields
        if self.phase != "review" or fields is None:
            return
        if result is None:
            self._back_to_edit("Back to editing: nothing was sent.", "")
            return
        try:
            entry = self.driver.hold(
                fields,
                allow_duplicate=result == "send-duplicate",
                draft_key=self._autosaver.saved_key if self._autosaver else None,
            )
        except DuplicateReply as exc:
            self._back_to_edit(f"Not sent: {exc}. Press ctrl+s to review again.", "-failed")
            return
        except SendBlocked as exc:
            self._back_to_edit(f"Not sent: {exc}", "-failed")
            return
        except StoreError as exc:
            self._back_to_edit(f"Not sent: could not record the reply ({exc}).", "-failed")
            return
        if self._autosaver is not None:
            self._autosaver.discard()
        self.held_entry_id = entry.id
        self._apply_entry(self.smartlead.store.get_entry(entry.id))
        left = self.driver.remaining(entry.id)
        if left:
            # Back where the person came from; the reply counts down in the app's send driver
            # and `u` there takes it back. With no undo window the composer waits for
            # SmartLead's answer instead, so a refused reply is still on screen to fix.
            who = entry.lead_label or "the lead"
            self.notify(
                f"Reply to {who} is held for {left:.0f} s before it goes: u takes it back.",
                title="Held",
                # Short: the footer's "u Undo" says it as long as it is true; a toast still up
                # after an undo would not.
                timeout=min(4.0, max(2.0, left)),
                markup=False,
            )
            self._leave()

    def _leave(self) -> None:
        self.call_after_refresh(self.smartlead.return_from_compose, self)

    def _back_to_edit(self, message: str, css_class: str, *, guard_mashing: bool = False) -> None:
        """Editable again, focus where it was. After an undo or a failure, keys still being
        mashed (u, enter, y) are dropped (`swallows_key`) so they cannot land in a field."""
        self._reviewed_fields = None
        self._set_phase("edit")
        self._validate()  # the status line said "Reviewing…": it lists blockers again
        self._set_banner(message, css_class)
        self._mash_guard_at = self.driver.now() if guard_mashing else None
        self._refocus()

    def swallows_key(self, key: str) -> bool:
        """Whether the app should drop this key before any widget sees it (see MASH_KEYS).

        Measured on the send driver's clock from the last dropped key, so a burst of any
        length is dropped whole and the first other key (or a pause) ends it.
        """
        guard = self._mash_guard_at
        if guard is None:
            return False
        now = self.driver.now()
        if key in MASH_KEYS and (now - guard).total_seconds() < MASH_GAP_SECONDS:
            self._mash_guard_at = now
            return True
        self._mash_guard_at = None
        return False

    def _refocus(self) -> None:
        if self.phase != "edit" or self.focused is not None:
            return
        target = self._focus_before
        if target is not None and target.is_attached and target.focusable:
            target.focus()  # the form's Inputs never select on focus: nothing is replaced
        else:
            self.form.focus_body_end()

    # -- outcome -------------------------------------------------------------------------------

    def _on_outbox_change(self, change: OutboxChange) -> None:
        if not self.is_attached or not self.is_running:
            return  # closed meanwhile
        self._refresh_summary()
        if self.held_entry_id is not None and change.entry.id == self.held_entry_id:
            self._apply_entry(change.entry)

    def _apply_entry(self, entry: OutboxEntry) -> None:
        """Move the screen to match the journaled state of its reply."""
        state = entry.state
        if state == "held":
            if self.phase in ("review", "held"):
                self._set_phase("held")
                self._show_held()
        elif state == "sending":
            self._set_phase("sending")
            self._set_banner(
                "Sending… the send key is off until SmartLead answers (quitting waits for it).",
                "-sending",
            )
        elif state == "queued":
            if self.phase == "sending" and self.app.screen is self:
                self._leave()  # sent with no undo window: the toast says it was queued
            self._set_phase("done")
            extra = f" ⚠ {entry.last_error}" if entry.last_error else ""
            mid = f" Message-ID {entry.message_id}." if entry.message_id else ""
            self._set_banner(
                f"✓ Queued: SmartLead accepted the reply.{mid}{extra} escape closes.", "-queued"
            )
        elif state == "unknown":
            self._set_phase("done")
            self._set_banner(f"? {entry.last_error or UNKNOWN_PREFIX}", "-failed")
        elif state in ("send-failed", "cancelled"):
            if self.phase == "edit":
                return
            self.held_entry_id = None
            self.form.set_fields(entry.fields)
            if self._autosaver is not None:
                self._autosaver.reset(draft_key_for(entry.fields), self._baseline)
            self._show_all = False  # _back_to_edit validates the refilled form
            if state == "send-failed":
                message = not_sent_banner(entry.last_error, self.driver.last_error)
                self._back_to_edit(message, "-failed", guard_mashing=True)
            elif entry.last_error:
                self._back_to_edit(
                    join_sentences(f"Not sent: {entry.last_error}"),
                    "-failed",
                    guard_mashing=True,
                )
            else:
                self._back_to_edit(
                    "Undone: nothing was sent. Back to editing.", "", guard_mashing=True
                )

    def _show_held(self) -> None:
        if self.held_entry_id is None:
            return
        left = self.driver.remaining(self.held_entry_id)
        if left is None:  # the window is over (or there was none): the send is starting
            self._set_banner("Sending…", "-sending")
            return
        seconds = int(left + 0.999)
        self._set_banner(f"Held: sends in {seconds} s — press u to undo", "-held")

    def action_undo(self) -> None:
        if self.phase != "held" or self.held_entry_id is None:
            return
        entry = self.driver.undo(self.held_entry_id)
        if entry is None:
            self.notify(
                "Too late to undo: the reply is already being sent.",
                severity="warning",
                markup=False,
            )
            return
        self._apply_entry(entry)

    # -- other actions -------------------------------------------------------------------------

    def action_close(self) -> None:
        self._save_now()
        marks = getattr(self.app, "session_marks", None)
        if marks is not None and self.phase == "edit" and self._autosaver is not None:
            marks.note_left(draft_key_for(self.form.get_fields()))
        if self.phase == "held" and self.held_entry_id is not None:
            left = self.driver.remaining(self.held_entry_id) or 0
            self.notify(
                f"The reply still goes in {left:.0f} s; undo it from the command palette "
                "(ctrl+p, 'Undo send').",
                markup=False,
            )
        self.dismiss()

    def action_toggle_advanced(self) -> None:
        """Go to the Advanced section (opening it); from inside it, close it again."""
        if self.phase != "edit":
            return
        advanced = self.form.query_one("#advanced", Collapsible)
        focused = self.focused
        inside = focused is not None and advanced in focused.ancestors
        if inside and not advanced.collapsed:
            advanced.collapsed = True
            self.form.query_one("#attach-url").focus()
            return
        advanced.collapsed = False
        campaign = self.form.query_one("#campaign-id")
        self.call_after_refresh(campaign.focus)
        self.call_after_refresh(advanced.scroll_visible)

    def action_edit_external(self) -> None:
        """Open $VISUAL/$EDITOR on the body, then come back with what was saved."""
        if self.phase != "edit":
            return
        body = self.form.query_one("#body", TextArea)
        command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        try:
            argv = shlex.split(command)
        except ValueError:
            argv = []
        if not argv:
            self.notify(f"Can't run the editor {command!r}.", severity="error", markup=False)
            return
        handle, path = tempfile.mkstemp(prefix="smartlead-reply-", suffix=".txt")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as fh:
                fh.write(editor_file_text(body.text))
            code = self._run_editor([*argv, path])
            if code != 0:
                self.notify(
                    f"The editor exited with status {code}; the body is unchanged.",
                    severity="warning",
                    markup=False,
                )
                return
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError, SuspendNotSupported) as exc:
            self.notify(f"Could not use the editor: {exc}", severity="error", markup=False)
            return
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
        body.text = body_from_editor(text)
        self.form.focus_body_end()

    def _run_editor(self, argv: list[str]) -> int:
        if self.app.is_headless:
            # No terminal to hand over (tests): the editor must not need one.
            return subprocess.run(argv, stdin=subprocess.DEVNULL, check=False).returncode
        with self.app.suspend():
            return subprocess.run(argv, check=False).returncode

    # -- display helpers -----------------------------------------------------------------------

    def _set_phase(self, phase: Phase) -> None:
        if phase == self.phase:
            return
        if phase != "edit" and self.phase == "edit":
            self._focus_before = self.focused
        self.phase = phase
        self.form.disabled = phase != "edit"
        self.refresh_bindings()
        if phase in PHASE_STATUS:
            self._set_static("#blockers", PHASE_STATUS[phase])
            self.query_one("#blockers").set_classes("-busy")

    def _set_banner(self, text: str, css_class: str) -> None:
        self._set_static("#banner", text)
        self.query_one("#banner").set_classes(css_class)

    def _refresh_summary(self) -> None:
        try:
            counts = self.driver.summary_counts()
        except StoreError:
            return
        self._set_static(
            "#outbox-summary",
            f"Outbox: {counts['held']} held · {counts['sending']} sending · "
            f"{counts['unknown']} unknown",
        )

    def on_screen_resume(self) -> None:
        if self._pending is not None:
            self._apply_pending()
        self._refresh_summary()

    def on_screen_suspend(self) -> None:
        self._save_now()
