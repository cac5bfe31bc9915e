"""¶31–33: the Partnership comes into effect on the date of signature by the Participants, remains
in effect until six months' written notice of termination has run, and is amended only with the
mutual written consent of both.

One workflow (id `partnership`) is the entity: signatures, the in-effect state, the text version
and amendments in force, the key registry, a pending termination notice and its timer. It runs for
decades, so it continues as new whenever Temporal suggests it.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models import names
    from models.amendment import AmendmentCase, AmendmentProposal, AmendmentStatus, AmendmentSummary, text_sha256
    from models.identities import FILERS, PARTICIPANTS
    from models.joint_action import rollup
    from models.keyring import KeyRing
    from models.messages import AmendmentOutcome, TerminationTaken
    from models.partnership import (
        ENTRY_INTO_EFFECT,
        AmendmentReceipt,
        NoticeReceipt,
        PartnershipState,
        PartnershipStatus,
        SignatoryView,
        SignatureRecord,
        SigningReceipt,
        SignPartnership,
        Stage,
        TerminationNotice,
        TerminationWithdrawal,
    )
    from models.records import StoredText
    from rules.messages import amendment_outcome_problem
    from rules.p31_signature_and_termination import (
        earliest_notice,
        earliest_termination_date,
        fresh_state_problem,
        notice_problem,
        signing_problem,
        termination_for,
        termination_reminders,
        withdrawal_problem,
    )
    from rules.p33_amendments import proposal_problem, respond_by_for
    from workflows.amendment import AmendmentWorkflow
    from workflows.bounded import BoundedState
    from workflows.checkpoints import Checkpoints
    from workflows.common import GovernedWorkflow
    from workflows.handlers import governed_signal, governed_update
    from workflows.joint_decisions import PartnershipJointDecisions
    from workflows.keys import KeyRegistry
    from workflows.programmes import Programmes, attributes
    from workflows.rollups import Rollups
    from workflows.vouching import Vouches

PARTNERSHIP_ID = names.PARTNERSHIP_ID  # the default id; decisions and mails are keyed by the actual one


@workflow.defn
class PartnershipWorkflow(
    KeyRegistry, Programmes, Rollups, PartnershipJointDecisions, BoundedState, Checkpoints, Vouches, GovernedWorkflow
):
    PARAGRAPH = "31"

    @workflow.init
    def __init__(self, state: PartnershipState) -> None:
        self._state = state
        self._govern(state.seen_filings, state.outbox, state.refused)
        self._checks: dict[str, bool] = {}  # children shown closed this run asked Temporal about: closed?
        self._cosigned_here = False  # a checkpoint co-signed in this run (it then continues as new)
        # Issue 11: a client that starts a Partnership starts it unsigned and empty; one started
        # with signatures, amendments or actions already in it refuses to run.
        self._fresh_problem = None if workflow.info().continued_run_id else fresh_state_problem(state)
        if workflow.info().continued_run_id:
            self._file_closed_carried()

    @workflow.run
    async def run(self, state: PartnershipState) -> PartnershipStatus:
        if self._fresh_problem:
            raise ApplicationError(self._fresh_problem, type="NotStartedFresh", non_retryable=True)
        await self._serve()  # the Partnership itself never finishes: it continues as new
        return self.status()

    # ¶31 — signature ------------------------------------------------------------------------------

    @governed_update(lambda wf, filing: signing_problem(wf._state, filing, workflow.now()))
    async def sign(self, filing: SignPartnership) -> SigningReceipt:
        """¶31: record one Participant's signature; in effect once both have signed."""
        received_at = self._accept(filing)
        signer = filing.filed_by
        self._state.signatures[signer] = SignatureRecord(
            participant=signer,
            signed_on=filing.signed_on,
            received_at=received_at,
            key_fingerprint=self._state.keys.current(signer).fingerprint,  # type: ignore[union-attr]  # it verified
        )
        self._notify(
            f"signature/{signer}",
            list(PARTICIPANTS),
            f"{signer} has signed the UK-RoK Digital Partnership",
            f"{signer.title} signed the Partnership on {filing.signed_on}.\n"
            f"Signature received {received_at.isoformat()}.\n"
            f"Signatories so far: {', '.join(sorted(self._state.signatures))}.",
        )
        if all(p in self._state.signatures for p in PARTICIPANTS):
            self._enter_into_effect(received_at)
        return SigningReceipt(
            participant=signer,
            received_at=received_at,
            state=self._state.stage,
            in_effect_since=self._state.in_effect_since,
        )

    def _enter_into_effect(self, decided_at: datetime) -> None:
        """¶31: effect from the date of the later signature. The register's first decision."""
        since = max(s.signed_on for s in self._state.signatures.values())
        self._state.stage = Stage.IN_EFFECT
        self._state.in_effect_since = since
        self._publish_stage()
        self._record(
            ENTRY_INTO_EFFECT,
            ENTRY_INTO_EFFECT,
            decided_at,
            f"The Partnership is in effect from {since}, signed by UK and ROK.",
            {
                "in_effect_since": since.isoformat(),
                "signatures": {p: s.signed_on.isoformat() for p, s in self._state.signatures.items()},
                "text_sha256": self._state.text_sha256,
                "version": self._state.version,
            },
        )
        self._notify(
            ENTRY_INTO_EFFECT,
            list(FILERS),
            "The UK-RoK Digital Partnership is in effect",
            f"Both Participants have signed. The Partnership is in effect from {since}.",
        )

    # ¶31 — termination on six months' written notice ----------------------------------------------

    @governed_update(lambda wf, notice: notice_problem(wf._state, notice, workflow.now()))
    async def give_termination_notice(self, notice: TerminationNotice) -> NoticeReceipt:
        """¶31: written notice to the other Participant, at least six months in advance."""
        received_at = self._accept(notice)
        termination = termination_for(notice, received_at).model_copy(update={"notice": notice})
        self._state.notices[notice.filed_by] = termination
        self._state.stage = Stage.TERMINATION_PENDING
        self._publish_stage()
        self._record(
            f"termination-notice/{notice.filing_id}",
            "termination-notice",
            received_at,
            f"{notice.filed_by} gave written notice of termination, effective {termination.effective_on}.",
            termination.model_dump(mode="json", exclude={"reminders_sent", "notice"}),
        )
        self._notify(
            f"termination-notice/{notice.filing_id}",
            list(FILERS),
            f"{notice.filed_by} has given notice of termination, effective {termination.effective_on}",
            f"{notice.filed_by.title} gave written notice of termination of the Partnership to "
            f"{termination.recipient}, received {received_at.isoformat()}.\n"
            f"It takes effect on {termination.effective_on} at 00:00 {termination.recipient} time "
            f"({termination.effective_at.isoformat()}), unless withdrawn before then.\n"
            "¶32: ongoing programmes and activities are not affected unless jointly decided.",
        )
        return NoticeReceipt(
            given_by=notice.filed_by,
            received_at=received_at,
            earliest_effective_on=earliest_termination_date(received_at, termination.recipient),
            effective_on=termination.effective_on,
            effective_at=termination.effective_at,
        )

    @governed_update(lambda wf, withdrawal: withdrawal_problem(wf._state, withdrawal, workflow.now()))
    async def withdraw_termination_notice(self, withdrawal: TerminationWithdrawal) -> PartnershipStatus:
        """DESIGN §1: the giver may withdraw its notice before it takes effect; the timer goes."""
        received_at = self._accept(withdrawal)
        pending = self._state.notices.pop(withdrawal.filed_by)  # the validator saw it
        self._state.stage = Stage.TERMINATION_PENDING if self._state.notices else Stage.IN_EFFECT
        self._publish_stage()
        self._record(
            f"termination-withdrawn/{pending.filing_id}",
            "termination-notice-withdrawn",
            received_at,
            f"{pending.given_by} withdrew its notice of termination (was effective {pending.effective_on}).",
            {"notice": pending.filing_id, "effective_on": pending.effective_on.isoformat()},
        )
        self._notify(
            f"termination-withdrawn/{pending.filing_id}",
            list(FILERS),
            f"{pending.given_by} has withdrawn its notice of termination",
            f"The notice effective {pending.effective_on} is withdrawn. The Partnership remains in effect"
            + "".join(
                f"; {t.given_by}'s notice effective {t.effective_on} is pending" for t in self._state.notices.values()
            )
            + ".",
        )
        return self.status()

    def _on_time(self) -> None:
        """Whatever the clock has made due: the year's Forum cycle, termination reminders, then
        termination itself."""
        self._start_due_forum()
        pending = earliest_notice(self._state.notices)
        if self._state.stage is not Stage.TERMINATION_PENDING or pending is None:
            return
        now = workflow.now()
        if now >= pending.effective_at:
            self._terminate(now)
            return
        for label, due in termination_reminders(pending):
            if due <= now and label not in pending.reminders_sent:
                pending.reminders_sent.append(label)
                self._notify(
                    f"termination-notice/{pending.filing_id}/reminder/{label.replace(' ', '-')}",
                    list(FILERS),
                    f"Reminder: the Partnership terminates in {label}, on {pending.effective_on}",
                    f"{pending.given_by}'s notice of termination takes effect on {pending.effective_on} "
                    f"at 00:00 {pending.recipient} time ({pending.effective_at.isoformat()}).\n"
                    f"{pending.given_by} may still withdraw it until then.",
                )

    def _terminate(self, now: datetime) -> None:
        """¶31 on effect; ¶32: ongoing programmes and activities are not ended by it."""
        pending = earliest_notice(self._state.notices)
        assert pending is not None
        self._state.termination = pending
        self._state.notices.clear()
        self._state.stage = Stage.TERMINATED
        self._publish_stage()
        self._record(
            "termination",
            "termination",
            now,
            f"The Partnership terminated on {pending.effective_on} on {pending.given_by}'s notice.",
            pending.model_dump(mode="json", exclude={"reminders_sent", "notice"}),
        )
        self._notify(
            "termination",
            list(FILERS),
            f"The UK-RoK Digital Partnership terminated on {pending.effective_on}",
            f"{pending.given_by}'s notice of termination has taken effect "
            f"({pending.effective_at.isoformat()}).\n"
            "¶32: ongoing programmes and activities continue unless the Participants jointly decide "
            "otherwise.",
        )
        if pending.notice is None:
            return  # a notice accepted before notices were kept (pre-1.0 histories): nothing to show
        message = TerminationTaken(notice=pending.notice, termination=pending.model_copy(update={"notice": None}))
        self._taking(message.vouched())
        self._tell_programmes_terminated(message)
        for amendment in self._state.amendments.values():
            if amendment.status.is_open:
                self._tell(amendment.amendment_id, "partnership_terminated", message)

    # ¶33 — amendments ------------------------------------------------------------------------------

    @governed_update(lambda wf, proposal: proposal_problem(wf._state, proposal, workflow.now()))
    async def propose_amendment(self, proposal: AmendmentProposal) -> AmendmentReceipt:
        """¶33: the proposal is the proposer's written consent; it starts an AmendmentWorkflow."""
        received_at = self._accept(proposal)
        self._state.amendments_proposed += 1
        amendment_id = f"{workflow.info().workflow_id}-amendment-{self._state.amendments_proposed}"
        # Issue 12: the wording goes to the register's text store first (the queue is carried
        # out in order); the Partnership carries its SHA-256 only, and `partnership text` reads
        # the wording back from the register by it.
        self._outbox.append(StoredText(sha256=text_sha256(proposal.text), text=proposal.text))
        case = AmendmentCase(
            amendment_id=amendment_id,
            partnership_id=workflow.info().workflow_id,
            proposal=proposal,
            proposed_at=received_at,
            respond_by=respond_by_for(proposal, received_at),
            keys=self._state.keys,
        )
        self._state.amendments[amendment_id] = case.summary()
        started = self._start_child(
            AmendmentWorkflow.run,
            case,
            amendment_id,
            attributes(AmendmentStatus.PROPOSED, ["33", *map(str, proposal.paragraphs)]),
            partial(self._state.amendments.pop, amendment_id, None),
        )
        await self._opened(started, proposal)
        return AmendmentReceipt(amendment_id=amendment_id, respond_by=case.respond_by)

    @governed_signal(
        lambda wf, outcome: amendment_outcome_problem(
            wf._state.amendments.get(outcome.summary.amendment_id),
            outcome,
            wf._state.keys,
            workflow.now(),
            wf._state.stage is Stage.TERMINATED,
        )
    )
    def amendment_changed(self, outcome: AmendmentOutcome) -> None:
        """An AmendmentWorkflow reports where the proposal stands, with the instrument behind it;
        one in effect raises the text version. What was proposed (paragraphs, wording, catalogue
        changes) is read from what this Partnership received, never from the message."""
        known = self._state.amendments[outcome.summary.amendment_id]  # the rule saw it
        if not known.status.is_open or outcome.summary.status.stage < known.status.stage:
            return  # signals may arrive out of order; a status never moves back, an outcome is final
        # Held to from now on: a consent the rule checked (in a report that needs one), never another.
        checked = outcome.consent if outcome.summary.status.rests_on_consent else None
        consent = known.consent or (checked.evidence() if checked else None)
        summary = known.model_copy(
            update={"status": outcome.summary.status, "effective_on": outcome.summary.effective_on, "consent": consent}
        )
        newly_in_effect = summary.status is AmendmentStatus.IN_EFFECT and known.status is not AmendmentStatus.IN_EFFECT
        if newly_in_effect and self._state.stage is not Stage.TERMINATED:
            self._state.version += 1
            summary = summary.model_copy(update={"version": self._state.version})
            self._state.catalogue_changes.extend(summary.catalogue_changes)
            paragraphs = ", ".join(f"¶{p}" for p in summary.paragraphs)
            self._record(
                f"amendment-in-effect/{summary.amendment_id}",
                "amendment-in-effect",
                workflow.now(),
                f"Amendment {summary.amendment_id} to {paragraphs} is in effect from "
                f"{summary.effective_on}: text version {self._state.version}.",
                summary.model_dump(mode="json"),
                paragraph="33",
            )
            self._notify(
                f"amendment-in-effect/{summary.amendment_id}",
                list(FILERS),
                f"Amendment {summary.amendment_id} is in effect (text version {self._state.version})",
                f"By the mutual written consent of UK and ROK (¶33), amendment {summary.amendment_id} to "
                f"{paragraphs} is in effect from {summary.effective_on}.\n\n{summary.summary}",
                paragraph="33",
            )
        self._state.amendments[summary.amendment_id] = summary
        self._wake()
        if not summary.status.is_open:
            self._file_closed("amendment", summary.amendment_id, summary)

    # Reads ----------------------------------------------------------------------------------------

    @workflow.query
    def status(self) -> PartnershipStatus:
        amendments = list(self._state.amendments.values())
        actions = list(self._state.actions.values())
        return PartnershipStatus(
            state=self._state.stage,
            in_effect_since=self._state.in_effect_since,
            version=self._state.version,
            signatories=[
                SignatoryView(title=p.title, **self._state.signatures[p].model_dump())
                for p in PARTICIPANTS
                if p in self._state.signatures
            ],
            termination=self._state.termination or earliest_notice(self._state.notices),
            termination_notices=sorted(self._state.notices.values(), key=lambda t: t.effective_at),
            pending_amendments=[a for a in amendments if a.status.is_open],
            amendments_in_force=[a for a in amendments if a.status is AmendmentStatus.IN_EFFECT],
            catalogue_changes=self._state.catalogue_changes,
            joint_actions=rollup(actions),
            joint_actions_by_pillar={
                pillar: rollup([a for a in actions if a.pillar == pillar])
                for pillar in sorted({a.pillar for a in actions})
            },
            open_consultations=[c for c in self._state.consultations.values() if c.state == "OPEN"],
            forums=sorted(self._state.forums.values(), key=lambda f: f.year),
            text_sha256=self._state.text_sha256,
            keys=self._state.keys.fingerprints(),
        )

    @workflow.query
    def amendments(self) -> list[AmendmentSummary]:
        return list(self._state.amendments.values())

    # Plumbing -------------------------------------------------------------------------------------

    def _next_deadline(self) -> datetime | None:
        forum = self._forum_due()
        due = [forum[0]] if forum else []
        pending = earliest_notice(self._state.notices)
        if self._state.stage is Stage.TERMINATION_PENDING and pending is not None:
            due += [at for label, at in termination_reminders(pending) if label not in pending.reminders_sent]
            due.append(pending.effective_at)
        return min(due) if due else None

    def _publish_stage(self) -> None:
        self._show_state(self._state.stage.value)  # its ¶ refs were set when it was started

    def _filing_keys(self) -> KeyRing:
        return self._state.keys

    def _continue_as_new_at_length(self) -> int | None:
        return self._state.continue_as_new_at_length

    def _carried_state(self) -> PartnershipState:
        return self._open_only()
