"""Config: location, schema, key sources, profiles, safe writes and the `config` subcommand."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shlex
import stat
import sys
import tomllib
from datetime import tzinfo
from pathlib import Path

import pytest

from smartlead_tui import config
from smartlead_tui.config import (
    DEFAULT_BASE_URL,
    SCHEMA,
    ConfigError,
    KeyCommandError,
    Settings,
    check_document,
    config_path,
    load_settings,
    mask_key,
    read_config_document,
    resolve_timezone,
    set_config_value,
    unset_config_value,
    validate_base_url,
    write_config_document,
)
from smartlead_tui.config_cli import add_config_parser, run_config_command
from tests.import_check import loaded_by

REPO = Path(__file__).resolve().parents[2]
POSIX = os.name != "nt"
posix_only = pytest.mark.skipif(not POSIX, reason="POSIX file modes")

KEY = "sk-live-0123456789abcdef9c"
PY = shlex.quote(sys.executable)


def key_command(code: str) -> str:
    """An api_key_command line that runs `code` with this Python."""
    return f"{PY} -c {shlex.quote(code)}"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Each test gets an empty XDG config home and no SMARTLEAD_* / editor variables."""
    for name in list(os.environ):
        if name.startswith("SMARTLEAD_") or name in ("VISUAL", "EDITOR"):
            monkeypatch.delenv(name, raising=False)
    xdg = tmp_path / "xdg"
    xdg.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return xdg


@pytest.fixture
def cfg(clean_env: Path) -> Path:
    return clean_env / "smartlead-tui" / "config.toml"


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if POSIX:
        path.chmod(mode)
    return path


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def make_parser() -> argparse.ArgumentParser:
    """The lead's top-level parser, as far as `config` needs it."""
    parser = argparse.ArgumentParser(prog="smartlead-tui")
    parser.add_argument("--config")
    parser.add_argument("--profile")
    add_config_parser(parser.add_subparsers(dest="command"))
    return parser


def run(*argv: str, stdin: io.StringIO | None = None) -> tuple[int, str, str]:
    args = make_parser().parse_args(list(argv))
    out, err = io.StringIO(), io.StringIO()
    code = run_config_command(args, out=out, err=err, stdin=stdin or io.StringIO())
    return code, out.getvalue(), err.getvalue()


class TtyInput(io.StringIO):
    def isatty(self) -> bool:
        return True


# --- location -----------------------------------------------------------------------------------


def test_config_path_honours_xdg(clean_env: Path) -> None:
    assert config_path() == clean_env / "smartlead-tui" / "config.toml"


def test_config_path_env_and_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SMARTLEAD_CONFIG", str(tmp_path / "env.toml"))
    assert config_path() == tmp_path / "env.toml"
    assert config_path(tmp_path / "arg.toml") == tmp_path / "arg.toml"
    assert config_path(env={}) != tmp_path / "env.toml"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config_path("~/x.toml") == tmp_path / "x.toml"


def test_cli_path(cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("config", "path") == (0, f"{cfg}\n", "")
    assert run("--config", str(tmp_path / "a.toml"), "config", "path")[1] == f"{tmp_path}/a.toml\n"
    # also accepted after the sub-command, and overrides the env variable
    monkeypatch.setenv("SMARTLEAD_CONFIG", str(tmp_path / "env.toml"))
    assert run("config", "path")[1] == f"{tmp_path}/env.toml\n"
    assert run("config", "path", "--config", str(tmp_path / "b.toml"))[1] == f"{tmp_path}/b.toml\n"
    assert not cfg.exists()


@posix_only
def test_data_state_log_dirs_are_private(tmp_path: Path) -> None:
    data = config.data_dir()
    assert data == tmp_path / "data" / "smartlead-tui"
    assert mode_of(data) & 0o077 == 0
    assert config.state_dir().is_dir()
    assert config.log_dir().is_dir()


# --- masking ------------------------------------------------------------------------------------


def test_mask_key() -> None:
    assert mask_key("sk-abcdefgh12349c") == "sk-…9c"
    assert mask_key("abcdefgh") == "abc…gh"
    assert mask_key("abc1234") == "…34"
    assert mask_key("abcd") == "…"
    assert mask_key("X") == "…"
    assert mask_key("") == "(not set)"
    assert mask_key(None) == "(not set)"


def test_settings_repr_never_shows_key() -> None:
    settings = Settings(api_key=KEY, config_path=Path("/x/config.toml"))
    for text in (repr(settings), str(settings), f"{settings}", str([settings])):
        assert KEY not in text
        assert "sk-…9c" in text
    assert settings.masked_api_key == "sk-…9c"
    shown = config.settings_for_display(settings)
    assert shown["api_key"] == "sk-…9c"
    assert KEY not in json.dumps(shown)


def test_settings_defaults_match_schema() -> None:
    defaults = Settings(config_path=Path("c.toml"))
    for name, spec in SCHEMA.items():
        if spec.top_level_only:
            continue
        value = getattr(defaults, name)
        if spec.kind == "list":
            assert value == ", ".join(spec.default)
        else:
            assert value == spec.default, name


def test_config_module_stays_import_light() -> None:
    heavy = {"textual", "httpx", "tomli_w", "platformdirs"}
    assert loaded_by(["smartlead_tui.config"], heavy) == []


# --- the "must show" --------------------------------------------------------------------


@posix_only
def test_must_show_set_creates_private_valid_file_and_show_masks(cfg: Path) -> None:
    assert run("config", "set", "api_key", "X")[0] == 0
    assert cfg.is_file()
    assert mode_of(cfg) == 0o600
    assert mode_of(cfg.parent) & 0o077 == 0
    assert tomllib.loads(cfg.read_text())["api_key"] == "X"

    code, out, err = run("config", "show")
    assert code == 0, err
    assert 'api_key = "…"' in out
    assert '"X"' not in out

    assert run("config", "set", "api_key", KEY)[0] == 0
    code, out, _ = run("config", "show")
    assert 'api_key = "sk-…9c"' in out
    assert KEY not in out
    code, out, _ = run("config", "show", "--json")
    data = json.loads(out)
    assert data["api_key"] == "sk-…9c"
    assert data["api_key_source"] == "file"
    assert KEY not in out


def test_set_output_masks_key(cfg: Path) -> None:
    code, out, err = run("config", "set", "api_key", KEY)
    assert code == 0
    assert KEY not in out + err
    assert "sk-…9c" in out


def test_set_value_from_stdin(cfg: Path) -> None:
    code, out, _ = run("config", "set", "api_key", "-", stdin=io.StringIO(KEY + "\n"))
    assert code == 0
    assert read_config_document(cfg)["api_key"] == KEY
    assert KEY not in out


@pytest.mark.parametrize("key", ["api_key", "profiles.acme.api_key", "api_key_command"])
@pytest.mark.parametrize("given", ["\n", "   \n", ""])
def test_set_refuses_an_empty_key_and_points_to_unset(cfg: Path, key: str, given: str) -> None:
    """`echo "" | config set api_key -` used to wipe the saved key and exit 0."""
    set_config_value(cfg, key, "pass show smartlead" if key.endswith("command") else KEY)
    before = cfg.read_bytes()
    code, out, err = run("config", "set", key, "-", stdin=io.StringIO(given))
    assert code == 2 and out == ""
    assert f"{key}: got an empty value, nothing was changed" in err
    assert f"`smartlead-tui config unset {key}`" in err
    assert cfg.read_bytes() == before
    # The way to remove it works.
    assert run("config", "unset", key) == (0, f"removed {key} ({cfg})\n", "")
    settings, _ = load_settings(profile="acme" if key.startswith("profiles") else None)
    assert settings.api_key is None


# --- safe writes --------------------------------------------------------------------------------


@posix_only
def test_backup_kept_and_private(cfg: Path) -> None:
    set_config_value(cfg, "undo_seconds", "5")
    first = cfg.read_bytes()
    set_config_value(cfg, "undo_seconds", "7")
    bak = cfg.with_name("config.toml.bak")
    assert bak.read_bytes() == first
    assert mode_of(bak) == 0o600
    assert mode_of(cfg) == 0o600
    assert read_config_document(cfg)["undo_seconds"] == 7
    leftovers = [p.name for p in cfg.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


@posix_only
def test_write_fixes_group_readable_file(cfg: Path) -> None:
    write(cfg, f'api_key = "{KEY}"\n', mode=0o644)
    code, _, err = run("config", "set", "undo_seconds", "3")
    assert code == 0
    assert mode_of(cfg) == 0o600
    assert mode_of(cfg.with_name("config.toml.bak")) == 0o600
    assert "tightened to 0600" in err


@posix_only
def test_written_mode_ignores_umask(cfg: Path) -> None:
    old = os.umask(0)
    try:
        set_config_value(cfg, "theme", "nord")
    finally:
        os.umask(old)
    assert mode_of(cfg) == 0o600


def test_invalid_document_is_not_written(cfg: Path) -> None:
    with pytest.raises(ConfigError, match="undo_seconds: expected an integer 0-300, got 999"):
        write_config_document(cfg, {"undo_seconds": 999})
    assert not cfg.exists()
    set_config_value(cfg, "undo_seconds", "5")
    before = cfg.read_bytes()
    with pytest.raises(ConfigError):
        write_config_document(cfg, {"undo_seconds": -1})
    assert cfg.read_bytes() == before
    assert not cfg.with_name("config.toml.bak").exists()


@posix_only
def test_symlinked_config_is_written_through(tmp_path: Path, cfg: Path) -> None:
    real = write(tmp_path / "dotfiles" / "smartlead.toml", "undo_seconds = 1\n")
    cfg.parent.mkdir(parents=True)
    cfg.symlink_to(real)
    set_config_value(cfg, "undo_seconds", "2")
    assert cfg.is_symlink()
    assert read_config_document(real)["undo_seconds"] == 2
    assert (tmp_path / "dotfiles" / "smartlead.toml.bak").read_text() == "undo_seconds = 1\n"


def test_write_error_is_reported_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    target = blocker / "config.toml"
    with pytest.raises(config.ConfigIOError, match=f"^cannot write {blocker}: ") as info:
        write_config_document(target, {"theme": "nord"})
    assert info.value.exit_code == 1
    code, _, err = run("--config", str(target), "config", "set", "theme", "nord")
    assert code == 1
    assert err.startswith(f"smartlead-tui: {target}: cannot read: ")
    assert err.count("\n") == 1


# --- bad config never crashes -------------------------------------------------------------------


def test_broken_toml_reports_line_column_and_is_untouched(cfg: Path) -> None:
    broken = b'api_key = "abc"\nundo_seconds = \n[profiles.acme\n'
    cfg.parent.mkdir(parents=True)
    cfg.write_bytes(broken)

    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert str(cfg) in message
    assert "line 2, column 16" in message
    assert "\n" not in message
    assert (info.value.line, info.value.column) == (2, 16)

    with pytest.raises(ConfigError, match="line 2, column 16"):
        set_config_value(cfg, "undo_seconds", "5")

    for argv in (("show",), ("set", "theme", "nord"), ("unset", "theme"), ("set", "api_key", "x")):
        code, out, err = run("config", *argv)
        assert code == 2, argv
        assert out == ""
        assert err == f"smartlead-tui: {cfg}: invalid TOML at line 2, column 16: Invalid value\n"
    assert cfg.read_bytes() == broken
    assert not cfg.with_name("config.toml.bak").exists()


def test_toml_error_at_end_of_file_still_has_line_and_column(cfg: Path) -> None:
    write(cfg, "theme = [\n")
    with pytest.raises(ConfigError, match=r"line 2, column 1\b"):
        load_settings()


def test_non_utf8_file(cfg: Path) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_bytes(b'theme = "nord"\ntheme2 = "\xff"\n')
    with pytest.raises(ConfigError, match=r"not valid UTF-8 text \(line 2\)"):
        load_settings()


def test_bom_is_accepted(cfg: Path) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_bytes('\ufefftheme = "nord"\n'.encode())
    assert load_settings()[0].theme == "nord"


def test_missing_file_gives_defaults_without_warnings(cfg: Path) -> None:
    settings, warnings = load_settings()
    assert warnings == []
    assert settings.api_key is None
    assert settings.api_key_source == "none"
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.config_path == cfg
    assert settings.profile is None
    assert settings.profiles == ()


def test_unknown_keys_are_named_warnings(cfg: Path) -> None:
    write(
        cfg,
        "pol_interval_seconds = 3\ncolour = 'red'\n[profiles.acme]\nundo_secs = 1\n"
        "theme = 'nord'\nkeymap = {}\n",
    )
    settings, warnings = load_settings()
    text = "\n".join(warnings)
    assert "unknown key 'pol_interval_seconds'" in text
    assert "did you mean 'poll_interval_seconds'" in text
    assert "unknown key 'colour'" in text
    assert "unknown key 'profiles.acme.undo_secs'" in text
    assert "profiles.acme.keymap: 'keymap' can only be set at the top level" in text
    assert "theme" not in text  # theme may be set per profile
    assert settings.poll_interval_seconds == 5.0
    code, _, err = run("config", "show")
    assert code == 0
    assert "smartlead-tui: warning: config.toml: unknown key 'colour'" in err


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("poll_interval_seconds = -5", "poll_interval_seconds: expected a positive number, got -5"),
        (
            "send_endpoint = 'foo'",
            "send_endpoint: expected 'send-email-thread' or 'reply-email-thread', got 'foo'",
        ),
        ("undo_seconds = 'ten'", "undo_seconds: expected an integer 0-300, got 'ten'"),
        ("undo_seconds = true", "undo_seconds: expected an integer 0-300, got true"),
        ("undo_seconds = 301", "undo_seconds: expected an integer 0-300, got 301"),
        ("requests_per_minute = 0", "requests_per_minute: expected an integer 1-1000, got 0"),
        ("poll_interval_seconds = nan", "poll_interval_seconds: expected a positive number"),
        ("not_found_grace_seconds = -1", "not_found_grace_seconds: expected a number ≥ 0, got -1"),
        ("add_signature = 'yes'", "add_signature: expected true or false, got 'yes'"),
        (
            "base_url = 'http://example.com'",
            "base_url: 'http://example.com' must use https "
            "(plain http is allowed only for localhost)",
        ),
        ("base_url = 'not a url'", "base_url: expected an https URL like"),
        ("timezone = 'Mars/Olympus'", "timezone: expected 'local' or an IANA time zone name"),
        ("default_cc = 'bob'", "default_cc: 'bob' is not an email address"),
        ("theme = ''", "theme: expected a non-empty string, got ''"),
        ("keymap = 'x'", "keymap: expected a table"),
        ("[keymap]\nquit = 5", 'keymap.quit: expected keys like "ctrl+q", got 5'),
        ("profiles = 3", "profiles: expected a table of named profiles"),
        ("default_profile = 'nope'", "default_profile: expected the name of a profile"),
        (
            "poll_interval_seconds = 60\npoll_backoff_cap_seconds = 30",
            "poll_backoff_cap_seconds: expected a number ≥ poll_interval_seconds (60), got 30",
        ),
        (
            "api_key = 42",
            "api_key: expected the key as one word (a string without spaces), got (hidden)",
        ),
        ("api_key_command = 'pass \"unclosed'", "api_key_command: expected a command line"),
    ],
)
def test_wrong_values_name_key_and_expectation(cfg: Path, toml: str, message: str) -> None:
    write(cfg, toml + "\n")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert message in str(info.value)
    assert str(cfg) in str(info.value)
    assert "\n" not in str(info.value)
    assert info.value.exit_code == 2
    code, _, err = run("config", "show")
    assert code == 2
    assert message in err


def test_all_problems_are_reported_together(cfg: Path) -> None:
    write(cfg, "undo_seconds = -1\ntheme = 3\n")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert len(info.value.problems) == 2
    assert "undo_seconds" in str(info.value)
    assert "theme" in str(info.value)


def test_secret_value_never_echoed_in_errors(cfg: Path) -> None:
    write(cfg, f'api_key = "{KEY} with spaces"\n')
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert KEY not in str(info.value)


# --- validate_base_url / resolve_timezone -------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://server.smartlead.ai/api/v1/", "https://server.smartlead.ai/api/v1"),
        ("  https://x.example/api  ", "https://x.example/api"),
        ("http://localhost:8765/api/v1", "http://localhost:8765/api/v1"),
        ("http://127.0.0.1:9/api/v1", "http://127.0.0.1:9/api/v1"),
        ("http://127.3.2.1/", "http://127.3.2.1"),
        ("http://[::1]:8080/api", "http://[::1]:8080/api"),
    ],
)
def test_validate_base_url_accepts(url: str, expected: str) -> None:
    assert validate_base_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "http://10.0.0.1/api",
        "http://localhost.example.com",
        "ftp://server.smartlead.ai",
        "server.smartlead.ai/api/v1",
        "https://",
        "https://x.example/api?api_key=1",
        "https://user:pw@x.example",
        "https://x.example:99999",
    ],
)
def test_validate_base_url_rejects(url: str) -> None:
    with pytest.raises(ConfigError, match=r"^base_url: "):
        validate_base_url(url)


def test_validate_base_url_exact_message() -> None:
    with pytest.raises(ConfigError) as info:
        validate_base_url("http://example.com")
    assert str(info.value) == (
        "base_url: 'http://example.com' must use https (plain http is allowed only for localhost)"
    )


def test_resolve_timezone() -> None:
    assert isinstance(resolve_timezone("local"), tzinfo)
    assert str(resolve_timezone("Europe/Berlin")) == "Europe/Berlin"
    with pytest.raises(ConfigError, match="timezone: unknown time zone 'Nowhere/City'"):
        resolve_timezone("Nowhere/City")
    with pytest.raises(ConfigError):
        resolve_timezone("../../etc/passwd")


def test_timezone_setting(cfg: Path) -> None:
    write(cfg, "timezone = 'America/New_York'\n")
    assert load_settings()[0].timezone == "America/New_York"
    write(cfg, "timezone = 'LOCAL'\n")
    assert load_settings()[0].timezone == "local"


# --- environment and key sources ----------------------------------------------------------------


def test_env_key_overrides_file_and_command(cfg: Path) -> None:
    # The command would fail if run: the env key must win without running it.
    write(
        cfg,
        'api_key = "file-key-123"\n'
        f"api_key_command = {json.dumps(key_command('raise SystemExit(3)'))}\n",
    )
    settings, _ = load_settings(env={"SMARTLEAD_API_KEY": " env-key-456 \n"})
    assert settings.api_key == "env-key-456"
    assert settings.api_key_source == "env"


def test_file_key(cfg: Path) -> None:
    write(cfg, 'api_key = "file-key-123"\n')
    settings, _ = load_settings(env={})
    assert (settings.api_key, settings.api_key_source) == ("file-key-123", "file")


def test_env_arguments_default_to_os_environ(cfg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(cfg, 'api_key = "file-key-123"\n')
    monkeypatch.setenv("SMARTLEAD_API_KEY", "env-key-789")
    monkeypatch.setenv("SMARTLEAD_BASE_URL", "http://127.0.0.1:8000/api/v1/")
    settings, _ = load_settings()
    assert settings.api_key == "env-key-789"
    assert settings.base_url == "http://127.0.0.1:8000/api/v1"
    _, out, err = run("config", "show")
    assert "# from SMARTLEAD_API_KEY" in out
    assert "env-key-789" not in out + err


def test_env_base_url_is_validated(cfg: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"SMARTLEAD_BASE_URL: 'http://evil\.example' must use https"
    ):
        load_settings(env={"SMARTLEAD_BASE_URL": "http://evil.example"})


def test_empty_env_values_are_ignored(cfg: Path) -> None:
    write(cfg, 'api_key = "file-key-123"\n')
    settings, _ = load_settings(env={"SMARTLEAD_API_KEY": "", "SMARTLEAD_PROFILE": ""})
    assert settings.api_key_source == "file"
    assert settings.profile is None


def test_api_key_command_works(cfg: Path) -> None:
    command = key_command("print('k-from-cmd'); print('second line is a note')")
    write(cfg, f'api_key = "file-key-123"\napi_key_command = {json.dumps(command)}\n')
    settings, _ = load_settings(env={})
    assert settings.api_key == "k-from-cmd"
    assert settings.api_key_source == "command"
    assert settings.api_key_command == command


def test_api_key_command_not_run_for_show(cfg: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    command = key_command(f"open({str(marker)!r}, 'w'); print('k-from-' + 'cmd')")
    write(cfg, f"api_key_command = {json.dumps(command)}\n")
    settings, _ = load_settings(env={}, run_key_command=False)
    assert settings.api_key is None
    assert settings.api_key_source == "command"
    code, out, _ = run("config", "show")
    assert code == 0
    assert "not run" in out
    assert not marker.exists()
    code, out, _ = run("config", "show", "--run-key-command")
    assert code == 0
    assert 'api_key = "k-f…md"' in out
    assert "k-from-cmd" not in out
    assert marker.exists()


def test_api_key_command_failure_is_clear(cfg: Path) -> None:
    command = key_command("import sys; sys.stderr.write('vault is locked\\n'); sys.exit(3)")
    write(cfg, f"api_key_command = {json.dumps(command)}\n")
    with pytest.raises(KeyCommandError) as info:
        load_settings(env={})
    message = str(info.value)
    assert message.startswith("api_key_command: ")
    assert "exit status 3" in message
    assert "vault is locked" in message
    assert isinstance(info.value, ConfigError)
    code, _, err = run("config", "show", "--run-key-command")
    assert code == 1
    assert "exit status 3" in err


def test_api_key_command_timeout(cfg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "KEY_COMMAND_TIMEOUT_SECONDS", 0.5)
    write(cfg, f"api_key_command = {json.dumps(key_command('import time; time.sleep(30)'))}\n")
    with pytest.raises(KeyCommandError, match=r"did not finish within 0.5 s"):
        load_settings(env={})


def test_api_key_command_not_found_and_empty(cfg: Path) -> None:
    write(cfg, "api_key_command = 'definitely-not-a-program-xyz --flag'\n")
    with pytest.raises(KeyCommandError, match="program not found: 'definitely-not-a-program-xyz'"):
        load_settings(env={})
    write(cfg, f"api_key_command = {json.dumps(key_command('pass'))}\n")
    with pytest.raises(KeyCommandError, match="printed nothing"):
        load_settings(env={})


def test_api_key_command_runs_without_shell(tmp_path: Path) -> None:
    # Shell syntax reaches the program as plain arguments.
    command = key_command("import sys; print(sys.argv[1])") + " '$HOME;echo'"
    assert config.run_api_key_command(command) == "$HOME;echo"


def test_api_key_command_stdin_is_closed() -> None:
    command = key_command("import sys; print(repr(sys.stdin.read()) + 'k')")
    assert config.run_api_key_command(command, timeout=10) == "''k"


# --- permissions --------------------------------------------------------------------------------


@posix_only
def test_group_readable_config_warns_with_exact_chmod(cfg: Path) -> None:
    write(cfg, 'theme = "nord"\n', mode=0o640)
    _, warnings = load_settings()
    assert warnings == [
        f"{cfg} is readable by other users (mode 0640); fix: chmod 600 {shlex.quote(str(cfg))}"
    ]
    code, _, err = run("config", "show")
    assert code == 0
    assert f"fix: chmod 600 {cfg}" in err
    assert mode_of(cfg) == 0o640  # reading never changes the file


@posix_only
def test_chmod_fix_quotes_awkward_paths(tmp_path: Path) -> None:
    path = write(tmp_path / "my dir" / "config.toml", "", mode=0o604)
    _, warnings = load_settings(path)
    assert f"chmod 600 '{path}'" in warnings[0]


@posix_only
def test_private_config_has_no_warning(cfg: Path) -> None:
    write(cfg, 'theme = "nord"\n', mode=0o600)
    assert load_settings()[1] == []


# --- profiles -----------------------------------------------------------------------------------

PROFILES = """\
api_key = "top-key-0001"
undo_seconds = 10
theme = "textual-dark"

[profiles.acme]
api_key = "acme-key-0002"
undo_seconds = 3
timezone = "America/New_York"

[profiles.beta]
send_endpoint = "reply-email-thread"
theme = "nord"
"""


def test_profile_by_argument_env_and_default(cfg: Path) -> None:
    write(cfg, PROFILES)
    top, _ = load_settings(env={})
    assert (top.profile, top.api_key, top.undo_seconds) == (None, "top-key-0001", 10)
    assert top.profiles == ("acme", "beta")

    acme, _ = load_settings(profile="acme", env={})
    assert (acme.profile, acme.api_key, acme.undo_seconds) == ("acme", "acme-key-0002", 3)
    assert acme.timezone == "America/New_York"
    assert acme.send_endpoint == "send-email-thread"

    beta, _ = load_settings(env={"SMARTLEAD_PROFILE": "beta"})
    assert (beta.profile, beta.send_endpoint, beta.theme) == ("beta", "reply-email-thread", "nord")
    assert beta.api_key == "top-key-0001"  # no credentials of its own: inherited
    assert beta.undo_seconds == 10

    # the argument beats the env variable
    assert load_settings(profile="acme", env={"SMARTLEAD_PROFILE": "beta"})[0].profile == "acme"

    write(cfg, 'default_profile = "beta"\n' + PROFILES)
    assert load_settings(env={})[0].profile == "beta"
    assert load_settings(env={"SMARTLEAD_PROFILE": "acme"})[0].profile == "acme"


def test_profile_via_cli_options(cfg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(cfg, PROFILES)
    data = json.loads(run("--profile", "acme", "config", "show", "--json")[1])
    assert data["profile"] == "acme"
    assert data["undo_seconds"] == 3
    assert data["api_key"] == "acm…02"
    data = json.loads(run("config", "show", "--json", "--profile", "beta")[1])
    assert data["profile"] == "beta"
    monkeypatch.setenv("SMARTLEAD_PROFILE", "acme")
    assert json.loads(run("config", "show", "--json")[1])["profile"] == "acme"


def test_unknown_profile_is_an_error(cfg: Path) -> None:
    write(cfg, PROFILES)
    with pytest.raises(
        ConfigError, match=r"no profile named 'gamma' \(from --profile\).*acme, beta"
    ):
        load_settings(profile="gamma", env={})
    with pytest.raises(ConfigError, match="from SMARTLEAD_PROFILE"):
        load_settings(env={"SMARTLEAD_PROFILE": "gamma"})
    code, _, err = run("--profile", "gamma", "config", "show")
    assert code == 2
    assert "no profile named 'gamma'" in err


def test_profile_credentials_are_not_mixed(cfg: Path) -> None:
    command = key_command("print('top-from-cmd')")
    write(
        cfg,
        f"api_key_command = {json.dumps(command)}\n[profiles.acme]\napi_key = 'acme-key-0002'\n",
    )
    acme, _ = load_settings(profile="acme", env={})
    assert (acme.api_key, acme.api_key_source, acme.api_key_command) == (
        "acme-key-0002",
        "file",
        None,
    )
    top, _ = load_settings(env={})
    assert (top.api_key, top.api_key_source) == ("top-from-cmd", "command")
    # the env key still overrides any profile's key
    assert (
        load_settings(profile="acme", env={"SMARTLEAD_API_KEY": "e-123456"})[0].api_key
        == "e-123456"
    )


def test_errors_in_other_profiles_are_warnings(cfg: Path) -> None:
    write(cfg, PROFILES + "undo_seconds = -4\n")  # appended to [profiles.beta]
    settings, warnings = load_settings(profile="acme", env={})
    assert settings.profile == "acme"
    assert any(
        "profiles.beta.undo_seconds: expected an integer 0-300, got -4" in w and "not in use" in w
        for w in warnings
    )
    with pytest.raises(ConfigError, match=r"profiles\.beta\.undo_seconds"):
        load_settings(profile="beta", env={})
    with pytest.raises(ConfigError, match=r"profiles\.beta\.undo_seconds"):
        check_document(read_config_document(cfg))


def test_profile_cross_check(cfg: Path) -> None:
    write(cfg, "[profiles.acme]\npoll_interval_seconds = 400\n")
    with pytest.raises(ConfigError, match=r"profiles\.acme\.poll_backoff_cap_seconds"):
        load_settings(profile="acme", env={})


def test_keymap_and_theme(cfg: Path) -> None:
    write(cfg, 'theme = "nord"\n[keymap]\nquit = " ctrl+q "\n"send.now" = "ctrl+s"\n')
    settings, warnings = load_settings()
    assert warnings == []
    assert settings.theme == "nord"
    assert settings.keymap == {"quit": "ctrl+q", "send.now": "ctrl+s"}
    _, out, _ = run("config", "show")
    assert '[keymap]\nquit = "ctrl+q"\n"send.now" = "ctrl+s"' in out


# --- config set / unset -------------------------------------------------------------------------


def test_set_types_values_per_schema(cfg: Path) -> None:
    assert run("config", "set", "undo_seconds", "5")[0] == 0
    assert run("config", "set", "poll_interval_seconds", "2.5")[0] == 0
    assert run("config", "set", "poll_backoff_cap_seconds", "60")[0] == 0
    assert run("config", "set", "add_signature", "false")[0] == 0
    assert run("config", "set", "default_cc", "a@x.com, b@y.org,")[0] == 0
    assert run("config", "set", "default_bcc", "")[0] == 0
    assert run("config", "set", "keymap.quit", "ctrl+q")[0] == 0
    assert run("config", "set", "base_url", "https://proxy.example/api/v1/")[0] == 0
    doc = tomllib.loads(cfg.read_text())
    assert doc["undo_seconds"] == 5
    assert doc["poll_interval_seconds"] == 2.5
    assert doc["poll_backoff_cap_seconds"] == 60.0
    assert isinstance(doc["poll_backoff_cap_seconds"], float)
    assert doc["add_signature"] is False
    assert doc["default_cc"] == ["a@x.com", "b@y.org"]
    assert doc["default_bcc"] == []
    assert doc["keymap"] == {"quit": "ctrl+q"}
    settings, _ = load_settings()
    assert settings.default_cc == "a@x.com, b@y.org"
    assert settings.add_signature is False
    assert settings.base_url == "https://proxy.example/api/v1"
    assert run("config", "set", "add_signature", "TRUE")[0] == 0
    assert load_settings()[0].add_signature is True


def test_set_dotted_profile_keys(cfg: Path) -> None:
    code, out, _ = run("config", "set", "profiles.acme.api_key", KEY)
    assert code == 0
    assert "profiles.acme.api_key" in out and KEY not in out
    assert run("config", "set", "profiles.acme.undo_seconds", "0")[0] == 0
    assert run("config", "set", "default_profile", "acme")[0] == 0
    doc = read_config_document(cfg)
    assert doc["profiles"] == {"acme": {"api_key": KEY, "undo_seconds": 0}}
    settings, _ = load_settings(env={})
    assert (settings.profile, settings.api_key, settings.undo_seconds) == ("acme", KEY, 0)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("undo_seconds", "ten"), "undo_seconds: expected an integer 0-300, got 'ten'"),
        (("undo_seconds", "-5"), "undo_seconds: expected an integer 0-300, got -5"),
        (
            ("poll_interval_seconds", "-5"),
            "poll_interval_seconds: expected a positive number, got -5.0",
        ),
        (("add_signature", "maybe"), "add_signature: expected true or false, got 'maybe'"),
        (
            ("send_endpoint", "foo"),
            "send_endpoint: expected 'send-email-thread' or 'reply-email-thread', got 'foo'",
        ),
        (("base_url", "http://example.com"), "base_url: 'http://example.com' must use https"),
        (
            ("profiles.acme.undo_seconds", "ten"),
            "profiles.acme.undo_seconds: expected an integer 0-300",
        ),
        (
            ("pol_interval_seconds", "3"),
            "unknown setting 'pol_interval_seconds'; did you mean 'poll_interval_seconds'?",
        ),
        (("zzz", "3"), "unknown setting 'zzz' (known: api_key,"),
        (("profiles.acme.nope", "3"), "unknown setting 'profiles.acme.nope'"),
        (
            ("profiles.acme.keymap", "3"),
            "profiles.acme.keymap: 'keymap' can only be set at the top level",
        ),
        (("profiles.acme", "3"), "profiles.acme is a table"),
        (("keymap", "3"), "keymap is a table"),
        (("profiles", "3"), "profiles is a table"),
        (
            ("default_profile", "ghost"),
            "default_profile: expected the name of a profile (no profiles defined), got 'ghost'",
        ),
        (("a..b", "3"), "'a..b' is not a valid key"),
        (("default_cc", "not-an-address"), "default_cc: 'not-an-address' is not an email address"),
    ],
)
def test_set_rejects_bad_input(cfg: Path, argv: tuple[str, str], message: str) -> None:
    code, out, err = run("config", "set", *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("smartlead-tui: ")
    assert err.count("\n") == 1
    assert message in err
    assert not cfg.exists()


def test_set_config_value_api(cfg: Path) -> None:
    doc = set_config_value(cfg, "profiles.acme.requests_per_minute", "30")
    assert doc == {"profiles": {"acme": {"requests_per_minute": 30}}}
    assert read_config_document(cfg) == doc


def test_set_notes_when_overridden(cfg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTLEAD_API_KEY", "env-key-123")
    _, _, err = run("config", "set", "api_key", KEY)
    assert "SMARTLEAD_API_KEY is set and takes precedence" in err
    monkeypatch.delenv("SMARTLEAD_API_KEY")
    set_config_value(cfg, "api_key_command", "pass show smartlead")
    _, _, err = run("config", "set", "api_key", KEY)
    assert "api_key_command is also set here and takes precedence" in err


def test_set_keeps_unknown_keys_and_warns(cfg: Path) -> None:
    write(cfg, "future_option = 1\n")
    code, _, err = run("config", "set", "theme", "nord")
    assert code == 0
    assert "unknown key 'future_option'" in err
    assert read_config_document(cfg) == {"future_option": 1, "theme": "nord"}


def test_unset(cfg: Path) -> None:
    set_config_value(cfg, "undo_seconds", "5")
    set_config_value(cfg, "profiles.acme.theme", "nord")
    assert unset_config_value(cfg, "undo_seconds") is True
    assert unset_config_value(cfg, "undo_seconds") is False
    assert run("config", "unset", "profiles.acme.theme") == (
        0,
        f"removed profiles.acme.theme ({cfg})\n",
        "",
    )
    assert read_config_document(cfg) == {"profiles": {"acme": {}}}
    assert run("config", "unset", "profiles.acme")[0] == 0
    assert read_config_document(cfg) == {"profiles": {}}
    code, out, _ = run("config", "unset", "theme")
    assert (code, out) == (0, f"theme was not set in {cfg}\n")
    assert run("config", "unset", "nonsense")[0] == 2


def test_unset_refuses_to_break_default_profile(cfg: Path) -> None:
    set_config_value(cfg, "profiles.acme.theme", "nord")
    set_config_value(cfg, "default_profile", "acme")
    code, _, err = run("config", "unset", "profiles.acme")
    assert code == 2
    assert "default_profile" in err
    assert "acme" in read_config_document(cfg)["profiles"]


def test_config_without_subcommand_is_usage_error() -> None:
    code, _, err = run("config")
    assert code == 2
    assert "usage:" in err
    assert "smartlead-tui: config: choose one of: path, show, set, unset, edit" in err


# --- config show --------------------------------------------------------------------------------


def test_show_defaults_when_missing(cfg: Path) -> None:
    code, out, err = run("config", "show")
    assert code == 0
    assert err == ""
    assert "(file does not exist yet: defaults)" in out
    assert 'api_key = "(not set)"' in out
    assert f'base_url = "{DEFAULT_BASE_URL}"' in out
    data = json.loads(run("config", "show", "--json")[1])
    assert data["config_exists"] is False
    assert data["config_path"] == str(cfg)
    assert data["warnings"] == []
    assert set(SCHEMA) - {"default_profile", "profiles"} <= set(data)


# --- config edit --------------------------------------------------------------------------------


def make_editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *contents: str | None) -> Path:
    """An $EDITOR that writes contents[n] on its n-th run (None: leave the file, exit 1)."""
    script = tmp_path / "editor.py"
    counter = tmp_path / "editor-runs"
    script.write_text(
        "import json, sys, pathlib\n"
        f"counter = pathlib.Path({str(counter)!r})\n"
        "n = int(counter.read_text()) if counter.exists() else 0\n"
        "counter.write_text(str(n + 1))\n"
        f"contents = json.loads({json.dumps(json.dumps(list(contents)))})\n"
        "text = contents[min(n, len(contents) - 1)]\n"
        "if text is None:\n"
        "    sys.exit(1)\n"
        "if text != 'KEEP':\n"
        "    pathlib.Path(sys.argv[-1]).write_text(text)\n"
    )
    monkeypatch.setenv("EDITOR", f"{PY} {shlex.quote(str(script))}")
    return counter


def test_edit_valid_saves_atomically_with_backup(
    cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(cfg, "# my comment\nundo_seconds = 5\n", mode=0o644)
    make_editor(tmp_path, monkeypatch, "# my comment\nundo_seconds = 7\n")
    code, out, err = run("config", "edit")
    assert code == 0, err
    assert out == f"saved {cfg}\n"
    assert cfg.read_text() == "# my comment\nundo_seconds = 7\n"  # comments kept
    assert cfg.with_name("config.toml.bak").read_text() == "# my comment\nundo_seconds = 5\n"
    if POSIX:
        assert mode_of(cfg) == 0o600
    assert sorted(p.name for p in cfg.parent.iterdir()) == ["config.toml", "config.toml.bak"]


def test_edit_visual_beats_editor(
    cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_editor(tmp_path, monkeypatch, "theme = 'nord'\n")
    monkeypatch.setenv("VISUAL", os.environ["EDITOR"])
    monkeypatch.setenv("EDITOR", "definitely-not-an-editor-xyz")
    assert run("config", "edit")[0] == 0
    assert load_settings()[0].theme == "nord"


def test_edit_new_file_starts_from_template(
    cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_editor(tmp_path, monkeypatch, "KEEP")
    code, out, _ = run("config", "edit")
    assert (code, out) == (0, f"no changes ({cfg})\n")
    assert not cfg.exists()
    assert tomllib.loads(config.template_text()) == {}


def test_edit_invalid_without_tty_reports_and_keeps_file(
    cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = b"undo_seconds = 5\n"
    cfg.parent.mkdir(parents=True)
    cfg.write_bytes(original)
    counter = make_editor(tmp_path, monkeypatch, "undo_seconds = \n")
    code, _, err = run("config", "edit", stdin=io.StringIO("y\n"))
    assert code == 2
    assert "line 1, column 16" in err
    assert "Edit again?" not in err
    assert "your edits are kept in" in err
    assert counter.read_text() == "1"
    assert cfg.read_bytes() == original
    kept = Path(re.search(r"kept in (\S+)", err)[1])  # type: ignore[index]
    assert kept.read_text() == "undo_seconds = \n"


def test_edit_invalid_with_tty_offers_to_edit_again(
    cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = make_editor(tmp_path, monkeypatch, "undo_seconds = 'ten'\n", "undo_seconds = 10\n")
    code, _, err = run("config", "edit", stdin=TtyInput("y\n"))
    assert code == 0, err
    assert "undo_seconds: expected an integer 0-300, got 'ten'" in err
    assert "Edit again? [Y/n]" in err
    assert counter.read_text() == "2"
    assert read_config_document(cfg) == {"undo_seconds": 10}


def test_edit_invalid_with_tty_declined(
    cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_editor(tmp_path, monkeypatch, "undo_seconds = 'ten'\n")
    code, _, err = run("config", "edit", stdin=TtyInput("n\n"))
    assert code == 2
    assert "was not changed" in err
    assert not cfg.exists()


def test_edit_warns_about_unknown_keys_but_saves(
    cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_editor(tmp_path, monkeypatch, "colour = 'red'\n")
    code, _, err = run("config", "edit")
    assert code == 0
    assert "unknown key 'colour'" in err


def test_edit_editor_failure(cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(cfg, "undo_seconds = 5\n")
    make_editor(tmp_path, monkeypatch, None)
    code, _, err = run("config", "edit")
    assert code == 1
    assert "exited with status 1" in err
    assert cfg.read_text() == "undo_seconds = 5\n"
    monkeypatch.setenv("EDITOR", "definitely-not-an-editor-xyz")
    code, _, err = run("config", "edit")
    assert code == 1
    assert "cannot run editor 'definitely-not-an-editor-xyz'" in err
    assert sorted(p.name for p in cfg.parent.iterdir()) == ["config.toml"]


# --- config.example.toml ------------------------------------------------------------------------

_SETTING_LINE = re.compile(r"^# (\[[a-z0-9_.]+\]|[a-z0-9_]+ = .*)$")


def test_example_file_documents_every_key() -> None:
    text = (REPO / "config.example.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text) == {}  # all commented: copying it changes nothing
    for name in SCHEMA:
        if name == "profiles":
            assert "# [profiles.acme]" in text
        elif name == "keymap":
            assert "# [keymap]" in text and '# quit = "ctrl+q"' in text
        else:
            assert re.search(rf"^# {name} = ", text, re.M), name


def test_example_file_uncommented_is_valid_with_defaults() -> None:
    text = (REPO / "config.example.toml").read_text(encoding="utf-8")
    lines = [line[2:] for line in text.splitlines() if _SETTING_LINE.match(line)]
    doc = tomllib.loads("\n".join(lines))
    assert check_document(doc) == []
    for name, spec in SCHEMA.items():
        if spec.default is not None and name not in ("keymap", "profiles"):
            assert doc[name] == spec.default, name
    assert set(doc["profiles"]) == {"acme", "globex"}


# --- keymap: binding ids spelt as the help screen shows them --------------------------------------


def _known_ids() -> dict[str, str]:
    from smartlead_tui.tui.binding_ids import known_binding_ids

    return known_binding_ids()


def test_config_set_keymap_accepts_the_ids_f1_shows(cfg: Path) -> None:
    """`config set keymap.inbox.reply x` used to be refused ("did you mean 'keymap'?")."""
    code, out, err = run("config", "set", "keymap.inbox.reply", "e")
    assert (code, err) == (0, "")
    assert out.startswith('keymap.inbox.reply = "e"')
    assert read_config_document(cfg)["keymap"] == {"inbox.reply": "e"}
    assert '"inbox.reply" = "e"' in cfg.read_text()
    assert load_settings()[0].keymap == {"inbox.reply": "e"}
    assert run("config", "unset", "keymap.inbox.reply")[0] == 0
    assert read_config_document(cfg)["keymap"] == {}


def test_config_set_keymap_works_for_every_real_id(cfg: Path) -> None:
    known = _known_ids()
    assert {"quit", "inbox.reply", "compose.send", "thread.next", "outbox.filter"} <= set(known)
    for binding in known:
        code, _, err = run("config", "set", f"keymap.{binding}", "f9")
        assert code == 0, err
    assert load_settings()[0].keymap == {binding: "f9" for binding in known}


@pytest.mark.parametrize(
    ("binding", "offered"),
    [("inbox-reply", "'inbox.reply'"), ("compose-send", "'compose.send'"), ("reply", "reply'")],
)
def test_config_set_keymap_refuses_unknown_ids_with_the_closest(
    cfg: Path, binding: str, offered: str
) -> None:
    """`keymap.inbox-reply` used to be saved (exit 0) and then silently did nothing."""
    code, out, err = run("config", "set", f"keymap.{binding}", "x")
    assert code == 2 and out == ""
    assert f"keymap.{binding}: no key binding has the id {binding!r}; did you mean" in err
    assert offered in err and "F1" in err
    assert not cfg.exists()


def test_keymap_written_by_hand_with_bare_dotted_ids(cfg: Path) -> None:
    """TOML reads a bare `inbox.reply = "e"` as a nested table: it still means the id."""
    write(
        cfg, '[keymap]\ninbox.reply = "e"\n"inbox.down" = "ctrl+n"\n[keymap.thread]\nnext = "m"\n'
    )
    settings, warnings = load_settings()
    assert warnings == []
    assert settings.keymap == {"inbox.reply": "e", "inbox.down": "ctrl+n", "thread.next": "m"}
    assert run("config", "set", "keymap.inbox.reply", "r")[0] == 0
    assert read_config_document(cfg)["keymap"] == {
        "inbox.reply": "r",
        "inbox.down": "ctrl+n",
        "thread.next": "m",
    }


def test_every_binding_id_has_one_spelling() -> None:
    """`area.action` for a screen's keys, one word for the app-wide ones; kebab-case words."""
    from smartlead_tui.tui.app import SmartleadApp

    app_wide = {b.id for b in SmartleadApp.BINDINGS if getattr(b, "id", None)}
    word = r"[a-z0-9]+(-[a-z0-9]+)*"
    for binding in _known_ids():
        pattern = word if binding in app_wide else rf"{word}\.{word}"
        assert re.fullmatch(pattern, binding), binding


def test_keymap_examples_use_real_ids() -> None:
    """config.example.toml's [keymap] examples are ids a binding has."""
    from smartlead_tui.keymap import flatten_keymap

    text = (Path(__file__).parents[2] / "config.example.toml").read_text(encoding="utf-8")
    block = text.split("# [keymap]", 1)[1]
    lines = [line.removeprefix("# ") for line in block.splitlines() if " = " in line]
    examples = flatten_keymap(tomllib.loads("\n".join(lines)))
    assert examples and set(examples) <= set(_known_ids())


@pytest.mark.parametrize(
    ("binding", "keys", "code"),
    [
        ("quit", "q", 2),
        ("quit", "ctrl+x,shift+q", 2),
        ("compose.editor", "e", 2),
        ("quit", "ctrl+x,f10", 0),
        ("inbox.reply", "e", 0),  # not a priority binding: a text field gets the letter first
        ("compose.send", "s", 2),  # the composer's fields have the focus: it would never fire
        ("compose.send", "f5", 0),
        ("compose.send", "enter", 2),  # a new line in the body, never a send
        ("compose.send", "ctrl+c", 2),
        ("compose.undo", "z", 0),  # works while the form is locked (held): a letter is fine
    ],
)
def test_config_set_keymap_refuses_letters_for_bindings_that_beat_text_fields(
    cfg: Path, binding: str, keys: str, code: int
) -> None:
    """`quit` sees keys before a focused field: on `q` it would quit mid-sentence."""
    result, _, err = run("config", "set", f"keymap.{binding}", keys)
    assert result == code, err
    if code:
        assert (
            "would be taken from every text field" in err
            or "never reach this binding" in err
        ) and not cfg.exists()


def test_app_leaves_out_a_keymap_entry_that_would_type_steal() -> None:
    from smartlead_tui.tui.binding_ids import keymap_warnings, usable_keymap

    keymap = {"quit": "q", "inbox.reply": "e"}
    assert usable_keymap(keymap) == {"inbox.reply": "e"}
    assert any(w.startswith("keymap.quit: 'q' would be taken") for w in keymap_warnings(keymap))


def test_config_show_json_reports_a_broken_file_as_json(cfg: Path) -> None:
    write(cfg, "undo_seconds = -4\n")
    code, out, err = run("config", "show", "--json")
    assert code == 2 and "undo_seconds" in err
    record = json.loads(out)
    assert record["outcome"] == "invalid" and "undo_seconds" in record["error"]
