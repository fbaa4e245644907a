"""The scriptable CLI against the sandbox: one POST per send, clear errors, stable exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from smartlead_tui.cli import main
from smartlead_tui.sandbox import SandboxServer

SECRET = "sk-cli-SECRET-777-never-print"


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(api_key=SECRET) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "SMARTLEAD_API_KEY",
        "SMARTLEAD_BASE_URL",
        "SMARTLEAD_PROFILE",
        "SMARTLEAD_CONFIG",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def run(argv: list[str], *, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


def send_args(server: SandboxServer, *extra: str) -> list[str]:
    ref = server.seed.first_reply()
    return [
        "send",
        "--base-url",
        server.base_url,
        "--campaign-id",
        str(ref.campaign_id),
        "--email-stats-id",
        ref.stats_id,
        *extra,
    ]


@pytest.fixture
def with_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTLEAD_API_KEY", SECRET)


def test_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "smartlead_tui", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "smartlead-tui 0.1.0"


@pytest.mark.usefixtures("with_key")
def test_send_json_queues_exactly_one_post_with_spec_fields(server: SandboxServer) -> None:
    ref = server.seed.first_reply()
    code, out, err = run(
        send_args(
            server,
            "--body",
            "Thanks — Tuesday works.",
            "--to",
            ref.from_email,
            "--first-name",
            "José",
            "--last-name",
            "Núñez",
            "--cc",
            "ana@example.com, bo@example.com",
            "--bcc",
            "log@example.net",
            "--schedule",
            "in 2h",
            "--timezone",
            "Europe/Berlin",
            "--no-signature",
            "--attach",
            "https://files.example.com/deck%20v2.pdf",
            "--thread-id",
            "42",
            "--reply-message-id",
            ref.message_id.strip("<>"),
            "--reply-body",
            "<p>Interested</p>",
            "--reply-time",
            "2026-11-20T09:00:00Z",
            "--schedule-condition",
            "BUSINESS_HOURS",
            "--seq-type",
            "REPLY",
            "--json",
        )
    )
    assert code == 0, err
    outcome = json.loads(out)
    assert outcome["outcome"] == "queued"
    assert outcome["message_id"] is None
    [post] = server.posts()
    body = post.json
    assert body["campaignId"] == ref.campaign_id and isinstance(body["campaignId"], int)
    assert body["emailStatsId"] == ref.stats_id
    assert body["id"] == 42
    assert body["cc"] == "ana@example.com,bo@example.com"
    assert body["bcc"] == "log@example.net"
    assert body["addSignature"] is False
    assert body["replyMessageId"] == ref.message_id
    assert body["replyEmailTime"] == "2026-11-20T09:00:00+00:00"
    assert body["scheduledTime"].endswith(("+01:00", "+02:00"))
    assert body["attachments"] == [
        {
            "file_url": "https://files.example.com/deck%20v2.pdf",
            "file_name": "deck v2.pdf",
            "file_type": "application/pdf",
        }
    ]
    assert SECRET not in out + err


@pytest.mark.usefixtures("with_key")
def test_send_body_from_stdin_and_file(server: SandboxServer, tmp_path: Path) -> None:
    code, _, err = run(send_args(server, "--body-file", "-"), stdin="From stdin\n")
    assert code == 0, err
    body_file = tmp_path / "reply.txt"
    body_file.write_text("From a file", encoding="utf-8")
    code, out, err = run(send_args(server, "--body-file", str(body_file)))
    assert code == 0, err
    assert out.startswith("queued: reply to the lead in campaign")
    # Sent as minimal HTML (issue 11 item 7), by the same conversion as the TUI.
    assert [p.json["emailBody"] for p in server.posts()] == [
        "<p>From stdin</p>", "<p>From a file</p>"
    ]


@pytest.mark.usefixtures("with_key")
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--body", "hi", "--to", "bob@"], "to: 'bob@'"),
        (["--body", "hi", "--cc", "a@b.co, a@b.co"], "listed twice"),
        (["--body", "hi", "--schedule", "2020-01-01 09:00"], "in the past"),
        (["--body", "hi", "--schedule", "someday"], "can't read 'someday'"),
        (["--body", "   "], "body: is empty"),
        (["--body", "Hi {{first_name}}"], "unfilled merge fields"),
        (["--body", "hi", "--attach", "file:///etc/passwd"], "attachment:"),
        (["--body", "hi", "--reply-message-id", "not an id"], "message id"),
        (["--body-file", "/nonexistent/reply.txt"], "can't read"),
    ],
)
def test_invalid_input_exits_2_and_sends_nothing(
    server: SandboxServer, extra: list[str], message: str
) -> None:
    code, _out, err = run(send_args(server, *extra))
    assert code == 2
    assert message in err
    assert server.posts() == []


@pytest.mark.usefixtures("with_key")
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--body", "hi", "--to", "bob@", "--cc", "a@b.co, a@b.co"], "to: 'bob@'"),
        (["--body", "   "], "body: is empty"),
        (["--body-file", "/nonexistent/reply.txt"], "can't read"),
    ],
)
def test_send_json_reports_invalid_input_as_one_json_object(
    server: SandboxServer, extra: list[str], message: str
) -> None:
    """`--json` used to print validation errors on stderr only, and nothing on stdout."""
    code, out, err = run(send_args(server, *extra, "--json"))
    assert code == 2 and message in err  # exit code and the human message unchanged
    [line] = out.splitlines()
    record = json.loads(line)
    assert record["outcome"] == "invalid"
    assert any(message in problem for problem in record["problems"])
    assert message in record["error"]
    assert server.posts() == []
    if "--cc" in extra:  # every problem, not just the first
        assert len(record["problems"]) == 2


def test_send_json_reports_missing_key_duplicate_and_usage_errors(
    server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(send_args(server, "--body", "hi", "--json"))
    assert code == 2
    assert json.loads(out)["outcome"] == "invalid" and "no API key" in json.loads(out)["error"]

    monkeypatch.setenv("SMARTLEAD_API_KEY", SECRET)
    assert run(send_args(server, "--body", "Same again", "--json"))[0] == 0
    code, out, _ = run(send_args(server, "--body", "Same again", "--json"))
    assert code == 2
    assert json.loads(out)["outcome"] == "duplicate"

    with pytest.raises(SystemExit) as exited:  # argparse's own check: still one JSON object
        run(["send", "--campaign-id", "1", "--body", "hi", "--json"])
    assert exited.value.code == 2
    assert len(server.posts()) == 1


def test_argparse_usage_error_with_json_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["send", "--campaign-id", "1", "--body", "hi", "--json"])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    record = json.loads(captured.out)
    assert record["outcome"] == "invalid" and "--email-stats-id" in record["error"]
    assert "--email-stats-id" in captured.err


@pytest.mark.usefixtures("with_key")
def test_send_json_failure_is_json_and_status_json_errors_too(server: SandboxServer) -> None:
    server.add_fault("500", method="POST", times=1)
    code, out, _ = run(send_args(server, "--body", "hi", "--json"))
    assert code == 1
    record = json.loads(out)
    assert record["outcome"] == "send-failed" and record["http_status"] == 500
    code, out, _ = run(["status", "--base-url", server.base_url, "nonsense", "--json"])
    assert code == 2 and json.loads(out)["outcome"] == "invalid"


@pytest.mark.usefixtures("with_key")
def test_non_numeric_campaign_id_is_a_usage_error(server: SandboxServer) -> None:
    code, _, err = run(
        [
            "send",
            "--base-url",
            server.base_url,
            "--campaign-id",
            "abc",
            "--email-stats-id",
            "x",
            "--body",
            "hi",
        ]
    )
    assert code == 2
    assert "campaign id: 'abc' is not a number" in err
    assert server.requests == []


def test_missing_key_is_a_usage_error(server: SandboxServer) -> None:
    code, _, err = run(send_args(server, "--body", "hi"))
    assert code == 2
    assert "no API key" in err
    assert server.requests == []


@pytest.mark.usefixtures("with_key")
def test_http_base_url_refused_unless_loopback() -> None:
    code, _, err = run(
        [
            "send",
            "--base-url",
            "http://example.com/api/v1",
            "--campaign-id",
            "1",
            "--email-stats-id",
            "x",
            "--body",
            "hi",
        ]
    )
    assert code == 2
    assert "https" in err


@pytest.mark.usefixtures("with_key")
@pytest.mark.parametrize(
    ("kind", "code", "words"),
    [
        ("401", 1, "SmartLead rejected the API key (401)"),
        ("422", 1, "refused"),
        ("429", 1, "rate limiting"),
        ("500", 1, "server error (500)"),
        ("drop", 3, "Outcome unknown"),
        ("drop-after", 3, "Outcome unknown"),
    ],
)
def test_send_failures_have_clear_messages_and_one_post(
    server: SandboxServer, kind: str, code: int, words: str
) -> None:
    server.add_fault(kind, method="POST", times=3, retry_after=5)
    result, out, err = run(send_args(server, "--body", "hi"))
    assert result == code
    assert words in err
    assert len(server.posts()) == 1
    assert SECRET not in out + err
    assert "Traceback" not in err


@pytest.mark.usefixtures("with_key")
def test_status_json_and_watch(server: SandboxServer) -> None:
    sent = server.seed.first_sent()
    code, out, _ = run(["status", "--base-url", server.base_url, sent.message_id, "--json"])
    assert code == 0
    record = json.loads(out)
    assert record["status"] == "COMPLETED" and record["final"] is True
    code, out, _ = run(["status", "--base-url", server.base_url, "<missing@example.com>"])
    assert code == 1
    assert "NOT_FOUND" in out


def test_status_rejects_malformed_ids_without_a_request(
    server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMARTLEAD_API_KEY", SECRET)
    code, _, err = run(["status", "--base-url", server.base_url, "nonsense"])
    assert code == 2
    assert "message id" in err
    assert server.requests == []


def test_demo_send_and_status_need_no_account() -> None:
    code, out, _err = run(["--demo", "status", "<nobody@example.com>", "--json"])
    assert code == 1
    assert json.loads(out)["status"] == "NOT_FOUND"


def _cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTLEAD_")}
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "c"),
        XDG_DATA_HOME=str(tmp_path / "d"),
        XDG_STATE_HOME=str(tmp_path / "s"),
        SMARTLEAD_API_KEY=SECRET,
    )
    return env


def test_installed_command_send_json_one_post(server: SandboxServer, tmp_path: Path) -> None:
    """The real console script, as a user runs it."""
    exe = Path(sys.executable).with_name("smartlead-tui")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "smartlead_tui"]
    result = subprocess.run(
        [*command, *send_args(server, "--body", "Hello from the shell", "--json")],
        capture_output=True,
        text=True,
        env=_cli_env(tmp_path),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["outcome"] == "queued"
    assert len(server.posts()) == 1


def test_installed_command_timeout_is_unknown_and_never_reposts(
    server: SandboxServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("read_timeout_seconds = 1\n", encoding="utf-8")
    os.chmod(config, 0o600)
    server.add_fault("slow", method="POST", delay=3)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "smartlead_tui",
            "--config",
            str(config),
            *send_args(server, "--body", "Slow one", "--json"),
        ],
        capture_output=True,
        text=True,
        env=_cli_env(tmp_path),
        timeout=60,
    )
    assert result.returncode == 3, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["outcome"] == "unknown"
    assert "check the thread" in outcome["error"]
    import time

    time.sleep(2.5)  # the slow handler finishes: the reply was queued once, and only once
    assert len(server.posts()) == 1
