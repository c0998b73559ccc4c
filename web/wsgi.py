"""WSGI entry point for gunicorn: ``gunicorn --config python:web.gunicorn_conf web.wsgi:app``."""

from web.app import create_app
from workers.adapters.log_redaction import install

install()  # no token, password or address in any log line, whoever serves the app
app = create_app()
