"""JSON lines from the common logging libraries: time, level and a message that carries the
event's fields, as a user sees them in patterns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest

from logsum import Engine, EngineConfig, Severity

T = datetime(2026, 3, 2, 10, 0, 0, 123000, tzinfo=UTC)
CET = timezone(timedelta(hours=1))

LOGGERS = [
    (  # pino: numeric level, epoch milliseconds
        '{"level":30,"time":1772445600123,"pid":4121,"hostname":"api-7d9f","msg":"request'
        ' completed","req":{"method":"GET","url":"/orders/42"},"res":{"statusCode":200},'
        '"responseTime":12}',
        T,
        "INFO",
        "request completed",
    ),
    (  # bunyan: numeric level, ISO time, "v" bookkeeping
        '{"name":"checkout","hostname":"web-2","pid":311,"level":50,"msg":"payment declined",'
        '"orderId":"A-1043","time":"2026-03-02T10:00:00.123Z","v":0}',
        T,
        "ERROR",
        "payment declined",
    ),
    (  # zap: epoch seconds as a float, caller
        '{"level":"warn","ts":1772445600.123,"caller":"server/handler.go:88","msg":"slow request",'
        '"method":"GET","path":"/api/users","latency":"1.532s"}',
        T,
        "WARNING",
        "slow request",
    ),
    (  # logrus: a value with spaces is quoted
        '{"level":"error","msg":"failed to connect","time":"2026-03-02T11:00:00.123+01:00",'
        '"error":"dial tcp 10.0.0.9:5432: connect: connection refused"}',
        T,
        "ERROR",
        "failed to connect",
    ),
    (  # slog
        '{"time":"2026-03-02T10:00:00.123456789Z","level":"INFO","msg":"cache refreshed",'
        '"entries":1024,"took":"35ms"}',
        T.replace(microsecond=123456),
        "INFO",
        "cache refreshed",
    ),
    (  # structlog: "event" is the message
        '{"event":"user logged in","user_id":42,"timestamp":"2026-03-02T10:00:00.123Z",'
        '"level":"info","logger":"auth"}',
        T,
        "INFO",
        "user logged in",
    ),
    (  # Serilog compact: the message template rendered with its properties
        '{"@t":"2026-03-02T10:00:00.123Z","@mt":"Processed order {OrderId} in {Elapsed:000} ms",'
        '"@l":"Warning","OrderId":"A-7","Elapsed":34,"SourceContext":"Shop.Orders","Retry":1}',
        T,
        "WARNING",
        "Processed order A-7 in 34 ms",
    ),
    (  # ECS: dotted keys, "log.level", "@timestamp"
        '{"@timestamp":"2026-03-02T10:00:00.123Z","log.level":"error","message":"Order rejected",'
        '"ecs.version":"1.6.0","service.name":"orders","order.id":"A-77",'
        '"http.response.status_code":422}',
        T,
        "ERROR",
        "Order rejected",
    ),
    (  # Google Cloud: "severity"
        '{"severity":"WARNING","message":"Quota almost used",'
        '"timestamp":"2026-03-02T10:00:00.123Z","project":"shop-prod"}',
        T,
        "WARNING",
        "Quota almost used",
    ),
    (  # Docker json-file: the raw line inside has its own header
        '{"log":"2026-03-02T10:00:00.123Z ERROR [main] c.e.App - cannot bind port 8080\\n",'
        '"stream":"stderr","time":"2026-03-02T10:00:00.124567891Z"}',
        T,
        "ERROR",
        "cannot bind port 8080",
    ),
    (  # Docker json-file around a JSON line
        '{"log":"{\\"level\\":\\"warn\\",\\"msg\\":\\"job retried\\",\\"job\\":\\"nightly\\"}\\n",'
        '"stream":"stdout","time":"2026-03-02T10:00:00.123Z"}',
        T,
        "WARNING",
        "job retried",
    ),
    (  # MongoDB 4.4+: {"$date"}, one-letter level and component, attributes flattened
        '{"t":{"$date":"2026-03-02T10:00:00.123+00:00"},"s":"I","c":"NETWORK","id":22943,'
        '"ctx":"listener","msg":"Connection accepted","attr":{"remote":"10.0.0.4:51522",'
        '"connectionId":12}}',
        T,
        "INFO",
        "Connection accepted",
    ),
    (  # MongoDB, fatal
        '{"t":{"$date":"2026-03-02T10:00:00.123+00:00"},"s":"F","c":"STORAGE","id":28595,'
        '"ctx":"initandlisten","msg":"Terminating."}',
        T,
        "CRITICAL",
        "Terminating.",
    ),
    (  # a level key with a qualifier before "severity" (a database server's JSON log)
        '{"timestamp":"2026-03-02 10:00:00.123 UTC","pid":4821,"session_id":"6b172c73.3201",'
        '"error_severity":"FATAL","state_code":"3D000","message":"database \\"missing\\" does'
        ' not exist","backend_type":"client backend"}',
        T,
        "CRITICAL",
        'database "missing" does not exist',
    ),
    (  # "log_level" holds a level word
        '{"time":"2026-03-02T10:00:00.123Z","log_level":"warn","message":"disk 91% full"}',
        T,
        "WARNING",
        "disk 91% full",
    ),
    (  # a number under a "..._level" key is data, not a level
        '{"time":"2026-03-02T10:00:00.123Z","battery_level":30,"event":"charging"}',
        T,
        None,
        "charging",
    ),
    (  # no message field: the fields are the message; epoch seconds as a string
        '{"ts":"1772445600","method":"GET","status":404}',
        T.replace(microsecond=0),
        None,
        "method=GET status=404",
    ),
]


@pytest.mark.parametrize(("line", "timestamp", "level", "message"), LOGGERS)
def test_json_line_of_a_common_logger(
    line: str, timestamp: datetime, level: str | None, message: str
) -> None:
    r = Engine().process(line)
    assert (r.timestamp, r.header.level, r.message) == (timestamp, level, message)
    if level is not None:
        assert r.severity.value == level.lower()


def test_a_constant_event_name_gets_its_fields_in_the_template() -> None:
    """LogSum's own access log: "event": "request" and the request in other fields."""
    engine = Engine()
    results = []
    for i, (status, path) in enumerate([(200, "/v1/analyze"), (404, "/v1/patterns/p_1")] * 3):
        entry = {
            "time": f"2026-03-02T10:00:0{i}.123Z",
            "event": "request",
            "request_id": f"{i:04x}9c2e5a7d4e01",
            "status": status,
            "method": "GET",
            "path": path,
            "duration_ms": 12.4 + i,
            "client": f"10.0.0.{i + 1}",
        }
        results.append(engine.process(orjson.dumps(entry).decode()))
    assert len({r.pattern_id for r in results}) == 1
    # the message is the event's own text; its fields are mined after it as context
    assert {r.message for r in results} == {"request"}
    assert engine.template(results[0].pattern_id) == (
        "request request_id=<*> status=<*> method=GET path=<*> duration_ms=<*> client=<*>"
    )
    assert [r.timestamp for r in results][-1] == T.replace(second=5)
    assert results[1].params[1:3] == ("404", "/v1/patterns/p_1")
    assert all(r.severity is Severity.INFO for r in results)


SHIPPED = [
    (  # Vector's file source: "message" is the raw line read, "timestamp" when Vector read it
        '{"file":"/var/log/app.log","host":"web-1","message":"2026-03-02 11:00:00.123 ERROR '
        '[worker-3] Job 7 failed: timeout after 30s","source_type":"file",'
        '"timestamp":"2026-03-02T10:00:09.501Z"}',
        T.replace(hour=11),  # the line's own time (read in UTC), not Vector's
        "ERROR",
        "Job 7 failed: timeout after 30s",
    ),
    (  # Vector's syslog source: the message part alone, with appname, procid and severity
        '{"appname":"sshd","facility":"auth","host":"10.0.0.5","hostname":"bastion",'
        '"message":"Failed password for root from 10.0.0.1 port 22 ssh2","procid":1234,'
        '"severity":"notice","source_type":"syslog","timestamp":"2026-03-02T10:00:00.123Z"}',
        T,
        "NOTICE",
        "Failed password for root from 10.0.0.1 port 22 ssh2",
    ),
    (  # Fluent Bit's http output: "date" in epoch seconds (double), the tail input's "log"
        '{"date":1772445600.123,"log":"Mar  2 10:00:05 web-1 nginx[88]: upstream timed out"}',
        T.replace(second=5, microsecond=0),
        None,
        "upstream timed out",
    ),
    (  # syslog-ng: $(format-json --scope rfc5424 --key ISODATE)
        '{"PROGRAM":"sshd","PRIORITY":"err","PID":"1234","MESSAGE":"error: maximum '
        'authentication attempts exceeded for root","ISODATE":"2026-03-02T11:00:00.123+01:00",'
        '"HOST":"bastion","FACILITY":"auth","DATE":"Mar  2 11:00:00"}',
        T,
        "ERROR",
        "error: maximum authentication attempts exceeded for root",
    ),
    (  # journald (journalctl -o json, Fluent Bit's systemd input): PRIORITY as a digit,
        # __REALTIME_TIMESTAMP in microseconds
        '{"__REALTIME_TIMESTAMP":"1772445600123000","PRIORITY":"4","_HOSTNAME":"db-1",'
        '"SYSLOG_IDENTIFIER":"postgres","_PID":"901","MESSAGE":"checkpoints are occurring too '
        'frequently (9 seconds apart)","_SYSTEMD_UNIT":"postgresql.service"}',
        T,
        "WARNING",
        "checkpoints are occurring too frequently (9 seconds apart)",
    ),
]


@pytest.mark.parametrize(("line", "timestamp", "level", "message"), SHIPPED)
def test_json_record_of_a_log_shipper(
    line: str, timestamp: datetime, level: str | None, message: str
) -> None:
    """The records Vector, Fluent Bit, syslog-ng and journald send: the event's own time and
    level, the raw line's header read when the shipper wrapped one (a year-less time in it
    takes the engine's year, as the service sets it)."""
    r = Engine(EngineConfig(default_year=2026)).process(line)
    assert (r.timestamp, r.header.level, r.message) == (timestamp, level, message)


def test_shipper_header_fields_are_read() -> None:
    r = Engine().process(SHIPPED[3][0])
    assert (r.header.host, r.header.component, r.header.pid) == ("bastion", "sshd", "1234")
    r = Engine().process(SHIPPED[1][0])
    assert (r.header.component, r.header.pid) == ("sshd", "1234")
