"""Every field a filer sends has a length and character limit (models/limits.py): a filing over one
is refused in one line naming the field and the limit, by the CLI before signing and by the
workflow for a payload sent directly."""

from __future__ import annotations

import sys
import types
import typing
import unicodedata

import pytest
from pydantic import ValidationError
from temporalio.client import WorkflowUpdateFailedError

from cli.common import explain
from models.amendment import AmendmentProposal
from models.forum import ForumConvocation
from models.identities import Identity
from models.limits import CONTROL, LONG_TEXT_MAX, control_characters, control_free
from tests.helpers import effects_done, history_length, signed
from tests.test_fuzz_filings import UPDATES, limits
from workflows.partnership import PartnershipWorkflow

MODELS = sorted({model for _, _, model in UPDATES}, key=lambda m: m.__name__)


def text_fields(model) -> list[tuple[str, int | None, str | None]]:
    """(name, max length, pattern) of each str field, in lists too."""
    found = []
    for name, hint in typing.get_type_hints(model, include_extras=True).items():
        if name not in model.model_fields:
            continue
        union = typing.get_origin(hint) in (typing.Union, types.UnionType)
        for arg in typing.get_args(hint) if union else [hint]:
            inner = typing.get_args(arg)[0] if typing.get_origin(arg) is list else arg
            if typing.get_origin(inner) is typing.Annotated and typing.get_args(inner)[0] is str:
                most, pattern, _, _ = limits(typing.get_args(inner)[1:])
                found.append((name, most, pattern))
            elif inner is str:
                found.append((name, None, None))
    return found


def minimal(model) -> dict:
    """The fields a model requires, with values it accepts."""
    base = {
        "filed_by": Identity.UK,
        "text_sha256": "0" * 64,
        "paragraphs": [7],
        "year": 2030,
        "held_on": "2030-01-01",
        "to": "2030-01-01",
        "percent": 5,
        "status": "on-track",
        "outcome": "complete",
        "proposal": 1,
        "decision": 1,
        "signed_on": "2023-11-22",
        "attendees": ["A. Person"],
        "agenda_sha256": "0" * 64,
        "minutes_sha256": "0" * 64,
        "actions": ["action-9b-x"],
        "revoked": Identity.ROK,
        "revoked_fingerprint": "0" * 16,
        "old_fingerprint": "0" * 16,
        "new_key": "A" * 43 + "=",
        "possession": "A" * 86 + "==",
        "ministry": "MSIT",
        "rank": "first-vice-minister",
        "JointWithdrawal.decision": "group-leads",  # beside DecisionAgreement's decision number
    }
    values = {}
    for name, field in model.model_fields.items():
        if field.is_required():
            values[name] = base.get(f"{model.__name__}.{name}", base.get(name, "x1"))
    return values


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_text_field_has_a_length_and_character_limit(model):
    for name, most, pattern in text_fields(model):
        assert most or pattern, f"{model.__name__}.{name} has no limit"
        listed = typing.get_origin(model.model_fields[name].annotation) is list
        for bad, says in [("x" * (most or 200) + "x", str(most or "")), ("a\r\nBcc: x", "")]:
            value = [bad] if listed else bad
            with pytest.raises(ValidationError) as caught:
                model(**minimal(model) | {name: value})
            message = explain(caught.value)
            assert "\n" not in message and message.startswith(f"refused before signing: {name}"), message
            assert says in message, message


def test_multi_line_text_keeps_newlines_and_tabs_only():
    assert control_characters("one\ntwo\tthree", allowed="\n\t") == []
    found = control_characters("bell\x07 esc\x1b cr\r nel\x85 ls\u2028", allowed="\n\t")
    assert set(found) == {"\\r", "\\x07", "\\x1b", "\\x85", "\\u2028"}
    refused = pytest.raises(ValidationError, AmendmentProposal, filed_by=Identity.UK, paragraphs=[7], text="a\rb")
    assert "control characters (found \\r)" in explain(refused.value)


def test_the_control_characters_are_unicodes_categories_cc_zl_and_zp():
    """models.limits.CONTROL names them by range; this Python's Unicode database agrees."""
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    by_category = {ch for ch in every if unicodedata.category(ch) in ("Cc", "Zl", "Zp")}
    assert set(CONTROL.findall(every)) == by_category
    assert control_free("a\x1bb\tc\u2028", keep="\t") == "a\\x1bb\tc\\u2028"


def test_a_name_is_never_blank():
    """A co-chair, a lead or an attendee is someone: a blank name is refused before signing."""
    from models.forum import CoChairNomination
    from models.joint_action import JointActionProposal

    for blank in ("", "   "):
        refused = pytest.raises(
            ValidationError, JointActionProposal, filed_by=Identity.UK, ref="20a", title="Leads", lead_rok=blank
        )
        assert explain(refused.value) == "refused before signing: lead_rok: must name someone (it is blank)"
        refused = pytest.raises(ValidationError, CoChairNomination, filed_by=Identity.UK, name=blank, title="Minister")
        assert explain(refused.value) == "refused before signing: name: must name someone (it is blank)"
    assert JointActionProposal(filed_by=Identity.UK, ref="20a", title="Leads", lead_rok=None).lead_rok is None


async def test_a_payload_over_a_limit_sent_directly_is_rejected_and_leaves_no_trace(partnership):
    """A client that skips the models' checks (model_construct) still cannot get it accepted: the
    workflow cannot decode it, so the Update is rejected before any event is written."""
    huge = AmendmentProposal.model_construct(
        filed_by=Identity.UK, paragraphs=[7], text="x" * (LONG_TEXT_MAX + 1), summary="", catalogue_changes=[]
    )
    escape = ForumConvocation.model_construct(filed_by=Identity.SECRETARIAT, year=2090, venue="\x1b[2J", host=None)
    for update, filing, says in [
        (PartnershipWorkflow.propose_amendment, huge, str(LONG_TEXT_MAX)),
        (PartnershipWorkflow.start_forum, escape, "control characters"),
    ]:
        await effects_done(partnership, PartnershipWorkflow.pending_effects)
        before = await history_length(partnership)
        with pytest.raises(WorkflowUpdateFailedError) as caught:
            await partnership.execute_update(update, signed(filing, to=partnership))
        assert says in str(caught.value.cause.cause)
        assert await history_length(partnership) == before


def test_a_list_of_attendees_names_each_once():
    """Walk-through F4's kin: a person listed twice (case and spacing aside) is a slip, refused in
    one line before signing, for a consultation round and a Forum's convening alike."""
    from datetime import date

    from models.consultation import ConsultationRound
    from models.forum import Convening

    twice = ["A Smith", "B Kim", "a  smith"]
    with pytest.raises(ValidationError) as round_:
        ConsultationRound(
            filed_by=Identity.SECRETARIAT, consultation_id="c-1", held_on=date(2027, 1, 4), attendees=twice, note="Met."
        )
    assert explain(round_.value) == "refused before signing: attendees: 'a  smith' named twice; name each once"
    with pytest.raises(ValidationError) as convening:
        Convening(filed_by=Identity.SECRETARIAT, forum_id="forum-2027", attendees=twice)
    assert explain(convening.value) == explain(round_.value)
    assert Convening(filed_by=Identity.SECRETARIAT, forum_id="forum-2027", attendees=twice[:2]).attendees == twice[:2]
