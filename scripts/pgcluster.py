"""A private PostgreSQL + PostGIS cluster owned by the service or the test suite.

PostgreSQL refuses to run as root, so when we are root the cluster's files belong to the
packaged ``postgres`` system user and every server command runs through ``runuser``.
The server listens only on a Unix socket inside its own directory: no port to collide with,
no password to manage, nothing reachable from outside the machine.
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DB_NAME = "fieldops"
SUPERUSER = "postgres"


class ClusterError(RuntimeError):
    """The machine's PostgreSQL could not be found or started."""


def find_pg_bindir() -> Path:
    """The newest installed PostgreSQL server's bin directory (Debian layout first)."""
    env = os.environ.get("PG_BINDIR")
    if env:
        return Path(env)
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise ClusterError(
        "PostgreSQL server binaries not found: install postgresql and postgresql-<N>-postgis-3"
    )


@dataclass(frozen=True)
class PrivateCluster:
    """A cluster under ``root``: ``root/pgdata`` for files and ``root/run`` for the socket."""

    root: Path

    @property
    def datadir(self) -> Path:
        return self.root / "pgdata"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def logfile(self) -> Path:
        return self.root / "postgres.log"

    def url(self, database: str = DB_NAME, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{SUPERUSER}@/{database}?host={self.socket_dir}"

    # -- process ownership -------------------------------------------------------------
    def _as_owner(self, argv: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return argv
        try:
            pwd.getpwnam("postgres")
        except KeyError as exc:
            raise ClusterError("running as root needs the 'postgres' system user") from exc
        return ["runuser", "-u", "postgres", "--", *argv]

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def _run(self, argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self._as_owner(argv), check=check, capture_output=True, text=True, cwd="/"
        )

    # -- lifecycle ---------------------------------------------------------------------
    def initialized(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    def running(self) -> bool:
        if not self.initialized():
            return False
        bindir = find_pg_bindir()
        res = self._run([str(bindir / "pg_ctl"), "status", "-D", str(self.datadir)], check=False)
        return res.returncode == 0

    def init(self) -> None:
        bindir = find_pg_bindir()
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        self._chown(self.root)
        self._chown(self.socket_dir)
        if self.initialized():
            return
        res = self._run(
            [
                str(bindir / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=False,
        )
        if res.returncode != 0:
            raise ClusterError(f"initdb failed:\n{res.stdout}\n{res.stderr}")
        conf = self.datadir / "postgresql.conf"
        with conf.open("a") as fh:
            fh.write(
                "\n# fieldops private cluster\n"
                "listen_addresses = ''\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "max_connections = 300\n"
                "shared_buffers = 256MB\n"
                "fsync = on\n"
                "synchronous_commit = off\n"
            )

    def start(self) -> None:
        if not self.initialized():
            self.init()
        if self.running():
            return
        self.logfile.touch(exist_ok=True)
        self._chown(self.logfile)
        bindir = find_pg_bindir()
        res = self._run(
            [
                str(bindir / "pg_ctl"),
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.datadir),
                "-l",
                str(self.logfile),
            ],
            check=False,
        )
        if res.returncode != 0:
            tail = self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""
            raise ClusterError(f"pg_ctl start failed:\n{res.stdout}\n{res.stderr}\n{tail}")
        self._ensure_database()

    def stop(self) -> None:
        if self.running():
            bindir = find_pg_bindir()
            self._run([str(bindir / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.datadir)])

    def start_standby(self, root: Path) -> PrivateCluster:
        """A hot standby of this (running) cluster under ``root``, streaming from it.

        ``pg_basebackup -R`` copies the cluster and writes the ``primary_conninfo`` and
        ``standby.signal`` that make the copy follow it over the primary's Unix socket (initdb's
        default pg_hba trusts local replication connections); the copy gets a socket directory
        of its own, then starts and accepts read-only queries as soon as it is consistent.
        """
        standby = PrivateCluster(root)
        root.mkdir(parents=True, exist_ok=True)
        standby.socket_dir.mkdir(exist_ok=True)
        self._chown(root)
        self._chown(standby.socket_dir)
        if not standby.initialized():
            bindir = find_pg_bindir()
            res = self._run([str(bindir / "pg_basebackup"), "-D", str(standby.datadir), "-R",
                             "-X", "stream", "-c", "fast", "-h", str(self.socket_dir),
                             "-U", SUPERUSER], check=False)
            if res.returncode != 0:
                raise ClusterError(f"pg_basebackup failed:\n{res.stdout}\n{res.stderr}")
            with (standby.datadir / "postgresql.conf").open("a") as fh:
                fh.write(f"\n# standby of {self.datadir}\n"
                         f"unix_socket_directories = '{standby.socket_dir}'\n"
                         "hot_standby = on\n"
                         # a pull is never cancelled for the rows vacuum removes on the primary
                         "hot_standby_feedback = on\n")
        standby.start()
        return standby

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def psql(self, sql: str, database: str = "postgres") -> str:
        bindir = find_pg_bindir()
        res = self._run(
            [
                str(bindir / "psql"),
                "-h",
                str(self.socket_dir),
                "-U",
                SUPERUSER,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-tAc",
                sql,
            ],
            check=False,
        )
        if res.returncode != 0:
            raise ClusterError(f"psql failed: {res.stderr}")
        return res.stdout.strip()

    def create_database(self, name: str) -> None:
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
        if not exists:
            self.psql(f'CREATE DATABASE "{name}"')

    def _ensure_database(self) -> None:
        # Give the server a moment to accept connections on a slow first start.
        for _ in range(50):
            try:
                self.create_database(DB_NAME)
                return
            except ClusterError:
                time.sleep(0.2)
        self.create_database(DB_NAME)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Manage the private PostgreSQL cluster")
    parser.add_argument("command", choices=["start", "stop", "status", "url", "destroy"])
    parser.add_argument("--root", default=os.environ.get("FIELDOPS_DATA_DIR", ".data"))
    args = parser.parse_args(argv)
    cluster = PrivateCluster(Path(args.root).resolve())
    if args.command == "start":
        cluster.start()
        print(cluster.url())
    elif args.command == "stop":
        cluster.stop()
    elif args.command == "status":
        print("running" if cluster.running() else "stopped")
    elif args.command == "url":
        print(cluster.url())
    elif args.command == "destroy":
        cluster.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
