"""Quitting with a reply still on its way: ask, or say what the app is waiting for.

A reply held in the undo window is journaled as held; quitting used to leave it there, unsent,
while the person thought it went. Now ctrl+q asks: send it now and quit, wait for it, or keep
it as a draft (escape: don't quit). A reply already being POSTed cannot be called back: the
screen says the app is waiting for SmartLead's answer (and for how long at most), and quits
once every outcome is journaled. If one did not go out, it stays open and says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from smartlead_tui.outbox.store import OutboxEntry, StoreError
from smartlead_tui.tui.widgets.key_footer import KeyFooter
from smartlead_tui.tui.widgets.reply_sender import SendDriver, get_send_driver
from smartlead_tui.wording import plural

if TYPE_CHECKING:
    from smartlead_tui.tui.app import SmartleadApp

__all__ = ["QuitScreen"]

Phase = Literal["ask", "waiting", "stopped"]

TICK_SECONDS = 0.2


class QuitScreen(ModalScreen[None]):
    """Shown by ctrl+q while a reply is held or in flight; quits only once it is settled."""

    DEFAULT_CSS = """
    QuitScreen { align: center middle; }
    QuitScreen > #quit-box {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $warning; border-title-align: center; background: $surface; padding: 0 1;
    }
    QuitScreen #quit-text { height: auto; }
    QuitScreen #quit-keys { height: auto; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "send_now", "Send now & quit", id="quit.send-now"),
        Binding("w", "wait", "Wait, then quit", id="quit.wait"),
        Binding("d", "keep_draft", "Keep as draft & quit", id="quit.keep-draft"),
        Binding("escape", "stay", "Don't quit", id="quit.cancel"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.phase: Phase = "ask"
        self._watched: set[int] = set()
        self._kept_as_draft: set[int] = set()
        self._labels: dict[int, str] = {}

    @property
    def driver(self) -> SendDriver:
        return get_send_driver(self.app)

    def compose(self) -> ComposeResult:
        box = Vertical(id="quit-box")
        box.border_title = "Quit smartlead-tui?"
        with box:
            yield Static("", id="quit-text", markup=False)
            yield Static("", id="quit-keys", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        driver = self.driver
        self._watched = set(driver.held_ids) | set(driver.sending_ids)
        if driver.held_ids:
            driver.pause_countdowns()  # nothing goes, and nothing quits, until they answer
        else:
            self.phase = "waiting"  # nothing to decide: only a POST to wait for
        self._refresh()
        self.set_interval(TICK_SECONDS, self._refresh)

    # -- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("send_now", "wait", "keep_draft"):
            return self.phase == "ask"
        return True

    def action_send_now(self) -> None:
        if self.phase != "ask":
            return
        self.driver.resume_countdowns()
        for entry_id in self.driver.held_ids:
            self.driver.send_now(entry_id)
        self._wait()

    def action_wait(self) -> None:
        if self.phase == "ask":
            self.driver.resume_countdowns()
            self._wait()

    def action_keep_draft(self) -> None:
        """Undo every held reply (back into the drafts, not sent); wait only for a POST that
        already started."""
        if self.phase != "ask":
            return
        for entry_id in self.driver.held_ids:
            if self.driver.undo(entry_id) is not None:
                self._kept_as_draft.add(entry_id)
        self.driver.resume_countdowns()
        self._wait()

    def action_stay(self) -> None:
        """Back to the app; held replies count down again, a send in flight goes on."""
        self.driver.resume_countdowns()
        self.dismiss()

    def on_unmount(self) -> None:
        self.driver.resume_countdowns()  # however the screen went, the windows run again

    def _wait(self) -> None:
        self.phase = "waiting"
        self.refresh_bindings()
        self._refresh()

    # -- display ------------------------------------------------------------------------------

    def _entry(self, entry_id: int) -> OutboxEntry | None:
        try:
            return self.driver.sender.store.get_entry(entry_id)
        except StoreError:
            return None

    def _label(self, entry_id: int) -> str:
        label = self._labels.get(entry_id)
        if label is None:
            entry = self._entry(entry_id)
            label = (entry.lead_label if entry is not None else "") or f"reply {entry_id}"
            self._labels[entry_id] = label
        return label

    def _refresh(self) -> None:
        if not self.is_attached:
            return
        driver = self.driver
        self._watched |= set(driver.held_ids) | set(driver.sending_ids)
        pending = [i for i in sorted(self._watched) if driver.remaining(i) is not None]
        flying = [i for i in sorted(self._watched) if driver.is_sending(i)]
        if self.phase == "ask" and not pending:
            self.phase = "waiting"  # the window ended while the question was open
            self.refresh_bindings()
        if self.phase == "ask":
            self._show(self._ask_text(pending, flying), self._ask_keys())
        elif self.phase == "waiting":
            if pending or flying:
                self._show(self._waiting_text(pending, flying), "escape: stay in the app")
            else:
                self._settled()

    def _show(self, text: str, keys: str) -> None:
        for selector, value in (("#quit-text", text), ("#quit-keys", keys)):
            widget = self.query_one(selector, Static)
            if str(widget.content) != value:
                widget.update(value)

    def _ask_text(self, pending: list[int], flying: list[int]) -> str:
        count = len(pending)
        lines = [
            plural(count, "A reply is", "{count} replies are")
            + " held in the undo window and NOT sent yet:"
        ]
        for entry_id in pending:
            left = int((self.driver.remaining(entry_id) or 0.0) + 0.999)
            lines.append(f"  • {self._label(entry_id)}: goes in {left} s")
        lines.append("  (its countdown waits for your answer)")
        if flying:
            lines.append(self._flying_line(flying))
        return "\n".join(lines)

    def _ask_keys(self) -> str:
        return (
            "s  send it now, then quit\n"
            "w  wait until it has gone, then quit\n"
            "d  keep it as a draft (not sent), then quit\n"
            "escape  don't quit"
        )

    def _waiting_text(self, pending: list[int], flying: list[int]) -> str:
        lines = []
        for entry_id in pending:
            left = int((self.driver.remaining(entry_id) or 0.0) + 0.999)
            lines.append(f"Waiting: the reply to {self._label(entry_id)} goes in {left} s.")
        if flying:
            lines.append(self._flying_line(flying))
        lines.append("The app quits as soon as SmartLead has answered.")
        return "\n".join(lines)

    def _flying_line(self, flying: list[int]) -> str:
        app: SmartleadApp = self.app  # type: ignore[assignment]
        limit = app.settings.read_timeout_seconds
        parts = []
        for entry_id in flying:
            elapsed = int(self.driver.sending_for(entry_id) or 0.0)
            parts.append(f"{self._label(entry_id)} ({elapsed} s so far)")
        return (
            "Waiting for SmartLead's answer about the reply to "
            + ", ".join(parts)
            + f"; it gives up after {limit:.0f} s, and the outcome is recorded either way."
        )

    def _settled(self) -> None:
        """Every watched reply has an outcome: quit, unless one did not go out as asked."""
        problems = []
        for entry_id in sorted(self._watched):
            entry = self._entry(entry_id)
            if entry is None or entry.state == "queued":
                continue
            if entry.state == "cancelled" and entry_id in self._kept_as_draft:
                continue
            reason = (entry.last_error or entry.state).rstrip(".")
            problems.append(f"  • {entry.lead_label or f'reply {entry_id}'}: {reason}")
        if not problems:
            self.app.exit()
            return
        self.phase = "stopped"
        self.refresh_bindings()
        self._show(
            "Not quitting: "
            + plural(len(problems), "a reply", "{count} replies")
            + " did not go out as planned:\n"
            + "\n".join(problems)
            + "\nA reply that was not sent is back in the drafts; check an unknown one in its "
            "thread before resending.",
            "escape: stay in the app · ctrl+q: quit now",
        )
