"""Which key signed each filing in a history (issue 13): the registry a workflow started with, moved
on by the key changes it accepted, replayed from the history alone. `audit verify` reports the key
history and the filings made with a key revoked later; `audit timeline` names each filing's key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter

from models.key_changes import change_problem, completed_revocation, revokers, void_halves
from models.keyring import KeyChange, KeyEntry, KeyRevocation, KeyRing, KeyRotation
from models.messages import KeyChanges
from models.signing import Filing
from rules.messages import changes_problem
from workflows.registry import WORKFLOW_TYPES

CLASSES = {t.name: t.cls for t in WORKFLOW_TYPES}


@dataclass
class SignedFiling:
    event_id: int
    at: datetime
    update: str
    filed_by: str
    filing_id: str
    key: KeyEntry | None  # the key whose signature it carries; None: none of the filer's


def _first(payloads: Any) -> Any:
    values = [pydantic_data_converter.payload_converter.from_payload(p) for p in payloads.payloads]
    return values[0] if values else None


def _filing(workflow_type: str, update: str, arg: Any) -> Filing | None:
    """The accepted filing as its own model, so its signed bytes can be computed again."""
    cls = CLASSES.get(workflow_type)
    definition = workflow._Definition.must_from_class(cls).updates.get(update) if cls else None
    types = definition.arg_types if definition else None
    if not types or not isinstance(arg, dict):
        return None
    try:
        return types[0].model_validate(arg)
    except (ValidationError, AttributeError):
        return None


def signed_filings(history: WorkflowHistory) -> tuple[KeyRing, list[SignedFiling]]:
    """The registry as the history leaves it, and each accepted filing with the key that signed it.
    Every key the run held is kept, not only the latest few a workflow carries: a filing made with
    a key changed many times since is still found signed (adversarial review 5, F2)."""
    ring = KeyRing()
    workflow_type = ""
    accepted: list[tuple[int, datetime, str, Filing]] = []
    held: dict[str, KeyRevocation] = {}
    for event in history.events:
        at = event.event_time.ToDatetime(tzinfo=UTC)
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            attrs = event.workflow_execution_started_event_attributes
            workflow_type = attrs.workflow_type.name
            state = _first(attrs.input)
            if isinstance(state, dict) and "keys" in state:
                ring = KeyRing.model_validate(state["keys"])
                # Halves a run held when it continued as new, as workflows/keys.py carries them.
                for half in (state.get("key_revocations") or {}).values():
                    try:
                        filing = KeyRevocation.model_validate(half)
                    except ValidationError:
                        continue
                    held[filing.filed_by] = filing
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request
            filing = _filing(workflow_type, request.input.name, _first(request.input.args))
            if filing is None:
                continue
            accepted.append((event.event_id, at, request.input.name, filing))
            change = None
            if isinstance(filing, KeyRotation):
                change = KeyChange(rotation=filing)
            elif isinstance(filing, KeyRevocation):
                change = completed_revocation(held, filing)
                held[filing.filed_by] = filing
                if change is not None:
                    for p in revokers(filing.revoked):
                        held.pop(p, None)
            if change is not None and change_problem(ring, change, at) is None:
                ring = ring.changed(change, at, kept=None)
                for filer in void_halves(held, change):
                    held.pop(filer)
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            attrs = event.workflow_execution_signaled_event_attributes
            if attrs.signal_name == "keys_changed":
                try:
                    batch = KeyChanges.model_validate(_first(attrs.input))
                except ValidationError:
                    continue
                if changes_problem(ring, batch, at) is None:
                    for change in batch.changes:
                        ring = ring.changed(change, at, kept=None)
    return ring, [
        SignedFiling(event_id, at, update, filing.filed_by, filing.filing_id, ring.signer(filing))
        for event_id, at, update, filing in accepted
    ]


def every_key(rings: list[KeyRing]) -> KeyRing:
    """Every key these registries hold, each once, as the latest word on it says (ended, if any
    says so): a run carries only the latest few keys into the next, so no one run has them all."""
    known: dict[tuple[str, str], KeyEntry] = {}
    for ring in rings:
        for entry in ring.entries:
            seen = known.get((entry.identity, entry.public_key))
            if seen is None or (seen.valid_until is None and entry.valid_until is not None):
                known[(entry.identity, entry.public_key)] = entry
    first = datetime.min.replace(tzinfo=UTC)
    return KeyRing(entries=sorted(known.values(), key=lambda e: e.valid_from or first))


def key_report(histories: list[WorkflowHistory], partnership_id: str) -> tuple[list[str], list[str]]:
    """(the key history of every identity, as the Partnership's history holds it; the filings
    signed with a key revoked after they were received). A filing's key is looked up in that key
    history, not in the registry of the run it was made in: a closed child, or an earlier run of
    the Partnership, never learns of a later revocation (audit walkthrough 4, F10)."""
    later: list[str] = []
    ours: list[KeyRing] = []  # the audited Partnership's runs
    others: list[KeyRing] = []  # the rest, but another Partnership's (review 9: its keys are not ours)
    signed = []
    for history in histories:
        ring, filings = signed_filings(history)
        if not _is_partnership(history):
            others.append(ring)
        elif history.workflow_id == partnership_id:
            ours.append(ring)
        signed.append((history, filings))
    latest = every_key(ours or others)
    for history, filings in signed:
        for f in filings:
            if f.key is None:
                continue
            key = next((e for e in latest.history(f.key.identity) if e.public_key == f.key.public_key), f.key)
            if key.ended_by == "revocation" and key.valid_until and f.at < key.valid_until:
                later.append(
                    f"{history.workflow_id} event {f.event_id}: {f.update} by {f.filed_by} (filing {f.filing_id}) "
                    f"was made with key {key.fingerprint}, revoked later ({key.valid_until:%Y-%m-%d %H:%MZ}); "
                    "it was valid when received"
                )
    if not any(e.valid_until for e in latest.entries):
        return [], later  # no key ever changed: nothing to tell beyond `keys show`
    return [f"{e.identity} key {e.fingerprint}: valid {e.interval()}" for e in latest.entries], later


def _is_partnership(history: WorkflowHistory) -> bool:
    first = history.events[0] if history.events else None
    return bool(first) and first.workflow_execution_started_event_attributes.workflow_type.name == "PartnershipWorkflow"
