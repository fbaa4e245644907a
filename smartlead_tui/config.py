"""Settings: where they live, what they may contain, and how they are read and written safely.

Plain Python with no Textual or httpx import: it runs before the UI exists, from the `config`
subcommand, and from tests. Heavier modules (tomllib, tomli_w, platformdirs, subprocess, zoneinfo)
are imported inside the functions that need them, so importing this module stays cheap.

Precedence, highest first:
  profile name:  `--profile` (the `profile` argument) > SMARTLEAD_PROFILE > `default_profile`
  API key:       SMARTLEAD_API_KEY > `api_key_command` > `api_key` (file)
  base URL:      SMARTLEAD_BASE_URL > active profile > top level > default
  other values:  active profile > top level > default
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import tzinfo

APP_NAME = "smartlead-tui"
DEFAULT_BASE_URL = "https://server.smartlead.ai/api/v1"
SEND_ENDPOINTS = ("send-email-thread", "reply-email-thread")
#: How a typed body is sent (see `body_format.outgoing_body`); kept here so config stays light.
BODY_FORMATS = ("html", "plain")
CONFIG_FILENAME = "config.toml"

ENV_CONFIG = "SMARTLEAD_CONFIG"
ENV_PROFILE = "SMARTLEAD_PROFILE"
ENV_API_KEY = "SMARTLEAD_API_KEY"
ENV_BASE_URL = "SMARTLEAD_BASE_URL"

#: How long `api_key_command` may take. Password managers can be slow to unlock, but a start-up
#: must never hang forever on one.
KEY_COMMAND_TIMEOUT_SECONDS = 15.0

#: Keys that only make sense once per file (per person, not per SmartLead account).
TOP_LEVEL_ONLY_KEYS = frozenset({"default_profile", "profiles", "keymap"})
#: Keys whose values must never be echoed back, not even in an error message.
SECRET_KEYS = frozenset({"api_key"})

_FILE_HEADER = (
    "# smartlead-tui configuration. Every key is described in config.example.toml.\n"
    "# Written by `smartlead-tui config set`, which does not keep comments;\n"
    "# the previous version of this file is kept as config.toml.bak.\n\n"
)


class ConfigError(Exception):
    """A configuration problem; `str(err)` is one line naming the file, line/column or key.

    `exit_code` follows the CLI convention: 2 for a bad value or file (the user must fix it),
    1 for anything else (cannot read/write the file, api_key_command failed).
    """

    exit_code: int = 2

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        line: int | None = None,
        column: int | None = None,
        key: str | None = None,
        problems: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.key = key
        self.problems = problems or (message,)

    def __str__(self) -> str:
        return self.message


class ConfigIOError(ConfigError):
    """The file could not be read or written (permissions, disk full, a directory in the way)."""

    exit_code = 1


class KeyCommandError(ConfigError):
    """`api_key_command` could not be run, failed, timed out or printed nothing."""

    exit_code = 1


# --------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------


class _Invalid(ValueError):
    """Raised by a validator; the message is what is expected (or a full sentence)."""

    def __init__(self, expected: str, *, full: str | None = None) -> None:
        super().__init__(expected)
        self.expected = expected
        self.full = full


@dataclass(frozen=True)
class KeySpec:
    """One setting: its TOML type (for `config set` parsing), default and what is expected."""

    name: str
    kind: str  # "str" | "int" | "float" | "bool" | "list" | "table"
    default: Any
    expected: str
    help: str
    check: Callable[[Any], Any] = field(repr=False, compare=False, default=lambda v: v)
    top_level_only: bool = False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _int_range(lo: int, hi: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise _Invalid(f"an integer {lo}-{hi}")
        return value

    return check


def _positive(value: Any) -> float:
    if not _is_number(value) or value <= 0:
        raise _Invalid("a positive number")
    return float(value)


def _non_negative(value: Any) -> float:
    if not _is_number(value) or value < 0:
        raise _Invalid("a number ≥ 0")
    return float(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("true or false")
    return value


def _nonempty_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid("a non-empty string")
    return value.strip()


def _api_key(value: Any) -> str:
    if not isinstance(value, str) or any(c.isspace() for c in value.strip()):
        raise _Invalid("the key as one word (a string without spaces)")
    return value.strip()


def _key_command(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid("a command line (a string)")
    if not value.strip():
        return ""
    import shlex

    try:
        argv = shlex.split(value)
    except ValueError as exc:
        raise _Invalid(f"a command line that can be split like a shell would ({exc})") from None
    if not argv:
        raise _Invalid("a command line (a string)")
    return value.strip()


def _send_endpoint(value: Any) -> str:
    if value not in SEND_ENDPOINTS:
        raise _Invalid(" or ".join(repr(e) for e in SEND_ENDPOINTS))
    return str(value)


def _body_format(value: Any) -> str:
    if value not in BODY_FORMATS:
        raise _Invalid(" or ".join(repr(e) for e in BODY_FORMATS))
    return str(value)


def _timezone(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid("'local' or an IANA time zone name like 'Europe/Berlin'")
    name = value.strip()
    if name.lower() == "local":
        return "local"
    try:
        resolve_timezone(name)
    except ConfigError:
        raise _Invalid("'local' or an IANA time zone name like 'Europe/Berlin'") from None
    return name


def _base_url(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"an https URL like {DEFAULT_BASE_URL!r}")
    try:
        return validate_base_url(value)
    except ConfigError as exc:
        raise _Invalid("", full=exc.message.removeprefix("base_url: ")) from None


def _addresses(value: Any) -> list[str]:
    """CC/BCC defaults: a TOML list of addresses, or one comma-separated string."""
    expected = "email addresses (a list, or one comma-separated string)"
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = [part for v in value for part in v.split(",")]
    else:
        raise _Invalid(expected)
    addresses = [item.strip() for item in items if item.strip()]
    for address in addresses:
        local, at, domain = address.rpartition("@")
        if not at or not local or "." not in domain or any(c.isspace() for c in address):
            raise _Invalid(expected, full=f"{address!r} is not an email address")
    return addresses


def _keymap(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _Invalid('a table of binding = "keys" entries, like quit = "ctrl+q"')
    return value  # entries are checked one by one, so each bad one is named


def _profiles(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid("a table of named profiles, like [profiles.acme]")
    return value


def _profile_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid("the name of a profile, like 'acme'")
    return value.strip()


_SPECS: tuple[KeySpec, ...] = (
    KeySpec("api_key", "str", None, "the key as one word", "SmartLead API key.", _api_key),
    KeySpec(
        "api_key_command",
        "str",
        None,
        "a command line",
        "Command whose output is the API key (run without a shell).",
        _key_command,
    ),
    KeySpec("base_url", "str", DEFAULT_BASE_URL, "an https URL", "API base URL.", _base_url),
    KeySpec(
        "send_endpoint",
        "str",
        "send-email-thread",
        "'send-email-thread' or 'reply-email-thread'",
        "Endpoint used to send replies.",
        _send_endpoint,
    ),
    KeySpec(
        "requests_per_minute",
        "int",
        50,
        "an integer 1-1000",
        "Request budget shared by every API call.",
        _int_range(1, 1000),
    ),
    KeySpec(
        "burst_per_2s",
        "int",
        10,
        "an integer 1-100",
        "At most this many requests in any 2 seconds.",
        _int_range(1, 100),
    ),
    KeySpec(
        "poll_interval_seconds",
        "float",
        5.0,
        "a positive number",
        "First delay between status checks of a fresh reply.",
        _positive,
    ),
    KeySpec(
        "poll_backoff_cap_seconds",
        "float",
        300.0,
        "a positive number",
        "Longest delay between status checks (backoff cap).",
        _positive,
    ),
    KeySpec(
        "not_found_grace_seconds",
        "float",
        120.0,
        "a number ≥ 0",
        "How long a 404 right after queueing means 'not visible yet'.",
        _non_negative,
    ),
    KeySpec(
        "undo_seconds",
        "int",
        10,
        "an integer 0-300",
        "Undo-send window before a reply leaves (0 = send at once).",
        _int_range(0, 300),
    ),
    KeySpec(
        "timezone",
        "str",
        "local",
        "'local' or an IANA time zone name",
        "Time zone for scheduled sends.",
        _timezone,
    ),
    KeySpec("default_cc", "list", [], "email addresses", "Default CC addresses.", _addresses),
    KeySpec("default_bcc", "list", [], "email addresses", "Default BCC addresses.", _addresses),
    KeySpec(
        "add_signature",
        "bool",
        True,
        "true or false",
        "Append the sending mailbox's signature by default.",
        _bool,
    ),
    KeySpec(
        "body_format",
        "str",
        "html",
        "'html' or 'plain'",
        "Send the typed body as minimal HTML (paragraphs, line breaks, links) or as plain text.",
        _body_format,
    ),
    KeySpec(
        "notify_bell",
        "bool",
        False,
        "true or false",
        "Ring the terminal bell when a reply is delivered or fails.",
        _bool,
    ),
    KeySpec(
        "discovery_timeout_seconds",
        "float",
        1800.0,
        "a positive number",
        "How long to look for a sent reply's Message-ID in its thread.",
        _positive,
    ),
    KeySpec(
        "connect_timeout_seconds",
        "float",
        5.0,
        "a positive number",
        "Network connect timeout.",
        _positive,
    ),
    KeySpec(
        "read_timeout_seconds",
        "float",
        20.0,
        "a positive number",
        "Network read timeout.",
        _positive,
    ),
    KeySpec("theme", "str", "textual-dark", "a theme name", "Textual theme name.", _nonempty_text),
    KeySpec(
        "default_profile",
        "str",
        None,
        "the name of a profile",
        "Profile used when none is given.",
        _profile_name,
        top_level_only=True,
    ),
    KeySpec(
        "keymap",
        "table",
        {},
        'a table of binding = "keys"',
        "Key binding overrides.",
        _keymap,
        top_level_only=True,
    ),
    KeySpec(
        "profiles",
        "table",
        {},
        "a table of profiles",
        "Named SmartLead accounts.",
        _profiles,
        top_level_only=True,
    ),
)

#: Every known key, in the order settings are shown.
SCHEMA: dict[str, KeySpec] = {spec.name: spec for spec in _SPECS}
#: Keys allowed inside `[profiles.NAME]`.
PROFILE_KEYS: tuple[str, ...] = tuple(s.name for s in _SPECS if not s.top_level_only)
_CREDENTIAL_KEYS = ("api_key", "api_key_command")


def _show(key: str, value: Any) -> str:
    """A value as it may appear in a message: TOML-ish, shortened, never a secret."""
    if key.rsplit(".", 1)[-1] in SECRET_KEYS:
        return "(hidden)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    import difflib

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


@dataclass
class _Report:
    """Outcome of checking a document: clean values per scope, errors per scope, warnings."""

    top: dict[str, Any] = field(default_factory=dict)
    keymap: dict[str, str] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    top_errors: list[str] = field(default_factory=list)
    profile_errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def all_errors(self) -> list[str]:
        errors = list(self.top_errors)
        for problems in self.profile_errors.values():
            errors.extend(problems)
        return errors


def _check_value(prefix: str, spec: KeySpec, value: Any, errors: list[str]) -> Any:
    key = prefix + spec.name
    try:
        return spec.check(value)
    except _Invalid as bad:
        if bad.full is not None:
            errors.append(f"{key}: {bad.full}")
        else:
            errors.append(f"{key}: expected {bad.expected}, got {_show(key, value)}")
        return None


def _check_table(
    table: Mapping[str, Any],
    prefix: str,
    allowed: tuple[str, ...] | frozenset[str] | list[str],
    errors: list[str],
    warnings: list[str],
) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in table.items():
        key = prefix + name
        if name not in allowed:
            if prefix and name in SCHEMA:
                warnings.append(f"{key}: {name!r} can only be set at the top level (ignored)")
            else:
                warnings.append(f"unknown key {key!r} (ignored{_suggest(name, list(allowed))})")
            continue
        checked = _check_value(prefix, SCHEMA[name], value, errors)
        if checked is not None:
            clean[name] = checked
    return clean


def _effective(report: _Report, profile: str | None) -> dict[str, Any]:
    """Defaults < top level < profile. A profile with its own credentials replaces both of the
    top level's (so a top-level api_key_command can never shadow a profile's own api_key)."""
    values = {name: spec.default for name, spec in SCHEMA.items() if not spec.top_level_only}
    values.update({k: v for k, v in report.top.items() if k in values})
    if profile is not None:
        overrides = report.profiles.get(profile, {})
        if any(k in overrides for k in _CREDENTIAL_KEYS):
            values["api_key"] = None
            values["api_key_command"] = None
        values.update(overrides)
    return values


def _cross_check(values: Mapping[str, Any], prefix: str, errors: list[str]) -> None:
    cap, interval = values["poll_backoff_cap_seconds"], values["poll_interval_seconds"]
    if cap < interval:
        errors.append(
            f"{prefix}poll_backoff_cap_seconds: expected a number ≥ poll_interval_seconds "
            f"({interval:g}), got {cap:g}"
        )


def _check_document(doc: Mapping[str, Any]) -> _Report:
    report = _Report()
    top_keys = list(SCHEMA)
    report.top = _check_table(doc, "", top_keys, report.top_errors, report.warnings)

    from smartlead_tui.keymap import flatten_keymap

    for binding, keys in flatten_keymap(report.top.pop("keymap", None) or {}).items():
        if not isinstance(keys, str) or not keys.strip():
            report.top_errors.append(
                f'keymap.{binding}: expected keys like "ctrl+q", got {_show("", keys)}'
            )
        else:
            report.keymap[binding] = keys.strip()

    for name, table in (report.top.pop("profiles", None) or {}).items():
        errors = report.profile_errors.setdefault(name, [])
        if not isinstance(table, dict):
            errors.append(f"profiles.{name}: expected a table of settings, got {_show('', table)}")
            report.profiles[name] = {}
            continue
        report.profiles[name] = _check_table(
            table, f"profiles.{name}.", PROFILE_KEYS, errors, report.warnings
        )

    default = report.top.get("default_profile")
    if default is not None and default not in report.profiles:
        report.top_errors.append(
            f"default_profile: expected the name of a profile ({_profile_list(report)}), "
            f"got {default!r}"
        )

    if not report.top_errors:
        _cross_check(_effective(report, None), "", report.top_errors)
    for name, errors in report.profile_errors.items():
        if not errors and not report.top_errors:
            _cross_check(_effective(report, name), f"profiles.{name}.", errors)
    report.profile_errors = {k: v for k, v in report.profile_errors.items() if v}
    return report


def _profile_list(report: _Report) -> str:
    return "profiles: " + ", ".join(report.profiles) if report.profiles else "no profiles defined"


def check_document(doc: Mapping[str, Any], path: Path | None = None) -> list[str]:
    """Check a whole document, every profile included; return warnings, raise on any error.

    Used before writing, so nothing invalid ever reaches the disk through the app.
    """
    report = _check_document(doc)
    errors = report.all_errors()
    if errors:
        raise _errors_to_exception(errors, path)
    return report.warnings


def _errors_to_exception(errors: list[str], path: Path | None) -> ConfigError:
    where = f"{path}: " if path is not None else ""
    key = errors[0].split(":", 1)[0]
    return ConfigError(where + "; ".join(errors), path=path, key=key, problems=tuple(errors))


# --------------------------------------------------------------------------------------------
# The Settings object
# --------------------------------------------------------------------------------------------


def mask_key(key: str | None) -> str:
    """Show enough of a key to recognise it, never enough to use it: 'sk-…9c'."""
    if not key:
        return "(not set)"
    if len(key) >= 8:
        return f"{key[:3]}…{key[-2:]}"
    if len(key) >= 5:
        return f"…{key[-2:]}"
    return "…"  # too short to reveal any of it safely


def config_path(
    override: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None
) -> Path:
    """Where the config file is: `override` (--config) > SMARTLEAD_CONFIG > the platform's dir."""
    env = os.environ if env is None else env
    chosen = os.fspath(override) if override is not None else env.get(ENV_CONFIG, "")
    if chosen:
        return Path(chosen).expanduser()
    import platformdirs

    return platformdirs.user_config_path(APP_NAME, appauthor=False) / CONFIG_FILENAME


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """The outbox database lives here; created on first use, private to the user."""
    import platformdirs

    return _private_dir(platformdirs.user_data_path(APP_NAME, appauthor=False))


def state_dir() -> Path:
    """Small state that is not configuration (window sizes, last inbox position)."""
    import platformdirs

    return _private_dir(platformdirs.user_state_path(APP_NAME, appauthor=False))


def log_dir() -> Path:
    """Rotating logs (key redacted); private because they still describe the user's leads."""
    import platformdirs

    return _private_dir(platformdirs.user_log_path(APP_NAME, appauthor=False))


def _default_config_path() -> Path:
    return config_path()


@dataclass(frozen=True, repr=False)
class Settings:
    """Effective settings after file, profile and environment are combined.

    The API key is in here so the client can use it, but `repr`/`str` only ever show it masked.
    """

    api_key: str | None = field(default=None, repr=False)
    api_key_source: str = "none"  # "env" | "command" | "file" | "none"
    api_key_command: str | None = None
    base_url: str = DEFAULT_BASE_URL
    send_endpoint: str = "send-email-thread"
    requests_per_minute: int = 50
    burst_per_2s: int = 10
    poll_interval_seconds: float = 5.0
    poll_backoff_cap_seconds: float = 300.0
    not_found_grace_seconds: float = 120.0
    undo_seconds: int = 10
    timezone: str = "local"
    default_cc: str = ""
    default_bcc: str = ""
    add_signature: bool = True
    body_format: str = "html"
    notify_bell: bool = False
    discovery_timeout_seconds: float = 1800.0
    connect_timeout_seconds: float = 5.0
    read_timeout_seconds: float = 20.0
    theme: str = "textual-dark"
    keymap: dict[str, str] = field(default_factory=dict)
    profile: str | None = None
    profiles: tuple[str, ...] = ()
    config_path: Path = field(default_factory=_default_config_path)

    @property
    def masked_api_key(self) -> str:
        return mask_key(self.api_key)

    def __repr__(self) -> str:
        parts = [f"api_key={self.masked_api_key!r}"]
        for name in self.__dataclass_fields__:
            if name != "api_key":
                parts.append(f"{name}={getattr(self, name)!r}")
        return f"Settings({', '.join(parts)})"

    __str__ = __repr__


def settings_for_display(settings: Settings) -> dict[str, Any]:
    """Every setting as plain JSON-able values, the key masked: for `config show` and the
    settings screen, so both show the same thing."""
    shown: dict[str, Any] = {}
    for name in Settings.__dataclass_fields__:
        value = getattr(settings, name)
        if name == "api_key":
            value = mask_key(value)
        elif name == "config_path":
            value = str(value)
        elif name == "profiles":
            value = list(value)
        elif name == "keymap":
            value = dict(value)
        shown[name] = value
    return shown


# --------------------------------------------------------------------------------------------
# Values that need more than a type check
# --------------------------------------------------------------------------------------------


def validate_base_url(url: str, *, key: str = "base_url") -> str:
    """https only: the key travels in the query string, so plain http would leak it.

    http is allowed for loopback hosts (the sandbox server, local proxies).
    """
    from urllib.parse import urlsplit

    text = url.strip() if isinstance(url, str) else ""
    expected = f"{key}: expected an https URL like {DEFAULT_BASE_URL!r}, got {url!r}"
    try:
        parts = urlsplit(text)
        host = parts.hostname
        _ = parts.port  # raises ValueError for a bad port
    except ValueError:
        raise ConfigError(expected, key=key) from None
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(expected, key=key)
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(
            f"{key}: expected a URL without a query, fragment or user name "
            f"(the API key is added by the app), got {_show('', text)}",
            key=key,
        )
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConfigError(
            f"{key}: {text!r} must use https (plain http is allowed only for localhost)", key=key
        )
    return text.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_timezone(name: str) -> tzinfo:
    """'local' or an IANA name -> tzinfo; ConfigError when the name is unknown.

    For 'local' a real zone (DST-aware) is preferred over today's fixed offset, so a send
    scheduled across a DST change still goes at the wall-clock time the user typed.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if name.strip().lower() == "local":
        tz_env = os.environ.get("TZ", "").lstrip(":")
        if tz_env:
            try:
                return ZoneInfo(tz_env)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                pass
        elif os.name != "nt":
            try:
                with open("/etc/localtime", "rb") as fh:
                    return ZoneInfo.from_file(fh, key="localtime")
            except (OSError, ValueError):
                pass
        from datetime import datetime

        local = datetime.now().astimezone().tzinfo
        assert local is not None  # astimezone() always sets one
        return local
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ConfigError(
            f"timezone: unknown time zone {name!r}; expected 'local' or an IANA name like "
            "'Europe/Berlin'",
            key="timezone",
        ) from None


def run_api_key_command(command: str, *, timeout: float | None = None) -> str:
    """Run `api_key_command` without a shell and return the first line it prints.

    First line only, like `pass show` output, whose later lines are notes. stdin is closed so a
    command that wants to prompt fails fast instead of hanging the start-up.
    """
    import shlex
    import subprocess

    timeout = KEY_COMMAND_TIMEOUT_SECONDS if timeout is None else timeout
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise KeyCommandError(
            f"api_key_command: cannot split {command!r}: {exc}", key="api_key_command"
        ) from None
    if not argv:
        raise KeyCommandError("api_key_command is empty", key="api_key_command")
    program = argv[0]
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise KeyCommandError(
            f"api_key_command: program not found: {program!r}", key="api_key_command"
        ) from None
    except PermissionError:
        raise KeyCommandError(
            f"api_key_command: not allowed to run {program!r} (is it executable?)",
            key="api_key_command",
        ) from None
    except subprocess.TimeoutExpired:
        raise KeyCommandError(
            f"api_key_command: {program!r} did not finish within {timeout:g} s",
            key="api_key_command",
        ) from None
    except OSError as exc:
        raise KeyCommandError(
            f"api_key_command: cannot run {program!r}: {exc.strerror or exc}",
            key="api_key_command",
        ) from None
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = f": {stderr[-1][:200]}" if stderr else ""
        raise KeyCommandError(
            f"api_key_command: {program!r} failed with exit status {done.returncode}{detail}",
            key="api_key_command",
        )
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    key = lines[0].strip() if lines else ""
    if not key:
        raise KeyCommandError(
            f"api_key_command: {program!r} printed nothing (expected the API key on stdout)",
            key="api_key_command",
        )
    return key


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def parse_config_bytes(data: bytes, label: Path) -> dict[str, Any]:
    """Parse TOML bytes; ConfigError naming `label`, line and column when they are not valid."""
    import re
    import tomllib

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{label}: not valid UTF-8 text (line {line})", path=label, line=line
        ) from None
    text = text.removeprefix("\ufeff")  # a BOM from Windows editors is harmless; accept it
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raw = str(exc)
        match = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", raw)
        if match:
            line, column = int(match[1]), int(match[2])
            reason = raw[: match.start()]
        else:
            lines = text.split("\n")
            line, column = len(lines), len(lines[-1]) + 1
            reason = re.sub(r"\s*\(at end of document\)\s*$", "", raw) + " (at end of file)"
        raise ConfigError(
            f"{label}: invalid TOML at line {line}, column {column}: {reason}",
            path=label,
            line=line,
            column=column,
        ) from None


def read_config_document(path: Path) -> dict[str, Any]:
    """The raw TOML as a dict ({} when the file does not exist); never modifies the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except IsADirectoryError:
        raise ConfigIOError(f"{path}: is a directory, not a config file", path=path) from None
    except OSError as exc:
        raise ConfigIOError(f"{path}: cannot read: {exc.strerror or exc}", path=path) from None
    return parse_config_bytes(data, path)


def permission_warning(path: Path) -> str | None:
    """A config readable by others leaks the API key on shared hosts; say exactly how to fix it."""
    if os.name == "nt":
        return None
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return None
    if not mode & 0o077:
        return None
    import shlex

    what = "readable" if mode & 0o044 else "writable"
    fix = f"chmod 600 {shlex.quote(str(path))}"
    return f"{path} is {what} by other users (mode {mode:04o}); fix: {fix}"


def load_settings(
    path: Path | None = None,
    *,
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
    run_key_command: bool = True,
) -> tuple[Settings, list[str]]:
    """Combine file, profile and environment into Settings; return (settings, warnings).

    Errors in the profile that is not in use are warnings, so one client's typo does not lock
    the user out of every other account. With `run_key_command=False` a configured command is not
    run (for `config show`): api_key is then None and api_key_source is "command".
    """
    env = os.environ if env is None else env
    path = config_path(env=env) if path is None else Path(path).expanduser()
    doc = read_config_document(path)
    warnings: list[str] = []
    if path.exists():
        perm = permission_warning(path)
        if perm:
            warnings.append(perm)

    report = _check_document(doc)
    names = tuple(report.profiles)

    chosen, origin = profile or None, "--profile"
    if chosen is None and env.get(ENV_PROFILE):
        chosen, origin = env[ENV_PROFILE], ENV_PROFILE
    if chosen is None and not report.top_errors and report.top.get("default_profile"):
        chosen, origin = report.top["default_profile"], "default_profile"
    if chosen is not None and chosen not in report.profiles:
        raise ConfigError(
            f"no profile named {chosen!r} (from {origin}) in {path} ({_profile_list(report)})",
            path=path,
            key="profile",
        )

    errors = list(report.top_errors)
    for name, problems in report.profile_errors.items():
        if name == chosen:
            errors.extend(problems)
        else:
            warnings.extend(f"{p} (profile {name!r} is not in use)" for p in problems)
    if errors:
        raise _errors_to_exception(errors, path)
    warnings.extend(f"{path.name}: {w}" for w in report.warnings)

    values = _effective(report, chosen)

    env_url = env.get(ENV_BASE_URL, "").strip()
    if env_url:
        values["base_url"] = validate_base_url(env_url, key=ENV_BASE_URL)

    command = values.get("api_key_command") or None
    env_key = env.get(ENV_API_KEY, "").strip()
    api_key: str | None
    if env_key:
        api_key, source = env_key, "env"
    elif command:
        source = "command"
        api_key = run_api_key_command(command) if run_key_command else None
    elif values.get("api_key"):
        api_key, source = values["api_key"], "file"
    else:
        api_key, source = None, "none"

    if api_key:
        from smartlead_tui import redact  # keeps the key out of logs from here on

        redact.register_secret(api_key)

    settings = Settings(
        api_key=api_key,
        api_key_source=source,
        api_key_command=command,
        base_url=values["base_url"],
        send_endpoint=values["send_endpoint"],
        requests_per_minute=values["requests_per_minute"],
        burst_per_2s=values["burst_per_2s"],
        poll_interval_seconds=values["poll_interval_seconds"],
        poll_backoff_cap_seconds=values["poll_backoff_cap_seconds"],
        not_found_grace_seconds=values["not_found_grace_seconds"],
        undo_seconds=values["undo_seconds"],
        timezone=values["timezone"],
        default_cc=", ".join(values["default_cc"]),
        default_bcc=", ".join(values["default_bcc"]),
        add_signature=values["add_signature"],
        body_format=values["body_format"],
        notify_bell=values["notify_bell"],
        discovery_timeout_seconds=values["discovery_timeout_seconds"],
        connect_timeout_seconds=values["connect_timeout_seconds"],
        read_timeout_seconds=values["read_timeout_seconds"],
        theme=values["theme"],
        keymap=dict(report.keymap),
        profile=chosen,
        profiles=names,
        config_path=path,
    )
    return settings, warnings


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable; not possible (nor needed) everywhere."""
    if os.name == "nt":
        return
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(path: Path, data: bytes) -> None:
    """Temp file in the same directory, 0600 from its first byte, fsync, then os.replace."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)  # exactly 0600, whatever the umask
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


#: For other small files written the same crash-safe way (the category cache).
atomic_write = _atomic_write


def write_config_bytes(path: Path, data: bytes) -> None:
    """Write raw config bytes safely: keep the old file as .bak, replace atomically, 0600.

    A symlinked config (dotfile managers) is written through to its target, not replaced.
    Callers validate first; `config edit` uses this to keep the user's comments.
    """
    path = Path(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            previous = target.read_bytes()
        except FileNotFoundError:
            previous = None
        if previous is not None:
            _atomic_write(backup_path(target), previous)
        _atomic_write(target, data)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        where = Path(exc.filename) if exc.filename else target
        if where.parent == target.parent and where.name.startswith(f".{target.name}."):
            # Our temp file: name the file being saved, and why a temp file is needed at all.
            message = (
                f"cannot write {target}: {reason} (saving writes a temporary file in "
                f"{target.parent} first)"
            )
        else:
            message = f"cannot write {where}: {reason}"
        raise ConfigIOError(message, path=target) from None


def render_document(doc: Mapping[str, Any]) -> str:
    import tomli_w

    return _FILE_HEADER + tomli_w.dumps(dict(doc))


def write_config_document(path: Path, doc: dict[str, Any]) -> None:
    """Validate, then write; on a validation error nothing is written (ConfigError)."""
    path = Path(path)
    check_document(doc, path)
    write_config_bytes(path, render_document(doc).encode("utf-8"))


# --------------------------------------------------------------------------------------------
# `config set` / `config unset`
# --------------------------------------------------------------------------------------------


def spec_for_key(dotted_key: str) -> tuple[list[str], KeySpec | None]:
    """Split a dotted key and find its schema entry; ConfigError for keys that cannot exist.

    Returns (parts, spec); spec is None for keymap entries (free-form binding ids) and for whole
    tables (`profiles.acme`, `keymap`), which may only be unset. A binding id keeps its dots
    (`keymap.inbox.reply` → ["keymap", "inbox.reply"]): ids are spelt as the help screen shows.
    """
    parts = dotted_key.strip().split(".")
    if any(not p for p in parts):
        raise ConfigError(f"{dotted_key!r} is not a valid key", key=dotted_key)
    head = parts[0]
    if head == "keymap":
        return (parts if len(parts) == 1 else [head, ".".join(parts[1:])]), None
    if head == "profiles" and len(parts) == 2:
        return parts, None
    if head == "profiles" and len(parts) == 3:
        name = parts[2]
        if name in PROFILE_KEYS:
            return parts, SCHEMA[name]
        if name in SCHEMA:
            raise ConfigError(
                f"{dotted_key}: {name!r} can only be set at the top level", key=dotted_key
            )
        raise ConfigError(
            f"unknown setting {dotted_key!r}{_suggest(name, PROFILE_KEYS)}", key=dotted_key
        )
    if len(parts) == 1 and head in SCHEMA:
        return parts, SCHEMA[head]
    known = [s.name for s in _SPECS]
    hint = _suggest(head, known) or (
        f" (known: {', '.join(known)}; keymap.BINDING; profiles.NAME.KEY)"
    )
    raise ConfigError(f"unknown setting {dotted_key!r}{hint}", key=dotted_key)


def parse_value(dotted_key: str, spec: KeySpec | None, raw: str) -> Any:
    """Turn command-line text into the TOML type the schema wants."""
    text = raw.strip()
    kind = spec.kind if spec is not None else "str"
    expected = spec.expected if spec is not None else 'keys like "ctrl+q"'
    bad = ConfigError(
        f"{dotted_key}: expected {expected}, got {_show(dotted_key, raw)}", key=dotted_key
    )
    if kind == "table":
        raise ConfigError(
            f"{dotted_key} is a table; set its entries one by one (like keymap.quit)",
            key=dotted_key,
        )
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise bad from None
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            raise bad from None
    if kind == "bool":
        lowered = text.lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
        raise bad
    if kind == "list":
        return [item.strip() for item in text.split(",") if item.strip()]
    return text


def _container(doc: dict[str, Any], parts: list[str], *, create: bool) -> dict[str, Any] | None:
    node: Any = doc
    for depth, part in enumerate(parts[:-1]):
        if not isinstance(node, dict):
            return None
        if part not in node:
            if not create:
                return None
            node[part] = {}
        node = node[part]
        if not isinstance(node, dict):
            where = ".".join(parts[: depth + 1])
            raise ConfigError(f"{where}: expected a table, got {_show(where, node)}", key=where)
    return node if isinstance(node, dict) else None


def set_config_value(path: Path, dotted_key: str, raw_value: str) -> dict[str, Any]:
    """`config set`: type the value per schema, validate the whole file, write; return the doc.

    A broken file is reported (ConfigError with line/column) and left untouched.
    """
    path = Path(path)
    parts, spec = spec_for_key(dotted_key)
    if spec is None and (parts[0] == "profiles" or len(parts) == 1):
        raise ConfigError(
            f"{dotted_key} is a table; set its entries one by one "
            "(like profiles.NAME.api_key or keymap.quit)",
            key=dotted_key,
        )
    if parts[-1] in _CREDENTIAL_KEYS and not raw_value.strip():
        # An empty key from a slip (`echo "" | config set api_key -`) must not wipe the saved
        # one; removing it is a command of its own.
        raise ConfigError(
            f"{dotted_key}: got an empty value, nothing was changed; to remove it, run "
            f"`{APP_NAME} config unset {dotted_key}`",
            key=dotted_key,
        )
    value = parse_value(dotted_key, spec, raw_value)
    doc = read_config_document(path)
    _flatten_keymap_table(doc)
    container = _container(doc, parts, create=True)
    assert container is not None
    container[parts[-1]] = value
    write_config_document(path, doc)
    return doc


def _flatten_keymap_table(doc: dict[str, Any]) -> None:
    """Hand-written `inbox.reply = "e"` is a nested table in TOML: store every id flat."""
    from smartlead_tui.keymap import flatten_keymap

    if isinstance(doc.get("keymap"), dict):
        doc["keymap"] = flatten_keymap(doc["keymap"])


def unset_config_value(path: Path, dotted_key: str) -> bool:
    """`config unset`: remove a key (or a whole profile / the keymap); False if it was not set."""
    path = Path(path)
    parts, _spec = spec_for_key(dotted_key)
    doc = read_config_document(path)
    _flatten_keymap_table(doc)
    container = _container(doc, parts, create=False)
    if container is None or parts[-1] not in container:
        return False
    del container[parts[-1]]
    write_config_document(path, doc)
    return True


def template_text() -> str:
    """A commented starting file for `config edit` when there is no config yet."""
    import tomli_w

    lines = [
        "# smartlead-tui configuration. Uncomment and change what you need.",
        "# API key sources, highest first: SMARTLEAD_API_KEY, api_key_command, api_key.",
        "",
    ]
    for spec in _SPECS:
        if spec.kind == "table":
            continue
        lines.append(f"# {spec.help}")
        if spec.default is None:
            lines.append(f'# {spec.name} = ""')
        else:
            lines.append("# " + tomli_w.dumps({spec.name: spec.default}).strip())
    lines += [
        "",
        "# [keymap]  (binding ids as F1 shows them; or: smartlead-tui config set keymap.ID KEYS)",
        '# quit = "ctrl+q"',
        '# "inbox.reply" = "e"',
        "",
        "# [profiles.acme]",
        '# api_key_command = "pass show smartlead/acme"',
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# The settings screen: validate one field as it is typed, save many at once
# --------------------------------------------------------------------------------------------


def validate_setting(key: str, raw: str) -> Any:
    """Type and check one setting typed as text; ConfigError names the key and what is expected.

    The settings screen calls this on every keystroke, so it does no I/O.
    """
    _parts, spec = spec_for_key(key)
    if spec is None:
        raise ConfigError(f"{key} cannot be edited here", key=key)
    value = parse_value(key, spec, raw)
    errors: list[str] = []
    checked = _check_value("", spec, value, errors)
    if errors:
        raise ConfigError(errors[0], key=key)
    return checked


def save_settings_values(
    path: Path, values: Mapping[str, Any], *, profile: str | None = None
) -> dict[str, Any]:
    """Write several settings in one atomic write (one `.bak`), into the profile when given.

    A value of None removes the key, so the default (or the top level) applies again.
    """
    path = Path(path)
    doc = read_config_document(path)
    target: dict[str, Any] = doc
    if profile:
        target = doc.setdefault("profiles", {}).setdefault(profile, {})
    for key, value in values.items():
        if profile and key in TOP_LEVEL_ONLY_KEYS:
            raise ConfigError(f"{key} can only be set at the top level", key=key)
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    write_config_document(path, doc)
    return doc
