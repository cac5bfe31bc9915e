"""¶7, who may co-chair: a Vice Minister of MSIT and a Ministerial counterpart at DSIT, each named
by ministry and rank, with a title that does not contradict them (rules/p07_co_chairs.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models.forum import CoChairNomination, Ministry, Rank
from models.identities import Identity
from rules.p07_co_chairs import co_chair_problem, default_rank
from tests.helpers import nomination

UK, ROK = Identity.UK, Identity.ROK


def problem(side: Identity, title: str, **fields) -> str | None:
    return co_chair_problem(nomination(side, "A. Name", title, **fields))


@pytest.mark.parametrize(
    ("side", "rank", "title"),
    [
        (ROK, Rank.FIRST_VICE_MINISTER, "First Vice Minister of Science and ICT"),
        (ROK, Rank.SECOND_VICE_MINISTER, "2nd Vice-Minister of Science and ICT"),
        (ROK, Rank.SECOND_VICE_MINISTER, "Vice Minister"),
        (UK, Rank.SECRETARY_OF_STATE, "Secretary of State for Science, Innovation and Technology"),
        (UK, Rank.MINISTER_OF_STATE, "Minister of State for Data Protection and Telecoms"),
        (UK, Rank.PARLIAMENTARY_UNDER_SECRETARY_OF_STATE, "Parliamentary Under-Secretary of State for AI"),
        (UK, Rank.PARLIAMENTARY_UNDER_SECRETARY_OF_STATE, "Minister for AI and Digital Government"),
    ],
)
def test_each_ministerial_rank_of_its_side_is_accepted(side: Identity, rank: Rank, title: str):
    assert problem(side, title, rank=rank) is None


@pytest.mark.parametrize(
    ("side", "title", "says"),
    [
        # the examples: another ministry's portfolio, or not the office-holder
        (ROK, "Vice Minister of Trade, Industry and Energy", "names another ministry ('trade')"),
        (UK, "Shadow Secretary of State for Science", "says its holder does not hold the office ('shadow')"),
        (UK, "Minister of State for Trade Policy", "names another ministry ('trade')"),
        (UK, "Foreign Secretary", "names another ministry ('foreign')"),
        (ROK, "Vice Minister of Science, Innovation and Technology", "names another ministry"),
        (UK, "Former Minister for AI", "('former')"),
        (UK, "Acting for the Secretary of State", "('acting for')"),
        (UK, "Special Adviser to the Secretary of State", "('adviser')"),
        (UK, "Private Secretary to the Minister for AI", "('private secretary')"),
        (ROK, "Deputy to the Second Vice Minister", "('deputy to')"),
        # civil-service ranks in the title
        (UK, "Permanent Secretary", "names a civil-service rank ('permanent secretary')"),
        (UK, "Permanent Under-Secretary of State", "names a civil-service rank ('permanent under secretary')"),
        # a title naming another rank than the one given
        (ROK, "Minister of Science and ICT", "names a Minister, but the rank given is first-vice-minister"),
        (UK, "Vice Minister", "names a Vice Minister, but the rank given is secretary-of-state"),
    ],
)
def test_a_title_that_contradicts_the_office_is_refused_in_one_line(side: Identity, title: str, says: str):
    rank = Rank.SECRETARY_OF_STATE if title == "Vice Minister" else None
    message = problem(side, title, **({"rank": rank} if rank else {}))
    assert message is not None and message.startswith(f"¶7: the title {title!r}") and says in message
    assert "\n" not in message


def test_the_ministry_is_the_sides_own():
    assert problem(ROK, "Vice Minister", ministry=Ministry.DSIT) == (
        "¶7: the ROK co-chair is of the Ministry of Science and ICT (--ministry MSIT), not DSIT"
    )
    assert problem(UK, "Minister for AI", ministry=Ministry.MSIT) == (
        "¶7: the UK co-chair is of the Department for Science, Innovation and Technology (--ministry DSIT), not MSIT"
    )


def test_the_rank_is_the_sides_own():
    assert problem(ROK, "Vice Minister", rank=Rank.MINISTER_OF_STATE) == (
        "¶7: the ROK co-chair is a Vice Minister of the Ministry of Science and ICT "
        "(--rank first-vice-minister or second-vice-minister), not minister-of-state"
    )
    assert problem(UK, "Minister for AI", rank=Rank.SECOND_VICE_MINISTER) == (
        "¶7: the UK co-chair is a Ministerial counterpart at the Department for Science, Innovation and Technology "
        "(--rank secretary-of-state, minister-of-state or parliamentary-under-secretary-of-state), "
        "not second-vice-minister"
    )


def test_a_civil_service_rank_cannot_be_named_at_all():
    with pytest.raises(ValidationError, match="rank"):
        CoChairNomination(filed_by=UK, name="A", ministry="DSIT", rank="permanent-secretary", title="PS")
    with pytest.raises(ValidationError, match="ministry"):
        CoChairNomination(filed_by=ROK, name="A", ministry="MOTIE", rank="first-vice-minister", title="Vice Minister")


def test_a_blank_title_is_refused():
    assert problem(UK, "  ") == "¶7: give the co-chair's title (--title)"


def test_without_a_rank_the_title_s_or_the_sides_usual_one():
    assert default_rank(ROK, "Second Vice Minister of Science and ICT") is Rank.SECOND_VICE_MINISTER
    assert default_rank(ROK, "Vice Minister") is Rank.FIRST_VICE_MINISTER
    assert default_rank(UK, "Secretary of State for Science, Innovation and Technology") is Rank.SECRETARY_OF_STATE
    assert default_rank(UK, "Parliamentary Under-Secretary of State") is Rank.PARLIAMENTARY_UNDER_SECRETARY_OF_STATE
    assert default_rank(UK, "Minister for AI") is Rank.MINISTER_OF_STATE
