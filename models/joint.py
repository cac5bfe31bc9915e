"""Joint decisions (¶7, ¶28, ¶32, ¶9–27): each Participant files its side, and the decision is
taken when both have filed the same terms. Until then a side's filing waits for the other's; this
module is the one place that says what a waiting filing holds, how two sides' terms differ, and
the instrument that withdraws a side's own waiting filing (issue 15: filings that never meet).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, computed_field, model_validator

from models.base import Model
from models.identities import PARTICIPANTS, Identity
from models.limits import ENTRIES_MAX, FilingId, Ref
from models.signing import Filing

#: How much of a differing value the one-line receipt quotes (a cost arrangement is a page).
SHOWN_VALUE_MAX = 60


class PendingFiling(Model):
    """One side's filing of a joint decision, awaiting the same terms from the other."""

    filing_id: str = ""  # the instrument filed; "" for one filed before ids were kept
    terms: dict[str, str]  # what it agrees to, field by field (the instrument's field names)


class JointFilings(Model):
    """Each Participant's waiting side of one joint decision; `differs` says, in one line, which
    terms of the two sides differ and both values (None while they agree or one side is silent)."""

    filed: dict[Identity, PendingFiling] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_terms_by_side(cls, value: Any) -> Any:
        """State carried from before (continue-as-new): a plain {side: terms} mapping."""
        if isinstance(value, dict) and "filed" not in value:
            return {"filed": {k: {"terms": {"terms": v}} if isinstance(v, str) else v for k, v in value.items()}}
        return value

    def __bool__(self) -> bool:
        return bool(self.filed)

    def get(self, side: Identity) -> PendingFiling | None:
        return self.filed.get(side)

    def clear(self) -> None:
        """The decision is taken (or set by another route): nothing waits any more."""
        self.filed.clear()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def differs(self) -> str | None:
        uk, rok = (self.filed.get(p) for p in PARTICIPANTS)
        if uk is None or rok is None:
            return None
        fields = [k for k in dict.fromkeys([*uk.terms, *rok.terms]) if uk.terms.get(k) != rok.terms.get(k)]
        return "; ".join(f"{k}: UK {shown(uk.terms.get(k))}, ROK {shown(rok.terms.get(k))}" for k in fields) or None


def shown(value: str | None) -> str:
    """A filed value on one line, quoted, cut short: how a receipt names it."""
    if value is None:
        return "—"
    flat = " ".join(value.split())
    return repr(flat if len(flat) <= SHOWN_VALUE_MAX else flat[: SHOWN_VALUE_MAX - 1] + "…")


#: The joint decisions a side may withdraw its waiting filing of: on the Partnership (group-leads,
#: wind-down), on a joint action (cost-arrangement, closure), on a Forum cycle (the rest).
JointDecision = Literal[
    "group-leads",
    "wind-down",
    "cost-arrangement",
    "closure",
    "postponement",
    "agenda-agreement",
    "decision-agreement",
    "minutes-approval",
]


class JointWithdrawal(Filing):
    """Withdraws the filer's own side of a joint decision while it awaits the other's. Like a
    TerminationWithdrawal names its notice, it names the filing it withdraws: signed for that
    one, it cannot withdraw a later filing of the same side."""

    decision: JointDecision
    withdraws: FilingId
    area: Ref | None = None  # group-leads: the working group's policy area
    number: int | None = Field(default=None, ge=1, le=ENTRIES_MAX)  # decision-agreement: the decision
