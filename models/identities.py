"""Who acts under the Partnership: the two Participants, and two roles that act for neither."""

from __future__ import annotations

from enum import StrEnum


class Identity(StrEnum):
    UK = "UK"
    ROK = "ROK"
    SECRETARIAT = "SECRETARIAT"
    AUDITOR = "AUDITOR"

    @property
    def is_participant(self) -> bool:
        return self in PARTICIPANTS

    @property
    def title(self) -> str:
        return TITLES[self]


#: The Participants named in the preamble; order is the order of signature blocks.
PARTICIPANTS: tuple[Identity, ...] = (Identity.UK, Identity.ROK)

#: Identities that file signed instruments (auditors only read).
FILERS: tuple[Identity, ...] = (Identity.UK, Identity.ROK, Identity.SECRETARIAT)


class Ministry(StrEnum):
    """The Participants' ministries, as the preamble and ¶7 name them (a co-chair's nomination
    names its co-chair's in full)."""

    MSIT = "MSIT"
    DSIT = "DSIT"

    @property
    def full_name(self) -> str:
        return MINISTRIES[self]


MINISTRIES: dict[Ministry, str] = {
    Ministry.MSIT: "Ministry of Science and ICT",
    Ministry.DSIT: "Department for Science, Innovation and Technology",
}

TITLES: dict[Identity, str] = {
    Identity.UK: f"{MINISTRIES[Ministry.DSIT]} (UK)",
    Identity.ROK: f"{MINISTRIES[Ministry.MSIT]} (Republic of Korea)",
    Identity.SECRETARIAT: "Secretariat of the UK-RoK Digital Partnership Forum",
    Identity.AUDITOR: "Auditor",
}

#: Each Participant's time zone (DESIGN §1): dates of receipt are read in the recipient's zone.
TIME_ZONES: dict[Identity, str] = {
    Identity.UK: "Europe/London",
    Identity.ROK: "Asia/Seoul",
}


def other_participant(participant: Identity) -> Identity:
    """The Participant that is not `participant` (a notice or consent goes *to the other*)."""
    if participant is Identity.UK:
        return Identity.ROK
    if participant is Identity.ROK:
        return Identity.UK
    raise ValueError(f"{participant} is not a Participant")
