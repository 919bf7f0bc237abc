"""The OpenAPI document, corrected to say what the service really does.

FastAPI documents a 422 validation error on every route with parameters; this service answers
400 ``invalid_request`` with the error envelope instead, so 422 and its schemas are removed. The
bodies of ``POST /v1/analyze`` and ``POST /v1/watch`` are parsed by the routes themselves (after
authentication), so their schemas (``body_models``) are added here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

_UNUSED = ("HTTPValidationError", "ValidationError")


def build_openapi(app: FastAPI, body_models: Sequence[type[BaseModel]] = ()) -> dict[str, Any]:
    """Generate (once) and return the corrected OpenAPI document of ``app``; the
    ``body_models`` are the request bodies routes reference as ``#/components/schemas/<Name>``."""
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
    for model in body_models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            schemas.setdefault(name, sub)
        schemas[model.__name__] = schema
    app.openapi_schema = doc
    return doc
