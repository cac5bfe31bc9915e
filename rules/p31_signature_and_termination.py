"""¶31, signature and termination.

> 31. This Partnership will come into effect on the date of signature by the Participants and remain
> in effect unless terminated by either Participant giving written notice of termination to the
> other Participant, at least six months in advance.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from models.calendar import local_date, local_midnight
from models.identities import Identity, other_participant
from models.keyring import shared_key_problem
from models.partnership import (
    PartnershipState,
    SignPartnership,
    Stage,
    Termination,
    TerminationNotice,
    TerminationWithdrawal,
)
from rules.common import add_months, in_effect_problem, participant_problem
from rules.tags import decided, stated

# ¶31 — signature ---------------------------------------------------------------------------------


@decided("31", "In effect", "in effect from the date of the later of the two signatures")
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
        return f"signed_on {filing.signed_on} is in the future; sign on or before {signer}'s today, {today}"
    return None


# ¶31 — termination notice -------------------------------------------------------------------------


@stated("31", "written notice of termination to the other Participant, at least six months in advance")
def notice_problem(state: PartnershipState, notice: TerminationNotice, now: datetime) -> str | None:
    if problem := participant_problem(notice.filed_by, "gives notice of termination"):
        return problem
    pending = state.notices.get(notice.filed_by)
    if pending is not None:
        return (
            f"{notice.filed_by} already has a termination notice pending (effective {pending.effective_on}); "
            f"one notice per Participant: {notice.filed_by} may withdraw it and give another"
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


@decided("31", "Six months' notice", "each Participant may have a notice pending; the earliest takes effect")
def earliest_notice(notices: dict[Identity, Termination]) -> Termination | None:
    """¶31 gives either Participant the right, so the other side's far-off notice suspends nothing:
    the Partnership ends at the earliest effective date among the pending notices."""
    return min(notices.values(), key=lambda t: t.effective_at, default=None)


@decided("31", "Six months' notice", "effect at 00:00 recipient-local on the effective date")
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


@decided("31", "Six months' notice", "reminders 3 months, 1 month and 1 week before")
def termination_reminders(termination: Termination) -> list[tuple[str, datetime]]:
    """When each reminder is due: 00:00 recipient-local, that long before the effective date."""
    return [
        (
            label,
            local_midnight(add_months(termination.effective_on, -months) - timedelta(days=days), termination.recipient),
        )
        for label, months, days in TERMINATION_REMINDERS
    ]


@decided("31", "Six months' notice", "each Participant may withdraw its own notice before effect")
def withdrawal_problem(state: PartnershipState, withdrawal: TerminationWithdrawal, now: datetime) -> str | None:
    if state.stage is Stage.TERMINATED and state.termination:
        return f"the notice took effect on {state.termination.effective_on}; it can no longer be withdrawn"
    pending = state.notices.get(withdrawal.filed_by)
    if pending is None:
        if others := " and ".join(sorted(state.notices)):
            return f"{withdrawal.filed_by} has no notice pending; only {others}, which gave one, may withdraw it"
        return "no termination notice is pending; there is nothing to withdraw"
    if now >= pending.effective_at:
        return f"the notice took effect at {pending.effective_at:%Y-%m-%d %H:%MZ}; too late to withdraw"
    if withdrawal.notice != pending.filing_id:
        return (
            f"this withdrawal names notice {withdrawal.notice}; "
            f"{withdrawal.filed_by}'s pending notice is {pending.filing_id}"
        )
    return None


@decided(
    "31",
    "Messages between workflows",
    "a Partnership started by a client starts unsigned and empty, each filer with a key of its own",
)
def fresh_state_problem(state: PartnershipState) -> str | None:
    """What a client may start: the key registry, the text's hash and settings, nothing else.
    Signatures, amendments, actions and the rest come only from filings and messages. ¶31's two
    signatures (and ¶33's mutual consent) are two only if no key is given to two identities."""
    if problem := shared_key_problem(state.keys):
        return problem
    fresh = PartnershipState(
        keys=state.keys,
        text_sha256=state.text_sha256,
        continue_as_new_at_length=state.continue_as_new_at_length,
    )
    if state != fresh:
        changed = sorted(k for k in type(state).model_fields if getattr(state, k) != getattr(fresh, k))
        return f"a Partnership starts unsigned and empty; this one was started with {', '.join(changed)} already set"
    return None


#: ¶31: "at least six months in advance".
NOTICE_MONTHS = 6


@decided("31", "Six months' notice", "six calendar months from receipt, in the recipient's time zone")
def earliest_termination_date(received_at: datetime, recipient: Identity) -> date:
    """¶31: six calendar months from the date of receipt in the recipient's time zone."""
    return add_months(local_date(received_at, recipient), NOTICE_MONTHS)
