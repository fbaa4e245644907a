"""The typed body goes out as minimal HTML, or plain with a setting (issue 11 item 7)."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smartlead_tui.api.client import SmartLeadClient
from smartlead_tui.api.models import Message
from smartlead_tui.body_format import outgoing_body, sent_body, text_to_html
from smartlead_tui.cli import main
from smartlead_tui.config import Settings, load_settings
from smartlead_tui.inbox import pending_outbox_entries
from smartlead_tui.outbox.sender import Sender, check_fields, normalize_fields
from smartlead_tui.outbox.store import Store
from smartlead_tui.outbox.tracker import DiscoveryTarget, match_sent_messages, normalize_body
from smartlead_tui.sandbox import SandboxServer

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TYPED = "Hi Anna,\n\nThanks <b>&amp; welcome</b>.\nSee https://x.test/a?b=1&c=2.\n\n\nBest,\nAlex"


def test_minimal_html_escapes_keeps_paragraphs_and_lines_and_links() -> None:
    assert text_to_html(TYPED) == (
        "<p>Hi Anna,</p>"
        "<p>Thanks &lt;b&gt;&amp;amp; welcome&lt;/b&gt;.<br>"
        'See <a href="https://x.test/a?b=1&amp;c=2">https://x.test/a?b=1&amp;c=2</a>.</p>'
        "<p>Best,<br>Alex</p>"
    )
    assert text_to_html("a\r\nb") == "<p>a<br>b</p>"
    assert text_to_html("(see https://en.wikipedia.org/wiki/A_(b))") == (
        '<p>(see <a href="https://en.wikipedia.org/wiki/A_(b)">'
        "https://en.wikipedia.org/wiki/A_(b)</a>)</p>"
    )
    assert text_to_html('x "https://q.test/?a=<1>"') == (
        '<p>x "<a href="https://q.test/?a=">https://q.test/?a=</a>&lt;1&gt;"</p>'
    )
    assert outgoing_body(TYPED, "plain") == TYPED
    with pytest.raises(ValueError):
        outgoing_body(TYPED, "rtf")


def _fields(body: str) -> dict[str, object]:
    return normalize_fields({"campaign_id": 7, "email_stats_id": "s-1", "body": body})


def test_the_setting_chooses_what_goes_out_and_config_declares_it(tmp_path: Path) -> None:
    html = check_fields(_fields(TYPED), settings=Settings(), tz=UTC, now=NOW).draft
    assert html is not None and html.body == text_to_html(TYPED) and html.typed_body == TYPED
    plain = check_fields(
        _fields(TYPED), settings=Settings(body_format="plain"), tz=UTC, now=NOW
    ).draft
    assert plain is not None and plain.body == TYPED and plain.typed_body is None
    assert html.to_payload()[1]["emailBody"] == text_to_html(TYPED)
    config = tmp_path / "c.toml"
    config.write_text('body_format = "plain"\n', encoding="utf-8")
    settings, _ = load_settings(config, env={})
    assert settings.body_format == "plain"
    config.write_text('body_format = "rtf"\n', encoding="utf-8")
    with pytest.raises(Exception, match="body_format: expected 'html' or 'plain'"):
        load_settings(config, env={})
    example = (Path(__file__).parents[2] / "config.example.toml").read_text(encoding="utf-8")
    assert '# body_format = "html"' in example


def test_duplicate_guard_sees_the_same_text_whatever_format_it_went_in(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    ref = sandbox.seed.first_reply()
    fields = normalize_fields({
        "campaign_id": ref.campaign_id, "email_stats_id": ref.stats_id, "body": TYPED,
        "to_email": ref.from_email,
    })

    async def run() -> tuple[object, object, object]:
        with Store(tmp_path / "o.sqlite3") as store:
            async with SmartLeadClient(sandbox.api_key, base_url=sandbox.base_url) as api:
                html = Sender(store, api, settings=Settings(), tz=UTC)
                plain = Sender(store, api, settings=Settings(body_format="plain"), tz=UTC)
                first = html.hold(fields, undo_seconds=60)
                check = plain.check(fields)
                assert check.draft is not None
                again_plain = plain.find_duplicate(check.draft)
                again_html = html.find_duplicate(html.check(fields).draft)  # type: ignore[arg-type]
                return first, again_plain, again_html

    first, again_plain, again_html = asyncio.run(run())
    assert getattr(again_plain, "id", None) == getattr(first, "id", "x")
    assert getattr(again_html, "id", None) == getattr(first, "id", "x")


def test_discovery_and_the_thread_find_the_html_we_sent(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """Typed '<b>' and '&amp;' survive: matching uses the HTML that went out, not the text."""
    ref = sandbox.seed.first_reply()
    fields = normalize_fields({
        "campaign_id": ref.campaign_id, "email_stats_id": ref.stats_id, "body": TYPED,
        "to_email": ref.from_email, "lead_id": ref.lead_id,
    })

    async def run() -> tuple[object, list[Message]]:
        with Store(tmp_path / "o.sqlite3") as store:
            async with SmartLeadClient(sandbox.api_key, base_url=sandbox.base_url) as api:
                sender = Sender(store, api, settings=Settings(), tz=UTC)
                entry = await sender.send_immediately(fields)
                history = await api.message_history(ref.campaign_id, ref.lead_id)
                return entry, history

    entry, history = asyncio.run(run())
    body = sent_body(entry.fields, entry.request_body)  # type: ignore[attr-defined]
    assert body == text_to_html(TYPED)
    ours = [m for m in history if not m.is_reply][-1]
    target = DiscoveryTarget(1, normalize_body(body)[:80], NOW.timestamp() - 10**8)
    assert match_sent_messages(history, [target]) == {1: ours.message_id}
    # The typed text alone would not match ('<b>' is read as a tag, '&amp;' as '&').
    typed = DiscoveryTarget(1, normalize_body(TYPED)[:80], NOW.timestamp() - 10**8)
    assert match_sent_messages(history, [typed]) == {}
    conversation = type("C", (), {"campaign_id": ref.campaign_id})()
    assert pending_outbox_entries([entry], conversation, history) == []  # type: ignore[arg-type]


def test_cli_send_uses_the_same_conversion(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SMARTLEAD_BASE_URL", "SMARTLEAD_PROFILE", "SMARTLEAD_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    for name in ("CONFIG", "DATA", "STATE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    monkeypatch.setenv("SMARTLEAD_API_KEY", sandbox.api_key)
    ref = sandbox.seed.first_reply()
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["send", "--base-url", sandbox.base_url, "--campaign-id", str(ref.campaign_id),
         "--email-stats-id", ref.stats_id, "--body-file", "-"],
        out=out, err=err, stdin=io.StringIO(TYPED + "\n"),
    )
    assert code == 0, err.getvalue()
    assert sandbox.posts()[0].json["emailBody"] == text_to_html(TYPED)
