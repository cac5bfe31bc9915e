"""Issue 12, bounded state: the Partnership runs for decades, so what it carries across
continue-as-new must not grow with the years. This is the part of PartnershipWorkflow that sees to
it: a closed amendment, joint action, consultation or Forum cycle is filed in the register and
left out of the carried state; and each accepted filing is remembered (a signed paper is presented
once) by its id's digest and the key that signed it, only while that key is current.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from models.amendment import AmendmentSummary
    from models.consultation import ConsultationSummary
    from models.forum import ForumStage
    from models.joint_action import ActionSummary
    from models.limits import CLOSED_IDS_KEPT, OPEN_MAX, TAKEN_KEPT, carried
    from models.partnership import PartnershipState, decision_digest, id_digest, seen_mark
    from models.records import ChildCheck, ClosedEntry
    from models.signing import Filing
    from rules.common import filings_per_key_problem


class BoundedState:
    """Mixin of PartnershipWorkflow; it relies on the GovernedWorkflow plumbing and `_state`."""

    _state: PartnershipState
    _checks: dict[str, bool]  # set by PartnershipWorkflow for each run

    # Closed things leave the carried state ---------------------------------------------------------

    def _file_closed(self, kind: str, entry_id: str, summary: BaseModel) -> None:
        """File a closed thing's summary in the register, where the reads find it once the run
        that closed it has continued as new without it."""
        self._outbox.append(  # type: ignore[attr-defined]  # GovernedWorkflow's queue
            ClosedEntry(
                entry_id=entry_id,
                kind=kind,
                partnership_id=workflow.info().workflow_id,
                summary=summary.model_dump(mode="json"),
            )
        )
        self._wake()  # type: ignore[attr-defined]

    def _file_closed_carried(self) -> None:
        """A state carried before closed things were filed holds them still: file them now (the
        register replaces a row filed twice), so the next continue-as-new can leave them out."""
        for kind, things in self._carried_kinds().items():
            for thing_id, summary in things.items():
                if not still_open(summary):
                    self._file_closed(kind, thing_id, summary)

    def _carried_kinds(self) -> dict[str, dict]:
        s = self._state
        return {"amendment": s.amendments, "action": s.actions, "consultation": s.consultations, "forum": s.forums}

    def _continue_as_new_due(self) -> bool:
        return super()._continue_as_new_due() or self._carrying_all_it_may()  # type: ignore[misc]

    def _carrying_all_it_may(self) -> bool:
        """A kind carries as many as it may (models/limits.carried) while one of them is shown closed
        and Temporal was never asked about it: closed ones leave only as the Partnership continues as
        new, which a quiet one is seldom told to do, and its next Forum cycle would wait (review 5)."""
        asked = set(self._state.still_running)
        return any(
            len(things) >= carried(OPEN_MAX[kind])
            and any(not still_open(s) and id_digest(t) not in asked for t, s in things.items())
            for kind, things in self._carried_kinds().items()
        )

    def _before_continuing(self) -> None:
        """Decided (adversarial review): what shows a governed thing closed is its roll-up, which
        anyone with access to the namespace can forge; left out of the carried state, a child still
        running would be forgotten (its reports and a Forum cycle's decisions refused, key changes
        no longer sent to it). So before continuing as new, the Partnership asks Temporal about each
        one shown closed, once a run (a check is an effect: the run continues once it has landed)."""
        for things in self._carried_kinds().values():
            for thing_id, summary in things.items():
                if not still_open(summary) and thing_id not in self._checks:
                    self._checks[thing_id] = False
                    self._outbox.append(ChildCheck(child_id=thing_id))  # type: ignore[attr-defined]

    # What it took, as a governed thing told of it asks (a second adversarial review) -------------------

    def _taking(self, instruments: list[str]) -> None:
        """A decision it tells governed things of: its instruments are vouched for (`took`)."""
        self._state.taken = [*self._state.taken, decision_digest(instruments)][-TAKEN_KEPT:]

    def _took(self, instruments: list[str]) -> bool:
        """Whether it took a decision resting on exactly these instruments (workflows/vouching.py)."""
        return decision_digest(instruments) in self._state.taken

    def _effect_result(self, effect: object, result: object) -> None:
        # Only "still running" keeps it; when Temporal would not say, the roll-up is believed, as
        # before these checks: what the Partnership carries must stay bounded whatever the server.
        if isinstance(effect, ChildCheck) and result is not False:
            self._checks[effect.child_id] = True
        elif not isinstance(effect, ChildCheck):
            super()._effect_result(effect, result)  # type: ignore[misc]  # GovernedWorkflow's

    def _open_only(self) -> PartnershipState:
        """The state to carry across continue-as-new: closed things (all filed in the register by
        now, as a run continues as new only once its effects are done) are left out once Temporal
        has said so (`_before_continuing`), and only the digest of each id is kept; so are the
        marks of filings signed by keys since replaced. One shown closed that still runs stays."""
        for things in self._carried_kinds().values():
            for thing_id in [t for t, s in things.items() if not still_open(s) and self._checks.get(t)]:
                del things[thing_id]
                self._state.closed_ids.append(id_digest(thing_id))
        self._state.still_running = [
            id_digest(t) for things in self._carried_kinds().values() for t, s in things.items() if not still_open(s)
        ]
        # Decided (issue 12): only the latest CLOSED_IDS_KEPT; an older action's title may be used again.
        del self._state.closed_ids[:-CLOSED_IDS_KEPT]
        # A filing signed by a key no longer current cannot be presented again (it no longer
        # verifies), so the marks of such filings are not carried on.
        current = set(self._state.keys.fingerprints().values())
        self._state.seen_filings[:] = [
            s for s in self._state.seen_filings if "@" not in s or s.rpartition("@")[2] in current
        ]
        return self._state

    # Each accepted filing is remembered by its id's digest and the key that signed it ----------------

    def _was_seen(self, filing: Filing) -> bool:
        mark = id_digest(filing.filing_id) + "@"
        seen = self._state.seen_filings
        return filing.filing_id in seen or any(s.startswith(mark) for s in seen)

    def _seen_mark(self, filing: Filing) -> str:
        key = self._state.keys.current(filing.filed_by)
        return seen_mark(filing.filing_id, key.fingerprint if key else "none")

    def _remember(self, filing: Filing) -> None:
        self._state.seen_filings.append(self._seen_mark(filing))

    async def _opened(self, started: asyncio.Future, filing: Filing) -> None:
        """Wait until the child a filing opens has started (its receipt names a workflow that
        exists). One not started leaves the filing forgotten as well: nothing was done with it, so
        the same instrument sent again (the CLI resends one whose answer it lost) is answered anew,
        not taken for one already received."""
        mark = self._seen_mark(filing)  # as remembered: the filer's key may be rotated meanwhile
        try:
            await started
        except ApplicationError:
            seen = self._state.seen_filings
            if mark in seen:
                del seen[len(seen) - 1 - seen[::-1].index(mark)]
            raise

    def _filings_problem(self, filing: Filing) -> str | None:
        key = self._state.keys.current(filing.filed_by)
        if key is None:
            return None  # the signature check says so
        filed = sum(s.endswith("@" + key.fingerprint) for s in self._state.seen_filings)
        return filings_per_key_problem(filing, key.fingerprint, filed)


def still_open(summary: BaseModel) -> bool:
    """Whether an amendment, joint action, consultation or Forum cycle is still open."""
    if isinstance(summary, AmendmentSummary):
        return summary.status.is_open
    if isinstance(summary, ActionSummary):
        return summary.state.is_open
    if isinstance(summary, ConsultationSummary):
        return summary.state == "OPEN"
    return summary.stage is not ForumStage.CLOSED  # type: ignore[attr-defined]
