"""The Partnership's rules as plain functions: each returns why a filing cannot be accepted now,
or None. The workflow's validators call them; the tests call them directly too."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.amendment import DEFAULT_RESPONSE_DAYS, AmendmentProposal, CatalogueChange
    from models.calendar import (
        add_months,
        earliest_termination_date,
        local_date,
        local_midnight,
    )
    from models.catalogue import PARAGRAPHS, amended_catalogue
    from models.identities import Identity, other_participant
    from models.partnership import (
        PartnershipState,
        SignPartnership,
        Stage,
        Termination,
        TerminationNotice,
        TerminationWithdrawal,
    )


def participant_problem(filer: Identity, what: str) -> str | None:
    if not filer.is_participant:
        return f"only a Participant (UK or ROK) {what}, not {filer}"
    return None


def in_effect_problem(state: PartnershipState, what: str) -> str | None:
    """Filings that need the Partnership in effect (a pending notice does not end it)."""
    if state.stage is Stage.TERMINATED and state.termination:
        return (
            f"the Partnership terminated on {state.termination.effective_on}; "
            f"no {what} can be filed after termination"
        )
    if state.stage not in (Stage.IN_EFFECT, Stage.TERMINATION_PENDING):
        return f"the Partnership is {state.stage}, not in effect; no {what} can be filed yet"
    return None


# ¶31 — signature ---------------------------------------------------------------------------------


def signing_problem(state: PartnershipState, filing: SignPartnership, now: datetime) -> str | None:
    signer = filing.filed_by
    if problem := participant_problem(signer, "signs the Partnership"):
        return problem
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


# ¶31 — termination notice -------------------------------------------------------------------------


def notice_problem(state: PartnershipState, notice: TerminationNotice, now: datetime) -> str | None:
    if problem := participant_problem(notice.filed_by, "gives notice of termination"):
        return problem
    pending = state.termination
    if state.stage is Stage.TERMINATION_PENDING and pending:
        return (
            f"a termination notice is already pending (given by {pending.given_by}, effective "
            f"{pending.effective_on}); one notice at a time: {pending.given_by} may withdraw it"
        )
    if problem := in_effect_problem(state, "termination notice"):
        return problem
    recipient = other_participant(notice.filed_by)
    earliest = earliest_termination_date(now, recipient)
    if notice.effective_on is not None and notice.effective_on < earliest:
        return (
            f"effective_on {notice.effective_on} is less than six months' notice: the earliest "
            f"permissible date is {earliest} (six calendar months from receipt in "
            f"{recipient} time on {local_date(now, recipient)})"
        )
    return None


def termination_for(notice: TerminationNotice, now: datetime) -> Termination:
    """The pending termination a valid notice brings about (DESIGN §1 date rule)."""
    recipient = other_participant(notice.filed_by)
    effective_on = notice.effective_on or earliest_termination_date(now, recipient)
    return Termination(
        given_by=notice.filed_by,
        recipient=recipient,
        filing_id=notice.filing_id,
        received_at=now,
        effective_on=effective_on,
        effective_at=local_midnight(effective_on, recipient),
    )


#: Reminders to both Participants and the secretariat before a termination takes effect.
TERMINATION_REMINDERS: tuple[tuple[str, int, int], ...] = (
    # label, months before, days before
    ("3 months", 3, 0),
    ("1 month", 1, 0),
    ("1 week", 0, 7),
)


def termination_reminders(termination: Termination) -> list[tuple[str, datetime]]:
    """When each reminder is due: 00:00 recipient-local, that long before the effective date."""
    return [
        (
            label,
            local_midnight(
                add_months(termination.effective_on, -months) - timedelta(days=days),
                termination.recipient,
            ),
        )
        for label, months, days in TERMINATION_REMINDERS
    ]


def withdrawal_problem(
    state: PartnershipState, withdrawal: TerminationWithdrawal, now: datetime
) -> str | None:
    pending = state.termination
    if state.stage is not Stage.TERMINATION_PENDING or pending is None:
        if state.stage is Stage.TERMINATED and pending:
            return f"the notice took effect on {pending.effective_on}; it can no longer be withdrawn"
        return "no termination notice is pending; there is nothing to withdraw"
    if withdrawal.filed_by is not pending.given_by:
        return f"only {pending.given_by}, which gave the notice, may withdraw it"
    if now >= pending.effective_at:
        return f"the notice took effect at {pending.effective_at:%Y-%m-%d %H:%MZ}; too late to withdraw"
    return None


# ¶33 — amendment proposals -------------------------------------------------------------------------


def proposal_problem(state: PartnershipState, proposal: AmendmentProposal, now: datetime) -> str | None:
    proposer = proposal.filed_by
    if problem := participant_problem(proposer, "proposes an amendment"):
        return problem
    if problem := in_effect_problem(state, "amendment"):
        return problem
    if not proposal.paragraphs:
        return "name at least one paragraph the amendment changes (--paragraph N)"
    for paragraph in proposal.paragraphs:
        if paragraph not in PARAGRAPHS:
            return f"¶{paragraph} does not exist; the text has ¶{PARAGRAPHS[0]}–{PARAGRAPHS[-1]}"
    if not proposal.text.strip():
        return "the amendment has no text; give the amended wording (--text-file F)"
    responder = other_participant(proposer)
    today = local_date(now, responder)
    if proposal.respond_by is not None and proposal.respond_by <= today:
        return f"respond_by {proposal.respond_by} leaves no time to respond; name a date after {today}"
    if proposal.effective_on is not None and proposal.effective_on < local_date(now, proposer):
        return f"effective_on {proposal.effective_on} is in the past; name today or a later date"
    return catalogue_change_problem(state.catalogue_changes, proposal.catalogue_changes)


def catalogue_change_problem(in_force: list[CatalogueChange], proposed: list[CatalogueChange]) -> str | None:
    """Each change must make sense against the catalogue as amended by the changes before it."""
    applied = list(in_force)
    for change in proposed:
        refs, areas = amended_catalogue(applied)
        if change.action == "add-commitment":
            if not change.ref or not change.title or not change.area:
                return "add-commitment needs ref, title and area"
            if change.ref in refs:
                return f"commitment {change.ref} already exists"
            if change.area not in areas:
                return f"no policy area {change.area!r} to add commitment {change.ref} under"
        elif change.action == "retire-commitment":
            if change.ref not in refs:
                return f"commitment {change.ref} is not in the catalogue; nothing to retire"
        elif change.action == "add-policy-area":
            if not change.area or not change.title or change.pillar not in (1, 2, 3, 4):
                return "add-policy-area needs area (a slug), title and pillar 1-4"
            if change.area in areas:
                return f"policy area {change.area!r} already exists"
        applied.append(change)
    return None


def respond_by_for(proposal: AmendmentProposal, now: datetime) -> date:
    """The proposal's respond-by date: as named, or 90 days from receipt where the responder is."""
    responder = other_participant(proposal.filed_by)
    return proposal.respond_by or local_date(now, responder) + timedelta(days=DEFAULT_RESPONSE_DAYS)
