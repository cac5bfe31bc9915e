"""What every paragraph's rules share: only a Participant files for its side, most filings need
the Partnership in effect (¶31), a joint decision is taken when both have filed the same terms
(¶7, ¶28, ¶32, ¶9–27), and calendar months are counted one way.
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta

from models.amendment import AmendmentConsent, AmendmentDecline, AmendmentWithdrawal
from models.consultation import ConsultationWithdrawal, ResolutionAcceptance
from models.forum import MinutesApproval
from models.identities import PARTICIPANTS, Identity, other_participant
from models.joint import JointFilings, JointWithdrawal, PendingFiling
from models.joint_action import ActionClosure
from models.keyring import KeyRevocation, KeyRotation
from models.limits import ENDING_MARGIN, FILINGS_PER_KEY, FILINGS_PER_THING
from models.partnership import PartnershipState, Stage
from models.signing import Filing
from rules.tags import decided


@decided("28", "Joint decisions", "a joint decision is taken when both Participants have filed the same terms")
def file_jointly(filed: JointFilings, filing: Filing, terms: dict[str, str]) -> bool:
    """Record the filer's terms (a later filing of its own replaces its earlier one); True when
    both Participants now stand on the same terms."""
    filed.filed[filing.filed_by] = PendingFiling(filing_id=filing.filing_id, terms=terms)
    return all(p in filed.filed and filed.filed[p].terms == terms for p in PARTICIPANTS)


@decided("28", "Joint decisions", "a Participant files its side of a joint decision once")
def already_filed_problem(filed: JointFilings, by: Identity, terms: dict[str, str], what: str) -> str | None:
    """A Participant files its side of a joint decision once; the other side completes it."""
    mine = filed.get(by)
    if mine is not None and mine.terms == terms:
        return f"{by} has already filed {what}; it awaits the matching filing of {other_participant(by)}"
    return None


@decided("28", "Joint decisions", "a Participant may withdraw its own side of a joint decision while it waits")
def joint_withdrawal_problem(filed: JointFilings | None, what: str, withdrawal: JointWithdrawal) -> str | None:
    """Only the side that filed may withdraw its waiting filing, and only the one it names."""
    by = withdrawal.filed_by
    if problem := participant_problem(by, "withdraws its side of a joint decision"):
        return problem
    if filed is None:
        return f"there is no {what} here to withdraw"
    mine, other = filed.get(by), other_participant(by)
    theirs = filed.get(other)
    if theirs is not None and theirs.filing_id == withdrawal.withdraws:
        return f"filing {withdrawal.withdraws} is {other}'s; only {other}, which filed it, may withdraw it"
    if mine is None:
        if theirs is not None:
            return f"{by} has no filing of {what} pending; only {other}, which filed one, may withdraw it"
        return f"no filing of {what} is pending; there is nothing to withdraw"
    if mine.filing_id != withdrawal.withdraws:
        return (
            f"this withdrawal names filing {withdrawal.withdraws}; {by}'s pending filing of {what} is {mine.filing_id}"
        )
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


#: The filings that end a governed thing, taken ENDING_MARGIN times beyond FILINGS_PER_THING.
ENDING = (
    ActionClosure,
    AmendmentConsent,
    AmendmentDecline,
    AmendmentWithdrawal,
    ConsultationWithdrawal,
    ResolutionAcceptance,
    MinutesApproval,
)


@decided("31", "Bounded state", "one identity makes at most FILINGS_PER_THING filings on one governed thing")
def filings_per_thing_problem(filing: Filing, filed: int) -> str | None:
    if filed < FILINGS_PER_THING + (ENDING_MARGIN if isinstance(filing, ENDING) else 0):
        return None
    return (
        f"{filing.filed_by} has made {FILINGS_PER_THING} filings on {filing.addressed_to}, the most one identity "
        "may on one governed thing (a limit on state size)"
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


@decided("32", "¶32", "a child's id held by a workflow the Partnership did not start: nothing is opened, the id named")
def held_id_problem(workflow_id: str) -> str:
    """A child's id held by a workflow the Partnership did not start (a client's, whose input no
    worker can read: it never runs, never ends, and keeps the id): what is said instead of opening it."""
    return (
        f"{workflow_id} is held by a workflow this Partnership did not start, so nothing was opened; an operator "
        f"can end it (temporal workflow terminate --workflow-id {workflow_id})"
    )
