"""A real PostgreSQL server for the tests: ``initdb`` a temporary data folder, ``postgres`` on
127.0.0.1 at a free port with password authentication, stopped and removed after.

PostgreSQL refuses to run as root: as root, the server runs as the ``postgres`` user that the OS
package creates (its data folder is made in /tmp and handed to that user)."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

USER, PASSWORD, DATABASE = "grader", "s3cret-Pw", "gradebook"


def postgres_bin() -> Path | None:
    """The folder of initdb/pg_ctl/postgres from the OS package (the newest version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user() -> dict:
    if os.getuid() != 0:
        return {}
    entry = pwd.getpwnam("postgres")
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


@contextlib.contextmanager
def postgres_server():
    """Yields ``postgresql://grader:PASSWORD@127.0.0.1:PORT/gradebook`` (an empty database)."""
    bindir = postgres_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (the set-up installs it: apt-get install postgresql)")
    who = _as_server_user()
    folder = Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp"))
    data, pwfile = folder / "data", folder / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if who:
        os.chown(folder, who["user"], who["group"])
        os.chown(pwfile, who["user"], who["group"])
    port = _free_port()
    server = None
    try:
        subprocess.run([str(bindir / "initdb"), "-D", str(data), "-U", USER, "--pwfile", str(pwfile),
                        "--auth=scram-sha-256", "-E", "UTF8", "--no-locale"],
                       check=True, capture_output=True, text=True, cwd=folder, **who)
        log = open(folder / "server.log", "wb")
        server = subprocess.Popen([str(bindir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port),
                                   "-k", str(folder), "-c", "fsync=off"],
                                  stdout=log, stderr=subprocess.STDOUT, cwd=folder, start_new_session=True, **who)
        url = f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}"
        import psycopg

        deadline = time.monotonic() + 60
        while True:
            try:
                conn = psycopg.connect(f"{url}/postgres", connect_timeout=3, autocommit=True)
                break
            except psycopg.OperationalError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("PostgreSQL did not start:\n" + (folder / "server.log").read_text()[-2000:])
                time.sleep(0.2)
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {DATABASE}")
        conn.close()
        yield f"{url}/{DATABASE}"
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGINT)  # PostgreSQL's "fast" shutdown
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(folder, ignore_errors=True)
