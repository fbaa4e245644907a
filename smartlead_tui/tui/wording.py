"""How the TUI words errors: its own key hints instead of shell advice, and send failures.

The API client's messages are written for the shell ("Check it with `smartlead-tui config`").
Inside the app the same advice is a key away (F2), so every toast and banner passes through
`in_app_words`. A failed send says what happened, that nothing was sent, and what to do next,
which depends on whose fault it was (`ApiError.fix`), not always "Fix it".
"""

from __future__ import annotations

from smartlead_tui.api.errors import CONFIG_HINT, ApiError
from smartlead_tui.wording import join_sentences

KEY_HINT = "Check it in Settings (F2)."


def in_app_words(text: str) -> str:
    """`text` with shell-only advice replaced by the app's keys."""
    return text.replace(CONFIG_HINT, KEY_HINT)


def failure_fix(last_error: str | None, error: ApiError | None) -> str | None:
    """`error.fix` when `error` is the one that produced `last_error` (else not known)."""
    if error is None or last_error is None or str(error) != last_error:
        return None
    return error.fix


def not_sent_advice(fix: str | None, send_key: str = "ctrl+s") -> str:
    """What to do about a refused send, by whose fault it was."""
    if fix == "nothing":
        return f"Nothing is wrong with the reply: press {send_key} to send it again"
    if fix == "key":
        return f"Check the API key in Settings (F2), then press {send_key} to send it again"
    if fix == "reply":
        return f"Fix it and press {send_key} to try again"
    return f"Press {send_key} to try again"


def not_sent_banner(
    last_error: str | None, error: ApiError | None, send_key: str = "ctrl+s"
) -> str:
    """The composer's banner after a send SmartLead refused (the reply is back in the form)."""
    reason = in_app_words(last_error or "SmartLead refused the reply")
    fix = failure_fix(last_error, error)
    if fix == "key":
        reason = reason.replace(KEY_HINT, "")  # the advice below says where
    return "✗ " + join_sentences(f"Not sent: {reason}", not_sent_advice(fix, send_key))


def not_sent_toast(who: str, last_error: str | None, error: ApiError | None) -> str:
    """The notification after a send SmartLead refused."""
    fix = failure_fix(last_error, error)
    reason = in_app_words(last_error or "SmartLead refused it")
    retry = "It can be sent again as it is" if fix == "nothing" else ""
    return join_sentences(
        f"Reply to {who} was not sent: {reason}",
        "It is back in the drafts: r on its conversation (or F3) opens it",
        retry,
    )
