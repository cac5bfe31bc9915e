"""Each filer's share of what a workflow may hold (adversarial review 3, F1–F3): the caps on open
consultations and joint actions, and on a consultation's proposals and rounds and a Forum cycle's
agenda items, were shared by all filers, so one Participant alone, filing only valid instruments,
filled them and the other could no longer raise a difference (¶29), propose an action (¶9–27) or
put an item on the agenda (¶7), while it could close none of what filled them."""

from __future__ import annotations

from datetime import date

import pytest

from models.consultation import ConsultationRequest, ConsultationRound, ResolutionProposal
from models.forum import AgendaItemFiling
from models.identities import Identity
from models.joint_action import JointActionProposal
from models.limits import ENTRIES_MAX, OPEN_ACTIONS_MAX, OPEN_CONSULTATIONS_MAX, share_of
from tests.helpers import rejected, signed
from tests.test_forum import start
from tests.test_joint_actions import propose
from workflows.consultation import ConsultationWorkflow
from workflows.forum import ForumCycleWorkflow
from workflows.partnership import PartnershipWorkflow

UK, ROK = Identity.UK, Identity.ROK


async def open_consultation(partnership, by: Identity, summary: str) -> str:
    request = ConsultationRequest(filed_by=by, about="29", summary=summary)
    receipt = await partnership.execute_update(PartnershipWorkflow.open_consultation, signed(request, to=partnership))
    return receipt.consultation_id


@pytest.mark.timeout(150)
async def test_one_participant_opens_its_share_of_consultations_and_the_other_still_opens(partnership):
    share = share_of(OPEN_CONSULTATIONS_MAX)
    for n in range(share):
        await open_consultation(partnership, UK, f"difference {n}")
    refused = await rejected(
        partnership,
        PartnershipWorkflow.open_consultation,
        signed(ConsultationRequest(filed_by=UK, about="29", summary="one more"), to=partnership),
    )
    assert refused == (
        f"UK already has {share} open consultations of its own, its share of the {OPEN_CONSULTATIONS_MAX} "
        "the Partnership may hold (a limit on state size); close one first"
    )
    assert await open_consultation(partnership, ROK, "ROK's own difference")


@pytest.mark.timeout(150)
async def test_one_participant_fills_its_share_of_a_consultation_and_the_other_still_proposes(partnership, local_env):
    consultation = local_env.client.get_workflow_handle(await open_consultation(partnership, ROK, "ROK raises it"))

    def proposal(by: Identity, n: int) -> ResolutionProposal:
        return ResolutionProposal(filed_by=by, consultation_id=consultation.id, resolution=f"{by}'s way {n}")

    def held(by: Identity, n: int) -> ConsultationRound:
        return ConsultationRound(
            filed_by=by, consultation_id=consultation.id, held_on=date.today(), attendees=["A. Smith"], note=f"n{n}"
        )

    share = share_of(ENTRIES_MAX)
    for n in range(share):
        await consultation.execute_update(ConsultationWorkflow.propose, signed(proposal(UK, n)))
        await consultation.execute_update(ConsultationWorkflow.note, signed(held(UK, n)))
    more = await rejected(consultation, ConsultationWorkflow.propose, signed(proposal(UK, 99)))
    assert f"already has {share} proposed resolutions from UK, its share of the {ENTRIES_MAX}" in more
    more = await rejected(consultation, ConsultationWorkflow.note, signed(held(UK, 99)))
    assert f"already has {share} rounds from UK, its share" in more
    await consultation.execute_update(ConsultationWorkflow.propose, signed(proposal(ROK, 1)))
    await consultation.execute_update(ConsultationWorkflow.note, signed(held(ROK, 1)))
    # The secretariat, a consultation's note-taker, has no share of its own: only the whole.
    for n in range(ENTRIES_MAX - share - 1):
        await consultation.execute_update(ConsultationWorkflow.note, signed(held(Identity.SECRETARIAT, n)))


@pytest.mark.timeout(150)
async def test_one_participant_fills_its_share_of_the_agenda_and_the_other_still_adds(partnership, local_env):
    forum = await start(partnership, local_env.client, date.today().year + 1)

    def item(by: Identity, title: str) -> AgendaItemFiling:
        return AgendaItemFiling(filed_by=by, forum_id=forum.id, title=title)

    share = share_of(ENTRIES_MAX)
    for n in range(share):
        await forum.execute_update(ForumCycleWorkflow.add_item, signed(item(UK, f"UK item {n}")))
    more = await rejected(forum, ForumCycleWorkflow.add_item, signed(item(UK, "one more")))
    assert f"already has {share} agenda items from UK, its share of the {ENTRIES_MAX}" in more
    for by in (ROK, Identity.SECRETARIAT):
        await forum.execute_update(ForumCycleWorkflow.add_item, signed(item(by, f"{by}'s item")))


@pytest.mark.timeout(150)
async def test_one_participant_proposes_its_share_of_joint_actions_and_the_other_still_proposes(partnership, local_env):
    share = share_of(OPEN_ACTIONS_MAX)
    for n in range(share):
        await propose(partnership, local_env.client, title=f"UK's action {n}")
    refused = await rejected(
        partnership,
        PartnershipWorkflow.propose_joint_action,
        signed(JointActionProposal(filed_by=UK, ref="9b", title="One more"), to=partnership),
    )
    assert refused.startswith(
        f"UK already has {share} open joint actions of its own, its share of the {OPEN_ACTIONS_MAX}"
    )
    await propose(partnership, local_env.client, title="ROK's action", by=ROK)
