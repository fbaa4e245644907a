"""The demo sandbox's world, kept beside the demo outbox so the two always agree.

Each start used to build a fresh sandbox while the demo outbox kept its replies, so earlier
replies turned "not found". Now the demo keeps both: the seed's base time (so every id and
time is the same world as before) and every reply sent through the sandbox, with its delivery
progress, in one small JSON file next to the demo outbox. If the outbox is gone (a fresh demo),
the saved world is dropped too: both start fresh together, never one without the other.

Persisting is more robust than wiping the outbox at each start: `send --demo` followed by
`status --demo` (two processes) keeps working, and a second copy of the app never deletes a
journal the first one is using. Saves merge with what another process saved (under a lock).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartlead_tui.sandbox.seed import Message, iso_ms

try:  # POSIX; elsewhere saves are unlocked (one demo at a time), like the session lock
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from smartlead_tui.sandbox.server import SandboxServer

__all__ = ["STATE_FILENAME", "demo_sandbox", "load_state", "restore", "save_state"]

STATE_FILENAME = "sandbox-state.json"
STATE_VERSION = 1

log = logging.getLogger("smartlead_tui.sandbox")


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+") as handle:
        if fcntl is None:  # pragma: no cover
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_state(path: Path) -> dict[str, Any] | None:
    """The saved world, or None when missing, unreadable or of another version."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        return None
    if _time(data.get("base_time")) is None:
        return None
    return data


def _snapshot(server: SandboxServer) -> dict[str, Any]:
    sent: dict[str, Any] = {}
    for out in server._outgoing.values():
        lead = server.seed.leads.get(out.lead_id)
        message = next(
            (m for m in (lead.history if lead else []) if m.message_id == out.message_id), None
        )
        if message is None:
            continue
        sent[out.message_id] = {
            "lead_id": out.lead_id,
            "message": message.to_json(),
            "scheduled_at": iso_ms(out.scheduled_at),
            "lookups": out.lookups,
            "visible_lookups": out.visible_lookups,
            "completed_at": iso_ms(out.completed_at),
        }
    return sent


def save_state(server: SandboxServer, path: Path) -> None:
    """Merge this sandbox's replies into the file (another process may have added its own)."""
    from smartlead_tui.config import atomic_write

    with _locked(path):
        old = load_state(path)
        sent = dict(old.get("sent", {})) if old else {}
        for message_id, item in _snapshot(server).items():
            before = sent.get(message_id)
            if before and before.get("completed_at") and not item["completed_at"]:
                continue  # the other process saw it delivered: keep the further state
            sent[message_id] = item
        payload = {
            "version": STATE_VERSION,
            "seed": server._seed_value,
            "base_time": server.seed.base_time.isoformat(),
            "sent": sent,
        }
        atomic_write(path, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def restore(server: SandboxServer, state: dict[str, Any]) -> None:
    """Put saved replies back into a sandbox built from the same seed and base time."""
    from smartlead_tui.sandbox.server import _Outgoing

    sent = state.get("sent")
    for message_id, item in (sent.items() if isinstance(sent, dict) else ()):
        try:
            lead = server.seed.leads[int(item["lead_id"])]
            raw = item["message"]
            message = Message(
                stats_id=raw["stats_id"], message_id=raw["message_id"], type=raw["type"],
                time=_time(raw["time"]) or server.seed.base_time, from_email=raw["from"],
                to_email=raw["to"], subject=raw["subject"], email_body=raw["email_body"],
                cc=raw.get("cc"), bcc=raw.get("bcc"),
                attachments=list(raw.get("attachments") or []),
                email_seq_number=raw.get("email_seq_number"),
            )
        except (KeyError, TypeError, ValueError):
            log.warning("skipping an unreadable saved sandbox reply")
            continue
        if all(m.message_id != message_id for m in lead.history):
            lead.history.append(message)
        server._outgoing[message_id] = _Outgoing(
            message_id, message.stats_id, lead.lead_id, _time(item.get("scheduled_at")),
            int(item.get("lookups") or 0), int(item.get("visible_lookups") or 0),
            _time(item.get("completed_at")),
        )
        server._sandbox_sent.add(lead.lead_id)


def demo_sandbox(base: Path) -> SandboxServer:
    """The demo's sandbox (not started), consistent with the demo outbox in `base`."""
    from smartlead_tui.outbox.store import STORE_FILENAME
    from smartlead_tui.sandbox.server import SandboxServer

    path = base / STATE_FILENAME
    state = load_state(path) if (base / STORE_FILENAME).exists() else None
    if state is None:
        server = SandboxServer(state_path=path)
        with contextlib.suppress(OSError):
            path.unlink()  # a fresh outbox: a fresh world too
        return server
    server = SandboxServer(
        state_path=path, seed=int(state.get("seed", 7)), base_time=_time(state["base_time"])
    )
    restore(server, state)
    return server
