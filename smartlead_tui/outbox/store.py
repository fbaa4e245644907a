"""The on-disk store: drafts, the outbox with its send journal, and status history.

Product rule: never lose a reply, never send one twice. So every state change of an outbox
entry is validated here (and again by a trigger in the database), written together with its
journal row in one transaction, and fsynced (WAL + ``synchronous=FULL``) before the call returns;
the caller may then go on to the next step (e.g. the POST). Plain stdlib ``sqlite3``, JSON text
columns, never pickle. One writer: the app uses one Store from its asyncio thread; a lock keeps
any stray thread from interleaving statements inside a transaction.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from smartlead_tui.outbox.session_lock import SessionLock

__all__ = [
    "ACTIVE_STATES",
    "ALLOWED_TRANSITIONS",
    "NEW_THREAD",
    "OUTBOX_STATES",
    "SCHEMA_VERSION",
    "STORE_FILENAME",
    "DraftRecord",
    "EntryNotFound",
    "JournalRow",
    "OutboxEntry",
    "Recovery",
    "StatusRow",
    "Store",
    "StoreError",
    "TransitionError",
    "can_transition",
    "split_thread_key",
    "thread_key",
]

#: File name inside the user data dir (the path itself is config's business).
STORE_FILENAME = "outbox.sqlite3"

OUTBOX_STATES = ("held", "sending", "queued", "send-failed", "unknown", "cancelled")

#: The only legal moves. Nothing leaves queued/send-failed/cancelled: a reply that went (or
#: was given up) can never be sent again from the same entry.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    "held": frozenset({"sending", "cancelled"}),
    "sending": frozenset({"queued", "send-failed", "unknown"}),
    "unknown": frozenset({"queued", "send-failed"}),
}

#: States in which an entry may have gone (or still go) out: a second send of the same
#: fingerprint while one of these exists must ask first.
ACTIVE_STATES = ("held", "sending", "queued", "unknown")

#: Thread key of a draft that has no thread context yet.
NEW_THREAD = "new"

INTERRUPTED_DETAIL = "interrupted: the app stopped while sending; check the thread before resending"

_SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreError(Exception):
    """Anything the store refuses or cannot do, with a message fit for a person."""


class EntryNotFound(StoreError):
    """No outbox entry with that id."""


class TransitionError(StoreError):
    """A state change the send state machine forbids (e.g. queued -> sending)."""


def can_transition(current: str, new: str) -> bool:
    """True when the state machine allows `current` -> `new` (for enabling UI actions)."""
    return new in ALLOWED_TRANSITIONS.get(current, frozenset())


def thread_key(campaign_id: int | str | None, email_stats_id: str | None) -> str:
    """Text key of a thread: "<campaign>:<stats id>", or "new" without thread context."""
    if campaign_id is None or str(campaign_id).strip() == "" or not email_stats_id:
        return NEW_THREAD
    return f"{campaign_id}:{email_stats_id}"


def split_thread_key(key: str) -> tuple[int, str] | None:
    """Inverse of `thread_key`; None for "new" or anything not shaped like a thread key."""
    campaign, sep, stats_id = key.partition(":")
    if not sep or not stats_id or not campaign.strip().isdigit():
        return None
    return int(campaign), stats_id


@dataclass(frozen=True)
class DraftRecord:
    thread_key: str
    fields: dict[str, Any]
    updated_at: datetime


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    thread_key: str
    fingerprint: str
    state: str
    fields: dict[str, Any]
    endpoint: str
    request_body: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    hold_until: datetime | None
    message_id: str | None
    server_message: str | None
    last_error: str | None
    last_status: str | None
    last_status_message: str | None
    last_event_time: str | None
    last_scheduled_time: str | None
    last_checked_at: datetime | None
    lead_label: str
    campaign_id: int | None
    tracking: bool = True


@dataclass(frozen=True)
class JournalRow:
    entry_id: int
    at: datetime
    state: str
    detail: str


@dataclass(frozen=True)
class StatusRow:
    entry_id: int
    at: datetime
    status: str
    status_message: str
    event_time: str | None
    scheduled_time: str | None


@dataclass(frozen=True)
class Recovery:
    """What start-up must show: drafts to reopen, held replies, and sends cut short."""

    drafts: list[DraftRecord]
    held: list[OutboxEntry]
    interrupted: list[OutboxEntry]
    #: Another smartlead-tui process had the outbox open: nothing was recovered or changed,
    #: its held and in-flight replies are its own.
    skipped_busy: bool = False


# --------------------------------------------------------------------------------------------
# Schema. Each item of MIGRATIONS takes the database from version i to i + 1; statements run
# one by one inside one transaction (executescript would commit on its own).

_STATES_SQL = ", ".join(f"'{s}'" for s in OUTBOX_STATES)
_GUARD_SQL = " OR ".join(
    f"(OLD.state = '{src}' AND NEW.state IN ({', '.join(repr(d) for d in sorted(dsts))}))"
    for src, dsts in ALLOWED_TRANSITIONS.items()
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE schema_version (
            version INTEGER PRIMARY KEY,
            applied_at TEXT NOT NULL
        )""",
        """CREATE TABLE drafts (
            thread_key TEXT PRIMARY KEY,
            fields TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX ix_drafts_updated_at ON drafts(updated_at)",
        f"""CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            thread_key TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ({_STATES_SQL})),
            fields TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            request_body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            hold_until TEXT,
            message_id TEXT,
            server_message TEXT,
            last_error TEXT,
            last_status TEXT,
            last_status_message TEXT,
            last_event_time TEXT,
            last_scheduled_time TEXT,
            last_checked_at TEXT,
            lead_label TEXT NOT NULL DEFAULT '',
            campaign_id INTEGER,
            tracking INTEGER NOT NULL DEFAULT 1 CHECK (tracking IN (0, 1))
        )""",
        "CREATE INDEX ix_outbox_state ON outbox(state)",
        "CREATE INDEX ix_outbox_fingerprint_created ON outbox(fingerprint, created_at)",
        "CREATE INDEX ix_outbox_message_id ON outbox(message_id)",
        "CREATE INDEX ix_outbox_updated_at ON outbox(updated_at)",
        # Defence in depth: even a hand-written UPDATE cannot move an entry backwards.
        f"""CREATE TRIGGER outbox_state_guard BEFORE UPDATE OF state ON outbox
            WHEN NEW.state <> OLD.state AND NOT ({_GUARD_SQL})
            BEGIN SELECT RAISE(ABORT, 'forbidden outbox state transition'); END""",
        f"""CREATE TABLE journal (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            entry_id INTEGER NOT NULL REFERENCES outbox(id),
            at TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ({_STATES_SQL})),
            detail TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX ix_journal_entry ON journal(entry_id, id)",
        """CREATE TABLE status_history (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            entry_id INTEGER NOT NULL REFERENCES outbox(id),
            at TEXT NOT NULL,
            status TEXT NOT NULL,
            status_message TEXT NOT NULL DEFAULT '',
            event_time TEXT,
            scheduled_time TEXT
        )""",
        "CREATE INDEX ix_status_history_entry ON status_history(entry_id, id)",
    ),
)

#: The schema version this code writes and understands.
SCHEMA_VERSION = len(MIGRATIONS)

_ENTRY_COLUMNS = (
    "id, thread_key, fingerprint, state, fields, endpoint, request_body, created_at, updated_at,"
    " hold_until, message_id, server_message, last_error, last_status, last_status_message,"
    " last_event_time, last_scheduled_time, last_checked_at, lead_label, campaign_id, tracking"
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _ts(value: datetime) -> str:
    """Fixed-width UTC ISO text, so text order is time order (indexes, ORDER BY)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise StoreError(f"naive datetime {value!r}: the store only takes timezone-aware times")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _opt_ts(value: datetime | None) -> str | None:
    return None if value is None else _ts(value)


def _parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _opt_parse_ts(text: str | None) -> datetime | None:
    return None if text is None else _parse_ts(text)


def _dumps(value: Mapping[str, Any], what: str) -> str:
    """JSON text for a column; refuses anything JSON cannot carry rather than pickling it."""
    try:
        return json.dumps(dict(value), ensure_ascii=False, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{what} must be plain JSON data: {exc}") from exc


def _loads(text: str) -> dict[str, Any]:
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def _contains_api_key(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(
            (isinstance(k, str) and k.replace("-", "_").lower() in ("api_key", "apikey"))
            or _contains_api_key(v)
            for k, v in value.items()
        )
    if isinstance(value, (list, tuple)):
        return any(_contains_api_key(v) for v in value)
    return False


def _states_filter(states: Iterable[str] | None) -> tuple[str, list[str]] | None:
    """SQL condition for a state filter; None means no filter; ("0", []) matches nothing."""
    if states is None:
        return None
    wanted = list(dict.fromkeys(states))
    for state in wanted:
        if state not in OUTBOX_STATES:
            raise StoreError(f"unknown outbox state {state!r}")
    if not wanted:
        return "0", []
    return f"state IN ({', '.join('?' * len(wanted))})", wanted


def _fsync_dir(directory: Path) -> None:
    """Make a rename or a file creation durable (POSIX; harmless elsewhere)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _Corrupt(Exception):
    """Internal: the file at the path is not a usable SQLite database."""


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    # "database is locked" or "disk I/O error" are not corruption: never move a good file aside.
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return True
    message = str(exc).lower()
    return "file is not a database" in message or "malformed" in message


class Store:
    """SQLite store of drafts, outbox entries, their journal and their status history."""

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.path = Path(path)
        self.recovered_from: Path | None = None
        self._clock = clock
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._prepare_path()
        try:
            conn = self._open_checked()
        except _Corrupt:
            self.recovered_from = self._move_aside()
            try:
                conn = self._open_checked()
            except _Corrupt as exc:  # pragma: no cover - a fresh file cannot be corrupt
                raise StoreError(f"cannot create a fresh store at {self.path}: {exc}") from exc
        self._conn = conn
        self._secure_files()
        self._session = SessionLock(Path(f"{self.path}.lock"))

    # -- opening ---------------------------------------------------------------------------

    def _prepare_path(self) -> None:
        """Create missing parent dirs as 0700 and the file as 0600 before SQLite touches it."""
        parent = self.path.parent
        missing: list[Path] = []
        probe = parent
        while not probe.exists():
            missing.append(probe)
            probe = probe.parent
        for directory in reversed(missing):
            try:
                directory.mkdir(mode=0o700)
            except FileExistsError:
                continue
            except OSError as exc:
                raise StoreError(f"cannot create the data directory {directory}: {exc}") from exc
            os.chmod(directory, 0o700)
        if self.path.exists() and not self.path.is_file():
            raise StoreError(f"{self.path} exists but is not a file")
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}") from exc
        os.close(fd)
        if missing:
            _fsync_dir(parent)

    def _secure_files(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            candidate = Path(f"{self.path}{suffix}")
            with contextlib.suppress(OSError):
                if candidate.exists():
                    os.chmod(candidate, 0o600)

    def _open_checked(self) -> sqlite3.Connection:
        """Open, refuse newer schemas untouched, detect corruption, migrate."""
        self._check_header()
        try:
            conn = sqlite3.connect(
                self.path, timeout=10.0, isolation_level=None, check_same_thread=False
            )
        except sqlite3.DatabaseError as exc:
            if _is_corruption(exc):
                raise _Corrupt(str(exc)) from exc
            raise StoreError(f"cannot open the store {self.path}: {exc}") from exc
        try:
            conn.row_factory = sqlite3.Row
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} was written by a newer smartlead-tui (schema {version}, this"
                    f" version knows {SCHEMA_VERSION}); upgrade smartlead-tui or use another"
                    " data directory"
                )
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"cannot switch {self.path} to WAL mode (got {mode!r})")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            if version > 0:
                result = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
                if result != "ok":
                    raise _Corrupt(str(result))
            self._migrate(conn, version)
        except sqlite3.DatabaseError as exc:
            conn.close()
            if _is_corruption(exc):
                raise _Corrupt(str(exc)) from exc
            raise StoreError(f"cannot open the store {self.path}: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        return conn

    def _check_header(self) -> None:
        """An empty file is a new database; anything else must start with SQLite's magic."""
        try:
            with open(self.path, "rb") as handle:
                head = handle.read(100)
        except OSError as exc:
            raise StoreError(f"cannot read the store {self.path}: {exc}") from exc
        if head and (len(head) < 100 or not head.startswith(_SQLITE_MAGIC)):
            raise _Corrupt("not an SQLite database")

    def _migrate(self, conn: sqlite3.Connection, version: int) -> None:
        for target in range(version + 1, SCHEMA_VERSION + 1):
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATIONS[target - 1]:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                    (target, _ts(self._now())),
                )
                conn.execute(f"PRAGMA user_version = {int(target)}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _move_aside(self) -> Path:
        """Keep the unreadable file (and its WAL) under a new name; never delete a reply."""
        stamp = self._now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        base = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        target = base
        counter = 1
        while target.exists():
            counter += 1
            target = base.with_name(f"{base.name}-{counter}")
        os.replace(self.path, target)
        for suffix in ("-wal", "-shm"):
            companion = Path(f"{self.path}{suffix}")
            if companion.exists():
                os.replace(companion, Path(f"{target}{suffix}"))
        _fsync_dir(self.path.parent)
        self._prepare_path()
        return target

    # -- plumbing --------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise StoreError("the store clock must return timezone-aware datetimes")
        return now

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError("the store is closed")
        return self._conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One public write = one IMMEDIATE transaction, committed (and fsynced) on exit."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._connection()

    def close(self) -> None:
        """Close the connection and leave the session; safe to call twice."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        session = getattr(self, "_session", None)
        if session is not None:
            session.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- drafts ----------------------------------------------------------------------------

    def save_draft(self, thread_key: str, fields: dict[str, Any]) -> None:
        """Autosave: one UPSERT per call, cheap enough to run as the user types."""
        text = _dumps(fields, "draft fields")
        with self._write() as conn:
            _upsert_draft(conn, thread_key, text, _ts(self._now()))

    def load_draft(self, thread_key: str) -> DraftRecord | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT thread_key, fields, updated_at FROM drafts WHERE thread_key = ?",
                (thread_key,),
            ).fetchone()
        return None if row is None else _draft(row)

    def list_drafts(self) -> list[DraftRecord]:
        """Newest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT thread_key, fields, updated_at FROM drafts"
                " ORDER BY updated_at DESC, rowid DESC"
            ).fetchall()
        return [_draft(row) for row in rows]

    def delete_draft(self, thread_key: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM drafts WHERE thread_key = ?", (thread_key,))

    # -- outbox + journal ------------------------------------------------------------------

    def create_entry(
        self,
        *,
        thread_key: str,
        fingerprint: str,
        fields: dict[str, Any],
        endpoint: str,
        request_body: dict[str, Any],
        lead_label: str = "",
        campaign_id: int | None = None,
        state: str = "held",
        hold_until: datetime | None = None,
        detail: str = "",
        consume_draft: bool = False,
    ) -> OutboxEntry:
        """Write the entry and its first journal row in one transaction.

        With `consume_draft` the thread's draft is deleted in the same transaction, so a crash
        can never leave both a held reply and its draft (which could be sent again).
        """
        now = self._now()
        with self._write() as conn:
            entry_id = self._insert_entry(
                conn,
                now,
                thread_key=thread_key,
                fingerprint=fingerprint,
                fields=fields,
                endpoint=endpoint,
                request_body=request_body,
                lead_label=lead_label,
                campaign_id=campaign_id,
                state=state,
                hold_until=hold_until,
                detail=detail,
            )
            if consume_draft:
                conn.execute("DELETE FROM drafts WHERE thread_key = ?", (thread_key,))
            return _fetch_entry(conn, entry_id)

    def create_entries(self, specs: Iterable[Mapping[str, Any]]) -> list[int]:
        """Bulk `create_entry` (same keyword names) in ONE transaction: imports, benchmarks."""
        now = self._now()
        with self._write() as conn:
            return [self._insert_entry(conn, now, **dict(spec)) for spec in specs]

    def _insert_entry(
        self,
        conn: sqlite3.Connection,
        now: datetime,
        *,
        thread_key: str,
        fingerprint: str,
        fields: Mapping[str, Any],
        endpoint: str,
        request_body: Mapping[str, Any],
        lead_label: str = "",
        campaign_id: int | None = None,
        state: str = "held",
        hold_until: datetime | None = None,
        detail: str = "",
        message_id: str | None = None,
    ) -> int:
        if state not in OUTBOX_STATES:
            raise StoreError(f"unknown outbox state {state!r}")
        if "api_key" in endpoint.lower() or _contains_api_key(request_body):
            raise StoreError("refusing to store an API key in the outbox")
        stamp = _ts(now)
        cursor = conn.execute(
            "INSERT INTO outbox (thread_key, fingerprint, state, fields, endpoint, request_body,"
            " created_at, updated_at, hold_until, lead_label, campaign_id, message_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                thread_key,
                fingerprint,
                state,
                _dumps(fields, "entry fields"),
                endpoint,
                _dumps(request_body, "request body"),
                stamp,
                stamp,
                _opt_ts(hold_until),
                lead_label,
                None if campaign_id is None else int(campaign_id),
                message_id,
            ),
        )
        entry_id = int(cursor.lastrowid or 0)
        _journal(conn, entry_id, stamp, state, detail)
        return entry_id

    def transition(
        self,
        entry_id: int,
        state: str,
        *,
        detail: str = "",
        message_id: str | None = None,
        server_message: str | None = None,
        error: str | None = None,
        restore_draft: bool = False,
    ) -> OutboxEntry:
        """Validate and apply a state change plus its journal row; durable on return.

        The UPDATE is a compare-and-set on the current state, so two callers racing to move
        the same held entry to 'sending' cannot both win. `error` becomes `last_error`
        (reaching 'queued' clears it: the reply went). With `restore_draft` (undo) the
        entry's fields are written back as the thread's draft in the same transaction.
        """
        if state not in OUTBOX_STATES:
            raise StoreError(f"unknown outbox state {state!r}")
        now = self._now()
        with self._write() as conn:
            row = conn.execute(
                "SELECT state, thread_key, fields FROM outbox WHERE id = ?", (entry_id,)
            ).fetchone()
            if row is None:
                raise EntryNotFound(f"no outbox entry {entry_id}")
            current = row["state"]
            if not can_transition(current, state):
                raise TransitionError(
                    f"outbox entry {entry_id} cannot go from {current} to {state}"
                )
            stamp = _ts(now)
            sets = ["state = ?", "updated_at = ?"]
            params: list[Any] = [state, stamp]
            if message_id is not None:
                sets.append("message_id = ?")
                params.append(message_id)
            if server_message is not None:
                sets.append("server_message = ?")
                params.append(server_message)
            if error is not None:
                sets.append("last_error = ?")
                params.append(error)
            elif state == "queued":
                sets.append("last_error = NULL")
            params += [entry_id, current]
            cursor = conn.execute(
                f"UPDATE outbox SET {', '.join(sets)} WHERE id = ? AND state = ?", params
            )
            if cursor.rowcount != 1:  # pragma: no cover - guarded by the lock and IMMEDIATE
                raise TransitionError(f"outbox entry {entry_id} changed state concurrently")
            _journal(conn, entry_id, stamp, state, detail or error or server_message or "")
            if restore_draft:
                _upsert_draft(conn, row["thread_key"], row["fields"], stamp)
            return _fetch_entry(conn, entry_id)

    def get_entry(self, entry_id: int) -> OutboxEntry:
        with self._read() as conn:
            return _fetch_entry(conn, entry_id)

    def list_entries(
        self,
        *,
        states: Iterable[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[OutboxEntry]:
        """Newest first (by id, i.e. creation order); an index walk, not a sort."""
        where = _states_filter(states)
        sql = f"SELECT {_ENTRY_COLUMNS} FROM outbox"
        params: list[Any] = []
        if where is not None:
            sql += f" WHERE {where[0]}"
            params += where[1]
        sql += " ORDER BY id DESC LIMIT ? OFFSET ?"
        params += [-1 if limit is None else max(0, int(limit)), max(0, int(offset))]
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [_entry(row) for row in rows]

    def count_entries(self, *, states: Iterable[str] | None = None) -> int:
        where = _states_filter(states)
        sql = "SELECT COUNT(*) FROM outbox"
        params: list[Any] = []
        if where is not None:
            sql += f" WHERE {where[0]}"
            params += where[1]
        with self._read() as conn:
            return int(conn.execute(sql, params).fetchone()[0])

    def journal(self, entry_id: int) -> list[JournalRow]:
        """Oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT entry_id, at, state, detail FROM journal WHERE entry_id = ? ORDER BY id",
                (entry_id,),
            ).fetchall()
        return [
            JournalRow(
                entry_id=int(r["entry_id"]),
                at=_parse_ts(r["at"]),
                state=r["state"],
                detail=r["detail"],
            )
            for r in rows
        ]

    def find_recent_duplicate(
        self, fingerprint: str, *, within: timedelta = timedelta(hours=24)
    ) -> OutboxEntry | None:
        """The newest held/sending/queued/unknown entry with this fingerprint in the window."""
        if not fingerprint:
            return None
        since = _ts(self._now() - within)
        placeholders = ", ".join("?" * len(ACTIVE_STATES))
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM outbox WHERE fingerprint = ? AND created_at >= ?"
                f" AND state IN ({placeholders}) ORDER BY created_at DESC, id DESC LIMIT 1",
                (fingerprint, since, *ACTIVE_STATES),
            ).fetchone()
        return None if row is None else _entry(row)

    def recover(self) -> Recovery:
        """Start-up: every 'sending' entry becomes 'unknown' (it may or may not have gone).

        Returns the drafts (newest first), the held entries and the interrupted ones (both
        oldest first, the order they were meant to go out). Changes nothing and returns
        `skipped_busy` when another process has this outbox open: its 'sending' entries are
        really in flight, and its held ones will go when their window ends.
        """
        if not self._session.alone():
            return Recovery(drafts=[], held=[], interrupted=[], skipped_busy=True)
        now = self._now()
        with self._write() as conn:
            stamp = _ts(now)
            ids = [
                int(r[0])
                for r in conn.execute(
                    "SELECT id FROM outbox WHERE state = 'sending' ORDER BY id"
                ).fetchall()
            ]
            for entry_id in ids:
                conn.execute(
                    "UPDATE outbox SET state = 'unknown', updated_at = ?,"
                    " last_error = COALESCE(last_error, ?) WHERE id = ? AND state = 'sending'",
                    (stamp, "interrupted while sending", entry_id),
                )
                _journal(conn, entry_id, stamp, "unknown", INTERRUPTED_DETAIL)
            interrupted = [_fetch_entry(conn, entry_id) for entry_id in ids]
            held = [
                _entry(r)
                for r in conn.execute(
                    f"SELECT {_ENTRY_COLUMNS} FROM outbox WHERE state = 'held' ORDER BY id"
                ).fetchall()
            ]
            drafts = [
                _draft(r)
                for r in conn.execute(
                    "SELECT thread_key, fields, updated_at FROM drafts"
                    " ORDER BY updated_at DESC, rowid DESC"
                ).fetchall()
            ]
        return Recovery(drafts=drafts, held=held, interrupted=interrupted)

    # -- message ids and statuses ----------------------------------------------------------

    def set_message_id(self, entry_id: int, message_id: str) -> None:
        """Record the Message-ID found for an entry (journal: "message id found: <id>")."""
        if not message_id:
            raise StoreError("an empty Message-ID cannot be tracked")
        now = self._now()
        with self._write() as conn:
            row = conn.execute(
                "SELECT state, message_id FROM outbox WHERE id = ?", (entry_id,)
            ).fetchone()
            if row is None:
                raise EntryNotFound(f"no outbox entry {entry_id}")
            if row["message_id"] == message_id:
                return
            stamp = _ts(now)
            conn.execute(
                "UPDATE outbox SET message_id = ?, updated_at = ? WHERE id = ?",
                (message_id, stamp, entry_id),
            )
            _journal(conn, entry_id, stamp, row["state"], f"message id found: {message_id}")

    def record_status(
        self,
        entry_id: int,
        *,
        status: str,
        status_message: str = "",
        event_time: str | None = None,
        scheduled_time: str | None = None,
        checked_at: datetime | None = None,
    ) -> None:
        """Store a status answer; history grows only when status or its message changed.

        A successful check clears `last_error` (that field then only reflects the latest
        problem). `updated_at` moves only when something visible changed, so polling an
        unchanged reply does not reshuffle "recently updated" views.
        """
        checked = _ts(checked_at if checked_at is not None else self._now())
        with self._write() as conn:
            row = conn.execute(
                "SELECT last_status, last_status_message, last_event_time, last_scheduled_time"
                " FROM outbox WHERE id = ?",
                (entry_id,),
            ).fetchone()
            if row is None:
                raise EntryNotFound(f"no outbox entry {entry_id}")
            status_changed = (
                row["last_status"] != status or (row["last_status_message"] or "") != status_message
            )
            changed = status_changed or (
                row["last_event_time"] != event_time or row["last_scheduled_time"] != scheduled_time
            )
            conn.execute(
                "UPDATE outbox SET last_status = ?, last_status_message = ?,"
                " last_event_time = ?, last_scheduled_time = ?, last_checked_at = ?,"
                " last_error = NULL, updated_at = CASE WHEN ? THEN ? ELSE updated_at END"
                " WHERE id = ?",
                (
                    status,
                    status_message,
                    event_time,
                    scheduled_time,
                    checked,
                    int(changed),
                    checked,
                    entry_id,
                ),
            )
            if status_changed:
                conn.execute(
                    "INSERT INTO status_history (entry_id, at, status, status_message,"
                    " event_time, scheduled_time) VALUES (?, ?, ?, ?, ?, ?)",
                    (entry_id, checked, status, status_message, event_time, scheduled_time),
                )

    def record_check_error(
        self, entry_id: int, error: str, *, checked_at: datetime | None = None
    ) -> None:
        """A status check failed: keep the error and the time; the last status stays."""
        checked = _ts(checked_at if checked_at is not None else self._now())
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE outbox SET last_error = ?, last_checked_at = ? WHERE id = ?",
                (error, checked, entry_id),
            )
            if cursor.rowcount != 1:
                raise EntryNotFound(f"no outbox entry {entry_id}")

    def status_history(self, entry_id: int) -> list[StatusRow]:
        """Oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT entry_id, at, status, status_message, event_time, scheduled_time"
                " FROM status_history WHERE entry_id = ? ORDER BY id",
                (entry_id,),
            ).fetchall()
        return [
            StatusRow(
                entry_id=int(r["entry_id"]),
                at=_parse_ts(r["at"]),
                status=r["status"],
                status_message=r["status_message"],
                event_time=r["event_time"],
                scheduled_time=r["scheduled_time"],
            )
            for r in rows
        ]

    def add_tracked_message(self, message_id: str, *, lead_label: str = "") -> OutboxEntry:
        """Track any Message-ID: a 'queued' entry with no body, fingerprint "" or thread.

        If an entry with that Message-ID already exists it is returned (tracking switched
        back on) instead of adding a second row for the same message.
        """
        message_id = message_id.strip()
        if not message_id:
            raise StoreError("an empty Message-ID cannot be tracked")
        now = self._now()
        with self._write() as conn:
            row = conn.execute(
                "SELECT id, tracking FROM outbox WHERE message_id = ? ORDER BY id DESC LIMIT 1",
                (message_id,),
            ).fetchone()
            if row is not None:
                entry_id = int(row["id"])
                if not row["tracking"]:
                    _set_tracking(conn, entry_id, True, _ts(now))
                return _fetch_entry(conn, entry_id)
            entry_id = self._insert_entry(
                conn,
                now,
                thread_key="",
                fingerprint="",
                fields={},
                endpoint="",
                request_body={},
                lead_label=lead_label,
                state="queued",
                detail=f"tracking Message-ID {message_id} (added by hand)",
                message_id=message_id,
            )
            return _fetch_entry(conn, entry_id)

    def stop_tracking(self, entry_id: int) -> None:
        """Stop polling this entry (journal row "tracking stopped"); no-op if already off."""
        now = self._now()
        with self._write() as conn:
            row = conn.execute("SELECT tracking FROM outbox WHERE id = ?", (entry_id,)).fetchone()
            if row is None:
                raise EntryNotFound(f"no outbox entry {entry_id}")
            if row["tracking"]:
                _set_tracking(conn, entry_id, False, _ts(now))

    def find_by_message_id(self, message_id: str) -> OutboxEntry | None:
        """The newest entry carrying this Message-ID (indexed)."""
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM outbox WHERE message_id = ?"
                " ORDER BY id DESC LIMIT 1",
                (message_id,),
            ).fetchone()
        return None if row is None else _entry(row)

    def list_tracking(self) -> list[OutboxEntry]:
        """Entries the tracker should care about: tracking on, state queued or unknown.

        Oldest first. Entries without a Message-ID yet are included (discovery needed).
        """
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM outbox WHERE state IN ('queued', 'unknown')"
                " AND tracking = 1 ORDER BY id"
            ).fetchall()
        return [_entry(row) for row in rows]


# -- row helpers (called with the lock held) ---------------------------------------------------


def _journal(conn: sqlite3.Connection, entry_id: int, at: str, state: str, detail: str) -> None:
    conn.execute(
        "INSERT INTO journal (entry_id, at, state, detail) VALUES (?, ?, ?, ?)",
        (entry_id, at, state, detail),
    )


def _upsert_draft(conn: sqlite3.Connection, key: str, fields_json: str, at: str) -> None:
    conn.execute(
        "INSERT INTO drafts (thread_key, fields, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT(thread_key) DO UPDATE SET fields = excluded.fields,"
        " updated_at = excluded.updated_at",
        (key, fields_json, at),
    )


def _set_tracking(conn: sqlite3.Connection, entry_id: int, on: bool, at: str) -> None:
    row = conn.execute("SELECT state FROM outbox WHERE id = ?", (entry_id,)).fetchone()
    conn.execute(
        "UPDATE outbox SET tracking = ?, updated_at = ? WHERE id = ?", (int(on), at, entry_id)
    )
    _journal(conn, entry_id, at, row["state"], "tracking resumed" if on else "tracking stopped")


def _fetch_entry(conn: sqlite3.Connection, entry_id: int) -> OutboxEntry:
    row = conn.execute(f"SELECT {_ENTRY_COLUMNS} FROM outbox WHERE id = ?", (entry_id,)).fetchone()
    if row is None:
        raise EntryNotFound(f"no outbox entry {entry_id}")
    return _entry(row)


def _draft(row: sqlite3.Row) -> DraftRecord:
    return DraftRecord(
        thread_key=row["thread_key"],
        fields=_loads(row["fields"]),
        updated_at=_parse_ts(row["updated_at"]),
    )


def _entry(row: sqlite3.Row) -> OutboxEntry:
    return OutboxEntry(
        id=int(row["id"]),
        thread_key=row["thread_key"],
        fingerprint=row["fingerprint"],
        state=row["state"],
        fields=_loads(row["fields"]),
        endpoint=row["endpoint"],
        request_body=_loads(row["request_body"]),
        created_at=_parse_ts(row["created_at"]),
        updated_at=_parse_ts(row["updated_at"]),
        hold_until=_opt_parse_ts(row["hold_until"]),
        message_id=row["message_id"],
        server_message=row["server_message"],
        last_error=row["last_error"],
        last_status=row["last_status"],
        last_status_message=row["last_status_message"],
        last_event_time=row["last_event_time"],
        last_scheduled_time=row["last_scheduled_time"],
        last_checked_at=_opt_parse_ts(row["last_checked_at"]),
        lead_label=row["lead_label"],
        campaign_id=None if row["campaign_id"] is None else int(row["campaign_id"]),
        tracking=bool(row["tracking"]),
    )
