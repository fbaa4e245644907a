"""Sentences joined once, and send failures worded by whose fault they were."""

from __future__ import annotations

import pytest

from smartlead_tui.api.errors import (
    CONFIG_HINT,
    ApiError,
    AuthError,
    NetworkError,
    RateLimitedError,
    RequestRejectedError,
    ServerError,
)
from smartlead_tui.tui.wording import in_app_words, not_sent_banner, not_sent_toast
from smartlead_tui.wording import join_sentences


@pytest.mark.parametrize(
    ("parts", "joined"),
    [
        (
            ("Nothing was sent.", "It is back in the drafts."),
            "Nothing was sent. It is back in the drafts.",
        ),
        (
            ("Nothing was sent", "It is back in the drafts"),
            "Nothing was sent. It is back in the drafts.",
        ),
        (("Nothing was sent..", None, " "), "Nothing was sent."),
        (("Sending…", "Wait"), "Sending… Wait."),
        (("Really?", "Yes!"), "Really? Yes!"),
    ],
)
def test_join_sentences_never_doubles_a_period(parts: tuple[str, ...], joined: str) -> None:
    assert join_sentences(*parts) == joined


SERVER = ServerError("SmartLead had a server error (500) while trying to send. Nothing was sent.")
LIMIT = RateLimitedError(
    "SmartLead is rate limiting requests (429); retry in 7 s. Nothing was sent."
)
DOWN = NetworkError("Could not reach SmartLead at x: refused.")
KEY = AuthError(f"SmartLead rejected the API key (401). {CONFIG_HINT}")
REFUSED = RequestRejectedError("SmartLead refused to send the reply (422): bad. Nothing was sent.")


@pytest.mark.parametrize("error", [SERVER, LIMIT, DOWN])
def test_a_server_side_failure_does_not_ask_to_fix_the_reply(error: ApiError) -> None:
    banner = not_sent_banner(str(error), error)
    assert "Fix it" not in banner
    assert banner.endswith("Nothing is wrong with the reply: press ctrl+s to send it again.")
    assert "It can be sent again as it is." in not_sent_toast("Ana", str(error), error)


def test_a_refused_reply_is_the_reply_to_fix() -> None:
    assert not_sent_banner(str(REFUSED), REFUSED).endswith("Fix it and press ctrl+s to try again.")


def test_a_rejected_key_points_to_f2_not_the_shell() -> None:
    banner = not_sent_banner(str(KEY), KEY)
    assert "smartlead-tui config" not in banner and "Settings (F2)" in banner
    assert (
        in_app_words(str(KEY)) == "SmartLead rejected the API key (401). Check it in Settings (F2)."
    )
    toast = not_sent_toast("Ana", str(KEY), KEY)
    assert "smartlead-tui config" not in toast and ".." not in toast


def test_an_error_from_another_send_is_not_used() -> None:
    """Only the error that produced this entry's text decides the advice."""
    banner = not_sent_banner("Something else failed.", SERVER)
    assert banner == "✗ Not sent: Something else failed. Press ctrl+s to try again."
