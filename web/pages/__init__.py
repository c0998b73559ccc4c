"""Pages for council officers: GOV.UK Design System HTML, served by the same Flask app as
the API and built on it (:mod:`web.pages.api`): every read and write a page makes is an
API call dispatched in-process, so the pages have no rules of their own to drift.

Each module here is one blueprint, registered under the parent ``pages`` blueprint (which
checks the CSRF token of every POST); templates live in ``web/templates/pages``, and the
GOV.UK Frontend macros come from ``govuk-frontend-jinja``. Assets (GOV.UK Frontend,
accessible-autocomplete) are copied from ``node_modules`` into ``web/static`` by
``make assets`` and served at ``/assets``."""

from __future__ import annotations

from flask import Blueprint, Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from web.pages import api, security
from web.pages.scope import PAGES
from workers.runtime.settings import Settings


def _blueprints() -> list[Blueprint]:
    from web.pages import (
        account,
        browse,
        directory,
        discussion,
        home,
        moderation,
        organisation_admin,
        organisations,
        participation,
        people,
        projects,
    )

    extra = [people.bp, directory.bp, organisation_admin.bp]  # issue 22: people and organisations
    return [
        home.bp,
        account.bp,
        organisations.bp,
        projects.bp,
        participation.bp,
        browse.bp,
        *extra,
        moderation.bp,
        discussion.bp,
    ]


def init_app(app: Flask, settings: Settings) -> None:
    from web.pages import errors

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(app.root_path) + "/templates"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    security.init_app(app, settings.public_url, settings.session_hours)
    app.context_processor(lambda: {"me": api.me(), **security.template_globals()})
    pages = Blueprint(PAGES, __name__)  # one per app: tests build several apps in one process
    pages.before_request(security.protect_forms)
    for child in _blueprints():
        pages.register_blueprint(child)
    app.register_blueprint(pages)
    errors.init_app(app)
