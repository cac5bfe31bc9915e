"""`partnership`: the command line of the secretariat, the Participants and auditors (DESIGN §3).

Exit codes: 0 success; 1 a rejected filing or an unreachable service (one line on stderr saying
what was wrong and what would be accepted); 2 a usage error.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Annotated

import typer

from engine import config
from engine.cli_audit import audit_app
from engine.cli_constitution import amendment_app, termination_app, text
from engine.cli_forum import forum_app
from engine.cli_programmes import action_app, consult_app, group_app, progress_line
from engine.cli_support import EXPECTED, JsonFlag, ask, client, emit, explain, fail, run, usage
from engine.keys import init_keys
from engine.logs import configure as configure_logs
from models.catalogue import PILLARS, POLICY_AREAS, amended_areas
from models.partnership import PartnershipStatus

app = typer.Typer(
    help="Governance engine of the UK-Republic of Korea Digital Partnership (2023).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
keys_app = typer.Typer(help="Ed25519 keys of UK, ROK and SECRETARIAT under <data dir>/keys/.")
app.add_typer(keys_app, name="keys")
app.add_typer(amendment_app, name="amendment")
app.add_typer(termination_app, name="termination")
app.add_typer(group_app, name="group")
app.add_typer(action_app, name="action")
app.add_typer(consult_app, name="consult")
app.add_typer(forum_app, name="forum")
app.add_typer(audit_app, name="audit")
app.command()(text)

# The embedded stack and the worker --------------------------------------------------------------


@app.command()
@run
async def up(
    port: Annotated[int, typer.Option(help="gRPC port of the dev server.")] = 7233,
    ui_port: Annotated[int, typer.Option(help="Port of the Temporal Web UI.")] = 8233,
) -> None:
    """Run the embedded stack in the foreground: dev server, worker, bootstrap. Ctrl-C stops it."""
    from engine.bootstrap import bootstrap
    from engine.client import embedded_address_file
    from engine.stack import dev_server
    from worker import build_worker

    configure_logs()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with dev_server(port, ui_port) as client:
        address_file = embedded_address_file()
        address_file.write_text(f"127.0.0.1:{port}\n")
        try:
            async with build_worker(client):
                status = await bootstrap(client)
                typer.echo(
                    f"Partnership {status.state} since {status.in_effect_since} "
                    f"(version {status.version}). Web UI: http://localhost:{ui_port} . "
                    "Ctrl-C stops.",
                    err=True,
                )
                await stop.wait()
        finally:
            address_file.unlink(missing_ok=True)


@app.command()
def worker() -> None:
    """Run a worker against any Temporal (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY…)."""
    import worker as worker_module

    worker_module.main()


@app.command("bootstrap")
@run
async def bootstrap_command(json_out: JsonFlag = False) -> None:
    """Keys if absent, the Partnership workflow, and both signatures of 2023-11-22 (idempotent)."""
    from engine.bootstrap import bootstrap
    from engine.client import connect

    configure_logs()
    status = await bootstrap(await connect())
    show_status(status, json_out)


# Reads ---------------------------------------------------------------------------------------------


@app.command()
@run
async def status(json_out: JsonFlag = False) -> None:
    """State of the Partnership: IN_EFFECT since when, text version, signatories."""
    from engine.health import stuck_workflows
    from workflows.partnership import PARTNERSHIP_ID, PartnershipWorkflow

    stuck = await stuck_workflows(await client(), look_at=[PARTNERSHIP_ID])
    for s in stuck:
        typer.echo(s.line(), err=True)
    if any(s.workflow_id == PARTNERSHIP_ID for s in stuck):
        fail("the Partnership cannot answer until its workflow task is repaired (README: a stuck workflow)")
    current = await ask(PartnershipWorkflow.status)
    if json_out:
        emit(current.model_dump(mode="json") | {"stuck": [s.model_dump() for s in stuck]})
        return
    show_status(current, json_out)


def show_status(current: PartnershipStatus, json_out: bool) -> None:
    if json_out:
        emit(current)
        return
    since = f" since {current.in_effect_since}" if current.in_effect_since else ""
    typer.echo(f"Partnership: {current.state}{since} (text version {current.version})")
    for s in current.signatories:
        typer.echo(
            f"  {s.participant.value:<4} signed {s.signed_on}  ({s.title}; "
            f"received {s.received_at:%Y-%m-%d %H:%M}Z, key {s.key_fingerprint})"
        )
    if t := current.termination:
        typer.echo(
            f"Termination: notice by {t.given_by}, received {t.received_at:%Y-%m-%d %H:%M}Z, "
            f"effective {t.effective_on} ({t.effective_at:%Y-%m-%d %H:%M}Z)"
        )
    for a in current.pending_amendments:
        typer.echo(f"Pending amendment: {a.amendment_id} ({a.status}, respond by {a.respond_by}) {a.summary}")
    for a in current.amendments_in_force:
        typer.echo(f"Amendment in force: {a.amendment_id} from {a.effective_on} (version {a.version})")
    if current.joint_actions.actions:
        typer.echo(f"Joint actions: {progress_line(current.joint_actions)}")
        for pillar, r in current.joint_actions_by_pillar.items():
            typer.echo(f"  pillar {pillar}: {progress_line(r)}")
    for c in current.open_consultations:
        typer.echo(f"Open consultation: {c.consultation_id} about {c.about}: {c.summary}")


async def catalogue_changes() -> list:
    from workflows.partnership import PartnershipWorkflow

    try:
        return (await ask(PartnershipWorkflow.status)).catalogue_changes
    except EXPECTED as err:
        fail(explain(err))


@app.command()
def catalogue(
    json_out: JsonFlag = False,
    pillar: Annotated[int | None, typer.Option(help="Only this pillar (1-4).", min=1, max=4)] = None,
    area: Annotated[str | None, typer.Option(help="Only this policy area (slug or name).")] = None,
    in_force: Annotated[
        bool, typer.Option("--in-force", help="As amended (¶33), from the running Partnership; default as signed.")
    ] = False,
) -> None:
    """¶1, ¶8–27: the pillars, policy areas and joint-action commitments with their ¶ refs."""
    areas = amended_areas(asyncio.run(catalogue_changes())) if in_force else list(POLICY_AREAS)
    if area is not None:
        wanted = area.strip().lower()
        found = next((a for a in areas if wanted in (a.slug, a.name.lower())), None)
        if found is None:
            usage(f"no policy area {area!r}; known areas: {', '.join(a.slug for a in areas)}")
        areas = [found]
    if pillar is not None:
        areas = [a for a in areas if a.pillar == pillar]
    pillars = [p for p in PILLARS if any(a.pillar == p.number for a in areas)]
    if json_out:
        emit(
            [
                p.model_dump(mode="json")
                | {"areas": [a.model_dump(mode="json") for a in areas if a.pillar == p.number]}
                for p in pillars
            ]
        )
        return
    for p in pillars:
        typer.echo(f"Pillar {p.number} (¶1{p.letter}): {p.name}")
        for a in (a for a in areas if a.pillar == p.number):
            paras = "–".join(str(n) for n in sorted(set(a.paragraphs[:1] + a.paragraphs[-1:]))) or "33 (by amendment)"
            typer.echo(f"  {a.name} [{a.slug}] ¶{paras}")
            for c in a.commitments:
                typer.echo(f"    {c.ref:<4} {c.title}")


# Keys ----------------------------------------------------------------------------------------------


@keys_app.command("init")
def keys_init() -> None:
    """Create a key pair for each filer that has none (existing keys are kept)."""
    for identity, created in init_keys().items():
        state = "created" if created else "kept"
        typer.echo(f"{identity.value:<12} {state}  {config.keys_dir()}/{identity.value.lower()}.key")


def main() -> None:
    code: int | str | None = 0
    try:
        app()
    except SystemExit as done:
        code = done.code
    except KeyboardInterrupt:
        code = 130
    # Leave without interpreter finalization: the Temporal client's native threads may still be
    # winding down, and finalizing under them can abort the process after its work is done.
    sys.stdout.flush()
    sys.stderr.flush()
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    os._exit(code or 0)


if __name__ == "__main__":
    main()
