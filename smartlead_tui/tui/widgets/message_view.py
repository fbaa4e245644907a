"""A thread's messages as readable cards, oldest first; quoted history folded on request."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from smartlead_tui.api.models import Message
from smartlead_tui.inbox import format_message_time, html_to_text, quoted_line_count
from smartlead_tui.outbox.states import display_state, scheduled_at


def _size(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return ""
    if value < 1024:
        return f"{int(value)} B"
    if value < 1024 * 1024:
        return f"{value / 1024:.0f} KB"
    return f"{value / (1024 * 1024):.1f} MB"


def attachment_line(attachment: dict[str, Any]) -> str:
    """'requirements.pdf (application/pdf, 47 KB) https://…' from a history attachment."""
    name = str(attachment.get("file_name") or attachment.get("name") or "").strip()
    url = str(attachment.get("file_url") or attachment.get("url") or "").strip()
    kind = str(attachment.get("file_type") or "").strip()
    details = ", ".join(p for p in (kind, _size(attachment.get("file_size"))) if p)
    parts = [name or "(unnamed file)"]
    if details:
        parts.append(f"({details})")
    if url and url != name:
        parts.append(url)
    return " ".join(parts)


class MessageCard(Static):
    """One email. SENT and REPLY differ by label and side, not by colour alone."""

    DEFAULT_CSS = """
    MessageCard {
        height: auto;
        padding: 0 1;
        margin: 0 0 1 0;
        border-left: thick $panel;
        background: $surface;
    }
    MessageCard.reply { border-left: thick $success; margin: 0 4 1 0; }
    MessageCard.sent { border-left: thick $primary; margin: 0 0 1 4; }
    MessageCard.pending { border-left: thick $warning; margin: 0 0 1 4; }
    """

    def __init__(self, text: Text, *, kind: str, index: int) -> None:
        super().__init__(text, markup=False, classes=kind)
        self.index = index  # position in the thread (cards mount newest first)


def message_text(
    message: Message,
    zone: tzinfo,
    *,
    fold_quotes: bool,
    subject: bool,
    show_key: str = "z",
    sends_at: float | None = None,
) -> Text:
    """The card's content: a labelled header, addresses, attachments, then the body.

    `sends_at` marks an outgoing message that is only scheduled: it reads SCHEDULED with the
    time it goes, never SENT (SmartLead lists scheduled replies in the history too).
    """
    text = Text()
    if message.is_reply:
        text.append("◀ REPLY", style="bold")
        text.append(f" from {message.from_email}")
    elif sends_at is not None:
        text.append("◷ SCHEDULED", style="bold")
        text.append(f" to {message.to_email}")
        when = datetime.fromtimestamp(sends_at, UTC)
        text.append(f"  ·  sends {format_message_time(when, zone)}", style="bold")
    else:
        text.append("▶ SENT", style="bold")
        text.append(f" to {message.to_email}")
    if sends_at is None or message.is_reply:
        text.append(f"  ·  {format_message_time(message.time, zone)}", style="dim")
    if message.seq_number is not None and not message.is_reply:
        text.append(f"  ·  step {message.seq_number}", style="dim")
    if subject and message.subject:
        text.append("\nSubject: ", style="dim")
        text.append(message.subject)
    if message.cc.strip():
        text.append("\nCC: ", style="dim")
        text.append(message.cc.strip())
    if message.bcc.strip():
        text.append("\nBCC: ", style="dim")
        text.append(message.bcc.strip())
    for attachment in message.attachments:
        text.append("\nAttachment: ", style="dim")
        text.append(attachment_line(attachment))
    body = html_to_text(message.body_html, fold_quotes=fold_quotes, show_key=show_key)
    text.append("\n\n")
    text.append(body or "(empty message)")
    return text


def pending_text(entry: Any, zone: tzinfo) -> Text:
    """A reply of ours that SmartLead's history does not show yet (from the local outbox)."""
    fields = entry.fields if isinstance(getattr(entry, "fields", None), dict) else {}
    text = Text()
    state = display_state(entry)
    text.append(f"▶ OUTBOX · {state.upper()}", style="bold")
    to = str(fields.get("to_email") or "")
    if to:
        text.append(f" to {to}")
    when = scheduled_at(entry) if state == "scheduled" else None
    if when is not None:
        moment = datetime.fromtimestamp(when, UTC)
        text.append(f"  ·  sends {format_message_time(moment, zone)}", style="bold")
    created = getattr(entry, "created_at", None)
    if created is not None and when is None:
        text.append(f"  ·  {format_message_time(created, zone)}", style="dim")
    if getattr(entry, "last_error", None):
        text.append(f"\n{entry.last_error}", style="italic")
    text.append("\n\n")
    text.append(html_to_text(str(fields.get("body") or "")) or "(empty message)")
    return text


class MessageView(VerticalScroll):
    """The scrolling list of cards. Rendered texts are cached per message and fold state."""

    DEFAULT_CSS = """
    MessageView {
        height: 1fr;
        padding: 0 1;
        background: $background;
    }
    MessageView:focus { background-tint: $foreground 3%; }
    """
    can_focus = True
    #: Cards mounted (and painted) first when a thread opens; the rest follow a frame later.
    first_batch = 10

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.zone: tzinfo = UTC
        self.fold_quotes = True
        self.show_key = "z"  # the key that unfolds quotes, named in the fold marker
        self._messages: list[Message] = []
        self._pending: list[Any] = []
        #: stats id -> when it goes, for outgoing messages that are only scheduled
        self._scheduled: dict[str, float] = {}
        self._cache: dict[tuple[str, str, bool, bool, float | None], Text] = {}
        self._generation = 0
        #: False while older cards of a long thread are still being mounted.
        self.complete = True

    @property
    def messages(self) -> list[Message]:
        return list(self._messages)

    def _card_text(self, message: Message, *, subject: bool) -> Text:
        sends_at = self._scheduled.get(message.stats_id)
        key = (message.stats_id, message.time, self.fold_quotes, subject, sends_at)
        cached = self._cache.get(key)
        if cached is None:
            cached = message_text(
                message,
                self.zone,
                fold_quotes=self.fold_quotes,
                subject=subject,
                show_key=self.show_key,
                sends_at=sends_at,
            )
            self._cache[key] = cached
        return cached

    def _texts(self) -> list[tuple[Text, str]]:
        cards: list[tuple[Text, str]] = []
        last_subject = None
        for message in self._messages:
            subject = message.subject.removeprefix("Re: ").removeprefix("RE: ")
            show_subject = subject != last_subject
            last_subject = subject
            kind = "reply" if message.is_reply else "sent"
            if kind == "sent" and message.stats_id in self._scheduled:
                kind = "pending"  # not gone yet: drawn like our outbox cards
            cards.append((self._card_text(message, subject=show_subject), kind))
        for entry in self._pending:
            cards.append((pending_text(entry, self.zone), "pending"))
        return cards

    async def show(
        self,
        messages: Sequence[Message],
        pending: Sequence[Any] = (),
        *,
        scroll_end: bool = True,
        scheduled: dict[str, float] | None = None,
    ) -> None:
        """Replace the cards (a thread opened, or its history reloaded).

        The newest cards (what is on screen, since the view opens at the end) are mounted
        first and painted; older ones are mounted above them right after, so a long thread
        paints as fast as a short one.
        """
        self._messages = list(messages)
        self._pending = list(pending)
        self._scheduled = dict(scheduled or {})
        self._generation += 1
        generation = self._generation
        cards = [
            MessageCard(text, kind=kind, index=index)
            for index, (text, kind) in enumerate(self._texts())
        ]
        split = len(cards) - self._cards_to_fill(cards)
        older, newest = cards[:split], cards[split:]
        self.complete = not older
        with self.app.batch_update():
            await self.remove_children()
            if newest:
                await self.mount_all(newest)
        if scroll_end:
            self.anchor()  # stays at the newest message as older cards mount above
        if older:
            self.call_after_refresh(self._mount_older, generation, older)

    def _cards_to_fill(self, cards: list[MessageCard]) -> int:
        """How many of the newest cards it takes to fill the view (a rough line count)."""
        height = self.size.height or self.app.size.height
        width = max(20, (self.size.width or self.app.size.width) - 10)
        lines = 0
        count = 0
        for card in reversed(cards):
            text = str(card.content)
            lines += 1 + sum(1 + len(line) // width for line in text.split("\n"))
            count += 1
            if lines > height + 2 or count >= self.first_batch:
                break
        return count

    async def _mount_older(self, generation: int, cards: list[MessageCard]) -> None:
        if generation != self._generation or not self.is_attached:
            return  # another thread (n/p) or a reload replaced these meanwhile
        texts = self._texts()
        for card in cards:  # `z` may have been pressed in between
            card.update(texts[card.index][0])
        await self.mount_all(cards, before=0)
        self.complete = True

    def toggle_quotes(self) -> bool:
        """Fold or unfold quoted history in every card, in place; returns the new state."""
        self.fold_quotes = not self.fold_quotes
        texts = self._texts()
        for card in self.query(MessageCard):
            card.update(texts[card.index][0])
        return self.fold_quotes

    def quoted_count(self) -> int:
        """How many messages carry quoted history (so `z` can say when there is none)."""
        return sum(1 for m in self._messages if quoted_line_count(m.body_html))
