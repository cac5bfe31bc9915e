"""Which agenda item a `forum agenda withdraw` names (cli/withdrawals.py), read from the cycle's view."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from cli.common import Refused
from cli.withdrawals import item_withdrawal_of
from models.forum import AgendaItem, ForumView
from models.identities import Identity


def forum(*items: AgendaItem) -> ForumView:
    return ForumView.model_construct(summary=SimpleNamespace(forum_id="forum-2027"), agenda=list(items))


STANDING = AgendaItem(title="Review of scope, objectives and means", standing=True)
UKS = AgendaItem(title="AI safety", ref="9b", added_by=Identity.UK, filing_id="f-uk")
ROKS = AgendaItem(title="Data flows", ref="7", added_by=Identity.ROK, filing_id="f-rok")


@pytest.mark.timeout(10)
def test_the_filers_own_item_is_named():
    assert item_withdrawal_of(Identity.UK, forum(STANDING, UKS, ROKS), "9b", None).withdraws == "f-uk"


@pytest.mark.timeout(10)
def test_another_sides_item_is_named_and_the_rule_says_whose_it_is():
    assert item_withdrawal_of(Identity.UK, forum(UKS, ROKS), "7", None).withdraws == "f-rok"


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("ref", "title", "says"),
    [
        ("15a", None, "UK added no agenda item with ref 15a to forum-2027 (`forum agenda show` lists them)"),
        (
            None,
            "Secretariat",
            "UK added no agenda item titled “Secretariat” to forum-2027 (`forum agenda show` lists them)",
        ),
        (
            "9b",
            "Other",
            "UK added no agenda item with ref 9b and titled “Other” to forum-2027 (`forum agenda show` lists them)",
        ),
    ],
)
def test_an_item_that_is_not_there_is_refused_before_sending_naming_what_was_asked(ref, title, says):
    """F17: it used to send a withdrawal of filing "none", refused as "added by filing none"."""
    with pytest.raises(Refused) as refused:
        item_withdrawal_of(Identity.UK, forum(STANDING, UKS, ROKS), ref, title)
    assert str(refused.value) == says
