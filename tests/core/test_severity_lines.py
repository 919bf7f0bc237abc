"""Severities a user sees on real-looking lines: what the line says decides, never a word that
is part of a name (file, path, identifier, key) or a count of nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from logsum import Engine, Severity
from logsum.core.severity import severity_of_text

C, E, W, OK = Severity.CRITICAL, Severity.ERROR, Severity.WARNING, Severity.INFO

LINES = [
    # names: a file, a path, a URL, a dotted or code identifier, a key
    ("Mar  2 10:00:00 web1 logrotate[812]: rotated /var/log/app/ABORT.7.gz", OK),
    ("Mar  2 10:00:01 web1 archiver[900]: moved ABORT.7.gz to cold storage", OK),
    (
        '203.0.113.9 - - [02/Mar/2026:10:00:02 +0000] "GET /errors/report.html HTTP/1.1" 200 5120'
        ' "-" "curl/8.5.0"',
        OK,
    ),
    ("Mar  2 10:00:03 web1 app[77]: fetching https://status.example.com/failed-jobs", OK),
    ("Mar  2 10:00:04 web1 CRON[3021]: (root) CMD (/usr/local/bin/cleanup-errors.sh)", OK),
    ("Mar  2 10:00:05 ci1 backup[311]: job finished error_count=0 retry_count=0", OK),
    ("Mar  2 10:00:06 web1 httpd[55]: loaded ErrorDocument for status 404", OK),
    ("Unpacking liberror-perl (0.17029-1) over (0.17029-1) ...", OK),
    ("Setting up libfailure-dev (1.2-3) ...", OK),
    ("Mar  2 10:00:07 web1 app[77]: loaded handler com.example.errors.Handler", OK),
    # counted or negated: nothing went wrong
    ("Mar  2 10:00:08 db1 scrub[77]: scrub of pool tank finished, errors: 0", OK),
    ("Mar  2 10:00:09 build1 make[1]: build finished: 0 errors, 2 warnings", OK),
    ("Mar  2 10:00:10 nas smartd[612]: Device: /dev/sdb, self-test completed without error", OK),
    ("Mar  2 10:00:11 db1 fsck[42]: /dev/sda1: clean, no errors found", OK),
    ("Mar  2 10:00:12 db1 fsck[42]: check done, no more errors", OK),
    # words the line says
    ("Abort: cannot open /etc/app/app.conf", E),
    ("Mar  2 10:00:13 ci1 backup[311]: job 42 aborted by user", E),
    (
        "Mar  2 10:00:14 bastion sshd[2211]: Failed password for invalid user admin from"
        " 203.0.113.7 port 52211 ssh2",
        E,
    ),
    (
        "Mar  2 10:00:15 bastion sshd[2211]: Accepted publickey for deploy from 198.51.100.4"
        " port 50122 ssh2: RSA SHA256:Zm9vYmFy",
        OK,
    ),
    (
        "Mar  2 10:00:16 host kernel: [12345.678901] EXT4-fs error (device sda1):"
        " ext4_find_entry:1455: inode #2: comm ls: reading directory lblock 0",
        E,
    ),
    ("Mar  2 10:00:17 host kernel: [ 1.234567] ACPI Error: No handler for Region [ECOR]", E),
    ("Mar  2 10:00:18 host kernel: Out of memory: Killed process 1234 (java)", C),
    ("Mar  2 10:00:19 host kernel: Kernel panic - not syncing: Attempted to kill init!", C),
    ('Exception in thread "main" java.lang.NullPointerException', E),
    (
        "type=USER_AUTH msg=audit(1709373600.123:812): pid=2211 uid=0 ses=4 msg='op=PAM:auth"
        ' acct="admin" exe="/usr/sbin/sshd" hostname=203.0.113.7 terminal=ssh res=failed\'',
        E,
    ),
    ("Mar  2 10:00:20 host kernel: mce: [Hardware Error]: Machine check events logged", E),
    ("Mar  2 10:00:21 host app[9]: non-fatal error while reading cache, continuing", E),
    ("Mar  2 10:00:22 host app[9]: read-error on spool file, skipping", E),
    ("Mar  2 10:00:23 host app[9]: request to billing took 2300 ms (slow)", W),
    ("Mar  2 10:00:24 host app[9]: connection to 10.0.0.5:6379 timed out", E),
    ("Mar  2 10:00:25 host app[9]: 3 errors while syncing, will retry", W),
]


@pytest.mark.parametrize(("line", "severity"), LINES)
def test_severity_of_a_line(line: str, severity: Severity) -> None:
    result = Engine().process(line)
    assert result.severity is severity
    # the same verdict on the message itself (masking hides some names in templates)
    assert severity_of_text(result.message) is severity


# PostgreSQL's default log_line_prefix ('%m [%p] '), then the message's own level word.
POSTGRES = [
    ("LOG", "database system was shut down at 2026-03-02 09:59:58 UTC"),
    ("LOG", "database system is ready to accept connections"),
    ("LOG", "connection received: host=10.0.0.7 port=50412"),
    ("LOG", "connection authorized: user=app database=shop"),
    ("ERROR", 'relation "orders_archive" does not exist at character 15'),
    ("STATEMENT", "SELECT * FROM orders_archive WHERE id = 42"),
    ("FATAL", 'password authentication failed for user "report"'),
    ("DETAIL", 'Connection matched pg_hba.conf line 99: "host all all 0.0.0.0/0 scram-sha-256"'),
    ("ERROR", 'duplicate key value violates unique constraint "orders_pkey"'),
    ("DETAIL", "Key (id)=(42) already exists."),
    ("STATEMENT", "INSERT INTO orders (id, total) VALUES (42, 9.5)"),
    ("WARNING", "there is already a transaction in progress"),
    ("LOG", "checkpoint starting: time"),
    ("LOG", "checkpoint complete: wrote 42 buffers (0.3%); 0 WAL file(s) added, 0 removed"),
    ("ERROR", "canceling statement due to statement timeout"),
    ("HINT", "Consider raising statement_timeout."),
    ("FATAL", 'role "ghost" does not exist'),
    ("LOG", "disconnection: session time: 0:00:24.588 user=app database=shop host=10.0.0.7"),
]
# What each level word says; the other words (LOG, STATEMENT, DETAIL, HINT) are no level, and
# their lines say nothing worse than info of their own.
POSTGRES_LEVELS = {
    "ERROR": ("ERROR", E),
    "FATAL": ("CRITICAL", C),
    "WARNING": ("WARNING", W),
}


def test_postgres_default_format_lines_keep_their_level() -> None:
    engine = Engine()
    wrong = []
    for i, (word, message) in enumerate(POSTGRES):
        stamp = datetime(2026, 3, 2, 10, 0, i, 123000, tzinfo=UTC)
        line = f"2026-03-02 10:00:{i:02d}.123 UTC [{16291 + i % 3}] {word}:  {message}"
        r = engine.process(line)
        level, severity = POSTGRES_LEVELS.get(word, (None, OK))
        levels = {level} if level else {None, "INFO", "NOTICE"}  # LOG may be read as info
        got = (r.header.level, r.severity, r.timestamp, r.message)
        if r.header.level not in levels or got[1:] != (severity, stamp, message):
            wrong.append((line, got))
    assert wrong == []
