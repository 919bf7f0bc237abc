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
from fastapi.routing import APIRoute
from pydantic import BaseModel

from logsum.api.schemas import SEVERITY_SCHEMA

_UNUSED = ("HTTPValidationError", "ValidationError")


_SEVERITY_REF = "#/components/schemas/Severity"


def _severity_refs(node: Any) -> Any:
    """``node`` with every inline enum of the severities replaced by a reference to the
    ``Severity`` component (its description kept beside the reference)."""
    if isinstance(node, list):
        return [_severity_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "string" and node.get("enum") == SEVERITY_SCHEMA["enum"]:
        ref: dict[str, Any] = {"$ref": _SEVERITY_REF}
        if "description" in node:
            ref["description"] = node["description"]
        return ref
    return {key: _severity_refs(value) for key, value in node.items()}


def operation_id(route: APIRoute) -> str:
    """The operation id of a route that names none: its function's name in lowerCamelCase
    (``list_patterns`` -> ``listPatterns``), as client generators name their methods. The
    routes name theirs explicitly; this keeps a new one from getting FastAPI's
    ``list_patterns_v1_patterns_get``."""
    first, *rest = route.name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


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
    schemas["Severity"] = SEVERITY_SCHEMA
    doc["paths"] = _severity_refs(doc.get("paths", {}))
    for name, schema in list(schemas.items()):
        if name != "Severity":
            schemas[name] = _severity_refs(schema)
    for model in body_models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            schemas.setdefault(name, sub)
        schemas[model.__name__] = schema
    app.openapi_schema = doc
    return doc
