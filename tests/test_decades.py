"""Issue 12, bounded state over decades: whatever the years bring, the Partnership's carried state
stays under STATE_BUDGET. A closed amendment, joint action, consultation or Forum cycle is filed in
the register and left out at continue-as-new (the reads find it there); what is open is capped by
decided rules; an amendment's wording lives in the register's text store by SHA-256; and the
filings it remembers are those the current keys signed, at most FILINGS_PER_KEY each."""

from __future__ import annotations

from datetime import UTC, date, datetime

from temporalio.contrib.pydantic import pydantic_data_converter

from activities.register import closed_entries, register_engine
from cli.register_reads import stored_text
from models.amendment import (
    AmendmentConsent,
    AmendmentProposal,
    AmendmentStatus,
    AmendmentSummary,
    AmendmentWithdrawal,
    CatalogueChange,
    text_sha256,
)
from models.checkpoint import Checkpoint, CheckpointStatus
from models.consultation import ConsultationRequest, ConsultationState, ConsultationSummary
from models.forum import ForumStage, ForumSummary
from models.identities import FILERS, PARTICIPANTS, Identity
from models.joint import PendingFiling
from models.joint_action import DECIDED_MAX, ActionState, ActionSummary, Progress, WindDown
from models.keyring import KEYS_KEPT, KeyChange, KeyRevocation, KeyRing, KeyRotation
from models.limits import (
    AREAS_ADDED_MAX,
    CATALOGUE_CHANGES_MAX,
    CLOSED_IDS_KEPT,
    ENTRIES_MAX,
    FILING_ID_MAX,
    FILINGS_PER_KEY,
    FIRST_DAY,
    ID_MAX,
    LAST_DAY,
    LINE_MAX,
    LIST_MAX,
    NAME_MAX,
    OPEN_ACTIONS_MAX,
    OPEN_AMENDMENTS_MAX,
    OPEN_CONSULTATIONS_MAX,
    OPEN_FORUMS_MAX,
    STATE_BUDGET,
    TAKEN_KEPT,
    TEXT_MAX,
    carried,
    shortened,
)
from models.partnership import PartnershipState, Stage, Termination, id_digest, seen_mark
from models.records import RefusedMessage, RefusedMessages
from models.working_group import GroupLeads, WorkingGroup
from rules.common import filings_per_key_problem
from rules.p09_27_joint_actions import open_actions_problem
from tests.helpers import effects_done, signed, signed_partnership
from tests.test_bounded_state import fill, payload_bytes
from workflows.partnership import PartnershipWorkflow

NOW = datetime(2066, 11, 1, tzinfo=UTC)  # some forty Forum years on
SIG = "A" * 86 + "=="


def an_id(n: int, prefix: str = "x") -> str:
    return f"{prefix}-{n}".ljust(ID_MAX, "x")


def filing_fields(by: Identity) -> dict:
    return {"filed_by": by, "filing_id": "f" * FILING_ID_MAX, "addressed_to": "p" * ID_MAX, "signature": SIG}


def full_key_ring(keys: dict) -> KeyRing:
    """KEYS_KEPT keys of each identity, each brought in by an instrument as large as they come."""
    ring = KeyRing.model_validate(keys)
    entries = []
    for entry in ring.entries:
        rotation = KeyRotation(
            **filing_fields(entry.identity),
            old_fingerprint="0" * 16,
            new_key=entry.public_key,
            new_key_signature=SIG,
        )
        revocation = KeyRevocation(
            **filing_fields(Identity.UK),
            revoked=entry.identity,
            revoked_fingerprint="0" * 16,
            new_key=entry.public_key,
            possession=SIG,
        )
        change = KeyChange(rotation=rotation, revocations=[revocation, revocation])
        entries += [entry.model_copy(update={"change": change}) for _ in range(KEYS_KEPT - 1)] + [entry]
    return KeyRing(entries=entries)


def forty_years_on(keys: dict) -> PartnershipState:
    """A Partnership as the validators and the decided caps let it be after decades: everything
    it may hold open, held, each field at its limit, and as many more shown closed as may be
    carried (forged roll-ups among them: models/limits.carried), awaiting Temporal's word at the
    next continue-as-new."""
    ring = full_key_ring(keys)
    change = CatalogueChange(action="add-commitment", ref="r" * 64, title=fill(LINE_MAX), area="a" * 64)
    amendments = {
        an_id(n, "amendment"): AmendmentSummary(
            amendment_id=an_id(n, "amendment"),
            proposed_by=Identity.UK,
            paragraphs=list(range(1, LIST_MAX + 1)),
            summary=fill(LINE_MAX),
            text_sha256="0" * 64,
            status=AmendmentStatus.CONSENTED,
            proposed_at=NOW,
            respond_by=date(2067, 1, 1),
            effective_on=date(2067, 1, 1),
        )
        for n in range(carried(OPEN_AMENDMENTS_MAX))
    }
    actions = {
        an_id(n, "action"): ActionSummary(
            action_id=an_id(n, "action"),
            ref="r" * 64,
            area="a" * 64,
            pillar=4,
            title=fill(LINE_MAX),
            state=ActionState.ACTIVE,
            proposed_by=Identity.ROK,
            percent=100,
            progress=list(Progress)[0],
            last_report_at=NOW,
            cost_arrangement=shortened(fill(TEXT_MAX)),  # what the Partnership keeps of it
            continues_after_termination=True,
            seq=10**6,
        )
        for n in range(carried(OPEN_ACTIONS_MAX))
    }
    consultations = {
        an_id(n, "consultation"): ConsultationSummary(
            consultation_id=an_id(n, "consultation"),
            about="x" * ID_MAX,
            summary=fill(LINE_MAX),
            opened_by=Identity.UK,
            opened_at=NOW,
            state=ConsultationState.OPEN,
            rounds=ENTRIES_MAX,
            proposals=ENTRIES_MAX,
            seq=10**6,
        )
        for n in range(carried(OPEN_CONSULTATIONS_MAX))
    }
    # A cycle a year, each left open (never met, never minuted) until the cap stops the next.
    years = range(FIRST_DAY.year, LAST_DAY.year + 1)
    forums = {
        an_id(y, "forum"): ForumSummary(
            forum_id=an_id(y, "forum"),
            year=y,
            on=date(y, 11, 22),
            venue=fill(LINE_MAX),
            host=Identity.ROK,
            stage=ForumStage.CONVENED,
            overdue=True,
            seq=10**6,
            started_at=NOW,
        )
        for y in years[-carried(OPEN_FORUMS_MAX) :]
    }
    notice = Termination(
        given_by=Identity.UK,
        recipient=Identity.ROK,
        filing_id="f" * FILING_ID_MAX,
        received_at=NOW,
        effective_on=date(2067, 6, 1),
        effective_at=NOW,
        reminders_sent=["six months", "one month", "one week", "one day"],
    )
    leads = GroupLeads(**filing_fields(Identity.UK), area="a" * 64, lead_uk=fill(NAME_MAX), lead_rok=fill(NAME_MAX))
    groups = {
        f"area-{n}": WorkingGroup(
            area="a" * 64,
            name=fill(LINE_MAX),
            pillar=1,
            lead_uk=fill(NAME_MAX),
            lead_rok=fill(NAME_MAX),
            pending={p: PendingFiling(filing_id="f" * FILING_ID_MAX, terms=leads.terms()) for p in PARTICIPANTS},
            instruments={p: leads.model_copy(update={"filed_by": p}) for p in PARTICIPANTS},
            decided_by=["f" * FILING_ID_MAX] * DECIDED_MAX,
        )
        for n in range(11 + AREAS_ADDED_MAX)
    }
    wind_down = WindDown(**filing_fields(Identity.UK), reason=fill(LINE_MAX), actions=[an_id(0)] * LIST_MAX)
    revocation = KeyRevocation(
        **filing_fields(Identity.UK),
        revoked=Identity.SECRETARIAT,
        revoked_fingerprint="0" * 16,
        new_key=ring.entries[0].public_key,
        possession=SIG,
    )
    checkpoint = Checkpoint(
        rows=10**12, head_hash="0" * 64, filings={p: "f" * FILING_ID_MAX for p in FILERS}, filed_at=NOW
    )
    fingerprints = ring.fingerprints()
    state = PartnershipState(
        keys=ring,
        text_sha256="0" * 64,
        stage=Stage.TERMINATION_PENDING,
        in_effect_since=date(2023, 11, 22),
        version=10**6,
        notices={Identity.UK: notice, Identity.ROK: notice.model_copy(update={"given_by": Identity.ROK})},
        amendments=amendments,
        amendments_proposed=10**6,
        catalogue_changes=[change] * CATALOGUE_CHANGES_MAX,
        working_groups=groups,
        actions=actions,
        consultations=consultations,
        consultations_opened=10**6,
        wind_down_filings={
            p: PendingFiling(filing_id="f" * FILING_ID_MAX, terms={"actions": ",".join([an_id(0)] * LIST_MAX)})
            for p in PARTICIPANTS
        },
        wind_down_instruments={Identity.UK: wind_down, Identity.ROK: wind_down},
        forum_month=11,
        forum_day=22,
        forums=forums,
        forum_years=list(years),
        closed_ids=[id_digest(str(n)) for n in range(CLOSED_IDS_KEPT)],
        taken=[id_digest(str(n)) for n in range(TAKEN_KEPT)],
        seen_filings=[
            seen_mark(str(n), fingerprints[identity]) for identity in fingerprints for n in range(FILINGS_PER_KEY)
        ],
        refused=RefusedMessages(
            count=10**9,
            latest=[RefusedMessage(signal="x" * 40, received_at=NOW, reason=fill(LINE_MAX))] * ENTRIES_MAX,
        ),
        key_revocations={Identity.UK: revocation, Identity.ROK: revocation},
        checkpoints=CheckpointStatus(latest=checkpoint, pending=checkpoint),
    )
    return state


def test_the_partnership_filled_to_every_cap_after_decades_stays_within_budget(keys):
    state = forty_years_on(keys)
    size = payload_bytes(state)
    assert size < STATE_BUDGET, f"{size:,} bytes carried"


def test_a_kind_carried_to_its_limit_with_one_shown_closed_makes_continuing_as_new_due(keys):
    """Review 5: closed things leave the carried state only as the Partnership continues as new, and
    a quiet Partnership is seldom told to; six closed Forum cycles then refused the seventh. Once a
    kind carries all it may, continuing as new is due, unless Temporal already said that each one
    shown closed still runs (asking again would loop)."""
    from workflows.bounded import BoundedState

    state = forty_years_on(keys)
    holder = BoundedState()
    holder._state = state
    assert not holder._carrying_all_it_may()  # full, but nothing shown closed: nothing would leave
    forum = next(iter(state.forums.values()))
    forum.stage = ForumStage.CLOSED
    assert holder._carrying_all_it_may()
    state.still_running = [id_digest(forum.forum_id)]
    assert not holder._carrying_all_it_may()


def test_actions_shown_closed_count_until_temporal_says_they_closed(keys):
    """F6 of the second adversarial review: a forged roll-up shows an action closed while its
    workflow runs on, so it stays in the carried state; proposing and forging closes over and over
    grew the state without bound, the open count never reaching its cap."""
    state = forty_years_on(keys)
    actions = list(state.actions.values())
    for action in actions[: len(actions) - OPEN_ACTIONS_MAX + 1]:
        action.state = ActionState.COMPLETED  # as a roll-up, forged or not, would show it
    assert sum(a.state.is_open for a in actions) == OPEN_ACTIONS_MAX - 1
    problem = open_actions_problem(state, Identity.SECRETARIAT)  # a Forum launch: no share of its own
    assert problem is not None and f"carries {carried(OPEN_ACTIONS_MAX)} joint actions" in problem
    del state.actions[actions[0].action_id]  # Temporal said it closed: gone at the next continue-as-new
    assert open_actions_problem(state, Identity.SECRETARIAT) is None
    # Each cap is where a filing is refused; each key's count of remembered filings is where a
    # key must be rotated before it signs more (a rotation is still taken).
    key = state.keys.current(Identity.UK)
    filed = sum(s.endswith("@" + key.fingerprint) for s in state.seen_filings)
    assert filings_per_key_problem(
        AmendmentProposal(filed_by=Identity.UK, paragraphs=[7], text="x"), key.fingerprint, filed
    )
    rotation = KeyRotation(filed_by=Identity.UK, old_fingerprint="0" * 16, new_key=key.public_key)
    assert filings_per_key_problem(rotation, key.fingerprint, filed) is None


def test_what_a_run_carries_on_is_what_is_open(keys):
    """Left in by the run, closed things would grow the state by each year's amendments, actions,
    consultations and cycles; `_open_only` leaves them out and keeps a digest of their ids."""
    from workflows.bounded import BoundedState, still_open

    state = forty_years_on(keys)
    for n, amendment in enumerate(list(state.amendments.values())[:5]):
        amendment.status = [AmendmentStatus.IN_EFFECT, AmendmentStatus.WITHDRAWN][n % 2]
    for action in list(state.actions.values())[:7]:
        action.state = ActionState.COMPLETED
    for consultation in list(state.consultations.values())[:3]:
        consultation.state = ConsultationState.RESOLVED
    for forum in list(state.forums.values())[:2]:
        forum.stage = ForumStage.CLOSED
    # Temporal said each closed one has closed (workflows/bounded._before_continuing), all but one
    # action: shown closed by its roll-up but still running, it stays.
    kinds = (state.amendments, state.actions, state.consultations, state.forums)
    shown_closed = [t for things in kinds for t, summary in things.items() if not still_open(summary)]
    still_running = next(t for t in shown_closed if t in state.actions)
    replaced = seen_mark("signed-by-a-replaced-key", "f" * 16)
    state.seen_filings += [replaced, "an-id-accepted-before-marks"]
    holder = BoundedState()
    holder._state = state
    holder._checks = {t: t != still_running for t in shown_closed}
    kept = holder._open_only()
    assert (len(kept.amendments), len(kept.actions), len(kept.consultations), len(kept.forums)) == (
        carried(OPEN_AMENDMENTS_MAX) - 5,
        carried(OPEN_ACTIONS_MAX) - 6,  # the one still running stays
        carried(OPEN_CONSULTATIONS_MAX) - 3,
        carried(OPEN_FORUMS_MAX) - 2,
    )
    assert len(kept.closed_ids) == CLOSED_IDS_KEPT  # the oldest digests made room
    assert still_running in kept.actions
    assert kept.closed(an_id(1, "action")) and not kept.closed(an_id(8, "action"))
    assert len(kept.forum_years) == LAST_DAY.year - FIRST_DAY.year + 1  # one cycle a year, still
    # A paper signed by a key no longer current no longer verifies: its mark is not kept on.
    assert replaced not in kept.seen_filings and "an-id-accepted-before-marks" in kept.seen_filings
    assert len(kept.seen_filings) == FILINGS_PER_KEY * len(kept.keys.fingerprints()) + 1


async def test_decades_of_closed_amendments_and_consultations_leave_the_carried_state(
    local_env, local_worker, keys, task_queue
):
    """Year after year an amendment is proposed (every fifth comes into force, the others are
    withdrawn) and a consultation opened and resolved; the Partnership continues as new often.
    What it carries on holds none of the closed ones; the register holds them all, with the
    wording of each amendment in force; and the reads still answer."""
    from models.consultation import ResolutionAcceptance, ResolutionProposal
    from workflows.consultation import ConsultationWorkflow

    handle, first_run = await signed_partnership(local_env.client, task_queue, keys, continue_as_new_at_length=80)
    client = local_env.client
    years = 10
    in_force: list[str] = []
    wording: dict[str, str] = {}
    for year in range(years):
        text = f"Amended wording of year {year}.\n" * 3
        proposer, responder = (Identity.UK, Identity.ROK) if year % 2 else (Identity.ROK, Identity.UK)
        receipt = await handle.execute_update(
            PartnershipWorkflow.propose_amendment,
            signed(AmendmentProposal(filed_by=proposer, paragraphs=[7], text=text, summary=f"y{year}"), to=handle),
        )
        ident = receipt.amendment_id
        wording[ident] = text
        amendment = client.get_workflow_handle(ident)
        if year % 5 == 0:
            await amendment.execute_update(
                "consent", signed(AmendmentConsent(filed_by=responder, amendment_id=ident), to=ident)
            )
            in_force.append(ident)
        else:
            await amendment.execute_update(
                "withdraw", signed(AmendmentWithdrawal(filed_by=proposer, amendment_id=ident), to=ident)
            )
        opened = await handle.execute_update(
            PartnershipWorkflow.open_consultation,
            signed(ConsultationRequest(filed_by=proposer, about="29", summary=f"Difference {year}"), to=handle),
        )
        consultation = client.get_workflow_handle(opened.consultation_id)
        await consultation.execute_update(
            ConsultationWorkflow.propose,
            signed(
                ResolutionProposal(filed_by=proposer, consultation_id=consultation.id, resolution="Agreed."),
                to=consultation,
            ),
        )
        await consultation.execute_update(
            ConsultationWorkflow.accept,
            signed(
                ResolutionAcceptance(filed_by=responder, consultation_id=consultation.id, proposal=1), to=consultation
            ),
        )
        await effects_done(consultation, ConsultationWorkflow.pending_effects)
    latest = client.get_workflow_handle(handle.id)

    async def settled() -> bool:
        await effects_done(latest, PartnershipWorkflow.pending_effects, timeout=60)
        status = await latest.query(PartnershipWorkflow.status)
        return status.version == 1 + len(in_force) and not status.open_consultations

    from tests.helpers import eventually

    await eventually(settled, timeout=90)
    # Go on filing until the Partnership continues as new once more, now that all of them closed.
    settled_run = (await latest.describe()).run_id
    opened = 0
    while (await latest.describe()).run_id == settled_run:
        assert opened < 15, "the Partnership did not continue as new"
        opened += 1
        await latest.execute_update(
            PartnershipWorkflow.open_consultation,
            signed(ConsultationRequest(filed_by=Identity.UK, about="28", summary=f"Open {opened}"), to=latest),
        )
        await effects_done(latest, PartnershipWorkflow.pending_effects, timeout=60)

    from tests.replay_all import histories_reached_from

    runs = [h for h in await histories_reached_from(client, [(handle.id, first_run)]) if h.workflow_id == handle.id]
    assert len(runs) > 3, f"the Partnership ran {len(runs)} times: too few continuations to test what each carries"
    # What the latest run started with: the state the last continue-as-new carried on.
    history = await latest.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.continued_execution_run_id, "the Partnership continued as new"
    [payload] = started.input.payloads
    carried = pydantic_data_converter.payload_converter.from_payload(payload, PartnershipState)
    assert payload.ByteSize() < STATE_BUDGET
    assert all(a.status.is_open for a in carried.amendments.values())
    assert all(c.state is ConsultationState.OPEN for c in carried.consultations.values())
    assert carried.amendments_proposed == years and carried.version == 1 + len(in_force)
    assert carried.amendments == {} and len(carried.consultations) <= opened, "closed ones were left out"

    # The register has every closed one; the reads still answer.
    engine = register_engine()
    closed_amendments = {a["amendment_id"]: a for a in closed_entries(engine, handle.id, "amendment")}
    assert set(closed_amendments) == set(wording)
    assert sorted(i for i, a in closed_amendments.items() if a["status"] == "IN_EFFECT") == sorted(in_force)
    assert len(closed_entries(engine, handle.id, "consultation")) == years
    for ident in in_force:
        assert stored_text(text_sha256(wording[ident])) == wording[ident]  # `partnership text` reads this
    status = await latest.query(PartnershipWorkflow.status)
    assert status.state is Stage.IN_EFFECT and len(status.open_consultations) == opened
    assert await latest.query(PartnershipWorkflow.amendments) == [] or all(
        a.status.is_open for a in await latest.query(PartnershipWorkflow.amendments)
    )
    # A new proposal still gets the next number (ids are never given out twice).
    receipt = await latest.execute_update(
        PartnershipWorkflow.propose_amendment,
        signed(AmendmentProposal(filed_by=Identity.UK, paragraphs=[7], text="Later."), to=latest),
    )
    assert receipt.amendment_id.endswith(f"-amendment-{years + 1}")


def test_the_register_keeps_texts_and_closed_things_once(data_dir):
    """Both activities are safe to retry: the same text is stored once under its SHA-256 (and a
    text is never stored under another's), and a closed thing filed again replaces its row."""
    import pytest
    from temporalio.exceptions import ApplicationError

    from activities.register import file_closed, store_text, stored_text
    from models.records import ClosedEntry, StoredText

    wording = "한" * 1000
    for _ in range(2):
        store_text(StoredText(sha256=text_sha256(wording), text=wording))
    assert stored_text(register_engine(), text_sha256(wording)) == wording
    with pytest.raises(ApplicationError):
        store_text(StoredText(sha256=text_sha256("other"), text=wording))
    for status in ("WITHDRAWN", "IN_EFFECT"):
        file_closed(ClosedEntry(entry_id="p-amendment-1", kind="amendment", partnership_id="p", summary={"s": status}))
    assert closed_entries(register_engine(), "p", "amendment") == [{"s": "IN_EFFECT"}]


async def test_the_cli_lists_what_closed_from_the_register_before_what_is_carried(data_dir, monkeypatch):
    """`amendment list` (and the other lists, `status`, `text`) after a continue-as-new: the closed
    ones from the register, in their order, then what the Partnership answers; one both know is
    shown as the Partnership has it."""
    import cli.common
    from activities.register import file_closed
    from models.records import ClosedEntry

    def summary(n: int, status: AmendmentStatus) -> AmendmentSummary:
        return AmendmentSummary(
            amendment_id=f"partnership-amendment-{n}",
            proposed_by=Identity.UK,
            paragraphs=[7],
            summary=f"a{n}",
            status=status,
            proposed_at=NOW,
            respond_by=date(2067, 1, 1),
        )

    for n in (10, 2, 11):
        closed = summary(n, AmendmentStatus.WITHDRAWN).model_dump(mode="json")
        file_closed(
            ClosedEntry(entry_id=closed["amendment_id"], kind="amendment", partnership_id="partnership", summary=closed)
        )
    carried = [summary(11, AmendmentStatus.IN_EFFECT), summary(12, AmendmentStatus.PROPOSED)]

    async def ask(query):
        return carried

    monkeypatch.setattr(cli.common, "ask", ask)
    listed = await cli.common.with_closed(PartnershipWorkflow.amendments, "amendment", AmendmentSummary, "amendment_id")
    assert [(a.amendment_id.rsplit("-", 1)[1], a.status.value) for a in listed] == [
        ("2", "WITHDRAWN"),
        ("10", "WITHDRAWN"),
        ("11", "IN_EFFECT"),
        ("12", "PROPOSED"),
    ]
