"""Which filings a console page offers the acting office, filled in with what the page knows:
the forms each state of a thing could take, and the withdrawals of the side's own waiting filings."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from cli.withdrawals import NOTHING, own_filing, waiting_in
from console.app import acting_identity
from console.instruments import offered_to
from models.amendment import AmendmentStatus, AmendmentView
from models.consultation import ConsultationState, ConsultationView
from models.forum import ForumStage, ForumView
from models.identities import Identity
from models.joint import JointDecision
from models.joint_action import ActionState, ActionSummary
from models.partnership import PartnershipStatus, Stage
from rules.p07_forum import meets_at


def forms_for(request: Request, *slugs: str, **terms: Any) -> list[dict[str, str]]:
    """Links to the forms this office may file here, filled in with what the page already knows."""
    offered = {i.slug: i for i in offered_to(acting_identity(request))}
    query = urlencode({k: v for k, v in terms.items() if v is not None})
    return [{"title": offered[s].title, "href": f"/file/{s}?{query}"} for s in slugs if s in offered]


# Which forms a page offers in each state: those the workflow's rules could accept then (walkthrough
# 2, C3: a form sure to be refused is not offered). The rules decide; this only spares the user.


def action_forms(action: ActionSummary, acting: Identity | None) -> tuple[str, ...]:
    if action.state is ActionState.PROPOSED:
        agree = ("action-agree",) if acting is not action.proposed_by else ()
        return (*agree, "action-cost-share", "action-close")
    return ("action-report", "action-cost-share", "action-close") if action.state is ActionState.ACTIVE else ()


def forum_forms(view: ForumView, acting: Identity | None, now: datetime) -> tuple[str, ...]:
    """By the cycle's stage, and what the acting side has already filed (console walkthrough 3)."""
    stage, s = view.summary.stage, view.summary
    if stage is ForumStage.CALLING_FOR_ITEMS:
        agree = ("forum-agenda-agree",) if acting not in view.agenda_agreed_by else ()
        return ("forum-nominate", "forum-agenda-add", *agree, "forum-postpone")
    if stage is ForumStage.AGENDA_FIXED:  # convened once it meets (the rule's own instant)
        return ("forum-nominate", "forum-postpone", *(("forum-convene",) if now >= meets_at(s) else ()))
    undecided = [d for d in view.decisions if d.taken_at is None and acting not in d.agreed_by]
    approve = ("forum-approve",) if view.minutes and acting not in view.minutes_approved_by else ()
    return (
        ("forum-decide", *(("forum-agree",) if undecided else ()), "forum-minutes", *approve)
        if stage is ForumStage.CONVENED
        else ()
    )


def amendment_forms(view: AmendmentView, acting: Identity | None) -> tuple[str, ...]:
    """The proposer may withdraw its proposal; the other side consents or declines (walkthrough 3, F4)."""
    if view.status is not AmendmentStatus.PROPOSED:  # consented: nothing is left to file on it
        return ()
    return ("amendment-withdraw",) if acting is view.proposed_by else ("amendment-consent", "amendment-decline")


def consultation_forms(view: ConsultationView, acting: Identity | None) -> tuple[str, ...]:
    """A round or a proposal from either side; the opener alone withdraws; an outcome the other side
    proposed is accepted (walkthrough 3, F4)."""
    if view.summary.state is not ConsultationState.OPEN:
        return ()
    withdraw = ("consult-withdraw",) if acting is view.summary.opened_by else ()
    accept = ("consult-accept",) if any(p.by is not acting for p in view.proposals) else ()
    return ("consult-note", "consult-propose", *accept, *withdraw)


def termination_forms(status: PartnershipStatus, acting: Identity | None) -> tuple[str, ...]:
    if any(n.given_by is acting for n in status.termination_notices):
        return ("termination-withdraw",)
    return ("termination-notify",) if status.state in (Stage.IN_EFFECT, Stage.TERMINATION_PENDING) else ()


def withdrawal_href(request: Request, slug: str, decision: JointDecision, shown: Any, **terms: Any) -> str | None:
    """The form withdrawing the acting side's own waiting filing of `decision` in what a page shows,
    filled in, where that side has one (cli/withdrawals.py says which) and files that form."""
    acting = acting_identity(request)
    if slug not in {i.slug for i in offered_to(acting)} or acting is None:
        return None
    if own_filing(waiting_in(decision, shown, terms.get("area"), terms.get("number")), acting) == NOTHING:
        return None
    return f"/file/{slug}?{urlencode({**terms, 'decision': decision})}"


def forum_withdrawals(request: Request, view: ForumView) -> dict[str, str | None]:
    """A cycle's withdrawals the acting side may file: of its postponement, its agreements to the
    agenda, a decision not yet taken or the minutes, and of the agenda items it added while the
    call is open. Keyed as forum.html shows them."""
    ident, acting = view.summary.forum_id, acting_identity(request)
    links = {
        "postponement": withdrawal_href(request, "forum-postpone-withdraw", "postponement", view, forum_id=ident),
        **{
            kind: withdrawal_href(request, "forum-withdraw-agreement", kind, view, forum_id=ident)  # type: ignore[arg-type]
            for kind in ("agenda-agreement", "minutes-approval")
        },
    }
    for d in view.decisions:
        if d.taken_at is None:
            agreement = withdrawal_href(
                request, "forum-withdraw-agreement", "decision-agreement", view, forum_id=ident, number=d.number
            )
            links[f"decision-{d.number}"] = agreement
    if view.summary.stage is ForumStage.CALLING_FOR_ITEMS:
        for item in view.agenda:
            if item.filing_id and item.added_by is acting:
                named = {"forum_id": ident, "ref": item.ref or "", "title": item.title}
                links[f"item-{item.filing_id}"] = forms_href(request, "forum-agenda-withdraw", **named)
    return links


def forms_href(request: Request, slug: str, **terms: Any) -> str | None:
    found = forms_for(request, slug, **terms)
    return found[0]["href"] if found else None
