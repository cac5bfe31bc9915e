"""`partnership audit …`: for auditors. No key, no filing: every command here only reads."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from temporalio.client import WorkflowHistory

from audit.history import NotAHistory, file_name, governed, history_json, load, query_problem
from cli.common import JsonFlag, Refused, client, explain, run, usage
from cli.output import counted, echo, emit

audit_app = typer.Typer(help="For auditors: export, replay, timeline and verify. Read-only; no key needed.")


def narrowing(query: str | None) -> str | None:
    """A usage error, before anything is read, for a query that could escape the governed filter."""
    if query and (problem := query_problem(query)):
        usage(problem)
    return query


QueryOption = Annotated[
    str | None,
    typer.Option(
        help="Visibility query, e.g. \"ParagraphRefs = '9b'\"; it narrows the governed workflows.", callback=narrowing
    ),
]
FromArchive = Annotated[
    bool, typer.Option("--from-archive", help="Histories from the register's archive only; no server needed.")
]


async def archive_and_server(from_archive: bool):
    """The server (unless `--from-archive`) and the register read-only: where histories come from."""
    from activities.register import read_only_engine

    return (None if from_archive else await server()), read_only_engine()


async def server():
    """The server; where none answers, an auditor is told of the archive (audit walkthrough 4, F13)."""
    from engine.client import Unreachable

    try:
        return await client()
    except Unreachable as err:
        raise Refused(f"{explain(err)}; to audit from the archive alone, add --from-archive") from None


@audit_app.command("export")
@run
async def export(
    workflow_id: Annotated[
        str | None, typer.Argument(help="The workflow, e.g. partnership.", metavar="WORKFLOW")
    ] = None,
    run_id: Annotated[str | None, typer.Option(help="One run only.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every governed workflow (with -o DIR).")] = False,
    query: QueryOption = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="A file, or a folder.")] = None,
    from_archive: FromArchive = False,
) -> None:
    """Histories as `temporal workflow show --output json` writes them; every run of a chain.
    A run the server no longer has comes from the archive."""
    if all_ and (output is None or (output.exists() and not output.is_dir())):
        usage(f"--all writes one file per run: give a folder with -o DIR{f' ({output} is a file)' if output else ''}")
    if all_ and workflow_id is not None:
        usage(f"name one workflow ({workflow_id}) or use --all, not both")
    if not all_ and workflow_id is None:
        usage("name a workflow (e.g. `audit export partnership`) or use --all -o DIR")
    from audit.archive import archived_beyond, histories_of, readable_archive

    c, engine = await archive_and_server(from_archive)
    if all_:
        assert output is not None
        if c is None:  # the archive alone: one that cannot be read is said, not "0 histories written"
            readable_archive(engine)
        output.mkdir(parents=True, exist_ok=True)
        written = 0
        seen: dict[str, str] = {}  # run id -> workflow id
        if c is not None:
            # One history in memory at a time, however many the namespace holds.
            async for history in c.list_workflows(governed(query)).map_histories():
                (output / file_name(history.workflow_id, history.run_id)).write_text(history_json(history))
                seen[history.run_id] = history.workflow_id
                written += 1
        # Then the runs only the archive still has (of the workflows found, with a query).
        for history in archived_beyond(engine, seen, query is not None and c is not None):
            (output / file_name(history.workflow_id, history.run_id)).write_text(history_json(history))
            written += 1
        echo(f"{written} histories written to {output}", err=True)
        return
    if workflow_id is None:
        usage("name a workflow (e.g. `audit export partnership`) or use --all -o DIR")
    histories = await histories_of(c, engine, workflow_id, run_id)
    if not histories:
        raise Refused(none_of(workflow_id, from_archive=c is None))
    if len(histories) == 1 and (output is None or not output.is_dir()):
        text = history_json(histories[0])
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text)
            echo(f"{workflow_id}: {len(histories[0].events)} events written to {output}", err=True)
        return
    # A name like a file's is not made a folder (audit walkthrough 4, F11): a script reading it breaks.
    if output is None or (output.exists() and not output.is_dir()) or (output.suffix and not output.exists()):
        raise Refused(f"{workflow_id} has {len(histories)} runs (it continued as new): give a folder with -o DIR")
    output.mkdir(parents=True, exist_ok=True)
    for history in histories:
        name = file_name(workflow_id, history.run_id if len(histories) > 1 else None)
        (output / name).write_text(history_json(history))
    echo(f"{len(histories)} run(s) of {workflow_id} written to {output}", err=True)


@audit_app.command("replay")
@run
async def replay_command(
    paths: Annotated[list[Path] | None, typer.Argument(help="History files or folders.", metavar="PATH")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every governed run, from the server and the archive.")] = False,
    workflow: Annotated[str | None, typer.Option("-w", "--workflow", help="Every run of one workflow.")] = None,
    query: QueryOption = None,
    json_out: JsonFlag = False,
    from_archive: FromArchive = False,
) -> None:
    """Replay histories against today's workflow code; exit 1 if any no longer replays."""
    from audit.archive import all_histories, histories_of
    from audit.replay import replay

    if all_:
        histories = await all_histories(*await archive_and_server(from_archive), query, from_archive)
    elif workflow:
        histories = await histories_of(*await archive_and_server(from_archive), workflow)
    elif paths:
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            usage(f"no such file or folder: {', '.join(missing)}")  # an argument mistyped: exit 2
        histories = read_histories(paths)
    else:
        usage("give history files or folders, -w WORKFLOW, or --all")
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
            echo(f"{o.workflow_type:<22} {o.workflow_id} {o.run_id}  {o.events} events  {verdict}")
        echo(f"{len(outcomes) - len(failed)} replayed, {len(failed)} failed")
    if failed:
        raise typer.Exit(1)


@audit_app.command("timeline")
@run
async def timeline(
    source: Annotated[str, typer.Argument(help="A workflow id, or a history file.", metavar="SOURCE")],
    json_out: JsonFlag = False,
    from_archive: FromArchive = False,
) -> None:
    """What happened, from the history alone: filings, decisions, timers, notifications. Of a
    workflow id: its latest run, from the server, or from the archive once the server has none."""
    from audit.archive import histories_of
    from audit.timeline import timeline as reconstruct

    path = Path(source)
    if path.suffix == ".json" and path.exists():
        [history] = read_histories([path])
    else:
        runs = await histories_of(*await archive_and_server(from_archive), source)
        if not runs:
            raise Refused(none_of(source, from_archive))
        history = runs[-1]
    entries = reconstruct(history)
    if json_out:
        emit(entries)
    else:
        for e in entries:
            # A ¶ or a commitment ref (9b) is marked ¶; the archive's "record" is no paragraph.
            paragraph = f"¶{e.paragraph}" if e.paragraph and e.paragraph[0].isdigit() else e.paragraph or ""
            echo(f"{e.at:%Y-%m-%d %H:%M:%S}Z  {paragraph:<6} {e.kind:<15} {e.text}")
    if altered := sum(e.kind == "filing" and e.detail.get("key") is None for e in entries):
        raise Refused(
            f"{altered} filing(s) whose signature no key of the run's registry verifies: the history was altered"
        )


@audit_app.command("verify")
@run
async def verify_command(
    json_out: JsonFlag = False, query: QueryOption = None, from_archive: FromArchive = False
) -> None:
    """The register's hash chain, the register against the histories (the server's, else the
    archive's), the archive's hashes, and that the histories hold nothing from outside the rules
    (forged signals, direct starts, terminations, resets, cancel requests, unverified filings);
    exit 1 on any mismatch or finding."""
    from sqlalchemy.exc import SQLAlchemyError

    from audit.verify import reachable_register, reason_of, verify

    engine = reachable_register()  # what is verified: without it there is nothing to check
    try:
        report = await verify(None if from_archive else await server(), engine, query, from_archive)
    except SQLAlchemyError as err:  # damaged past what the first read touched
        raise Refused(f"the register cannot be read ({reason_of(err)}); nothing was verified") from None
    if query and not report.histories:  # a typo in a query verifies nothing; not "consistent"
        raise Refused(f"no governed workflow matches {query!r}: nothing was verified")
    if json_out:
        emit(report.model_dump(mode="json") | {"ok": report.ok})
    else:
        for problem in report.problems:
            echo(problem)
        for finding in report.findings:
            echo(finding.line())
        if report.key_history:
            echo("key history:")
        for line in report.key_history:
            echo(f"  {line}")
        for line in report.revoked_later:
            echo(f"made with a key revoked later: {line}")
        for run_ in report.unarchived:
            echo(f"not yet archived (the next pass stores it): {run_}")
        if report.unchecked_workflows:
            why = "outside the query" if query else "not in the archive (still running)"
            rows = f" ({report.unchecked_rows} register rows of their running runs)" if report.unchecked_rows else ""
            echo(f"{report.unchecked_workflows} workflow(s) {why}: not checked{rows}")
        if report.unchecked_events:
            echo(f"{report.unchecked_events} event(s) whose sender or parent is not archived yet: not checked")
        verdict = "consistent" if report.ok else f"{len(report.problems)} problem(s), {len(report.findings)} finding(s)"
        if report.ok and report.unchecked_rows:  # not "consistent" alone when the archive reaches only part
            verdict += f" as far as the archive reaches ({report.unchecked_rows} rows not checked)"
        # Each archived history has a register row anchoring it (not a decision): said, so the
        # count adds up to the register's.
        anchors = f" and {counted(report.archived, 'archive anchor')}" if report.archived else ""
        echo(
            f"{counted(report.rows, 'register row')}{anchors}, {counted(report.decisions_in_histories, 'decision')} "
            f"in {counted(report.histories, 'history', 'histories')} ({report.archived} archived): {verdict}"
        )
    if not report.ok:
        raise typer.Exit(1)


def read_histories(paths: list[Path]) -> list[WorkflowHistory]:
    try:
        return load(paths)
    except NotAHistory as err:
        raise Refused(str(err)) from None


def none_of(workflow_id: str, from_archive: bool) -> str:
    """Why no history of `workflow_id` was found, as where it was looked for (walkthrough 3, F3: a
    running Partnership read from the archive alone was said to be nowhere)."""
    if from_archive:
        return (
            f"no run of {workflow_id} in the archive: a run is archived once it has closed (a workflow still "
            "running, such as the Partnership before it continues as new, is read from the server)"
        )
    return f"no workflow {workflow_id} on the server or in the archive"
