"""`smartlead-tui config …`: look at and change settings without opening the TUI.

Kept apart from cli.py so the lead's parser only needs `add_config_parser` and
`run_config_command`. Every problem is one line on `err`, prefixed "smartlead-tui: ";
exit codes: 0 ok, 2 usage or invalid value/file, 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from smartlead_tui import config
from smartlead_tui.config import ConfigError

PROG = "smartlead-tui"
_SUBCOMMANDS = ("path", "show", "set", "unset", "edit")


def add_config_parser(subparsers: Any) -> None:
    """Add `config` with its sub-commands to the top-level parser's subparsers."""
    # --config/--profile are global options of the lead's parser; accepting them here as well
    # (SUPPRESS: absent means "keep the global value") lets people type them after `config show`.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="config file to use (default: $SMARTLEAD_CONFIG or the platform config dir)",
    )
    common.add_argument(
        "--profile",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="profile to use (default: $SMARTLEAD_PROFILE or default_profile)",
    )

    parser = subparsers.add_parser(
        "config",
        parents=[common],
        help="show or change settings",
        description="Show or change smartlead-tui settings (config.toml).",
    )
    parser.set_defaults(config_command=None, config_parser=parser)
    sub = parser.add_subparsers(dest="config_command", metavar="{" + ",".join(_SUBCOMMANDS) + "}")

    sub.add_parser(
        "path",
        parents=[common],
        help="print the config file's path",
        description="Print the path of the config file (whether or not it exists yet).",
    )

    show = sub.add_parser(
        "show",
        parents=[common],
        help="show the effective settings (API key masked)",
        description="Show the settings in effect after file, profile and environment are "
        "combined. The API key is always masked. api_key_command is not run unless asked.",
    )
    show.add_argument("--json", action="store_true", help="print JSON instead of TOML-like text")
    show.add_argument(
        "--run-key-command",
        action="store_true",
        help="run api_key_command to check that it works (the key is still masked)",
    )

    set_ = sub.add_parser(
        "set",
        parents=[common],
        help="set one value (config set profiles.acme.undo_seconds 5)",
        description="Set one value. Dotted keys reach into tables (profiles.acme.api_key, "
        "keymap.quit). Values are typed by the schema: integers, numbers, true/false, and "
        "comma-separated lists. Use VALUE '-' to read it from stdin (keeps a key out of your "
        "shell history and the process list).",
    )
    set_.add_argument("key", metavar="KEY")
    set_.add_argument("value", metavar="VALUE")

    unset = sub.add_parser(
        "unset",
        parents=[common],
        help="remove a value (back to its default)",
        description="Remove one key, a whole profile (profiles.NAME) or the keymap.",
    )
    unset.add_argument("key", metavar="KEY")

    sub.add_parser(
        "edit",
        parents=[common],
        help="open the config file in $VISUAL / $EDITOR",
        description="Edit a copy of the config file in $VISUAL or $EDITOR (else nano or vi); "
        "it replaces the real file only once it is valid.",
    )


def run_config_command(
    args: argparse.Namespace, *, out: TextIO, err: TextIO, stdin: TextIO | None = None
) -> int:
    """Run `config <sub-command>`; return the process exit code."""
    command = getattr(args, "config_command", None)
    stdin = sys.stdin if stdin is None else stdin
    try:
        path = config.config_path(getattr(args, "config", None) or None)
        if command == "path":
            out.write(f"{path}\n")
            return 0
        if command == "show":
            return _show(args, path, out, err)
        if command == "set":
            return _set(args, path, out, err, stdin)
        if command == "unset":
            return _unset(args, path, out, err)
        if command == "edit":
            return _edit(path, out, err, stdin)
    except ConfigError as exc:
        _error(err, str(exc))
        if getattr(args, "json", False):  # `show --json`: every outcome is JSON on stdout
            problems = list(exc.problems)
            outcome = "invalid" if exc.exit_code == 2 else "failed"
            record = {"outcome": outcome, "error": str(exc), "problems": problems}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return exc.exit_code
    except KeyboardInterrupt:
        _error(err, "interrupted")
        return 130
    parser = getattr(args, "config_parser", None)
    if parser is not None:
        parser.print_usage(err)
    _error(err, f"config: choose one of: {', '.join(_SUBCOMMANDS)}")
    return 2


def _error(err: TextIO, message: str) -> None:
    err.write(f"{PROG}: {message}\n")


def _warn(err: TextIO, warnings: list[str]) -> None:
    for warning in warnings:
        err.write(f"{PROG}: warning: {warning}\n")


# --- show -------------------------------------------------------------------------------------

_SOURCE_NOTES = {
    "env": f"from {config.ENV_API_KEY}",
    "command": "from api_key_command",
    "file": "from the config file",
    "none": "not set",
}


def _toml_value(value: Any) -> str:
    """One-line TOML for a value (json strings are valid TOML basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def _toml_key(key: str) -> str:
    bare = key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
    return key if bare else json.dumps(key)


def _show(args: argparse.Namespace, path: Path, out: TextIO, err: TextIO) -> int:
    settings, warnings = config.load_settings(
        path,
        profile=getattr(args, "profile", None),
        run_key_command=bool(getattr(args, "run_key_command", False)),
    )
    _warn(err, warnings)
    shown = config.settings_for_display(settings)
    if settings.api_key_source == "command" and settings.api_key is None:
        shown["api_key"] = "(from api_key_command, not run; add --run-key-command to check it)"
    exists = path.exists()

    if getattr(args, "json", False):
        shown["config_exists"] = exists
        shown["warnings"] = warnings
        out.write(json.dumps(shown, indent=2, ensure_ascii=False) + "\n")
        return 0

    state = "" if exists else " (file does not exist yet: defaults)"
    out.write(f"# config file: {path}{state}\n")
    if settings.profiles:
        active = settings.profile or "(none: top level)"
        out.write(f"# profile: {active}; profiles: {', '.join(settings.profiles)}\n")
    lines: list[str] = []
    for name, value in shown.items():
        if name in ("api_key_source", "profile", "profiles", "config_path", "keymap"):
            continue
        if value is None:
            lines.append(f"# {name} = (not set)")
            continue
        text = f"{name} = {_toml_value(value)}"
        if name == "api_key":
            text += f"  # {_SOURCE_NOTES.get(settings.api_key_source, '')}"
        elif name == "base_url" and os.environ.get(config.ENV_BASE_URL, "").strip():
            text += f"  # from {config.ENV_BASE_URL}"
        lines.append(text)
    if settings.keymap:
        lines += ["", "[keymap]"]
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in settings.keymap.items()]
    out.write("\n".join(lines) + "\n")
    return 0


# --- set / unset ------------------------------------------------------------------------------


def _read_secret_value(key: str, stdin: TextIO) -> str:
    """VALUE '-': a prompt without echo on a terminal, else the first line of stdin."""
    if stdin.isatty():
        import getpass

        return getpass.getpass(f"{key}: ")
    return stdin.readline().rstrip("\r\n")


def _display(key: str, value: Any) -> str:
    if key.rsplit(".", 1)[-1] in config.SECRET_KEYS:
        return f'"{config.mask_key(value)}"'
    return _toml_value(value)


def _set(args: argparse.Namespace, path: Path, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    key, raw = args.key.strip(), args.value
    parts, _spec = config.spec_for_key(key)
    if parts[0] == "keymap" and len(parts) == 2:
        _check_binding_id(parts[1])
    if raw == "-":
        raw = _read_secret_value(key, stdin)
    if parts[0] == "keymap" and len(parts) == 2:
        from smartlead_tui.tui.binding_ids import keymap_problems

        for problem in keymap_problems({parts[1]: raw.strip()}):
            raise ConfigError(problem, key=key)
    mode_before = _mode(path)
    doc = config.set_config_value(path, key, raw)
    node: Any = doc
    for part in parts:
        node = node[part]
    out.write(f"{key} = {_display(key, node)}  ({path})\n")
    _warn(err, config.check_document(doc, path))
    _notes(err, path, parts, doc, mode_before)
    return 0


def _check_binding_id(binding: str) -> None:
    """A keymap entry for an id no binding has would be saved and silently do nothing."""
    from smartlead_tui.keymap import unknown_id_message
    from smartlead_tui.tui.binding_ids import known_binding_ids

    known = known_binding_ids()
    if binding not in known:
        raise ConfigError(unknown_id_message(binding, known), key=f"keymap.{binding}")


def _unset(args: argparse.Namespace, path: Path, out: TextIO, err: TextIO) -> int:
    key = args.key.strip()
    mode_before = _mode(path)
    if not config.unset_config_value(path, key):
        out.write(f"{key} was not set in {path}\n")
        return 0
    out.write(f"removed {key} ({path})\n")
    _notes(err, path, key.split("."), config.read_config_document(path), mode_before)
    return 0


def _mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return None


def _notes(
    err: TextIO, path: Path, parts: list[str], doc: dict[str, Any], mode_before: int | None
) -> None:
    """Tell the user when what they just set will not be what the app uses."""
    name = parts[-1]
    scope = doc if len(parts) == 1 else doc.get("profiles", {}).get(parts[1], {})
    if name in ("api_key", "api_key_command") and os.environ.get(config.ENV_API_KEY, "").strip():
        err.write(f"{PROG}: note: {config.ENV_API_KEY} is set and takes precedence\n")
    elif name == "api_key" and isinstance(scope, dict) and scope.get("api_key_command"):
        err.write(f"{PROG}: note: api_key_command is also set here and takes precedence\n")
    if name == "base_url" and os.environ.get(config.ENV_BASE_URL, "").strip():
        err.write(f"{PROG}: note: {config.ENV_BASE_URL} is set and takes precedence\n")
    if mode_before is not None and mode_before & 0o077 and os.name != "nt":
        err.write(f"{PROG}: note: permissions of {path} tightened to 0600\n")


# --- edit -------------------------------------------------------------------------------------


def _editor_command() -> list[str] | None:
    import shlex
    import shutil

    for variable in ("VISUAL", "EDITOR"):
        value = os.environ.get(variable, "").strip()
        if value:
            try:
                argv = shlex.split(value)
            except ValueError:
                argv = [value]
            if argv:
                return argv
    for fallback in ("nano", "vi"):
        found = shutil.which(fallback)
        if found:
            return [found]
    return None


def _ask_again(err: TextIO, stdin: TextIO) -> bool:
    err.write("Edit again? [Y/n] ")
    err.flush()
    answer = stdin.readline()
    if not answer:  # EOF
        err.write("\n")
        return False
    return answer.strip().lower() in ("", "y", "yes")


def _edit(path: Path, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    """Edit a private copy; only a valid result replaces the real file (atomically, 0600, .bak).

    Editing a copy means a half-finished edit never breaks the app, and editors that save by
    creating a new file cannot leave the real config world-readable.
    """
    import subprocess

    editor = _editor_command()
    if editor is None:
        _error(err, "no editor found: set $VISUAL or $EDITOR")
        return 1
    try:
        original: bytes | None = path.read_bytes()
    except FileNotFoundError:
        original = None
    except OSError as exc:
        _error(err, f"cannot read {path}: {exc.strerror or exc}")
        return 1
    start = original if original is not None else config.template_text().encode("utf-8")

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        copy = path.with_name(f".{path.stem}.edit-{os.getpid()}{path.suffix or '.toml'}")
        fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(start)
    except OSError as exc:
        _error(err, f"cannot create an editing copy next to {path}: {exc.strerror or exc}")
        return 1

    def keep_copy_note() -> None:
        err.write(f"{PROG}: {path} was not changed; your edits are kept in {copy}\n")

    def finish(edited: bytes | None) -> None:
        """Drop the copy when it holds nothing new; otherwise say where it is."""
        if edited is None or edited == start:
            copy.unlink(missing_ok=True)
        else:
            keep_copy_note()

    edited: bytes | None = None
    try:
        while True:
            try:
                status = subprocess.run([*editor, str(copy)], check=False).returncode
            except OSError as exc:
                _error(err, f"cannot run editor {editor[0]!r}: {exc.strerror or exc}")
                finish(edited)
                return 1
            try:
                edited = copy.read_bytes()
            except OSError as exc:
                _error(err, f"cannot read the edited copy {copy}: {exc.strerror or exc}")
                return 1
            if status != 0:
                _error(err, f"editor {editor[0]!r} exited with status {status}")
                finish(edited)
                return 1
            if edited == start:
                finish(edited)
                out.write(f"no changes ({path})\n")
                return 0
            try:
                doc = config.parse_config_bytes(edited, path)
                warnings = config.check_document(doc, path)
            except ConfigError as exc:
                _error(err, str(exc))
                if stdin.isatty() and _ask_again(err, stdin):
                    continue
                finish(edited)
                return 2
            try:
                config.write_config_bytes(path, edited)
            except ConfigError as exc:
                _error(err, str(exc))
                finish(edited)
                return exc.exit_code
            copy.unlink(missing_ok=True)
            _warn(err, warnings)
            out.write(f"saved {path}\n")
            return 0
    except KeyboardInterrupt:
        finish(edited)
        raise
