"""What every CLI command shares: one-line errors, JSON output, dates, signing and filing."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from audit.errors import ArchiveMissing
from engine.client import Unreachable, connect
from engine.keys import KeyMissing, load_private_key
from engine.stack import StackError
from models.identities import Identity
from models.signing import Filing, sign

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
AsOption = Annotated[Identity, typer.Option("--as", help="Who files: UK, ROK or SECRETARIAT (signs with that key).")]

F = TypeVar("F", bound=Filing)

NOT_BOOTSTRAPPED = "no Partnership here yet: run `partnership bootstrap` (or `make run`)"


class Refused(Exception):
    """A filing or read that cannot go ahead, with the sentence that says why."""


def fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def usage(message: str) -> NoReturn:
    """A usage error the options' types could not catch (a name looked up at run time): the same
    message and exit 2 as typer's own."""
    raise typer.BadParameter(message)


def explain(err: BaseException) -> str:
    """One line for an error a user can act on."""
    if isinstance(err, WorkflowUpdateFailedError):
        cause = err.cause
        return f"rejected: {getattr(cause, 'message', None) or cause or err}"
    if isinstance(err, RPCError):
        return f"Temporal refused the request: {err.message}"
    return str(err)


EXPECTED = (WorkflowUpdateFailedError, RPCError, KeyMissing, StackError, Unreachable, Refused, ArchiveMissing)


def run(coro: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    """Run an async command; turn expected failures into one line on stderr and exit 1."""

    @functools.wraps(coro)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return asyncio.run(coro(*args, **kwargs))
        except EXPECTED as err:
            fail(explain(err))

    return wrapper


def emit(model: BaseModel | list[Any] | dict[str, Any]) -> None:
    if isinstance(model, BaseModel):
        data: Any = model.model_dump(mode="json")
    elif isinstance(model, list):
        data = [m.model_dump(mode="json") if isinstance(m, BaseModel) else m for m in model]
    else:
        data = model
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def day_option(help: str) -> Any:
    """A YYYY-MM-DD option, parsed by typer (a bad date is its usage error, exit 2)."""
    return typer.Option(help=help, formats=["%Y-%m-%d"], metavar="YYYY-MM-DD")


def day(value: datetime | None) -> date | None:
    return value.date() if value else None


def signed_as(filing: F) -> F:
    """Sign with the filer's own key; auditors have none and file nothing."""
    if filing.filed_by is Identity.AUDITOR:
        raise Refused("AUDITOR only reads; file as UK, ROK or SECRETARIAT")
    return sign(filing, load_private_key(filing.filed_by))


async def query_or_explain(handle: WorkflowHandle, query: Any, missing: str) -> Any:
    """A query; when the workflow does not exist, `missing` is what the user reads."""
    try:
        return await handle.query(query)
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            raise Refused(missing) from None
        raise


async def client() -> Client:
    return await connect()


async def partnership() -> WorkflowHandle:
    from workflows.partnership import PARTNERSHIP_ID

    return (await client()).get_workflow_handle(PARTNERSHIP_ID)


async def ask(query: Any) -> Any:
    """A query of the Partnership; where there is none yet, say how to make one."""
    return await query_or_explain(await partnership(), query, NOT_BOOTSTRAPPED)


async def file_on(ident: str, update: Any, filing: Filing, show: Any, kind: str) -> Any:
    """File on a governed thing (an amendment, action, consultation); once it has ended and its
    workflow is closed, say so in words rather than as a server error."""
    handle = (await client()).get_workflow_handle(ident)
    try:
        return await handle.execute_update(update, signed_as(filing))
    except RPCError as err:
        if err.status is not RPCStatusCode.NOT_FOUND:
            raise
        view = await query_or_explain(handle, show, f"no {kind} {ident}; `partnership {kind} list` shows them")
        state = getattr(view, "status", None) or view.summary.state
        raise Refused(f"{ident} is {state}; nothing more can be filed on it") from None
