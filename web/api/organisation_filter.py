"""The ``organisation`` filter of the lists (projects, the CSV export, people, activity):
a register code, an organisation id, or a name as people type it.

A name is resolved by the same rules as at sign-up (``PipelineApplication.resolve_organisation``:
case, punctuation, "&"/"and" and words such as Council ignored; look-alike spellings refused),
never by creating anything. A value that names no organisation, or more than one, is a 422
problem naming the value (with ``candidates`` where there are some), never an empty list that
looks like "no projects"."""

from __future__ import annotations

from uuid import UUID

from domain.errors import NotFound, OrganisationNotResolved
from domain.inputs import OrganisationRef
from domain.organisation import council_id
from web.api.common import runtime

DESCRIPTION = "Register code (KTT), organisation id, or name as people type it (Leeds); 422 if it names none"


def refused(value: str, detail: str, candidates: list[dict[str, object]], field: str) -> OrganisationNotResolved:
    error = OrganisationNotResolved(detail, candidates)
    error.extra["errors"] = {field: [detail]}
    error.extra["value"] = value
    return error


def organisation_filter(value: str, field: str = "organisation") -> str:
    """The id of the organisation ``value`` names; a 422 problem when it names none or several."""
    rt = runtime()
    value = value.strip()
    try:
        wanted = UUID(value)
    except ValueError:
        pass
    else:
        try:
            rt.app.get_organisation(wanted)  # the store, not a view that may not have it yet
        except NotFound:
            raise refused(value, f"No organisation has the id '{value}'.", [], field) from None
        return str(wanted)
    if value.upper() in rt.app.council_codes:
        return str(council_id(value))
    try:
        org, _new = rt.app.resolve_organisation(OrganisationRef(name=value), create=False)
    except OrganisationNotResolved as error:
        candidates = list(error.extra.get("candidates") or [])
        detail = {
            "ambiguous": f"'{value}' matches more than one organisation: choose one by its register code.",
            "lookalike": error.detail,
        }.get(error.reason, f"No organisation called '{value}'.")
        raise refused(value, detail, candidates, field) from None
    return str(org.id)
