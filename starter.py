"""`partnership`: the command line of the secretariat, the Participants and auditors (DESIGN §3).

Exit codes: 0 success; 1 a rejected filing or an unreachable service (one line on stderr saying
what was wrong and what would be accepted); 2 a usage error.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from cli import (
    action,
    amendment,
    archive,
    audit,
    checkpoint,
    consult,
    forum,
    forum_withdrawals,
    group,
    inbox,
    keys,
    signature,
    stack,
    status,
    termination,
)
from console import serve as console_serve

app = typer.Typer(
    help="Governance engine of the UK-Republic of Korea Digital Partnership (2023).",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def show_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import version

        typer.echo(f"partnership {version('uk-rok-digital-partnership')}")
        raise typer.Exit()


@app.callback()
def options(
    version: Annotated[
        bool, typer.Option("--version", callback=show_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    office: Annotated[
        str | None,
        typer.Option(
            "--office",
            envvar="PARTNERSHIP_OFFICE",
            help="The identities this data dir acts for (UK, ROK or SECRETARIAT); unset: all three, one machine.",
        ),
    ] = None,
) -> None:
    """Governance engine of the UK-Republic of Korea Digital Partnership (2023)."""
    if office:
        from engine.keys import KeyProblem
        from engine.keys import office as office_identities

        os.environ["PARTNERSHIP_OFFICE"] = office
        try:
            office_identities()
        except KeyProblem as err:
            raise typer.BadParameter(str(err), param_hint="--office") from None


stack.console = console_serve.serving  # `up` serves the console too
app.command()(stack.up)
app.command("console")(console_serve.console_command)
app.command()(stack.worker)
app.command("bootstrap")(stack.bootstrap_command)
app.command()(status.status)
app.command()(status.catalogue)
app.command()(status.text)
app.command("inbox")(inbox.inbox_command)
app.command("start")(signature.start)
app.command("sign")(signature.sign_command)
app.add_typer(keys.keys_app, name="keys")
app.add_typer(amendment.amendment_app, name="amendment")
app.add_typer(termination.termination_app, name="termination")
app.add_typer(group.group_app, name="group")
app.add_typer(action.action_app, name="action")
app.add_typer(consult.consult_app, name="consult")
app.add_typer(forum.forum_app, name="forum")
forum_withdrawals.register(forum.forum_app, forum.agenda_app)
app.add_typer(audit.audit_app, name="audit")
app.add_typer(archive.archive_app, name="archive")
app.command("backup")(archive.backup_command)
app.command("restore")(archive.restore_command)
app.add_typer(checkpoint.checkpoint_app, name="checkpoint")


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
