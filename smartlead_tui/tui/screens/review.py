"""Review before send: exactly what will go out, the warnings, and one deliberate confirmation.

Sending cannot be taken back once the undo window ends, so this modal shows the reply as it
will be POSTed (from the validated ReplyDraft, not from the form) and makes a probable double
send need `y`; `enter` alone does not send a duplicate.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any, ClassVar, Literal

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from smartlead_tui.api.models import ReplyDraft
from smartlead_tui.body_format import text_to_html
from smartlead_tui.categories import (
    category_from_fields,
    do_not_contact_warning,
    is_do_not_contact,
)
from smartlead_tui.inbox import html_to_text
from smartlead_tui.outbox.store import OutboxEntry
from smartlead_tui.tui.categories import CategoriesLoaded, category_names
from smartlead_tui.tui.widgets.key_footer import KeyFooter
from smartlead_tui.validation import format_schedule

__all__ = ["ReviewResult", "ReviewScreen"]

#: "send" (enter/y), "send-duplicate" (y on a flagged duplicate), or None (escape: back).
ReviewResult = Literal["send", "send-duplicate"] | None

#: How much of the body the review lays out: wrapping a 1 MB body froze the screen for
#: seconds. A longer body is cut here, with a note saying so; all of it is still sent.
BODY_PREVIEW_CHARS = 20_000


class ReviewScreen(ModalScreen[ReviewResult]):
    """Shows recipient, CC, BCC, when, signature, attachments, body, thread, warnings."""

    DEFAULT_CSS = """
    ReviewScreen { align: center middle; }
    ReviewScreen > #review {
        width: 100; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; border-title-align: center; border-subtitle-align: center;
        border-subtitle-style: bold; background: $surface; padding: 0 1;
    }
    ReviewScreen #review-scroll { height: auto; max-height: 100%; }
    ReviewScreen #review-summary { height: auto; }
    ReviewScreen #review-body-label { text-style: bold; }
    ReviewScreen #review-body { border-left: outer $primary; padding: 0 1; height: auto; }
    ReviewScreen #review-warnings { color: $warning; height: auto; margin-bottom: 1; }
    ReviewScreen #review-duplicate {
        color: $error; text-style: bold; height: auto; border: round $error; padding: 0 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "confirm", "Send", id="review.confirm"),
        Binding("y", "confirm_explicit", "Yes, send", id="review.yes"),
        Binding("escape,n", "back", "Back to editing", id="review.back"),
        Binding("h", "toggle_source", "HTML source", id="review.html-source"),
    ]

    def __init__(
        self,
        draft: ReplyDraft,
        fields: dict[str, Any],
        *,
        tz: tzinfo,
        warnings: list[str],
        duplicate: OutboxEntry | None = None,
        undo_seconds: int = 10,
    ) -> None:
        super().__init__()
        self.draft = draft
        self.fields = fields
        self.tz = tz
        self.warnings = list(warnings)
        self.duplicate = duplicate
        self.undo_seconds = undo_seconds
        self._answered = False
        #: An HTML body is shown as the lead will read it; `h` shows the HTML itself.
        self.show_source = False
        #: What the summary shows, as (label, value) pairs (continuation rows have label "").
        self.rows: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        box = Vertical(id="review")
        box.border_title = "Review before sending"
        box.border_subtitle = self._prompt()
        with box, VerticalScroll(id="review-scroll"):
            if self.duplicate is not None:
                yield Static(Text(self._duplicate_text()), id="review-duplicate")
            yield Static(self._summary(), id="review-summary")
            if self.warnings:
                yield Static(Text("\n".join(f"⚠ {w}" for w in self.warnings)), id="review-warnings")
            yield Static(self._body_label(), id="review-body-label", markup=False)
            yield Static(self._body(), id="review-body")
        yield KeyFooter()

    # -- text ---------------------------------------------------------------------------------

    def _summary(self) -> Table:
        d = self.draft
        rows: list[tuple[str, str]] = []
        name = " ".join(p for p in (d.to_first_name, d.to_last_name) if p)
        if d.to_email:
            rows.append(("To", f"{name} <{d.to_email}>" if name else d.to_email))
        else:
            rows.append(("To", "(the lead's own address)" + (f", name {name}" if name else "")))
        rows.append(("CC", ", ".join(d.cc) or "—"))
        rows.append(("BCC", ", ".join(d.bcc) or "—"))
        if d.scheduled_time is not None:
            when = format_schedule(d.scheduled_time, self.tz)
        elif self.undo_seconds > 0:
            when = f"now (after the {self.undo_seconds} s undo window)"
        else:
            when = "now"
        rows.append(("When", when))
        rows.append(("Signature", "on (mailbox signature added)" if d.add_signature else "off"))
        if d.attachments:
            for i, a in enumerate(d.attachments):
                rows.append(
                    (
                        "Attachments" if i == 0 else "",
                        f"{a.file_name or 'attachment'} ({a.file_type or '?'}) {a.file_url}",
                    )
                )
        else:
            rows.append(("Attachments", "none"))
        campaign = str(d.campaign_id)
        campaign_name = str(self.fields.get("campaign_name") or "").strip()
        if campaign_name:
            campaign += f" ({campaign_name})"
        rows.append(("Campaign", campaign))
        label, category = category_from_fields(self.fields, category_names(self.app))
        if label:
            warn = "⚠ " if category is not None and is_do_not_contact(category) else ""
            rows.append(("Category", warn + label))
        rows.append(("Stats id", d.email_stats_id))
        subject = str(self.fields.get("subject") or "").strip()
        rows.append(("Subject", subject or "(unknown)"))
        rows.append(("Reply to", d.reply_message_id or "(no Message-ID)"))
        if d.thread_id is not None:
            rows.append(("Thread id", str(d.thread_id)))
        if d.schedule_condition:
            rows.append(("Condition", d.schedule_condition))
        if d.seq_type:
            rows.append(("Seq. type", d.seq_type))
        self.rows = rows
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for label, value in rows:
            grid.add_row(Text(label), Text(value))
        return grid

    @property
    def is_html(self) -> bool:
        """The body goes out as the HTML made from the typed text (`body_format = "html"`)."""
        return self.draft.typed_body is not None

    def _body_label(self) -> str:
        if not self.is_html:
            return "Body (sent as plain text)"
        if self.show_source:
            return "Body (the HTML that is sent)"
        return "Body (sent as HTML, shown as the lead reads it)"

    def _body(self) -> Text:
        body = self.draft.body
        typed = self.draft.typed_body
        if typed is not None and not self.show_source:
            # As the lead reads it: the HTML made from (a preview's worth of) the typed text,
            # rendered back; laying out all of a 1 MB body froze the screen.
            body = typed
            shown = html_to_text(text_to_html(typed[:BODY_PREVIEW_CHARS]), fold_quotes=False)
        else:
            shown = body[:BODY_PREVIEW_CHARS]
        if len(body) <= BODY_PREVIEW_CHARS:
            return Text(shown)
        text = Text(shown)
        text.append(
            f"\n… {len(body) - BODY_PREVIEW_CHARS:,} more characters not shown here "
            f"({len(body):,} in all, {body.count(chr(10)) + 1:,} lines); the whole body is sent.",
            style="bold",
        )
        return text

    def _duplicate_text(self) -> str:
        dup = self.duplicate
        assert dup is not None
        when = dup.created_at.astimezone(self.tz).strftime("%a %d %b %H:%M")
        return (
            f"Possible double send: the same reply (same campaign, stats id and body) was "
            f"{dup.state} on {when} (outbox entry {dup.id}). Press y to send it again anyway; "
            "enter does not send it."
        )

    def on_categories_loaded(self, message: CategoriesLoaded) -> None:
        """Names came after this opened: show the category, and warn if it is a negative one."""
        names = category_names(self.app)
        warning = do_not_contact_warning(self.fields, names)
        if warning and warning not in self.warnings:
            self.warnings.insert(0, warning)
            text = Text("\n".join(f"⚠ {w}" for w in self.warnings))
            found = self.query("#review-warnings")
            if found:
                found.first(Static).update(text)
            else:
                self.query_one("#review-scroll").mount(
                    Static(text, id="review-warnings"), after="#review-summary"
                )
        self.query_one("#review-summary", Static).update(self._summary())

    def _prompt(self) -> str:
        if self.duplicate is not None:
            return "y: send it again anyway · escape: back to editing"
        return "enter or y: send · escape: back to editing"

    # -- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A probable duplicate hides enter: it needs an explicit y.
        if action == "toggle_source":
            return self.is_html
        return not (action == "confirm" and self.duplicate is not None)

    def action_confirm(self) -> None:
        if self.duplicate is not None:
            self.notify(
                "This looks like a double send: press y to send it anyway, or escape.",
                severity="warning",
                markup=False,
            )
            return
        self._answer("send")

    def action_confirm_explicit(self) -> None:
        self._answer("send-duplicate" if self.duplicate is not None else "send")

    def action_back(self) -> None:
        self._answer(None)

    def action_toggle_source(self) -> None:
        if not self.is_html:
            return
        self.show_source = not self.show_source
        self.query_one("#review-body-label", Static).update(self._body_label())
        self.query_one("#review-body", Static).update(self._body())

    def _answer(self, result: ReviewResult) -> None:
        """Answer once: the second of several fast keypresses must not answer again."""
        if self._answered:
            return
        self._answered = True
        self.dismiss(result)
