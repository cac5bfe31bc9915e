"""Fuzzed filings against every Update: each rejected one is rejected with a clear message, and
the history never grows for it (real dev server, where rejected Updates leave no events); one the
models refuse (over a limit, a control character) is refused in one line naming the field; and
whatever is accepted, every workflow it reaches runs on through its timers without a failed task
(time-skipping server)."""

from __future__ import annotations

import asyncio
import re
import types
import typing
import uuid
from datetime import date, timedelta

import pytest
from annotated_types import Ge, Le, MaxLen
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from cli.common import explain
from engine.keys import load_private_key
from models.amendment import AmendmentConsent, AmendmentDecline, AmendmentProposal, AmendmentWithdrawal
from models.consultation import (
    ConsultationRequest,
    ConsultationRound,
    ConsultationWithdrawal,
    ResolutionAcceptance,
    ResolutionProposal,
)
from models.forum import (
    AgendaAgreement,
    AgendaItemFiling,
    AgendaItemWithdrawal,
    CoChairNomination,
    Convening,
    DecisionAgreement,
    DecisionTabled,
    ForumConvocation,
    MinutesApproval,
    MinutesFiling,
    Postponement,
)
from models.identities import FILERS, Identity
from models.joint import JointWithdrawal
from models.joint_action import (
    ActionAgreement,
    ActionClosure,
    CostArrangement,
    JointActionProposal,
    ProgressReport,
    WindDown,
)
from models.keyring import KeyRevocation, KeyRotation
from models.partnership import SignPartnership, TerminationNotice, TerminationWithdrawal
from models.signing import Filing, sign
from models.working_group import GroupLeads
from tests.helpers import effects_done, signed, sleep_until
from tests.replay_all import histories_reached_from
from workflows.amendment import AmendmentWorkflow
from workflows.consultation import ConsultationWorkflow
from workflows.forum import ForumCycleWorkflow
from workflows.joint_action import JointActionWorkflow
from workflows.partnership import PartnershipWorkflow

# (which workflow, the update, the filing it takes)
UPDATES = [
    ("partnership", PartnershipWorkflow.sign, SignPartnership),
    ("partnership", PartnershipWorkflow.give_termination_notice, TerminationNotice),
    ("partnership", PartnershipWorkflow.withdraw_termination_notice, TerminationWithdrawal),
    ("partnership", PartnershipWorkflow.propose_amendment, AmendmentProposal),
    ("partnership", PartnershipWorkflow.propose_joint_action, JointActionProposal),
    ("partnership", PartnershipWorkflow.set_group_leads, GroupLeads),
    ("partnership", PartnershipWorkflow.wind_down, WindDown),
    ("partnership", PartnershipWorkflow.withdraw_joint_filing, JointWithdrawal),
    ("partnership", PartnershipWorkflow.open_consultation, ConsultationRequest),
    ("partnership", PartnershipWorkflow.start_forum, ForumConvocation),
    ("partnership", PartnershipWorkflow.rotate_key, KeyRotation),
    ("partnership", PartnershipWorkflow.revoke_key, KeyRevocation),
    ("amendment", AmendmentWorkflow.consent, AmendmentConsent),
    ("amendment", AmendmentWorkflow.decline, AmendmentDecline),
    ("amendment", AmendmentWorkflow.withdraw, AmendmentWithdrawal),
    ("action", JointActionWorkflow.agree, ActionAgreement),
    ("action", JointActionWorkflow.report, ProgressReport),
    ("action", JointActionWorkflow.cost_share, CostArrangement),
    ("action", JointActionWorkflow.close, ActionClosure),
    ("action", JointActionWorkflow.withdraw_joint_filing, JointWithdrawal),
    ("consultation", ConsultationWorkflow.note, ConsultationRound),
    ("consultation", ConsultationWorkflow.propose, ResolutionProposal),
    ("consultation", ConsultationWorkflow.accept, ResolutionAcceptance),
    ("consultation", ConsultationWorkflow.withdraw, ConsultationWithdrawal),
    ("forum", ForumCycleWorkflow.nominate, CoChairNomination),
    ("forum", ForumCycleWorkflow.add_item, AgendaItemFiling),
    ("forum", ForumCycleWorkflow.agree_agenda, AgendaAgreement),
    ("forum", ForumCycleWorkflow.postpone, Postponement),
    ("forum", ForumCycleWorkflow.withdraw_joint_filing, JointWithdrawal),
    ("forum", ForumCycleWorkflow.withdraw_item, AgendaItemWithdrawal),
    ("forum", ForumCycleWorkflow.convene, Convening),
    ("forum", ForumCycleWorkflow.table_decision, DecisionTabled),
    ("forum", ForumCycleWorkflow.agree_decision, DecisionAgreement),
    ("forum", ForumCycleWorkflow.file_minutes, MinutesFiling),
    ("forum", ForumCycleWorkflow.approve_minutes, MinutesApproval),
]

UNHANDLED = WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND
ACCEPTED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
UPDATE_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED,
}
WORDS = st.sampled_from(
    [
        "",
        " ",
        "9b",
        "13a",
        "28",
        "7",
        "99z",
        "telecoms",
        "Vice Minister",
        "Minister",
        "x" * 300,
        "a\r\nBcc: x",
        "\x1b[2J",
    ]
)


def limits(metadata) -> tuple[int | None, str | None, object, object]:
    """The max length, pattern and bounds a field's Annotated metadata sets (models/limits.py)."""
    most = pattern = low = high = None
    for item in metadata:
        most = getattr(item, "max_length", None) or (item.max_length if isinstance(item, MaxLen) else most)
        pattern = getattr(item, "pattern", None) or pattern
        low = item.ge if isinstance(item, Ge) else low
        high = item.le if isinstance(item, Le) else high
        for inner in getattr(item, "metadata", []):  # a FieldInfo carries its constraints inside
            low = inner.ge if isinstance(inner, Ge) else low
            high = inner.le if isinstance(inner, Le) else high
    return most, pattern, low, high


def strategy_for(annotation, name: str, targets: dict[str, str]):
    """Values of one field: plausible ones, edge cases, nonsense, and values at and just over its
    limits."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *metadata = typing.get_args(annotation)
        most, pattern, low, high = limits(metadata)
        plain = strategy_for(base, name, targets)
        if name in targets:
            return plain
        if pattern:
            return st.one_of(st.from_regex(re.compile(pattern), fullmatch=True), plain)
        if most:
            return st.one_of(plain, st.sampled_from(["é" * most, "x" * (most + 1), "line\nbreak", "tab\there"]))
        if low is not None and high is not None:
            return st.one_of(plain, st.sampled_from([low, high]), st.integers(low, high) if base is int else plain)
        return plain
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(strategy_for(a, name, targets) for a in typing.get_args(annotation)))
    if annotation is type(None):
        return st.none()
    if name in targets:
        return st.one_of(st.just(targets[name]), st.text(max_size=12))
    if annotation is Identity:
        return st.sampled_from(list(Identity))
    if annotation is str:
        return st.one_of(WORDS, st.text(max_size=40))
    if annotation is int:
        return st.integers(-3, 120)
    if annotation is date:
        return st.dates(date(2020, 1, 1), date(2100, 12, 31))
    if origin is list:
        [inner] = typing.get_args(annotation)
        if typing.get_origin(inner) is typing.Annotated and typing.get_args(inner)[0] is str:
            item = strategy_for(inner, "", targets)
            # A list named for a kind of governed thing (a wind-down's `actions`) may name the open one.
            if (named := targets.get(f"{name.removesuffix('s')}_id")) is not None:
                item = st.one_of(st.just(named), item)
            return st.lists(item, max_size=3)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return st.just([])
        return st.lists(strategy_for(inner, "", targets), max_size=3)
    if origin is typing.Literal:
        return st.sampled_from(typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return st.none()
    if hasattr(annotation, "__members__"):
        return st.sampled_from(list(annotation))
    raise AssertionError(f"no strategy for {annotation!r}")


def filings(model: type[Filing], targets: dict[str, str]):
    hints = typing.get_type_hints(model, include_extras=True)
    fields = {
        name: strategy_for(hints[name], name, targets)
        for name in model.model_fields
        if name not in ("signature", "filing_id", "text_sha256")
    }
    return st.fixed_dictionaries(fields)


#: What a filing of each kind may name besides its own workflow: a wind-down names joint actions.
#: A test opens only these (each governed thing opened is a year of timers, mails and register
#: rows to run through, and most of a fuzz test's cost); every other id field is drawn at random.
NAMED = {"partnership": ("action",), "amendment": (), "action": (), "consultation": (), "forum": ()}
KINDS = ("amendment", "action", "consultation", "forum")


async def open_governed(client, partnership, year: int, kinds: tuple[str, ...] = KINDS) -> tuple[dict, dict[str, str]]:
    """One of each governed thing in `kinds`, open, with the ids a filing may name. (Filed
    together: each starts a workflow of its own, and none depends on another.)"""
    filings = {
        "amendment": (
            PartnershipWorkflow.propose_amendment,
            AmendmentProposal(filed_by=Identity.UK, paragraphs=[7], text="Twice a year."),
            "amendment_id",
        ),
        "action": (
            PartnershipWorkflow.propose_joint_action,
            JointActionProposal(filed_by=Identity.ROK, ref="16b", title=f"Workshops {year}"),
            "action_id",
        ),
        "consultation": (
            PartnershipWorkflow.open_consultation,
            ConsultationRequest(filed_by=Identity.UK, about="28", summary="Costs"),
            "consultation_id",
        ),
        "forum": (
            PartnershipWorkflow.start_forum,
            ForumConvocation(filed_by=Identity.SECRETARIAT, year=year + 1),
            "forum_id",
        ),
    }
    receipts = await asyncio.gather(
        *(partnership.execute_update(filings[k][0], signed(filings[k][1], to=partnership)) for k in kinds)
    )
    handles = {"partnership": partnership}
    targets = {}
    for kind, receipt in zip(kinds, receipts, strict=True):
        ident = getattr(receipt, filings[kind][2])
        handles[kind] = client.get_workflow_handle(ident)
        targets[filings[kind][2]] = ident
    return handles, targets


def opened_for(kind: str) -> tuple[str, ...]:
    """The governed things a test of filings on `kind` opens: its own, and what they may name."""
    return tuple(k for k in KINDS if k == kind or k in NAMED[kind])


#: The Updates of each kind, in the order of UPDATES (which follows each workflow's course).
BY_KIND = {kind: [(u, m) for k, u, m in UPDATES if k == kind] for kind in dict.fromkeys(k for k, _, _ in UPDATES)}


async def ended(handle) -> bool:
    """Whether an accepted filing has ended this workflow (the next filings would find nothing)."""
    from temporalio.client import WorkflowExecutionStatus

    return (await handle.describe()).status != WorkflowExecutionStatus.RUNNING


def drawn_filings(model: type[Filing], targets: dict[str, str], text_sha: str, examples: int):
    """Hypothesis draws the filings; the checks then run them against the live workflow. (Its runner
    cannot await inside an already running event loop, so drawing and checking are two steps.)
    Returns the filings the models accept, with how to sign each, and how many they refused."""
    drawn: list[tuple[dict, str]] = []

    @settings(
        max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
    )
    @given(fields=filings(model, targets), key=st.sampled_from(["own", "other", "none"]))
    def draw(fields, key):
        drawn.append((fields, key))

    draw()
    accepted: list[tuple[Filing, str]] = []
    refused = 0
    for fields, key in drawn:
        if "text_sha256" in model.model_fields:
            fields["text_sha256"] = text_sha
        try:
            accepted.append((model(**fields), key))
        except ValidationError as err:
            # What the CLI prints before signing: one line naming the field and its limit.
            refused += 1
            message = explain(err)
            assert "\n" not in message and message.startswith("refused before signing: "), message
            assert message.split(": ")[1].split(".")[0] in model.model_fields, message
    return accepted, refused


def signed_by(filing: Filing, key: str) -> Filing:
    if key == "own" and filing.filed_by in FILERS:
        return sign(filing, load_private_key(filing.filed_by))
    if key == "other":
        return sign(filing, load_private_key(Identity.UK if filing.filed_by is not Identity.UK else Identity.ROK))
    return filing


def update_id(event) -> str | None:
    """The id of the Update an update event records (None for any other event)."""
    if event.event_type == ACCEPTED:
        return event.workflow_execution_update_accepted_event_attributes.accepted_request.meta.update_id
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED:
        return event.workflow_execution_update_rejected_event_attributes.rejected_request.meta.update_id
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
        return event.workflow_execution_update_completed_event_attributes.meta.update_id
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED:
        return event.workflow_execution_update_admitted_event_attributes.request.meta.update_id
    return None


async def recorded_updates(client, workflow_id: str, first_run: str) -> list[tuple[int, str]]:
    """(event type, Update id) of each update event of this run and of the runs it continued into."""
    histories = await histories_reached_from(client, [(workflow_id, first_run)])
    # Its own first run must be among them: a fetch that failed would otherwise read as "nothing
    # recorded", and the checks on it would pass without looking.
    assert any(h.workflow_id == workflow_id and h.events for h in histories), f"no history of {workflow_id}"
    events = [e for h in histories if h.workflow_id == workflow_id for e in h.events]
    return [(e.event_type, ident) for e in events if (ident := update_id(e)) is not None]


async def rejected_clearly(client, handle, targets: dict[str, str], update, model, text_sha: str) -> None:
    """Fuzzed filings of one Update to one workflow: each rejected one is rejected in a clear line
    and recorded nowhere, each accepted one is recorded once."""
    accepted, refused = drawn_filings(model, {**targets, "addressed_to": handle.id}, text_sha, examples=12)
    # Each filing goes under an Update id of its own, so one look at the histories afterwards says
    # which filings they recorded (two whole histories fetched per filing made this test slow): the
    # filings the workflow accepted, each once, and none that it rejected.
    first_run = (await handle.describe()).run_id
    prefix = f"fuzz-{uuid.uuid4().hex}"
    taken: list[str] = []
    rejected: dict[str, str] = {}  # update id -> the rejection's message
    ended = False
    for n, (filing, key) in enumerate(accepted):
        filing = signed_by(filing, key)
        ident = f"{prefix}-{n}"
        await effects_done(handle, "pending_effects")
        try:
            await handle.execute_update(update, filing, id=ident)
        except RPCError as err:
            assert err.status is RPCStatusCode.NOT_FOUND  # an accepted filing ended it; the CLI says so
            ended = True
            break
        except WorkflowUpdateFailedError as err:
            message = getattr(err.cause, "message", "")
            assert message and "\n" not in message and len(message.split()) >= 3, repr(message)
            assert "Traceback" not in message and "object has no attribute" not in message, message
            rejected[ident] = message
        else:
            taken.append(ident)
    recorded = await recorded_updates(client, handle.id, first_run)
    left = [rejected[ident] for _, ident in recorded if ident in rejected]
    assert not left, f"{model.__name__}: rejected but recorded: {left}"
    accepted_ids = [ident for event_type, ident in recorded if event_type == ACCEPTED and ident.startswith(prefix)]
    assert sorted(accepted_ids) == sorted(taken), f"{model.__name__}: the accepted filings are not each recorded once"
    assert rejected or refused or ended, f"{model.__name__}: nothing drawn was refused or rejected"


@pytest.mark.parametrize("kind", BY_KIND)
async def test_fuzzed_filings_are_rejected_clearly_and_leave_no_trace(local_env, partnership, kind):
    """Every Update of one kind, fuzzed, against one workflow of that kind (a fresh one where an
    accepted filing ended it): the Partnership and its first effects are made once for them all."""
    year = date.today().year
    handles, targets = await open_governed(local_env.client, partnership, year, opened_for(kind))
    text_sha = (await partnership.query(PartnershipWorkflow.status)).text_sha256
    for update, model in BY_KIND[kind]:
        if await ended(handles[kind]):
            year += 1  # a fresh Forum cycle is for a year of its own
            handles, targets = await open_governed(local_env.client, partnership, year, opened_for(kind))
        await rejected_clearly(local_env.client, handles[kind], targets, update, model, text_sha)


async def governed_ids(partnership) -> list[str]:
    """The Partnership and everything it has started."""
    ids = [a.action_id for a in await partnership.query(PartnershipWorkflow.actions)]
    ids += [a.amendment_id for a in await partnership.query(PartnershipWorkflow.amendments)]
    ids += [c.consultation_id for c in await partnership.query(PartnershipWorkflow.consultations)]
    ids += [f.forum_id for f in await partnership.query(PartnershipWorkflow.forums)]
    return [partnership.id, *ids]


@pytest.mark.parametrize("kind", BY_KIND)
async def test_accepted_filings_never_leave_a_workflow_unable_to_run(time_env, skipping_partnership, kind):
    """Every value a workflow later depends on (host, time zones, dates, ids) is checked before
    acceptance: after the fuzzed filings of every Update of one kind (to one workflow of that kind,
    a fresh one where an accepted filing ended it), more than a year of timers fire and no
    workflow task fails."""
    year = (await time_env.get_current_time()).year
    handles, targets = await open_governed(time_env.client, skipping_partnership, year, opened_for(kind))
    text_sha = (await skipping_partnership.query(PartnershipWorkflow.status)).text_sha256
    taken: dict[str, int] = {}  # the Update's filing -> how many its workflow recorded as accepted
    for update, model in BY_KIND[kind]:
        if await ended(handles[kind]):
            year += 1  # a fresh Forum cycle is for a year of its own
            handles, targets = await open_governed(time_env.client, skipping_partnership, year, opened_for(kind))
        handle = handles[kind]
        accepted, _ = drawn_filings(model, {**targets, "addressed_to": handle.id}, text_sha, examples=40)
        first_run = (await handle.describe()).run_id
        prefix = f"fuzz-{uuid.uuid4().hex}"
        for n, (filing, _key) in enumerate(accepted):
            try:
                await handle.execute_update(update, signed_by(filing, "own"), id=f"{prefix}-{n}")
            except (WorkflowUpdateFailedError, RPCError):
                pass  # rejections are the other test's business
        # Accepted means recorded as accepted: a handler that failed after accepting its filing
        # answers with an error too, and may have left its workflow changed.
        recorded = await recorded_updates(time_env.client, handle.id, first_run)
        if count := sum(event_type == ACCEPTED and ident.startswith(prefix) for event_type, ident in recorded):
            taken[model.__name__] = count
    # Most kinds draw no filing the workflow accepts: then no fuzzed value reached a workflow, and a
    # year of the timers open_governed set (half a second or more each time) would prove nothing
    # about fuzzed filings.
    if not taken:
        return
    await sleep_until(time_env, await time_env.get_current_time() + timedelta(days=400))
    await skipping_partnership.query(PartnershipWorkflow.status)  # a query waits for the task the timers made
    failed = {}
    for workflow_id in await governed_ids(skipping_partnership):
        async for event in time_env.client.get_workflow_handle(workflow_id).fetch_history_events():
            attrs = event.workflow_task_failed_event_attributes
            # UNHANDLED_COMMAND only says a signal came in as the task completed; it is retried at once.
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED and attrs.cause != UNHANDLED:
                failed[workflow_id] = attrs.failure.message
                break
    assert not failed, f"filings accepted {taken}; workflow tasks failed: {failed}"


async def test_every_kind_of_filing_is_good_for_the_one_object_it_names(local_env, partnership, task_queue):
    """Issue 11: each filing names the workflow it acts on (a Partnership, an amendment, an action,
    a consultation, a Forum cycle); presented to a second object of the same kind, it is refused."""
    from tests.conftest import bootstrapped

    year = date.today().year
    first, _ = await open_governed(local_env.client, partnership, year)
    second, second_targets = await open_governed(local_env.client, await bootstrapped(local_env, task_queue), year)
    text_sha = (await partnership.query(PartnershipWorkflow.status)).text_sha256
    for kind, update, model in UPDATES:
        meant_for = second[kind].id
        drawn, _ = drawn_filings(model, {**second_targets, "addressed_to": meant_for}, text_sha, examples=30)
        elsewhere = [f.model_copy(update={"addressed_to": meant_for}) for f, _ in drawn]
        # Kinds whose fields are seldom all drawn valid at once get one plain example too.
        if model is JointActionProposal:
            elsewhere.append(model(filed_by=Identity.UK, addressed_to=meant_for, ref="16b", title="Workshops"))
        if model is GroupLeads:
            elsewhere.append(
                model(
                    filed_by=Identity.UK, addressed_to=meant_for, area="telecoms", lead_uk="J. Doe", lead_rok="K. Lee"
                )
            )
        if model is WindDown:
            elsewhere.append(model(filed_by=Identity.UK, addressed_to=meant_for, actions=[second_targets["action_id"]]))
        assert elsewhere, model.__name__
        before = len((await first[kind].fetch_history()).events)
        for filing in elsewhere[:2]:
            with pytest.raises(WorkflowUpdateFailedError) as caught:
                await first[kind].execute_update(update, signed_by(filing, "own"))
            expected = f"this {model.__name__} is addressed to {meant_for}, not to {first[kind].id}"
            assert caught.value.cause.message.startswith(expected), caught.value.cause.message
        later = (await first[kind].fetch_history()).events[before:]
        assert not [e for e in later if e.event_type in UPDATE_EVENTS]
