"""Joint decisions: a side's filing that waits for the other's, as the CLI tells it (issue 15): the
receipt says for whom it waits and how the other side's terms differ; `show` sets each side's
pending terms side by side."""

from __future__ import annotations

from models.identities import PARTICIPANTS, Identity, other_participant
from models.joint import JointFilings, shown


def awaiting(filed: JointFilings, filer: Identity) -> str:
    """The receipt of a filing that waits: for whom, and how the other side's pending terms differ."""
    other = other_participant(filer)
    differs = f"; {other} filed different terms: {filed.differs}" if filed.differs else ""
    return f"filed; awaiting the same filing from {other}{differs}"


def pending_lines(filed: JointFilings, what: str) -> list[str]:
    """Each side's pending terms of a joint decision, side by side, a field a line."""
    if not filed:
        return []
    sides = [(p, filed.get(p)) for p in PARTICIPANTS]
    fields = dict.fromkeys(k for _, f in sides if f for k in f.terms)
    lines = [f"  pending {what}{' (terms differ)' if filed.differs else ''}:"]
    for field in fields:
        shown_terms = "   ".join(f"{p} {shown(f.terms.get(field)) if f else '—'}" for p, f in sides)
        lines.append(f"    {field:<16} {shown_terms}")
    return lines


def withdrawn(left: JointFilings, filer: Identity) -> str:
    other = other_participant(filer)
    return f"withdrawn; {other}'s filing still awaits yours" if left.get(other) else "withdrawn; nothing is pending"
