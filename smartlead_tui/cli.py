"""Command line: the TUI by default, plus scriptable `send`, `status`, `sandbox` and `config`.

Exit codes are part of the interface: 0 ok, 1 failed (nothing sent), 2 usage or invalid input
(nothing sent), 3 outcome unknown (a send may have gone; check before resending), 130 on Ctrl-C.
Heavy imports (textual, httpx) happen inside the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from smartlead_tui import __version__

if TYPE_CHECKING:
    from smartlead_tui.api.client import SmartLeadClient
    from smartlead_tui.config import Settings
    from smartlead_tui.sandbox import SandboxServer

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNKNOWN = 3
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad input found before anything was sent; each line of the message is one problem.

    `outcome` is what `--json` reports it as ("invalid", or "duplicate" for a refused resend).
    """

    def __init__(self, message: str, *, outcome: str = "invalid") -> None:
        super().__init__(message)
        self.outcome = outcome


class _Parser(argparse.ArgumentParser):
    """Remembers the last usage error, so a `--json` run can report it on stdout as well."""

    last_error: str | None = None

    def error(self, message: str) -> NoReturn:  # argparse's hook; it exits with status 2
        _Parser.last_error = f"{self.prog}: {message}"
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="smartlead-tui",
        description="Keyboard-driven terminal inbox console for SmartLead.",
        epilog="Exit codes: 0 ok, 1 failed, 2 usage error, 3 outcome unknown (check the thread).",
    )
    parser.add_argument("--version", action="version", version=f"smartlead-tui {__version__}")
    _add_connection_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    send = sub.add_parser(
        "send",
        help="send one reply in a lead's thread",
        description=("Validate, then send one reply (exactly one POST, never retried)."),
    )
    _add_connection_options(send, suppress=True)
    _add_draft_options(send)
    send.add_argument("--json", action="store_true", help="print the outcome as JSON")
    send.add_argument(
        "--allow-duplicate",
        action="store_true",
        help="send even if the same reply went to this thread in the last 24 h",
    )

    compose = sub.add_parser(
        "compose",
        help="open the TUI on the compose screen, prefilled",
        description="Same prefill flags as send; nothing is sent until "
        "you review and confirm it in the TUI.",
    )
    _add_connection_options(compose, suppress=True)
    _add_draft_options(compose, required=False)

    status = sub.add_parser("status", help="print the delivery status of replies")
    _add_connection_options(status, suppress=True)
    status.add_argument(
        "message_ids",
        nargs="+",
        metavar="MESSAGE_ID",
        help="Message-ID, with or without <angle brackets>",
    )
    status.add_argument("--watch", action="store_true", help="poll until every reply is final")
    status.add_argument("--json", action="store_true", help="JSON (JSON Lines with --watch)")
    status.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="with --watch: give up after this long (default 600)",
    )

    sandbox = sub.add_parser("sandbox", help="run the SmartLead look-alike server on loopback")
    sandbox.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765)")
    sandbox.add_argument(
        "--api-key", default="sandbox-key", help="key the sandbox accepts (default sandbox-key)"
    )

    serve = sub.add_parser(
        "serve",
        help="run the app in a web browser (textual-serve) on 127.0.0.1",
        description="Serve the TUI to a browser on this machine. Each browser tab runs its own "
        "app; nothing is reachable from other machines.",
    )
    _add_connection_options(serve, suppress=True)
    serve.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000)")

    from smartlead_tui.config_cli import add_config_parser
    from smartlead_tui.tracking_cli import add_track_parser

    add_config_parser(sub)
    add_track_parser(sub)
    parser.add_argument(
        "--screen", choices=("inbox", "outbox"), default=None, help="start the TUI on this screen"
    )
    return parser


def _add_connection_options(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """Global options, accepted before or after the subcommand."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="use an in-process sandbox server (no account needed)",
    )
    parser.add_argument(
        "--base-url", default=default, metavar="URL", help="API base URL (env SMARTLEAD_BASE_URL)"
    )
    parser.add_argument(
        "--config", default=default, metavar="PATH", help="config file (env SMARTLEAD_CONFIG)"
    )
    parser.add_argument(
        "--profile", default=default, metavar="NAME", help="config profile (env SMARTLEAD_PROFILE)"
    )


def _add_draft_options(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument("--campaign-id", required=required, metavar="N")
    parser.add_argument("--email-stats-id", required=required, metavar="S")
    body = parser.add_mutually_exclusive_group(required=required)
    body.add_argument("--body", metavar="TEXT")
    body.add_argument("--body-file", metavar="FILE", help="file with the body, or - for stdin")
    parser.add_argument("--to", metavar="EMAIL", help="recipient (default: the lead)")
    parser.add_argument("--first-name")
    parser.add_argument("--last-name")
    parser.add_argument("--cc", metavar="LIST", help="comma-separated addresses")
    parser.add_argument("--bcc", metavar="LIST", help="comma-separated addresses")
    parser.add_argument(
        "--schedule",
        metavar="WHEN",
        help="'in 2h', 'tomorrow 9am', 'mon 10:00', ISO 8601 (default: now)",
    )
    parser.add_argument("--timezone", metavar="TZ", help="zone for --schedule (default: config)")
    signature = parser.add_mutually_exclusive_group()
    signature.add_argument("--signature", dest="signature", action="store_true", default=None)
    signature.add_argument("--no-signature", dest="signature", action="store_false")
    parser.add_argument(
        "--attach",
        action="append",
        default=[],
        metavar="URL",
        help="public http(s) URL SmartLead downloads itself (repeatable)",
    )
    parser.add_argument("--thread-id", metavar="N")
    parser.add_argument("--reply-message-id", metavar="ID")
    parser.add_argument("--reply-body", metavar="TEXT")
    parser.add_argument("--reply-time", metavar="ISO")
    parser.add_argument("--schedule-condition")
    parser.add_argument("--seq-type")


# -- settings and connection -------------------------------------------------------------------


def _load(args: argparse.Namespace) -> tuple[Settings, list[str]]:
    from smartlead_tui.config import load_settings

    path = getattr(args, "config", None)
    return load_settings(
        path=None if path is None else _path(path), profile=getattr(args, "profile", None)
    )


def _path(text: str) -> Any:
    from pathlib import Path

    return Path(text).expanduser()


def _start_demo_sandbox() -> SandboxServer:
    """The demo's sandbox, its world kept beside the demo outbox (issue 11 item 14)."""
    from smartlead_tui.config import data_dir
    from smartlead_tui.sandbox.state import demo_sandbox

    return demo_sandbox(data_dir() / "demo").start()


def _make_client(settings: Settings, args: argparse.Namespace) -> SmartLeadClient:
    from smartlead_tui.api.client import SmartLeadClient

    return SmartLeadClient.from_settings(settings)


def _with(settings: Settings, **changes: Any) -> Settings:
    import dataclasses

    return dataclasses.replace(settings, **changes)


def _settings_for_demo(settings: Settings, sandbox: SandboxServer) -> Settings:
    return _with(
        settings, api_key=sandbox.api_key, api_key_source="demo", base_url=sandbox.base_url
    )


# -- send ---------------------------------------------------------------------------------------


def _read_body_file(name: str, stdin: TextIO, problems: list[str]) -> str | None:
    if name == "-":
        return stdin.read()
    try:
        with open(name, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        problems.append(f"body file: can't read {name!r}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        problems.append(f"body file: {name!r} is not UTF-8 text")
    return None


def _checked_fields(
    args: argparse.Namespace, settings: Any, stdin: TextIO
) -> tuple[Any, dict[str, Any], Any, list[str]]:
    """(draft or None, fields, tz, problems): every send flag checked, all problems at once."""
    from datetime import UTC, datetime

    from smartlead_tui.config import resolve_timezone
    from smartlead_tui.outbox.sender import draft_from_fields, fields_from_args

    problems: list[str] = []
    try:
        tz = resolve_timezone(args.timezone or settings.timezone)
    except Exception as exc:  # a config error (timezone) is also the user's to fix
        problems.append(str(exc))
        tz = UTC
    body = args.body
    if args.body_file is not None:
        body = _read_body_file(args.body_file, stdin, problems)
        if body is None:
            body = " "  # the read error is already reported; skip "body: is empty"
    fields = fields_from_args(args, body=body)
    draft, more = draft_from_fields(fields, settings=settings, tz=tz, now=datetime.now(tz))
    return draft, fields, tz, problems + more


def build_draft_from_args(args: argparse.Namespace, settings: Any, stdin: TextIO) -> Any:
    """Validate every send flag, collecting all problems, and build the ReplyDraft."""
    draft, _, _, problems = _checked_fields(args, settings, stdin)
    if problems:
        raise UsageError("\n".join(problems))
    return draft


def _store_for(args: argparse.Namespace) -> Any:
    from smartlead_tui.config import data_dir
    from smartlead_tui.outbox.store import STORE_FILENAME, Store

    base = data_dir() / "demo" if getattr(args, "demo", False) else data_dir()
    return Store(base / STORE_FILENAME)


def cmd_send(
    args: argparse.Namespace, settings: Any, out: TextIO, err: TextIO, stdin: TextIO
) -> int:
    """One journaled send (same store and duplicate rule as the TUI), never retried."""
    import asyncio

    from smartlead_tui.outbox.sender import DuplicateReply, Sender

    draft, fields, tz, problems = _checked_fields(args, settings, stdin)
    if problems:
        raise UsageError("\n".join(problems))
    _require_key(settings)

    async def run() -> tuple[Any, Any]:
        with _store_for(args) as store:
            if store.recovered_from is not None:
                err.write(
                    "smartlead-tui: warning: the outbox database was damaged; it was moved aside "
                    f"to {store.recovered_from} (not deleted) and a new one started\n"
                )
            async with _make_client(settings, args) as client:
                sender = Sender(store, client, settings=settings, tz=tz)
                try:
                    entry = await sender.send_immediately(
                        fields, allow_duplicate=getattr(args, "allow_duplicate", False)
                    )
                except DuplicateReply as dup:
                    raise UsageError(
                        f"not sent: {dup}; pass --allow-duplicate to send it again",
                        outcome="duplicate",
                    ) from None
                return entry, sender

    entry, sender = asyncio.run(run())
    error = sender.last_error
    if entry.state == "queued":
        result = sender.last_result
        code = EXIT_OK
        outcome: dict[str, Any] = {
            "outcome": "queued",
            "http_status": result.status_code if result else None,
            "message_id": entry.message_id,
            "server_message": entry.server_message,
            "warning": result.warning if result else None,
        }
    else:
        code = EXIT_UNKNOWN if entry.state == "unknown" else EXIT_FAILED
        outcome = {
            "outcome": entry.state,
            "error": str(error) if error is not None else entry.last_error,
            "error_type": type(error).__name__ if error is not None else None,
            "http_status": error.status if error is not None else None,
        }
    outcome["outbox_entry"] = entry.id
    outcome["campaign_id"] = draft.campaign_id
    outcome["email_stats_id"] = draft.email_stats_id
    outcome["scheduled_time"] = (
        draft.scheduled_time.isoformat(timespec="seconds") if draft.scheduled_time else None
    )
    if args.json:
        out.write(json.dumps(outcome, ensure_ascii=False) + "\n")
    elif outcome["outcome"] == "queued":
        who = draft.to_email or "the lead"
        when = f" for {outcome['scheduled_time']}" if draft.scheduled_time else ""
        mid = (
            f"Message-ID {outcome['message_id']}"
            if outcome["message_id"]
            else "no Message-ID in SmartLead's answer"
        )
        out.write(f"queued: reply to {who} in campaign {draft.campaign_id}{when} ({mid})\n")
        if outcome["warning"]:
            err.write(f"smartlead-tui: warning: {outcome['warning']}\n")
    else:
        err.write(f"smartlead-tui: {outcome['outcome']}: {outcome['error']}\n")
    return code


# -- status -------------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    import asyncio

    from smartlead_tui.validation import ValidationError, normalize_message_id

    ids: list[str] = []
    problems = []
    for raw in args.message_ids:
        try:
            ids.append(normalize_message_id(raw))
        except ValidationError as exc:
            problems.append(str(exc))
    if problems:
        raise UsageError("\n".join(problems))
    _require_key(settings)

    async def run() -> int:
        async with _make_client(settings, args) as client:
            if args.watch:
                from smartlead_tui.tracking_cli import watch_status

                return await watch_status(
                    client, ids, settings, out, err, args.json, timeout=args.timeout
                )
            return await _status_once(client, ids, args, out, err)

    return asyncio.run(run())


def _status_record(message_id: str, status: Any = None, error: Any = None) -> dict[str, Any]:
    if status is not None:
        record = status.to_dict()
        record["final"] = status.is_terminal
        return record
    from smartlead_tui.api.errors import NotFoundError

    return {
        "message_id": message_id,
        "status": "NOT_FOUND" if isinstance(error, NotFoundError) else "ERROR",
        "error": str(error),
        "final": False,
    }


def _print_status(record: dict[str, Any], out: TextIO, *, as_json: bool) -> None:
    if as_json:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
        return
    if "error" in record:
        out.write(f"{record['message_id']}  {record['status']}  {record['error']}\n")
    else:
        out.write(
            f"{record['message_id']}  {record['status']}  {record['status_message'] or '-'}"
            f"  event {record['event_time'] or '-'}  scheduled {record['scheduled_time'] or '-'}\n"
        )
    out.flush()


async def _status_once(
    client: SmartLeadClient, ids: list[str], args: argparse.Namespace, out: TextIO, err: TextIO
) -> int:
    from smartlead_tui.api.errors import ApiError, AuthError

    records = []
    code = EXIT_OK
    for message_id in ids:
        try:
            records.append(_status_record(message_id, await client.reply_status(message_id)))
        except AuthError:
            raise
        except ApiError as exc:
            records.append(_status_record(message_id, error=exc))
            code = EXIT_FAILED
    if args.json:
        out.write(
            json.dumps(records if len(records) > 1 else records[0], ensure_ascii=False) + "\n"
        )
    else:
        for record in records:
            _print_status(record, out, as_json=False)
    return code


# -- sandbox, TUI -------------------------------------------------------------------------------


def cmd_sandbox(args: argparse.Namespace, out: TextIO) -> int:
    from smartlead_tui.sandbox import SandboxServer

    server = SandboxServer(port=args.port, api_key=args.api_key).start()
    out.write(
        f"SmartLead sandbox listening on {server.base_url}\n"
        f"  export SMARTLEAD_BASE_URL={server.base_url}\n"
        f"  export SMARTLEAD_API_KEY={server.api_key}\n"
        "Press Ctrl-C to stop.\n"
    )
    out.flush()
    try:
        server.serve_forever_blocking()
    finally:
        server.stop()
    return EXIT_OK


def _compose_prefill(args: argparse.Namespace, stdin: TextIO) -> dict[str, Any]:
    """The compose screen's fields from the same flags as `send` (checked there, as typed)."""
    from smartlead_tui.outbox.sender import fields_from_args

    body = args.body
    if args.body_file is not None:
        if args.body_file == "-":
            raise UsageError("compose: --body-file - is not possible (the TUI needs the terminal)")
        problems: list[str] = []
        body = _read_body_file(args.body_file, stdin, problems)
        if problems:
            raise UsageError("\n".join(problems))
    return dict(fields_from_args(args, body=body))


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    """The same app in a browser, for people who cannot open a terminal (loopback only)."""
    import shlex

    try:
        from textual_serve.server import Server
    except ImportError:
        raise UsageError(
            "browser mode needs textual-serve: pip install 'smartlead-tui[serve]'"
        ) from None
    command = [sys.executable, "-m", "smartlead_tui"]
    for flag in ("config", "profile", "base_url"):
        value = getattr(args, flag, None)
        if value:
            command += [f"--{flag.replace('_', '-')}", value]
    if getattr(args, "demo", False):
        command.append("--demo")
    out.write(f"smartlead-tui in your browser: http://127.0.0.1:{args.port}  (Ctrl-C stops)\n")
    out.flush()
    Server(shlex.join(command), host="127.0.0.1", port=args.port, title="smartlead-tui").serve()
    return EXIT_OK


def _require_key(settings: Settings) -> None:
    if not settings.api_key:
        raise UsageError(
            "no API key: set SMARTLEAD_API_KEY, run `smartlead-tui config set api_key KEY`, "
            "or add --demo to use the sandbox"
        )


# -- main ---------------------------------------------------------------------------------------


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    stdin = stdin or sys.stdin
    parser = build_parser()
    _Parser.last_error = None
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        words = list(sys.argv[1:] if argv is None else argv)
        if exc.code == EXIT_USAGE and "--json" in words and _Parser.last_error:
            _write_json_error(out, "invalid", [_Parser.last_error])
        raise
    from smartlead_tui.logs import setup_logging

    setup_logging()
    sandbox = None
    try:
        if args.command == "sandbox":
            return cmd_sandbox(args, out)
        if args.command == "serve":
            return cmd_serve(args, out)
        if args.command == "config":
            from smartlead_tui.config_cli import run_config_command

            return run_config_command(args, out=out, err=err, stdin=stdin)
        config_error = None
        try:
            settings, warnings = _load(args)
        except Exception as exc:
            from smartlead_tui.config import ConfigError, Settings, config_path

            if args.command is not None or not isinstance(exc, ConfigError):
                raise
            # The TUI still opens, in demo mode, on the settings screen that shows the error;
            # the broken file is left exactly as it is.
            config_error = str(exc)
            settings = Settings(config_path=config_path(getattr(args, "config", None)))
            warnings = []
        if getattr(args, "base_url", None):
            from smartlead_tui.config import validate_base_url

            validate_base_url(args.base_url)
            settings = _with(settings, base_url=validate_base_url(args.base_url))
        for warning in warnings:
            if args.command is not None:
                err.write(f"smartlead-tui: warning: {warning}\n")
        account_settings = settings
        interactive = args.command in (None, "compose")
        first_run = args.command is None and not settings.api_key and not args.demo
        demo = bool(args.demo) or (interactive and not settings.api_key)
        if demo:
            sandbox = _start_demo_sandbox()
            settings = _settings_for_demo(settings, sandbox)
            args.base_url = None
            args.demo = True
        if args.command == "send":
            return cmd_send(args, settings, out, err, stdin)
        if args.command == "status":
            return cmd_status(args, settings, out, err)
        if args.command == "track":
            from smartlead_tui.tracking_cli import run_track_command

            return run_track_command(
                args, settings, out=out, err=err, stdin=stdin, make_client=_make_client
            )
        compose = None
        if args.command == "compose":
            compose = _compose_prefill(args, stdin)
        from smartlead_tui.tui.app import run_app

        return run_app(
            settings,
            warnings=warnings,
            demo=demo,
            account_settings=account_settings,
            first_run=first_run and config_error is None,
            config_error=config_error,
            compose=compose,
            screen=args.screen,
        )
    except KeyboardInterrupt:
        err.write("smartlead-tui: interrupted\n")
        if getattr(args, "json", False):
            _write_json_error(out, "interrupted", ["interrupted"])
        return EXIT_INTERRUPTED
    except UsageError as exc:
        for line in str(exc).splitlines():
            err.write(f"smartlead-tui: {line}\n")
        if getattr(args, "json", False):
            _write_json_error(out, exc.outcome, str(exc).splitlines())
        return EXIT_USAGE
    except Exception as exc:  # the last line of defence: a message, never a traceback
        code = _report_unexpected(exc, err)
        if getattr(args, "json", False):
            from smartlead_tui.redact import redact

            outcome = "invalid" if code == EXIT_USAGE else "failed"
            _write_json_error(out, outcome, [redact(exc)], exc)
        return code
    finally:
        if sandbox is not None:
            sandbox.stop()


def _write_json_error(
    out: TextIO, outcome: str, problems: list[str], exc: Exception | None = None
) -> None:
    """A `--json` run's one object on stdout when it ends in an error (the exit code says which).

    Same keys as a failed send's report, so a script reads every outcome the same way.
    """
    record: dict[str, Any] = {
        "outcome": outcome,
        "error": "; ".join(problems),
        "problems": problems,
        "error_type": type(exc).__name__ if exc is not None else None,
        "http_status": getattr(exc, "status", None),
    }
    out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()


def _report_unexpected(exc: Exception, err: TextIO) -> int:
    import logging

    from smartlead_tui.api.errors import ApiError
    from smartlead_tui.config import ConfigError
    from smartlead_tui.redact import redact

    if isinstance(exc, ConfigError):
        err.write(f"smartlead-tui: {redact(exc)}\n")
        return EXIT_USAGE
    if isinstance(exc, ApiError):
        err.write(f"smartlead-tui: {redact(exc)}\n")
        return EXIT_FAILED
    logging.getLogger("smartlead_tui").error("unexpected error", exc_info=exc)
    err.write(
        f"smartlead-tui: unexpected error ({type(exc).__name__}): {redact(exc)}; "
        "details are in the log file\n"
    )
    return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    os._exit(main())
