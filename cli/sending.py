"""Sending a signed filing as an Update, and what counts as no answer (issues 15 and 17).

A filing goes as an Update whose id belongs to that one signed instrument. When Temporal gives no
answer, the same Update is asked again, for up to ASK_AGAIN_FOR seconds in all: the server takes one
Update per id and answers a repeat with the first outcome, so nothing is filed twice. After that
the command says so and keeps the instrument (cli/pending.py) for the same command to send again.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from temporalio.client import WorkflowHandle, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from cli import calls
from engine.client import Unreachable
from models.signing import Filing

#: The server went away mid-request (restarting, network): the request may or may not have landed.
NO_ANSWER = (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)


def no_answer(err: BaseException) -> bool:
    return isinstance(err, Unreachable | WorkflowUpdateRPCTimeoutOrCancelledError) or (
        isinstance(err, RPCError) and err.status in NO_ANSWER
    )


#: How long a filing waits for an answer, asking again under the same update id when Temporal gives
#: none (a server restarting, no worker taking the Update in time). A decided rule.
ASK_AGAIN_FOR = 60.0

#: The filings this command sent and got no answer for at least once (see `run`).
asked_again: set[str] = set()


def update_id(instrument: Filing) -> str:
    """The Update's id: the filing id and a digest of the signature. The same signed instrument
    asks again under the same id; another instrument that reuses a filing id someone has seen
    cannot take that id first and so be answered in the real filing's place."""
    digest = hashlib.sha256(instrument.signature.encode()).hexdigest()[:16]
    return f"filing-{instrument.filing_id}-{digest}"


async def send(handle: WorkflowHandle, update: Any, instrument: Filing) -> Any:
    """Execute the Update under the instrument's own update id (`update_id`). The server takes one
    Update per id and answers a repeat with the first one's outcome, so asking again after no
    answer files nothing twice; after ASK_AGAIN_FOR seconds in all the user is told and the
    instrument kept (cli/pending.py). `update`: a handler named in cli/calls.py, or the workflow's
    method."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + ASK_AGAIN_FOR
    while True:
        try:
            # The SDK itself waits on, unbounded, while no worker takes the Update: bound it here.
            async with asyncio.timeout(max(give_up - loop.time(), 0.1)):
                return await calls.update(handle, update, instrument, id=update_id(instrument))
        except (WorkflowUpdateRPCTimeoutOrCancelledError, RPCError, TimeoutError) as err:
            # Ctrl-C cancels the command, which the SDK reports as an Update cancelled: that is
            # the user's answer, not the server's silence, so it is never asked again.
            if (task := asyncio.current_task()) is not None and task.cancelling() > 0:
                raise
            if not isinstance(err, TimeoutError) and not no_answer(err):
                raise
            asked_again.add(instrument.filing_id)
            if loop.time() >= give_up:
                raise WorkflowUpdateRPCTimeoutOrCancelledError() from err
        await asyncio.sleep(1)
