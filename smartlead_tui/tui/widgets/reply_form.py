"""The reply form: every field of the send API, laid out for people, validated as they type.

It only arranges inputs and shows problems; what counts as valid lives in
`smartlead_tui.validation` / `smartlead_tui.outbox.sender.check_fields`. The form speaks the
canonical fields dict (see `sender.FIELD_DEFAULTS`) in both directions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, Collapsible, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from smartlead_tui.control_chars import CONTROL_CHARS, has_controls
from smartlead_tui.inbox import html_to_text
from smartlead_tui.outbox.sender import FieldCheck, normalize_fields
from smartlead_tui.tui.widgets.reply_form_keys import ReplyFormKeys
from smartlead_tui.tui.widgets.reply_text import (
    ControlPictures,
    ReplyTextArea,
    restore_carets,
    save_carets,
)
from smartlead_tui.tui.widgets.state_checkbox import StateCheckbox
from smartlead_tui.validation import ValidationError, guess_attachment

__all__ = ["ERROR_TARGETS", "FIELD_LABELS", "ReplyAttachmentList", "ReplyForm"]

#: Fields-dict key -> id of the widget a problem with it is shown under (and focus moves to).
ERROR_TARGETS: dict[str, tuple[str, str]] = {
    "to_email": ("err-to", "to"),
    "cc": ("err-cc", "cc"),
    "bcc": ("err-bcc", "bcc"),
    "schedule_text": ("schedule-resolved", "schedule"),
    "body": ("err-body", "body"),
    "attachments": ("err-attachments", "attach-url"),
    "campaign_id": ("err-campaign", "campaign-id"),
    "email_stats_id": ("err-stats", "stats-id"),
    "thread_id": ("err-thread", "thread-id"),
    "reply_message_id": ("err-message-id", "reply-message-id"),
    "reply_email_time": ("err-reply-time", "reply-time"),
}
#: How the "what blocks sending" line names each field.
FIELD_LABELS: dict[str, str] = {
    "to_email": "To",
    "cc": "CC",
    "bcc": "BCC",
    "schedule_text": "When",
    "body": "Body",
    "attachments": "Attachments",
    "campaign_id": "campaign id",
    "email_stats_id": "email stats id",
    "thread_id": "thread id",
    "reply_message_id": "reply-to Message-ID",
    "reply_email_time": "original time",
    "to_first_name": "first name",
    "to_last_name": "last name",
    "reply_email_body": "original body",
    "schedule_condition": "schedule condition",
    "seq_type": "sequence type",
}
#: Keys edited inside the Advanced section (it opens when one of them has a problem).
ADVANCED_KEYS = frozenset(
    {
        "campaign_id",
        "email_stats_id",
        "thread_id",
        "reply_message_id",
        "reply_email_time",
        "reply_email_body",
        "schedule_condition",
        "seq_type",
    }
)

SCHEDULE_HINT = "now — or: tomorrow 9am · in 2h · mon 10:00 · 2026-12-01 14:30"
ATTACH_HINT = (
    "Public http(s) links only: SmartLead downloads each file from its URL itself, "
    "so local files cannot be attached."
)


def _id_value(text: str) -> int | str | None:
    """An id box as a fields value: int when it is one, the text as typed otherwise."""
    stripped = text.strip()
    if not stripped:
        return None
    return int(stripped) if stripped.isdigit() else stripped


def _attachment_label(item: Mapping[str, Any]) -> Text:
    name = str(item.get("file_name") or "attachment")
    kind = str(item.get("file_type") or "?")
    return Text.assemble((name, "bold"), f"  {kind}  ", (str(item.get("file_url", "")), "dim"))


class ReplyAttachmentList(OptionList):
    """The attachments: `delete` (or `x`) removes the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("delete,x", "remove", "Remove attachment", id="compose.remove-attachment"),
    ]

    class RemoveRequested(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def action_remove(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.RemoveRequested(self.highlighted))


class ReplyForm(ReplyFormKeys):
    """All inputs of a reply; posts `ReplyForm.Edited` whenever a value really changed."""

    DEFAULT_CSS = """
    ReplyForm { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    ReplyForm .row { height: auto; }
    ReplyForm .row > Label { width: 9; color: $text-muted; }
    ReplyForm .row > Input { width: 1fr; }
    ReplyForm #first-name { margin-right: 1; }
    ReplyForm #context { color: $text-muted; text-style: italic; height: auto; }
    ReplyForm .field-error { color: $error; padding-left: 9; height: auto; }
    ReplyForm .hint { color: $text-muted; padding-left: 9; height: auto; }
    ReplyForm #schedule-resolved { padding-left: 9; height: auto; }
    ReplyForm #schedule-resolved.-error { color: $error; }
    ReplyForm #signature { margin-left: 9; }
    ReplyForm #body-label { margin-top: 0; }
    ReplyForm #body { height: 10; min-height: 5; }
    ReplyForm #original-box { height: auto; margin-top: 1; }
    ReplyForm #original-title { color: $text-muted; }
    ReplyForm #original {
        border-left: outer $secondary; padding: 0 1; color: $text-muted; height: auto;
        max-height: 12; overflow-y: auto;
    }
    ReplyForm #attachments-label { margin-top: 1; }
    ReplyForm #attachments { height: auto; max-height: 6; margin-left: 9; }
    ReplyForm #attachments.-empty { display: none; }
    ReplyForm #advanced { margin-top: 1; padding: 0; }
    ReplyForm #advanced .row > Label { width: 20; }
    ReplyForm #advanced .field-error { padding-left: 20; }
    ReplyForm #reply-body { height: 5; }
    ReplyForm .-hidden { display: none; }
    """

    class Edited(Message):
        """A value the person typed changed (not a programmatic fill)."""

        def __init__(self, fields: dict[str, Any]) -> None:
            super().__init__()
            self.fields = fields

    def __init__(
        self, fields: Mapping[str, Any], *, tz: tzinfo | None = None, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.tz = tz
        self._fields = normalize_fields(fields)
        self._attachments = [_named(a) for a in self._fields["attachments"]]
        self._last: dict[str, Any] | None = None
        self._shown: dict[str, str] = {}

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        f = self._fields
        yield Static(self._context_text(f), id="context", markup=False)
        with Horizontal(classes="row"):
            yield Label("To")
            yield Input(
                _s(f["to_email"]),
                placeholder="lead@company.com (empty: the lead's own address)",
                id="to",
                compact=True,
            )
        with Horizontal(classes="row"):
            yield Label("Name")
            yield Input(
                _s(f["to_first_name"]), placeholder="first name", id="first-name", compact=True
            )
            yield Input(
                _s(f["to_last_name"]), placeholder="last name", id="last-name", compact=True
            )
        yield Static("", id="err-to", classes="field-error", markup=False)
        with Horizontal(classes="row"):
            yield Label("CC")
            yield Input(_s(f["cc"]), placeholder="comma-separated addresses", id="cc", compact=True)
        yield Static("", id="err-cc", classes="field-error", markup=False)
        with Horizontal(classes="row"):
            yield Label("BCC")
            yield Input(
                _s(f["bcc"]), placeholder="comma-separated addresses", id="bcc", compact=True
            )
        yield Static("", id="err-bcc", classes="field-error", markup=False)
        with Horizontal(classes="row"):
            yield Label("When")
            schedule = _s(f["schedule_text"]) or _s(f["scheduled_time"])
            yield Input(schedule, placeholder=SCHEDULE_HINT, id="schedule", compact=True)
        yield Static("", id="schedule-resolved", markup=False)
        yield StateCheckbox(
            "Add the mailbox signature",
            value=bool(f["add_signature"]),
            id="signature",
            compact=True,
        )
        yield Label("Body  (ctrl+e: edit in $EDITOR)", id="body-label")
        yield ReplyTextArea(
            _s(f["body"]),
            id="body",
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            placeholder="Write the reply…",
        )
        yield Static("", id="err-body", classes="field-error", markup=False)
        with Vertical(id="original-box"):
            yield Label("Replying to (read-only):", id="original-title")
            yield Static("", id="original", markup=False)
        yield Label("Attachments", id="attachments-label")
        yield Static(ATTACH_HINT, classes="hint", markup=False)
        yield ReplyAttachmentList(id="attachments", markup=False, compact=True)
        with Horizontal(classes="row"):
            yield Label("Add URL")
            yield Input(
                placeholder="https://example.com/deck.pdf then enter",
                id="attach-url",
                compact=True,
            )
        yield Static("", id="err-attachments", classes="field-error", markup=False)
        with Collapsible(title="Advanced: thread context", collapsed=True, id="advanced"):
            yield from self._advanced_rows(f)

    def _advanced_rows(self, f: Mapping[str, Any]) -> Iterable[Widget]:
        rows = (
            ("Campaign id", "campaign-id", "campaign_id", "number, e.g. 3021", "err-campaign"),
            (
                "Email stats id",
                "stats-id",
                "email_stats_id",
                "stats id of the message answered",
                "err-stats",
            ),
            (
                "Reply-to Message-ID",
                "reply-message-id",
                "reply_message_id",
                "<id@domain>",
                "err-message-id",
            ),
            ("Thread id", "thread-id", "thread_id", "optional number", "err-thread"),
            (
                "Original time",
                "reply-time",
                "reply_email_time",
                "ISO 8601, e.g. 2026-03-12T11:29Z",
                "err-reply-time",
            ),
            ("Schedule condition", "schedule-condition", "schedule_condition", "optional", ""),
            ("Sequence type", "seq-type", "seq_type", "optional", ""),
        )
        for label, widget_id, key, placeholder, error_id in rows:
            row = Horizontal(
                Label(label),
                Input(_s(f[key]), placeholder=placeholder, id=widget_id, compact=True),
                classes="row",
            )
            yield row
            if error_id:
                yield Static("", id=error_id, classes="field-error", markup=False)
        yield Label("Original body (sent back as replyEmailBody):")
        yield ReplyTextArea(
            _s(f["reply_email_body"]),
            id="reply-body",
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
        )

    def on_mount(self) -> None:
        pictures = ControlPictures()
        for field in self.query(Input):
            field.highlighter = pictures  # a pasted ESC must not reach the terminal
            # Tabbing into a name and typing must add to it, not replace it (Inputs here have
            # no undo): the caret goes to the end, nothing selected.
            field.select_on_focus = False
        for widget in self.query(".field-error"):
            widget.display = False
            if widget.id:
                self._shown[widget.id] = ""
        self._refresh_attachments()
        self._refresh_original()
        self._last = self.get_fields()
        self._has_controls = has_controls(self._last.values())

    # -- reading and writing ---------------------------------------------------------------

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value

    def get_fields(self) -> dict[str, Any]:
        """The canonical fields dict of what is on screen (context keys carried through)."""
        fields = normalize_fields(self._fields)
        fields.update(
            {
                "to_email": self._value("to").strip(),
                "to_first_name": self._value("first-name"),
                "to_last_name": self._value("last-name"),
                "cc": self._value("cc"),
                "bcc": self._value("bcc"),
                "schedule_text": self._value("schedule"),
                # The typed text is the truth; the resolved time is added when a reply is held.
                "scheduled_time": None,
                "add_signature": self.query_one("#signature", Checkbox).value,
                "body": self.query_one("#body", TextArea).text,
                "attachments": [dict(a) for a in self._attachments],
                "campaign_id": _id_value(self._value("campaign-id")),
                "email_stats_id": self._value("stats-id").strip(),
                "reply_message_id": self._value("reply-message-id").strip(),
                "thread_id": _id_value(self._value("thread-id")),
                "reply_email_time": self._value("reply-time").strip(),
                "schedule_condition": self._value("schedule-condition"),
                "seq_type": self._value("seq-type"),
                "reply_email_body": self.query_one("#reply-body", TextArea).text,
            }
        )
        return fields

    def set_fields(self, fields: Mapping[str, Any]) -> None:
        """Fill every input (undo, a failed send); does not count as an edit."""
        f = normalize_fields(fields)
        self._fields = f
        self._last = None
        carets = save_carets(self)
        values = {
            "to": f["to_email"],
            "first-name": f["to_first_name"],
            "last-name": f["to_last_name"],
            "cc": f["cc"],
            "bcc": f["bcc"],
            "schedule": _s(f["schedule_text"]) or _s(f["scheduled_time"]),
            "campaign-id": f["campaign_id"],
            "stats-id": f["email_stats_id"],
            "reply-message-id": f["reply_message_id"],
            "thread-id": f["thread_id"],
            "reply-time": f["reply_email_time"],
            "schedule-condition": f["schedule_condition"],
            "seq-type": f["seq_type"],
        }
        with self.prevent(Input.Changed, TextArea.Changed, Checkbox.Changed):
            for widget_id, value in values.items():
                self.query_one(f"#{widget_id}", Input).value = _s(value)
            self.query_one("#signature", Checkbox).value = bool(f["add_signature"])
            self.query_one("#body", TextArea).text = _s(f["body"])
            self.query_one("#reply-body", TextArea).text = _s(f["reply_email_body"])
        restore_carets(self, carets)  # an undo gives the same text back: the caret stays put
        self._attachments = [_named(a) for a in f["attachments"]]
        self._refresh_attachments()
        self._refresh_original()
        self.query_one("#context", Static).update(self._context_text(f))
        self._last = self.get_fields()
        self._controls_changed(self._last)

    def reset(self, fields: Mapping[str, Any]) -> None:
        """As if freshly built for `fields` (the composer reuses one form for every reply).

        Setting a TextArea's text clears its undo history: ctrl+z never brings back another
        lead's reply.
        """
        self.set_fields(fields)
        self.query_one("#attach-url", Input).value = ""
        for widget_id in list(self._shown):
            self._put(widget_id, "")
        self.query_one("#advanced", Collapsible).collapsed = True
        self.scroll_home(animate=False)

    # -- problems --------------------------------------------------------------------------

    def show_problems(self, check: FieldCheck, *, show_all: bool) -> None:
        """Put each problem under its field. Empty-field complaints wait for `show_all`
        (a send attempt), so a fresh form is not a wall of red."""
        fields = self.get_fields()
        for key, (error_id, _) in ERROR_TARGETS.items():
            if key == "schedule_text":
                continue
            messages = check.for_key(key)
            typed = key == "attachments" or bool(_s(fields.get(key)).strip())
            shown = messages if (typed or show_all) else []
            text = "\n".join(f"✗ {m}" for m in shown)
            if shown and CONTROL_CHARS.search(_s(fields.get(key))):
                text += f" · {self.key_for('compose.strip-controls')} strips them"
            self._put(error_id, text)
        if show_all and any(p.key in ADVANCED_KEYS for p in check.problems):
            self.query_one("#advanced", Collapsible).collapsed = False

    def _put(self, widget_id: str, text: str) -> None:
        """Update a message line only when its text changes (typing stays cheap)."""
        if self._shown.get(widget_id) == text:
            return
        self._shown[widget_id] = text
        widget = self.query_one(f"#{widget_id}", Static)
        widget.update(text)
        widget.display = bool(text)

    def show_schedule(self, text: str, *, error: bool) -> None:
        self._put("schedule-resolved", text)
        self.query_one("#schedule-resolved", Static).set_class(error, "-error")

    def show_attachment_error(self, message: str) -> None:
        self._put("err-attachments", f"✗ {message}" if message else "")

    @staticmethod
    def in_form_order(keys: Iterable[str]) -> list[str]:
        """Problem keys sorted top to bottom as the fields appear on screen."""
        order = {key: i for i, key in enumerate(ERROR_TARGETS)}
        return sorted(keys, key=lambda k: order.get(k, len(order)))

    def focus_problem(self, key: str) -> None:
        target = ERROR_TARGETS.get(key)
        if target is None:
            return
        if key in ADVANCED_KEYS:
            self.query_one("#advanced", Collapsible).collapsed = False
        widget = self.query_one(f"#{target[1]}")
        widget.focus()
        self.call_after_refresh(widget.scroll_visible)

    def focus_body_end(self) -> None:
        body = self.query_one("#body", TextArea)
        body.focus()
        body.move_cursor(body.document.end)

    # -- attachments and original message ---------------------------------------------------

    @on(Input.Submitted, "#attach-url")
    def _add_attachment(self, event: Input.Submitted) -> None:
        event.stop()
        self._attach_typed(event.input)

    def take_pending_attachment(self) -> str:
        """Add a URL typed in "Add URL" but not confirmed with enter (before a review, which
        must not drop it silently). "" when added or none is typed, else why it cannot be:
        the URL then stays typed, the problem under it."""
        field = self.query_one("#attach-url", Input)
        if not field.value.strip():
            return ""
        return self._attach_typed(field, already_ok=True)

    def _attach_typed(self, field: Input, *, already_ok: bool = False) -> str:
        """Add the URL typed in `field`; "" when it was added, else the problem (shown)."""
        url = field.value.strip()
        if not url:
            return ""
        try:
            item = guess_attachment(url)
        except ValidationError as exc:
            self.show_attachment_error(str(exc))
            return str(exc)
        if any(a.get("file_url") == item["file_url"] for a in self._attachments):
            if already_ok:  # what the person wanted is there: nothing is lost
                field.value = ""
                return ""
            problem = f"attachment: '{item['file_url']}' is already attached"
            self.show_attachment_error(problem)
            return problem
        self._attachments.append(item)
        field.value = ""
        self.show_attachment_error("")
        self._refresh_attachments()
        self._maybe_edited()
        return ""

    @on(ReplyAttachmentList.RemoveRequested)
    def _remove_attachment(self, event: ReplyAttachmentList.RemoveRequested) -> None:
        if 0 <= event.index < len(self._attachments):
            del self._attachments[event.index]
            self._refresh_attachments()
            self._maybe_edited()

    def _refresh_attachments(self) -> None:
        listing = self.query_one("#attachments", ReplyAttachmentList)
        highlighted = listing.highlighted
        listing.clear_options()
        listing.add_options(Option(_attachment_label(a)) for a in self._attachments)
        listing.set_class(not self._attachments, "-empty")
        if self._attachments:
            index = min(highlighted or 0, len(self._attachments) - 1)
            listing.highlighted = index
        label = self.query_one("#attachments-label", Label)
        count = len(self._attachments)
        label.update("Attachments" + (f" ({count})  delete: remove" if count else ": none"))

    def _refresh_original(self) -> None:
        original = html_to_text(_s(self._fields.get("reply_email_body")), fold_quotes=False).strip()
        box = self.query_one("#original-box")
        box.display = bool(original)
        when = self._when(_s(self._fields.get("reply_email_time")))
        title = "Replying to (read-only)" + (f", sent {when}" if when else "") + ":"
        self.query_one("#original-title", Label).update(title)
        self.query_one("#original", Static).update(original)

    def _when(self, text: str) -> str:
        """An API timestamp in the configured zone, or as given when it does not parse."""
        if not text.strip():
            return ""
        try:
            moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            return text
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if self.tz is not None:
            moment = moment.astimezone(self.tz)
        return moment.strftime("%a %d %b %Y %H:%M")

    @staticmethod
    def _context_text(f: Mapping[str, Any]) -> str:
        parts = []
        label = _s(f.get("lead_label")).strip()
        parts.append(f"Reply to {label}" if label else "New reply")
        if _s(f.get("campaign_name")).strip():
            parts.append(_s(f["campaign_name"]).strip())
        subject = _s(f.get("subject")).strip()
        parts.append(f"Subject: {subject}" if subject else "no subject context")
        return " · ".join(parts)

    # -- change tracking ---------------------------------------------------------------------

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Checkbox.Changed)
    def _on_any_change(self, event: Message) -> None:
        if isinstance(event, Input.Changed) and event.input.id == "attach-url":
            self.show_attachment_error("")
            return
        if isinstance(event, TextArea.Changed) and event.text_area.id == "reply-body":
            self._fields["reply_email_body"] = event.text_area.text
            self._refresh_original()
        self._maybe_edited()

    def _maybe_edited(self) -> None:
        if self._last is None:
            return
        fields = self.get_fields()
        if fields != self._last:
            self._last = fields
            self._controls_changed(fields)
            self.post_message(self.Edited(fields))


def _named(item: Mapping[str, Any]) -> dict[str, Any]:
    """An attachment with its name and type guessed when a prefill (e.g. --attach) gave none."""
    named = dict(item)
    if not named.get("file_name") or not named.get("file_type"):
        try:
            guessed = guess_attachment(_s(named.get("file_url")))
        except ValidationError:
            return named  # shown as is; validation says what is wrong with it
        named["file_name"] = named.get("file_name") or guessed["file_name"]
        named["file_type"] = named.get("file_type") or guessed["file_type"]
    return named


def _s(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    return str(value)
