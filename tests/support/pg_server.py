"""A throwaway PostgreSQL server for the test session.

Uses the Debian server binaries (``/usr/lib/postgresql/<ver>/bin``): ``initdb`` a fresh
cluster in a temporary directory, start it with ``pg_ctl`` on a free 127.0.0.1 port (no
other interfaces; the unix socket lives in the temporary directory), create a database,
and stop/remove everything afterwards.

PostgreSQL refuses to run as root, so when the tests run as root the server binaries are
run as an unprivileged system user (``huaxiang-pg``, created on demand, else ``nobody``)
through ``runuser``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PG_USER = "huaxiang-pg"  # unprivileged OS user that owns the cluster when we are root
DB_USER = "huaxiang"  # database superuser created by initdb
DB_NAME = "huaxiang_test"
BINDIR_ENV = "HUAXIANG_PG_BINDIR"  # optional override for the server binary directory
START_ATTEMPTS = 5  # a free port can be grabbed by someone else before the server binds


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def find_bindir() -> Path:
    """Directory holding ``initdb`` and ``pg_ctl`` (newest Debian version wins)."""
    override = os.environ.get(BINDIR_ENV)
    candidates = [Path(override)] if override else []
    debian = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    debian.sort(key=lambda p: [int(n) for n in re.findall(r"\d+", Path(p).parent.parent.name)])
    candidates += [Path(p).parent for p in reversed(debian)]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for bindir in candidates:
        if all(os.access(bindir / tool, os.X_OK) for tool in ("initdb", "pg_ctl")):
            return bindir
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found under "
        f"/usr/lib/postgresql/*/bin or on PATH; run `make system-deps` "
        f"(or set {BINDIR_ENV})"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_user() -> pwd.struct_passwd | None:
    """The OS user to run the server as: ``None`` means "as ourselves" (not root)."""
    if os.geteuid() != 0:
        return None
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(PG_USER)
    if shutil.which("useradd"):
        # Parallel xdist workers may race here; whoever loses just finds the user existing.
        for _ in range(5):
            subprocess.run(
                [
                    "useradd",
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    PG_USER,
                ],
                capture_output=True,
                check=False,
            )
            with contextlib.suppress(KeyError):
                return pwd.getpwnam(PG_USER)
            time.sleep(0.2)
    return pwd.getpwnam("nobody")


@dataclass
class PostgresServer:
    bindir: Path
    root: Path  # temp dir: data/, socket, log; owned by the server user
    user: pwd.struct_passwd | None
    password: str
    port: int = 0
    owns_root: bool = False  # remove ``root`` on stop (it was not made by pytest)

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def logfile(self) -> Path:
        return self.root / "server.log"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{DB_USER}:{self.password}@127.0.0.1:{self.port}/{DB_NAME}"

    def _run(self, tool: str, *args: str, as_server: bool = True) -> None:
        cmd = [str(self.bindir / tool), *args]
        if as_server and self.user is not None:
            cmd = _as_user(self.user.pw_name, cmd)
        env = {**os.environ, "PGPASSWORD": self.password, "LC_ALL": "C", "LANG": "C"}
        proc = subprocess.run(
            cmd,
            cwd=self.root,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"{tool} failed (exit {proc.returncode}): {' '.join(cmd)}\n"
                f"{proc.stdout}{proc.stderr}{self._log_tail()}"
            )

    def _log_tail(self) -> str:
        try:
            lines = self.logfile.read_text(errors="replace").splitlines()[-30:]
        except OSError:
            return ""
        return "\n--- server.log (tail) ---\n" + "\n".join(lines)

    def init(self) -> None:
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self.root.chmod(0o700)
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        if self.user is not None:
            os.chown(pwfile, self.user.pw_uid, self.user.pw_gid)
        try:
            self._run(
                "initdb",
                "--pgdata",
                str(self.datadir),
                "--username",
                DB_USER,
                "--pwfile",
                str(pwfile),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
            )
        finally:
            pwfile.unlink(missing_ok=True)

    def start(self) -> None:
        for attempt in range(START_ATTEMPTS):
            self.port = free_port()
            options = " ".join(
                [
                    "-c listen_addresses=127.0.0.1",
                    f"-c port={self.port}",
                    f"-c unix_socket_directories={self.root}",
                    # Throwaway data: durability is not needed, speed is.
                    "-c fsync=off",
                    "-c synchronous_commit=off",
                    "-c full_page_writes=off",
                ]
            )
            try:
                self._run(
                    "pg_ctl",
                    "start",
                    "--pgdata",
                    str(self.datadir),
                    "--log",
                    str(self.logfile),
                    "--options",
                    options,
                    "--wait",
                    "--timeout",
                    "60",
                )
                break
            except RuntimeError:
                if attempt + 1 == START_ATTEMPTS or "could not bind" not in self._log_tail():
                    raise
        self._run(
            "createdb",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--username",
            DB_USER,
            DB_NAME,
            as_server=False,
        )

    def stop(self) -> None:
        try:
            if (self.datadir / "postmaster.pid").exists():
                self._run(
                    "pg_ctl", "stop", "--pgdata", str(self.datadir), "--mode", "fast", "--wait"
                )
        finally:
            if self.owns_root:
                shutil.rmtree(self.root, ignore_errors=True)


def _as_user(user: str, cmd: Sequence[str]) -> list[str]:
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--", *cmd]
    return ["su", "-s", "/bin/sh", "-c", shlex.join(cmd), user]


def start_server(base: Path) -> PostgresServer:
    """Initialise and start a server under ``base`` (normally a pytest tmp dir).

    When running as root the server user cannot enter pytest's private (0700) temp tree,
    and unix socket paths are limited to ~100 bytes, so in those cases a short private
    directory under the system temp dir is used instead and removed on ``stop()``.
    """
    bindir = find_bindir()
    user = _server_user()
    owns_root = user is not None or len(str(base)) > 60
    root = Path(tempfile.mkdtemp(prefix="huaxiang-pg-")) if owns_root else base
    server = PostgresServer(
        bindir=bindir,
        root=root,
        user=user,
        password=secrets.token_hex(16),
        owns_root=owns_root,
    )
    try:
        server.init()
        server.start()
    except BaseException:
        server.stop()
        raise
    return server
