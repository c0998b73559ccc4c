"""Request schemas are made once per process (``web.http.arguments``), and sharing one
instance between requests changes no answer."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import Flask
from flask_smorest import Api
from marshmallow import fields, validate

from web.http.arguments import Blueprint
from web.http.validation import InputSchema


class CountedArgs(InputSchema):
    made: ClassVar[int] = 0
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))
    q = fields.String(validate=validate.Length(max=5))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        type(self).made += 1


def client() -> Any:
    app = Flask(__name__)
    app.config.update(API_TITLE="t", API_VERSION="v1", OPENAPI_VERSION="3.0.3")
    blp = Blueprint("things", __name__, url_prefix="/things")

    @blp.route("")
    @blp.arguments(CountedArgs, location="query")
    def things(args: dict[str, Any]) -> dict[str, Any]:
        return {"args": args}

    Api(app).register_blueprint(blp)
    return app.test_client()


def test_a_request_schema_is_made_once_for_every_request() -> None:
    c = client()
    before = CountedArgs.made
    for limit in range(1, 6):
        assert c.get(f"/things?limit={limit}").json == {"args": {"limit": limit}}
    assert CountedArgs.made - before == 1


def test_one_shared_schema_keeps_nothing_of_one_request_for_the_next() -> None:
    c = client()
    refused = c.get("/things?limit=99&q=toolong")
    assert c.get("/things?q=ok").json == {"args": {"limit": 10, "q": "ok"}}
    again = c.get("/things?limit=99&q=toolong")
    assert refused.status_code == again.status_code == 422
    assert refused.json == again.json
    assert set(again.json["errors"]["query"]) == {"limit", "q"}
