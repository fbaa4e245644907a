"""Typed API errors, each with one line a person understands.

Messages never contain the API key: they are built from redacted text only, and they are raised
outside the `except` block that caught httpx's error, so no traceback chains back to its URL.
"""

from __future__ import annotations

CONFIG_HINT = "Check it with `smartlead-tui config`."


class ApiError(Exception):
    """Base class: `str(err)` is the one-line message; `status` the HTTP status, if any."""

    status: int | None = None
    #: Whether a failed POST may have been carried out anyway (timeouts, dropped connections).
    maybe_sent: bool = False
    #: What to change before sending a refused reply again: "reply" (SmartLead refused its
    #: content or thread), "key" (the API key), or "nothing" (SmartLead or the network failed;
    #: the same reply can simply be sent again). Screens word their advice from it.
    fix: str = "reply"

    def __init__(self, message: str, *, status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.detail = detail

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class AuthError(ApiError):
    """401: the key is wrong, missing or revoked. Nothing else will work until it is fixed."""

    status = 401
    fix = "key"


class NotFoundError(ApiError):
    """404: the thing (or, for reply-status, the reply *yet*) does not exist."""

    status = 404


class RequestRejectedError(ApiError):
    """400/422: SmartLead understood the request and refused it; its reason is in the message."""

    status = 422


class RateLimitedError(ApiError):
    """429: over the request budget. `retry_after` is in seconds when the server said."""

    status = 429
    fix = "nothing"

    def __init__(self, message: str, *, retry_after: float | None = None, detail: str = "") -> None:
        super().__init__(message, status=429, detail=detail)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: SmartLead failed. Safe to retry a read; a send is reported, never retried."""

    status = 500
    fix = "nothing"


class NetworkError(ApiError):
    """The server could not be reached (DNS, refused, TLS): nothing was sent."""

    fix = "nothing"


class ApiTimeoutError(NetworkError):
    """No answer in time. For a read, nothing changed; for a send, see `SendOutcomeUnknownError`."""


class BadResponseError(ApiError):
    """The answer was not the JSON we needed (an HTML error page, a proxy page, a changed shape)."""

    fix = "nothing"


class SendOutcomeUnknownError(ApiError):
    """A send whose request may have reached SmartLead but whose answer never came back.

    The reply may or may not be queued: the person must check the thread before sending again.
    """

    maybe_sent = True
