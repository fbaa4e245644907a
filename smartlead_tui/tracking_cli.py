"""`smartlead-tui track`: follow replies by Message-ID from the shell, and `status --watch`.

`track` adds Message-IDs to the outbox store, where the TUI's status panel follows them; with
`--watch` it follows them right here until each is final (or scheduled for after the watch
ends). `watch_status` is what `status --watch` runs. Both use the same `Tracker` as the TUI,
so backoff, the 404 grace period, Retry-After and the shared request budget behave the same
everywhere.

Kept apart from cli.py so the lead's parser only needs `add_track_parser`, `run_track_command`
and `watch_status`. Exit codes follow cli.py: 0 every reply COMPLETED or SCHEDULED for a time
after the watch ends (or, without --watch, added), 1 failed / not found / gave up, 2 usage or
invalid input (nothing added).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from smartlead_tui.api.client import SmartLeadClient
    from smartlead_tui.config import Settings
    from smartlead_tui.outbox.store import Store
    from smartlead_tui.outbox.tracker import TrackerEvent

EXIT_OK = 0  # the same codes as cli.py
EXIT_FAILED = 1
EXIT_USAGE = 2
PROG = "smartlead-tui"
SCHEDULED = "SCHEDULED"


def add_track_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add `track MESSAGE_ID... [--file FILE] [--watch] [--json]` to the top-level parser."""
    # The global connection options again, SUPPRESS-defaulted so that giving them after
    # `track` works and not giving them keeps the global value.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS,
        help="use an in-process sandbox server (no account needed)",
    )
    for flag, metavar, help_text in (
        ("--base-url", "URL", "API base URL (env SMARTLEAD_BASE_URL)"),
        ("--config", "PATH", "config file (env SMARTLEAD_CONFIG)"),
        ("--profile", "NAME", "config profile (env SMARTLEAD_PROFILE)"),
    ):
        common.add_argument(flag, default=argparse.SUPPRESS, metavar=metavar, help=help_text)

    track = subparsers.add_parser(
        "track",
        parents=[common],
        help="follow replies by Message-ID (in the TUI, or here with --watch)",
        description="Add Message-IDs to the outbox so the status panel follows them until "
        "SmartLead reports COMPLETED; with --watch, follow them here. A Message-ID is "
        "accepted with or without <angle brackets>, or as a whole 'Message-ID: <...>' line.",
    )
    track.add_argument(
        "message_ids", nargs="*", metavar="MESSAGE_ID", help="Message-ID(s) to follow"
    )
    track.add_argument(
        "--file",
        metavar="FILE",
        help="read Message-IDs from FILE (- for stdin): any number a line; # starts a comment",
    )
    track.add_argument("--watch", action="store_true", help="follow them here until final")
    track.add_argument("--json", action="store_true", help="print JSON Lines")
    track.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="with --watch: give up after this long (default 600)",
    )
    track.add_argument(
        "--store",
        metavar="PATH",
        help="outbox database to add them to (default: the one the TUI uses)",
    )
    return track


# -- reading ids ----------------------------------------------------------------------------------


def collect_ids(
    args: argparse.Namespace, stdin: TextIO | None = None
) -> tuple[list[str], list[str]]:
    """Every Message-ID from the arguments and --file, normalised; and every problem found."""
    from smartlead_tui.outbox.tracker import parse_pasted_ids  # asyncio: not for --version

    ids, problems = parse_pasted_ids("\n".join(args.message_ids or []))
    name = getattr(args, "file", None)
    if name:
        try:
            if name == "-":
                import sys

                text = (stdin or sys.stdin).read()
            else:
                text = Path(name).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            problems.append(f"--file: can't read {name!r}: {exc.strerror or exc}")
            text = ""
        except UnicodeDecodeError:
            problems.append(f"--file: {name!r} is not UTF-8 text")
            text = ""
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.split("#", 1)[0]
            found, bad = parse_pasted_ids(line)
            problems.extend(f"{name} line {number}: {problem}" for problem in bad)
            ids.extend(i for i in found if i not in ids)
    return ids, problems


def default_store_path(demo: bool) -> Path:
    """The store the TUI opens (a separate one in demo mode, like the app)."""
    from smartlead_tui.config import data_dir
    from smartlead_tui.outbox.store import STORE_FILENAME

    return (data_dir() / "demo" if demo else data_dir()) / STORE_FILENAME


# -- the command ----------------------------------------------------------------------------------


def run_track_command(
    args: argparse.Namespace,
    settings: Settings,
    *,
    out: TextIO,
    err: TextIO,
    stdin: TextIO | None = None,
    make_client: Callable[[Settings, argparse.Namespace], SmartLeadClient] | None = None,
) -> int:
    """Run `track`; return the exit code. Malformed ids: all reported, none added."""
    ids, problems = collect_ids(args, stdin)
    if problems:
        problems.append("nothing was added; fix the Message-ID(s) above and run it again")
        return _refuse(out, err, args.json, problems)
    if not ids:
        return _refuse(out, err, args.json, ["give at least one MESSAGE_ID, or --file FILE"])
    if args.watch and not settings.api_key:
        return _refuse(
            out,
            err,
            args.json,
            [
                "no API key: set SMARTLEAD_API_KEY, run `smartlead-tui config set api_key KEY`, "
                "or add --demo to use the sandbox"
            ],
        )

    from smartlead_tui.outbox.store import Store, StoreError

    path = (
        Path(args.store).expanduser()
        if getattr(args, "store", None)
        else default_store_path(bool(getattr(args, "demo", False)))
    )
    try:
        store = Store(path)
    except StoreError as exc:
        return _refuse(out, err, args.json, [str(exc)], code=EXIT_FAILED)
    with store:
        entry_ids = _add_all(store, ids, out, as_json=args.json, quiet=args.watch)
        if not args.watch:
            if not args.json:
                out.write("The outbox panel follows them; add --watch to follow them here.\n")
            return EXIT_OK
        import asyncio

        if make_client is None:  # the one factory; no import of cli (that was a cycle)
            from smartlead_tui.api.client import SmartLeadClient

            def make_client(settings: Settings, args: argparse.Namespace) -> SmartLeadClient:
                return SmartLeadClient.from_settings(settings)

        async def run() -> int:
            assert make_client is not None
            async with make_client(settings, args) as client:
                return await follow(
                    client, store, entry_ids, settings, out, err, args.json, timeout=args.timeout
                )

        return asyncio.run(run())


def _refuse(
    out: TextIO, err: TextIO, as_json: bool, problems: list[str], *, code: int = EXIT_USAGE
) -> int:
    """Each problem on stderr; with --json also one JSON object on stdout (as `send` does)."""
    for problem in problems:
        err.write(f"{PROG}: {problem}\n")
    if as_json:
        record = {
            "outcome": "invalid" if code == EXIT_USAGE else "failed",
            "error": "; ".join(problems),
            "problems": problems,
        }
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return code


def _add_all(
    store: Store, ids: Sequence[str], out: TextIO, *, as_json: bool, quiet: bool
) -> list[int]:
    entry_ids = []
    for message_id in ids:
        before = store.find_by_message_id(message_id)
        entry = store.add_tracked_message(message_id)
        entry_ids.append(entry.id)
        if before is None:
            outcome = "added"
        elif not before.tracking:
            outcome = "resumed"
        else:
            outcome = "already tracked"
        if as_json:
            if not quiet:
                record = {"message_id": message_id, "entry_id": entry.id, "outcome": outcome}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        elif not quiet:
            out.write(f"{message_id}  {outcome}\n")
    return entry_ids


# -- following ------------------------------------------------------------------------------------


async def watch_status(
    client: SmartLeadClient,
    ids: Sequence[str],
    settings: Settings,
    out: TextIO,
    err: TextIO,
    as_json: bool,
    *,
    timeout: float = 600.0,
) -> int:
    """`status --watch`: follow normalised Message-IDs until each is final (a private store).

    The tracker needs somewhere to keep what it learns; a throwaway store keeps `status`
    free of side effects on the person's outbox.
    """
    import tempfile

    from smartlead_tui.outbox.store import Store

    with (
        tempfile.TemporaryDirectory(prefix="smartlead-watch-") as folder,
        Store(Path(folder) / "watch.sqlite3") as store,
    ):
        entry_ids = [store.add_tracked_message(message_id).id for message_id in ids]
        return await follow(client, store, entry_ids, settings, out, err, as_json, timeout=timeout)


async def follow(
    client: SmartLeadClient,
    store: Store,
    entry_ids: Sequence[int],
    settings: Settings,
    out: TextIO,
    err: TextIO,
    as_json: bool,
    *,
    timeout: float = 600.0,
    clock: Callable[[], float] = time.time,
) -> int:
    """Print each change of these entries until all are final; 0 only if each is COMPLETED or
    SCHEDULED for later than the watch lasts.

    A scheduled reply is waiting for its time, correctly: watching it until the timeout and
    calling that a failure would be wrong, so it stops being watched (here, not in the store).
    """
    from smartlead_tui.api.models import COMPLETED
    from smartlead_tui.outbox.tracker import PollPolicy, Tracker, parse_time

    tracker = Tracker(client, store, policy=PollPolicy.from_settings(settings), clock=clock)
    printer = _Printer(out, as_json)
    wanted = set(entry_ids)
    deadline = clock() + timeout
    waiting: set[int] = set()  # scheduled for after the deadline: done watching, not failed

    def park_if_scheduled_later(entry_id: int) -> None:
        entry = store.get_entry(entry_id)
        if (entry.last_status or "").upper() != SCHEDULED:
            return
        when = parse_time(entry.last_scheduled_time)
        if when is None or when > deadline:
            waiting.add(entry_id)
            tracker.forget(entry_id)
            if not as_json:
                at = entry.last_scheduled_time or "its scheduled time"
                err.write(f"{PROG}: {entry.message_id} is scheduled for {at}; not waiting\n")
                err.flush()

    for entry_id in entry_ids:
        entry = store.get_entry(entry_id)
        tracker.sync_entry(entry)
        if (entry.last_status or "").upper() == COMPLETED:  # already final: say so once
            printer.show(
                entry_id,
                {
                    "message_id": entry.message_id,
                    "status": entry.last_status,
                    "status_message": entry.last_status_message or "",
                    "event_time": entry.last_event_time,
                    "scheduled_time": entry.last_scheduled_time,
                    "final": True,
                },
            )

    def on_event(event: TrackerEvent) -> None:
        if event.entry_id is None:
            err.write(f"{PROG}: {event.text}\n")
            err.flush()
            return
        if event.entry_id in wanted:
            record = _record(event, store.get_entry(event.entry_id).message_id)
            if record is not None:
                printer.show(event.entry_id, record)
            park_if_scheduled_later(event.entry_id)

    finished = await tracker.run_until_done(on_event, timeout=timeout)
    if tracker.halted is not None:
        return EXIT_FAILED
    if not finished:
        left = sum(1 for e in entry_ids if tracker.is_active(e))
        err.write(f"{PROG}: gave up after {timeout:g} s; {left} not final yet\n")
        return EXIT_FAILED
    statuses = [(store.get_entry(e).last_status or "").upper() for e in entry_ids]
    done = all(s == COMPLETED or e in waiting for e, s in zip(entry_ids, statuses, strict=True))
    return EXIT_OK if done else EXIT_FAILED


def _record(event: TrackerEvent, message_id: str | None) -> dict[str, Any] | None:
    """The line `status` prints for an event (same keys as `status --json`)."""
    if event.status is not None:
        record = event.status.to_dict()
        record["final"] = event.status.is_terminal
        return record
    labels = {
        "waiting": "NOT_FOUND",
        "not-found": "NOT_FOUND",
        "rejected": "ERROR",
        "error": "ERROR",
        "no-message-id": "NO_MESSAGE_ID",
    }
    if event.kind not in labels:
        return None
    return {
        "message_id": message_id,
        "status": labels[event.kind],
        "error": event.text,
        "final": event.final,
    }


class _Printer:
    """Prints a record only when it differs from the last one printed for that reply."""

    def __init__(self, out: TextIO, as_json: bool) -> None:
        self.out = out
        self.as_json = as_json
        self._last: dict[int, tuple[Any, ...]] = {}

    def show(self, entry_id: int, record: dict[str, Any]) -> None:
        mark = (record.get("status"), record.get("status_message"), record.get("error"))
        if self._last.get(entry_id) == mark:
            return
        self._last[entry_id] = mark
        if self.as_json:
            self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        elif "error" in record:
            self.out.write(f"{record['message_id']}  {record['status']}  {record['error']}\n")
        else:
            self.out.write(
                f"{record['message_id']}  {record['status']}  {record['status_message'] or '-'}"
                f"  event {record['event_time'] or '-'}"
                f"  scheduled {record['scheduled_time'] or '-'}\n"
            )
        self.out.flush()
