"""A SmartLead look-alike HTTP server on localhost, for tests, demos and the e2e harness.

It mirrors what the live API was *seen* doing rather than what its docs promise: the send
endpoint answers `text/html` plain text, new replies are invisible to reply-status for a
while, validation is strict, unknown routes get Express's HTML 404, and faults (timeouts,
dropped connections after the send was queued, 429 with or without Retry-After, ...) can be
injected per path so client code can be tested against the nasty cases.

Stdlib only: it must run inside the TUI process and in the test suite without extra deps.
"""

from __future__ import annotations

import html
import json
import math
import random
import re
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from smartlead_tui.sandbox.seed import CATEGORIES, Lead, Message, SeedData, iso_ms

SEND_OK_TEXT = "Email added to the queue, will be sent out soon!"
SEND_RESPONSES = ("text", "json", "json-with-id")
FAULT_KINDS = (
    "401",
    "404",
    "422",
    "500",
    "429",
    "slow",
    "drop",
    "drop-after",
    "non-json",
    "success-false",
)
INBOX_LISTS = ("inbox-replies", "unread-replies", "important", "snoozed", "scheduled",
               "archived", "sent")
SANDBOX_DOMAIN = "sandbox.smartlead.test"
API_PREFIX = "/api/v1"

_MESSAGE_ID_RE = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")
_EMAIL_RE = re.compile(r"^[^@\s,<>]+@[^@\s,<>]+\.[^@\s,<>]+$")

_OPTIONAL_STRINGS = (
    "toEmail",
    "toFirstName",
    "toLastName",
    "scheduledTime",
    "replyMessageId",
    "replyEmailBody",
    "replyEmailTime",
    "cc",
    "bcc",
    "scheduleCondition",
    "seqType",
)
_CAMEL_TO_SNAKE = {
    "emailStatsId": "email_stats_id",
    "emailBody": "email_body",
    "toEmail": "to_email",
    "toFirstName": "to_first_name",
    "toLastName": "to_last_name",
    "scheduledTime": "scheduled_time",
    "replyMessageId": "reply_message_id",
    "replyEmailBody": "reply_email_body",
    "replyEmailTime": "reply_email_time",
    "cc": "cc",
    "bcc": "bcc",
    "scheduleCondition": "schedule_condition",
    "addSignature": "add_signature",
    "seqType": "seq_type",
    "attachments": "attachments",
}
_CAMEL_FIELDS = frozenset(
    {"campaignId", "emailStatsId", "emailBody", "id", "addSignature", "attachments",
     *_OPTIONAL_STRINGS}
)
_ATTACHMENT_KEYS = frozenset({"file_url", "file_name", "file_type", "file_size"})

_EXPRESS_404 = (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
    "</head>\n<body>\n<pre>Cannot {method} {path}</pre>\n</body>\n</html>\n"
)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the sandbox saw it (api_key redacted), for assertions in tests.

    `fault` names the injected fault that fired for this request, if any.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any | None
    time: datetime
    fault: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": dict(self.query),
            "json": self.json,
            "time": iso_ms(self.time),
            "fault": self.fault,
        }


@dataclass
class _Fault:
    kind: str
    path: str | None
    method: str | None
    times: int
    retry_after: float | None
    delay: float

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or self.path in path


@dataclass
class _Outgoing:
    """A reply queued through the sandbox, tracked for reply-status."""

    message_id: str
    stats_id: str
    lead_id: int
    scheduled_at: datetime | None
    lookups: int = 0
    visible_lookups: int = 0
    completed_at: datetime | None = None


@dataclass
class _Response:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class _ApiError(Exception):
    """Raised by route handlers to short-circuit with an error response."""

    def __init__(self, response: _Response) -> None:
        super().__init__(response.status)
        self.response = response


def _json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> _Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return _Response(status, body, headers=dict(headers or {}))


def _error(status: int, message: str) -> _ApiError:
    return _ApiError(_json_response(status, {"ok": False, "error": message}))


def _json_type(value: Any) -> str:
    """JSON type name for error messages ("got string")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_iso(value: str) -> datetime | None:
    """ISO 8601 parse (Z accepted); None when unparsable."""
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def _express_404(method: str, path: str) -> _Response:
    body = _EXPRESS_404.format(method=html.escape(method), path=html.escape(path))
    return _Response(404, body.encode("utf-8"), "text/html; charset=utf-8")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    sandbox: SandboxServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-response (timeouts vs. slow faults) are expected: stay quiet."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server_version = "nginx"
    sys_version = ""

    def _dispatch(self) -> None:
        cast(_HTTPServer, self.server).sandbox._serve(self)

    do_GET = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_PATCH = _dispatch
    do_DELETE = _dispatch
    do_HEAD = _dispatch
    do_OPTIONS = _dispatch

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """The request line carries the API key: log a redacted form only, and only if asked."""
        sandbox = cast(_HTTPServer, self.server).sandbox
        if sandbox.log_requests:
            path = re.sub(r"(api_key=)[^&\s]*", r"\1***", self.path)
            sys.stderr.write(f"sandbox: {self.command} {path} -> {code}\n")

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log (it would print the api_key)."""


class SandboxServer:
    """SmartLead look-alike served from a daemon thread; see module docstring."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str = "sandbox-key",
        polls_to_complete: int = 2,
        invisible_polls: int = 1,
        rate_limit_per_minute: int | None = None,
        send_response: str = "text",
        now: Callable[[], datetime] | None = None,
        seed: int = 7,
        base_time: datetime | None = None,
        state_path: Path | None = None,
    ) -> None:
        """`base_time` rebuilds a saved world; `state_path` saves every reply there (demo)."""
        if send_response not in SEND_RESPONSES:
            raise ValueError(f"send_response must be one of {SEND_RESPONSES}")
        self.host = host
        self._requested_port = port
        self.api_key = api_key
        self.polls_to_complete = polls_to_complete
        self.invisible_polls = invisible_polls
        self.rate_limit_per_minute = rate_limit_per_minute
        self.send_response = send_response
        self.log_requests = False
        self._now = now or (lambda: datetime.now(UTC))
        self._seed_value = seed
        self.seed = SeedData(base_time=base_time or self.now(), seed=seed)
        self.state_path = state_path
        self.requests: list[RecordedRequest] = []
        self._lock = threading.RLock()
        self._faults: list[_Fault] = []
        self._outgoing: dict[str, _Outgoing] = {}
        self._sandbox_sent: set[int] = set()
        self._rate_windows: dict[str, deque[float]] = {}
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._serving = False

    # -- lifecycle -----------------------------------------------------------------------

    def now(self) -> datetime:
        """Current time from the injected clock, always timezone-aware UTC."""
        value = self._now()
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def _bind(self) -> _HTTPServer:
        if self._httpd is None:
            httpd = _HTTPServer((self.host, self._requested_port), _Handler)
            httpd.sandbox = self
            self._httpd = httpd
        return self._httpd

    def start(self) -> SandboxServer:
        """Bind and serve from a daemon thread; calling it again is a no-op."""
        if self._thread is not None and self._thread.is_alive():
            return self
        self._serving = True  # before binding, so a concurrent stop() knows to shut down
        try:
            httpd = self._bind()
        except OSError:
            self._serving = False
            raise
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
            name=f"smartlead-sandbox:{self.port}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut down and join; safe to call twice or before start."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        if self._serving:
            httpd.shutdown()
            self._serving = False
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        httpd.server_close()

    def serve_forever_blocking(self) -> None:
        """Serve in the foreground (CLI) until KeyboardInterrupt, then stop."""
        try:
            if self._thread is not None and self._thread.is_alive():
                while self._thread is not None and self._thread.is_alive():
                    self._thread.join(timeout=0.5)
            else:
                self._serving = True
                httpd = self._bind()
                httpd.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self._serving = self._thread is not None and self._thread.is_alive()
            self.stop()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is not None:
            return int(self._httpd.server_address[1])
        return self._requested_port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}{API_PREFIX}"

    @property
    def root_url(self) -> str:
        """Server root, where the `/__sandbox/...` control endpoints live."""
        return f"http://{self.host}:{self.port}"

    # -- faults & inspection -------------------------------------------------------------

    def add_fault(
        self,
        kind: str,
        *,
        path: str | None = None,
        method: str | None = None,
        times: int = 1,
        retry_after: float | None = None,
        delay: float = 3.0,
    ) -> None:
        """Queue a fault; the first matching fault fires per request and uses up one `times`."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if not _is_int(times) or times < 1:
            raise ValueError("times must be a positive integer")
        with self._lock:
            self._faults.append(_Fault(kind, path, method, times, retry_after, delay))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def posts(self, path_contains: str = "") -> list[RecordedRequest]:
        """Recorded POST requests whose path contains `path_contains`."""
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and path_contains in r.path]

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # -- HTTP plumbing -------------------------------------------------------------------

    @staticmethod
    def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
        if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size_line = handler.rfile.readline().strip().split(b";", 1)[0]
                size = int(size_line or b"0", 16)
                if size == 0:
                    handler.rfile.readline()
                    break
                chunks.append(handler.rfile.read(size))
                handler.rfile.readline()
            return b"".join(chunks)
        length = int(handler.headers.get("Content-Length") or 0)
        return handler.rfile.read(length) if length > 0 else b""

    @staticmethod
    def _write(handler: BaseHTTPRequestHandler, response: _Response) -> None:
        try:
            handler.send_response(response.status)
            handler.send_header("X-Powered-By", "Express")
            handler.send_header("Content-Type", response.content_type)
            handler.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(response.body)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        """Entry point for every request: record, apply faults, route, answer."""
        method = handler.command.upper()
        split = urlsplit(handler.path)
        path = split.path or "/"
        query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        try:
            body = self._read_body(handler)
        except (ValueError, OSError):
            handler.close_connection = True
            return
        parsed: Any | None = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None

        if path == "/__sandbox" or path.startswith("/__sandbox/"):
            self._write(handler, self._control(method, path, parsed, body))
            return

        fault = self._take_fault(method, path)
        shown_query = {k: ("***" if k == "api_key" else v) for k, v in query.items()}
        record = RecordedRequest(
            method=method,
            path=path,
            query=shown_query,
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
            json=parsed,
            time=self.now(),
            fault=fault.kind if fault else None,
        )
        with self._lock:
            self.requests.append(record)

        if fault is not None:
            if fault.kind == "drop":
                handler.close_connection = True
                return
            if fault.kind == "slow":
                time.sleep(max(0.0, fault.delay))
            elif fault.kind != "drop-after":
                self._write(handler, self._fault_response(fault))
                return

        response = self._route(method, path, query, body, parsed, handler)
        if fault is not None and fault.kind == "drop-after":
            handler.close_connection = True
            return
        self._write(handler, response)

    @staticmethod
    def _fault_response(fault: _Fault) -> _Response:
        kind = fault.kind
        if kind == "401":
            return _json_response(401, {"message": "Invalid API Key"})
        if kind == "404":
            return _json_response(404, {"ok": False, "error": "Not Found"})
        if kind == "422":
            return _json_response(422, {"ok": False, "error": "Validation failed"})
        if kind == "500":
            return _json_response(500, {
                "ok": False,
                "error": "ER_LOCK_DEADLOCK: Deadlock found when trying to get lock; "
                         "try restarting transaction",
            })
        if kind == "429":
            headers = {}
            if fault.retry_after is not None:
                ra = fault.retry_after
                headers["Retry-After"] = str(int(ra)) if float(ra).is_integer() else str(ra)
            return _json_response(429, {"ok": False, "error": "Too Many Requests"}, headers)
        if kind == "non-json":
            return _Response(200, b"<html><body>Bad gateway</body></html>",
                             "text/html; charset=utf-8")
        # success-false
        return _json_response(200, {"success": False, "message": "Something went wrong"})

    # -- routing -------------------------------------------------------------------------

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        parsed: Any | None,
        handler: BaseHTTPRequestHandler,
    ) -> _Response:
        route_path = path.rstrip("/") if len(path) > 1 else path
        match = self._match(method, route_path)
        if match is None:
            return _express_404(method if method != "HEAD" else "GET", path)
        endpoint, params = match
        if query.get("api_key") != self.api_key:
            return _json_response(401, {"message": "Invalid API Key"})
        limited, rl_headers = self._rate_limit(query["api_key"])
        if limited is not None:
            return limited
        try:
            with self._lock:
                response = endpoint(params, query, body, parsed, handler)
        except _ApiError as exc:
            response = exc.response
        if method in ("GET", "HEAD"):
            response.headers.update(rl_headers)
        return response

    def _match(
        self, method: str, path: str
    ) -> tuple[Callable[..., _Response], list[str]] | None:
        if not path.startswith(API_PREFIX + "/"):
            return None
        rest = path[len(API_PREFIX):]
        get = method in ("GET", "HEAD")
        if method == "POST" and rest == "/email-campaigns/send-email-thread":
            return self._send_email_thread, []
        if method == "POST" and (m := re.fullmatch(r"/campaigns/([^/]+)/reply-email-thread", rest)):
            return self._reply_email_thread, [m.group(1)]
        if get and rest == "/master-inbox/reply-status":
            return self._reply_status, []
        if method == "POST" and (m := re.fullmatch(r"/master-inbox/([a-z-]+)", rest)):
            if m.group(1) in INBOX_LISTS:
                return self._inbox_list, [m.group(1)]
            return None
        if get and (m := re.fullmatch(r"/campaigns/([^/]+)/leads/([^/]+)/message-history", rest)):
            return self._message_history, [m.group(1), m.group(2)]
        if get and rest == "/leads/fetch-categories":
            return self._lead_categories, []
        return None

    def _rate_limit(self, key: str) -> tuple[_Response | None, dict[str, str]]:
        """Sliding 60 s window per key; returns (429 response or None, x-ratelimit headers)."""
        limit = self.rate_limit_per_minute
        if limit is None:
            return None, {}
        now = time.monotonic()
        with self._lock:
            window = self._rate_windows.setdefault(key, deque())
            while window and now - window[0] >= 60.0:
                window.popleft()
            if len(window) >= limit:
                wait = max(1, math.ceil(60.0 - (now - window[0]))) if window else 1
                return _json_response(
                    429,
                    {"ok": False, "error": "Rate limit exceeded. Please try again later."},
                    {"Retry-After": str(wait), "x-ratelimit-limit": str(limit),
                     "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(wait)},
                ), {}
            window.append(now)
            reset = math.ceil(60.0 - (now - window[0])) if window else 60
            return None, {
                "x-ratelimit-limit": str(limit),
                "x-ratelimit-remaining": str(max(0, limit - len(window))),
                "x-ratelimit-reset": str(reset),
            }

    # -- send ----------------------------------------------------------------------------

    @staticmethod
    def _require_json_object(body: bytes, parsed: Any, handler: BaseHTTPRequestHandler
    ) -> dict[str, Any]:
        ctype = handler.headers.get("Content-Type", "")
        if "json" not in ctype.lower():
            raise _error(400, "Content-Type must be application/json")
        if not body.strip():
            raise _error(400, "Request body is required")
        if parsed is None:
            try:
                json.loads(body)
            except ValueError as exc:
                raise _error(400, f"Request body is not valid JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise _error(400, f"Request body must be a JSON object (got {_json_type(parsed)})")
        return parsed

    def _send_email_thread(
        self, params: list[str], query: dict[str, str], body: bytes, parsed: Any,
        handler: BaseHTTPRequestHandler,
    ) -> _Response:
        data = self._require_json_object(body, parsed, handler)
        unknown = sorted(set(data) - _CAMEL_FIELDS)
        if unknown:
            raise _error(400, f"Unknown field(s): {', '.join(unknown)}")
        if "campaignId" not in data:
            raise _error(400, "campaignId is required")
        campaign_id = data["campaignId"]
        if not _is_int(campaign_id):
            raise _error(400, f"campaignId must be a number (got {_json_type(campaign_id)})")
        if campaign_id not in self.seed.campaigns:
            raise _error(400, f"campaignId {campaign_id} does not match any campaign")
        return self._queue_reply(campaign_id, data, lambda name: name)

    def _reply_email_thread(
        self, params: list[str], query: dict[str, str], body: bytes, parsed: Any,
        handler: BaseHTTPRequestHandler,
    ) -> _Response:
        raw_id = params[0]
        if not raw_id.isdigit() or int(raw_id) not in self.seed.campaigns:
            raise _error(404, f"Campaign {raw_id} not found")
        data = self._require_json_object(body, parsed, handler)
        if "lead_id" in data:
            raise _error(400, "lead_id is not allowed; the thread is identified by "
                              "email_stats_id")
        snake_to_camel = {v: k for k, v in _CAMEL_TO_SNAKE.items()}
        unknown = sorted(k for k in data if k not in snake_to_camel)
        if unknown:
            raise _error(400, f"Unknown field(s): {', '.join(unknown)}")
        camel = {snake_to_camel[k]: v for k, v in data.items()}
        return self._queue_reply(int(raw_id), camel, lambda name: _CAMEL_TO_SNAKE[name])

    def _validate_reply(
        self, campaign_id: int, data: dict[str, Any], wire: Callable[[str], str]
    ) -> tuple[Lead, Message, datetime | None]:
        """Strict field checks shared by both send endpoints; errors name the wire field."""
        for name in ("emailStatsId", "emailBody"):
            if name not in data:
                raise _error(400, f"{wire(name)} is required")
            value = data[name]
            if not isinstance(value, str):
                raise _error(400, f"{wire(name)} must be a string (got {_json_type(value)})")
            if not value.strip():
                raise _error(400, f"{wire(name)} must not be empty")
        if "id" in data and not _is_int(data["id"]):
            raise _error(400, f"id must be a number when present (got {_json_type(data['id'])})")
        for name in _OPTIONAL_STRINGS:
            if name not in data:
                continue
            value = data[name]
            if not isinstance(value, str) or not value.strip():
                raise _error(400, f"{wire(name)} must be a non-empty string when present "
                                  f"(got {_json_type(value) if value != '' else 'empty string'})")
        if "toEmail" in data and not _EMAIL_RE.match(data["toEmail"].strip()):
            raise _error(400, f"{wire('toEmail')} is not a valid email address")
        for name in ("cc", "bcc"):
            if name in data:
                bad = [a for a in data[name].split(",") if not _EMAIL_RE.match(a.strip())]
                if bad:
                    raise _error(400, f"{wire(name)} must be comma-separated email addresses; "
                                      f"invalid: {bad[0].strip()!r}")
        scheduled: datetime | None = None
        if "scheduledTime" in data:
            scheduled = _parse_iso(data["scheduledTime"])
            if scheduled is None or scheduled.tzinfo is None:
                raise _error(400, f"{wire('scheduledTime')} must be an ISO 8601 date-time with a "
                                  "UTC offset, e.g. 2026-03-12T11:29:05+00:00")
        if "addSignature" in data and not isinstance(data["addSignature"], bool):
            raise _error(400, f"{wire('addSignature')} must be a boolean "
                              f"(got {_json_type(data['addSignature'])})")
        if "attachments" in data:
            self._validate_attachments(data["attachments"], wire("attachments"))
        found = self.seed.find_stats(data["emailStatsId"].strip())
        if found is None or found[0].campaign_id != campaign_id:
            raise _error(400, f"{wire('emailStatsId')} {data['emailStatsId']!r} was not found "
                              f"in campaign {campaign_id}")
        lead, message = found
        return lead, message, scheduled

    @staticmethod
    def _validate_attachments(value: Any, name: str) -> None:
        if not isinstance(value, list):
            raise _error(400, f"{name} must be an array (got {_json_type(value)})")
        for i, item in enumerate(value):
            where = f"{name}[{i}]"
            if not isinstance(item, dict):
                raise _error(400, f"{where} must be an object (got {_json_type(item)})")
            extra = sorted(set(item) - _ATTACHMENT_KEYS)
            if extra:
                raise _error(400, f"{where} has unknown field(s): {', '.join(extra)}")
            url = item.get("file_url")
            if not isinstance(url, str) or not url.strip():
                raise _error(400, f"{where}.file_url is required")
            parts = urlsplit(url.strip())
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise _error(400, f"{where}.file_url must be a public http(s) URL")
            for key in ("file_name", "file_type"):
                if key in item and not isinstance(item[key], str):
                    raise _error(400, f"{where}.{key} must be a string "
                                      f"(got {_json_type(item[key])})")
            if "file_size" in item:
                size = item["file_size"]
                if isinstance(size, bool) or not isinstance(size, int | float) or size < 0:
                    raise _error(400, f"{where}.file_size must be a non-negative number")

    def _queue_reply(
        self, campaign_id: int, data: dict[str, Any], wire: Callable[[str], str]
    ) -> _Response:
        """Validate, then append the outgoing SENT message and register it for reply-status."""
        lead, answered, scheduled = self._validate_reply(campaign_id, data, wire)
        campaign = self.seed.campaign(campaign_id)
        stats_id = str(uuid.uuid4())
        suffix = uuid.uuid4().hex[:7]
        message_id = f"<{stats_id}-{suffix}@{SANDBOX_DOMAIN}>"
        base_subject = re.sub(r"^(\s*re:\s*)+", "", answered.subject, flags=re.IGNORECASE)
        seq = answered.email_seq_number
        message = Message(
            stats_id=stats_id,
            message_id=message_id,
            type="SENT",
            time=self.now(),
            from_email=campaign.mailbox,
            to_email=data.get("toEmail", lead.email).strip(),
            subject=f"Re: {base_subject}",
            email_body=data["emailBody"],
            cc=data.get("cc"),
            bcc=data.get("bcc"),
            attachments=[dict(a) for a in data.get("attachments", [])],
            email_seq_number=seq,
        )
        lead.history.append(message)
        self._outgoing[message_id] = _Outgoing(message_id, stats_id, lead.lead_id, scheduled)
        self._sandbox_sent.add(lead.lead_id)
        self._save_state()
        mode = self.send_response
        if mode == "json":
            return _json_response(200, {"success": True, "message": SEND_OK_TEXT})
        if mode == "json-with-id":
            return _json_response(200, {"success": True, "message": SEND_OK_TEXT,
                                        "data": {"message_id": message_id}})
        return _Response(200, SEND_OK_TEXT.encode("utf-8"), "text/html; charset=utf-8")

    # -- reply-status --------------------------------------------------------------------

    def _save_state(self) -> None:
        """Demo: keep the replies beside the demo outbox (see sandbox.state)."""
        if self.state_path is None:
            return
        from smartlead_tui.sandbox.state import save_state

        try:
            save_state(self, self.state_path)
        except OSError as exc:
            print(f"sandbox: could not save its state: {exc}", file=sys.stderr)

    def _reply_status(
        self, params: list[str], query: dict[str, str], body: bytes, parsed: Any,
        handler: BaseHTTPRequestHandler,
    ) -> _Response:
        try:
            return self._reply_status_of(query)
        finally:
            if query.get("message_id", "").strip() in self._outgoing:
                self._save_state()  # its delivery progress moved on

    def _reply_status_of(self, query: dict[str, str]) -> _Response:
        message_id = query.get("message_id", "").strip()
        if not message_id:
            raise _error(422, "message_id is required")
        if not _MESSAGE_ID_RE.match(message_id):
            raise _error(422, "message_id must be a Message-ID in angle brackets, "
                              "e.g. <id@example.com>")
        not_found = _error(404, "No reply found for the given message_id")
        out = self._outgoing.get(message_id)
        if out is None:
            found = self.seed.find_message_id(message_id)
            if found is None or found[1].type != "SENT":
                raise not_found
            msg = found[1]
            return self._status_payload(message_id, "COMPLETED", "Email sent successfully!",
                                        msg.time, None, msg.stats_id)
        now = self.now()
        if out.scheduled_at is not None and now < out.scheduled_at and out.completed_at is None:
            return self._status_payload(message_id, "SCHEDULED", "Email is scheduled", None,
                                        out.scheduled_at, out.stats_id)
        out.lookups += 1
        # Scheduled replies were already visible (as SCHEDULED): no invisible phase for them.
        if (out.scheduled_at is None and out.completed_at is None
                and out.lookups <= self.invisible_polls):
            raise not_found
        out.visible_lookups += 1
        if out.completed_at is None and out.visible_lookups >= self.polls_to_complete:
            out.completed_at = now
        if out.completed_at is not None:
            return self._status_payload(message_id, "COMPLETED", "Email sent successfully!",
                                        out.completed_at, out.scheduled_at, out.stats_id)
        return self._status_payload(message_id, "QUEUED", "Email is queued for sending", None,
                                    out.scheduled_at, out.stats_id)

    @staticmethod
    def _status_payload(
        message_id: str, status: str, status_message: str, event_time: datetime | None,
        scheduled_time: datetime | None, stats_id: str,
    ) -> _Response:
        return _json_response(200, {"ok": True, "data": {
            "message_id": message_id,
            "status": status,
            "status_message": status_message,
            "event_time": iso_ms(event_time),
            "scheduled_time": iso_ms(scheduled_time),
            "email_stats_id": stats_id,
        }})

    # -- master inbox lists ---------------------------------------------------------------

    def _inbox_list(
        self, params: list[str], query: dict[str, str], body: bytes, parsed: Any,
        handler: BaseHTTPRequestHandler,
    ) -> _Response:
        kind = params[0]
        data = self._require_json_object(body, parsed, handler)
        offset = data.get("offset", 0)
        limit = data.get("limit", 20)
        if not _is_int(offset) or offset < 0:
            raise _error(400, "offset must be a non-negative integer")
        if not _is_int(limit) or not 1 <= limit <= 20:
            raise _error(400, "limit must be an integer between 1 and 20")
        sort_by = data.get("sortBy", "REPLY_TIME_DESC")
        if sort_by not in ("REPLY_TIME_DESC", "REPLY_TIME_ASC"):
            raise _error(400, "sortBy must be REPLY_TIME_DESC or REPLY_TIME_ASC")
        filters = data.get("filters") or {}
        if not isinstance(filters, dict):
            raise _error(400, f"filters must be an object (got {_json_type(filters)})")
        with_history = query.get("fetch_message_history", "").lower() == "true"

        leads = [lead for lead in self.seed.leads.values() if self._in_list(kind, lead)]
        leads = self._apply_filters(leads, filters)

        def reply_time(lead: Lead) -> float:
            replies = lead.replies()
            return replies[-1].time.timestamp() if replies else 0.0

        leads.sort(key=lambda lead: (reply_time(lead), lead.lead_id),
                   reverse=sort_by == "REPLY_TIME_DESC")
        page = leads[offset:offset + limit]
        rows = [self._row(lead, with_history) for lead in page]
        return _json_response(200, {"ok": True, "data": rows, "offset": offset, "limit": limit})

    def _in_list(self, kind: str, lead: Lead) -> bool:
        has_reply = any(m.type == "REPLY" for m in lead.history)
        if kind == "inbox-replies":
            return has_reply and not lead.archived
        if kind == "unread-replies":
            return lead.unread and not lead.archived
        if kind == "important":
            return lead.important
        if kind == "snoozed":
            return lead.snoozed
        if kind == "archived":
            return lead.archived
        if kind == "sent":
            return lead.lead_id in self._sandbox_sent
        # scheduled
        now = self.now()
        return any(
            o.lead_id == lead.lead_id and o.scheduled_at is not None and o.scheduled_at > now
            and o.completed_at is None
            for o in self._outgoing.values()
        )

    @staticmethod
    def _apply_filters(leads: list[Lead], filters: dict[str, Any]) -> list[Lead]:
        search = filters.get("search")
        if search is not None:
            if not isinstance(search, str):
                raise _error(400, "filters.search must be a string")
            needle = search.strip().casefold()
            if needle:
                leads = [
                    lead for lead in leads
                    if needle in f"{lead.first_name} {lead.last_name} {lead.email}".casefold()
                ]
        if "campaignId" in filters and filters["campaignId"] is not None:
            value = filters["campaignId"]
            ids = value if isinstance(value, list) else [value]
            if not all(_is_int(i) for i in ids):
                raise _error(400, "filters.campaignId must be a number or an array of numbers")
            leads = [lead for lead in leads if lead.campaign_id in ids]
        cats = filters.get("leadCategories")
        if cats is not None:
            if isinstance(cats, dict):  # the docs' {"categoryIdsIn": [...]} form
                cats = cats.get("categoryIdsIn") or []
            if not isinstance(cats, list) or not all(_is_int(c) for c in cats):
                raise _error(400, "filters.leadCategories must be an array of numbers")
            if cats:
                leads = [lead for lead in leads if lead.category_id in cats]
        return leads

    def _row(self, lead: Lead, with_history: bool) -> dict[str, Any]:
        campaign = self.seed.campaign(lead.campaign_id)
        replies = lead.replies()
        sent = lead.sent()
        row: dict[str, Any] = {
            "email_lead_id": lead.lead_id,
            "email_lead_map_id": lead.lead_map_id,
            "email_campaign_id": campaign.id,
            "email_campaign_name": campaign.name,
            "lead_email": lead.email,
            "lead_first_name": lead.first_name,
            "lead_last_name": lead.last_name,
            "lead_category_id": lead.category_id,
            "last_reply_time": iso_ms(replies[-1].time) if replies else None,
            "last_sent_time": iso_ms(sent[-1].time) if sent else None,
            "has_new_unread_email": lead.unread,
            "is_important": lead.important,
            "is_archived": lead.archived,
            "is_snoozed": lead.snoozed,
        }
        if with_history:
            row["email_history"] = [m.to_json() for m in self._shuffled(lead, lead.history)]
        return row

    def _shuffled(self, lead: Lead, messages: list[Message]) -> list[Message]:
        """Deterministic but not time-sorted order: clients must sort by `time` themselves."""
        out = list(messages)
        random.Random(f"{self._seed_value}:{lead.lead_id}:{len(out)}").shuffle(out)
        if len(out) > 1 and out == sorted(out, key=lambda m: m.time):
            out.reverse()
        return out

    # -- message history -----------------------------------------------------------------

    def _message_history(
        self, params: list[str], query: dict[str, str], body: bytes, parsed: Any,
        handler: BaseHTTPRequestHandler,
    ) -> _Response:
        raw_campaign, raw_lead = params
        if not raw_campaign.isdigit() or int(raw_campaign) not in self.seed.campaigns:
            raise _error(404, f"Campaign {raw_campaign} not found")
        lead = self.seed.leads.get(int(raw_lead)) if raw_lead.isdigit() else None
        if lead is None or lead.campaign_id != int(raw_campaign):
            raise _error(404, f"Lead {raw_lead} not found in campaign {raw_campaign}")
        messages = list(lead.history)
        gt = query.get("event_time_gt")
        if gt:
            cutoff = _parse_iso(gt)
            if cutoff is None:
                raise _error(400, "event_time_gt must be an ISO 8601 date-time")
            if cutoff.tzinfo is None:
                cutoff = cutoff.replace(tzinfo=UTC)
            messages = [m for m in messages if m.time > cutoff]
        campaign = self.seed.campaign(lead.campaign_id)
        return _json_response(200, {
            "history": [m.to_json() for m in self._shuffled(lead, messages)],
            "from": campaign.mailbox,
            "to": lead.email,
        })

    # -- lead categories -----------------------------------------------------------------

    def _lead_categories(
        self, params: list[str], query: dict[str, str], body: bytes, parsed: Any,
        handler: BaseHTTPRequestHandler,
    ) -> _Response:
        """A bare array, as the docs promise (ids 1..7 plus a custom one with a large id)."""
        return _json_response(200, [dict(c) for c in CATEGORIES])

    # -- test-control endpoints ----------------------------------------------------------

    def _control(self, method: str, path: str, parsed: Any, body: bytes) -> _Response:
        """`/__sandbox/...`: script a separately running sandbox (faults, config, requests)."""
        path = path.rstrip("/")
        try:
            if path == "/__sandbox/faults" and method == "POST":
                self._control_add_fault(parsed)
                return _json_response(200, {"ok": True})
            if path == "/__sandbox/faults" and method == "DELETE":
                self.clear_faults()
                return _json_response(200, {"ok": True})
            if path == "/__sandbox/faults" and method == "GET":
                with self._lock:
                    faults = [vars(f).copy() for f in self._faults]
                return _json_response(200, faults)
            if path == "/__sandbox/requests" and method == "GET":
                with self._lock:
                    rows = [r.to_json() for r in self.requests]
                return _json_response(200, rows)
            if path == "/__sandbox/requests" and method == "DELETE":
                with self._lock:
                    self.requests.clear()
                return _json_response(200, {"ok": True})
            if path == "/__sandbox/config" and method == "POST":
                self._control_config(parsed)
                return _json_response(200, self._config())
            if path == "/__sandbox/config" and method == "GET":
                return _json_response(200, self._config())
            if path == "/__sandbox/seed" and method == "GET":
                with self._lock:
                    return _json_response(200, self.seed.summary())
        except _ApiError as exc:
            return exc.response
        except ValueError as exc:
            return _json_response(400, {"ok": False, "error": str(exc)})
        return _express_404(method, path)

    def _control_add_fault(self, parsed: Any) -> None:
        if not isinstance(parsed, dict) or not isinstance(parsed.get("kind"), str):
            raise ValueError('body must be a JSON object with a string "kind"')
        allowed = {"kind", "path", "method", "times", "retry_after", "delay"}
        unknown = sorted(set(parsed) - allowed)
        if unknown:
            raise ValueError(f"Unknown field(s): {', '.join(unknown)}")
        delay = parsed.get("delay", 3.0)
        retry_after = parsed.get("retry_after")
        if isinstance(delay, bool) or not isinstance(delay, int | float):
            raise ValueError("delay must be a number")
        if retry_after is not None and (
            isinstance(retry_after, bool) or not isinstance(retry_after, int | float)
        ):
            raise ValueError("retry_after must be a number or null")
        self.add_fault(
            parsed["kind"],
            path=parsed.get("path"),
            method=parsed.get("method"),
            times=parsed.get("times", 1),
            retry_after=retry_after,
            delay=float(delay),
        )

    def _control_config(self, parsed: Any) -> None:
        if not isinstance(parsed, dict):
            raise ValueError("body must be a JSON object")
        allowed = {"send_response", "polls_to_complete", "invisible_polls",
                   "rate_limit_per_minute"}
        unknown = sorted(set(parsed) - allowed)
        if unknown:
            raise ValueError(f"Unknown field(s): {', '.join(unknown)}")
        if "send_response" in parsed and parsed["send_response"] not in SEND_RESPONSES:
            raise ValueError(f"send_response must be one of {', '.join(SEND_RESPONSES)}")
        for name in ("polls_to_complete", "invisible_polls"):
            if name in parsed and (not _is_int(parsed[name]) or parsed[name] < 0):
                raise ValueError(f"{name} must be a non-negative integer")
        rl = parsed.get("rate_limit_per_minute")
        if rl is not None and (not _is_int(rl) or rl < 1):
            raise ValueError("rate_limit_per_minute must be a positive integer or null")
        with self._lock:
            for name, value in parsed.items():
                setattr(self, name, value)
            if "rate_limit_per_minute" in parsed:
                self._rate_windows.clear()

    def _config(self) -> dict[str, Any]:
        return {
            "send_response": self.send_response,
            "polls_to_complete": self.polls_to_complete,
            "invisible_polls": self.invisible_polls,
            "rate_limit_per_minute": self.rate_limit_per_minute,
        }
