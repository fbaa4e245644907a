"""Lead categories: the account's own names, never a hand-made id map (issue 11 item 1)."""

from __future__ import annotations

import asyncio
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

import smartlead_tui.inbox as inbox_module
from smartlead_tui.api.client import SmartLeadClient
from smartlead_tui.api.errors import BadResponseError
from smartlead_tui.api.models import ReplyDraft
from smartlead_tui.categories import (
    Category,
    CategoryNames,
    cache_path,
    is_do_not_contact,
    load_cache,
    parse_categories,
    save_cache,
)
from smartlead_tui.outbox.sender import review_warnings
from smartlead_tui.sandbox import CATEGORIES as SANDBOX_CATEGORIES
from smartlead_tui.sandbox import SandboxServer

ROWS = [
    {"id": 4, "name": "Do Not Contact", "sentiment_type": "negative", "created_at": "x"},
    {"id": 6, "name": "Out Of Office", "sentiment_type": "neutral", "created_at": "x"},
    {"id": 4497, "name": "Follow  up Q1", "sentiment_type": "neutral", "created_at": "x"},
]


def test_no_hand_made_id_map_is_left_in_the_inbox_logic() -> None:
    assert not hasattr(inbox_module, "CATEGORIES")


@pytest.mark.parametrize(
    "payload",
    [ROWS, {"data": ROWS}, {"ok": True, "data": ROWS}, {"ok": True, "data": {"data": ROWS}}],
)
def test_every_envelope_gives_the_same_names(payload: object) -> None:
    names = CategoryNames(parse_categories(payload))
    assert [names.label(i) for i in (4, 6, 4497)] == [
        "Do Not Contact", "Out Of Office", "Follow up Q1"
    ]


def test_bad_rows_are_skipped_and_no_list_is_an_error() -> None:
    rows = [{"id": "7", "name": "Wrong Person"}, {"id": True, "name": "x"}, {"name": "y"},
            {"id": 8, "name": ""}, "junk"]
    assert parse_categories(rows) == [Category(7, "Wrong Person", "")]
    for bad in ({"ok": False, "error": "nope"}, "text", None):
        with pytest.raises(ValueError):
            parse_categories(bad)


def test_unknown_ids_show_as_their_number_never_a_guess() -> None:
    names = CategoryNames(parse_categories(ROWS))
    assert names.label(1) == "#1"  # the account did not send 1: no "Interested" guessed
    assert names.label(None) == "—"
    assert CategoryNames().label(4497) == "#4497" and not CategoryNames().loaded


def test_do_not_contact_by_sentiment_or_by_name() -> None:
    assert is_do_not_contact(Category(4, "Do Not Contact", "negative"))
    assert is_do_not_contact(Category(3, "Not Interested", "negative"))
    assert is_do_not_contact(Category(9001, "Unsubscribed", ""))
    assert is_do_not_contact(Category(9002, "do-not-email", "neutral"))
    assert not is_do_not_contact(Category(6, "Out Of Office", "neutral"))
    assert not is_do_not_contact(Category(1, "Interested", "positive"))


def test_cache_round_trip_per_profile_private_and_without_the_key(tmp_path: Path) -> None:
    path = cache_path(tmp_path, profile="acme/../x", demo=False)
    assert path.parent == tmp_path / "categories"
    assert cache_path(tmp_path, profile=None, demo=False).name == "default.json"
    assert cache_path(tmp_path, profile="acme", demo=True).name == "demo.json"
    assert not load_cache(path).loaded  # nothing cached yet
    save_cache(path, parse_categories(ROWS))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "api_key" not in path.read_text() and "sandbox-key" not in path.read_text()
    again = load_cache(path)
    assert again.loaded and again.label(4497) == "Follow up Q1"
    assert again.get(4) == Category(4, "Do Not Contact", "negative")
    path.write_text("{not json")
    assert not load_cache(path).loaded  # a broken cache is a missing one, not a crash


def test_sandbox_serves_defaults_and_a_custom_category_its_leads_use() -> None:
    ids = {c["id"] for c in SANDBOX_CATEGORIES}
    assert set(range(1, 8)) <= ids and any(i > 1000 for i in ids)
    server = SandboxServer()  # seed only
    used = {lead.category_id for lead in server.seed.leads.values()}
    assert set(range(1, 8)) <= used and any(i is not None and i > 1000 for i in used)


def test_client_reads_the_accounts_categories(sandbox: SandboxServer) -> None:
    async def run() -> list[Category]:
        async with SmartLeadClient(sandbox.api_key, base_url=sandbox.base_url) as client:
            return await client.lead_categories()

    got = asyncio.run(run())
    assert [(c.id, c.name, c.sentiment) for c in got] == [
        (c["id"], c["name"], c["sentiment_type"]) for c in SANDBOX_CATEGORIES
    ]
    request = sandbox.requests[-1]
    assert request.method == "GET" and request.path == "/api/v1/leads/fetch-categories"


def test_client_names_a_bad_answer(sandbox: SandboxServer) -> None:
    sandbox.add_fault("success-false", path="/leads/fetch-categories")

    async def run() -> None:
        async with SmartLeadClient(sandbox.api_key, base_url=sandbox.base_url) as client:
            await client.lead_categories()

    with pytest.raises(BadResponseError, match="lead categories"):
        asyncio.run(run())


def _draft() -> ReplyDraft:
    return ReplyDraft(campaign_id=7, email_stats_id="s-1", body="Hi", to_email="a@b.test",
                      reply_message_id="<m@x.test>", add_signature=True)


def test_review_warns_first_about_a_do_not_contact_lead() -> None:
    names = CategoryNames(parse_categories(ROWS))
    fields = {"subject": "Re: hi", "lead_category_id": 4}
    warnings = review_warnings(_draft(), fields, tz=UTC, now=datetime.now(UTC), categories=names)
    assert warnings and "Do Not Contact" in warnings[0] and "not to be contacted" in warnings[0]
    for quiet in ({"subject": "Re: hi", "lead_category_id": 6}, {"subject": "Re: hi"},
                  {"subject": "Re: hi", "lead_category_id": 12345}):
        assert review_warnings(_draft(), quiet, tz=UTC, categories=names) == []
