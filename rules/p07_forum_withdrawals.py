"""¶7, the Forum: withdrawals (issue 15). Whoever filed a one-sided filing on a Forum cycle may
withdraw it while it waits: an agenda item it added, until the agenda is fixed; its agreement to
the agenda, a decision or the minutes, and its postponement, until both sides have filed them.
Who may withdraw which filing, and that a withdrawal names it, is rules.common's
`joint_withdrawal_problem`; what follows is what the Forum's stages add.

> 7. The UK-RoK Digital Partnership Forum will oversee the functioning of the Partnership. It will
> be held annually and chaired by a Vice Minister of the Ministry of Science and ICT of the Republic
> of Korea and a Ministerial counterpart at the Department for Science, Innovation and Technology of
> the United Kingdom. Separate working-level governance arrangements will be established under each
> policy area. The scope, objectives, and means of optimal cooperation will be reviewed as needed.
"""

from __future__ import annotations

from models.forum import AgendaItemWithdrawal, ForumCase, ForumStage
from models.joint import JointWithdrawal
from rules.p07_forum import cycle_problem
from rules.tags import decided


@decided("7", "The Forum", "an agenda item may be withdrawn by whoever added it, while the call is open")
def item_withdrawal_problem(case: ForumCase, filing: AgendaItemWithdrawal) -> str | None:
    if problem := cycle_problem(case, filing, filing.forum_id):
        return problem
    if case.stage is not ForumStage.CALLING_FOR_ITEMS:
        return f"the agenda of {case.forum_id} is fixed; its items can no longer be withdrawn"
    item = next((i for i in case.items if i.filing_id == filing.withdraws), None)
    if item is None:
        return f"no agenda item of {case.forum_id} was added by filing {filing.withdraws}"
    whose = item.added_by
    return None if whose is filing.filed_by else f"only {whose}, which added “{item.title}”, may withdraw it"


@decided("7", "The Forum", "an agreement is withdrawn only while what it agreed to still waits for the other side")
def agreement_withdrawal_problem(case: ForumCase, withdrawal: JointWithdrawal) -> str | None:
    """A side's agreement to the agenda, a decision or the minutes, and its postponement, are its
    own to withdraw (rules.common) until both sides have filed them."""
    if problem := cycle_problem(case, withdrawal, case.forum_id):
        return problem
    if withdrawal.decision == "agenda-agreement" and case.stage is not ForumStage.CALLING_FOR_ITEMS:
        return f"the agenda of {case.forum_id} is fixed; an agreement to it can no longer be withdrawn"
    if withdrawal.decision == "decision-agreement":
        numbers = [d.number for d in case.decisions]
        if withdrawal.number not in numbers:
            return f"{case.forum_id} has no decision {withdrawal.number}; decisions: {numbers or 'none yet'}"
        taken = case.decisions[numbers.index(withdrawal.number)].taken_at
        if taken is not None:
            return f"decision {withdrawal.number} was taken on {taken:%Y-%m-%d}; an agreement to it stands"
    return None
