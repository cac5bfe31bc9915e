"""The Partnership's key registry (issue 13): a key rotated by its holder or revoked by the other
side, each a register decision and a mail to both Participants and the secretariat, and forwarded
as the signed instrument itself to every open governed thing, which verifies it against its own
registry before applying it (GovernedWorkflow.keys_changed).
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.identities import FILERS
    from models.key_changes import (
        change_problem,
        completed_revocation,
        revocation_filing_problem,
        revokers,
        rotation_pause_problem,
        rotation_problem,
        void_halves,
    )
    from models.keyring import KeyChange, KeyEntry, KeyPin, KeyRevocation, KeyRing, KeyRotation, pin_problem
    from models.partnership import PartnershipState
    from models.signing import fingerprint
    from workflows.handlers import governed_update


def revocation_problem(state: PartnershipState, filing: KeyRevocation, at: datetime) -> str | None:
    if (held := state.key_revocations.get(filing.filed_by)) and held.terms() == filing.terms():
        others = [p for p in revokers(filing.revoked) if p is not filing.filed_by]
        return f"{filing.filed_by} has already filed this revocation; it awaits the same filing by {others[0]}"
    if problem := revocation_filing_problem(state.keys, filing, at):
        return problem
    # The children check the completed change with the same function: what this applies, they do.
    change = completed_revocation(state.key_revocations, filing)
    return change_problem(state.keys, change, at) if change else None


class KeyRegistry:
    """Mixin of PartnershipWorkflow; it relies on the GovernedWorkflow plumbing and `_state`."""

    _state: PartnershipState
    KEYS_FROM_PARTNERSHIP = False  # its registry changes only by the filings below

    @governed_update(
        lambda wf, rotation: (
            rotation_problem(wf._state.keys, rotation, workflow.now())
            or rotation_pause_problem(wf._state.keys, rotation, workflow.now())
        )
    )
    async def rotate_key(self, rotation: KeyRotation) -> KeyEntry:
        """The holder's new key, signed by old and new key; in use from its receipt."""
        now = self._accept(rotation)  # type: ignore[attr-defined]
        return self._change_key(KeyChange(rotation=rotation), now)

    @governed_update(lambda wf, filing: revocation_problem(wf._state, filing, workflow.now()))
    async def revoke_key(self, filing: KeyRevocation) -> KeyEntry | None:
        """A lost or compromised key, revoked by the other Participant (the SECRETARIAT's by both):
        from receipt it verifies nothing new. None while the second Participant's filing awaits."""
        now = self._accept(filing)  # type: ignore[attr-defined]
        change = completed_revocation(self._state.key_revocations, filing)
        held = self._state.key_revocations
        held[filing.filed_by] = filing
        if change is None:  # the SECRETARIAT's: the other Participant is told it awaits its filing
            new = fingerprint(filing.new_key)
            what = f"a revocation of the {filing.revoked}'s key {filing.revoked_fingerprint} (its new key: {new})"
            command = f"partnership keys revoke {filing.revoked} --new-key <the {filing.revoked}'s new key {new}>"
            self._awaits_other(filing, what, command)  # type: ignore[attr-defined]  # JointDecisions'
            return None
        for p in revokers(filing.revoked):
            held.pop(p, None)
        return self._change_key(change, now)

    @governed_update(lambda wf, pin: pin_problem(wf._state.keys, pin))
    async def record_pin(self, pin: KeyPin) -> KeyEntry:
        """An office pinned another identity's key (the one the Partnership holds): on the register
        and told to everyone, so each office knows who has checked whose key."""
        now = self._accept(pin)  # type: ignore[attr-defined]
        key = self._state.keys.current(pin.identity)
        assert key is not None  # the validator saw it
        summary = f"{pin.filed_by}'s office pinned {pin.identity}'s key {pin.fingerprint}."
        self._record(  # type: ignore[attr-defined]
            f"key-pinned/{pin.filing_id}",
            "key-pinned",
            now,
            summary,
            {"identity": pin.identity, "fingerprint": pin.fingerprint, "pinned_by": pin.filed_by},
        )
        self._notify(  # type: ignore[attr-defined]
            f"key-pinned/{pin.filing_id}",
            list(FILERS),
            f"{pin.filed_by} has pinned {pin.identity}'s key",
            f"{summary}\nReceived {now.isoformat()}. It checks every filing and read against that key from now on.",
        )
        return key

    def _change_key(self, change: KeyChange, now: datetime) -> KeyEntry:
        old = self._state.keys.current(change.identity)
        self._state.keys = self._state.keys.changed(change, now)
        new = self._state.keys.current(change.identity)
        assert old is not None and new is not None  # the validator saw both
        how = "rotated by its holder" if change.rotation else f"revoked by {' and '.join(change.filers)}"
        summary = f"{change.identity}'s key {old.fingerprint} was {how}; its key is now {new.fingerprint}."
        held = self._state.key_revocations
        for filer in void_halves(held, change):
            void = held.pop(filer)
            again = "with its new key" if filer == change.identity else f"naming {void.revoked}'s current key"
            summary += (
                f" {void.filed_by}'s filing to revoke {void.revoked}'s key {void.revoked_fingerprint}, held for "
                f"the other Participant's, no longer counts: {void.filed_by} files it again {again}, if need be."
            )
        self._record(  # type: ignore[attr-defined]
            f"key-{change.kind}/{change.filing_id}",
            f"key-{change.kind}",
            now,
            summary,
            {
                "identity": change.identity,
                "old_fingerprint": old.fingerprint,
                "new_fingerprint": new.fingerprint,
                "filed_by": list(change.filers),
            },
        )
        self._notify(  # type: ignore[attr-defined]
            f"key-{change.kind}/{change.filing_id}",
            list(FILERS),
            f"{change.identity}'s key has been {'rotated' if change.rotation else 'revoked'}",
            f"{summary}\nReceived {now.isoformat()}. Filings signed with {old.fingerprint} before then stay "
            f"valid; from then on only {new.fingerprint} signs for {change.identity}.\n"
            f"Offices that pinned {change.identity}'s key follow the change after checking the instrument.",
        )
        for child in self._known_children():
            self._forward_key_change(child, change)  # type: ignore[attr-defined]
        return new

    def _known_children(self) -> list[str]:
        """Every governed thing this run knows of, each holding its own copy of the registry: also
        those shown closed, since what shows one closed is its roll-up, a signal anyone with access
        to the namespace can forge; a closed one just does not take the message."""
        s = self._state
        return [*s.amendments, *s.actions, *s.consultations, *s.forums]

    @workflow.query
    def pending_revocations(self) -> list[KeyRevocation]:
        """The halves of a revocation filed while the other Participant's is awaited (the inbox's)."""
        return list(self._state.key_revocations.values())

    @workflow.query
    def key_ring(self) -> KeyRing:
        """The registry with every key and its validity: what each office checks its pins against."""
        return self._state.keys
