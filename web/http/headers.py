"""Response headers every answer carries, and a development server that keeps quiet.

- ``X-Content-Type-Options: nosniff`` on everything: a browser never guesses a type.
- ``Cache-Control: no-store`` on everything but the OpenAPI document. Answers carry
  bearer tokens (sessions), personal data (/me, sign-up, people, followers, pledgers)
  or read-your-writes positions; one rule is simpler to trust than a list of
  exceptions, and no cache or browser history keeps any of them.
- ``Server`` names no versions (no help for anyone matching exploits to versions):
  gunicorn sends plain "gunicorn"; Flask's development server, used by the embedded
  ``pipeline serve``, gets ``QuietRequestHandler``."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.serving import WSGIRequestHandler

CACHEABLE_PATHS = ("/api/v1/openapi.json",)
ASSETS = "/assets/"  # the pages' CSS, scripts, fonts and images (public, the same for everyone)


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        cacheable = request.path in CACHEABLE_PATHS or request.path.startswith(ASSETS)
        if not cacheable and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, with ``Server: Pipeline`` instead of Werkzeug's and Python's versions."""

    def version_string(self) -> str:
        return "Pipeline"
