"""The Flask app factory."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.middleware.proxy_fix import ProxyFix

from web import pages
from web.api import (
    accounts,
    activity,
    comments,
    events,
    history,
    insights,
    mail_log,
    moderation,
    notifications,
    operations,
    organisations,
    people,
    person_page,
    project_interest,
    projects,
    reports,
    roles,
    unsubscribe,
)
from web.http import auth, door, headers, idempotency, limits, query_args
from web.http.errors import ProblemApi, register_error_handlers
from web.pages.scope import is_page
from workers.adapters import log_redaction
from workers.runtime.bootstrap import Runtime, build_runtime
from workers.runtime.settings import Settings

BODY_METHODS = ("POST", "PUT", "PATCH")


def create_app(config: dict[str, Any] | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the API. ``runtime`` lets tests pass one in; by default it comes from the environment."""
    settings = runtime.settings if runtime else Settings.from_env()
    log_redaction.install()  # no token, password or address in any log line (access logs included)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = Flask(__name__, static_url_path="/assets")  # GOV.UK Frontend's CSS asks for /assets/fonts/...
    app.config.update(
        API_TITLE="Pipeline API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if settings.proxy_hops:  # behind nginx: the client's address is the one the nearest proxy saw
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops)  # type: ignore[method-assign]
    app.config.update(config or {})
    app.extensions["pipeline"] = runtime or build_runtime(settings)
    auth.init_app(app)  # before the body checks: an anonymous write is 401 whatever its body
    query_args.init_app(app)  # then unknown query parameters: 400, before any body or handler

    def takes_form() -> bool:
        return request.endpoint in unsubscribe.TAKES_FORMS and request.mimetype in unsubscribe.FORM_TYPES

    @app.before_request
    def require_json_body() -> None:
        if is_page():
            return  # a browser's form: the page turns it into an API call, which is held to this
        if request.method in BODY_METHODS and door.has_body() and not request.is_json and not takes_form():
            raise UnsupportedMediaType("Send the request body as JSON with Content-Type: application/json.")

    door.init_app(app)  # after the media-type check: parse bodies once, with limits; check paths
    idempotency.init_app(app, timedelta(hours=settings.idempotency_hours))  # after the access and body checks

    api = ProblemApi(app)
    api.register_blueprint(organisations.blp)
    api.register_blueprint(people.blp)
    api.register_blueprint(person_page.blp)
    api.register_blueprint(accounts.blp)
    api.register_blueprint(projects.blp)
    api.register_blueprint(project_interest.blp)
    api.register_blueprint(comments.blp)
    api.register_blueprint(activity.blp)
    api.register_blueprint(insights.blp)
    api.register_blueprint(operations.blp)
    api.register_blueprint(reports.blp)
    api.register_blueprint(events.blp)
    api.register_blueprint(roles.blp)
    api.register_blueprint(history.blp)
    api.register_blueprint(notifications.blp)
    api.register_blueprint(mail_log.blp)
    api.register_blueprint(unsubscribe.blp)
    api.register_blueprint(moderation.blp)
    app.register_blueprint(operations.probes)
    idempotency.document(api.spec)
    limits.init_app(app, settings)
    unsubscribe.limit(app, settings)
    register_error_handlers(app)
    pages.init_app(app, settings)
    headers.init_app(app)
    app.add_url_rule("/api/reference", "api_reference", api_reference)
    return app


# The API reference: Swagger UI (npm's swagger-ui-dist, copied into web/static/vendor by
# `make assets`) over the OpenAPI document, every byte from this origin. Its own policy: no
# nonce is needed, since the page has no inline script or style at all.
API_REFERENCE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pipeline API reference</title><link rel="icon" sizes="48x48" href="/assets/images/favicon.ico">
<link rel="stylesheet" href="/assets/vendor/swagger-ui.css"></head>
<body><div id="reference" data-openapi="/api/v1/openapi.json"></div>
<script src="/assets/vendor/swagger-ui-bundle.js"></script><script src="/assets/api-reference.js"></script>
</body>
</html>
"""
API_REFERENCE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def api_reference() -> Response:
    response = Response(API_REFERENCE, mimetype="text/html")
    response.headers["Content-Security-Policy"] = API_REFERENCE_POLICY
    return response
