"""`smartlead-tui track` and `watch_status` (what `status --watch` runs), against the sandbox."""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from smartlead_tui.api.client import SmartLeadClient
from smartlead_tui.api.models import ReplyDraft
from smartlead_tui.config import Settings
from smartlead_tui.outbox.store import Store
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tracking_cli import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_track_parser,
    run_track_command,
    watch_status,
)


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as sandbox:
        yield sandbox


def settings_for(server: SandboxServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "api_key": server.api_key,
        "base_url": server.base_url,
        "poll_interval_seconds": 0.05,
        "poll_backoff_cap_seconds": 0.2,
        "not_found_grace_seconds": 0.5,
    }
    values.update(overrides)
    return dataclasses.replace(Settings(), **values)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="smartlead-tui")
    sub = parser.add_subparsers(dest="command")
    add_track_parser(sub)
    return parser.parse_args(["track", *argv])


def run(settings: Settings, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_track_command(parse(*argv), settings, out=out, err=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


def store_ids(path: Path) -> list[str | None]:
    with Store(path) as store:
        return [e.message_id for e in reversed(store.list_entries())]


def test_the_parser_accepts_global_options_after_track() -> None:
    args = parse("<a@b.example>", "--watch", "--json", "--timeout", "5", "--profile", "acme")
    assert args.message_ids == ["<a@b.example>"] and args.watch and args.json
    assert args.timeout == 5.0 and args.profile == "acme"
    assert not hasattr(parse("<a@b.example>"), "profile")  # absent: keep the global value


def test_track_adds_ids_with_or_without_brackets(server: SandboxServer, tmp_path: Path) -> None:
    db = tmp_path / "outbox.sqlite3"
    code, out, err = run(
        settings_for(server), "a1@mail.example", "<b2@mail.example>", "--store", str(db)
    )
    assert (code, err) == (EXIT_OK, "")
    assert "<a1@mail.example>  added" in out and "--watch" in out
    assert store_ids(db) == ["<a1@mail.example>", "<b2@mail.example>"]

    code, out, _ = run(settings_for(server), "<a1@mail.example>", "--store", str(db), "--json")
    assert code == EXIT_OK
    record = json.loads(out.splitlines()[0])
    assert record == {
        "message_id": "<a1@mail.example>",
        "entry_id": 1,
        "outcome": "already tracked",
    }
    assert len(store_ids(db)) == 2


def test_malformed_ids_are_all_reported_and_nothing_is_added(
    server: SandboxServer, tmp_path: Path
) -> None:
    db = tmp_path / "outbox.sqlite3"
    code, out, err = run(
        settings_for(server), "<ok@mail.example>", "no-at-sign", "<two@@x>", "--store", str(db)
    )
    assert code == EXIT_USAGE and out == ""
    assert "'no-at-sign' is not a Message-ID" in err and "'<two@@x>'" in err
    assert "nothing was added" in err
    assert not db.exists() or store_ids(db) == []


def test_track_json_reports_malformed_ids_as_one_json_object(
    server: SandboxServer, tmp_path: Path
) -> None:
    db = tmp_path / "outbox.sqlite3"
    code, out, err = run(settings_for(server), "no-at-sign", "--json", "--store", str(db))
    assert code == EXIT_USAGE and "'no-at-sign' is not a Message-ID" in err
    record = json.loads(out)
    assert record["outcome"] == "invalid" and "'no-at-sign' is not a Message-ID" in record["error"]
    code, out, _ = run(settings_for(server), "--json")
    assert code == EXIT_USAGE and "at least one MESSAGE_ID" in json.loads(out)["error"]


def test_track_reads_a_file_of_ids(server: SandboxServer, tmp_path: Path) -> None:
    listing = tmp_path / "ids.txt"
    listing.write_text(
        "# replies from Tuesday\n"
        "Message-ID: <h1@mail.example>\n"
        "h2@mail.example, <h3@mail.example>   # two on one line\n"
        "\n",
        encoding="utf-8",
    )
    db = tmp_path / "outbox.sqlite3"
    code, _, err = run(settings_for(server), "--file", str(listing), "--store", str(db))
    assert code == EXIT_OK, err
    assert store_ids(db) == ["<h1@mail.example>", "<h2@mail.example>", "<h3@mail.example>"]

    listing.write_text("<fine@x.example>\nnot an id\n", encoding="utf-8")
    code, _, err = run(settings_for(server), "--file", str(listing), "--store", str(db))
    assert code == EXIT_USAGE
    assert f"{listing} line 2: message id: 'not' is not a Message-ID" in err

    code, _, err = run(
        settings_for(server), "--file", "-", "--store", str(db), stdin="<stdin@x.example>\n"
    )
    assert code == EXIT_OK and "<stdin@x.example>" in store_ids(db)

    code, _, err = run(settings_for(server), "--file", str(tmp_path / "missing.txt"))
    assert code == EXIT_USAGE and "can't read" in err


def test_track_needs_at_least_one_id(server: SandboxServer) -> None:
    code, _, err = run(settings_for(server))
    assert code == EXIT_USAGE and "at least one MESSAGE_ID" in err


def test_track_watch_follows_to_completed(server: SandboxServer, tmp_path: Path) -> None:
    sent = server.seed.first_sent().message_id
    db = tmp_path / "outbox.sqlite3"
    code, out, err = run(settings_for(server), sent, "--watch", "--json", "--store", str(db))
    assert code == EXIT_OK, err
    records = [json.loads(line) for line in out.splitlines()]
    assert records[-1]["status"] == "COMPLETED" and records[-1]["final"] is True
    with Store(db) as store:
        entry = store.find_by_message_id(sent)
        assert entry is not None and entry.last_status == "COMPLETED"
    # Already final: said once, no request made.
    before = len(server.requests)
    code, out, _ = run(settings_for(server), sent, "--watch", "--store", str(db))
    assert code == EXIT_OK and "COMPLETED" in out and len(server.requests) == before


def test_track_watch_gives_up_on_an_id_that_never_appears(
    server: SandboxServer, tmp_path: Path
) -> None:
    db = tmp_path / "outbox.sqlite3"
    code, out, _ = run(settings_for(server), "<ghost@x.example>", "--watch", "--store", str(db))
    assert code == EXIT_FAILED
    lines = out.splitlines()
    assert lines[0] == "<ghost@x.example>  NOT_FOUND  not visible yet (404)"
    assert lines[-1].startswith("<ghost@x.example>  NOT_FOUND  not found: no reply")


def test_track_watch_with_a_rejected_key_says_why(server: SandboxServer, tmp_path: Path) -> None:
    db = tmp_path / "outbox.sqlite3"
    settings = settings_for(server, api_key="wrong-key")
    code, _, err = run(settings, "<k@x.example>", "--watch", "--store", str(db))
    assert code == EXIT_FAILED
    assert "Status checks stopped" in err and "401" in err and "wrong-key" not in err


async def test_watch_status_follows_a_fresh_send(server: SandboxServer) -> None:
    server.send_response = "json-with-id"
    ref = server.seed.first_reply()
    settings = settings_for(server)
    out, err = io.StringIO(), io.StringIO()
    async with SmartLeadClient(server.api_key, base_url=server.base_url) as client:
        result = await client.send_reply(
            ReplyDraft(campaign_id=ref.campaign_id, email_stats_id=ref.stats_id, body="Hi!")
        )
        assert result.message_id
        code = await watch_status(client, [result.message_id], settings, out, err, False)
    assert code == EXIT_OK, err.getvalue()
    statuses = [line.split("  ")[1] for line in out.getvalue().splitlines()]
    assert statuses == ["NOT_FOUND", "QUEUED", "COMPLETED"]


async def test_watch_status_on_a_scheduled_reply_is_not_a_failure(server: SandboxServer) -> None:
    """A reply waiting for its time used to be watched until the timeout, then exit 1."""
    server.send_response = "json-with-id"
    ref = server.seed.first_reply()
    settings = settings_for(server)
    later = datetime.now(UTC) + timedelta(hours=2)
    async with SmartLeadClient(server.api_key, base_url=server.base_url) as client:
        result = await client.send_reply(
            ReplyDraft(
                campaign_id=ref.campaign_id,
                email_stats_id=ref.stats_id,
                body="Hi!",
                scheduled_time=later,
            )
        )
        assert result.message_id
        for as_json in (False, True):
            out, err = io.StringIO(), io.StringIO()
            code = await watch_status(
                client, [result.message_id], settings, out, err, as_json, timeout=5
            )
            assert code == EXIT_OK, err.getvalue()
            last = out.getvalue().splitlines()[-1]
            if as_json:
                record = json.loads(last)
                assert record["status"] == "SCHEDULED" and record["scheduled_time"]
            else:
                assert "  SCHEDULED  " in last
                assert "is scheduled for" in err.getvalue()


async def test_watch_status_times_out(server: SandboxServer) -> None:
    settings = settings_for(server, not_found_grace_seconds=60.0)
    out, err = io.StringIO(), io.StringIO()
    async with SmartLeadClient(server.api_key, base_url=server.base_url) as client:
        code = await watch_status(
            client, ["<late@x.example>"], settings, out, err, True, timeout=0.3
        )
    assert code == EXIT_FAILED
    assert "gave up after 0.3 s; 1 not final yet" in err.getvalue()
    record = json.loads(out.getvalue().splitlines()[0])
    assert record["status"] == "NOT_FOUND" and record["final"] is False
