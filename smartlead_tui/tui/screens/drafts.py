"""Saved drafts on request (F3, palette "Drafts"): reopen one, or discard it.

Start-up recovery offers drafts only after a crash; drafts a person left on purpose wait here
instead of covering the inbox at every start.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from smartlead_tui.control_chars import visible_controls
from smartlead_tui.outbox.sender import lead_label_for
from smartlead_tui.outbox.store import DraftRecord, StoreError
from smartlead_tui.tui.widgets.key_footer import KeyFooter

__all__ = ["DraftsScreen", "body_preview", "draft_prompt"]

HELP = "enter: open in the composer · x: discard (asks again) · escape: close"


def body_preview(fields: dict[str, Any], width: int = 40) -> str:
    """The body on one line, cut to `width`.

    A draft can hold a pasted ESC (the composer blocks sending it, not saving it): it is drawn
    as its picture so it cannot move the terminal's cursor.
    """
    body = visible_controls(" ".join(str(fields.get("body") or "").split()))
    if not body:
        return "(empty body)"
    return body if len(body) <= width else body[: width - 1] + "…"


def draft_prompt(draft: DraftRecord, tz: tzinfo) -> Text:
    """One list line: DRAFT, the lead, the start of the body, when it was saved."""
    saved = draft.updated_at.astimezone(tz).strftime("%d %b %H:%M")
    return Text.assemble(
        ("DRAFT   ", "bold"),
        f"{lead_label_for(draft.fields)} — {body_preview(draft.fields)} — saved {saved}",
    )


class DraftsScreen(ModalScreen[None]):
    """Every saved draft, newest first."""

    DEFAULT_CSS = """
    DraftsScreen { align: center middle; }
    DraftsScreen > #drafts {
        width: 100; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; border-title-align: center; background: $surface; padding: 0 1;
    }
    DraftsScreen #drafts-list { height: auto; max-height: 16; }
    DraftsScreen #drafts-help { height: auto; color: $text-muted; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open in composer", id="drafts.open"),
        Binding("x", "discard", "Discard draft", id="drafts.discard"),
        Binding("escape", "close", "Close", id="drafts.close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._drafts: dict[str, DraftRecord] = {}
        self._confirm: str | None = None  # the draft whose discard waits for a second x
        self._error = ""

    @property
    def tz(self) -> tzinfo:
        return self.app.timezone  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        try:
            drafts = self.app.store.list_drafts()  # type: ignore[attr-defined]
        except StoreError as exc:
            drafts, self._error = [], f"Could not read the drafts: {exc}"
        self._drafts = {f"draft-{d.thread_key}": d for d in drafts}
        box = Vertical(id="drafts")
        box.border_title = "Saved drafts"
        with box:
            options = [Option(draft_prompt(d, self.tz), id=k) for k, d in self._drafts.items()]
            yield OptionList(*options, id="drafts-list", markup=False)
            yield Static(self._help(), id="drafts-help", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#drafts-list", OptionList).display = bool(self._drafts)

    def _help(self) -> str:
        if self._error:
            return self._error
        if not self._drafts:
            return "No saved drafts. escape: close"
        if self._confirm is not None:
            draft = self._drafts[self._confirm]
            return (
                f"Press x again to discard the draft to {lead_label_for(draft.fields)} "
                "(it cannot be brought back); any other key keeps it."
            )
        return HELP

    def _current(self) -> str | None:
        found = self.query("#drafts-list").results(OptionList)
        listing = next(found, None)
        if listing is None or listing.highlighted is None or not self._drafts:
            return None
        return listing.get_option_at_index(listing.highlighted).id

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open", "discard"):
            return self._current() is not None
        return True

    def _set_confirm(self, key: str | None) -> None:
        self._confirm = key
        self.query_one("#drafts-help", Static).update(self._help())

    def on_key(self, event: events.Key) -> None:
        # Any key but x keeps a draft whose discard was asked for.
        if self._confirm is not None and event.key != "x":
            self._set_confirm(None)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.refresh_bindings()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        key = self._current()
        draft = self._drafts.get(key) if key else None
        if draft is None:
            return
        self.dismiss()
        self.app.open_compose(prefill=draft.fields)  # type: ignore[attr-defined]

    def action_discard(self) -> None:
        key = self._current()
        if key is None:
            return
        if self._confirm != key:
            self._set_confirm(key)
            return
        draft = self._drafts.pop(key)
        try:
            self.app.store.delete_draft(draft.thread_key)  # type: ignore[attr-defined]
        except StoreError as exc:
            self._drafts[key] = draft
            self._confirm = None
            self._error = f"Could not discard the draft: {exc}"
            self.query_one("#drafts-help", Static).update(self._help())
            return
        listing = self.query_one("#drafts-list", OptionList)
        listing.remove_option(key)
        listing.display = bool(self._drafts)
        self.notify(f"Draft to {lead_label_for(draft.fields)} discarded.", markup=False)
        self._set_confirm(None)
        self.refresh_bindings()

    def action_close(self) -> None:
        self.dismiss()
