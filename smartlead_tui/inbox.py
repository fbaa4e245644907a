"""The inbox's logic without a terminal: queries and paging, reply prefill, readable bodies, times.

An SDR thinks "the lead who just replied", not "email stats id 4d9f…". Everything that turns a
master-inbox row and its message history into what the screens show, and into the fields a reply
needs, lives here as pure functions so it is tested without Textual (and never imports it).
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from html.parser import HTMLParser
from typing import Any

from smartlead_tui.api.models import Conversation, Message
from smartlead_tui.body_format import sent_body

__all__ = [
    "PAGE_SIZE",
    "VIEWS",
    "InboxQuery",
    "NoReplyError",
    "RefreshMerge",
    "conversation_key",
    "format_message_time",
    "html_to_text",
    "latest_reply",
    "lead_label",
    "merge_refresh",
    "parse_api_time",
    "pending_outbox_entries",
    "quoted_line_count",
    "relative_time",
    "reply_prefill",
    "zone_label",
]

#: The views of the inbox, in key order (1..6), with the label shown on screen. Each name is a
#: view of `SmartLeadClient.inbox_replies`.
VIEWS: dict[str, str] = {
    "inbox": "Inbox",
    "unread": "Unread",
    "important": "Important",
    "snoozed": "Snoozed",
    "scheduled": "Scheduled",
    "sent": "Sent",
}

#: SmartLead's page cap for the master inbox.
PAGE_SIZE = 20


class NoReplyError(ValueError):
    """The conversation has no message from the lead, so there is nothing to answer yet."""


# --------------------------------------------------------------------------------------------
# Query and paging
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxQuery:
    """What the inbox lists (view, search, campaign) and how far it has paged.

    Changing the view, search or campaign starts again at the first page (`generation` grows, so
    a late answer to an older query can be recognised and dropped).
    """

    view: str = "inbox"
    search: str = ""
    campaign_id: int | None = None
    campaign_name: str = ""
    next_offset: int = 0
    exhausted: bool = False
    page_size: int = PAGE_SIZE
    generation: int = 0

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ValueError(f"unknown inbox view {self.view!r}; choose one of {', '.join(VIEWS)}")

    @property
    def filters(self) -> dict[str, Any]:
        """The `filters` object of the inbox request body."""
        found: dict[str, Any] = {}
        if self.search.strip():
            found["search"] = self.search.strip()
        if self.campaign_id is not None:
            found["campaignId"] = self.campaign_id
        return found

    @property
    def is_filtered(self) -> bool:
        return bool(self.search.strip()) or self.campaign_id is not None

    @property
    def view_label(self) -> str:
        return VIEWS[self.view]

    def _restart(self, **changes: Any) -> InboxQuery:
        return replace(
            self, next_offset=0, exhausted=False, generation=self.generation + 1, **changes
        )

    def with_view(self, view: str) -> InboxQuery:
        return self._restart(view=view)

    def with_search(self, text: str) -> InboxQuery:
        return self._restart(search=text.strip())

    def with_campaign(self, campaign_id: int | None, name: str = "") -> InboxQuery:
        return self._restart(campaign_id=campaign_id, campaign_name=name if campaign_id else "")

    def restarted(self) -> InboxQuery:
        """Same filters, from the first page again (a manual reload)."""
        return self._restart()

    def after_page(self, received: int) -> InboxQuery:
        """Advance past a page of `received` rows; a short page means there is nothing more."""
        return replace(
            self,
            next_offset=self.next_offset + max(0, received),
            exhausted=received < self.page_size,
        )

    def shifted(self, arrived: int) -> InboxQuery:
        """`arrived` rows appeared above the loaded ones: the next page starts that much later."""
        return replace(self, next_offset=self.next_offset + max(0, arrived))

    def describe(self) -> str:
        """One line for the status bar, e.g. 'Unread · campaign Q4 Fintech CFOs · "jose"'."""
        parts = [self.view_label]
        if self.campaign_id is not None:
            parts.append(f"campaign {self.campaign_name or self.campaign_id}")
        if self.search.strip():
            parts.append(f'"{self.search.strip()}"')
        return " · ".join(parts)


def conversation_key(conversation: Conversation) -> str:
    """Stable identity of a row across refreshes: campaign and lead (a lead may be in several)."""
    if conversation.lead_id is not None:
        return f"{conversation.campaign_id}:{conversation.lead_id}"
    if conversation.lead_map_id is not None:
        return f"map:{conversation.lead_map_id}"
    return f"{conversation.campaign_id}:{conversation.lead_email.casefold()}"


@dataclass(frozen=True)
class RefreshMerge:
    """How a freshly fetched first page changes the rows already shown."""

    added: list[Conversation] = field(default_factory=list)
    changed: list[Conversation] = field(default_factory=list)
    #: Keys whose last reply time moved (a new message from the lead): mark them as new.
    new_reply_keys: set[str] = field(default_factory=set)


def merge_refresh(shown: dict[str, Conversation], fresh: Iterable[Conversation]) -> RefreshMerge:
    """Compare a refreshed page with what is on screen, so rows update in place, not rebuild."""
    merge = RefreshMerge()
    for conversation in fresh:
        key = conversation_key(conversation)
        before = shown.get(key)
        if before is None:
            merge.added.append(conversation)
            merge.new_reply_keys.add(key)
            continue
        if _row_state(before) != _row_state(conversation):
            merge.changed.append(conversation)
            before_time = parse_api_time(before.last_reply_time)
            after_time = parse_api_time(conversation.last_reply_time)
            if after_time is not None and (before_time is None or after_time > before_time):
                merge.new_reply_keys.add(key)
    return merge


def _row_state(c: Conversation) -> tuple[Any, ...]:
    return (
        c.last_reply_time,
        c.unread,
        c.important,
        c.snoozed,
        c.category_id,
        c.lead_first_name,
        c.lead_last_name,
        c.campaign_name,
        len(c.history),
    )


# --------------------------------------------------------------------------------------------
# Replies
# --------------------------------------------------------------------------------------------


def latest_reply(history: Sequence[Message]) -> Message | None:
    """The lead's newest message (REPLY), whatever order the API returned them in."""
    replies = [m for m in history if m.is_reply]
    if not replies:
        return None
    return max(replies, key=lambda m: (parse_api_time(m.time) or _EPOCH, m.time))


def lead_label(conversation: Conversation) -> str:
    """'José Núñez <jose@x.mx>' (or just the address when the name is unknown)."""
    name = conversation.lead_name
    return f"{name} <{conversation.lead_email}>" if name else conversation.lead_email


def reply_prefill(conversation: Conversation, history: list[Message]) -> dict[str, Any]:
    """Compose fields for answering the lead's latest reply (canonical draft field names).

    SmartLead identifies the thread by the stats id of the message being answered, so that,
    its Message-ID, body and time all come from the newest REPLY. The reply goes to whoever
    actually wrote it (its `from`), which can be a colleague rather than the imported lead
    address: the lead's own names are only used when the lead wrote it. Fields a person
    chooses (body, cc, bcc, schedule, signature, attachments) are left out so compose applies
    its defaults or an autosaved draft.

    Raises NoReplyError when the history has no message from the lead.
    """
    messages = list(history) or list(conversation.history)
    reply = latest_reply(messages)
    if reply is None:
        raise NoReplyError(
            f"{lead_label(conversation)} has not replied in this thread yet; there is no "
            "message to answer."
        )
    display_name, address = email.utils.parseaddr(reply.from_email)
    address = address.strip() or reply.from_email.strip()
    if address.casefold() == conversation.lead_email.strip().casefold():
        first, last = conversation.lead_first_name, conversation.lead_last_name
    else:
        first, last = _split_name(display_name)
    subject = reply.subject.strip()
    if subject and not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    return {
        "campaign_id": conversation.campaign_id,
        "campaign_name": conversation.campaign_name,
        "lead_id": conversation.lead_id,
        "lead_label": lead_label(conversation),
        # The account's id as the inbox row gave it; its name is looked up, never guessed.
        "lead_category_id": conversation.category_id,
        "email_stats_id": reply.stats_id,
        "thread_id": None,
        "to_email": address,
        "to_first_name": first,
        "to_last_name": last,
        "reply_message_id": reply.message_id or "",
        "reply_email_body": reply.body_html,
        "reply_email_time": reply.time,
        "subject": subject,
    }


def _split_name(display_name: str) -> tuple[str, str]:
    """'Anna Schmidt' -> ('Anna', 'Schmidt'); 'Schmidt, Anna' -> ('Anna', 'Schmidt')."""
    name = " ".join(display_name.replace('"', " ").split())
    if not name or "@" in name:
        return "", ""
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip(), last.strip()
    first, _, last = name.partition(" ")
    return first, last.strip()


def pending_outbox_entries(
    entries: Iterable[Any], conversation: Conversation, history: Sequence[Message]
) -> list[Any]:
    """Our outbox entries for this conversation that its message history does not show yet.

    Entries are the store's `OutboxEntry` objects (duck-typed here so this module stays free of
    the store); one belongs to the conversation when its thread key names one of the stats ids
    of the conversation. A queued entry counts as shown once a message with its Message-ID, or
    an outgoing message starting with its body text, is in the history.
    """
    keys = {f"{conversation.campaign_id}:{m.stats_id}" for m in history if m.stats_id}
    mine = [
        entry
        for entry in entries
        if getattr(entry, "thread_key", None) in keys and getattr(entry, "state", "") != "cancelled"
    ]
    if not mine:
        return []  # the usual case: skip converting every outgoing body
    shown_ids = {m.message_id for m in history if m.message_id}
    outgoing_texts = [_squash(html_to_text(m.body_html)) for m in history if not m.is_reply]
    pending = []
    for entry in mine:
        if entry.message_id and entry.message_id in shown_ids:
            continue
        body = _squash(html_to_text(sent_body(entry.fields, getattr(entry, "request_body", None))))
        if body and any(text.startswith(body[:80]) for text in outgoing_texts):
            continue
        pending.append(entry)
    return pending


def _squash(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------------------------
# Times
# --------------------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def parse_api_time(value: str | datetime | None) -> datetime | None:
    """SmartLead's '2026-03-12T11:29:05.173Z' (or any ISO 8601) as an aware datetime; naive is
    UTC; None when missing or unreadable (shown as '—', never a crash)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = value.strip()
        if not text:
            return None
        try:
            parsed = datetime.fromisoformat(text.upper().replace(" ", "T", 1))
        except ValueError:
            try:
                parsed = email.utils.parsedate_to_datetime(text)
            except (TypeError, ValueError):
                return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def relative_time(value: str | datetime | None, now: datetime, tz: tzinfo | None = None) -> str:
    """Short age for a table column: 'just now', '5m ago', '3h ago', 'yesterday', '4d ago',
    then a date ('12 Nov', or '12 Nov 2025' in another year). Future times read 'in 5m'.

    `now` is passed in (not read from the clock) so screens and snapshots are deterministic.
    """
    when = parse_api_time(value)
    if when is None:
        return "—"
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    zone = tz or UTC
    delta = now - when
    seconds = delta.total_seconds()
    if seconds < 0:
        ahead = -seconds
        if ahead < 60:
            return "in <1m"
        if ahead < 3600:
            return f"in {int(ahead // 60)}m"
        if ahead < 86400:
            return f"in {int(ahead // 3600)}h"
        return f"in {int(ahead // 86400)}d"
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{max(1, int(seconds // 60))}m ago"
    local_when = when.astimezone(zone)
    local_now = now.astimezone(zone)
    days = (local_now.date() - local_when.date()).days
    if seconds < 86400 and days == 0:
        return f"{int(seconds // 3600)}h ago"
    if days <= 1:
        return "yesterday"
    if days < 7:
        return f"{days}d ago"
    if local_when.year == local_now.year:
        return f"{local_when.day} {_MONTHS[local_when.month - 1]}"
    return f"{local_when.day} {_MONTHS[local_when.month - 1]} {local_when.year}"


def format_message_time(value: str | datetime | None, tz: tzinfo) -> str:
    """Absolute time of a message in the configured zone: 'Mon 23 Nov 2026 09:12'."""
    when = parse_api_time(value)
    if when is None:
        return str(value or "—")
    local = when.astimezone(tz)
    return (
        f"{_WEEKDAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year} "
        f"{local:%H:%M}"
    )


def zone_label(tz: tzinfo, at: datetime | None = None) -> str:
    """'Europe/Berlin' for zoneinfo zones, else the abbreviation or offset ('UTC', '+02:00')."""
    key = getattr(tz, "key", None)
    if key and key != "localtime":
        return str(key)
    moment = (at or datetime.now(UTC)).astimezone(tz)
    name = moment.tzname()
    if name:
        return name
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# --------------------------------------------------------------------------------------------
# HTML bodies as readable text
# --------------------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "header", "footer", "table", "tr", "ul", "ol", "h1",
        "h2", "h3", "h4", "h5", "h6", "pre", "hr", "address", "center", "dl", "dt", "dd",
        "blockquote", "li",
    }
)  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})
_VOID_TAGS = frozenset({"br", "img", "hr", "meta", "link", "input", "wbr", "col", "area"})
_QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix", "ms-outlook-quote")
_QUOTE_IDS = ("appendonsend", "divrplyfwdmsg", "divrplyfwdmsg_")
_ATTRIBUTION = re.compile(
    r"^\s*(on\s.{3,300}\swrote:|le\s.{3,300}\sa écrit\s?:|am\s.{3,300}"
    r"\sschrieb\s.{0,120}:|el\s.{3,300}\sescribió:)\s*$",
    re.IGNORECASE,
)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*(-{2,}\s*original message\s*-{2,}|-{2,}\s*forwarded message\s*-{2,}|_{10,})\s*$",
    re.IGNORECASE,
)
#: Real HTML, as opposed to plain text that merely contains "<bob@x.com>".
_HAS_TAG = re.compile(
    r"</?(?:p|div|br|span|a|b|i|u|em|strong|html|body|head|blockquote|table|tbody|thead|tr"
    r"|td|th|ul|ol|li|img|font|hr|h[1-6]|pre|center|style|meta|section|article|small"
    r"|sup|sub|code)(?=[\s/>])|&(?:[a-zA-Z]{2,8}|#[0-9]{1,6}|#x[0-9a-fA-F]{1,6});",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")


@dataclass
class _Line:
    text: str
    depth: int = 0  # blockquote nesting
    quoted: bool = False


class _TextExtractor(HTMLParser):
    """Walks an email body and keeps lines, with how deeply each sits inside quoted history."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[_Line] = []
        self._current: list[str] = []
        self._current_depth = 0
        self._current_quoted = False
        self._open: list[tuple[str, bool]] = []  # open elements: (tag, starts quoted history)
        self._skip = 0
        self._pre = 0
        self._list_stack: list[list[int]] = []  # [counter] per open list; -1 for bullets
        self._href: list[str | None] = []
        self._link_text_start: list[int] = []

    @property
    def _depth(self) -> int:
        return sum(1 for tag, _ in self._open if tag == "blockquote")

    @property
    def _quote_level(self) -> int:
        return sum(1 for _, quoted in self._open if quoted)

    # -- line assembly ---------------------------------------------------------------------

    def _break(self, blank: bool = False) -> None:
        text = "".join(self._current)
        if not self._pre:
            text = _SPACES.sub(" ", text).strip()
        if text:
            self.lines.append(_Line(text, self._current_depth, self._current_quoted))
        self._current = []
        if blank and self.lines and self.lines[-1].text:
            self.lines.append(_Line("", self._depth, self._quote_level > 0))

    def _write(self, text: str) -> None:
        if not self._current or not "".join(self._current).strip():
            self._current_depth = self._depth
            self._current_quoted = self._quote_level > 0
        self._current.append(text)

    # -- parser callbacks ------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if tag in _SKIP_TAGS:
            self._skip += 1
            return
        if self._skip:
            return
        attributes = {k.lower(): (v or "") for k, v in attrs}
        if tag == "br":
            self._break()
            return
        if tag == "img":
            alt = attributes.get("alt", "").strip()
            if alt:
                self._write(f"[image: {alt}]")
            return
        if tag == "hr":
            self._break()
            self.lines.append(_Line("―" * 8, self._depth, self._quote_level > 0))
            return
        if tag in _VOID_TAGS:
            return
        starts_quote = tag == "blockquote" or _is_quote_container(attributes)
        if tag in _BLOCK_TAGS:
            self._break(blank=tag in ("p", "blockquote", "table", "ul", "ol", "pre"))
        self._open.append((tag, starts_quote))
        if tag in ("ul", "ol"):
            self._list_stack.append([1 if tag == "ol" else -1])
        elif tag == "li":
            marker = "•"
            if self._list_stack and self._list_stack[-1][0] > 0:
                marker = f"{self._list_stack[-1][0]}."
                self._list_stack[-1][0] += 1
            self._write(f"{'  ' * max(0, len(self._list_stack) - 1)}{marker} ")
        elif tag == "pre":
            self._pre += 1
        elif tag == "a":
            self._href.append(attributes.get("href"))
            self._link_text_start.append(len("".join(self._current)))
        elif tag in ("td", "th") and "".join(self._current).strip():
            self._write("  ")  # cells of a row side by side

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
            return
        if self._skip or tag in _VOID_TAGS:
            return
        if tag == "a" and self._href:
            href = self._href.pop()
            start = self._link_text_start.pop() if self._link_text_start else 0
            shown = "".join(self._current)[start:].strip()
            if href and href.startswith(("http://", "https://")) and href not in shown:
                self._write(f" ({href})" if shown else href)
        if tag in _BLOCK_TAGS:
            self._break(blank=tag in ("p", "blockquote", "table", "ul", "ol", "pre"))
        if tag in ("ul", "ol") and self._list_stack:
            self._list_stack.pop()
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        # Close up to the matching element (unclosed <p>, <li> … are common in email HTML);
        # a stray end tag with no open match changes nothing.
        if any(open_tag == tag for open_tag, _ in self._open):
            while self._open and self._open.pop()[0] != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._skip or not data:
            return
        if self._pre:
            parts = data.split("\n")
            for index, part in enumerate(parts):
                if index:
                    self._break()
                if part:
                    self._write(part)
            return
        self._write(data)

    def close(self) -> None:
        super().close()
        self._break()


def _is_quote_container(attributes: dict[str, str]) -> bool:
    classes = attributes.get("class", "").lower()
    ident = attributes.get("id", "").lower()
    if any(name in classes.split() for name in _QUOTE_CLASSES):
        return True
    if any(ident.startswith(name) for name in _QUOTE_IDS):
        return True
    return attributes.get("type", "").lower() == "cite"


def _plain_lines(text: str) -> list[_Line]:
    lines = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = raw.rstrip()
        depth = 0
        body = stripped
        while body.startswith(">"):
            depth += 1
            body = body[1:].lstrip(" ")
        lines.append(_Line(body if depth else stripped, depth, depth > 0))
    return lines


def _mark_quoted(lines: list[_Line]) -> None:
    """Attribution lines ('On … wrote:') and everything after an 'Original Message' rule."""
    for index, line in enumerate(lines):
        if line.quoted:
            continue
        if _ORIGINAL_MESSAGE.match(line.text) or (
            line.text.lower().startswith("from:")
            and index + 1 < len(lines)
            and re.match(r"^\s*(sent|date):", lines[index + 1].text, re.IGNORECASE)
        ):
            for later in lines[index:]:
                later.quoted = True
            return
        if _ATTRIBUTION.match(line.text):
            following = [ln for ln in lines[index + 1 :] if ln.text.strip()]
            if not following or following[0].quoted:
                line.quoted = True


def _body_lines(html: str) -> list[_Line]:
    source = html or ""
    if _HAS_TAG.search(source):
        parser = _TextExtractor()
        try:
            parser.feed(source)
            parser.close()
        except Exception:  # pragma: no cover - html.parser is lenient; belt and braces
            return _plain_lines(_SPACES.sub(" ", re.sub(r"<[^>]+>", " ", source)).strip())
        lines = parser.lines
    else:
        lines = _plain_lines(source)
    _mark_quoted(lines)
    return lines


def quoted_line_count(html: str) -> int:
    """How many non-blank lines of quoted history a body carries (0: nothing to unfold)."""
    return sum(1 for line in _body_lines(html) if line.quoted and line.text.strip())


def html_to_text(html: str, *, fold_quotes: bool = True, show_key: str = "z") -> str:
    """An email body (HTML or plain text) as readable plain text.

    Quoted history (blockquotes, Gmail/Outlook quote containers, 'On … wrote:' lines, '>'
    lines) is folded into one marker line such as
    '[… 12 quoted lines folded — press z to show]' (`show_key` names the key); with
    `fold_quotes=False` it is shown with '> ' prefixes instead. Links keep their address,
    images their alt text, lists their bullets. The result is plain text: the caller must
    still display it with markup off.
    """
    lines = _body_lines(html)
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.quoted:
            out.append(line.text)
            index += 1
            continue
        run: list[_Line] = []
        while index < len(lines) and (lines[index].quoted or not lines[index].text.strip()):
            if not lines[index].quoted and not _more_quoted_follows(lines, index):
                break
            run.append(lines[index])
            index += 1
        while run and not run[-1].text.strip():
            run.pop()
        if fold_quotes:
            count = sum(1 for ln in run if ln.text.strip())
            noun = "line" if count == 1 else "lines"
            if out and out[-1].strip():
                out.append("")
            out.append(f"[… {count} quoted {noun} folded — press {show_key} to show]")
            out.append("")
        else:
            for quoted in run:
                prefix = "> " * max(1, quoted.depth)
                out.append((prefix + quoted.text).rstrip() if quoted.text else prefix.rstrip())
    return _tidy(out)


def _more_quoted_follows(lines: list[_Line], index: int) -> bool:
    for later in lines[index:]:
        if later.text.strip():
            return later.quoted
    return False


def _tidy(lines: list[str]) -> str:
    """No leading/trailing blank lines and never two blank lines in a row."""
    result: list[str] = []
    for line in lines:
        if not line.strip():
            if result and result[-1] != "":
                result.append("")
            continue
        result.append(line.rstrip())
    while result and result[-1] == "":
        result.pop()
    return "\n".join(result)
