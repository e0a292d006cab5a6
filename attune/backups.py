"""Backups of the whole database and their restore: `manage.py backup` and `manage.py restore`
(`make backup`, `make restore FILE=...`).

PostgreSQL through its own tools, pg_dump's custom format and pg_restore (one transaction:
a restore that fails part-way leaves the database as it was). SQLite through its online
backup API, which copies a consistent snapshot while the app keeps running. A backup holds
everything, notes included, so it is written readable by its owner alone.
"""

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from django.db import connections

SUFFIX = {"postgresql": ".dump", "sqlite": ".sqlite3"}


class BackupError(Exception):
    """A backup or restore that could not be done, with the reason in words."""


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: postgresql-client).")
    return found


def _pg_args(alias: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump and pg_restore, the password in the environment
    (never on a command line others can read)."""
    db = connections[alias].settings_dict
    args = ["--dbname", db["NAME"], "--no-password"]
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - our own arguments
    if done.returncode != 0:
        raise BackupError(done.stderr.strip() or f"{Path(command[0]).name} failed")


def backup_write(*, folder: Path, keep: int, alias: str = "default") -> Path:
    """Write a backup of the database into `folder` under a name that sorts by time, then
    keep the newest `keep` backups there and delete older ones. Returns the new file."""
    connection = connections[alias]
    vendor = connection.vendor
    if vendor not in SUFFIX:
        raise BackupError(f"backups cover PostgreSQL and SQLite, not {vendor}")
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"attune-{stamp}{SUFFIX[vendor]}"
    partial = target.with_name(target.name + ".partial")
    # Only the owner may read it: it holds every note, only-me notes too.
    partial.touch(mode=0o600)
    try:
        if vendor == "postgresql":
            args, env = _pg_args(alias)
            _run([_tool("pg_dump"), "--format=custom", "--file", str(partial), *args], env)
        else:
            connection.ensure_connection()
            with sqlite3.connect(partial) as copy:
                connection.connection.backup(copy)
            copy.close()
        partial.rename(target)  # a backup that is there is whole
    finally:
        partial.unlink(missing_ok=True)
    for old in sorted(folder.glob(f"attune-*{SUFFIX[vendor]}"))[:-keep]:
        old.unlink()
    return target


def backup_restore(*, path: Path, alias: str = "default") -> None:
    """Replace the database's contents with the backup at `path`."""
    connection = connections[alias]
    vendor = connection.vendor
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    if path.suffix != SUFFIX.get(vendor):
        raise BackupError(f"{path.name} is not a {vendor} backup (those end in {SUFFIX[vendor]})")
    if vendor == "postgresql":
        args, env = _pg_args(alias)
        connection.close()
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *args,
                str(path),
            ],
            env,
        )
    else:
        connection.ensure_connection()
        with sqlite3.connect(path) as source:
            source.backup(connection.connection)
        source.close()
