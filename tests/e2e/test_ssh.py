"""Over `ssh -t`, the way SDRs reach a jump box: the inbox paints and ctrl+q leaves cleanly.

A private sshd runs on a free 127.0.0.1 port with keys made in tmp_path (key-only login, no
PAM), so nothing outside this test is touched and nothing but loopback is ever contacted.
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.tmux import TmuxSession, command_path, needs_tmux

SSHD = "/usr/sbin/sshd"
SSH = shutil.which("ssh")
SSH_KEYGEN = shutil.which("ssh-keygen")

pytestmark = [
    needs_tmux,
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (os.access(SSHD, os.X_OK) and SSH and SSH_KEYGEN),
        reason="needs sshd (/usr/sbin/sshd), ssh and ssh-keygen: "
        "apt-get install openssh-server openssh-client (.ci/run installs them)",
    ),
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def keygen(path: Path) -> Path:
    assert SSH_KEYGEN is not None
    subprocess.run(
        [SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "slt-e2e", "-f", str(path)],
        check=True,
    )
    return path


def wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"sshd exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                if conn.recv(4).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    pytest.fail(f"sshd did not listen on 127.0.0.1:{port}:\n{log.read_text(errors='replace')}")


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[tuple[int, Path, str]]:
    """A private sshd on 127.0.0.1: (port, client key, user). Killed at the end."""
    folder = tmp_path / "sshd"
    folder.mkdir()
    host_key = keygen(folder / "host_ed25519")
    user_key = keygen(folder / "user_ed25519")
    authorized = folder / "authorized_keys"
    authorized.write_text(Path(f"{user_key}.pub").read_text(), encoding="utf-8")
    authorized.chmod(0o600)
    port = free_port()
    user = pwd.getpwuid(os.getuid()).pw_name
    config = folder / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {host_key}",
                f"PidFile {folder / 'sshd.pid'}",
                f"AuthorizedKeysFile {authorized}",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                "PermitRootLogin prohibit-password",
                f"AllowUsers {user}",
                "PrintMotd no",
                "PrintLastLog no",
                "X11Forwarding no",
                "AllowTcpForwarding no",
                "LogLevel ERROR",
                "",
            ]
        ),
        encoding="utf-8",
    )
    if os.getuid() == 0:
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # privilege separation directory
    log = folder / "sshd.log"
    proc = subprocess.Popen([SSHD, "-f", str(config), "-D", "-E", str(log)])
    try:
        wait_listening(port, proc, log, timeout=10)
        yield port, user_key, user
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_demo_over_ssh_t(tmp_path: Path, sshd: tuple[int, Path, str]) -> None:
    port, key, user = sshd
    remote_home = tmp_path / "remote"
    remote = shlex.join(
        [
            "env",
            f"HOME={remote_home}",
            f"XDG_CONFIG_HOME={remote_home / 'config'}",
            f"XDG_DATA_HOME={remote_home / 'data'}",
            f"XDG_STATE_HOME={remote_home / 'state'}",
            "LANG=C.UTF-8",
            "LC_ALL=C.UTF-8",
            *shlex.split(command_path()),
            "--demo",
        ]
    )
    assert SSH is not None
    ssh = shlex.join(
        [
            SSH,
            "-t",
            "-F",
            "none",
            "-p",
            str(port),
            "-i",
            str(key),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            f"{user}@127.0.0.1",
            remote,
        ]
    )
    session = TmuxSession(tmp_path / "local", width=80, height=24)
    try:
        session.start_shell(ssh)
        screen = session.wait_for("20 conversations", timeout=30)
        assert "Traceback" not in screen
        assert "Inbox — demo sandbox" in screen  # the em dash: UTF-8 made it through ssh intact
        session.keys("C-q")
        screen = session.wait_for("EXITED:0")
        assert "Traceback" not in screen
    finally:
        session.close()
