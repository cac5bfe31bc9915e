"""¶31: the Partnership comes into effect on the date of signature by the Participants.

One workflow (id `partnership`) is the entity: signatures, the in-effect state, the text version
and the key registry. It runs for decades, so it continues as new whenever Temporal suggests it.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.calendar import local_date
    from models.identities import FILERS, PARTICIPANTS
    from models.partnership import (
        PartnershipState,
        PartnershipStatus,
        SignatoryView,
        SignatureRecord,
        SigningReceipt,
        SignPartnership,
        Stage,
    )
    from models.records import DecisionRecord, Notification
    from models.search import GOVERNANCE_STATE, PARAGRAPH_REFS
    from models.signing import fingerprint
    from workflows.common import Outbox, check_signature, reject

PARTNERSHIP_ID = "partnership"  # the default id; decisions and mails are keyed by the actual one


def signing_problem(state: PartnershipState, filing: SignPartnership, now: datetime) -> str | None:
    """¶31: why this signature cannot be accepted now, or None. Signature checked separately."""
    signer = filing.filed_by
    if not signer.is_participant:
        return f"only a Participant signs the Partnership (UK or ROK), not {signer}"
    if signer in state.signatures:
        already = state.signatures[signer].signed_on
        return f"{signer} has already signed (on {already}); a Participant signs once"
    if state.stage is not Stage.AWAITING_SIGNATURES:
        return f"the Partnership is {state.stage}, not awaiting signatures"
    if filing.text_sha256 != state.text_sha256:
        return (
            f"the signature is over a different text (sha256 {filing.text_sha256[:12]}…); "
            f"the text awaiting signature has sha256 {state.text_sha256[:12]}…"
        )
    today = local_date(now, signer)
    if filing.signed_on > today:
        return f"signed_on {filing.signed_on} is in the future; sign on or before {today}"
    return None


@workflow.defn
class PartnershipWorkflow:
    @workflow.init
    def __init__(self, state: PartnershipState) -> None:
        self._state = state
        self._outbox = Outbox(effects=list(state.outbox))

    @workflow.run
    async def run(self, state: PartnershipState) -> PartnershipStatus:
        while True:
            await workflow.wait_condition(
                lambda: (
                    bool(self._outbox.effects)
                    or self._state.stage is Stage.TERMINATED
                    or self._continue_as_new_due()
                )
            )
            await self._outbox.drain()
            if self._state.stage is Stage.TERMINATED:
                return self.status()
            if self._continue_as_new_due():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self._outbox.effects:
                    workflow.continue_as_new(self._carried_state())

    # ¶31 — signature ------------------------------------------------------------------------

    @workflow.update
    async def sign(self, filing: SignPartnership) -> SigningReceipt:
        """¶31: record one Participant's signature; in effect once both have signed."""
        received_at = workflow.now()
        signer = filing.filed_by
        wid = workflow.info().workflow_id
        self._state.signatures[signer] = SignatureRecord(
            participant=signer,
            signed_on=filing.signed_on,
            received_at=received_at,
            key_fingerprint=fingerprint(self._state.keys[signer]),
        )
        self._outbox.notify(
            Notification(
                key=f"{wid}/signature/{signer}",
                to=list(PARTICIPANTS),
                subject=f"{signer} has signed the UK-RoK Digital Partnership",
                body=(
                    f"{signer.title} signed the Partnership on {filing.signed_on}.\n"
                    f"Signature received {received_at.isoformat()}.\n"
                    f"Signatories so far: {', '.join(sorted(self._state.signatures))}."
                ),
                paragraph="31",
            )
        )
        if all(p in self._state.signatures for p in PARTICIPANTS):
            self._enter_into_effect(received_at)
        return SigningReceipt(
            participant=signer,
            received_at=received_at,
            state=self._state.stage,
            in_effect_since=self._state.in_effect_since,
        )

    @sign.validator
    def _check_sign(self, filing: SignPartnership) -> None:
        problem = signing_problem(self._state, filing, workflow.now())
        if problem:
            raise reject(problem)
        check_signature(filing, self._state.keys)

    def _enter_into_effect(self, decided_at: datetime) -> None:
        """¶31: effect from the date of the later signature. The register's first decision."""
        since = max(s.signed_on for s in self._state.signatures.values())
        wid = workflow.info().workflow_id
        self._state.stage = Stage.IN_EFFECT
        self._state.in_effect_since = since
        self._publish_stage()
        self._outbox.record(
            DecisionRecord(
                decision_id=f"{wid}/entry-into-effect",
                workflow_id=wid,
                kind="entry-into-effect",
                paragraph="31",
                decided_at=decided_at,
                summary=f"The Partnership is in effect from {since}, signed by UK and ROK.",
                details={
                    "in_effect_since": since.isoformat(),
                    "signatures": {p: s.signed_on.isoformat() for p, s in self._state.signatures.items()},
                    "text_sha256": self._state.text_sha256,
                    "version": self._state.version,
                },
            )
        )
        self._outbox.notify(
            Notification(
                key=f"{wid}/entry-into-effect",
                to=list(FILERS),
                subject="The UK-RoK Digital Partnership is in effect",
                body=f"Both Participants have signed. The Partnership is in effect from {since}.",
                paragraph="31",
            )
        )

    # Reads ----------------------------------------------------------------------------------

    @workflow.query
    def status(self) -> PartnershipStatus:
        return PartnershipStatus(
            state=self._state.stage,
            in_effect_since=self._state.in_effect_since,
            version=self._state.version,
            signatories=[
                SignatoryView(title=p.title, **self._state.signatures[p].model_dump())
                for p in PARTICIPANTS
                if p in self._state.signatures
            ],
            text_sha256=self._state.text_sha256,
            keys={i: fingerprint(k) for i, k in self._state.keys.items()},
        )

    @workflow.query
    def pending_effects(self) -> int:
        """How many decisions and notifications are accepted but not yet carried out."""
        return len(self._outbox.effects)

    # Plumbing -------------------------------------------------------------------------------

    def _publish_stage(self) -> None:
        workflow.upsert_search_attributes(
            [GOVERNANCE_STATE.value_set(self._state.stage.value), PARAGRAPH_REFS.value_set(["31"])]
        )

    def _continue_as_new_due(self) -> bool:
        info = workflow.info()
        limit = self._state.continue_as_new_at_length
        forced = limit is not None and info.get_current_history_length() >= limit
        return forced or info.is_continue_as_new_suggested()

    def _carried_state(self) -> PartnershipState:
        return self._state.model_copy(update={"outbox": list(self._outbox.effects)})
