"""The console's web application: sessions, sign-in, one-line errors, and its routes.

Every page is rendered on the server; nothing needs JavaScript. A failure a user can act on is one
line (the CLI's wording, cli/common.explain); anything else is logged and shown as one line too,
never as a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jinja2
import structlog
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from cli.common import EXPECTED, Missing, explain, no_answer
from cli.output import counted
from console.office import COOKIE, Session, Sessions, held_identities, key_fingerprint, served_hosts
from models.identities import Identity

log = structlog.get_logger("console")

NAV = (
    ("/", "Overview"),
    ("/inbox", "Inbox"),
    ("/catalogue", "Catalogue"),
    ("/actions", "Actions"),
    ("/amendments", "Amendments"),
    ("/forum", "Forum"),
    ("/consultations", "Consultations"),
    ("/register", "Register"),
)
OPEN_PATHS = ("/sign-in", "/static/")
#: Methods that change nothing; any other must come from the console's own pages.
READS = ("GET", "HEAD", "OPTIONS")

templates = jinja2.Environment(
    loader=jinja2.PackageLoader("console", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
templates.filters["counted"] = counted  # {{ n|counted("action") }}: "1 action", "2 actions"


@dataclass(frozen=True)
class Settings:
    temporal_ui: str  # the Temporal Web UI's address, for "this workflow in the Temporal UI"
    namespace: str = "default"


def session_of(request: Request) -> Session:
    return request.state.session


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    session: Session = request.state.session
    held = held_identities()
    acting = session.acting if session.acting in held else (held[0] if held else None)
    html = templates.get_template(template).render(
        nav=NAV,
        path=request.url.path,
        acting=acting,
        held=held,
        fingerprint=key_fingerprint(acting) if acting else None,
        switch_token=session.issue() if len(held) > 1 else "",
        settings=request.app.state.settings,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def one_line(request: Request, message: str, status_code: int = 400, title: str = "Refused") -> HTMLResponse:
    return page(request, "answer.html", status_code=status_code, title=title, refusal=message, receipt=None)


def foreign(request: Request) -> Response | None:
    """The refusal of a request the console's own pages did not make, or None. Under a name it does
    not serve, a page elsewhere whose name now points here (DNS rebinding) would be same-origin with
    the console and could sign through it; and a post sent from another origin is another site's."""
    host = request.headers.get("host", "").lower()
    if host not in request.app.state.hosts:
        named = host[:100] or "no Host"
        return PlainTextResponse(f"this console does not answer to {named}; open it by its own address", 400)
    if request.method in READS:
        return None
    # Host and port only: behind a reverse proxy the browser's scheme is not the one served here.
    sender = request.headers.get("origin") or request.headers.get("referer")
    if sender is not None and urlsplit(sender).netloc.lower() != host:
        return PlainTextResponse("refused: this form was sent from another site, not from this console's pages", 403)
    return None


def guarded(response: Response) -> Response:
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
    return response


class Access(BaseHTTPMiddleware):
    """Only the console's own names and pages; a session for everyone on loopback; beyond it, only
    after signing in with the token."""

    async def dispatch(self, request: Request, call_next: Any) -> Response:
        refusal = foreign(request)
        if refusal is not None:  # before any session is opened: nothing changes
            return guarded(refusal)
        sessions: Sessions = request.app.state.sessions
        session = sessions.get(request.cookies.get(COOKIE))
        new_sid = None
        if session is None:
            if sessions.token is not None and not request.url.path.startswith(OPEN_PATHS):
                return RedirectResponse("/sign-in", status_code=303)
            if sessions.token is None:
                new_sid, session = sessions.open()
        request.state.session = session
        try:
            response = await call_next(request)
        except Exception as err:  # a page's failure is one line for the user, the details in the log
            response = failure(request, err)
        if new_sid:
            set_session_cookie(response, new_sid)
        return guarded(response)


def set_session_cookie(response: Response, sid: str) -> None:
    response.set_cookie(COOKIE, sid, httponly=True, samesite="strict", path="/")


def failure(request: Request, err: BaseException) -> HTMLResponse:
    if isinstance(err, EXPECTED):
        status = 503 if no_answer(err) else 404 if isinstance(err, Missing) else 400
        return one_line(request, explain(err), status, "Temporal did not answer" if status == 503 else "Refused")
    log.exception("console page failed", path=request.url.path)
    if getattr(request.state, "session", None) is None:
        return HTMLResponse("the console failed to show this page; its log says why", status_code=500)
    return one_line(request, "the console failed to show this page; its log says why", 500, "Something went wrong")


async def sign_in(request: Request) -> Response:
    sessions: Sessions = request.app.state.sessions
    if request.method == "GET":
        return HTMLResponse(templates.get_template("signin.html").render(problem=None))
    form = await request.form()
    if not sessions.token_matches(str(form.get("token", ""))):
        html = templates.get_template("signin.html").render(problem="that is not this console's token")
        return HTMLResponse(html, status_code=403)
    sid, _ = sessions.open()
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(response, sid)
    return response


async def switch_identity(request: Request) -> Response:
    """The one-machine data dir holds several offices' keys: the user picks which one acts."""
    form = await request.form()
    session = session_of(request)
    if not session.redeem(str(form.get("csrf", ""))):
        return one_line(request, "this form was already sent or has expired; open the page again", 403)
    wanted = str(form.get("acting", ""))
    held = {i.value: i for i in held_identities()}
    if wanted not in held:
        return one_line(request, f"this console holds no key for {wanted or 'nobody'}; it acts as {', '.join(held)}")
    session.acting = held[wanted]
    return RedirectResponse(page_here(str(form.get("back", "/"))), status_code=303)


def page_here(back: str) -> str:
    """`back` if it is a page of this console, else its home: browsers read `//host` and `/\\host`
    as another site, so a switch of identity must not send the user there (adversarial review, M3)."""
    local = back.startswith("/") and back[1:2] not in ("/", "\\") and back.isprintable()
    return back if local else "/"


def acting_identity(request: Request) -> Identity | None:
    held = held_identities()
    acting = session_of(request).acting
    return acting if acting in held else (held[0] if held else None)


def create_app(settings: Settings, token: str | None = None, *, host: str, port: int) -> Starlette:
    """The console of the office whose data dir this process uses, bound to `host`:`port`. `token`:
    the sign-in token (required beyond loopback; see console/office.required_token)."""
    from console import filing, pages

    routes = [
        *pages.routes(),
        *filing.routes(),
        Route("/sign-in", sign_in, methods=["GET", "POST"]),
        Route("/acting", switch_identity, methods=["POST"]),
        Mount("/static", StaticFiles(packages=[("console", "static")]), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(Access)])
    app.state.settings = settings
    app.state.sessions = Sessions(token)
    app.state.hosts = served_hosts(host, port)
    return app
