"""The demo keeps its sandbox world beside its outbox: a restart finds earlier replies
(issue 11 item 14)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from smartlead_tui.outbox.store import STORE_FILENAME
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
