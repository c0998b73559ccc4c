"""How a page answers after calling the API: Post/Redirect/Get on success, the form again
with the GOV.UK error summary on a refusal about its fields, the sign-in page when the
session has ended, an error page for anything else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import Response, abort, flash, make_response, redirect, render_template, request

from web.pages import dates, errors
from web.pages.api import Answer, me
from web.pages.forms import Problems, problems_of

FIELD_PROBLEMS = (400, 409, 413, 422)  # answers that name what to correct in the form (413: shorten it)


def done(message: str, to: str) -> Response:
    """Success: say so on the next page (a GOV.UK success banner) and go there (PRG)."""
    flash(message, "success")
    return redirect(to, 303)  # type: ignore[return-value]


def sign_in_first() -> Response:
    return redirect("/sign-in?next=" + quote(request.full_path.rstrip("?"), safe="/"), 303)  # type: ignore[return-value]


def safe_next(target: str | None, default: str = "/") -> str:
    """A ``next`` address to go to after signing in: only a path on this site. Browsers drop
    tabs and newlines from an address (``/<TAB>/evil.example`` is ``//evil.example``), and a
    newline cannot go in a header at all, so an address holding any control character is
    refused too."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return default
    return target


def refused(answer: Answer) -> Response:
    """An answer that is not about a form's fields, as a page."""
    if answer.status == 401:
        return sign_in_first()
    response = errors.page(answer.status, answer.detail)
    if answer.headers.get("Retry-After"):
        response.headers["Retry-After"] = answer.headers["Retry-After"]
    return response


def form(template: str, answer: Answer | None = None, status: int = 200, **context: Any) -> Response:
    """Render a form page; with a refused ``answer``, with its problems (and the API's status)."""
    problems: Problems | None = None
    typed_dates = context.pop("dates", [])
    if answer is not None and not answer.ok:
        if answer.status not in FIELD_PROBLEMS:
            return refused(answer)
        context.pop("labels", None)  # the API's messages name their fields themselves
        problems = dates.correct(problems_of(answer, context.pop("rename", None)), typed_dates)
        status = answer.status
    context.setdefault("values", request.form)
    return make_response(render_template(template, problems=problems, **context), status)


def signed_in() -> dict[str, Any]:
    """The signed-in person; anyone else is sent to sign in first (the request ends here)."""
    person = me()
    if person is None:
        abort(sign_in_first())
    return person


def body_of(answer: Answer) -> Any:
    """What the API answered; a refusal ends the request with its page."""
    if not answer.ok:
        abort(refused(answer))
    return answer.body


def form_page(template: str, send: Callable[[], Answer], success: str, to: str, **context: Any) -> Response:
    """A form page: GET shows it; POST calls ``send`` (one API call) and answers with
    Post/Redirect/Get to ``to``, or the form again with the API's problems."""
    if request.method == "GET":
        return form(template, **context)
    answer = send()
    if answer.ok:
        return done(success, to)
    return form(template, answer, **context)
