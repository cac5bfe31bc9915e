"""`partnership audit …`: for auditors. No key, no filing: every command here only reads."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from audit.history import fetch, fetch_all, file_name, governed, history_json, load, runs_of
from audit.replay import replay
from audit.timeline import timeline as reconstruct
from cli.common import JsonFlag, Refused, client, emit, run

audit_app = typer.Typer(help="For auditors: export, replay, timeline and verify. Read-only; no key needed.")

QueryOption = Annotated[str | None, typer.Option(help="Visibility query, e.g. \"ParagraphRefs = '9b'\".")]


@audit_app.command("export")
@run
async def export(
    workflow_id: Annotated[str | None, typer.Argument(help="The workflow, e.g. partnership.")] = None,
    run_id: Annotated[str | None, typer.Option(help="One run only.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every governed workflow (with -o DIR).")] = False,
    query: QueryOption = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="A file, or a folder.")] = None,
) -> None:
    """Histories as `temporal workflow show --output json` writes them; every run of a chain."""
    c = await client()
    if all_:
        if output is None:
            raise Refused("--all writes one file per run: give a folder with -o DIR")
        output.mkdir(parents=True, exist_ok=True)
        written = 0
        # One history in memory at a time, however many the namespace holds.
        async for history in c.list_workflows(governed(query)).map_histories():
            (output / file_name(history.workflow_id, history.run_id)).write_text(history_json(history))
            written += 1
        typer.echo(f"{written} histories written to {output}", err=True)
        return
    if workflow_id is None:
        raise Refused("name a workflow (e.g. `audit export partnership`) or use --all -o DIR")
    runs = [run_id] if run_id else await runs_of(c, workflow_id)
    if not runs:
        raise Refused(f"no workflow {workflow_id} in this namespace")
    histories = [await fetch(c, workflow_id, r) for r in runs]
    if len(histories) == 1 and (output is None or not output.is_dir()):
        text = history_json(histories[0])
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text)
        return
    if output is None or (output.exists() and not output.is_dir()):
        raise Refused(f"{workflow_id} has {len(histories)} runs (it continued as new): give a folder with -o DIR")
    output.mkdir(parents=True, exist_ok=True)
    for history in histories:
        name = file_name(workflow_id, history.run_id if len(histories) > 1 else None)
        (output / name).write_text(history_json(history))
    typer.echo(f"{len(histories)} run(s) of {workflow_id} written to {output}", err=True)


@audit_app.command("replay")
@run
async def replay_command(
    paths: Annotated[list[Path] | None, typer.Argument(help="History files or folders.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Straight from the server.")] = False,
    query: QueryOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Replay histories against today's workflow code; exit 1 if any no longer replays."""
    if all_:
        histories = await fetch_all(await client(), query)
    elif paths:
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise Refused(f"no such file or folder: {', '.join(missing)}")
        histories = load(paths)
    else:
        raise Refused("give history files or folders, or --all")
    if not histories:
        raise Refused("no histories to replay")
    show_bar = len(histories) > 1 and not json_out and sys.stderr.isatty()
    with typer.progressbar(length=len(histories), label="replaying", file=sys.stderr, hidden=not show_bar) as bar:
        outcomes = await replay(histories, progress=lambda _: bar.update(1))
    failed = [o for o in outcomes if not o.ok]
    if json_out:
        emit([o.__dict__ for o in outcomes])
    else:
        for o in outcomes:
            verdict = "ok" if o.ok else f"NON-DETERMINISTIC at {o.problem}"
            typer.echo(f"{o.workflow_type:<22} {o.workflow_id} {o.run_id}  {o.events} events  {verdict}")
        typer.echo(f"{len(outcomes) - len(failed)} replayed, {len(failed)} failed")
    if failed:
        raise typer.Exit(1)


@audit_app.command("timeline")
@run
async def timeline(
    source: Annotated[str, typer.Argument(help="A workflow id, or a history file.")],
    json_out: JsonFlag = False,
) -> None:
    """What happened, from the history alone: filings, decisions, timers, notifications."""
    path = Path(source)
    if path.suffix == ".json" and path.exists():
        [history] = load([path])
    else:
        history = await fetch(await client(), source)
    entries = reconstruct(history)
    if json_out:
        emit(entries)
        return
    for e in entries:
        paragraph = f"¶{e.paragraph}" if e.paragraph else ""
        typer.echo(f"{e.at:%Y-%m-%d %H:%M:%S}Z  {paragraph:<5} {e.kind:<15} {e.text}")


@audit_app.command("verify")
@run
async def verify_command(json_out: JsonFlag = False, query: QueryOption = None) -> None:
    """The register's hash chain, and the register against the histories; exit 1 on any mismatch."""
    from activities.register import read_only_engine
    from audit.verify import verify

    report = await verify(await client(), read_only_engine(), query)
    if json_out:
        emit(report.model_dump() | {"ok": report.ok})
    else:
        for problem in report.problems:
            typer.echo(problem)
        verdict = "consistent" if report.ok else f"{len(report.problems)} problem(s)"
        typer.echo(
            f"{report.rows} register rows, {report.decisions_in_histories} decisions in "
            f"{report.histories} histories: {verdict}"
        )
    if not report.ok:
        raise typer.Exit(1)
