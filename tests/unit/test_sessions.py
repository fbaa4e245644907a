"""Session marks: a clean exit leaves nothing, a crash leaves its start time, offered once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from smartlead_tui.outbox.sessions import UNKNOWN_START, SessionMarks

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_clean_exit_leaves_nothing_a_crash_leaves_its_start(tmp_path: Path) -> None:
    store = tmp_path / "outbox.sqlite3"
    clean = SessionMarks(store, clock=lambda: T0)
    clean.begin()
    clean.end()
    assert SessionMarks(store).crashed_since() is None

    SessionMarks(store, clock=lambda: T1).begin()  # never ended: killed
    SessionMarks(store, clock=lambda: T0).begin()  # an older one, killed too
    now = SessionMarks(store)
    now.begin()
    assert now.crashed_since() == T0  # the oldest; its own mark is not counted
    now.forget_crashed()
    assert now.crashed_since() is None
    now.end()
    assert list((tmp_path / "outbox.sqlite3.sessions").iterdir()) == []


def test_an_unreadable_mark_still_counts_as_a_crash(tmp_path: Path) -> None:
    store = tmp_path / "outbox.sqlite3"
    directory = tmp_path / "outbox.sqlite3.sessions"
    directory.mkdir()
    (directory / "123-abc.json").write_text("{not json", encoding="utf-8")
    assert SessionMarks(store).crashed_since() == UNKNOWN_START


def test_no_writable_directory_is_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "outbox.sqlite3.sessions").write_text("a file where the directory goes")
    marks = SessionMarks(tmp_path / "outbox.sqlite3")
    marks.begin()
    assert marks.crashed_since() is None
    marks.end()


def test_drafts_closed_on_purpose_are_remembered_in_the_mark(tmp_path: Path) -> None:
    store = tmp_path / "outbox.sqlite3"
    crashed = SessionMarks(store)
    crashed.begin()
    crashed.note_left("3021:st-1")  # escape on that composer, then the process died
    later = SessionMarks(store)
    later.begin()
    left = later.left_in_crashed()
    assert set(left) == {"3021:st-1"} and left["3021:st-1"].tzinfo is not None
    later.forget_crashed()
    assert later.left_in_crashed() == {}
