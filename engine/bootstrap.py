"""`partnership bootstrap`: keys, search attributes, the Partnership and its two signatures.

Idempotent: a second run finds everything in place and changes nothing.
"""

from __future__ import annotations

import hashlib
from datetime import date

import structlog
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from engine import config
from engine.archive import ensure_archive_schedule
from engine.keys import (
    KeyProblem,
    init_keys,
    keys_without_private_half,
    load_private_key,
    office,
    office_identities,
    office_name,
    own_public_keys,
    private_key_path,
    public_keys,
    replaced_here,
)
from models.forum import DEFAULT_DAY, DEFAULT_MONTH, ForumCalendar
from models.identities import PARTICIPANTS, Identity
from models.partnership import PartnershipState, PartnershipStatus, SignPartnership, Stage
from models.search import ALL as SEARCH_ATTRIBUTES
from models.search import GOVERNANCE_STATE, PARAGRAPH_REFS
from models.signing import fingerprint, sign
from models.text import agreement_bytes
from workflows.partnership import PARTNERSHIP_ID, PartnershipWorkflow

log = structlog.get_logger("bootstrap")

#: "Signed in duplicate at the Royal Society … on the 22 November 2023".
SIGNED_ON = date(2023, 11, 22)


def text_sha256() -> str:
    return hashlib.sha256(agreement_bytes()).hexdigest()


def search_attribute_flags() -> list[str]:
    """`--search-attribute` flags for `temporal server start-dev`."""
    flags: list[str] = []
    for key in SEARCH_ATTRIBUTES:
        flags += ["--search-attribute", f"{key.name}={key._metadata_type}"]
    return flags


async def ensure_search_attributes(client: Client, strict: bool = False) -> None:
    """Register our search attributes on a cluster; already there, or not allowed (Cloud: do it
    in the Cloud UI), is logged and not an error."""
    request = AddSearchAttributesRequest(
        namespace=client.namespace,
        search_attributes={k.name: IndexedValueType.ValueType(int(k.indexed_value_type)) for k in SEARCH_ATTRIBUTES},
    )
    try:
        await client.operator_service.add_search_attributes(request)
    except RPCError as err:
        if strict and err.status is not RPCStatusCode.ALREADY_EXISTS:
            raise
        log.debug("search attributes not added", reason=err.message)


async def start_partnership(
    client: Client,
    task_queue: str | None = None,
    workflow_id: str = PARTNERSHIP_ID,
    state: PartnershipState | None = None,
) -> WorkflowHandle:
    """Start the Partnership workflow once; later calls return the existing one."""
    state = state or PartnershipState(keys=public_keys(), text_sha256=text_sha256())
    try:
        return await client.start_workflow(
            PartnershipWorkflow.run,
            state,
            id=workflow_id,
            task_queue=task_queue or config.task_queue(),
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(GOVERNANCE_STATE, Stage.AWAITING_SIGNATURES.value),
                    SearchAttributePair(PARAGRAPH_REFS, ["31"]),
                ]
            ),
        )
    except WorkflowAlreadyStartedError:
        return client.get_workflow_handle(workflow_id)


async def bootstrap(
    client: Client, task_queue: str | None = None, workflow_id: str = PARTNERSHIP_ID, schedule: bool = True
) -> PartnershipStatus:
    """Keys if absent, the Partnership, each Participant's signature of 22 November 2023, the
    yearly Forum schedule and the hourly archive schedule. One machine only: it signs for both."""
    if office() is not None:
        raise KeyProblem(
            f"bootstrap signs for both Participants, so it runs only where one machine holds every key "
            f"(PARTNERSHIP_OFFICE is {office_name()}): start with `partnership start --key …`, then each "
            "Participant runs `partnership sign` from its own office"
        )
    if missing := keys_without_private_half():
        files = ", ".join(private_key_path(i).name for i in missing)
        raise KeyProblem(
            f"{config.keys_dir()} holds the public key but not the private key of {', '.join(missing)}: put "
            f"{files} there (a backup taken without --include-private-keys holds none); no key was made"
        )
    if problem := await other_registry_problem(client, workflow_id):
        raise KeyProblem(problem)
    created = init_keys()
    if any(created.values()):
        log.info("keys created", identities=[i.value for i, new in created.items() if new])
    await ensure_search_attributes(client)
    handle = await start_partnership(client, task_queue, workflow_id)
    status = await handle.query(PartnershipWorkflow.status)
    signed = {s.participant for s in status.signatories}
    for participant in PARTICIPANTS:
        if participant in signed:
            continue
        filing = SignPartnership(
            filed_by=participant, addressed_to=workflow_id, signed_on=SIGNED_ON, text_sha256=status.text_sha256
        )
        await handle.execute_update(PartnershipWorkflow.sign, sign(filing, load_private_key(participant)))
        log.info("signature filed", participant=participant.value, signed_on=str(SIGNED_ON))
    if schedule:  # the time-skipping test server has no schedules (and tests start cycles by hand)
        if (await handle.query(PartnershipWorkflow.forum_calendar)).month is None:
            usual = ForumCalendar(
                filed_by=Identity.SECRETARIAT, addressed_to=workflow_id, month=DEFAULT_MONTH, day=DEFAULT_DAY
            )
            await handle.execute_update(
                PartnershipWorkflow.set_forum_calendar, sign(usual, load_private_key(Identity.SECRETARIAT))
            )
        await ensure_archive_schedule(client, task_queue)
    return await handle.query(PartnershipWorkflow.status)


async def other_registry_problem(client: Client, workflow_id: str = PARTNERSHIP_ID) -> str | None:
    """Walk-through F13: a Partnership that already runs under keys this data dir does not hold
    (another trial's, or the offices' of a two-ministry deployment) would refuse every signature
    bootstrap files, after bootstrap had made private keys here that no office should hold and that
    leave every later read refused. So it is refused first, before any key is made: where a key
    would be made (none can be the one the Partnership holds), or where none of this dir's keys is
    the one it holds. One key replaced here while the rest match is this trial's own (the lost-key
    recipe: `keys init --replace`, awaiting the other side's `keys revoke`), so `up` still starts."""
    try:
        ring = await client.get_workflow_handle(workflow_id).query(PartnershipWorkflow.key_ring)
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return None  # no Partnership yet: bootstrap starts it with this dir's keys
        raise
    held = own_public_keys()
    awaiting = replaced_here(ring)
    for identity in office_identities():
        current, mine = ring.current(identity), held.get(identity)
        if current is not None and (current.public_key == mine or identity in awaiting):
            continue
        theirs = f"it holds key {current.fingerprint} for {identity}" if current else f"it holds no key for {identity}"
        here = f"this data dir holds {fingerprint(mine)}" if mine else "this data dir holds none"
        return (
            f"a Partnership with other keys already runs at {client.service_client.config.target_host} "
            f"({theirs}; {here}): bootstrap is for a new one-machine trial; no key was made"
        )
    return None
