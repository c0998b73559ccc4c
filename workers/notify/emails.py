"""Email bodies: plain text and simple HTML from one pair of templates per message
(``workers/notify/templates/email/NAME.txt`` and ``NAME.html``), then framed with the footer every
message carries: why it came, the one-click unsubscribe link (for kinds one may switch
off) and where to choose what one gets. HTML is escaped by Jinja: titles and update texts
are user text."""

from __future__ import annotations

import html as html_lib
import re
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

URL = re.compile(r"https?://[^\s<>\"]+")


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("workers.notify", "templates/email"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,  # a missing value is a bug, not an empty sentence
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def preferences_url(public_url: str) -> str:
    """The front end's page where a signed-in person chooses what they get."""
    return f"{public_url}/account/notifications"


def render(template: str, **context: Any) -> tuple[str, str]:
    """The text and HTML bodies of message ``template``."""
    env = _environment()
    return env.get_template(f"{template}.txt").render(**context), env.get_template(f"{template}.html").render(**context)


def html_from_text(text: str) -> str:
    """A plain message as HTML: escaped paragraphs, its links made clickable."""
    paragraphs = []
    for block in text.strip().split("\n\n"):
        escaped = html_lib.escape(block)
        linked = URL.sub(lambda m: f'<a href="{m[0]}">{m[0]}</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return "\n".join(paragraphs)


def framed(
    text: str, html: str | None, *, subject: str, unsubscribe_url: str | None, kind_label: str, preferences_url: str
) -> tuple[str, str]:
    """The whole text and HTML message: body, then the footer."""
    env = _environment()
    context = {
        "unsubscribe_url": unsubscribe_url,
        "kind_label": kind_label,
        "preferences_url": preferences_url,
        "subject": subject,
    }
    text_out = text.rstrip() + "\n" + env.get_template("_footer.txt").render(**context)
    body_html = html if html is not None else html_from_text(text)
    html_out = env.get_template("_layout.html").render(body=_Markup(body_html), **context)
    return text_out, html_out


class _Markup(str):
    """A body already escaped (rendered by a template or ``html_from_text``)."""

    def __html__(self) -> str:
        return str(self)
