"""The OpenAPI document, corrected to say what the service really does.

FastAPI documents a 422 validation error on every route with parameters; this service answers
400 ``invalid_request`` with the error envelope instead, so 422 and its schemas are removed. The
body of ``POST /v1/analyze`` is parsed by the route itself (after authentication), so its schema
is added here.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from logsum.api.schemas import AnalyzeRequest

_UNUSED = ("HTTPValidationError", "ValidationError")


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """Generate (once) and return the corrected OpenAPI document of ``app``."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    for path_item in doc.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("422", None)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name in _UNUSED:
        schemas.pop(name, None)
    request_schema = AnalyzeRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in request_schema.pop("$defs", {}).items():
        schemas.setdefault(name, sub)
    schemas["AnalyzeRequest"] = request_schema
    app.openapi_schema = doc
    return doc
