"""The served OpenAPI document works with a real client generator: openapi-python-client (from
PyPI, in a virtualenv of its own because it pins an older typer than the service; `make
install` builds it from scripts/openapi-generator.txt) generates a client from
``/openapi.json``, and that client, run by the generator's Python, talks to ``logsum serve``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import Server, keyed_server

USE = Path(__file__).with_name("data") / "generated_client_use.py"


def _generator() -> Path:
    """The openapi-python-client command of the tools virtualenv (LOGSUM_OPENAPI_GENERATOR
    overrides); fails under CI, skips elsewhere, when it is missing."""
    configured = os.environ.get("LOGSUM_OPENAPI_GENERATOR")
    path = Path(
        configured
        or Path(sys.prefix) / "tools" / "openapi-python-client" / "bin" / "openapi-python-client"
    )
    if not path.is_file():
        message = f"{path} missing; `make install` builds it (scripts/openapi-generator.txt)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("generated")
    roots = work / "logs"
    roots.mkdir()
    env = {"LOGSUM_WATCH_ROOTS": str(roots), "LOGSUM_WEBHOOK_ALLOW_PRIVATE": "true"}
    with keyed_server(work, env) as s:
        s.keys["roots"] = str(roots)
        yield s


def test_operation_ids_and_types(server: Server) -> None:
    doc = httpx.get(f"{server.url}/openapi.json").json()
    ids = {op["operationId"] for item in doc["paths"].values() for op in item.values()}
    assert {
        "analyze",
        "exportLogs",
        "listPatterns",
        "getPattern",
        "createWatch",
        "listWatches",
        "getWatch",
        "deleteWatch",
    } <= ids
    schemas = doc["components"]["schemas"]
    first_seen = schemas["PatternOut"]["properties"]["first_seen"]["anyOf"][0]
    assert first_seen["format"] == "date-time"
    assert "volume_spike" in schemas["AnomalyType"]["enum"]
    assert "security" in schemas["InsightType"]["enum"]
    assert schemas["Severity"]["enum"] == ["critical", "error", "warning", "info", "debug"]
    assert schemas["TimeWindow"]["properties"]["start"]["format"] == "date-time"


def test_generated_client_against_the_service(server: Server, tmp_path: Path) -> None:
    generator = _generator()
    spec = tmp_path / "openapi.json"
    spec.write_bytes(httpx.get(f"{server.url}/openapi.json").content)
    package = tmp_path / "gen" / "logsum_gen"
    done = subprocess.run(
        [
            *(str(generator), "generate", "--path", str(spec)),
            "--meta",
            "none",
            "--output-path",
            str(package),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # The only parts it leaves out: the request bodies it has no support for (the analyze
    # route's NDJSON and text, /v1/logs's binary protobuf); JSON is generated for both.
    for line in done.stdout.splitlines():
        if line.startswith("Unsupported content type"):
            assert line.split()[-1] in {
                "application/x-ndjson",
                "text/plain",
                "application/x-protobuf",
            }
    source = str(Path(server.keys["roots"]) / "app.log")
    python = generator.parent / "python"
    run = subprocess.run(
        [str(python), str(USE), server.url, server.keys["a"], source],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(package.parent)},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    seen = json.loads(run.stdout)
    assert seen["severity_is_enum"]
    assert seen["first_seen_is_datetime"] and seen["first_seen"] == "2024-01-01T10:00:00+00:00"
    assert seen["anomaly_types"] and seen["anomaly_types_are_enums"]
    assert seen["windows_are_datetimes"] and all(seen["windows_are_datetimes"])
    assert seen["insight_types_are_enums"]
    assert seen["total"] >= 2 and seen["got_pattern"]
    assert seen["missing"] == [404, "not_found"]
    assert seen["watch_created_at_is_datetime"]
    assert seen["watches"] == [True] and seen["watch_source"] == source
    assert seen["deleted"] == 204
