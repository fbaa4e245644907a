"""Bad input: malformed values in every field and flag, a 1 MB body, control characters and
`[markup]` in lead data, a corrupt store file, and a config directory that cannot be written.

Each is refused (or handled) with a clear message, never a traceback; nothing typed is lost and
nothing is sent that was not confirmed.
"""

from __future__ import annotations

import io
import json
import os
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from smartlead_tui.body_format import text_to_html
from smartlead_tui.cli import main
from smartlead_tui.outbox.store import STORE_FILENAME, Store
from smartlead_tui.tui.screens.compose import ComposeScreen
from smartlead_tui.tui.screens.inbox import InboxScreen
from smartlead_tui.tui.screens.outbox import OutboxScreen
from smartlead_tui.tui.screens.review import ReviewScreen
from smartlead_tui.tui.screens.thread import ThreadScreen
from smartlead_tui.tui.widgets.reply_sender import get_send_driver
from smartlead_tui.tui.widgets.status_table import StatusTable
from tests.faults import (
    DRILL_KEY,
    SEND_PATH,
    SIZE,
    DrillSandbox,
    assert_key_hidden,
    make_app,
    notes,
    prefill_for,
    static_text,
    wait_for,
)


def terminal_safe(svg: str) -> None:
    """No ESC, BEL, backspace or 8-bit CSI from lead data reaches what the terminal is sent.

    A lead's name could otherwise recolour, clear or retitle the person's terminal.
    """
    for code in ("\x1b", "\x07", "\x08", "\x9b"):
        assert code not in svg, f"control character {code!r} reached the screen"


# -- control characters and [markup] in lead data --------------------------------------------------


@pytest.mark.drill("lead data: control characters and [markup] shown inert")
async def test_hostile_lead_data_is_shown_inert(server: DrillSandbox, tmp_path: Path) -> None:
    ref = server.seed.first_reply()
    lead = server.seed.lead(ref.lead_id)
    lead.first_name = "Ann\x1b[31mRED\x07"
    lead.last_name = "[bold]Bold[/bold]\x1b]0;pwned\x07"
    reply = lead.replies()[-1]
    reply.subject = "[bold]x[/bold] \x1b[2Jwiped"
    reply.email_body = "<p>[red]not red[/red] \x1b[5mblink\x1b[0m \x9b31m</p>"
    app = make_app(server, tmp_path, home="inbox")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        await wait_for(pilot, lambda: inbox.table.row_count > 0 and not inbox.busy)
        key = f"{ref.campaign_id}:{ref.lead_id}"
        inbox.table.select_key(key)
        await pilot.pause()
        shown = app.export_screenshot()
        assert "[bold]Bold[/bold]" in shown.replace("&#160;", " ")
        terminal_safe(shown)

        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ThreadScreen))
        thread = app.screen
        assert isinstance(thread, ThreadScreen)
        await wait_for(pilot, lambda: thread.history_fresh)
        shown = app.export_screenshot()
        assert "[red]not" in shown and "[bold]x[/bold]" in shown.replace("&#160;", " ")
        terminal_safe(shown)

        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen))
        compose = app.screen
        assert isinstance(compose, ComposeScreen)
        await wait_for(pilot, lambda: bool(compose.query("#body")))
        await pilot.pause()
        assert "[bold]Bold[/bold]" in static_text(compose, "#context")
        terminal_safe(app.export_screenshot())
        compose.query_one("#body", TextArea).text = "Thanks Ann!"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        terminal_safe(app.export_screenshot())
        await pilot.press("enter")
        await wait_for(pilot, lambda: compose.phase == "done")
        await wait_for(pilot, lambda: not get_send_driver(app).busy)
        await pilot.press("escape", "ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, OutboxScreen) and app.screen.loaded)
        (entry,) = app.store.list_entries()
        table = app.screen.query_one(StatusTable)
        await wait_for(pilot, lambda: table.has_row(entry.id))
        assert "[bold]Bold[/bold]" in table.cell_texts(entry.id)["lead"]
        terminal_safe(app.export_screenshot())
        terminal_safe(notes(app))
        assert_key_hidden(app)
    (post,) = server.posts(SEND_PATH)
    assert post.json["emailBody"] == "<p>Thanks Ann!</p>"  # minimal HTML (issue 11 item 7)


# -- malformed values in every compose field -------------------------------------------------------

#: (widget id, malformed value, where the message shows, what it says).
COMPOSE_CASES: list[tuple[str, str, str, str]] = [
    ("to", "ann@@x.io", "#err-to", "to: 'ann@@x.io' is not an email address"),
    ("to", "a@x.io, b@x.io", "#err-to", "is not an email address"),
    ("to", "[b]a[/b]@x.io", "#err-to", "to: '[b]a[/b]@x.io' is not an email address"),
    ("first-name", "Ann\x1b[31m", "#blockers", "Fix: first name"),
    ("last-name", "Li\x07", "#blockers", "Fix: last name"),
    ("cc", "a@x.io,,b@", "#err-cc", "cc: 'b@' is not an email address"),
    ("bcc", "c@x.io; @d.io", "#err-bcc", "bcc: '@d.io' is not an email address"),
    ("schedule", "31/02/2027", "#schedule-resolved", "schedule: can't read '31/02/2027'"),
    ("schedule", "2027-02-30 10:00", "#schedule-resolved", "'2027-02-30' is not a real date"),
    ("schedule", "2020-01-01 10:00", "#schedule-resolved", "is in the past"),
    ("campaign-id", "-5", "#err-campaign", "campaign id: '-5' must be a positive number"),
    ("campaign-id", "1e3", "#err-campaign", "campaign id: '1e3' is not a number"),
    ("campaign-id", "9" * 25, "#err-campaign", "is too large"),
    ("stats-id", "   ", "#err-stats", "email stats id: is empty"),
    ("stats-id", "ab\x1bc", "#err-stats", "contains the control character U+001B"),
    ("reply-message-id", "<a b@c>", "#err-message-id", "is not a Message-ID"),
    ("thread-id", "0", "#err-thread", "thread id: '0' must be a positive number"),
    ("thread-id", "1.5", "#err-thread", "thread id: '1.5' is not a whole number"),
    ("reply-time", "2026-13-45", "#err-reply-time", "is not an ISO 8601 date-time"),
    ("schedule-condition", "\x1b[2J", "#blockers", "Fix: schedule condition"),
    ("seq-type", "x\x00", "#blockers", "Fix: sequence type"),
]
BODY_CASES = [
    ("   \n  ", "body: is empty"),
    ("Hi {{first_name}}, see %COMPANY%", "unfilled merge fields {{first_name}}, %COMPANY%"),
    ("Hi\x1b[2J there", "body: contains the control character U+001B"),
]
ATTACH_CASES = [
    ("javascript:alert(1)", "must be a public http(s) URL"),
    ("http://localhost/deck.pdf", "must be a public http(s) URL"),
    ("/home/me/deck.pdf", "is a local file"),
]


@pytest.mark.drill("compose: malformed value in every field")
async def test_malformed_values_in_every_compose_field(
    server: DrillSandbox, tmp_path: Path
) -> None:
    prefill = {**prefill_for(server), "body": "Hello", "seq_type": "", "thread_id": 7}
    app = make_app(server, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.open_compose(prefill)
        await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen))
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        await wait_for(pilot, lambda: bool(screen.query("#advanced")))
        await pilot.press("ctrl+t")  # the Advanced section, by keys
        good = screen.form.get_fields()
        # Rounds: every field gets its first malformed value at once, then its second, ...
        rounds: list[list[tuple[str, str, str, str]]] = []
        for case in COMPOSE_CASES:
            taken = [r for r in rounds if all(c[0] != case[0] for c in r)]
            if taken:
                taken[0].append(case)
            else:
                rounds.append([case])
        for cases in rounds:
            before = {}
            for widget_id, value, _, _ in cases:
                field = screen.query_one(f"#{widget_id}", Input)
                before[widget_id] = field.value
                field.value = value  # as typed or pasted
            if cases is rounds[0]:  # from the first ctrl+s on, every problem is shown
                await pilot.press("ctrl+s")  # refused, with every reason; nothing goes
                assert screen.phase == "edit" and not isinstance(app.screen, ReviewScreen)
            else:
                await pilot.pause()
            for widget_id, value, where, words in cases:
                shown = static_text(screen, where)
                assert words.removeprefix("Fix: ") in shown, (widget_id, value, shown)
            assert static_text(screen, "#blockers").startswith("✗ Not ready to send. Fix: ")
            for widget_id, value in before.items():
                screen.query_one(f"#{widget_id}", Input).value = value
            await pilot.pause()
        body = screen.query_one("#body", TextArea)
        for value, words in BODY_CASES:
            body.text = value
            await pilot.pause()
            assert words in static_text(screen, "#err-body"), (
                value,
                static_text(screen, "#err-body"),
            )
        body.text = "Hello"
        url = screen.query_one("#attach-url", Input)
        for value, words in ATTACH_CASES:
            url.value = value
            url.focus()
            await pilot.press("enter")
            assert words in static_text(screen, "#err-attachments"), value
        url.value = ""
        assert screen.form.get_fields()["attachments"] == []
        assert "Can't send yet" in notes(app)

        # Markup in free text is no error: it is shown as typed and sent as typed.
        screen.query_one("#seq-type", Input).value = "[b]FOLLOW[/b]"
        await pilot.pause()
        assert static_text(screen, "#blockers").startswith("✓ Ready"), static_text(
            screen, "#blockers"
        )
        fields = screen.form.get_fields()
        assert {k: v for k, v in fields.items() if k != "seq_type"} == {
            k: v for k, v in good.items() if k != "seq_type"
        }  # nothing else was changed by the drill
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        assert "Seq. type   [b]FOLLOW[/b]" in static_text(app.screen, "#review-summary")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.phase == "done")
        await wait_for(pilot, lambda: not get_send_driver(app).busy)
        terminal_safe(notes(app))
        assert_key_hidden(app)
    (post,) = server.posts(SEND_PATH)
    assert post.json["seqType"] == "[b]FOLLOW[/b]" and post.json["emailBody"] == "<p>Hello</p>"


# -- malformed values in every CLI flag ------------------------------------------------------------

CLI_CASES: list[tuple[list[str], str]] = [
    (["--campaign-id", "abc"], "campaign id: 'abc' is not a number"),
    (["--campaign-id", "-1"], "must be a positive number"),
    (["--email-stats-id", " "], "email stats id: is empty"),
    (["--body", " "], "body: is empty"),
    (["--body", "Hi {{first_name}}"], "unfilled merge fields"),
    # Every control character is named, not just the first (the BEL after the ESC too).
    (["--body", "Hi\x1b]0;pwned\x07"], "body: contains control characters U+001B (ESC) and U+0007"),
    (["--to", "bob@"], "to: 'bob@' is not an email address"),
    (["--first-name", "Bo\x1b[31m"], "first name: contains the control character U+001B"),
    (["--last-name", "B\x08"], "last name: contains the control character U+0008"),
    (["--cc", "a@x.io,nope"], "cc: 'nope' is not an email address"),
    (["--bcc", "@x.io"], "bcc: '@x.io' is not an email address"),
    (["--schedule", "someday"], "schedule: can't read 'someday'"),
    (["--schedule", "in 2h", "--timezone", "Mars/Olympus"], "Mars/Olympus"),
    (["--attach", "file:///etc/passwd"], "attachment:"),
    (["--attach", "https://10.0.0.1/x.pdf"], "must be a public http(s) URL"),
    (["--thread-id", "x"], "thread id: 'x' is not a number"),
    (["--reply-message-id", "not an id"], "is not a Message-ID"),
    (["--reply-body", "\x00"], "original body: contains the control character U+0000"),
    (["--reply-time", "soon"], "reply time: 'soon' is not an ISO 8601"),
    (["--schedule-condition", "\x1b"], "schedule condition: contains the control character"),
    (["--seq-type", "\x7f"], "sequence type: contains the control character U+007F"),
    (["--body-file", "/nonexistent/reply.txt"], "body file: can't read"),
]


def run_cli(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


def send_argv(server: DrillSandbox, *extra: str) -> list[str]:
    """A valid send, with `extra` flags overriding (argparse keeps the last of a flag)."""
    ref = server.seed.first_reply()
    base = ["--campaign-id", str(ref.campaign_id), "--email-stats-id", ref.stats_id]
    body = [] if "--body" in extra or "--body-file" in extra else ["--body", "Hello"]
    return ["send", "--base-url", server.base_url, *base, *body, *extra]


@pytest.mark.drill("CLI: malformed value in every send flag")
def test_malformed_values_in_every_cli_flag(
    server: DrillSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SMARTLEAD_API_KEY", DRILL_KEY)
    not_utf8 = tmp_path / "latin1.txt"
    not_utf8.write_bytes("Grüße".encode("latin-1"))
    cases = [*CLI_CASES, (["--body-file", str(not_utf8)], "is not UTF-8 text")]
    for flags, words in cases:
        code, out, err = run_cli(send_argv(server, *flags))
        assert code == 2, (flags, code, err)
        assert words in err, (flags, err)
        assert "Traceback" not in err and DRILL_KEY not in out + err
        terminal_safe(out + err)
    # Every problem at once, one line each, so a script author fixes them in one go.
    code, _, err = run_cli(send_argv(server, "--to", "bob@", "--cc", "x", "--thread-id", "0"))
    assert code == 2 and len(err.strip().splitlines()) == 3, err
    code, _, err = run_cli(["status", "--base-url", server.base_url, "nope", "<a b@c>"])
    assert code == 2 and err.count("is not a Message-ID") == 2, err
    code, _, err = run_cli(send_argv(server, "--base-url", "ftp://example.com/api"))
    assert code == 2 and "https" in err, err
    assert server.requests == []  # nothing malformed ever left the machine


# -- a 1 MB body -----------------------------------------------------------------------------------


def megabyte_body(eol: str = "\n") -> str:
    line = f"Thanks for the call — here are the numbers we discussed, line by line. [ok]{eol}"
    return (line * (1_000_000 // len(line) + 1))[:1_000_000]


@pytest.mark.drill("1 MB body: sent once (TUI)")
async def test_a_one_megabyte_body_is_sent_once(server: DrillSandbox, tmp_path: Path) -> None:
    body = megabyte_body("\r\n")  # Windows line ends are text, not control characters
    # The sandbox parses the 1 MB POST in a thread sharing the GIL: on a loaded machine that
    # can outlast the drills' short read timeout (an "unknown" outcome, not what this checks).
    app = make_app(server, tmp_path, read_timeout_seconds=15.0)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.open_compose({**prefill_for(server), "body": body})
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ComposeScreen) and bool(app.screen.query("#body")),
            timeout=20,
        )
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), timeout=20)
        review = static_text(app.screen, "#review-body")
        assert "980,000 more characters not shown here (1,000,000 in all" in review
        assert "the whole body is sent" in review
        await pilot.press("enter", "enter")
        await wait_for(pilot, lambda: screen.phase == "done", timeout=30)
        await wait_for(pilot, lambda: not get_send_driver(app).busy)
        assert static_text(screen, "#banner").startswith("✓ Queued")
        (entry,) = app.store.list_entries()
        assert entry.state == "queued" and entry.fields["body"] == body
        await pilot.press("escape")
        assert not isinstance(app.screen, ComposeScreen)  # still responsive
        assert_key_hidden(app)
    (post,) = server.posts(SEND_PATH)
    assert post.json["emailBody"] == text_to_html(body)  # minimal HTML (issue 11 item 7)


@pytest.mark.drill("1 MB body: sent once (CLI --body-file)")
def test_a_one_megabyte_body_file_is_sent_once(
    server: DrillSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SMARTLEAD_API_KEY", DRILL_KEY)
    path = tmp_path / "reply.txt"
    path.write_text(megabyte_body(), encoding="utf-8")
    code, out, err = run_cli(send_argv(server, "--body-file", str(path), "--json"))
    assert code == 0, err
    assert json.loads(out)["outcome"] == "queued"
    (post,) = server.posts(SEND_PATH)
    assert post.json["emailBody"] == text_to_html(megabyte_body())


# -- a corrupt store file --------------------------------------------------------------------------


@pytest.mark.drill("corrupt store file: moved aside, said so (TUI)")
async def test_a_corrupt_store_is_moved_aside_and_said(
    server: DrillSandbox, tmp_path: Path
) -> None:
    store_path = tmp_path / "outbox.sqlite3"
    garbage = os.urandom(4096)
    store_path.write_bytes(garbage)
    app = make_app(server, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: "could not be read" in notes(app))
        message = notes(app)
        (aside,) = tmp_path.glob(f"{STORE_FILENAME}.corrupt-*")
        assert str(aside) in message and "not deleted" in message
        assert aside.read_bytes() == garbage  # kept byte for byte
        # Usable: a reply goes through the fresh store.
        app.open_compose({**prefill_for(server), "body": "After the crash"})
        await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen))
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        await pilot.press("ctrl+s", "enter")
        await wait_for(pilot, lambda: screen.phase == "done")
        await wait_for(pilot, lambda: not get_send_driver(app).busy)
        assert_key_hidden(app)
    with Store(store_path) as store:
        assert [e.state for e in store.list_entries()] == ["queued"]
    assert len(server.posts(SEND_PATH)) == 1


@pytest.mark.drill("corrupt store file: moved aside, said so (CLI)")
def test_cli_send_with_a_corrupt_store(
    server: DrillSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SMARTLEAD_API_KEY", DRILL_KEY)
    data = tmp_path / "xdg-data" / "smartlead-tui"
    data.mkdir(parents=True)
    (data / STORE_FILENAME).write_bytes(b"\x00garbage" * 100)
    code, _, err = run_cli(send_argv(server))
    assert code == 0, err
    assert len(list(data.glob(f"{STORE_FILENAME}.corrupt-*"))) == 1
    assert len(server.posts(SEND_PATH)) == 1
    assert "moved aside" in err


# -- a config directory that cannot be written -----------------------------------------------------

ORIGINAL_CONFIG = b"# my settings, with a comment\nundo_seconds = 5\n"


def unwritable_config(tmp_path: Path) -> tuple[Path, Callable[[], None]]:
    """A config file whose directory refuses writes; returns it and a function that undoes it.

    chmod 0500 does it for a normal user. Root ignores permissions (CI runs as root), so then
    the first thing a save writes, the `.bak` copy, is blocked by a directory of that name:
    the same OSError path through the real writer, with the same promise to keep.
    """
    directory = tmp_path / "ro-config"
    directory.mkdir()
    config = directory / "config.toml"
    config.write_bytes(ORIGINAL_CONFIG)
    config.chmod(0o600)
    directory.chmod(0o500)
    probe = directory / ".probe"
    try:
        probe.touch()
    except OSError:
        return config, lambda: directory.chmod(0o700)
    probe.unlink()
    directory.chmod(0o700)
    blocker = directory / "config.toml.bak"
    blocker.mkdir()

    def undo() -> None:
        if blocker.is_dir():
            blocker.rmdir()

    return config, undo


@pytest.mark.drill("read-only config dir: `config set` refused, file kept")
def test_config_set_in_an_unwritable_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, undo = unwritable_config(tmp_path)
    monkeypatch.setenv("SMARTLEAD_CONFIG", str(config))
    try:
        code, out, err = run_cli(["config", "set", "api_key", DRILL_KEY])
        assert code == 1, (code, err)
        assert err.startswith(f"smartlead-tui: cannot write {config}: "), err  # not the temp
        assert str(config.parent) in err and ".tmp" not in err, err
        assert "Traceback" not in err and DRILL_KEY not in out + err
        assert config.read_bytes() == ORIGINAL_CONFIG  # nothing lost, nothing half-written
        assert sorted(p.name for p in config.parent.iterdir() if p.is_file()) == ["config.toml"]
    finally:
        undo()
    code, out, err = run_cli(["config", "set", "undo_seconds", "3"])
    assert code == 0, err
    assert tomllib.loads(config.read_text())["undo_seconds"] == 3


@pytest.mark.drill("read-only config dir: settings screen save refused, typing kept")
async def test_settings_save_in_an_unwritable_dir(server: DrillSandbox, tmp_path: Path) -> None:
    from smartlead_tui.tui.screens.settings import SettingsScreen

    config, undo = unwritable_config(tmp_path)
    app = make_app(server, tmp_path, config_path=config, undo_seconds=5)
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.press("f2")
            await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
            screen = app.screen
            field = screen.query_one("#set-undo_seconds", Input)
            field.value = "3"
            await pilot.pause()
            await pilot.press("ctrl+s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            status = static_text(screen, "#settings-status")
            assert status.startswith(f"Not saved: cannot write {config}: "), status
            assert config.read_bytes() == ORIGINAL_CONFIG
            assert field.value == "3"  # what was typed is still there
            assert app.account_settings.undo_seconds == 5  # and not applied
            assert "Traceback" not in app.export_screenshot()
            assert_key_hidden(app)
            undo()  # the person fixes the directory; the same ctrl+s now saves
            await pilot.press("ctrl+s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert static_text(screen, "#settings-status").startswith("Saved undo_seconds")
            assert app.account_settings.undo_seconds == 3
    finally:
        undo()
    saved = tomllib.loads(config.read_text())
    assert saved["undo_seconds"] == 3
