"""Issue 15: which waiting filing a side's withdrawal names. This is the one place that says which
pending filing decision D on thing T holds for side S, read from what T shows now: the CLI's
withdrawal commands (`group withdraw`, `action withdraw`, `action wind-down-withdraw`, `forum
postpone-withdraw`, `forum withdraw-agreement`, `forum agenda withdraw`) and the console's
withdrawal forms both sign the filing named here. Where the side has nothing pending the
withdrawal names "none", and the workflow's own rule says why in one line (nothing is filed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cli.calls import ForumCycle, JointAction, Partnership
from cli.common import Refused, ask, client, query_or_explain
from models.identities import Identity
from models.joint import JointDecision, JointFilings, JointWithdrawal, PendingFiling

if TYPE_CHECKING:  # `action` imports this module too, and need not import the Forum's models
    from models.forum import AgendaItem, AgendaItemWithdrawal, ForumView

#: What a withdrawal names when its filer has nothing pending: the rule then says so in its words.
NOTHING = "none"
#: The joint decisions filed on a joint action; group-leads and wind-down are filed on the
#: Partnership itself, the rest on a Forum cycle.
ON_ACTION = ("cost-arrangement", "closure")
#: The agreements a side withdraws on a Forum cycle (`forum withdraw-agreement`).
ON_FORUM_AGREEMENTS = ("agenda-agreement", "decision-agreement", "minutes-approval")


def own_filing(filed: JointFilings | None, filer: Identity) -> str:
    """The id of the filer's own pending filing, which its withdrawal names (NOTHING: none)."""
    mine = filed.get(filer) if filed else None
    return mine.filing_id if mine and mine.filing_id else NOTHING


def waiting_in(
    decision: JointDecision, shown: Any, area: str | None = None, number: int | None = None
) -> JointFilings | None:
    """The waiting sides of `decision` in what its thing shows (`shown_for`): the Partnership's
    working groups (group-leads, of `area`) or its wind-down filings, a joint action's view, a
    Forum cycle's view (a decision agreement: decision `number`'s agreements)."""
    if decision == "group-leads":
        return next((r.group.pending for r in shown if r.group.area == area), None)
    if decision == "wind-down":
        return shown
    if decision in ON_ACTION:
        return shown.cost_filings if decision == "cost-arrangement" else shown.closure_filings
    view: ForumView = shown
    if decision == "postponement":
        return view.postponements
    if decision == "agenda-agreement":
        return view.agenda_agreements
    if decision == "minutes-approval":
        return view.minutes_approvals
    found = [d for d in view.decisions if d.number == number]
    agreements = found[0].agreements if found else []
    return JointFilings(filed={a.filed_by: PendingFiling(filing_id=a.filing_id, terms={}) for a in agreements})


async def shown_for(decision: JointDecision, on: str | None) -> Any:
    """What the thing `decision` is filed on shows now (`on`: the joint action or Forum cycle)."""
    if decision == "group-leads":
        return await ask(Partnership.groups)
    if decision == "wind-down":
        return await ask(Partnership.wind_down_filings)
    if not on:
        raise Refused(f"say which {'joint action' if decision in ON_ACTION else 'Forum cycle'} it is filed on")
    handle = (await client()).get_workflow_handle(on)
    if decision in ON_ACTION:
        return await query_or_explain(handle, JointAction.show, f"no joint action {on}")
    return await query_or_explain(handle, ForumCycle.show, f"no Forum cycle {on}")


def withdrawal_of(
    filer: Identity, decision: JointDecision, shown: Any, area: str | None = None, number: int | None = None
) -> JointWithdrawal:
    """`filer`'s withdrawal of its own waiting side of `decision`, naming that filing."""
    withdraws = own_filing(waiting_in(decision, shown, area, number), filer)
    return JointWithdrawal(filed_by=filer, decision=decision, withdraws=withdraws, area=area, number=number)


class AmbiguousItem(Refused):
    """More than one of the filer's agenda items answers to what was named."""


def item_withdrawal_of(filer: Identity, view: ForumView, ref: str | None, title: str | None) -> AgendaItemWithdrawal:
    """`filer`'s withdrawal of the agenda item it added under `ref` and/or `title`. Where only
    another's item answers, the withdrawal names it and the rule says whose it is; where none does
    (already withdrawn, never added), nothing is sent."""
    from models.forum import AgendaItemWithdrawal

    said = " ".join((title or "").split()).casefold()
    named = [i for i in view.agenda if i.filing_id and (ref or None) in (None, i.ref)]
    named = [i for i in named if not said or " ".join(i.title.split()).casefold() == said]
    mine: list[AgendaItem] = [i for i in named if i.added_by is filer] or named
    if len(mine) > 1:
        raise AmbiguousItem(
            f"{len(mine)} of {filer}'s items match; name one by its title: " + "; ".join(i.title for i in mine)
        )
    forum_id = view.summary.forum_id
    if not mine:  # nobody's item answers: say what was asked for, not which filing id was not found
        asked = " and ".join(part for part in (ref and f"with ref {ref}", title and f"titled “{title}”") if part)
        raise Refused(
            f"{filer} added no agenda item {asked + ' ' if asked else ''}to {forum_id} (`forum agenda show` lists them)"
        )
    return AgendaItemWithdrawal(filed_by=filer, forum_id=forum_id, withdraws=mine[0].filing_id)
