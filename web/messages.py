"""The one table of error messages, in GOV.UK's words, for the API and the pages alike.

A message is chosen by (field, kind of error): a line of :data:`SPECIFIC` when a field needs
its own words ("Enter a title"), else the fallback for that kind of error on that kind of
field (:data:`FALLBACK`), which names the field (:data:`NAMES`). :func:`bind` writes them
into a field and its validators when a schema binds it (``InputSchema.on_bind_field``), so
marshmallow's own wording ("Missing data for required field.", "Not a valid integer.")
never reaches an answer, and the pages show what the API said: the page has no second copy.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

NAMES: dict[str, str] = {  # how a sentence names a field, after "the"
    "phase_start": "phase start date",
    "phase_end": "phase end date",
    "phase_dates_estimated": "answer to whether the phase dates are estimates",
    "next_assessment": "next service assessment date",
    "key_contact_id": "key contact",
    "budget_band": "budget",
    "collaboration_level": "collaboration level",
    "min_partners": "number of partner organisations",
    "days": "staff time",
    "money": "money",
    "body": "text",
    "q": "search words",
    "updated_since": "'updated since' date",
    "updated_until": "'updated until' date",
    "organisation_kind": "kind of organisation",
    "goal_state": "goal",
    "include_archived": "choice about archived projects",
    "limit": "number of results per page",
    "cursor": "page",
    "as_of": "'as of' date and time",
    "prototype": "prototype link",
    "repository": "code repository link",
    "blog": "blog link",
    "new_password": "new password",
    "forgotten_days": "number of days after which a project counts as forgotten",
    "from": "'from' date",  # the engagement report's period
    "to": "'to' date",
    "until": "'until' value",  # the event log's
    "types": "event types",
}

CHOICES: dict[str, str] = {  # the words a person reads for the API's codes (pages, and "Select" messages)
    # phases
    "concept": "Concept",
    "discovery": "Discovery",
    "alpha": "Alpha",
    "beta": "Beta",
    "live": "Live",
    "decommissioned": "Decommissioned",
    # budget bands
    "unknown": "Unknown",
    "0-50k": "Up to £50,000",
    "50k-100k": "£50,000 to £100,000",
    "100k-250k": "£100,000 to £250,000",
    "250k-500k": "£250,000 to £500,000",
    "500k-1m": "£500,000 to £1 million",
    # collaboration levels
    "share_ideas": "Share ideas",
    "open_to_conversation": "Open to conversation",
    "share_funding": "Share funding",
    # organisation kinds
    "council": "Council",
    "association": "Association",
    "central_government": "Central government",
    "public_body": "Public body",
    "supplier": "Supplier",
    "community": "Community",
    # goal states
    "none": "No goal",
    "open": "Open",
    "met": "Met",
    "missed": "Missed",
    # sorts
    "relevance": "Best match (needs search words)",
    "updated": "Recently updated",
    "created": "Newest",
    "title": "Title (A to Z)",
    "pledged": "Most pledged",
    "deadline": "Goal deadline (soonest first)",
}

SPECIFIC: dict[tuple[str, str], str] = {
    ("title", "required"): "Enter a title",
    ("summary", "required"): "Enter a summary",
    ("name", "required"): "Enter your full name",
    ("email", "required"): "Enter an email address",
    ("password", "required"): "Enter a password",
    ("body", "required"): "Enter some text",
    ("phase", "required"): "Select a phase",
    ("deadline", "required"): "Enter a deadline",
    ("deadline", "past"): "Enter a deadline in the future",  # said by the goal's rule too
    ("deadline", "too_far"): "Enter a deadline within the next ten years",
    ("phase_end", "before_start"): "The phase end date must be the same as or after the phase start date",
    ("as_of", "required"): "Enter the 'as of' date and time, or leave it out for the present",
    (
        "until",
        "invalid",
    ): "The 'until' value must be a log position, like 1200, or a date and time, like 2015-03-31T23:59:59Z",
    ("types", "unknown_type"): "There is no event type called {unknown}: choose from {known}",
    ("to", "before_start"): "The 'to' date must be the same as or after the 'from' date",
    ("chart", "unknown_chart"): "There is no chart called {chart}: the charts are {charts}",
}

# kind of field -> kind of error -> message; "{name}" is the field's name, "{Name}" capitalised.
FALLBACK: dict[str, dict[str, str]] = {
    "any": {
        "required": "Enter the {name}",
        "null": "Enter the {name}",
        "blank": "Enter the {name}",
        "invalid": "Enter the {name} in the correct format",
        "validator_failed": "Enter the {name} in the correct format",
        "too_long": "The {name} must be {max} characters or fewer",
        "too_short": "The {name} must be {min} characters or more",
        "length": "The {name} must be between {min} and {max} characters",
        "too_many": "Give no more than {max} {name}",
        "range": "The {name} must be between {min} and {max}",
        "choice": "Select the {name} from the list: {choices}",
        "out_of_range": "The {name} must be between 1900 and 2199",
        "too_large": "The {name} is too large",
        "whole": "The {name} must be a whole number, like 3",
        "too_far": "The {name} is too far ahead",
        "unknown": "Remove this field: it is not one this request takes",
        "type": "Send the fields as a JSON object",
    },
    "text": {"invalid": "The {name} must be text", "invalid_utf8": "The {name} must be text"},
    "number": {"invalid": "The {name} must be a number, like 3 or 3.5", "special": "The {name} must be a number"},
    "whole": {"invalid": "The {name} must be a whole number, like 3"},
    "amount": {
        "invalid": "The {name} must be a number, like 2500 or 2500.50",
        "decimals": "The {name} must have no more than two decimal places, like 2500.50",
        "range": "The {name} must be between 0 and {max}",
    },
    "date": {
        "missing": "The {name} must include a {parts}",  # the pages' day, month and year fields
        "real": "The {name} must be a real date",
        "invalid": "The {name} must be a real date, like 2027-03-31",
        "format": "The {name} must be a real date, like 2027-03-31",
    },
    "moment": {
        "invalid": "The {name} must be a real date and time, like 2027-03-31T17:00:00Z",
        "invalid_awareness": "The {name} must say its time zone, like 2027-03-31T17:00:00+01:00 or ending in Z",
        "format": "The {name} must be a real date and time, like 2027-03-31T17:00:00Z",
        "zone": "The {name} must say its time zone, like 2027-03-31T17:00:00+01:00 or ending in Z",
        "clock": "Enter the time of the {name} like 5:30pm or 17:30",
        "future": "The {name} must be now or in the past",
    },
    "period": {  # a date or a date and time (the engagement report's from and to)
        "invalid": (
            "The {name} must be a real date, like 2027-03-31, or a date and time, like 2027-03-31T09:30:00+01:00"
        ),
        "real": "The {name} must be a real date",
        "too_far": "The {name} is too far in the past or the future",
    },
    "email": {"invalid": "Enter an email address in the correct format, like name@example.gov.uk"},
    "url": {"invalid": "Enter the {name} as a full web address, like https://www.example.gov.uk"},
    "id": {"invalid_uuid": "The {name} must be an id, like 3fa85f64-5717-4562-b3fc-2c963f66afa6"},
    "yes_no": {"invalid": "The {name} must be yes or no (true or false)"},
    "list": {"invalid": "The {name} must be a list"},
    "group": {
        "type": "The {name} must be a set of named values",
        "invalid": "The {name} must be a set of named values",
    },
}

VALIDATOR_KINDS = {"too_long", "too_short", "length", "too_many", "range", "choice", "missing"}  # need values

_FAMILIES: tuple[tuple[type[fields.Field], str], ...] = (
    (fields.Email, "email"),
    (fields.Url, "url"),
    (fields.UUID, "id"),
    (fields.Boolean, "yes_no"),
    (fields.Integer, "whole"),
    (fields.Number, "number"),
    (fields.DateTime, "moment"),
    (fields.Date, "date"),
    (fields.List, "list"),
    (fields.Nested, "group"),
    (fields.Mapping, "group"),
    (fields.String, "text"),
)


def name_of(key: str) -> str:
    return NAMES.get(key, key.replace("_", " "))


def family_of(field: fields.Field) -> str:
    """What kind of value ``field`` holds, for its fallback messages."""
    declared = getattr(field, "message_family", None)
    if isinstance(declared, str):
        return declared
    return next((family for kind, family in _FAMILIES if isinstance(field, kind)), "any")


def message(key: str, kind: str, family: str = "any", **values: Any) -> str:
    """The message for ``kind`` of error on field ``key`` (of kind ``family``)."""
    same = "required" if kind in ("null", "blank") else kind  # an empty value is a missing one
    template = SPECIFIC.get((key, kind)) or SPECIFIC.get((key, same)) or FALLBACK.get(family, {}).get(kind)
    template = template or FALLBACK["any"].get(kind)
    if template is None:
        template = FALLBACK["any"]["invalid"]
    name = name_of(key)
    return template.format_map({**values, "name": name, "Name": name[:1].upper() + name[1:]})


def in_words(choices: Any) -> str:
    """The API's codes as a person reads them: "Concept, Alpha or Beta" (:data:`CHOICES`)."""
    said = [CHOICES.get(str(code), str(code).replace("_", " ")) for code in choices]
    return said[0] if len(said) == 1 else ", ".join(said[:-1]) + " or " + said[-1]


def _for_marshmallow(text: str) -> str:
    """``text`` as marshmallow wants it: it formats a field's message (and a validator's) once more."""
    return text.replace("{", "{{").replace("}", "}}")


def about(key: str, problem: str) -> str:
    """A rule's own sentence ("Must not contain ...") said about the field ``key``."""
    name = name_of(key)
    if problem.startswith("Must "):
        return f"The {name} m{problem[1:].rstrip('.')}"
    return problem.rstrip(".")


def _validator_messages(key: str, family: str, check: Any) -> None:
    if getattr(check, "error", None) not in _marshmallows(check):
        return  # the author's own words for this check
    if isinstance(check, validate.Length):
        kind = (
            "too_many"
            if family == "list"
            else "too_long"
            if check.min is None
            else "too_short"
            if check.max is None
            else "length"
        )
        check.error = _for_marshmallow(message(key, kind, family, min=check.min, max=check.max))
    elif isinstance(check, validate.Range):
        check.error = _for_marshmallow(message(key, "range", family, min=_number(check.min), max=_number(check.max)))
    elif isinstance(check, validate.OneOf):
        check.error = _for_marshmallow(message(key, "choice", family, choices=in_words(check.choices)))
    elif isinstance(check, validate.Validator) and hasattr(check, "error"):
        check.error = _for_marshmallow(message(key, "invalid", family))  # a field's own check (Url, Email)


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _marshmallows(check: validate.Validator) -> set[Any]:
    """The messages ``check`` would give unless told otherwise: marshmallow's, not the author's."""
    defaults: set[Any] = {None}
    for kind in (fields.Url, fields.Email, fields.Field):
        defaults |= set(kind.default_error_messages.values())
    own = vars(type(check)).items()
    return defaults | {v for k, v in own if k.startswith(("message", "default")) and isinstance(v, str)}


def bind(key: str, field: fields.Field) -> None:
    """Give ``field`` (loaded from ``key``) the table's messages for every kind of error it
    can raise, and the same to its validators and to the members of a list."""
    family = family_of(field)
    kinds = {*field.error_messages, *FALLBACK["any"], *FALLBACK.get(family, {})} - VALIDATOR_KINDS
    field.error_messages = {kind: _for_marshmallow(message(key, kind, family)) for kind in kinds}
    for check in field.validators:
        _validator_messages(key, family, check)
    inner = getattr(field, "inner", None)
    if isinstance(field, fields.List) and isinstance(inner, fields.Field):
        bind(_singular(key), inner)
    values = getattr(field, "value_field", None)
    if isinstance(field, fields.Dict) and isinstance(values, fields.Field):
        bind(key, values)


def _singular(key: str) -> str:
    return key[:-1] if key.endswith("s") and not key.endswith("ss") else key
