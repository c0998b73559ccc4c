"""Forms: what a browser posted, as the API's JSON; the API's problems, as the GOV.UK error
summary and inline messages. The rules themselves are the API's (no second copy here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import request

from web.pages.api import Answer


@dataclass
class Problems:
    """The GOV.UK error summary (``summary``: text and the field it links to) and the
    message beside each field (``inline``: field name -> text)."""

    summary: list[dict[str, str]] = field(default_factory=list)
    inline: dict[str, str] = field(default_factory=dict)
    parts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a date's wrong parts (day, month, year)

    def __bool__(self) -> bool:
        return bool(self.summary)

    def add(self, name: str | None, text: str) -> None:
        self.summary.append({"text": text, "href": f"#{field_id(name)}"} if name else {"text": text})
        if name:
            self.inline.setdefault(name, text)

    def message(self, name: str) -> dict[str, str] | None:
        """The ``errorMessage`` argument of a GOV.UK macro for ``name`` (None: no error)."""
        text = self.inline.get(name)
        return {"text": text} if text else None


def field_id(name: str) -> str:
    """The id of a field's input: ``contributions.0.role`` -> ``contributions-0-role``."""
    return name.replace(".", "-").replace("_", "-")


def _flatten(errors: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(errors, dict):
        pairs: list[tuple[str, str]] = []
        for key, value in errors.items():
            pairs += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return pairs
    if isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors):
        return [(prefix, errors[0])]
    if isinstance(errors, list):
        return [pair for e in errors for pair in _flatten(e, prefix)]
    return [(prefix, str(errors))]


WHOLE_FORM = ("_schema", "_body", "_", "")


def problems_of(answer: Answer, rename: dict[str, str] | None = None) -> Problems:
    """The API's refusal as a page's problems, in the API's words: its messages name their
    field already ("Enter a title", :mod:`web.messages`). ``rename`` maps an API field
    to the form field that holds it (when they differ)."""
    found = Problems()
    for name, text in _flatten(answer.errors):
        name = (rename or {}).get(name, name)
        found.add(None if name in WHOLE_FORM else name, text)
    if not found:
        found.add(None, answer.detail)
    return found


def text(name: str) -> str | None:
    """A posted text field, trimmed; None when left empty (the API then keeps or defaults it)."""
    value = request.form.get(name, "").strip()
    return value or None


def number(name: str) -> Any:
    """A posted number: an int or a decimal string when it looks like one, else the text as
    typed (so the API's validation names the field, not a conversion here)."""
    value = request.form.get(name, "").strip().replace(",", "")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return value


def words(name: str) -> list[str]:
    """A comma-separated field as a list (tags, skills)."""
    return [part.strip() for part in request.form.get(name, "").split(",") if part.strip()]


def present(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` without the fields left empty."""
    return {k: v for k, v in body.items() if v is not None and v != []}
