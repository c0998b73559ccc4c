"""The ``pipeline`` command: the top-level group and the one place every command group is added to it."""

from __future__ import annotations

import logging

import click

from web.cli.demo import demo
from web.cli.domains import domains
from web.cli.events import events
from web.cli.keys import keys
from web.cli.legacy import import_
from web.cli.mail import mail
from web.cli.people import people
from web.cli.projections import projections
from web.cli.report import report
from web.cli.roles import evaluators, operators
from web.cli.serve import init, serve, worker
from workers.runtime.settings import Settings


@click.group(help="Pipeline: where council digital teams publish, find and back shared projects.")
def main() -> None:
    from workers.adapters.log_redaction import install

    install()  # every record redacted: werkzeug's request lines carry the tokens of emailed links
    logging.basicConfig(level=Settings.from_env().log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


for command in (
    init,
    serve,
    worker,
    projections,
    operators,
    domains,
    people,
    keys,
    report,
    import_,
    demo,
    events,
    evaluators,
    mail,
):
    main.add_command(command)
