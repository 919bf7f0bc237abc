"""Run by tests/api/test_client.py with the generator's own Python: uses a client that
openapi-python-client generated (package ``logsum_gen`` on the path) against a real service,
and prints what it saw as JSON. Arguments: base URL, API key, a file path to watch."""

from __future__ import annotations

import datetime
import json
import sys

from logsum_gen import AuthenticatedClient
from logsum_gen.api.analysis import analyze
from logsum_gen.api.patterns import get_pattern, list_patterns
from logsum_gen.api.watch import create_watch, delete_watch, get_watch, list_watches
from logsum_gen.models import (
    AnalyzeOptions,
    AnalyzeRequest,
    AnomalyType,
    ErrorEnvelope,
    InsightType,
    Severity,
    WatchCreate,
    WatchFiltersIn,
)

url, key, source = sys.argv[1:4]
client = AuthenticatedClient(base_url=url, token=key, raise_on_unexpected_status=True)
out: dict[str, object] = {}

baseline = [f"2024-01-01 10:{m:02d}:00 INFO Request {m} served in {m + 3} ms" for m in range(30)]
first = analyze.sync(client=client, body=AnalyzeRequest(logs=baseline))
assert first is not None and not isinstance(first, ErrorEnvelope)
burst = [f"2024-01-01 11:00:{s:02d} ERROR Disk /dev/sd{s % 3} failed: I/O error" for s in range(40)]
second = analyze.sync(
    client=client,
    body=AnalyzeRequest(logs=baseline + burst, options=AnalyzeOptions(bucket_seconds=60)),
)
assert second is not None and not isinstance(second, ErrorEnvelope)
out["severity_is_enum"] = isinstance(first.patterns[0].severity, Severity)
out["first_seen_is_datetime"] = isinstance(first.patterns[0].first_seen, datetime.datetime)
out["first_seen"] = first.patterns[0].first_seen.isoformat()
out["anomaly_types"] = sorted(a.type_.value for a in second.anomalies)
out["anomaly_types_are_enums"] = all(isinstance(a.type_, AnomalyType) for a in second.anomalies)
out["windows_are_datetimes"] = [
    isinstance(a.window.start, datetime.datetime) for a in second.anomalies if a.window
]
out["insight_types_are_enums"] = all(isinstance(i.type_, InsightType) for i in second.insights)
out["evidence_templates"] = [a.evidence.template for a in second.anomalies if a.evidence.template]

page = list_patterns.sync(client=client, limit=1)
assert page is not None and not isinstance(page, ErrorEnvelope)
out["total"] = page.total
one = get_pattern.sync(client=client, pattern_id=page.patterns[0].id)
out["got_pattern"] = getattr(one, "template", None)
missing = get_pattern.sync_detailed(client=client, pattern_id="p_missing")
out["missing"] = [int(missing.status_code), missing.parsed.error.code]  # type: ignore[union-attr]

created = create_watch.sync(
    client=client,
    body=WatchCreate(
        source=source,
        webhook_url="http://127.0.0.1:9/hook",
        filters=WatchFiltersIn(severity=[Severity.ERROR]),
    ),
)
out["watch_created_at_is_datetime"] = isinstance(created.created_at, datetime.datetime)  # type: ignore[union-attr]
watch_id = created.id  # type: ignore[union-attr]
out["watches"] = [w.id == watch_id for w in list_watches.sync(client=client).watches]  # type: ignore[union-attr]
out["watch_source"] = get_watch.sync(client=client, watch_id=watch_id).source  # type: ignore[union-attr]
out["deleted"] = int(delete_watch.sync_detailed(client=client, watch_id=watch_id).status_code)
print(json.dumps(out))
