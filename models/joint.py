"""Joint decisions (¶28, ¶32, ¶7 working level, ¶9–27 lifecycles): each Participant files its
terms; the decision is taken when both have filed the same terms. No vote, no casting voice."""

from __future__ import annotations

from models.identities import PARTICIPANTS, Identity


def file_jointly(filed: dict[Identity, str], by: Identity, terms: str) -> bool:
    """Record `by`'s terms; True when both Participants now stand on the same terms."""
    filed[by] = terms
    return all(filed.get(p) == terms for p in PARTICIPANTS)


def already_filed_problem(filed: dict[Identity, str], by: Identity, terms: str, what: str) -> str | None:
    """A Participant files its side of a joint decision once; the other side completes it."""
    if filed.get(by) == terms:
        others = [p for p in PARTICIPANTS if p is not by]
        return f"{by} has already filed {what}; it awaits the matching filing of {others[0]}"
    return None
