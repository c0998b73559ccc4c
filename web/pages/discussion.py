"""The discussion on a project's page: the thread (``pages/discussion/_thread.html``, which
the project page includes), and the forms to comment, reply, edit one's own comment and,
for operators, hide one with a reason (or show it again). Plain forms: everything works without JavaScript.

Every read and write is an API call (:mod:`web.pages.api`); who may edit or hide is the
API's decision, the thread only leaves out links that could not work."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from markupsafe import Markup, escape

from domain.comment import MENTION, MENTION_HELP
from web.pages import api, results
from web.pages.api import me
from web.pages.flow import body_of, form_page, safe_next, signed_in
from web.pages.forms import text

bp = Blueprint("discussion", __name__)
THREADS_A_PAGE = 20  # a thread is a first comment with all its replies: pages never split one
LABELS = {"body": "Comment", "parent_id": "Comment", "reason": "Reason"}


@bp.app_template_global()
def discussion_for(project: dict[str, Any]) -> dict[str, Any]:
    """One page of the project's threads (``?page=``, ``THREADS_A_PAGE`` threads each, whole), in
    order, with GOV.UK pagination, and what the viewer may do in it."""
    number = results.page_number(request.args.get("page"))
    window = results.window(number, THREADS_A_PAGE)
    answer = api.get(f"/api/v1/projects/{project['id']}/comments", **window, **api.fresh())
    body = (answer.body or {}) if answer.ok else {}
    total = int(body.get("total") or 0)
    path = f"/projects/{project['id']}"
    person = me()
    return {
        "comments": list(body.get("items") or []),
        "pagination": _anchored(results.pagination(path, request.args, number, total, THREADS_A_PAGE)),
        "here": path + results.query_of(request.args, page=number if number > 1 else None),
        "after_posting": path + results.query_of({}, page=_last_page(total + 1)) + "#discussion",
        "me_id": str(person["id"]) if person else None,
        "operator": bool(person and person.get("is_operator")),
        "mention_help": MENTION_HELP,
    }


def _last_page(threads: int) -> int | None:
    """The page on which the last of ``threads`` shows (None: the first, which needs no ``page=``)."""
    last = max(1, -(-threads // THREADS_A_PAGE))
    return last if last > 1 else None


def _anchored(pagination: dict[str, Any] | None) -> dict[str, Any] | None:
    """The pagination's links lead to the discussion, not the top of the project page."""
    if pagination is None:
        return None
    for link in [*pagination["items"], pagination.get("previous"), pagination.get("next")]:
        if link and link.get("href"):
            link["href"] += "#discussion"
    return {**pagination, "landmarkLabel": "Pages of the discussion"}


@bp.app_template_filter("comment_text")
def comment_text(comment: dict[str, Any]) -> Markup:
    """The comment's text, escaped, with each organisation it mentions linked to its page."""
    body = str(comment.get("body") or "")
    linked = {str(m["label"]): str(m["organisation_id"]) for m in comment.get("mentions") or []}
    out, at = Markup(""), 0
    for match in MENTION.finditer(body):
        org = linked.get(match.group(1).strip())
        if org is None:
            continue
        out += escape(body[at : match.start()])
        out += Markup('<a class="govuk-link" href="/organisations/{}">@{}</a>').format(org, match.group(1).strip())
        at = match.end()
    return out + escape(body[at:])


def _back(pid: Any, anchor: str = "discussion") -> str:
    return safe_next(request.values.get("next"), f"/projects/{pid}#{anchor}")


def _project(pid: Any) -> dict[str, Any]:
    project: dict[str, Any] = body_of(api.get(f"/api/v1/projects/{pid}", **api.fresh()))
    return project


def _comment(cid: Any) -> dict[str, Any]:
    comment: dict[str, Any] = body_of(api.get(f"/api/v1/comments/{cid}", **api.fresh()))
    return comment


@bp.route("/projects/<uuid:pid>/comments/new", methods=["GET", "POST"])
def post_comment(pid: Any) -> Response:
    """Comment on the project, or reply (``reply_to``) to one of its comments."""
    signed_in()
    reply_to = request.values.get("reply_to") or None
    parent = _comment(reply_to) if reply_to else None
    sent = {"body": text("body") or "", **({"parent_id": reply_to} if reply_to else {})}
    return form_page(
        "pages/discussion/comment.html",
        lambda: api.post(f"/api/v1/projects/{pid}/comments", sent),
        "Your reply is posted." if parent else "Your comment is posted.",
        _back(pid),
        project=_project(pid),
        parent=parent,
        comment=None,
        back=_back(pid),
        labels=LABELS,
        mention_help=MENTION_HELP,
    )


@bp.route("/comments/<uuid:cid>/edit", methods=["GET", "POST"])
def edit_comment(cid: Any) -> Response:
    """The author edits their comment; every earlier version stays readable."""
    signed_in()
    comment = _comment(cid)
    return form_page(
        "pages/discussion/comment.html",
        lambda: api.call("PATCH", f"/api/v1/comments/{cid}", {"body": text("body") or ""}),
        "Your comment is changed.",
        _back(comment["project_id"], f"comment-{cid}"),
        project=_project(comment["project_id"]),
        parent=None,
        comment=comment,
        back=_back(comment["project_id"], f"comment-{cid}"),
        labels=LABELS,
        mention_help=MENTION_HELP,
        values=request.form if request.method == "POST" else {"body": comment.get("body") or ""},
    )


@bp.route("/comments/<uuid:cid>/hide", methods=["GET", "POST"], defaults={"unhide": False})
@bp.route("/comments/<uuid:cid>/unhide", methods=["GET", "POST"], defaults={"unhide": True})
def hide_comment(cid: Any, unhide: bool) -> Response:
    """An operator hides a comment, giving the reason shown in its place, or shows it again."""
    signed_in()
    comment = _comment(cid)
    action = "unhide" if unhide else "hide"
    return form_page(
        "pages/discussion/hide.html",
        lambda: api.post(f"/api/v1/comments/{cid}/{action}", {"reason": text("reason") or ""}),
        "The comment shows again." if unhide else "The comment is hidden.",
        _back(comment["project_id"], f"comment-{cid}"),
        project=_project(comment["project_id"]),
        comment=comment,
        back=_back(comment["project_id"], f"comment-{cid}"),
        labels=LABELS,
        unhide=unhide,
    )
