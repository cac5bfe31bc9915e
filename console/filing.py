"""Filing from the browser: the form, the instrument exactly as it will be signed, then the receipt
or the engine's one-line rejection, verbatim (cli/common.explain: the CLI's words).

Each form carries a one-time token bound to the session, so another site cannot post in the
user's name and a sent form cannot be sent again. The instrument the confirmation page shows stays
on the server under that page's token, and exactly that one is signed: a post naming another is
refused. The instrument names its filer, and the console signs only as an identity whose private
key this office holds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cli.common import EXPECTED, Refused, explain, field_problem
from console.app import acting_identity, one_line, page, session_of
from console.forms import instrument_fields, parse, read_fields
from console.instruments import BY_SLUG, Instrument
from console.office import held_identities, key_fingerprint
from models.identities import Identity
from models.signing import Filing

EXPIRED = "this form was already sent or has expired; open it again from the page it came from"


@dataclass(frozen=True)
class Reviewed:
    """What a confirmation page showed: kept under its token until it is signed or lapses."""

    slug: str
    filing: Filing
    target: str | None


def allowed(request: Request, slug: str) -> tuple[Instrument | None, Identity | None, Response | None]:
    """The instrument and who acts, or the one-line refusal: auditors and other roles get no form."""
    instrument = BY_SLUG.get(slug)
    if instrument is None:
        return None, None, one_line(request, f"no filing {slug!r} here; the pages list what this office files", 404)
    acting = acting_identity(request)
    if acting is None:
        return None, None, one_line(request, "this console holds no private key: it only reads", 403)
    if acting not in instrument.filers:
        filers = " or ".join(instrument.filers)
        return None, None, one_line(request, f"{acting} does not file this; {filers} does", 403)
    return instrument, acting, None


def form_page(request: Request, instrument: Instrument, values: dict[str, str], problem: str | None = None) -> Response:
    return page(
        request,
        "form.html",
        status_code=400 if problem else 200,
        instrument=instrument,
        fields=instrument.fields(),
        values=values,
        problem=problem,
        csrf=session_of(request).issue(),
    )


async def blank_form(request: Request) -> Response:
    instrument, acting, refusal = allowed(request, request.path_params["slug"])
    if refusal:
        return refusal
    assert instrument is not None and acting is not None
    return form_page(request, instrument, {**instrument.starting_values(acting), **request.query_params})


async def review(request: Request) -> Response:
    """The filled form becomes the instrument, shown as it will be signed; nothing is signed yet."""
    instrument, acting, refusal = allowed(request, request.path_params["slug"])
    if refusal:
        return refusal
    assert instrument is not None and acting is not None
    form = {k: str(v) for k, v in (await request.form()).items()}
    if not session_of(request).redeem(form.pop("csrf", "")):
        return one_line(request, EXPIRED, 403)
    try:
        filing, target = parse(instrument, form, acting, await read_fields(instrument, form, acting))
    except ValidationError as err:  # the field named as the form captions it (console walkthrough 3, F6)
        captions = instrument.captions()
        named = field_problem(err, lambda where: f"“{captions[where]}”" if where in captions else where)
        return form_page(request, instrument, form, f"refused before signing: {named}")
    except Refused as err:
        return form_page(request, instrument, form, f"refused before signing: {err}")
    return page(
        request,
        "confirm.html",
        instrument=instrument,
        signed_fields=instrument_fields(filing),
        filer=acting,
        filer_fingerprint=key_fingerprint(acting),
        target=target or "",
        csrf=session_of(request).issue(Reviewed(instrument.slug, filing, target)),
    )


async def confirm(request: Request) -> Response:
    """Sign the instrument the user saw (kept here, never read back from the form), with this office's
    key, and file it."""
    instrument, _, refusal = allowed(request, request.path_params["slug"])
    if refusal:
        return refusal
    assert instrument is not None
    form = await request.form()
    redeemed, reviewed = session_of(request).redeem_kept(str(form.get("csrf", "")))
    if not redeemed or not isinstance(reviewed, Reviewed) or reviewed.slug != instrument.slug:
        return one_line(request, EXPIRED, 403)
    filing, target = reviewed.filing, reviewed.target
    posted = form.get("instrument")  # the console's pages post none; an older page posted the same one
    if posted is not None and str(posted) != filing.model_dump_json():
        return one_line(request, "refused: the instrument posted is not the one you reviewed; nothing was signed", 403)
    if filing.filed_by not in held_identities():
        held = ", ".join(held_identities()) or "nobody"
        return one_line(request, f"this console holds no key for {filing.filed_by}; it signs only as {held}", 403)
    if filing.filed_by not in instrument.filers:
        return one_line(request, f"{filing.filed_by} does not file this; {' or '.join(instrument.filers)} does", 403)
    try:
        receipt = await instrument.file(filing, target)
    except EXPECTED as err:
        return one_line(request, in_form_words(explain(err), instrument), 409, "Not filed")
    return page(
        request,
        "answer.html",
        title="Filed",
        refusal=None,
        instrument=instrument,
        filing_id=filing.filing_id,
        said=instrument.said(filing, receipt) if instrument.said else "",
        receipt=as_json(receipt),
    )


def in_form_words(message: str, instrument: Instrument) -> str:
    """The engine's refusal with each CLI option it names (`(--on)`, `--text-file`) said as the
    form's field, which is what the console's user typed (walkthrough 3, F12)."""
    captions = instrument.captions()

    def field(match: re.Match) -> str:
        name = match.group(1).removesuffix("-file").replace("-", "_")
        if name not in captions:
            return match.group(0)
        value = match.group(2)  # an option given with its value: `--ministry DSIT`
        return f"the “{captions[name]}” field" + (f" set to {value}" if value else "")

    return re.sub(r"--([a-z][a-z-]*)(?: ([A-Z0-9][\w.-]*))?", field, message)


def as_json(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def routes() -> list[Route]:
    return [
        Route("/file/{slug}", blank_form, methods=["GET"]),
        Route("/file/{slug}", review, methods=["POST"]),
        Route("/file/{slug}/confirm", confirm, methods=["POST"]),
    ]
