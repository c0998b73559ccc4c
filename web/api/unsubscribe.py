"""One-click unsubscribe (RFC 8058): the link at the foot of every email one may refuse.

No session and no CSRF token: the signed token in the link is the proof, and it names one
person and one kind (``workers.adapters.unsubscribe``). ``GET /unsubscribe?token=`` shows a
small page saying which emails it stops, with a button; ``POST`` to the same address (that
button, or a mail client's own unsubscribe with the form body ``List-Unsubscribe=One-Click``)
switches the kind off. Browsers (asking for HTML above JSON) get HTML, other clients JSON
(errors as problem+json); front ends may
also ``POST /api/v1/unsubscribe`` with ``{"token"}``. Doing it twice is harmless."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from uuid import UUID

from flask import Flask, Response, json, request
from flask.views import MethodView
from jinja2 import Environment
from marshmallow import Schema, fields, validate

from domain.errors import NotFound
from domain.notifications import KINDS, Kind
from web.api.common import runtime
from web.http.arguments import Blueprint
from web.http.errors import ProblemSchema, problem
from web.http.validation import InputSchema
from workers.adapters import unsubscribe as tokens
from workers.notify import emails
from workers.runtime.settings import Settings

blp = Blueprint("unsubscribe", __name__, description="One-click unsubscribe from one kind of email (no sign-in).")
LINK = "unsubscribe.UnsubscribeLink"
TAKES_FORMS = (LINK,)  # a mail client's one-click POST is a form, not JSON
# RFC 8058 3.1: the one-click POST SHOULD be multipart/form-data and MAY be urlencoded.
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
ENDPOINTS = (LINK, "unsubscribe.UnsubscribeApi")
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",  # the page's address holds the token
}
_PAGE = Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} - Pipeline</title>
</head>
<body>
<main>
<h1>{{ title }}</h1>
{% for line in lines %}<p>{{ line }}</p>
{% endfor %}{% if token %}<form method="post" action="?token={{ token }}">
<button type="submit">Unsubscribe from {{ label }} emails</button>
</form>
{% endif %}<p><a href="{{ preferences }}">Choose which emails you get</a> (you will need to sign in).</p>
</main>
</body>
</html>
"""
)


class TokenArgs(InputSchema):
    token = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "From the email's link or List-Unsubscribe header"},
    )


class TokenBodySchema(TokenArgs):
    pass


class UnsubscribeSchema(Schema):
    kind = fields.String(metadata={"description": "The kind of email the link is for"})
    label = fields.String()
    trigger = fields.String(metadata={"description": "What sends it"})
    subscribed = fields.Boolean(metadata={"description": "Whether the person still gets it"})
    event_position = fields.Integer(allow_none=True, metadata={"description": "On POST: null if it was off already"})


def _label(kind: Kind) -> str:
    return kind.name.replace("-", " ")


def _wants_html() -> bool:
    """A browser (it asks for HTML above JSON) gets pages; any other client, a mail client's
    one-click included, gets JSON and problem+json."""
    accept = request.accept_mimetypes
    return accept.quality("text/html") > accept.quality("application/json")


def _page(status: int, title: str, lines: list[str], *, token: str | None = None, label: str = "") -> Response:
    preferences = emails.preferences_url(runtime().settings.public_url)
    html = _PAGE.render(
        title=title, lines=lines, token=quote(token, safe="") if token else None, label=label, preferences=preferences
    )
    return Response(html, status=status, mimetype="text/html", headers=PAGE_HEADERS)


class Refused(Exception):
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail

    def answer(self, html: bool) -> Response:
        if html:
            return _page(self.status, self.title, [self.detail])
        return problem(self.status, self.title, self.detail, errors={"token": [self.detail]})


def _read(token: str) -> tuple[UUID, Kind]:
    """The (living) person and the kind of email the token is for; Refused otherwise."""
    rt = runtime()
    found = tokens.read(rt.keys.server_secret(tokens.PURPOSE), token)
    if found is None:
        raise Refused(
            400, "Link not valid", "This unsubscribe link is not valid: it may have been changed or cut short."
        )
    person_id, name = found
    kind = KINDS.get(name)
    if kind is None or not kind.switchable:
        raise Refused(404, "Not found", "There is no longer an email of this kind to unsubscribe from.")
    try:
        rt.app.active_person(person_id)
    except NotFound:
        raise Refused(404, "Not found", "The account this link was for no longer exists.") from None
    return person_id, kind


def _answer(
    kind: Kind, subscribed: bool, position: int | None, html_lines: list[str], html: bool, **page: Any
) -> Response:
    if html:
        title = "Unsubscribe" if subscribed else "Unsubscribed"
        return _page(200, title, html_lines, **page)
    body = {
        "kind": kind.name,
        "label": _label(kind),
        "trigger": kind.trigger,
        "subscribed": subscribed,
        "event_position": position,
    }
    return Response(json.dumps(body), status=200, mimetype="application/json")


def _show(token: str) -> Response:
    try:
        person_id, kind = _read(token)
    except Refused as refused:
        return refused.answer(_wants_html())
    subscribed = kind.name not in runtime().app.notification_preferences(person_id)["off"]
    sent_for = f"They are sent for: {kind.trigger}."
    if not subscribed:
        return _answer(kind, False, None, [f"You already get no {_label(kind)} emails.", sent_for], _wants_html())
    lines = [f"This stops {_label(kind)} emails.", sent_for, "Other emails from Pipeline are not affected."]
    return _answer(kind, True, None, lines, _wants_html(), token=token, label=_label(kind))


def _unsubscribe(token: str, html: bool) -> Response:
    try:
        person_id, kind = _read(token)
    except Refused as refused:
        return refused.answer(html)
    written = runtime().app.unsubscribe(person_id, kind.name)
    lines = [f"You will get no more {_label(kind)} emails.", "Other emails from Pipeline are not affected."]
    return _answer(kind, False, written.position, lines, html)


@blp.route("/unsubscribe", endpoint="UnsubscribeLink")
class UnsubscribeLink(MethodView):
    @blp.arguments(TokenArgs, location="query")
    @blp.response(200, UnsubscribeSchema, description="HTML for browsers (Accept: text/html); this JSON otherwise")
    @blp.alt_response(400, schema=ProblemSchema, description="Not a valid link (changed or cut short)")
    @blp.alt_response(404, schema=ProblemSchema, description="The account is gone, or the kind no longer exists")
    def get(self, args: dict[str, Any]) -> Response:
        """What the link stops, with a button (HTML, for browsers); for other clients, the kind
        and whether the person still gets it."""
        return _show(args["token"])

    @blp.arguments(TokenArgs, location="query")
    @blp.response(200, UnsubscribeSchema, description="HTML for browsers (Accept: text/html); this JSON otherwise")
    @blp.alt_response(400, schema=ProblemSchema, description="Not a valid link (changed or cut short)")
    @blp.alt_response(404, schema=ProblemSchema, description="The account is gone, or the kind no longer exists")
    def post(self, args: dict[str, Any]) -> Response:
        """Unsubscribe: the page's button, or a mail client's RFC 8058 one-click
        (form body `List-Unsubscribe=One-Click`). No sign-in: the token is the proof."""
        return _unsubscribe(args["token"], _wants_html())


@blp.route("/api/v1/unsubscribe", endpoint="UnsubscribeApi")
class UnsubscribeApi(MethodView):
    @blp.arguments(TokenBodySchema)
    @blp.response(200, UnsubscribeSchema)
    @blp.alt_response(400, schema=ProblemSchema, description="Not a valid link (changed or cut short)")
    @blp.alt_response(404, schema=ProblemSchema, description="The account is gone, or the kind no longer exists")
    def post(self, data: dict[str, Any]) -> Response:
        """Unsubscribe with the token from an email's link (for front ends); no sign-in."""
        return _unsubscribe(data["token"], False)


def limit(app: Flask, settings: Settings) -> None:
    """Per client address, counted like sign-in (``PIPELINE_SIGN_IN_IP_LIMIT``) in a budget of
    its own: a mail provider unsubscribing many people must not lock anyone out of signing in.
    Call after ``web.http.limits.init_app``."""
    limiter = app.extensions["pipeline_limiter"]
    shared = limiter.shared_limit(settings.sign_in_ip_limit, scope="unsubscribe")
    for endpoint in ENDPOINTS:
        app.view_functions[endpoint] = shared(app.view_functions[endpoint])
