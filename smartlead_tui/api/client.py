"""The SmartLead API client: one shared httpx.AsyncClient, one request budget, typed errors.

Two rules shape this module. A send (POST) is never retried: it is not idempotent, and a
timeout may hide a reply that was queued. And the API key, which rides in every URL, must not
reach any exception text, log line or repr.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from smartlead_tui import __version__
from smartlead_tui.api.errors import (
    CONFIG_HINT,
    ApiError,
    ApiTimeoutError,
    AuthError,
    BadResponseError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RequestRejectedError,
    SendOutcomeUnknownError,
    ServerError,
)
from smartlead_tui.api.limiter import RequestBudget
from smartlead_tui.api.models import (
    Conversation,
    Message,
    ReplyDraft,
    ReplyStatus,
    SendEndpoint,
    SendResult,
    sort_messages,
)
from smartlead_tui.categories import Category, parse_categories
from smartlead_tui.config import DEFAULT_BASE_URL, Settings, mask_key, validate_base_url
from smartlead_tui.redact import install_log_redaction, redact, register_secret
from smartlead_tui.validation import normalize_message_id

log = logging.getLogger("smartlead_tui.api")

USER_AGENT = f"smartlead-tui/{__version__}"

#: Inbox views and the endpoint each one lists (all take the same body).
INBOX_VIEWS: dict[str, str] = {
    "inbox": "inbox-replies",
    "unread": "unread-replies",
    "important": "important",
    "snoozed": "snoozed",
    "scheduled": "scheduled",
    "archived": "archived",
    "sent": "sent",
}
MAX_PAGE = 20

_MESSAGE_ID_IN_TEXT = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")
_HTML_PRE = re.compile(r"<pre>(.*?)</pre>", re.IGNORECASE | re.DOTALL)
_HTML_TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
#: Characters a terminal acts on rather than shows: C0 controls but tab and newline, DEL, C1.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class SmartLeadClient:
    """Async client for the SmartLead endpoints smartlead-tui uses.

    Reads (GETs and the inbox's query POSTs) back off and retry on 429, 5xx and network
    errors, a bounded number of times. `send_reply` goes exactly once.
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        send_endpoint: SendEndpoint = "send-email-thread",
        budget: RequestBudget | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        read_retries: int = 3,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        send_max_wait: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not api_key:
            raise ValueError("an API key is required")
        register_secret(api_key)
        install_log_redaction()
        self.base_url = validate_base_url(base_url)
        if send_endpoint not in ("send-email-thread", "reply-email-thread"):
            raise ValueError(f"unknown send endpoint {send_endpoint!r}")
        self.send_endpoint: SendEndpoint = send_endpoint
        self.budget = budget or RequestBudget()
        self.read_timeout = read_timeout
        self.read_retries = read_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.send_max_wait = send_max_wait
        self._api_key = api_key
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            limits=httpx.Limits(max_connections=10, max_keepalive_connections=5),
            follow_redirects=False,
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> SmartLeadClient:
        """One client per settings: its budget, timeouts and send endpoint come from config."""
        return cls(
            settings.api_key or "",
            base_url=settings.base_url,
            send_endpoint=settings.send_endpoint,  # type: ignore[arg-type]
            budget=RequestBudget(settings.requests_per_minute, settings.burst_per_2s),
            connect_timeout=settings.connect_timeout_seconds,
            read_timeout=settings.read_timeout_seconds,
        )

    def __repr__(self) -> str:
        return f"SmartLeadClient(base_url={self.base_url!r}, api_key={mask_key(self._api_key)!r})"

    async def __aenter__(self) -> SmartLeadClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- public calls ------------------------------------------------------------------------

    async def send_reply(self, draft: ReplyDraft) -> SendResult:
        """POST the reply once. Any 2xx means queued; failures say whether it may have gone."""
        path, body = draft.to_payload(self.send_endpoint)
        response = await self._request(
            "POST", path, json_body=body, what="send the reply", idempotent=False
        )
        text = _inert(response.text)
        parsed = _maybe_json(response)
        message_id = _find_message_id(parsed) if parsed is not None else None
        if message_id is None:
            match = _MESSAGE_ID_IN_TEXT.search(text)
            message_id = match.group(0) if match else None
        warning = None
        if isinstance(parsed, dict) and (
            parsed.get("success") is False or parsed.get("ok") is False
        ):
            warning = (
                "SmartLead answered 2xx but said "
                f"'{_one_line(_message_from_json(parsed) or 'success: false')}'; "
                "check the thread before sending again."
            )
        server_message = _message_from_json(parsed) if parsed is not None else _one_line(text)
        return SendResult(
            status_code=response.status_code,
            server_message=redact(server_message or "queued"),
            message_id=message_id,
            warning=warning,
        )

    async def reply_status(self, message_id: str, *, background: bool = False) -> ReplyStatus:
        """Delivery status of one reply. A 404 can mean "not visible yet" right after a send."""
        wanted = normalize_message_id(message_id)
        response = await self._request(
            "GET",
            "/master-inbox/reply-status",
            params={"message_id": wanted},
            what=f"look up reply {wanted}",
            background=background,
            not_found=f"SmartLead has no reply with Message-ID {wanted} (yet) (404).",
        )
        payload = _require_json(response, "reply status")
        data = payload.get("data") if isinstance(payload, dict) else None
        if isinstance(payload, dict) and payload.get("ok") is False:
            raise BadResponseError(
                "SmartLead answered the reply-status lookup with ok=false: "
                f"{_one_line(_message_from_json(payload) or 'no reason given')}"
            )
        if data is None and isinstance(payload, dict) and "status" in payload:
            data = payload
        if not isinstance(data, dict) or not isinstance(data.get("status"), str):
            raise BadResponseError("SmartLead's reply-status answer has no status field.")
        return ReplyStatus.from_api(data, asked_for=wanted)

    async def inbox_replies(
        self,
        *,
        view: str = "inbox",
        offset: int = 0,
        limit: int = MAX_PAGE,
        filters: dict[str, Any] | None = None,
        sort_by: str = "REPLY_TIME_DESC",
        with_history: bool = True,
        background: bool = False,
    ) -> list[Conversation]:
        """One page of master-inbox conversations (the API caps a page at 20 and gives no total)."""
        if view not in INBOX_VIEWS:
            raise ValueError(f"unknown inbox view {view!r}; choose one of {', '.join(INBOX_VIEWS)}")
        body = {
            "offset": max(0, int(offset)),
            "limit": max(1, min(MAX_PAGE, int(limit))),
            "filters": filters or {},
            "sortBy": sort_by,
        }
        params = {"fetch_message_history": "true"} if with_history else None
        response = await self._request(
            "POST",
            f"/master-inbox/{INBOX_VIEWS[view]}",
            params=params,
            json_body=body,
            what="list the inbox",
            idempotent=True,  # a query, not a change: safe to retry
            background=background,
        )
        payload = _require_json(response, "inbox")
        rows = payload.get("data") if isinstance(payload, dict) else payload
        if isinstance(rows, dict) and isinstance(rows.get("data"), list):
            rows = rows["data"]
        if not isinstance(rows, list):
            raise BadResponseError("SmartLead's inbox answer has no list of conversations.")
        return [Conversation.from_api(row) for row in rows if isinstance(row, dict)]

    async def message_history(
        self,
        campaign_id: int,
        lead_id: int,
        *,
        event_time_gt: str | None = None,
        background: bool = False,
    ) -> list[Message]:
        """A thread's messages, oldest first (the API does not promise an order)."""
        params = {"event_time_gt": event_time_gt} if event_time_gt else None
        response = await self._request(
            "GET",
            f"/campaigns/{int(campaign_id)}/leads/{int(lead_id)}/message-history",
            params=params,
            what="read the thread",
            background=background,
            not_found=f"SmartLead has no lead {lead_id} in campaign {campaign_id} (404).",
        )
        payload = _require_json(response, "message history")
        history: Any = payload
        if isinstance(payload, dict):
            history = payload.get("history")
            if history is None and isinstance(payload.get("data"), dict):
                history = payload["data"].get("history")
            elif history is None and isinstance(payload.get("data"), list):
                history = payload["data"]
        if not isinstance(history, list):
            raise BadResponseError("SmartLead's message-history answer has no history list.")
        return list(sort_messages([Message.from_api(m) for m in history if isinstance(m, dict)]))

    async def lead_categories(self, *, background: bool = True) -> list[Category]:
        """The account's lead categories (ids differ per account: never map one by hand)."""
        response = await self._request(
            "GET", "/leads/fetch-categories", what="list the lead categories", background=background
        )
        try:
            return parse_categories(_require_json(response, "lead categories"))
        except ValueError as exc:
            raise BadResponseError(f"SmartLead's {exc}.") from None

    # -- plumbing ----------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        idempotent: bool = True,
        background: bool = False,
        not_found: str | None = None,
    ) -> httpx.Response:
        attempts = 1 + (self.read_retries if idempotent else 0)
        for attempt in range(attempts):
            await self.budget.acquire(
                background=background, max_wait=None if idempotent else self.send_max_wait
            )
            started = time.monotonic()
            error: ApiError | None = None
            response: httpx.Response | None = None
            try:
                response = await self._http.request(
                    method,
                    path,
                    params={**(params or {}), "api_key": self._api_key},
                    json=json_body,
                )
            except httpx.HTTPError as exc:
                error = self._transport_error(exc, what=what, idempotent=idempotent)
            # Raised below, outside the except block, so no traceback chains to httpx's URL.
            elapsed_ms = (time.monotonic() - started) * 1000
            if response is not None:
                log.debug("%s %s -> %d in %.0f ms", method, path, response.status_code, elapsed_ms)
                self._note_rate_headers(response)
                if response.status_code < 400:
                    return response
                error = self._status_error(
                    response, what=what, idempotent=idempotent, not_found=not_found
                )
            else:
                log.debug("%s %s -> %s in %.0f ms", method, path, type(error).__name__, elapsed_ms)
            assert error is not None
            delay = self._backoff(attempt)
            if isinstance(error, RateLimitedError):
                # Every caller shares the pause, whether or not this one retries: a 429 on a
                # send or on a last attempt must stop the polling behind it too.
                self.budget.pause(error.retry_after if error.retry_after is not None else delay)
                delay = 0.0  # a retry below waits in the budget, not here
            retryable = idempotent and isinstance(
                error, (RateLimitedError, ServerError, NetworkError)
            )
            if not retryable or attempt == attempts - 1:
                raise error
            log.info("retrying %s %s after %s (attempt %d)", method, path, error, attempt + 2)
            if delay:
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        delay = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return delay * random.uniform(0.5, 1.0)

    def _transport_error(self, exc: httpx.HTTPError, *, what: str, idempotent: bool) -> ApiError:
        host = httpx.URL(self.base_url).host
        detail = redact(f"{type(exc).__name__}: {exc}")
        nothing_sent = isinstance(
            exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
        )
        if not idempotent and not nothing_sent:
            if isinstance(exc, httpx.TimeoutException):
                how = f"SmartLead did not answer within {self.read_timeout:g} s"
            else:
                how = "the connection dropped before SmartLead answered"
            return SendOutcomeUnknownError(
                f"Outcome unknown: {how}. The reply may or may not be queued; "
                "check the thread before resending.",
                detail=detail,
            )
        if isinstance(exc, httpx.TimeoutException):
            if isinstance(exc, httpx.ConnectTimeout):
                return ApiTimeoutError(
                    f"Could not connect to {host} in time; nothing was sent. Check the network.",
                    detail=detail,
                )
            return ApiTimeoutError(
                f"SmartLead did not answer within {self.read_timeout:g} s while trying to {what}.",
                detail=detail,
            )
        if isinstance(exc, httpx.ConnectError):
            reason = _connect_reason(exc)
            return NetworkError(f"Could not reach SmartLead at {host}: {reason}.", detail=detail)
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            return NetworkError(
                f"The connection to {host} dropped while trying to {what}.", detail=detail
            )
        return NetworkError(
            f"Network error while trying to {what}: {type(exc).__name__}.", detail=detail
        )

    def _status_error(
        self, response: httpx.Response, *, what: str, idempotent: bool, not_found: str | None
    ) -> ApiError:
        status = response.status_code
        reason = _server_message(response)
        nothing = "" if idempotent else " Nothing was sent."
        if status == 401:
            return AuthError(f"SmartLead rejected the API key (401). {CONFIG_HINT}", detail=reason)
        if status == 403:
            return AuthError(
                f"SmartLead refused access (403): {reason or 'forbidden'}. {CONFIG_HINT}",
                status=403,
            )
        if status == 404:
            message = not_found or f"SmartLead found nothing to {what} (404)"
            if reason and not not_found:
                message += f": {reason}"
            return NotFoundError(message.rstrip(".") + "." + nothing, detail=reason)
        if status == 429:
            retry_after = _retry_after(response.headers.get("retry-after"))
            when = f"retry in {retry_after:.0f} s" if retry_after is not None else "slowing down"
            return RateLimitedError(
                f"SmartLead is rate limiting requests (429); {when}.{nothing}",
                retry_after=retry_after,
                detail=reason,
            )
        if 400 <= status < 500:
            return RequestRejectedError(
                f"SmartLead refused to {what} ({status}): {reason or 'no reason given'}.{nothing}",
                status=status,
                detail=reason,
            )
        if not idempotent and status in (502, 504):
            return SendOutcomeUnknownError(
                f"Outcome unknown: a gateway between us and SmartLead gave up ({status}). "
                "The reply may or may not be queued; check the thread before resending.",
                status=status,
                detail=reason,
            )
        return ServerError(
            f"SmartLead had a server error ({status}) while trying to {what}"
            + (f": {reason}" if reason else "")
            + f".{nothing}",
            status=status,
            detail=reason,
        )

    def _note_rate_headers(self, response: httpx.Response) -> None:
        remaining = _int_header(response.headers.get("x-ratelimit-remaining"))
        reset = _float_header(response.headers.get("x-ratelimit-reset"))
        if reset is not None and reset > 1e9:  # an epoch timestamp, not "seconds from now"
            reset = max(0.0, reset - time.time())
        self.budget.note_remaining(remaining, reset)


CONNECTION_CHECK_ID = "<connection-check@smartlead-tui.invalid>"


async def check_connection(client: SmartLeadClient) -> tuple[bool, str]:
    """Check the key with no side effects: look up the status of a made-up Message-ID.

    404 means SmartLead accepted the key (and has no such reply); 401 means it did not.
    """
    try:
        await client.reply_status(CONNECTION_CHECK_ID)
    except NotFoundError:
        return True, "Connection works: SmartLead accepted the API key."
    except ApiError as exc:
        return False, str(exc)
    return True, "Connection works."


# -- response helpers (pure) -----------------------------------------------------------------


def _inert(value: Any) -> Any:
    """SmartLead's text without terminal control characters, at any depth.

    Names, subjects and bodies come from leads and end up on a terminal (the TUI, the CLI):
    an ESC in a lead's name must not recolour, clear or retitle the person's terminal.
    """
    if isinstance(value, str):
        return _CONTROL_CHARS.sub("", value) if _CONTROL_CHARS.search(value) else value
    if isinstance(value, list):
        return [_inert(item) for item in value]
    if isinstance(value, dict):
        return {_inert(key): _inert(item) for key, item in value.items()}
    return value


def _maybe_json(response: httpx.Response) -> Any | None:
    if "json" not in response.headers.get("content-type", "").lower():
        return None
    try:
        return _inert(json.loads(response.content))
    except ValueError:
        return None


def _require_json(response: httpx.Response, what: str) -> Any:
    try:
        return _inert(json.loads(response.content))
    except ValueError:
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        raise BadResponseError(
            f"SmartLead's {what} answer was not JSON ({kind}, HTTP {response.status_code}); "
            "a proxy or an outage page may be in the way.",
            status=response.status_code,
        ) from None


def _find_message_id(parsed: Any, depth: int = 0) -> str | None:
    if not isinstance(parsed, dict) or depth > 2:
        return None
    for key in ("message_id", "messageId", "message-id", "Message-ID"):
        value = parsed.get(key)
        if isinstance(value, str) and "@" in value:
            value = value.strip()
            return value if value.startswith("<") else f"<{value}>"
    for value in parsed.values():
        found = _find_message_id(value, depth + 1)
        if found:
            return found
    return None


def _message_from_json(parsed: Any) -> str:
    if isinstance(parsed, dict):
        for key in ("error", "message", "msg", "detail", "errors"):
            value = parsed.get(key)
            if isinstance(value, str) and value.strip():
                return value
            if isinstance(value, (list, dict)) and value:
                return json.dumps(value, ensure_ascii=False)
    return ""


def _server_message(response: httpx.Response) -> str:
    """The server's reason in one short redacted line, from JSON, Express's HTML, or text."""
    text = ""
    try:
        parsed = json.loads(response.content)
        text = _message_from_json(parsed)
    except ValueError:
        body = response.text
        for pattern in (_HTML_PRE, _HTML_TITLE):
            match = pattern.search(body)
            if match:
                text = match.group(1)
                break
        else:
            text = _TAGS.sub(" ", body)
    return redact(_one_line(_inert(text)))


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _int_header(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _float_header(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _connect_reason(exc: BaseException) -> str:
    """anyio hides the errno behind "All connection attempts failed": look down the chain."""
    texts = []
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            break
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        texts.append(str(seen))
        seen = seen.__cause__ or seen.__context__
    lowered = " ".join(texts).lower()
    if "refused" in lowered:
        return "connection refused"
    if "name or service not known" in lowered or "nodename" in lowered or "resolve" in lowered:
        return "the host name does not resolve"
    if "certificate" in lowered or "ssl" in lowered:
        return "the TLS certificate was not accepted"
    return "the connection failed"
