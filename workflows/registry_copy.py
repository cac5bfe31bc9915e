"""How a governed thing keeps its copy of the key registry: set at its start, then changed only by
the rotations and revocations its Partnership forwards, as the instruments themselves, each
verified here against this copy (a mixin of GovernedWorkflow, which provides the queue and the
loop)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.keyring import KeyChange, KeyRing
    from models.messages import KEY_CHANGES_MAX, KeyChanges
    from rules.messages import changes_problem
    from workflows.handlers import governed_signal


class RegistryCopy:
    """Mixin of GovernedWorkflow; it relies on its `_filing_keys`, `_messages`, `_tell` and `_wake`."""

    _case: Any
    _messages: list[Any]
    _filing_keys: Callable[[], KeyRing]

    #: A child holds its own copy of the registry, set at its start; the Partnership's changes
    #: only by its own filings.
    KEYS_FROM_PARTNERSHIP = True

    @governed_signal(
        lambda wf, batch: (
            changes_problem(wf._filing_keys(), batch, workflow.now()) if wf.KEYS_FROM_PARTNERSHIP else "not a child"
        )
    )
    def keys_changed(self, batch: KeyChanges) -> None:
        """Rotations and revocations the Partnership received, forwarded as the instruments
        themselves and in the order received: applied only if each verifies against this
        workflow's own registry as the ones before it left it, so a change forged by anyone with
        access to the namespace changes nothing."""
        keys = self._filing_keys()
        for change in batch.changes:
            keys = keys.changed(change, workflow.now())
        self._case.keys = keys  # type: ignore[attr-defined]
        self._wake()  # type: ignore[attr-defined]

    def _forward_key_change(self, workflow_id: str, change: KeyChange) -> None:
        """Queue a key change for a child, in the same signal as any other not yet sent to it: one
        signal's changes arrive in order, while Temporal may deliver two signals in either order,
        and a rotation overtaking the revocation before it would leave the revocation's completing
        half signed by a key the child no longer takes. (Two changes sent in different dispatches
        can still cross: README, "Rules decided here (issue 13)".)"""
        for queued in self._messages:
            if queued.start is not None and queued.target == workflow_id:
                # Not started yet: it starts with the registry as it is now. (A signal issued with
                # its start could reach the server before the child exists, and be lost.)
                queued.arg.keys = self._filing_keys()
                return
            if queued.start is None and queued.target == workflow_id and queued.signal == "keys_changed":
                if len(queued.arg.changes) < KEY_CHANGES_MAX:
                    queued.arg.changes.append(change)
                    return
        self._tell(workflow_id, "keys_changed", KeyChanges(changes=[change]))  # type: ignore[attr-defined]
