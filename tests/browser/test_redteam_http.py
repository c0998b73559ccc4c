"""Red team, plain HTTP with a cookie jar: what a hostile browser can post that a real one
would not (forged or missing CSRF tokens, control characters in ``next``, another
organisation's actions), and what the pages must answer (a page, never a 500, and nothing
stored, checked through the API)."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

import pytest
from itsdangerous import base64_decode

from tests.browser.site import Person, Site

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the test reads the Location itself


@dataclass
class Reply:
    status: int
    headers: Any
    text: str

    @property
    def location(self) -> str:
        return str(self.headers.get("Location") or "")

    @property
    def title(self) -> str:
        found = re.search(r"<title>(.*?)</title>", self.text, re.S)
        return found.group(1).strip() if found else ""


@dataclass
class Client:
    """A browser without a browser: a cookie jar, no redirects followed, raw form bodies."""

    site: Site
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def send(self, method: str, path: str, body: bytes | None = None) -> Reply:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _Stay)
        headers = dict(HTML)
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.site.base + path, data=body, method=method, headers=headers)
        try:
            with opener.open(request, timeout=30) as answer:
                return Reply(answer.status, answer.headers, answer.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as refused:
            return Reply(refused.code, refused.headers, refused.read().decode("utf-8", "replace"))

    def get(self, path: str) -> Reply:
        return self.send("GET", path)

    def token(self, path: str = "/sign-in") -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.get(path).text)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def post(self, path: str, fields: dict[str, str], raw: str = "") -> Reply:
        """POST ``fields`` (urlencoded here) and ``raw`` (already encoded: hostile bytes)."""
        body = urllib.parse.urlencode(fields)
        return self.send("POST", path, (body + ("&" + raw if raw else "")).encode())

    def sign_in(self, person: Person, next_raw: str = "") -> Reply:
        query = f"?next={next_raw}" if next_raw else ""
        token = self.token("/sign-in" + query)
        return self.post("/sign-in" + query, {"csrf_token": token, "email": person.email, "password": person.password})


def on_this_site(location: str) -> bool:
    """Where a browser would go: a path here, not another host (it drops tabs and newlines)."""
    cleaned = re.sub(r"[\t\n\r]", "", location)
    parts = urllib.parse.urlsplit(cleaned.replace("\\", "/"))
    return cleaned.startswith("/") and not parts.scheme and not parts.netloc


# ------------------------------------------------------------------ open redirects
HELD = ["//evil.example", "/%5Cevil.example", "https://evil.example/", "javascript:alert(1)", "/%2F/evil.example"]
BROKEN = ["/%09/evil.example", "/%0A/evil.example", "/%0D%0ASet-Cookie:%20x=1"]


@pytest.mark.parametrize("next_raw", HELD + BROKEN)
def test_redteam_sign_in_next_never_leaves_the_site(site: Site, next_raw: str) -> None:
    """``/sign-in?next=/%09/evil.example`` was a 303 to ``//evil.example`` (browsers drop the tab);
    ``next`` with a newline was a 500 after the person had been signed in."""
    someone = site.person("KHL")
    client = Client(site)
    answer = client.sign_in(someone, next_raw)
    assert answer.status == 303, (answer.status, answer.title)
    assert on_this_site(answer.location), answer.location
    assert "evil" not in answer.location
    assert client.get("/account").status == 200  # signed in all the same


def test_redteam_a_panel_action_next_never_leaves_the_site(site: Site) -> None:
    """The participation forms carry ``next`` (where to come back to): a tab in it was an open redirect."""
    owner, follower = site.person("KHL"), site.person("BRE")
    project = site.project(owner)
    client = Client(site)
    client.sign_in(follower)
    token = client.token(f"/projects/{project['id']}")
    answer = client.post(f"/projects/{project['id']}/follow", {"csrf_token": token}, raw="next=/%09/evil.example")
    assert answer.status == 303
    assert answer.location == f"/projects/{project['id']}"
    followers = site.api("GET", f"/api/v1/projects/{project['id']}/followers")
    assert follower.id in [f["person_id"] for f in followers]


def test_redteam_send_the_link_again_back_never_leaves_the_site(site: Site) -> None:
    """``POST /account/verification-email`` with ``back=https://evil.example/`` went there."""
    someone = site.person("BRE", verified=False)
    client = Client(site)
    client.sign_in(someone)
    token = client.token("/account")
    answer = client.post("/account/verification-email", {"csrf_token": token, "back": "https://evil.example/"})
    assert answer.status == 303
    assert on_this_site(answer.location), answer.location


# ------------------------------------------------------------------ CSRF
def test_redteam_page_posts_without_a_good_token_are_refused_and_store_nothing(site: Site) -> None:
    """No token, another session's, a signed-out session's: each a 400 page, nothing stored."""
    owner, someone = site.person("KHL"), site.person("BRE")
    project = site.project(owner)
    pid = project["id"]
    client = Client(site)
    client.sign_in(someone)
    other = Client(site)
    other.sign_in(site.person("MAN"))
    gone = Client(site)
    gone.sign_in(someone)
    gone_token = gone.token("/account")
    assert gone.post("/sign-out", {"csrf_token": gone_token}).status == 303
    tokens = {"none": None, "another session's": other.token("/account"), "signed out": gone_token}
    posts = {
        f"/projects/{pid}/follow": {},
        f"/projects/{pid}/need": {"comment": "We need it"},
        f"/projects/{pid}/pledge": {"money": "100"},
        f"/projects/{pid}/contribution-requests/new": {"message": "Let us help"},
        "/account": {"name": "Renamed by a forged form"},
        "/projects/new": {"title": "Forged project", "summary": "Forged"},
        "/sign-out": {},
    }
    for path, fields in posts.items():
        for kind, token in tokens.items():
            answer = client.post(path, {**fields, **({"csrf_token": token} if token else {})})
            assert answer.status == 400, (path, kind, answer.status)
            assert "Sorry, there is a problem with your request" in answer.title, (path, kind)
    base = f"/api/v1/projects/{pid}"
    assert site.api("GET", f"{base}/followers") == []
    assert site.api("GET", f"{base}/needs") == []
    assert site.api("GET", f"{base}/pledges") == []
    assert site.api("GET", f"{base}/contribution-requests", person=owner) == []
    assert site.api("GET", "/api/v1/me", person=someone)["name"] == someone.name
    assert client.get("/account").status == 200  # still signed in: the forged sign-out did nothing


# ------------------------------------------------------------------ another organisation
def test_redteam_another_organisation_is_refused_every_project_and_admin_action(site: Site) -> None:
    site.person("BRE")  # whoever joins a council first is its admin: the outsider must not be, in any order
    owner, outsider, asker = site.person("KHL"), site.person("BRE"), site.person("MAN")
    title = f"Kept by its team {uuid.uuid4().hex[:6]}"
    project = site.project(owner, title=title)
    pid = project["id"]
    request = site.api("POST", f"/api/v1/projects/{pid}/contribution-requests", {"message": "Me?"}, asker)
    update = site.api("POST", f"/api/v1/projects/{pid}/status-updates", {"body": "Owner's words"}, owner)
    client = Client(site)
    client.sign_in(outsider)
    token = client.token("/account")
    attempts = {
        f"/projects/{pid}/edit": {"title": "Taken over", "summary": "Taken over"},
        f"/projects/{pid}/phase": {"phase": "live"},
        f"/projects/{pid}/goal": {
            "min_partners": "2",
            "money": "100",
            **{"deadline-day": "1", "deadline-month": "1", "deadline-year": "2030"},
        },
        f"/projects/{pid}/archive": {},
        f"/projects/{pid}/contribution-requests/{request['id']}/approve": {},
        f"/projects/{pid}/contribution-requests/{request['id']}/decline": {"reason": "No"},
        f"/projects/{pid}/status-updates/new": {"body": "Not theirs to say"},
        f"/projects/{pid}/status-updates/{update['id']}/edit": {"body": "Rewritten"},
        f"/projects/{pid}/status-updates/{update['id']}/retract": {},
        "/organisations/KHL/admins": {"person_id": outsider.id},
        f"/organisations/KHL/members/{owner.id}/remove": {},
        "/organisations/KHL/domains": {"domain": "taken-over.example.org"},
        "/organisations/KHL/edit": {"website": "https://taken-over.example.org"},
        f"/organisations/KHL/admins/{owner.id}/remove": {},
        "/organisations/KHL/handover": {"person_id": outsider.id},
    }
    for path, fields in attempts.items():
        answer = client.post(path, {"csrf_token": token, **fields})
        assert answer.status == 403, (path, answer.status)
        assert "You cannot do this" in answer.title, path
    after = site.api("GET", f"/api/v1/projects/{pid}")
    assert (after["title"], after["phase"], after.get("goal"), after["archived"]) == (title, "concept", None, False)
    assert [r["decision"] for r in site.api("GET", f"/api/v1/projects/{pid}/contribution-requests", person=owner)] == [
        None
    ]
    updates = site.api("GET", f"/api/v1/projects/{pid}/status-updates")["items"]
    assert [(u["body"], u["retracted"]) for u in updates] == [("Owner's words", False)]
    organisation = site.api("GET", "/api/v1/organisations/KHL")
    assert "taken-over.example.org" not in organisation["domains"]
    assert site.api("GET", "/api/v1/me", person=outsider)["is_organisation_admin"] is False
    assert site.api("GET", "/api/v1/me", person=owner)["membership"] == "member"


# ------------------------------------------------------------------ the session
def api_token_in(client: Client) -> str:
    """The API session token the page cookie holds (signed, not encrypted: readable)."""
    value = next(iter(client.jar)).value
    compressed = value.startswith(".")
    payload = value.removeprefix(".").split(".")[0]
    data = zlib.decompress(base64_decode(payload)) if compressed else base64_decode(payload)
    return str(json.loads(data)["token"])


def test_redteam_a_copied_cookie_ends_with_sign_out_erasure_or_tampering(site: Site) -> None:
    someone = site.person("KHL")
    client = Client(site)
    client.sign_in(someone)
    copy = Client(site)
    for cookie in client.jar:
        copy.jar.set_cookie(cookie)
    assert copy.get("/account").status == 200
    signed_in = Person(someone.name, someone.email, someone.code, token=api_token_in(client))
    site.api("GET", "/api/v1/me", person=signed_in)
    token = client.token("/account")
    assert client.post("/sign-out", {"csrf_token": token}).status == 303
    site.api("GET", "/api/v1/me", person=signed_in, status=401)  # the API token is revoked
    answer = copy.get("/account")
    assert (answer.status, answer.location) == (303, "/sign-in?next=/account")

    erased = site.person("KHL")
    client = Client(site)
    client.sign_in(erased)
    copy = Client(site)
    for cookie in client.jar:
        copy.jar.set_cookie(cookie)
    token = client.token("/account/erase")
    assert client.post("/account/erase", {"csrf_token": token, "password": erased.password}).status == 303
    assert copy.get("/account").location == "/sign-in?next=/account"

    tampered = Client(site)
    tampered.sign_in(site.person("KHL"))
    for cookie in tampered.jar:
        payload, stamp, signature = cookie.value.split(".")
        cookie.value = f"{payload}.{stamp}.{signature[:-2]}AA"
    assert tampered.get("/account").location == "/sign-in?next=/account"


# ------------------------------------------------------------------ long text
def test_redteam_a_description_the_api_takes_is_taken_through_the_page_in_any_script(site: Site) -> None:
    """A 20,000-character description in Chinese is 60 KB of UTF-8, which the API takes; through
    the page it was refused as too large (180 KB percent-encoded in the form, and 120 KB of
    ``\\uXXXX`` escapes in the JSON the page sent on), losing everything typed."""
    owner = site.person("KHL")
    client = Client(site)
    client.sign_in(owner)
    title = f"Long description {uuid.uuid4().hex[:8]}"
    fields = {"csrf_token": client.token("/projects/new"), "title": title, "summary": "A long one."}
    answer = client.post("/projects/new", {**fields, "description": "中" * 20_000})
    assert answer.status == 303, answer.text[:300]
    project_id = answer.location.rsplit("/", 1)[1]
    assert site.api("GET", f"/api/v1/projects/{project_id}")["description"] == "中" * 20_000


def test_redteam_a_form_too_long_for_the_api_comes_back_as_typed_with_what_to_do(site: Site) -> None:
    owner = site.person("KHL")
    client = Client(site)
    client.sign_in(owner)
    mark = uuid.uuid4().hex[:8]
    title = f"Too long {mark}"
    fields = {"csrf_token": client.token("/projects/new"), "title": title, "summary": "Too long."}
    answer = client.post("/projects/new", {**fields, "description": "中" * 30_000})  # 90 KB: over the API's 64 KB
    assert answer.status == 413
    assert "There is a problem" in answer.text and title in answer.text  # the form, as typed
    assert site.api("GET", f"/api/v1/projects?q={mark}")["items"] == []  # nothing stored
