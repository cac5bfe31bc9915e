"""What every paragraph's rules share: only a Participant files for its side, most filings need
the Partnership in effect (¶31), a joint decision is taken when both have filed the same terms
(¶7, ¶28, ¶32, ¶9–27), and calendar months are counted one way.
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta

from models.identities import PARTICIPANTS, Identity
from models.keyring import KeyRevocation, KeyRotation
from models.limits import FILINGS_PER_KEY
from models.partnership import PartnershipState, Stage
from models.signing import Filing
from rules.tags import decided


@decided("28", "Joint decisions", "a joint decision is taken when both Participants have filed the same terms")
def file_jointly(filed: dict[Identity, str], by: Identity, terms: str) -> bool:
    """Record `by`'s terms; True when both Participants now stand on the same terms."""
    filed[by] = terms
    return all(filed.get(p) == terms for p in PARTICIPANTS)


@decided("28", "Joint decisions", "a Participant files its side of a joint decision once")
def already_filed_problem(filed: dict[Identity, str], by: Identity, terms: str, what: str) -> str | None:
    """A Participant files its side of a joint decision once; the other side completes it."""
    if filed.get(by) == terms:
        others = [p for p in PARTICIPANTS if p is not by]
        return f"{by} has already filed {what}; it awaits the matching filing of {others[0]}"
    return None


@decided("28", "Joint decisions", "only a Participant files a joint decision; the secretariat files none")
def participant_problem(filer: Identity, what: str) -> str | None:
    if not filer.is_participant:
        return f"only a Participant (UK or ROK) {what}, not {filer}"
    return None


@decided("31", "After termination", "nothing more is filed after termination")
def in_effect_problem(state: PartnershipState, what: str) -> str | None:
    """Filings that need the Partnership in effect (a pending notice does not end it)."""
    if state.stage is Stage.TERMINATED and state.termination:
        return (
            f"the Partnership terminated on {state.termination.effective_on}; no {what} can be filed after termination"
        )
    if state.stage not in (Stage.IN_EFFECT, Stage.TERMINATION_PENDING):
        return f"the Partnership is {state.stage}, not in effect; no {what} can be filed yet"
    return None


# ¶7, ¶9–29, ¶32 — programmes --------------------------------------------------------------------------


@decided("31", "Bounded state", "one key signs at most FILINGS_PER_KEY filings on the Partnership, then is rotated")
def filings_per_key_problem(filing: Filing, fingerprint: str, filed: int) -> str | None:
    """Issue 12: the Partnership remembers the filings each current key signed (a paper is
    presented once); a key that has signed FILINGS_PER_KEY of them is rotated before it signs more
    (a rotation or revocation is always taken, so the limit can always be left behind)."""
    if isinstance(filing, KeyRotation | KeyRevocation) or filed < FILINGS_PER_KEY:
        return None
    return (
        f"{filing.filed_by}'s key {fingerprint} has signed {FILINGS_PER_KEY} filings on the Partnership, the most one "
        f"key may (a limit on state size); rotate it: partnership keys rotate --as {filing.filed_by}"
    )


@decided("32", "¶32", "joint actions and consultations are workflows of their own, named after the Partnership")
def child_id(partnership_id: str, name: str) -> str:
    """Ids of governed things: `action-9b-…` under the Partnership, prefixed under any other."""
    return name if partnership_id == "partnership" else f"{partnership_id}-{name}"


@decided("31", "Six months' notice", "calendar months; a day the month lacks clamps to its last day")
def add_months(day: date, months: int) -> date:
    """Calendar months later (or earlier, if negative); a day the month lacks clamps to its last
    day: 31 Aug + 6 months is 28 Feb (29 in a leap year)."""
    return day + relativedelta(months=months)


@decided("7", "The Forum", "a usual date the year lacks clamps to the month's last day")
def on_day_of(year: int, month: int, day: int) -> date:
    """`day` of `month` in `year`, by the same clamping: 29 Feb is 28 Feb in a common year."""
    return date(year, 1, 1) + relativedelta(month=month, day=day)
