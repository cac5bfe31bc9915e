"""`partnership`: the command line of the secretariat, the Participants and auditors (DESIGN §3).

Exit codes: 0 success; 1 a rejected filing or an unreachable service (one line on stderr saying
what was wrong and what would be accepted); 2 a usage error.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import inspect
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup


def _console_beside_up() -> None:
    """`up` serves the console too; the console builds on the CLI, so the CLI does not import it,
    and `up` imports it only when it serves one (not with --console-port 0)."""
    from cli import stack

    def serving(host: str, port: int, ui: str) -> Any:
        from console import serve

        return serve.serving(host, port, ui)

    stack.console = serving


def _forum_withdrawals() -> None:
    from cli import forum, forum_withdrawals

    forum_withdrawals.register(forum.forum_app, forum.agenda_app)


@dataclass(frozen=True)
class Command:
    """A sub-command: its short help as `partnership --help` lists it (the first paragraph of its
    own help; tests/test_cli_lazy.py holds them equal), where it lives (`module:attribute`, a
    command function or a Typer of sub-commands), and any wiring it needs once loaded."""

    help: str
    target: str
    wire: Callable[[], None] | None = None


#: Every sub-command, in the order `partnership --help` lists them. A command's module is imported
#: when that command runs (or its help is shown), never to list the others: a read pays only for
#: its own imports (issue 15).
COMMANDS: dict[str, Command] = {
    "up": Command(
        "Run the embedded stack in the foreground: dev server, worker, bootstrap, web console. Ctrl-C stops it.",
        "cli.stack:up",
        _console_beside_up,
    ),
    "console": Command(
        "This office's web console (identities: the private keys in this data dir). Ctrl-C stops it.",
        "console.serve:console_command",
    ),
    "worker": Command(
        "Run a worker against any Temporal (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY…).",
        "cli.stack:worker",
    ),
    "bootstrap": Command(
        "Keys if absent, the Partnership workflow, and both signatures of 2023-11-22 (idempotent).",
        "cli.stack:bootstrap_command",
    ),
    "status": Command(
        "State of the Partnership: IN_EFFECT since when, text version, signatories.", "cli.status:status"
    ),
    "catalogue": Command(
        "¶1, ¶8–27: the pillars, policy areas and joint-action commitments with their ¶ refs.", "cli.status:catalogue"
    ),
    "text": Command(
        "The consolidated text: each ¶ as signed, with the amendments in force listed under it.", "cli.status:text"
    ),
    "inbox": Command(
        "What awaits this office: consents, agreements, approvals, reports due, the other side's joint filings.",
        "cli.inbox:inbox_command",
    ),
    "start": Command(
        "Start the Partnership with this registry of public keys (no private key needed); its signatures are then"
        " filed by each Participant from its own office (`partnership sign`).",
        "cli.signature:start",
    ),
    "sign": Command(
        "¶31: file this Participant's signature of the text, from its own office.", "cli.signature:sign_command"
    ),
    "backup": Command(
        "Back up the embedded stack while it runs: the server's and the register's SQLite files (online backup"
        " API), the Maildir and the public keys.",
        "cli.archive:backup_command",
    ),
    "restore": Command(
        "Restore a backup into a new data dir (PARTNERSHIP_DATA_DIR); `partnership up` then resumes everything,"
        " timers included.",
        "cli.archive:restore_command",
    ),
    "keys": Command(
        "This office's own Ed25519 keys and its pins of the others' keys (<data dir>/keys/).", "cli.keys:keys_app"
    ),
    "amendment": Command("¶33: amendments by the mutual written consent of UK and ROK.", "cli.amendment:amendment_app"),
    "termination": Command(
        "¶31–32: written notice of termination, six months in advance.", "cli.termination:termination_app"
    ),
    "group": Command("¶7: working groups, one per policy area, with a lead from each side.", "cli.group:group_app"),
    "action": Command("¶9–28, ¶32: joint actions, their progress and costs.", "cli.action:action_app"),
    "consult": Command("¶29: consultations to resolve differences amicably.", "cli.consult:consult_app"),
    "forum": Command(
        "¶7: the annual Forum: agenda, co-chairs, meeting, decisions, minutes.",
        "cli.forum:forum_app",
        _forum_withdrawals,
    ),
    "audit": Command(
        "For auditors: export, replay, timeline and verify. Read-only; no key needed.", "cli.audit:audit_app"
    ),
    "archive": Command("The archive of closed histories in the register database.", "cli.archive:archive_app"),
    "checkpoint": Command(
        "Checkpoints of the decision register, co-signed by UK and ROK.", "cli.checkpoint:checkpoint_app"
    ),
}


class Loaded(Mapping[str, Any]):
    """The sub-commands by name, in COMMANDS' order; looking one up imports it."""

    def __getitem__(self, name: str) -> Any:
        if name not in COMMANDS:
            raise KeyError(name)
        return loaded(name)

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


class LazyGroup(TyperGroup):
    """`partnership`: its sub-commands come from COMMANDS, each imported only to run it or show its
    own help. While it lists them (its help, completing a command name) it answers with a stand-in
    that carries the name and short help, so listing imports nothing."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = Loaded()
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)  # typer's own walks the commands' items, which would import them

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if self._listing and cmd_name in COMMANDS:
            return TyperCommand(cmd_name, help=COMMANDS[cmd_name].help)
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with self.listing():
            super().format_help(ctx, formatter)

    def shell_complete(self, ctx: Any, incomplete: str) -> Any:
        with self.listing():
            return super().shell_complete(ctx, incomplete)

    @contextlib.contextmanager
    def listing(self) -> Iterator[None]:
        self._listing = True
        try:
            yield
        finally:
            self._listing = False


@functools.cache
def loaded(name: str) -> Any:
    """The click command of one sub-command, built by typer as `app.command`/`app.add_typer` would
    have; its module is imported and its wiring done here, once."""
    entry = COMMANDS[name]
    module, _, attribute = entry.target.partition(":")
    with no_collection():
        target = getattr(importlib.import_module(module), attribute)
    if entry.wire is not None:
        entry.wire()
    holder = typer.Typer()
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    else:
        holder.command(name)(target)
    command = typer.main.get_group(holder).commands[name]
    one_line_listing(command)
    return command


def one_line_listing(group: Any) -> None:
    """A group's list shows each command's first paragraph; joined into one line, the terminal
    wraps it, not the docstring's own line ends (audit walkthrough 4, F13)."""
    for sub in getattr(group, "commands", {}).values():
        if sub.short_help is None and sub.help:
            sub.short_help = " ".join(inspect.cleandoc(sub.help).split("\n\n")[0].split())
        one_line_listing(sub)


@contextlib.contextmanager
def no_collection() -> Iterator[None]:
    """Importing a command creates many objects and frees almost none, so the garbage collector's
    passes over them while it runs find nothing to free (about 4 % of a read's time, issue 15).
    It is paused meanwhile; what the import made is then set aside from later passes (`freeze`),
    which a long-running command (`up`, `worker`, `console`) also profits from."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_on:
            gc.enable()


def load_all() -> None:
    """Import every sub-command (tests/cli_runner.py's forking interpreter does, once for all runs)."""
    for name in COMMANDS:
        loaded(name)


app = typer.Typer(
    cls=LazyGroup,
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


def path_problem(err: OSError) -> str:
    """One line for a file or folder the OS refused (`-o /proc/x.json`, a data dir that cannot be
    made): the path and the OS's reason, as `ls` or `cp` would say it."""
    from models.limits import control_free

    paths = " -> ".join(str(name) for name in (err.filename, err.filename2) if name is not None)
    return control_free(f"{paths}: {err.strerror or err}")


def main() -> None:
    code: int | str | None = 0
    try:
        app()
    except SystemExit as done:
        code = done.code
    except KeyboardInterrupt:
        code = 130
    except OSError as err:
        # A path the command was given (or its data dir) that cannot be made, written or read:
        # one line naming it and the OS's reason, wherever in whichever command it surfaced.
        if err.filename is None:
            raise
        print(path_problem(err), file=sys.stderr)
        code = 1
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
