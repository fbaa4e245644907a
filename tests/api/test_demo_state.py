"""The demo keeps its sandbox world beside its outbox: a restart finds earlier replies
(issue 11 item 14)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

import smartlead_tui.cli as cli_module
from smartlead_tui.cli import main
from smartlead_tui.outbox.store import STORE_FILENAME
from smartlead_tui.sandbox.seed import SeedData
from smartlead_tui.sandbox.state import STATE_FILENAME, demo_sandbox


def _send(base_url: str, key: str, campaign_id: int, stats_id: str) -> None:
    response = httpx.post(
        f"{base_url}/email-campaigns/send-email-thread", params={"api_key": key},
        json={"campaignId": campaign_id, "emailStatsId": stats_id, "emailBody": "<p>Hi</p>"},
    )
    assert response.status_code == 200


def _status(base_url: str, key: str, message_id: str) -> httpx.Response:
    return httpx.get(
        f"{base_url}/master-inbox/reply-status", params={"api_key": key, "message_id": message_id}
    )


def test_a_restarted_demo_still_knows_the_replies_its_outbox_holds(tmp_path: Path) -> None:
    (tmp_path / STORE_FILENAME).write_bytes(b"")  # the demo outbox exists
    first = demo_sandbox(tmp_path).start()
    try:
        ref = first.seed.first_reply()
        _send(first.base_url, first.api_key, ref.campaign_id, ref.stats_id)
        (message_id,) = first._outgoing
        for _ in range(4):
            _status(first.base_url, first.api_key, message_id)
        ids = [m.stats_id for lead in first.seed.leads.values() for m in lead.history
               if m.message_id != message_id]
    finally:
        first.stop()
    saved = json.loads((tmp_path / STATE_FILENAME).read_text())
    assert "sandbox-key" not in json.dumps(saved)

    second = demo_sandbox(tmp_path).start()  # a later start of the demo
    try:
        answer = _status(second.base_url, second.api_key, message_id)
        assert answer.status_code == 200, answer.text  # not "not found"
        assert answer.json()["data"]["status"] == "COMPLETED"
        history = httpx.get(
            f"{second.base_url}/campaigns/{ref.campaign_id}/leads/{ref.lead_id}/message-history",
            params={"api_key": second.api_key},
        ).json()["history"]
        assert message_id in {m["message_id"] for m in history}
        # The same world: every seeded id is the one the outbox was written against.
        assert [m.stats_id for lead in second.seed.leads.values() for m in lead.history
                if m.message_id != message_id] == ids
    finally:
        second.stop()


def test_a_fresh_demo_outbox_means_a_fresh_world(tmp_path: Path) -> None:
    (tmp_path / STATE_FILENAME).write_text(json.dumps({"version": 1, "base_time": "x"}))
    server = demo_sandbox(tmp_path)  # no outbox file: both start fresh
    assert not server._outgoing and not (tmp_path / STATE_FILENAME).exists()


def test_cli_demo_send_then_a_later_demo_sees_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes: `send --demo`, then the next demo start (TUI, `status --demo`, ...)."""
    for name in ("API_KEY", "BASE_URL", "PROFILE", "CONFIG"):
        monkeypatch.delenv(f"SMARTLEAD_{name}", raising=False)
    for name in ("CONFIG", "DATA", "STATE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    ref = SeedData(base_time=datetime.now(UTC)).first_reply()
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--demo", "send", "--campaign-id", str(ref.campaign_id), "--email-stats-id",
         ref.stats_id, "--body", "Kept across starts"],
        out=out, err=err, stdin=io.StringIO(""),
    )
    assert code == 0, err.getvalue()
    later = cli_module._start_demo_sandbox()
    try:
        bodies = [m.email_body for m in later.seed.lead(ref.lead_id).history]
        assert "<p>Kept across starts</p>" in bodies
        assert later._outgoing  # its reply-status answers, instead of "not found"
    finally:
        later.stop()
