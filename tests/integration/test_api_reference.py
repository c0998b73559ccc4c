"""The API reference (/api/reference) is Swagger UI served by the app itself: its page loads
the bundle from this origin (no CDN), the bundle is served at /assets, and the page points
it at the OpenAPI document the app generates."""

from __future__ import annotations

import re

from web.app import create_app
from workers.runtime.bootstrap import Runtime


def test_the_reference_page_loads_its_bundle_from_the_apps_own_origin(sqlite_runtime: Runtime) -> None:
    http = create_app(runtime=sqlite_runtime).test_client()
    page = http.get("/api/reference")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert "/assets/vendor/swagger-ui-bundle.js" in sources
    assert all(source.startswith("/") and not source.startswith("//") for source in sources), sources
    assert 'data-openapi="/api/v1/openapi.json"' in html
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy

    for asset in ("/assets/vendor/swagger-ui-bundle.js", "/assets/vendor/swagger-ui.css", "/assets/api-reference.js"):
        served = http.get(asset)
        assert served.status_code == 200, asset
        assert len(served.get_data()) > 100, asset
    assert "SwaggerUIBundle" in http.get("/assets/vendor/swagger-ui-bundle.js").get_data(as_text=True)
    assert http.get("/api/v1/openapi.json").json["paths"]
