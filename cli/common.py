"""What every CLI command shares: one-line errors, JSON output, dates, signing and filing."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import typing
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
import typer.models
from pydantic import BaseModel, ValidationError
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode

from audit.errors import ArchiveMissing, RegisterUnreachable
from cli import pending
from cli.output import echo
from cli.register_reads import closed_here, closed_in_register, numbered
from cli.sending import asked_again, no_answer, send
from engine.client import StackError, Unreachable, connect, missing_data_dir
from engine.keys import KeyProblem, awaiting_revocation_line, load_private_key, registry_problem, replaced_here
from models import names
from models.identities import Identity
from models.limits import bytes_problem
from models.signing import Filing, sign

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]

F = TypeVar("F", bound=Filing)

NOT_BOOTSTRAPPED = "no Partnership here yet: run `partnership bootstrap` (or `make run`)"


class Refused(Exception):
    """A filing or read that cannot go ahead, with the sentence that says why."""


class Missing(Refused):
    """A read of a governed thing that is not there (the console answers 404)."""


def fail(message: str) -> NoReturn:
    echo(message, err=True)
    raise typer.Exit(1)


def usage(message: str) -> NoReturn:
    """A usage error the options' types could not catch (a name looked up at run time): the same
    message and exit 2 as typer's own."""
    raise typer.BadParameter(message)


def explain(err: BaseException, named: Callable[[str], str] = str) -> str:
    """One line for an error a user can act on; `named` names a filing's field as its filer knows it."""
    if isinstance(err, WorkflowUpdateFailedError):
        cause = err.cause
        return f"rejected: {getattr(cause, 'message', None) or cause or err}"
    if no_answer(err) and not isinstance(err, Unreachable):
        return "Temporal did not answer (is the server restarting?): retry in a moment"
    if isinstance(err, RPCError):
        return f"Temporal refused the request: {err.message}"
    if isinstance(err, ValidationError):
        return f"refused before signing: {field_problem(err, named)}"
    return str(err)


def field_problem(err: ValidationError, named: Callable[[str], str] = str) -> str:
    """The first field over its limit, and the limit (models/limits.py), on one line; `named` gives
    the field the name its filer knows it by."""
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or err.title
    return f"{named(where)}: {first['msg'].removeprefix('Value error, ')}"


def option_of(command: Callable[..., Any], field: str) -> str:
    """The command's option for a filing's field (`--lead-uk` for lead_uk), where a parameter of the
    same name takes it; otherwise the field's own name."""
    try:
        hint = typing.get_type_hints(command, include_extras=True).get(field)
    except NameError:  # an annotation only a type checker can resolve
        return field
    info = next((m for m in getattr(hint, "__metadata__", ()) if isinstance(m, typer.models.OptionInfo)), None)
    if info is None:
        return field
    return next((d for d in info.param_decls or () if d.startswith("--")), "--" + field.replace("_", "-"))


def read_text(path: Path) -> str:
    """A filer's text file: UTF-8, line ends made \\n (a file saved on Windows is still one text)."""
    try:
        return path.read_bytes().decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as err:
        bad = f"byte {err.object[err.start]:#04x} at offset {err.start}"
        raise Refused(f"{path} is not UTF-8 text ({bad}); save it as UTF-8") from None
    except OSError as err:
        raise Refused(f"{path} cannot be read: {err.strerror}") from None


EXPECTED = (
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowQueryFailedError,
    RPCError,
    KeyProblem,
    StackError,
    Unreachable,
    Refused,
    ValidationError,
    ArchiveMissing,
    RegisterUnreachable,
)


async def _once(command: Awaitable[Any]) -> Any:
    try:
        return await command
    finally:
        forget_connection()


def forget_connection() -> None:
    """A command's connection belongs to its event loop, which ends with it."""
    if not _keep_connection:
        _connected.clear()
        forget_registry_check()


def run(coro: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    """Run an async command; turn expected failures into one line on stderr and exit 1. A filing
    that got no answer stays kept for the same command to resend (cli/pending.py)."""

    @functools.wraps(coro)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        asked_again.clear()  # this command's own
        try:
            result = asyncio.run(_once(coro(*args, **kwargs)))
        except EXPECTED as err:
            said = explain(err, functools.partial(option_of, coro))
            if no_answer(err):
                fail(said + pending.kept_note())
            again = pending.resent()
            pending.answered()
            # A resend, or a filing asked again within this command after the Partnership had
            # continued as new (a new run does not know the first update id): the "already
            # received" refusal says the first sending landed.
            refused = re.search(r"filing (\S+) was already received", said)
            landed = {again.filing_id} if again is not None else set()
            if isinstance(err, WorkflowUpdateFailedError) and refused and refused[1] in landed | asked_again:
                typer.echo(f"filing {refused[1]} was received the first time it was sent; nothing more to do")
                return None
            if isinstance(err, RPCError) and err.status is RPCStatusCode.INVALID_ARGUMENT and "query" in said:
                usage(f"--query: {err.message}")  # a query Temporal cannot parse is the user's to fix (exit 2)
            fail(said)
        except typer.Exit:
            pending.answered()
            raise
        pending.answered()
        return result

    return wrapper


def day_option(help: str) -> Any:
    """A YYYY-MM-DD option, parsed by typer (a bad date is its usage error, exit 2)."""
    return typer.Option(help=help, formats=["%Y-%m-%d"], metavar="YYYY-MM-DD")


def day(value: datetime | None) -> date | None:
    return value.date() if value else None


def signed_by_filer(filing: F) -> F:
    """The instrument signed with its filer's own key from this data dir; auditors have none and
    file nothing. The CLI and the console both sign here."""
    if filing.filed_by is Identity.AUDITOR:
        raise Refused("AUDITOR only reads; file as UK, ROK or SECRETARIAT")
    if (replaced := _replaced_here.get(filing.filed_by)) is not None:
        raise Refused(awaiting_revocation_line(filing.filed_by, replaced))
    if problem := bytes_problem(filing):
        raise Refused(f"refused before signing: {problem}")
    return sign(filing, load_private_key(filing.filed_by))


def signed_as(filing: F, to: str) -> F:
    """Address the filing to the workflow `to` (issue 11) and sign it with the filer's own key, or
    resend the instrument an unanswered run kept (an auditor's is refused in signed_by_filer)."""
    return pending.kept_or_signed(filing.model_copy(update={"addressed_to": to}), signed_by_filer)


async def file_on_partnership(update: Any, filing: Filing) -> Any:
    """File on the Partnership itself."""
    handle = await partnership()
    return await send(handle, update, signed_as(filing, handle.id))


async def query_or_explain(handle: WorkflowHandle, query: Any, missing: str) -> Any:
    """A query; when the workflow does not exist, `missing` is what the user reads. A governed
    thing's state is shown only under the registry this office agreed to, as the Partnership's is:
    the query goes out while the registry is checked (one wait, not two), and its answer is used
    only once the registry agrees."""
    from cli.calls import query as ask_workflow

    registry = (
        handle if handle.id == names.PARTNERSHIP_ID else (await client()).get_workflow_handle(names.PARTNERSHIP_ID)
    )
    reading = asyncio.ensure_future(ask_workflow(handle, query))
    try:
        await check_registry(registry)
    except BaseException:
        await called_off(reading)
        raise
    try:
        return await reading
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND and err.message.startswith("Namespace "):
            # A namespace misspelt is not a Partnership yet to bootstrap (walkthrough 2).
            where = (await client()).service_client.config.target_host
            raise Refused(f"{err.message.rstrip('.')} at {where}: check TEMPORAL_NAMESPACE") from None
        if err.status is RPCStatusCode.NOT_FOUND:
            raise Missing(closed_here(handle.id) or missing) from None
        raise
    except (WorkflowQueryFailedError, ValidationError) as err:
        # No id at all, or a workflow of another kind: it has no such query, or answers another
        # kind's view (every governed id shares one namespace, and an id pasted from the wrong line
        # lands here). A query that failed in its handler stays what it is.
        if isinstance(err, ValidationError) or "expected but not found" in str(err) or not handle.id:
            raise Missing(missing) from None
        raise


async def called_off(task: asyncio.Future[Any]) -> None:
    """Cancel a read whose answer is no longer wanted (if it is still under way), and take its
    outcome, whatever it was."""
    task.cancel()
    with contextlib.suppress(BaseException):
        await task


async def together(*reads: Awaitable[Any]) -> list[Any]:
    """Reads sent at once (one wait, not one after the other). Their answers come in the order
    asked; when one fails the later ones are called off and its error is the command's, as when
    they were asked one by one."""
    tasks = [asyncio.ensure_future(read) for read in reads]
    try:
        return [await task for task in tasks]
    finally:
        for task in tasks:  # each outcome taken, so a second failure is not reported as unretrieved
            await called_off(task)


_connected: list[asyncio.Future[Client]] = []  # one connection per command (each is one asyncio.run)
_registry_agrees: set[str] = set()  # the Partnerships whose registry this command has checked
_registry_checking: dict[str, asyncio.Future[None]] = {}  # a check under way, shared by the command's reads
_replaced_here: dict[Identity, str] = {}  # this office's keys replaced here, the revocation not yet taken
_keep_connection = False


def forget_registry_check() -> None:
    """The next read or filing checks the Partnership's key registry again (a long-running watch)."""
    _registry_agrees.clear()
    _registry_checking.clear()
    _replaced_here.clear()


def keep_connection() -> None:
    """A long-running process (the console) keeps the first connection that succeeds for every
    request after it; a CLI command's connection ends with the command."""
    global _keep_connection
    _keep_connection = True


async def client() -> Client:
    """The command's one connection, shared by its concurrent reads (`status` reads while its
    health check asks): the first caller connects, the others wait for that same connection. One
    that failed is forgotten, so the next call connects again."""
    if _connected and _connected[0].done() and (_connected[0].cancelled() or _connected[0].exception()):
        _connected.clear()  # it failed (whether or not anyone was waiting for it)
    if not _connected:
        if problem := missing_data_dir():  # wherever the server is: no key or pin there to check it by
            raise Refused(f"{problem}: this office's keys and pins are not there; set the office's data dir")
        _connected.append(asyncio.ensure_future(connect()))
    return await asyncio.shield(_connected[0])  # a caller called off leaves the others' connection


async def partnership(check_keys: bool = True) -> WorkflowHandle:
    """The running Partnership, once its key registry agrees with this office's keys and pins."""
    handle = (await client()).get_workflow_handle(names.PARTNERSHIP_ID)
    if check_keys:
        await check_registry(handle)
    return handle


async def check_registry(handle: WorkflowHandle) -> None:
    """Issue 13: every filing and read first checks the running Partnership's registry against
    this office's keys and pins (a swapped registry is refused here); once per command (its reads
    wait for the same check), each time in the console. No Partnership yet: the command says so."""
    if handle.id in _registry_agrees:
        return
    if _keep_connection:
        return await _registry_check(handle)
    if handle.id not in _registry_checking:
        checking = asyncio.ensure_future(_registry_check(handle))
        # Taken here, so a check whose readers were all called off is not reported as unretrieved.
        checking.add_done_callback(lambda done: done.cancelled() or done.exception())
        _registry_checking[handle.id] = checking
    await asyncio.shield(_registry_checking[handle.id])


async def _registry_check(handle: WorkflowHandle) -> None:
    from cli.calls import Partnership, query

    try:
        ring = await query(handle, Partnership.key_ring)
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return
        raise
    if problem := registry_problem(ring):
        raise Refused(f"{problem}: not the registry this office agreed to; nothing was sent or shown")
    _replaced_here.clear()  # the console checks before each filing: a revocation taken since ends it
    _replaced_here.update(replaced_here(ring))
    if not _keep_connection:
        _registry_agrees.add(handle.id)


async def ask(query: Any) -> Any:
    """A query of the Partnership; where there is none yet, say how to make one."""
    return await query_or_explain(await partnership(check_keys=False), query, NOT_BOOTSTRAPPED)


M = TypeVar("M", bound=BaseModel)


async def with_closed(query: Any, kind: str, model: type[M], key: str) -> list[M]:
    """What the Partnership answers to `query` (what it carries: everything open, and what closed
    since it last continued as new), after the closed ones it left in the register (issue 12).
    The Partnership's own answer wins for a thing both know."""
    carried: list[M] = await ask(query)
    held = {getattr(thing, key) for thing in carried}
    closed = [thing for thing in closed_in_register(kind, model) if getattr(thing, key) not in held]
    return sorted(closed, key=lambda thing: numbered(getattr(thing, key))) + carried


async def file_on(
    ident: str, update: Any, filing: Filing, show: Any, kind: str, signer: Callable[[F], F] | None = None
) -> Any:
    """File on a governed thing (an amendment, action, consultation); once it has ended and its
    workflow is closed, say so in words rather than as a server error. The console signs with
    `signed_by_filer`: its confirmation page already fixed the instrument's filing id."""
    await partnership()  # its key registry checked first
    handle = (await client()).get_workflow_handle(ident)
    try:
        instrument = signer(filing) if signer else signed_as(filing, ident)
        return await send(handle, update, instrument)
    except RPCError as err:
        if err.status is not RPCStatusCode.NOT_FOUND:
            raise
        view = await query_or_explain(handle, show, f"no {kind} {ident}; `partnership {kind} list` shows them")
        ended = (await handle.describe()).status
        if ended is not None and ended.name in ("TERMINATED", "CANCELED", "TIMED_OUT"):  # not by its rules
            how = f"{ended.name.lower().replace('_', ' ')} from outside the rules (`partnership audit verify` names it)"
            raise Refused(f"{ident}'s workflow was {how}; nothing can be filed on it") from None
        raise Refused(f"{ident} is {lifecycle_of(view)}; nothing more can be filed on it") from None


def lifecycle_of(view: Any) -> str:
    """Where a governed thing's view says it stands: an amendment's status, an action's or a
    consultation's state, a Forum cycle's stage."""
    summary = getattr(view, "summary", None)
    for value in (getattr(view, "status", None), getattr(summary, "state", None), getattr(summary, "stage", None)):
        if value is not None:
            return str(getattr(value, "value", value))
    return "closed"
