"""Errors on pages are pages: the GOV.UK patterns (page not found, there is a problem with
the service, too many tries, your session expired), never a problem+json body."""

from __future__ import annotations

import logging

from flask import Flask, Response, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound, RequestEntityTooLarge

from web.pages.scope import is_page

log = logging.getLogger(__name__)

TITLES = {
    400: "Sorry, there is a problem with your request",
    403: "You cannot do this",
    404: "Page not found",
    409: "Someone changed this at the same moment",
    413: "What you sent is too large",
    422: "There is a problem",
    429: "Too many tries",
    503: "Sorry, the service is unavailable",
}


def page(status: int, detail: str, title: str | None = None) -> Response:
    title = title or TITLES.get(status, "Sorry, there is a problem with the service")
    response = make_response(render_template("pages/error.html", title=title, detail=detail, status=status), status)
    return response


def _wants_page() -> bool:
    """A page's own error, or an address no route matches asked for by a browser outside /api."""
    if is_page():
        return True
    accepts_html = request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
    return request.url_rule is None and not request.path.startswith("/api/") and accepts_html


def init_app(app: Flask) -> None:
    previous = app.error_handler_spec[None][None].get(HTTPException)  # flask-smorest's problem+json

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if not _wants_page():
            if previous is None:
                return error  # type: ignore[return-value]
            return previous(error)  # type: ignore[return-value]
        if isinstance(error, CSRFError):
            return page(400, "This form had expired or was sent from another site. Go back, reload it and try again.")
        if isinstance(error, RequestEntityTooLarge):
            return page(
                413, "What you sent is larger than Pipeline takes. Go back, shorten the longest text and try again."
            )
        if isinstance(error, NotFound):
            return page(404, "If you typed the web address, check it is correct.")
        if isinstance(error, InternalServerError):
            original = getattr(error, "original_exception", None)
            if original is not None:
                log.error("unhandled error on a page", exc_info=original)
            return page(500, "Something went wrong on our side; it has been logged. Try again later.")
        return page(error.code or 500, error.description or "")
