"""The pages' protections: the session cookie, CSRF tokens on every form, and a
Content-Security-Policy with a per-response nonce (no ``unsafe-inline``).

- The session cookie is signed (itsdangerous, with a key derived from the server's email
  index key, so it survives restarts and KEK rotations and is never stored), HttpOnly,
  SameSite=Lax (a link followed from an email still arrives signed in; a form posted from
  another site does not), and Secure with the ``__Host-`` prefix whenever
  ``PIPELINE_PUBLIC_URL`` is https. It holds the API session token, so signing out or an
  expired token ends it server-side too.
- Every POST to a page must carry the form's CSRF token (Flask-WTF): 400 otherwise."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, Request, Response, current_app, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from itsdangerous import URLSafeTimedSerializer

from web.pages.scope import is_page

csrf = CSRFProtect()
# A form body may be this many times the API's body limit: percent-encoding takes 9 bytes for a
# character of 3 in UTF-8. The API then holds the JSON the page sends it to its own limit.
FORM_ENCODING = 10
POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def ensure_secret(app: Flask) -> None:
    if not app.secret_key:
        app.secret_key = app.extensions["pipeline"].keys.server_secret(b"page-sessions")


class PageSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the key read from the key store on first use.
    A request without the cookie (every API call) never touches the key store."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        ensure_secret(app)
        return super().get_signing_serializer(app)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def csp_nonce() -> str:
    """This response's script nonce (the GOV.UK template's one inline script carries it)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def init_app(app: Flask, public_url: str, session_hours: float) -> None:
    secure = public_url.startswith("https://")
    app.session_interface = PageSessions()
    app.config.update(
        SESSION_COOKIE_NAME="__Host-pipeline" if secure else "pipeline",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=session_hours),
        WTF_CSRF_CHECK_DEFAULT=False,  # the API (bearer tokens, no cookies) takes no CSRF token
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the session: a form left open over lunch still posts
        WTF_CSRF_SSL_STRICT=secure,
    )
    csrf.init_app(app)

    @app.after_request
    def content_security_policy(response: Response) -> Response:
        if response.mimetype == "text/html" and "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = POLICY.format(nonce=csp_nonce())
            response.headers.setdefault("Referrer-Policy", "same-origin")
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response


def protect_forms() -> None:
    """The pages' ``before_request``: the signing key is ready; every POST carries a valid CSRF token."""
    ensure_secret(current_app)  # before any form renders its token, with or without a cookie yet
    if request.method == "POST" and is_page():
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if limit:
            request.max_content_length = limit * FORM_ENCODING
        csrf.protect()


def template_globals() -> dict[str, Any]:
    return {"csp_nonce": csp_nonce}
