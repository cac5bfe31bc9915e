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
    from models.catalogue import PARAGRAPHS, amended_catalogue, areas_in_force, locate
    from models.consultation import ConsultationRequest
    from models.forum import DEFAULT_DAY, DEFAULT_MONTH, ForumConvocation
    from models.identities import Identity, other_participant
    from models.joint import already_filed_problem
    from models.joint_action import JointActionProposal, WindDown, action_id_for
    from models.partnership import (
        PartnershipState,
        SignPartnership,
        Stage,
        Termination,
        TerminationNotice,
        TerminationWithdrawal,
    )
    from models.working_group import GroupLeads


def participant_problem(filer: Identity, what: str) -> str | None:
    if not filer.is_participant:
        return f"only a Participant (UK or ROK) {what}, not {filer}"
    return None


def in_effect_problem(state: PartnershipState, what: str) -> str | None:
    """Filings that need the Partnership in effect (a pending notice does not end it)."""
    if state.stage is Stage.TERMINATED and state.termination:
        return (
            f"the Partnership terminated on {state.termination.effective_on}; no {what} can be filed after termination"
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


def withdrawal_problem(state: PartnershipState, withdrawal: TerminationWithdrawal, now: datetime) -> str | None:
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


# ¶7, ¶9–29, ¶32 — programmes --------------------------------------------------------------------------


def child_id(partnership_id: str, name: str) -> str:
    """Ids of governed things: `action-9b-…` under the Partnership, prefixed under any other."""
    return name if partnership_id == "partnership" else f"{partnership_id}-{name}"


def action_proposal_problem(state: PartnershipState, proposal: JointActionProposal, partnership_id: str) -> str | None:
    if problem := participant_problem(proposal.filed_by, "proposes a joint action"):
        return problem
    if problem := in_effect_problem(state, "new joint action"):
        return problem
    if locate(proposal.ref, state.catalogue_changes) is None:
        refs, _ = amended_catalogue(state.catalogue_changes)
        return f"unknown commitment ref {proposal.ref!r}; `partnership catalogue` lists them ({len(refs)} refs)"
    if not proposal.title.strip():
        return "a joint action needs a title (--title)"
    if proposal.starts and proposal.ends and proposal.ends < proposal.starts:
        return f"ends {proposal.ends} is before starts {proposal.starts}"
    action_id = child_id(partnership_id, action_id_for(proposal.ref, proposal.title))
    if action_id in state.actions:
        return f"joint action {action_id} already exists; choose another title"
    return None


def leads_problem(state: PartnershipState, filing: GroupLeads) -> str | None:
    if problem := participant_problem(filing.filed_by, "sets working-group leads"):
        return problem
    if problem := in_effect_problem(state, "working-group change"):
        return problem
    areas = areas_in_force(state.catalogue_changes)
    if filing.area not in areas:
        return f"no policy area {filing.area!r}; areas: {', '.join(areas)}"
    if not filing.lead_uk.strip() or not filing.lead_rok.strip():
        return "name a lead from each side (--lead-uk and --lead-rok)"
    group = state.working_groups.get(filing.area)
    return already_filed_problem(
        group.pending if group else {}, filing.filed_by, filing.terms(), f"these leads for {filing.area}"
    )


def wind_down_problem(state: PartnershipState, filing: WindDown) -> str | None:
    if problem := participant_problem(filing.filed_by, "winds down joint actions"):
        return problem
    if not any(a.state.is_open for a in state.actions.values()):
        return "no joint action is ongoing; there is nothing to wind down"
    return already_filed_problem(state.wind_down_filings, filing.filed_by, "all", "a wind-down of all joint actions")


def consultation_problem(state: PartnershipState, request: ConsultationRequest) -> str | None:
    if problem := participant_problem(request.filed_by, "opens a consultation"):
        return problem
    if state.stage is Stage.AWAITING_SIGNATURES:
        return "the Partnership is not yet in effect; there is nothing to consult on"
    if not request.summary.strip():
        return "say what the difference is (--summary)"
    about = request.about.strip().lstrip("¶")
    refs, _ = amended_catalogue(state.catalogue_changes)
    known = about in refs or about in state.actions or about in state.amendments
    if not known and not (about.isdigit() and int(about) in PARAGRAPHS):
        return (
            f"{request.about!r} is neither a ¶ (1–33), a commitment ref (e.g. 9b), "
            "nor the id of a joint action or amendment"
        )
    return None


def forum_start_problem(state: PartnershipState, convocation: ForumConvocation, now: datetime) -> str | None:
    """¶7: one Forum a year, started by the secretariat, on a date in that year."""
    if convocation.filed_by is not Identity.SECRETARIAT:
        return f"only the SECRETARIAT starts a Forum cycle, not {convocation.filed_by}"
    if problem := in_effect_problem(state, "Forum cycle"):
        return problem
    if any(f.year == convocation.year for f in state.forums.values()):
        return f"the {convocation.year} Forum cycle has already started; one cycle per year"
    on = forum_date(convocation)
    if on.year != convocation.year:
        return f"the Forum date {on} is not in {convocation.year}; name a date in that year (--on)"
    today = now.date()
    if on <= today:
        return f"the Forum date {on} is not after today ({today}); name a later date (--on)"
    return None


def forum_date(convocation: ForumConvocation) -> date:
    return convocation.on or date(convocation.year, DEFAULT_MONTH, DEFAULT_DAY)
