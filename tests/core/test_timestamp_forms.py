"""Documented default timestamp renderings of widely used logging libraries and servers, one
line each, written from each library's documentation (not taken from any log corpus) and
placed where the library places the time: the engine reads the instant from the line alone,
as the first line of a source it has never seen. Negative cases: numbers that look like
dates or times (versions, durations, addresses, ids, uptimes) are no timestamp."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from logsum import Engine, EngineConfig

# (what writes it, the line, the instant in UTC as ISO 8601; None: the line has no timestamp)
FORMS: list[tuple[str, str, str | None]] = [
    # Ruby
    (
        "ruby Logger",
        "I, [2026-03-02T10:00:00.123456 #1234]  INFO -- : started",
        "2026-03-02T10:00:00.123456",
    ),
    (
        "ruby Logger progname",
        "E, [2026-03-02T10:00:00.123456 #99] ERROR -- app: failed",
        "2026-03-02T10:00:00.123456",
    ),
    # .NET
    (
        ".NET round-trip o",
        "2026-03-02T10:00:00.1234567+01:00 [INF] Application started",
        "2026-03-02T09:00:00.123456",
    ),
    (
        ".NET round-trip o, UTC",
        "2026-03-02T10:00:00.1234567Z INFO Application started",
        "2026-03-02T10:00:00.123456",
    ),
    (
        "Serilog file sink",
        "2026-03-02 10:00:00.123 +01:00 [INF] Application started",
        "2026-03-02T09:00:00.123",
    ),
    (
        "NLog default layout",
        "2026-03-02 10:00:00.1234|INFO|App.Program|Application started",
        "2026-03-02T10:00:00.1234",
    ),
    (
        "Windows M/d/yyyy h:mm:ss tt",
        "3/2/2026 10:00:00 AM Information Service started",
        "2026-03-02T10:00:00",
    ),
    ("Windows PM", "3/2/2026 1:05:09 PM Warning Disk is almost full", "2026-03-02T13:05:09"),
    # PHP
    ("PHP date('c')", "[2026-03-02T10:00:00+01:00] request handled", "2026-03-02T09:00:00"),
    (
        "Monolog LineFormatter",
        "[2026-03-02T10:00:00.123456+00:00] app.INFO: User logged in [] []",
        "2026-03-02T10:00:00.123456",
    ),
    (
        "PHP DATE_RFC2822",
        "Mon, 02 Mar 2026 10:00:00 +0000 cron run finished",
        "2026-03-02T10:00:00",
    ),
    (
        "PHP error_log",
        "[02-Mar-2026 10:00:00 UTC] PHP Warning:  Undefined variable $x in /var/www/a.php"
        " on line 3",
        "2026-03-02T10:00:00",
    ),
    # Perl
    ("Log::Log4perl %d", "2026/03/02 10:00:00 INFO main - started", "2026-03-02T10:00:00"),
    ("Perl scalar localtime", "Mon Mar  2 10:00:00 2026 worker started", "2026-03-02T10:00:00"),
    # nginx / Lua / Apache
    (
        "nginx error log",
        "2026/03/02 10:00:00 [error] 1234#0: *1 open() failed (2: No such file or directory)",
        "2026-03-02T10:00:00",
    ),
    (
        "nginx $time_iso8601",
        '10.0.0.1 [2026-03-02T10:00:00+00:00] "GET / HTTP/1.1" 200 612',
        "2026-03-02T10:00:00",
    ),
    (
        "Apache access log",
        '10.0.0.1 - - [02/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 2326',
        "2026-03-02T10:00:00",
    ),
    (
        "Apache 2.4 error log",
        "[Mon Mar 02 10:00:00.123456 2026] [core:error] [pid 1234:tid 5678] AH00037: failed",
        "2026-03-02T10:00:00.123456",
    ),
    (
        "Apache 2.2 error log",
        "[Mon Mar 02 10:00:00 2026] [error] [client 10.0.0.1] File does not exist",
        "2026-03-02T10:00:00",
    ),
    # Erlang / Elixir
    (
        "Erlang logger",
        "2026-03-02T10:00:00.123456+00:00 info: application started",
        "2026-03-02T10:00:00.123456",
    ),
    (
        "Erlang error_logger",
        "=INFO REPORT==== 2-Mar-2026::10:00:00.123456 ===",
        "2026-03-02T10:00:00.123456",
    ),
    # Java
    (
        "ISO_LOCAL_DATE_TIME",
        "2026-03-02T10:00:00.123 INFO Service started",
        "2026-03-02T10:00:00.123",
    ),
    (
        "ISO_OFFSET_DATE_TIME",
        "2026-03-02T10:00:00.123+01:00 INFO Service started",
        "2026-03-02T09:00:00.123",
    ),
    (
        "ISO_ZONED_DATE_TIME",
        "2026-03-02T10:00:00+01:00[Europe/Paris] INFO Service started",
        "2026-03-02T09:00:00",
    ),
    ("ISO_INSTANT", "2026-03-02T10:00:00.123Z INFO Service started", "2026-03-02T10:00:00.123"),
    (
        "RFC_1123_DATE_TIME",
        "Mon, 2 Mar 2026 10:00:00 GMT INFO Service started",
        "2026-03-02T10:00:00",
    ),
    (
        "java.util.Date.toString",
        "Mon Mar 02 10:00:00 UTC 2026 Service started",
        "2026-03-02T10:00:00",
    ),
    (
        "java.util.logging SimpleFormatter",
        "Mar 02, 2026 10:00:00 AM com.example.Main run",
        "2026-03-02T10:00:00",
    ),
    (
        "log4j %d",
        "2026-03-02 10:00:00,123 INFO  [main] com.example.Main - started",
        "2026-03-02T10:00:00.123",
    ),
    (
        "log4j %d{ISO8601}",
        "2026-03-02T10:00:00,123 INFO  [main] com.example.Main - started",
        "2026-03-02T10:00:00.123",
    ),
    ("log4j %d{DATE}", "02 Mar 2026 10:00:00,123 INFO  [main] started", "2026-03-02T10:00:00.123"),
    (
        "log4j level first",
        "INFO  [main] 2026-03-02 10:00:00,123 Server.java:12 - started",
        "2026-03-02T10:00:00.123",
    ),
    (
        "Tomcat juli OneLineFormatter",
        "02-Mar-2026 10:00:00.123 INFO [main] org.apache.catalina.startup.Catalina.start"
        " Server startup",
        "2026-03-02T10:00:00.123",
    ),
    (
        "Kafka log4j [%d]",
        "[2026-03-02 10:00:00,123] INFO started (kafka.server.KafkaServer)",
        "2026-03-02T10:00:00.123",
    ),
    (
        "Elasticsearch",
        "[2026-03-02T10:00:00,123][INFO ][o.e.n.Node] [node-1] started",
        "2026-03-02T10:00:00.123",
    ),
    # Python
    (
        "logging asctime",
        "2026-03-02 10:00:00,123 - app - INFO - started",
        "2026-03-02T10:00:00.123",
    ),
    ("logging asctime no msecs", "2026-03-02 10:00:00 INFO app: started", "2026-03-02T10:00:00"),
    ("logging level first", "INFO:2026-03-02 10:00:00,123:app:started", "2026-03-02T10:00:00.123"),
    ("Twisted", "2026-03-02 10:00:00+0000 [-] Site starting on 8080", "2026-03-02T10:00:00"),
    (
        "AWS CLI --debug",
        "2026-03-02 10:00:00,123 - MainThread - botocore.hooks - DEBUG - Event loaded",
        "2026-03-02T10:00:00.123",
    ),
    # Go
    ("Go log default", "2026/03/02 10:00:00 listening on :8080", "2026-03-02T10:00:00"),
    (
        "Go log Lmicroseconds",
        "2026/03/02 10:00:00.123456 listening on :8080",
        "2026-03-02T10:00:00.123456",
    ),
    ("Go RFC3339Nano", "2026-03-02T10:00:00.123456789Z listening", "2026-03-02T10:00:00.123456"),
    (
        "Go Time.String",
        "2026-03-02 10:00:00.123456789 +0000 UTC listening",
        "2026-03-02T10:00:00.123456",
    ),
    ("Go time.Stamp", "Mar  2 10:00:00 listening", "2026-03-02T10:00:00"),
    ("Go time.StampMicro", "Mar  2 10:00:00.123456 listening", "2026-03-02T10:00:00.123456"),
    ("Go UnixDate", "Mon Mar  2 10:00:00 UTC 2026 listening", "2026-03-02T10:00:00"),
    ("Go RubyDate", "Mon Mar 02 10:00:00 +0000 2026 listening", "2026-03-02T10:00:00"),
    ("Go RFC850", "Monday, 02-Mar-26 10:00:00 UTC listening", "2026-03-02T10:00:00"),
    ("Go RFC1123Z", "Mon, 02 Mar 2026 10:00:00 +0000 listening", "2026-03-02T10:00:00"),
    ("Go RFC822Z", "02 Mar 26 10:00 +0000 listening", "2026-03-02T10:00:00"),
    (
        "logrus text",
        'time="2026-03-02T10:00:00Z" level=info msg="listening"',
        "2026-03-02T10:00:00",
    ),
    (
        "go-kit logfmt",
        "ts=2026-03-02T10:00:00.123456789Z caller=main.go:12 level=info msg=listening",
        "2026-03-02T10:00:00.123456",
    ),
    ("klog", "I0302 10:00:00.123456    1234 main.go:12] listening", "2026-03-02T10:00:00.123456"),
    # Rust
    (
        "chrono DateTime<Utc> Display",
        "2026-03-02 10:00:00.123456789 UTC INFO listening",
        "2026-03-02T10:00:00.123456",
    ),
    ("env_logger", "[2026-03-02T10:00:00Z INFO  my_app] listening", "2026-03-02T10:00:00"),
    (
        "tracing-subscriber fmt",
        "2026-03-02T10:00:00.123456Z  INFO my_app: listening",
        "2026-03-02T10:00:00.123456",
    ),
    # C, syslog, journald
    ("C ctime", "Mon Mar  2 10:00:00 2026: daemon started", "2026-03-02T10:00:00"),
    ("RFC 3164", "<34>Mar  2 10:00:00 host su[123]: 'su root' failed", "2026-03-02T10:00:00"),
    (
        "RFC 3164 no PRI",
        "Mar  2 10:00:00 host sshd[123]: Accepted publickey",
        "2026-03-02T10:00:00",
    ),
    (
        "RFC 5424",
        "<165>1 2026-03-02T10:00:00.003Z host app 1234 ID47 - started",
        "2026-03-02T10:00:00.003",
    ),
    (
        "rsyslog RFC3339",
        "2026-03-02T10:00:00.123456+01:00 host app[12]: started",
        "2026-03-02T09:00:00.123456",
    ),
    ("journald short-iso", "2026-03-02T10:00:00+0000 host app[1]: started", "2026-03-02T10:00:00"),
    (
        "journald short-precise",
        "Mar 02 10:00:00.123456 host app[1]: started",
        "2026-03-02T10:00:00.123456",
    ),
    (
        "journald short-full",
        "Mon 2026-03-02 10:00:00 UTC host app[1]: started",
        "2026-03-02T10:00:00",
    ),
    ("journald short-unix", "1772445600.123456 host app[1]: started", "2026-03-02T10:00:00.123456"),
    (
        "Cisco IOS",
        "*Mar  2 10:00:00.123: %LINK-3-UPDOWN: Interface Gi0/1, changed state to up",
        "2026-03-02T10:00:00.123",
    ),
    # Databases and servers
    (
        "MySQL 8 error log",
        "2026-03-02T10:00:00.123456Z 0 [System] [MY-010116] [Server] started",
        "2026-03-02T10:00:00.123456",
    ),
    (
        "MySQL 5.7 error log",
        "2026-03-02T10:00:00.123456Z 0 [Note] mysqld: ready for connections.",
        "2026-03-02T10:00:00.123456",
    ),
    (
        "PostgreSQL",
        "2026-03-02 10:00:00.123 UTC [1234] LOG:  database system is ready",
        "2026-03-02T10:00:00.123",
    ),
    (
        "MongoDB < 4.4",
        "2026-03-02T10:00:00.123+0000 I NETWORK  [conn1] end connection",
        "2026-03-02T10:00:00.123",
    ),
    (
        "Redis",
        "1234:M 02 Mar 2026 10:00:00.123 * Ready to accept connections",
        "2026-03-02T10:00:00.123",
    ),
    (
        "HAProxy",
        "10.0.0.1:1234 [02/Mar/2026:10:00:00.123] fe be/srv 0/0/1/2/3 200 512",
        "2026-03-02T10:00:00.123",
    ),
    (
        "Squid native",
        "1772445600.123    123 10.0.0.1 TCP_MISS/200 512 GET http://a/ - DIRECT/10.0.0.2 text/html",
        "2026-03-02T10:00:00.123",
    ),
    (
        "IIS W3C",
        "2026-03-02 10:00:00 10.0.0.1 GET /index.html - 80 - 10.0.0.2 Mozilla/5.0 200 0 0 15",
        "2026-03-02T10:00:00",
    ),
    (
        "Docker json-file text",
        "2026-03-02T10:00:00.123456789Z stdout F listening",
        "2026-03-02T10:00:00.123456",
    ),
    (
        "AWS Lambda",
        "2026-03-02T10:00:00.123Z\t3f1c2a7e-1b2c-4d5e-8f90-a1b2c3d4e5f6\tINFO\tstarted",
        "2026-03-02T10:00:00.123",
    ),
    (
        "Android logcat threadtime",
        "03-02 10:00:00.123  1234  1234 I ActivityManager: Start proc",
        "2026-03-02T10:00:00.123",
    ),
    ("git default date", "Date:   Mon Mar 2 10:00:00 2026 +0000", "2026-03-02T10:00:00"),
    # More servers and tools
    (
        "Snort alert",
        "03/02-10:00:00.123456  [**] [1:1000001:1] ICMP test [**] {ICMP} 10.0.0.1 -> 10.0.0.2",
        "2026-03-02T10:00:00.123456",
    ),
    (
        "Samba log",
        "[2026/03/02 10:00:00.123456,  3] ../source3/smbd/server.c:1234(main)",
        "2026-03-02T10:00:00.123456",
    ),
    ("Squid cache.log", "2026/03/02 10:00:00 kid1| Starting Squid Cache", "2026-03-02T10:00:00"),
    (
        "BIND query log",
        "02-Mar-2026 10:00:00.123 client @0x7f 10.0.0.1#5353 (example.com): query",
        "2026-03-02T10:00:00.123",
    ),
    (
        "RabbitMQ 3.9",
        "2026-03-02 10:00:00.123456+00:00 [info] <0.1.0> Starting RabbitMQ",
        "2026-03-02T10:00:00.123456",
    ),
    (
        "RabbitMQ 3.8",
        "2026-03-02 10:00:00.123 [info] <0.1.0> Starting RabbitMQ",
        "2026-03-02T10:00:00.123",
    ),
    (
        "Exim mainlog",
        "2026-03-02 10:00:00 1abcDE-000001-AB <= user@example.com H=mail S=1234",
        "2026-03-02T10:00:00",
    ),
    (
        "CUPS error_log",
        "E [02/Mar/2026:10:00:00 +0000] Unable to open printer",
        "2026-03-02T10:00:00",
    ),
    (
        "vsftpd",
        'Mon Mar  2 10:00:00 2026 [pid 1234] CONNECT: Client "10.0.0.1"',
        "2026-03-02T10:00:00",
    ),
    ("OpenVPN", "2026-03-02 10:00:00 us=123456 OpenVPN 2.5 started", "2026-03-02T10:00:00"),
    ("Fluentd", "2026-03-02 10:00:00 +0000 [info]: starting fluentd", "2026-03-02T10:00:00"),
    ("hclog", "2026-03-02T10:00:00.123Z [INFO]  agent: started", "2026-03-02T10:00:00.123"),
    (
        "Terraform TF_LOG",
        "2026-03-02T10:00:00.123+0100 [DEBUG] provider started",
        "2026-03-02T09:00:00.123",
    ),
    (
        "CouchDB",
        "[info] 2026-03-02T10:00:00.123456Z couchdb@localhost <0.1.0> -------- started",
        "2026-03-02T10:00:00.123456",
    ),
    (
        "Ansible log_path",
        "2026-03-02 10:00:00,123 p=1234 u=root n=ansible | PLAY [all]",
        "2026-03-02T10:00:00.123",
    ),
    (
        "Puppet agent",
        "2026-03-02 10:00:00 +0000 Puppet (notice): Applied catalog",
        "2026-03-02T10:00:00",
    ),
    ("Chef client", "[2026-03-02T10:00:00+00:00] INFO: Chef run started", "2026-03-02T10:00:00"),
    (
        "Salt",
        "2026-03-02 10:00:00,123 [salt.minion][INFO ][1234] Connected",
        "2026-03-02T10:00:00.123",
    ),
    (
        "pacman log",
        "[2026-03-02T10:00:00+0000] [ALPM] installed pkg (1.0-1)",
        "2026-03-02T10:00:00",
    ),
    ("dpkg log", "2026-03-02 10:00:00 status installed pkg:amd64 1.0-1", "2026-03-02T10:00:00"),
    (
        "Gunicorn",
        "[2026-03-02 10:00:00 +0000] [1234] [INFO] Starting gunicorn 21.2.0",
        "2026-03-02T10:00:00",
    ),
    (
        "Celery",
        "[2026-03-02 10:00:00,123: INFO/MainProcess] Connected to amqp",
        "2026-03-02T10:00:00.123",
    ),
    ("Django runserver", '[02/Mar/2026 10:00:00] "GET / HTTP/1.1" 200 123', "2026-03-02T10:00:00"),
    (
        "Werkzeug",
        '10.0.0.1 - - [02/Mar/2026 10:00:00] "GET / HTTP/1.1" 200 -',
        "2026-03-02T10:00:00",
    ),
    (
        "uWSGI request",
        "[pid: 1|app: 0|req: 1/1] 10.0.0.1 () {34 vars in 456 bytes}"
        " [Mon Mar  2 10:00:00 2026] GET / => generated 12 bytes",
        "2026-03-02T10:00:00",
    ),
    (
        "Azure Functions",
        "2026-03-02T10:00:00.123 [Information] Executing 'Run'",
        "2026-03-02T10:00:00.123",
    ),
    (
        "Python str(datetime) aware",
        "2026-03-02 10:00:00.123456+00:00 worker started",
        "2026-03-02T10:00:00.123456",
    ),
    ("Windows DHCP CSV", "10,03/02/26,10:00:00,Started,,,,,0,6,,,,,,,,,0", "2026-03-02T10:00:00"),
    (
        "Windows CBS",
        "2026-03-02 10:00:00, Info                  CBS    Loaded Servicing Stack",
        "2026-03-02T10:00:00",
    ),
    (
        "SQL Server errorlog",
        "2026-03-02 10:00:00.12 Server      Microsoft SQL Server 2022",
        "2026-03-02T10:00:00.120",
    ),
    (
        "Jenkins",
        "2026-03-02 10:00:00.123+0000 [id=1]\tINFO\tjenkins.Main#main: started",
        "2026-03-02T10:00:00.123",
    ),
    (
        "Ceph",
        "2026-03-02T10:00:00.123+0000 7f0a1b2c3d40  0 log_channel(cluster) log [DBG] : pgmap",
        "2026-03-02T10:00:00.123",
    ),
    ("setupapi", ">>>  Section start 2026/03/02 10:00:00.123", "2026-03-02T10:00:00.123"),
    (
        "ISO with space and ms, no zone",
        "[2026-03-02 10:00:00.123456] [INFO] started",
        "2026-03-02T10:00:00.123456",
    ),
    (
        "log4net %date",
        "2026-03-02 10:00:00,123 [1] INFO  App.Program [(null)] - started",
        "2026-03-02T10:00:00.123",
    ),
    ("Lua os.date()", "Mon Mar  2 10:00:00 2026 script started", "2026-03-02T10:00:00"),
    (
        "syslog-ng ISO after PRI",
        "<13>2026-03-02T10:00:00+00:00 host app: started",
        "2026-03-02T10:00:00",
    ),
    # Epoch seconds and milliseconds, in brackets or after a key
    ("epoch in brackets", "[1772445600] worker started", "2026-03-02T10:00:00"),
    ("epoch fraction in brackets", "[1772445600.123] worker started", "2026-03-02T10:00:00.123"),
    (
        "epoch millis after key",
        "time=1772445600123 level=info msg=started",
        "2026-03-02T10:00:00.123",
    ),
    ("epoch after ts=", "ts=1772445600.123 level=info msg=started", "2026-03-02T10:00:00.123"),
    ("pino JSON", '{"level":30,"time":1772445600123,"msg":"started"}', "2026-03-02T10:00:00.123"),
    ("zap JSON", '{"level":"info","ts":1772445600.123,"msg":"started"}', "2026-03-02T10:00:00.123"),
    (
        "MongoDB 4.4 JSON",
        '{"t":{"$date":"2026-03-02T10:00:00.123+00:00"},"s":"I","c":"NETWORK","msg":"started"}',
        "2026-03-02T10:00:00.123",
    ),
    # Not timestamps
    ("version numbers", "Upgraded package libfoo from 2.10.3 to 2.10.4", None),
    (
        "dotted version with date-like parts",
        "Running kernel 5.15.0-1052-aws build 12.03.2026",
        None,
    ),
    ("duration", "job finished after 00:01:23.456 with status 0", None),
    ("IPv4 address", "connection from 192.168.10.10 port 22", None),
    ("compact id", "invoice 20260302 paid", None),
    ("kernel uptime", "[   12.345678] usb 1-1: new high-speed USB device", None),
    ("fraction", "ratio 12/25 reached", None),
    ("Ubuntu version", "Welcome to Ubuntu 22.04.4 LTS", None),
    ("semver with build date", "release v1.2.3+20260302 deployed", None),
    ("elapsed time", "query took 12:34 minutes", None),
    ("a date inside a sentence", "backup of 2026-03-01 10:00:00 data finished in 12 s", None),
    ("a date alone at the end", "certificate renewal due 2026-03-05", None),
    ("a time alone in brackets", "worker ready [10:00:00] waiting", None),
    ("a time alone, then a colon", "waited 10:00:00 for lock: giving up", None),
    ("MAC address", "link 00:1a:2b:3c:4d:5e up", None),
]


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("writer", "line", "expected"), FORMS, ids=[f[0] for f in FORMS])
def test_a_documented_timestamp_form_is_read_from_one_line(
    writer: str, line: str, expected: str | None
) -> None:
    """A source's first line: its time is read (or, for the negative cases, none is)."""
    found = Engine(EngineConfig(default_year=2026)).process(line).timestamp
    if expected is None:
        assert found is None, f"{writer}: {line!r} read as {found}"
    else:
        assert found == _instant(expected), f"{writer}: {line!r} read as {found}"


def test_a_date_ending_a_line_of_an_open_record_is_not_its_time() -> None:
    """An exception's text that ends with a date it names continues the record before it, with
    that record's time: the date is the message's, not a new record's time."""
    engine = Engine(EngineConfig(default_year=2026))
    lines = [
        "2026-03-02 10:00:00,123 ERROR [main] org.acme.Job - job failed",
        "java.lang.IllegalStateException: not before 2026-03-05 10:00:00",
        "    at org.acme.Job.run(Job.java:42)",
    ]
    got = [engine.process(line) for line in lines]
    assert [r.continuation for r in got] == [False, True, True]
    assert {r.timestamp for r in got} == {_instant("2026-03-02T10:00:00.123")}
