"""WSGI entry point for gunicorn: ``gunicorn --config python:web.gunicorn_conf web.wsgi:app``."""

from web.app import create_app

app = create_app()
