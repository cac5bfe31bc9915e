"""How a governed workflow declares what it accepts: a filing's Update together with the rule that
may refuse it, and a message's Signal together with the rule its instruments must pass (issue 11).
The validator every filing gets and the check every message gets are written once, here."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.keyring import KeyRing, signature_problem
    from models.limits import bytes_problem
    from models.records import SenderCheck
    from models.signing import Filing, address_problem

if TYPE_CHECKING:
    from workflows.common import GovernedWorkflow

F = TypeVar("F", bound=Filing)


def reject(reason: str) -> ApplicationError:
    """The error a validator raises: its message is what the filer's CLI prints."""
    return ApplicationError(reason, type="FilingRejected", non_retryable=True)


def raise_if(problem: str | None) -> None:
    """Validators state rules as functions returning the problem, or None."""
    if problem:
        raise reject(problem)


@cache
def declared_type(handler: Callable) -> Any:
    """The type of a handler's one argument (after `self`), as its annotation names it."""
    hints = typing.get_type_hints(getattr(handler, "__wrapped__", handler))
    return hints[list(inspect.signature(handler).parameters)[1]]


def payload_problem(value: Any, handler: Callable) -> str | None:
    """Issue 12: anyone with access to the namespace can send an Update or signal directly. A
    payload that does not decode never reaches a handler (the SDK rejects the Update, drops the
    signal); but a null payload decodes to None whatever the declared type, and would fail the
    workflow task in whatever reads it first. So every handler checks its argument's type first."""
    expected = declared_type(handler)
    kind = typing.get_origin(expected) or expected
    if isinstance(kind, type) and not isinstance(value, kind):
        return f"{handler.__name__} takes {kind.__name__}, not {type(value).__name__}: nothing was changed"
    return None


def check_filing(filing: Filing, keys: KeyRing, seen: bool) -> None:
    """Raise a rejection unless the filer's key valid now verifies the filing and this very
    filing was not accepted before (a signed paper is presented once)."""
    raise_if(signature_problem(filing, keys, workflow.now()))
    if seen:
        raise reject(f"filing {filing.filing_id} was already received; file a new instrument")


def governed_update(rule: Callable[[Any, F], str | None]) -> Callable[[Callable], Any]:
    """Declare a filing's Update together with the rule that may refuse it. The validator every
    filing gets is written once, here: a filing id already accepted (a resent instrument), the
    rule's problem (if any), then the filer's signature against the workflow's key registry.

        @governed_update(lambda wf, filing: notice_problem(wf._state, filing, workflow.now()))
        async def give_termination_notice(self, notice: TerminationNotice) -> NoticeReceipt: ...
    """

    def declare(handler: Callable) -> Any:
        update = workflow.update(handler)

        def validate(self: GovernedWorkflow, filing: F) -> None:
            raise_if(payload_problem(filing, handler) or bytes_problem(filing))
            if self._was_seen(filing):  # a resent paper: say so before any rule
                raise reject(f"filing {filing.filing_id} was already received; file a new instrument")
            # Issue 11: a paper signed for another workflow (another cycle, amendment, action) is
            # good for that one only.
            raise_if(address_problem(filing, workflow.info().workflow_id))
            raise_if(rule(self, filing))
            raise_if(self._filings_problem(filing))
            check_filing(filing, self._filing_keys(), self._was_seen(filing))

        validate.__name__ = f"_check_{handler.__name__}"
        validate.__signature__ = inspect.signature(handler)  # type: ignore[attr-defined]  # Temporal compares them
        update.validator(validate)
        return update

    return declare


M = TypeVar("M")


def message_problem(rule: Callable[[Any, M], str | None], receiver: GovernedWorkflow, message: M) -> str | None:
    """The rule's problem with a message. A value the rule cannot even check (a date out of the
    calendar's range, a party with no time zone) is a problem too: raised in the workflow task, it
    would fail that task on every attempt, and anyone who can send a signal could stop the
    workflow for good. Nondeterminism (a sandbox refusal among it) is a defect of ours, not of the
    message, and stays loud."""
    try:
        return rule(receiver, message)
    except workflow.NondeterminismError:
        raise
    except Exception as err:  # said loudly too: it may be a defect of the rule, not of the message
        if workflow.in_workflow():
            workflow.logger.error("a message's rule failed", extra={"error": repr(err)[:300]})
        return f"its contents cannot be checked ({type(err).__name__}: {str(err)[:120]}): nothing was changed"


#: Messages that may await their senders' word at once in one workflow: each ask is an activity,
#: and a workflow may have only so many pending before its tasks fail.
ASKS_MAX = 20
#: Of those, messages resting on an instrument no key held here verifies (review 9): anyone can make
#: such a message, so a flood of them has a few places of its own and never crowds out the others.
UNCHECKED_ASKS_MAX = 4


def confirmed(receiver: GovernedWorkflow, check: SenderCheck, took: object) -> None:
    """A message its sender confirmed is acted on now, by its own handler; one it did not is refused,
    unless the same decision was told again meanwhile (the genuine message may have come after a
    copy sent ahead of it): then it is asked once more."""
    if took is not True and check.again:
        receiver._outbox.append(check.model_copy(update={"again": False}))
    elif took is not True:
        receiver._refuse_message(check.signal, f"{check.sender} took no decision on these instruments")
    else:
        handler = getattr(type(receiver), check.signal).__wrapped__
        handler(receiver, declared_type(handler).model_validate(check.message))


def ask_sender(receiver: GovernedWorkflow, name: str, ask: SenderCheck) -> None:
    """Queue the ask, once per decision (a copy marks the pending one to be asked again, not a second
    activity), and only ASKS_MAX at once."""
    asks = [e for e in receiver._outbox if isinstance(e, SenderCheck)]
    alike = [e for e in asks if e.unchecked == ask.unchecked]
    most = UNCHECKED_ASKS_MAX if ask.unchecked else ASKS_MAX
    if same := next((e for e in asks if e.key() == ask.key()), None):
        same.again = True
        receiver._refuse_message(name, f"the same decision already awaits {ask.sender}'s word")
    elif len(alike) >= most:
        what = "messages on instruments no key held here verifies" if ask.unchecked else "messages"
        receiver._refuse_message(name, f"{most} {what} already await their senders' word; send it later")
    else:
        receiver._outbox.append(ask)


def waits_its_turn(effect: object, in_flight: dict) -> bool:
    """An ask goes out only once the one before it of the same signal is answered, so messages of one
    kind are acted on in the order they came (a later cadence is never undone by an earlier one)."""
    return isinstance(effect, SenderCheck) and any(
        isinstance(e, SenderCheck) and e.signal == effect.signal for e in in_flight.values()
    )


def told_by_partnership(receiver: Any, _message: Any) -> str:
    """`confirm` for a message the Partnership sends a governed thing: ask the Partnership."""
    return receiver._case.partnership_id


def governed_signal(
    rule: Callable[[Any, M], str | None], confirm: Callable[[Any, M], str] | None = None
) -> Callable[[Callable], Any]:
    """Declare a message from another workflow together with the rule its evidence must pass
    (rules/messages.py). Temporal does not say who sent a signal; a message that fails its rule
    changes nothing and is counted in `refused_messages`. With `confirm` (which names the workflow
    that would have sent it), one that passes is acted on only once that workflow says it took the
    decision (`SenderCheck`): the instruments a message carries may be genuine and still not a
    decision taken (one of them withdrawn before the other came).

        @governed_signal(lambda wf, m: wound_down_problem(m, wf._case.keys, ...))
        def wound_down(self, message: JointWindDown) -> None: ...
    """

    def declare(handler: Callable) -> Any:
        def checked(self: GovernedWorkflow, message: M) -> None:
            if problem := payload_problem(message, handler) or message_problem(rule, self, message):
                self._refuse_message(handler.__name__, problem)
                return
            if confirm is not None:
                instruments = message.vouched()  # type: ignore[attr-defined]
                told = message.model_dump(mode="json")  # type: ignore[attr-defined]
                sender = confirm(self, message)
                keys = self._filing_keys()
                unchecked = any(keys.signer(f) is None for f in message.carried())  # type: ignore[attr-defined]
                ask = SenderCheck(
                    signal=handler.__name__, sender=sender, instruments=instruments, message=told, unchecked=unchecked
                )
                ask_sender(self, handler.__name__, ask)
                self._wake()
                return
            handler(self, message)

        checked.__name__ = handler.__name__
        checked.__qualname__ = handler.__qualname__
        checked.__doc__ = handler.__doc__
        checked.__annotations__ = handler.__annotations__
        checked.__wrapped__ = handler  # type: ignore[attr-defined]  # its types are read from here
        return workflow.signal(checked)

    return declare
