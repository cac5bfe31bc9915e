"""The console's pages: each reads the same queries and views the CLI's commands print."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cli.common import Refused, ask, client, query_or_explain, with_closed
from cli.forum_calendar import forum_calendar
from cli.inbox import InboxItem, inbox, snapshot
from cli.status import wording_of
from cli.withdrawals import ON_ACTION
from console.app import acting_identity, page, session_of
from console.instruments import BY_MODEL
from console.offers import (
    action_forms,
    amendment_forms,
    consultation_forms,
    forms_for,
    forum_forms,
    forum_withdrawals,
    termination_forms,
    withdrawal_href,
)
from models.amendment import AmendmentSummary
from models.catalogue import PILLARS, amended_areas
from models.consultation import ConsultationSummary
from models.forum import ForumStage, ForumSummary
from models.identities import Identity
from models.joint import JointFilings
from models.joint_action import DEFAULT_CADENCE_MONTHS, ActionState, ActionSummary, rollup, wind_down_actions
from models.text import agreement_text, blocks
from models.working_group import GroupReport
from rules.p09_27_joint_actions import report_due
from workflows.amendment import AmendmentWorkflow
from workflows.consultation import ConsultationWorkflow
from workflows.forum import ForumCycleWorkflow
from workflows.joint_action import JointActionWorkflow
from workflows.partnership import PartnershipWorkflow as P


def overdue(actions: list[ActionSummary], now: datetime) -> list[ActionSummary]:
    """Active actions whose last report is older than the default cadence (the inbox applies each
    group's own cadence to its own actions). The due day is worked out once per reporting day:
    the overview of a thousand actions is rendered within 150 ms."""
    due_day: dict[date, date] = {}
    late = []
    for a in actions:
        since = a.last_report_at
        if a.state is not ActionState.ACTIVE or since is None:
            continue
        if since.date() not in due_day:
            due_day[since.date()] = report_due(since, DEFAULT_CADENCE_MONTHS).date()
        if datetime.combine(due_day[since.date()], since.timetz()) <= now:
            late.append(a)
    return late


def register_health() -> dict[str, Any]:
    """The register's hash chain, checked here (read-only); `verify` adds the histories."""
    from activities.register import chain_problems, decisions
    from audit.errors import RegisterUnreachable
    from audit.verify import reachable_register

    try:
        engine = reachable_register()
        return {"rows": len(decisions(engine)), "problems": chain_problems(engine), "error": None}
    except RegisterUnreachable as err:  # an office that runs no stack has none
        return {"rows": 0, "problems": [], "error": str(err)}
    except Exception:  # a database file with no register in it yet
        return {"rows": 0, "problems": [], "error": "no register in this data dir yet"}


def overview_context(status: Any, actions: list[ActionSummary], now: datetime) -> dict[str, Any]:
    """Everything the overview shows, from the status and the action summaries (pure: benchmarked)."""
    in_area: dict[str, list[ActionSummary]] = {}
    in_pillar: dict[int, list[ActionSummary]] = {}
    for a in actions:  # one pass, not one per area
        in_area.setdefault(a.area, []).append(a)
        in_pillar.setdefault(a.pillar, []).append(a)
    areas = amended_areas(status.catalogue_changes)
    by_area = [(area, rollup(in_area.get(area.slug, []))) for area in areas]
    by_pillar = [(p, rollup(in_pillar.get(p.number, []))) for p in PILLARS]
    countdown = None
    if status.termination is not None:
        countdown = (status.termination.effective_on - now.date()).days
    return {
        "status": status,
        "total": rollup(actions),
        "by_area": by_area,
        "by_pillar": by_pillar,
        "overdue": overdue(actions, now),
        "countdown": countdown,
    }


async def overview(request: Request) -> Response:
    status = await ask(P.status)
    actions = await ask(P.actions)
    context = overview_context(status, actions, datetime.now(UTC))
    open_cycles = sorted((f for f in status.forums if f.stage is not ForumStage.CLOSED), key=lambda f: f.on)
    forum = None
    if open_cycles:  # the next to meet, which is not always the latest started (walkthrough 2)
        forum = await (await client()).get_workflow_handle(open_cycles[0].forum_id).query(ForumCycleWorkflow.show)
    forms = forms_for(request, *termination_forms(status, acting_identity(request)))  # ¶31, where it shows the notices
    return page(request, "overview.html", forum=forum, health=register_health(), forms=forms, **context)


async def inbox_page(request: Request) -> Response:
    office = acting_identity(request) or Identity.AUDITOR
    items = inbox(office, await snapshot(), datetime.now(UTC))
    answers = []
    for item in items:
        instrument = BY_MODEL.get(item.instrument or "")
        answer = None
        if instrument is not None and office in instrument.filers:
            filled = {f.name for f in instrument.fields()} <= set(item.terms)
            answer = {
                "instrument": instrument,
                "href": f"/file/{instrument.slug}?{urlencode(item.terms)}",
                "terms": item.terms if filled else None,  # complete: straight to the confirmation
                "csrf": session_of(request).issue() if filled else "",
            }
        answers.append((item, shown_at(item), answer))
    return page(request, "inbox.html", office=office, answers=answers)


def shown_at(item: InboxItem) -> str:
    """The page that shows what an inbox item is about: an amendment's or action's own, the
    Overview for a notice of termination (with the countdown), else the thing's timeline."""
    if item.about.startswith("partnership-amendment"):
        return f"/amendments/{item.about}"
    if item.about.startswith("action-"):
        return f"/actions/{item.about}"
    if item.paragraph == "31":
        return "/"
    return f"/timeline/{item.about}"


async def catalogue_page(request: Request) -> Response:
    status = await ask(P.status)
    actions = await ask(P.actions)
    under: dict[str, list[ActionSummary]] = {}
    for a in actions:
        under.setdefault(a.ref, []).append(a)
    areas = amended_areas(status.catalogue_changes)
    groups: list[GroupReport] = await ask(P.groups)
    pending = {r.group.area: r.group.pending for r in groups if r.group.pending}
    withdraw = {area: withdrawal_href(request, "group-withdraw", "group-leads", groups, area=area) for area in pending}
    return page(
        request,
        "catalogue.html",
        pillars=PILLARS,
        areas=areas,
        under=under,
        version=status.version,
        pending=pending,
        withdraw=withdraw,
        forms=forms_for(request, "group-set-leads"),  # the groups' leads, where the areas are (console walkthrough 3)
    )


async def actions_page(request: Request) -> Response:
    q = request.query_params
    wanted = {k: q.get(k) or None for k in ("ref", "area", "pillar", "state")}
    # A filter value nothing can match is said, as the CLI's `--state`/`--pillar` refuse it, rather
    # than shown as "No joint action matches".
    states, pillars = [s.value for s in ActionState], [str(p.number) for p in PILLARS]
    for name, known in (("state", states), ("pillar", pillars)):
        if wanted[name] is not None and wanted[name] not in known:
            raise Refused(f"no joint-action {name} {wanted[name]!r}; choose one of {', '.join(known)}")
    every = await with_closed(P.actions, "action", ActionSummary, "action_id")
    actions = [
        a
        for a in every
        if (wanted["ref"] is None or a.ref == wanted["ref"])
        and (wanted["area"] is None or a.area == wanted["area"])
        and (wanted["pillar"] is None or str(a.pillar) == wanted["pillar"])
        and (wanted["state"] is None or a.state.value == wanted["state"])
    ]
    wind_down: JointFilings = await ask(P.wind_down_filings)
    return page(
        request,
        "actions.html",
        actions=actions,
        total=rollup(actions),
        wanted=wanted,
        states=states,
        forms=forms_for(
            request, "action-propose", *(["action-wind-down"] if any(a.state.is_open for a in every) else [])
        ),
        wind_down=wind_down,
        winding_down={who: ", ".join(wind_down_actions(filed.terms)) for who, filed in wind_down.filed.items()},
        withdraw_wind_down=withdrawal_href(request, "action-wind-down-withdraw", "wind-down", wind_down),
    )


async def action_page(request: Request) -> Response:
    ident = request.path_params["ident"]
    handle = (await client()).get_workflow_handle(ident)
    view = await query_or_explain(handle, JointActionWorkflow.show, f"no joint action {ident}")
    slugs = action_forms(view.summary, acting_identity(request))
    # A proposed action can only be discontinued: its closure form starts there (console walkthrough 3, F4).
    outcome = "discontinue" if view.summary.state is ActionState.PROPOSED else None
    withdraw = {d: withdrawal_href(request, "action-withdraw", d, view, action_id=ident) for d in ON_ACTION}
    forms = forms_for(request, *slugs, action_id=ident, outcome=outcome)
    return page(request, "action.html", view=view, forms=forms, withdraw=withdraw)


async def amendments_page(request: Request) -> Response:
    status = await ask(P.status)
    amendments = await with_closed(P.amendments, "amendment", AmendmentSummary, "amendment_id")
    return page(
        request,
        "amendments.html",
        amendments=amendments,
        version=status.version,
        forms=forms_for(request, "amendment-propose"),
    )


def current_wording(
    paragraphs: list[int], in_force: list[AmendmentSummary], wording: dict[str, str]
) -> list[tuple[int, str, list[tuple[str, str]]]]:
    """The named paragraphs as signed, each with the amendments in force to it and their wording, as
    `partnership text` lists them (walkthrough: the page showed 2023's wording under "Current")."""
    texts = {b.paragraph: b.text for b in blocks(agreement_text()) if b.paragraph is not None}
    return [
        (
            p,
            texts.get(p, "(no such paragraph in the text as signed)"),
            [(a.amendment_id, wording[a.amendment_id]) for a in in_force if p in a.paragraphs],
        )
        for p in paragraphs
    ]


async def amendment_page(request: Request) -> Response:
    ident = request.path_params["ident"]
    handle = (await client()).get_workflow_handle(ident)
    view = await query_or_explain(handle, AmendmentWorkflow.show, f"no amendment {ident}")
    slugs = amendment_forms(view, acting_identity(request))
    in_force = (await ask(P.status)).amendments_in_force
    touched = [a for a in in_force if a.amendment_id != ident and set(a.paragraphs) & set(view.paragraphs)]
    return page(
        request,
        "amendment.html",
        view=view,
        current=current_wording(view.paragraphs, touched, await wording_of(touched)),
        forms=forms_for(request, *slugs, amendment_id=ident),
    )


async def shown(ids: list[str], query: Any) -> list[Any]:
    """Each workflow's own view, for those the server still holds (a closed one whose history has
    gone past retention is in the register and the archive, not here)."""
    from temporalio.service import RPCError, RPCStatusCode

    c, views = await client(), []
    for ident in ids:
        try:
            views.append(await c.get_workflow_handle(ident).query(query))
        except RPCError as err:
            if err.status is not RPCStatusCode.NOT_FOUND:
                raise
    return views


async def forum_page(request: Request) -> Response:
    # closed cycles too, also those the Partnership left in the register at continue-as-new
    cycles = await with_closed(P.forums, "forum", ForumSummary, "forum_id")
    views = await shown([f.forum_id for f in reversed(cycles)], ForumCycleWorkflow.show)
    acting, now = acting_identity(request), datetime.now(UTC)
    usual = await ask(P.forum_calendar)  # the secretariat's form starts from it (console walkthrough 3, F2)
    cycle_forms = {
        v.summary.forum_id: forms_for(request, *forum_forms(v, acting, now), forum_id=v.summary.forum_id)
        for v in views
        if v.summary.stage is not ForumStage.CLOSED
    }
    withdraw = {
        v.summary.forum_id: forum_withdrawals(request, v) for v in views if v.summary.stage is not ForumStage.CLOSED
    }
    return page(
        request,
        "forum.html",
        views=views,
        cycle_forms=cycle_forms,
        withdraw=withdraw,
        forms=forms_for(request, "forum-start")
        + forms_for(request, "forum-schedule", month=usual.month, day=usual.day),
        schedule=usual.line() if usual.month else "No usual date is set: each cycle is started by hand.",
    )


async def forum_calendar_file(request: Request) -> Response:
    ident = request.path_params["ident"]
    handle = (await client()).get_workflow_handle(ident)
    view = await query_or_explain(handle, ForumCycleWorkflow.show, f"no Forum cycle {ident}")
    return Response(
        forum_calendar(view),
        media_type="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{quote(ident)}.ics"'},
    )


async def consultations_page(request: Request) -> Response:
    summaries = await with_closed(P.consultations, "consultation", ConsultationSummary, "consultation_id")
    views = await shown([k.consultation_id for k in summaries], ConsultationWorkflow.show)
    acting = acting_identity(request)
    return page(
        request,
        "consultations.html",
        views=views,
        view_forms={  # none on a closed one (consultation_forms)
            v.summary.consultation_id: forms_for(
                request, *consultation_forms(v, acting), consultation_id=v.summary.consultation_id
            )
            for v in views
        },
        forms=forms_for(request, "consult-open"),  # the groups' leads on the Catalogue, notices on the Overview
    )


async def register_page(request: Request) -> Response:
    from activities.register import decisions, read_only_engine

    health = register_health()
    rows = decisions(read_only_engine()) if health["error"] is None else []
    report = None
    if request.query_params.get("verify") and health["error"] is None:  # no register here: nothing to verify
        from audit.verify import verify

        report = await verify(await client(), read_only_engine())
    forms = forms_for(request, "checkpoint-sign") if health["error"] is None else []  # it signs what it reads
    # The latest co-signed checkpoint, one awaiting a side, one due (console walkthrough 3), beside the register.
    checkpoints = await ask(P.checkpoint) if health["error"] is None else None
    return page(
        request, "register.html", rows=rows[-200:], health=health, report=report, forms=forms, checkpoints=checkpoints
    )


async def timeline_page(request: Request) -> Response:
    from activities.register import read_only_engine
    from audit.archive import histories_of
    from audit.timeline import timeline

    ident = request.path_params["ident"]
    if register_health()["error"] is None:
        runs = await histories_of(await client(), read_only_engine(), ident)
    else:  # an office without the register (and so without the archive): the server's history only
        runs = [await (await client()).get_workflow_handle(ident).fetch_history()]
    if not runs:
        raise Refused(f"no workflow {ident} on the server or in the archive")
    settings = request.app.state.settings
    ui = f"{settings.temporal_ui.rstrip('/')}/namespaces/{quote(settings.namespace)}/workflows/{quote(ident)}"
    return page(request, "timeline.html", ident=ident, entries=timeline(runs[-1]), ui=ui)


def routes() -> list[Route]:
    return [
        Route("/", overview),
        Route("/inbox", inbox_page),
        Route("/catalogue", catalogue_page),
        Route("/actions", actions_page),
        Route("/actions/{ident}", action_page),
        Route("/amendments", amendments_page),
        Route("/amendments/{ident}", amendment_page),
        Route("/forum", forum_page),
        Route("/forum/{ident}.ics", forum_calendar_file),
        Route("/consultations", consultations_page),
        Route("/register", register_page),
        Route("/timeline/{ident}", timeline_page),
    ]
