"""The plain dumpers (``web.api.plain``) give exactly what marshmallow gives, so the hot
answers cannot drift from their schemas (and from the OpenAPI document made of them)."""

from __future__ import annotations

import json
import random
import uuid
from decimal import Decimal
from typing import Any

import pytest
from marshmallow import Schema, fields, post_dump

from web.api import as_of
from web.api.fields import OrganisationSummarySchema
from web.api.plain import plain_dumper
from web.api.project_schemas import (
    PledgeOutSchema,
    ProjectDetailSchema,
    ProjectSchema,
    ProjectWrittenSchema,
)
from web.api.projects import ProjectPageSchema

SCHEMAS = [
    ProjectPageSchema,
    ProjectSchema,
    ProjectDetailSchema,
    as_of.with_as_of(ProjectDetailSchema),
    PledgeOutSchema,
    ProjectWrittenSchema,
    OrganisationSummarySchema,
]


def sample(field: fields.Field, rng: random.Random, depth: int = 0) -> Any:
    """A value a row might hold for ``field``: of its type, of a near type, or None."""
    if rng.random() < 0.15:
        return None
    if isinstance(field, fields.Nested):
        many = field.schema.many or field.many
        rows = [row(type(field.schema), rng, depth + 1) for _ in range(rng.randint(0, 3))]
        return rows if many else row(type(field.schema), rng, depth + 1)
    if isinstance(field, fields.List):
        return [sample(field.inner, rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if isinstance(field, fields.Dict):
        return {f"k{i}": rng.choice([rng.randint(0, 9), str(rng.randint(0, 9))]) for i in range(rng.randint(0, 3))}
    if isinstance(field, fields.UUID):
        made = uuid.UUID(int=rng.getrandbits(128))
        return rng.choice([made, str(made)])
    if isinstance(field, fields.Boolean):
        return rng.choice([True, False])
    if isinstance(field, fields.Integer):
        return rng.choice([rng.randint(-5, 10**12), True, 7.0, "42", Decimal("3")])
    if isinstance(field, fields.Float):
        return rng.choice([rng.random(), 2, "0.5", Decimal("0.1234")])
    return rng.choice(["", "Shared booking", "café ✓", 12, Decimal("10.50"), b"bytes"])


def row(schema: type[Schema], rng: random.Random, depth: int = 0) -> dict[str, Any]:
    """Some of the schema's fields (never all, sometimes none), and keys it does not declare."""
    made = {"organisation_code": "XYZ", "rank": 0.5, "internal": object()}
    for name, field in schema().dump_fields.items():
        if rng.random() < 0.85 or hasattr(dict, name):  # "items": marshmallow itself needs it
            made[field.attribute or name] = sample(field, rng, depth) if depth < 3 else None
    return made


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.__name__)
def test_the_plain_dump_is_the_schemas_dump_for_many_rows(schema: type[Schema]) -> None:
    rng = random.Random(schema.__name__)
    dump = plain_dumper(schema)
    for _ in range(400):
        given = row(schema, rng)
        plain, marshmallow = dump(given), schema().dump(given)
        assert plain == marshmallow
        assert json.dumps(plain) == json.dumps(marshmallow)  # the same keys in the same order, the same types


def test_a_whole_project_row_dumps_the_same() -> None:
    organisation = {"id": str(uuid.uuid4()), "code": "WGN", "name": "Wigan", "kind": "council"}
    project = {
        "id": str(uuid.uuid4()),
        "title": "Shared booking",
        "organisation": organisation,
        "organisation_id": organisation["id"],
        "tags": ["booking", "shared"],
        "goal": {"state": "open", "money": "1000.00", "progress": {"partners": 1, "money": 20, "overall": 20}},
        "score": 0.1234,
        "archived": False,
        "pledge_count": 3,
    }
    page = {"items": [project, project], "next": None, "total": 2}
    assert plain_dumper(ProjectPageSchema)(page) == ProjectPageSchema().dump(page)


class Hooked(Schema):
    name = fields.String()

    @post_dump
    def shout(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {k: v.upper() for k, v in data.items()}


class Computed(Schema):
    name = fields.Method("named")

    def named(self, obj: Any) -> str:
        return "computed"


class Dotted(Schema):
    city = fields.String(attribute="address.city")


@pytest.mark.parametrize("schema", [Hooked, Computed, Dotted], ids=lambda s: s.__name__)
def test_a_schema_the_plain_dump_cannot_copy_exactly_is_refused(schema: type[Schema]) -> None:
    with pytest.raises(TypeError, match="plain_dumper"):
        plain_dumper(schema)
