"""Account pages: sign up, verify, sign in and out, reset, profile, notifications, erasure.

Every rule (what a password must be, who may change what, how many tries) is the API's:
these pages post what was typed and show what the API answered."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from flask import Blueprint, Response, redirect, render_template, request, session

from web.pages import api, errors, flow
from web.pages.api import Answer, me
from web.pages.forms import Problems, problems_of, text

bp = Blueprint("account", __name__)


# The kinds of organisation someone may name when theirs is not listed (councils come from the register).
NEW_KINDS = [
    ("association", "Association"),
    ("central_government", "Central government"),
    ("public_body", "Public body"),
    ("supplier", "Supplier"),
    ("community", "Community group"),
]
FREQUENCIES = [
    ("immediate", "Each email as it happens"),
    ("daily", "A daily digest"),
    ("weekly", "A weekly digest"),
]
ORGANISATION_FIELDS = {"organisation_id": "organisation", "organisation_code": "organisation"}
MAX_PAGES = 10  # of 500 organisations each: the register is about 400 councils


# ------------------------------------------------------------------ helpers
def organisation_options(selected: str | None = None) -> list[dict[str, Any]]:
    """The organisations to choose from (current ones, by name), as GOV.UK select items."""
    items: list[dict[str, Any]] = [{"value": "", "text": "Choose your organisation"}]
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        answer = api.get("/api/v1/organisations", limit=500, current="true", cursor=cursor)
        if not answer.ok:
            break
        for org in answer.body["items"]:
            items.append({"value": org["id"], "text": org["name"], "selected": org["id"] == selected})
        following = answer.body.get("next")
        if not following:
            break
        cursor = parse_qs(urlparse(following).query).get("cursor", [None])[0]
    return items


def organisation_choice() -> dict[str, Any]:
    """The organisation the form names: one from the list, or one typed in (with its kind)."""
    chosen, typed = text("organisation"), text("organisation_name")
    if typed:
        return {"organisation_name": typed, "organisation_kind": text("organisation_kind")}
    return {"organisation_id": chosen} if chosen else {}


def problems_from(answer: Answer, rename: dict[str, str] | None = None) -> Problems:
    """The API's refusal as the form's problems; an organisation the API could not resolve
    from a typed name points at that name."""
    if not answer.errors and isinstance(answer.body, dict) and "candidates" in answer.body:
        found = Problems()
        found.add("organisation_name", answer.detail)
        return found
    if not answer.errors and answer.status == 409:  # the address is someone else's already
        found = Problems()
        found.add("email", answer.detail)
        return found
    found = problems_of(answer, rename=rename)
    for item in found.summary:  # "Incorrect." beside the field; the summary says what was wrong
        if item["text"] == "Incorrect.":
            item["text"] = answer.detail
    return found


def show(template: str, answer: Answer | None = None, rename: dict[str, str] | None = None, **context: Any) -> Response:
    """Like ``flow.form``, but a refusal that names fields (403 on a wrong current password,
    for one) is shown on the form, and a 429 keeps its page with Retry-After."""
    if answer is None or answer.ok:
        return flow.form(template, None, **context)
    if answer.status in (400, 403, 409, 422) and (answer.errors or answer.status != 403):
        context.setdefault("values", request.form)
        body = render_template(template, problems=problems_from(answer, rename), **context)
        return Response(body, answer.status, mimetype="text/html")
    return flow.refused(answer)


# ------------------------------------------------------------------ sign up
@bp.route("/sign-up", methods=["GET", "POST"])
def sign_up() -> Response:
    if request.method == "GET":
        return show("pages/account/sign_up.html", organisations=organisation_options(), kinds=NEW_KINDS)
    body = {
        "name": text("name"),
        "email": text("email"),
        "job_title": text("job_title"),
        "password": request.form.get("password", ""),
        **organisation_choice(),
    }
    answer = api.post("/api/v1/people", {k: v for k, v in body.items() if v is not None})
    if not answer.ok:
        return show(
            "pages/account/sign_up.html",
            answer,
            rename=ORGANISATION_FIELDS,
            organisations=organisation_options(text("organisation")),
            kinds=NEW_KINDS,
        )
    # Signed in at once (unverified), so the next page can send the link again if it is lost.
    started = api.post("/api/v1/sessions", {"email": body["email"], "password": body["password"]})
    session.clear()
    if started.ok:
        session[api.TOKEN] = started.body["token"]
        session.permanent = True
    session["signed_up_email"] = body["email"]
    return redirect("/sign-up/check-email", 303)  # type: ignore[return-value]


@bp.get("/sign-up/check-email")
def check_email() -> Response:
    address = session.get("signed_up_email") or (me() or {}).get("email")
    return flow.form("pages/account/check_email.html", address=address)


# ------------------------------------------------------------------ verify
@bp.route("/verify-email", methods=["GET", "POST"])
def verify_email() -> Response:
    if request.method == "GET":
        token = request.args.get("token", "")
        return flow.form("pages/account/verify_email.html", token=token)
    answer = api.post("/api/v1/email-verifications", {"token": request.form.get("token", "")})
    if answer.status in (400, 422):
        return errors.page(
            422,
            "This link is not valid: it may have been used already or have expired. "
            "Sign in and ask for a new link from your account page.",
            title="This link does not work",
        )
    if not answer.ok:
        return flow.refused(answer)
    session.pop("signed_up_email", None)
    return flow.done("Your email address is verified.", "/account" if me() else "/sign-in")


@bp.post("/account/verification-email")
def resend_verification() -> Response:
    person = me()
    if person is None:
        return flow.sign_in_first()
    answer = api.post("/api/v1/me/verification-email")
    if answer.status == 409:
        return flow.done("Your email address is already verified.", "/account")
    if not answer.ok:
        return flow.refused(answer)
    return flow.done(
        f"We have sent a new link to {person['email']}.", flow.safe_next(request.form.get("back"), "/account")
    )


@bp.route("/undo-email-change", methods=["GET", "POST"])
def undo_email_change() -> Response:
    """The "this wasn't me" link mailed to the address an account gave up."""
    if request.method == "GET":
        return flow.form("pages/account/undo_email_change.html", token=request.args.get("token", ""))
    answer = api.post("/api/v1/email-changes/undo", {"token": request.form.get("token", "")})
    if answer.status in (400, 422):
        return errors.page(
            422,
            "This link is not valid: it may have been used already or have expired.",
            title="This link does not work",
        )
    if not answer.ok:
        return flow.refused(answer)
    session.clear()  # every session of the account was signed out
    if answer.body.get("address_restored"):
        return flow.done(
            "The change is undone: the account has this address back, every session is signed out and its "
            "password is removed. Ask for a password reset link to choose a new one.",
            "/reset-password",
        )
    return flow.done(
        "Every session of the account is signed out and its password is removed, but someone else now holds "
        "this address, so it could not be given back. Contact the service's operators.",
        "/",
    )


# ------------------------------------------------------------------ sign in and out
@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response:
    target = flow.safe_next(request.values.get("next"), "/account")
    if request.method == "GET":
        return flow.form("pages/account/sign_in.html", next=target)
    answer = api.post("/api/v1/sessions", {"email": text("email") or "", "password": request.form.get("password", "")})
    if answer.status == 401:
        problems = Problems()
        problems.add("email", "Enter a correct email address and password.")
        body = render_template("pages/account/sign_in.html", problems=problems, values=request.form, next=target)
        return Response(body, 401, mimetype="text/html")
    if not answer.ok:
        return show("pages/account/sign_in.html", answer, next=target)
    session.clear()  # a new session for a new sign-in (no fixation)
    session[api.TOKEN] = answer.body["token"]
    session.permanent = True
    return flow.done("You are signed in.", target)


@bp.route("/sign-out", methods=["GET", "POST"])
def sign_out() -> Response:
    if request.method == "GET":
        if me() is None:
            return redirect("/", 303)  # type: ignore[return-value]
        return flow.form("pages/account/sign_out.html")
    if session.get(api.TOKEN):
        api.call("DELETE", "/api/v1/sessions/current")  # an already ended session is fine too
    session.clear()
    return flow.done("You have signed out.", "/")


# ------------------------------------------------------------------ password reset
@bp.route("/reset-password", methods=["GET", "POST"])
def reset_password() -> Response:
    token = request.values.get("token", "")
    if request.method == "GET":
        template = "pages/account/new_password.html" if token else "pages/account/reset_password.html"
        return flow.form(template, token=token)
    if not token:
        answer = api.post("/api/v1/password-resets", {"email": text("email") or ""})
        if not answer.ok:
            return show("pages/account/reset_password.html", answer, token="")
        session["reset_email"] = text("email")
        return redirect("/reset-password/sent", 303)  # type: ignore[return-value]
    answer = api.post(
        "/api/v1/password-resets/confirm", {"token": token, "new_password": request.form.get("new_password", "")}
    )
    if not answer.ok and "token" in answer.errors:
        return errors.page(
            422,
            "This link is not valid: it may have been used already or have expired. Ask for a new one.",
            title="This link does not work",
        )
    if not answer.ok:
        return show("pages/account/new_password.html", answer, rename={"password": "new_password"}, token=token)
    session.clear()  # every session was signed out
    return flow.done("Your password has been changed. Sign in with your new password.", "/sign-in")


@bp.get("/reset-password/sent")
def reset_sent() -> Response:
    return flow.form("pages/account/reset_sent.html", address=session.get("reset_email"))


# ------------------------------------------------------------------ your account
@bp.route("/account", methods=["GET", "POST"])
def account() -> Response:
    person = me()
    if person is None:
        return flow.sign_in_first()
    org = person.get("organisation") or {}
    if request.method == "GET":
        values = {"name": person["name"], "job_title": person.get("job_title") or "", "email": person["email"]}
        return flow.form(
            "pages/account/account.html",
            values=values,
            organisations=organisation_options(org.get("id")),
            kinds=NEW_KINDS,
        )
    changes: dict[str, Any] = {}
    for name in ("name", "email"):
        typed = text(name)
        if typed != person.get(name):
            changes[name] = typed or ""
    if (text("job_title") or None) != (person.get("job_title") or None):
        changes["job_title"] = text("job_title")
    choice = organisation_choice()
    if choice and choice.get("organisation_id") != org.get("id"):
        changes.update(choice)
    if not changes:
        return flow.done("Nothing to change: your details are as they were.", "/account")
    if "email" in changes and request.form.get("current_password"):  # the API asks for it for a new address
        changes["current_password"] = request.form["current_password"]
    answer = api.call("PATCH", "/api/v1/me", changes)
    if not answer.ok:
        return show(
            "pages/account/account.html",
            answer,
            rename=ORGANISATION_FIELDS,
            organisations=organisation_options(text("organisation")),
            kinds=NEW_KINDS,
        )
    message = "Your details have been saved."
    if "email" in changes:
        message += f" We have sent a link to {changes['email']}: follow it to verify your new address."
    return flow.done(message, "/account")


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> Response:
    if me() is None:
        return flow.sign_in_first()
    if request.method == "GET":
        return flow.form("pages/account/password.html")
    body = {
        "current_password": request.form.get("current_password", ""),
        "new_password": request.form.get("new_password", ""),
    }
    answer = api.call("PUT", "/api/v1/me/password", body)
    if not answer.ok:
        # The API names the current password "password" when it is wrong, and the new one
        # "password" when the policy refuses it: which one is told by the status.
        wrong = "current_password" if answer.status == 403 else "new_password"
        return show("pages/account/password.html", answer, rename={"password": wrong})
    return flow.done("Your password has been changed. Your other sessions have been signed out.", "/account")


# ------------------------------------------------------------------ notifications
def _notification_problems(answer: Answer) -> Problems:
    """The API's nested names (``interests.tags.0``, ``kinds.pledge``) as this form's fields."""
    found = Problems()

    def walk(errors: Any, name: str) -> None:
        if isinstance(errors, dict):
            for key, value in errors.items():
                walk(value, f"{name}.{key}" if name else str(key))
        elif isinstance(errors, list) and errors and not all(isinstance(e, str) for e in errors):
            for value in errors:
                walk(value, name)
        else:
            message = errors[0] if isinstance(errors, list) and errors else str(errors)
            head = name.split(".")
            if head[0] == "interests" and len(head) > 1:
                field = head[1]
            elif head[0] in ("interests",):
                field = "tags"
            elif head[0] in ("frequency", "kinds"):
                field = head[0]
            else:
                field = ""
            found.add(field or None, message)

    walk(answer.errors, "")
    if not found:
        found.add(None, answer.detail)
    return found


@bp.route("/account/notifications", methods=["GET", "POST"])
def notifications() -> Response:
    if me() is None:
        return flow.sign_in_first()
    current = api.get("/api/v1/me/notifications")
    if not current.ok:
        return flow.refused(current)
    choices = current.body
    context = {"choices": choices, "frequencies": FREQUENCIES}
    if request.method == "GET":
        values = {
            "frequency": choices["frequency"],
            "kinds": [k["name"] for k in choices["kinds"] if k["on"]],
            "tags": ", ".join(choices["interests"]["tags"]),
            "words": ", ".join(choices["interests"]["words"]),
        }
        return flow.form("pages/account/notifications.html", values=values, **context)
    ticked = set(request.form.getlist("kinds"))
    body = {
        "frequency": text("frequency") or choices["frequency"],
        "kinds": {k["name"]: k["name"] in ticked for k in choices["kinds"] if k["switchable"]},
        "interests": {
            "tags": [t.strip() for t in request.form.get("tags", "").split(",") if t.strip()],
            "words": request.form.get("words", "").replace(",", " ").split(),
        },
    }
    answer = api.call("PUT", "/api/v1/me/notifications", body)
    if answer.ok:
        return flow.done("Your email choices have been saved.", "/account/notifications")
    if answer.status in (400, 403, 422):
        values = {
            "frequency": body["frequency"],
            "kinds": sorted(ticked),
            "tags": request.form.get("tags", ""),
            "words": request.form.get("words", ""),
        }
        page = render_template(
            "pages/account/notifications.html", problems=_notification_problems(answer), values=values, **context
        )
        return Response(page, answer.status, mimetype="text/html")
    return flow.refused(answer)


# ------------------------------------------------------------------ erasure
@bp.route("/account/erase", methods=["GET", "POST"])
def erase() -> Response:
    if me() is None:
        return flow.sign_in_first()
    if request.method == "GET":
        return flow.form("pages/account/erase.html")
    answer = api.call("DELETE", "/api/v1/me", {"password": request.form.get("password", "")})
    if not answer.ok:
        return show("pages/account/erase.html", answer)
    session.clear()
    session["erased"] = True
    return redirect("/account/erased", 303)  # type: ignore[return-value]


@bp.get("/account/erased")
def erased() -> Response:
    if not session.pop("erased", False):
        return redirect("/", 303)  # type: ignore[return-value]
    return flow.form("pages/account/erased.html")
