"""`partnership archive now|status`, `partnership backup DIR`, `partnership restore DIR`: keeping
the record (DESIGN §2, "The record outlives the server"; issue 14)."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from audit.errors import NO_ARCHIVE_YET
from cli.common import JsonFlag, Refused, client, run, usage
from cli.output import emit
from engine import config

archive_app = typer.Typer(help="The archive of closed histories in the register database.")


@archive_app.command("now")
@run
async def now(
    full: Annotated[
        bool, typer.Option("--full", help="Look at every closed run, not only those closed since the last pass.")
    ] = False,
    wait: Annotated[int, typer.Option(help="Seconds to wait for the pass.", min=1)] = 600,
    json_out: JsonFlag = False,
) -> None:
    """Run an archive pass now (the schedule runs one every hour) and wait for it."""
    from engine.archive import archive_now, why_not_finished

    try:
        async with asyncio.timeout(wait):
            outcome = await archive_now(await client(), full=full)
    except TimeoutError:
        why = await why_not_finished(await client())
        raise Refused(f"the archive pass did not finish within {wait} s: {why}") from None
    if json_out:
        emit(outcome)
        return
    histories = f"{outcome.archived} histor{'y' if outcome.archived == 1 else 'ies'}"
    typer.echo(f"archived {histories} ({outcome.already} already archived)")
    typer.echo(archive_line())


@archive_app.command("status")
@run
async def status(json_out: JsonFlag = False) -> None:
    """The archive's lag: how many histories, the newest close time, the last pass, and which
    closed runs the server has that the archive does not hold yet."""
    from activities.register import read_only_engine
    from audit.archive import awaiting_archive, summary
    from cli.register_reads import archive_summary, no_register_here, unreadable

    if missing := no_register_here():  # it cannot tell what the archive holds, so nor what it lacks
        where = f"no register at {missing}; DATABASE_URL reaches the secretariat's"
        raise Refused(f"the archive is not readable here ({where})")
    if archive_summary() is None and unreadable():
        raise Refused(archive_line())
    engine = read_only_engine()
    waiting = await awaiting_archive(await client(), engine)
    if json_out:
        emit(summary(engine).model_dump(mode="json") | {"awaiting": waiting})
        return
    typer.echo(archive_line())
    for run_ in waiting:
        typer.echo(f"awaiting archive: {run_}")


def archive_line() -> str:
    """The line `partnership status` shows: "archive: 412 histories, newest closed 3 min ago"."""
    from cli.register_reads import archive_summary, no_register_here, unreadable

    if missing := no_register_here():  # not "none yet": this office cannot see the archive at all
        return f"archive: not readable here (no register at {missing}; DATABASE_URL reaches the secretariat's)"
    if (s := archive_summary()) is None:
        if why := unreadable():  # not "none yet": there may be one, in a register damaged since
            return f"archive: not readable: the register {why}; `partnership audit verify` checks it"
        return NO_ARCHIVE_YET
    line = f"archive: {s.histories} histor{'y' if s.histories == 1 else 'ies'}"
    if s.newest_close_time:
        line += f", newest closed {ago(s.newest_close_time)}"
    line += f", last pass {ago(s.last_pass)}" if s.last_pass else ", no pass yet"
    return line


def ago(moment: datetime, now: datetime | None = None) -> str:
    seconds = max(0, int(((now or datetime.now(UTC)) - moment).total_seconds()))
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if unit == 'day' and n > 1 else ''} ago"
    return f"{seconds} s ago"


def archive_json() -> dict | None:
    from cli.register_reads import archive_summary

    return s.model_dump(mode="json") if (s := archive_summary()) is not None else None


def backup_command(
    folder: Annotated[Path, typer.Argument(help="A new (or empty) folder for the backup.", metavar="FOLDER")],
    include_private_keys: Annotated[
        bool,
        typer.Option(
            "--include-private-keys", help="Also the private keys (only where one machine holds every office's key)."
        ),
    ] = False,
) -> None:
    """Back up the embedded stack while it runs: the server's and the register's SQLite files
    (online backup API), the Maildir and the public keys."""
    from engine.backup import BackupRefused, backup

    try:
        manifest = backup(folder, include_private_keys)
    except BackupRefused as err:
        raise typer.Exit(_refuse(str(err))) from None
    for note in manifest["notes"]:
        typer.echo(f"note: {note}", err=True)
    typer.echo(f"backed up {len(manifest['files'])} files to {folder}")


def restore_command(
    folder: Annotated[Path, typer.Argument(help="A folder written by `partnership backup`.", metavar="FOLDER")],
) -> None:
    """Restore a backup into a new data dir (PARTNERSHIP_DATA_DIR); `partnership up` then resumes
    everything, timers included."""
    from engine.backup import BackupRefused, restore

    if not os.environ.get("PARTNERSHIP_DATA_DIR"):  # not a `.data` made wherever it is typed (walkthrough 2)
        usage("set PARTNERSHIP_DATA_DIR to the new data dir to restore into")

    try:
        manifest = restore(folder)
    except BackupRefused as err:
        raise typer.Exit(_refuse(str(err))) from None
    if not config.database_url().startswith("sqlite:///"):  # a two-ministry walkthrough (deploy 5)
        typer.echo(
            "note: the register is in DATABASE_URL, not in the backup: restore it from the dump taken with this "
            "backup; a register from later holds decisions this server never took",
            err=True,
        )
    restored = f"restored {len(manifest['files'])} files into {config.data_dir()}"
    if any(name.endswith(".key") for name in manifest["files"]):
        typer.echo(f"{restored}; `partnership up` resumes it")
    else:
        typer.echo(
            f"{restored}; the backup holds no private key: put each office's own key in {config.keys_dir()}, "
            "then `partnership up` resumes it"
        )


def _refuse(message: str) -> int:
    typer.echo(message, err=True)
    return 1
