"""Who this console acts for, and who may reach it (issue 16).

An office is the identities whose private keys its data dir holds: one on a Participant's or the
secretariat's machine, all three on the one-machine `make run`, none on an auditor's (who then gets
no form at all). Bound to loopback the console trusts whoever can reach it, as the CLI trusts whoever
can run it; bound elsewhere it asks for `PARTNERSHIP_CONSOLE_TOKEN` first. Either way it answers
only to its own names (DNS rebinding, review finding 5): a page elsewhere whose name comes to point
at this machine reaches it under that foreign name, and is refused.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from engine.keys import private_key_path
from models.identities import FILERS, Identity
from models.signing import fingerprint

TOKEN_VARIABLE = "PARTNERSHIP_CONSOLE_TOKEN"
#: More names the console answers to, comma-separated (a reverse proxy's that passes on its Host).
HOSTS_VARIABLE = "PARTNERSHIP_CONSOLE_HOSTS"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
COOKIE = "partnership_console"
#: Form tokens a session may hold at once (older ones lapse: a form left open for long is asked again).
FORM_TOKENS_MAX = 64
SESSIONS_MAX = 1000


class AccessRefused(Exception):
    """The console will not start as asked; the sentence says what would be accepted."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def required_token(host: str) -> str | None:
    """The sign-in token this binding needs: none on loopback, `PARTNERSHIP_CONSOLE_TOKEN` elsewhere."""
    if is_loopback(host):
        return None
    token = os.environ.get(TOKEN_VARIABLE, "")
    if len(token) < 16:
        raise AccessRefused(
            f"the console binds to {host}, beyond this machine: set {TOKEN_VARIABLE} to a secret of at least 16 "
            "characters (users sign in with it), or bind to 127.0.0.1"
        )
    return token


def served_hosts(host: str, port: int) -> frozenset[str]:
    """The Host headers this console answers to: its loopback names and the address it binds, with
    its port (a browser leaves out port 80), and any name in `PARTNERSHIP_CONSOLE_HOSTS` as given."""
    names = {*LOOPBACK_NAMES, f"[{host}]" if ":" in host else host}
    hosts = {f"{name}:{port}" for name in names} | (names if port == 80 else set())
    hosts |= {name.strip() for name in os.environ.get(HOSTS_VARIABLE, "").split(",") if name.strip()}
    return frozenset(h.lower() for h in hosts)


def held_identities() -> list[Identity]:
    """The filers whose private keys this data dir holds, in the agreement's order."""
    return [identity for identity in FILERS if private_key_path(identity).exists()]


def key_fingerprint(identity: Identity) -> str:
    """The fingerprint of this office's public key for `identity` (what the Partnership registered)."""
    from engine.keys import public_key_path

    path = public_key_path(identity)
    return fingerprint(path.read_text().strip()) if path.exists() else "unknown"


@dataclass
class Session:
    acting: Identity | None
    #: Each form's token and what the server keeps for its post (the instrument a confirmation shows).
    form_tokens: OrderedDict[str, Any] = field(default_factory=OrderedDict)

    def issue(self, kept: Any = None) -> str:
        """A one-time form token: each form carries its own, and a token is good for one post.
        `kept` stays here for that post: what is signed is never read back from the form."""
        token = secrets.token_urlsafe(24)
        self.form_tokens[token] = kept
        while len(self.form_tokens) > FORM_TOKENS_MAX:
            self.form_tokens.popitem(last=False)
        return token

    def redeem(self, token: str) -> bool:
        """True once for a token this session issued; a replayed or foreign token is refused."""
        return self.redeem_kept(token)[0]

    def redeem_kept(self, token: str) -> tuple[bool, Any]:
        """As `redeem`, with what was kept for the token's form."""
        for issued in list(self.form_tokens):
            if hmac.compare_digest(issued, token):
                return True, self.form_tokens.pop(issued)
        return False, None


class Sessions:
    """Sessions live in this process only: a restarted console asks to sign in again."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def get(self, sid: str | None) -> Session | None:
        return self._sessions.get(sid) if sid else None

    def open(self) -> tuple[str, Session]:
        held = held_identities()
        sid = secrets.token_urlsafe(32)
        session = self._sessions[sid] = Session(acting=held[0] if held else None)
        while len(self._sessions) > SESSIONS_MAX:
            self._sessions.popitem(last=False)
        return sid, session

    def token_matches(self, offered: str) -> bool:
        return self.token is not None and hmac.compare_digest(self.token.encode(), offered.encode())
