"""The review shows the lead's category, warns about a do-not-contact lead, and shows the
HTML that goes out (issue 11 items 1 and 7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from smartlead_tui.body_format import text_to_html
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.screens.review import ReviewScreen
from tests.tui.test_compose import make_app, open_compose, server, static_text, type_text, wait_for

__all__ = ["server"]


def _prefill(server: SandboxServer, email: str) -> dict[str, Any]:
    lead = server.seed.find_lead(email)
    reply = lead.replies()[-1]
    return {
        "campaign_id": lead.campaign_id,
        "email_stats_id": reply.stats_id,
        "lead_id": lead.lead_id,
        "lead_label": f"{lead.full_name} <{lead.email}>",
        "lead_category_id": lead.category_id,
        "subject": reply.subject,
        "to_email": reply.from_email,
        "reply_message_id": reply.message_id,
        "reply_email_body": reply.email_body,
        "reply_email_time": reply.time.isoformat(),
    }


async def test_review_names_the_category_and_warns_before_writing_to_do_not_contact(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path / "outbox.sqlite3", undo_seconds=10)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.categories.names.loaded)
        screen = await open_compose(pilot, _prefill(server, "liam.obrien@dublinpay.ie"))
        screen.query_one("#body").focus()
        await type_text(pilot, "Hi Liam,\n\nsorry: see https://x.test/a.")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        review = app.screen
        assert "Category    ⚠ Do Not Contact" in static_text(review, "#review-summary")
        warnings = static_text(review, "#review-warnings").splitlines()
        assert "Do Not Contact" in warnings[0] and "not to be contacted" in warnings[0]
        # What goes out: the lead's view first, the HTML itself on h.
        body = static_text(review, "#review-body")
        assert "sorry: see https://x.test/a." in body and "<p>" not in body
        assert "sent as HTML" in static_text(review, "#review-body-label")
        await pilot.press("h")
        html = text_to_html("Hi Liam,\n\nsorry: see https://x.test/a.")
        assert static_text(review, "#review-body").strip() == html
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ReviewScreen))
    assert server.posts("send-email-thread") == []


async def test_review_of_an_ordinary_lead_has_no_such_warning(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path / "outbox.sqlite3", undo_seconds=10)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.categories.names.loaded)
        screen = await open_compose(pilot, _prefill(server, "m.alfarsi@gulfclinics.ae"))
        screen.query_one("#body").focus()
        await type_text(pilot, "Q1 it is.")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        review = app.screen
        assert "Category    Follow up Q1" in static_text(review, "#review-summary")
        assert "Lead category" not in "".join(str(w) for w in review.warnings)
