"""Timestamps as libraries and servers write them: the instant read and where the timestamp
ends, found at the position where it starts; replayed plans read the same; zone-less times are
read in the caller's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from logsum import Engine, EngineConfig
from logsum.core.errors import InvalidOption
from logsum.core.timestamps import (
    YearHint,
    match_timestamp,
    match_timestamp_shape,
    plan_for,
    twenty_four_hour,
    zone_named,
)

YEAR = YearHint(2026, date(2026, 3, 10))

# (line, where the timestamp starts, the instant in UTC as ISO 8601, the UTC offset the value
# keeps, where the timestamp ends). Lines written from each library's documented format.
CASES = [
    # Common / Combined Log Format (Apache, nginx access logs)
    ("[02/Mar/2026:10:00:00 +0000] x", 1, "2026-03-02T10:00:00", 0, 27),
    ("[10/Oct/2000:13:55:36 -0700] GET", 1, "2000-10-10T20:55:36", -7, 27),
    # apt history and term logs: two spaces between date and time, a colon after the time
    ("Start-Date: 2025-06-24  14:36:25", 12, "2025-06-24T14:36:25", 0, 32),
    (
        "update-alternatives 2025-06-24 14:36:53: run with --install",
        20,
        "2025-06-24T14:36:53",
        0,
        39,
    ),
    # glog / klog: a level letter glued to month and day, no year
    ("I0302 10:00:00.583000    1234 main.go:12] ready", 0, "2026-03-02T10:00:00.583", 0, 21),
    ("E1231 23:59:59.000001 7 x.go:1] late", 0, "2025-12-31T23:59:59.000001", 0, 21),
    # Ruby Logger
    ("I, [2026-03-02T10:00:00.123456 #1234]  INFO -- : hi", 4, "2026-03-02T10:00:00.123456", 0, 30),
    # Tomcat / Catalina
    ("02-Mar-2026 10:00:00.123 INFO [main] x", 0, "2026-03-02T10:00:00.123", 0, 24),
    # Redis
    ("1234:M 02 Mar 2026 10:00:00.123 * Ready", 7, "2026-03-02T10:00:00.123", 0, 31),
    # Go's log package, nginx error log
    ("2026/03/02 10:00:00 listening", 0, "2026-03-02T10:00:00", 0, 19),
    ("2026/03/02 10:00:00 [error] 12#0: *1 open()", 0, "2026-03-02T10:00:00", 0, 19),
    # ctime (double space before a one-digit day), Apache 2.4 error log
    ("Mon Mar  2 10:00:00 2026 started", 0, "2026-03-02T10:00:00", 0, 24),
    ("[Mon Mar 02 10:00:00.123456 2026] [core:error]", 1, "2026-03-02T10:00:00.123456", 0, 32),
    # RFC 5424 / RFC 3339, offsets, nanoseconds, a decimal comma; MySQL 8
    ("<34>1 2026-03-02T10:00:00.003Z host app", 6, "2026-03-02T10:00:00.003", 0, 30),
    ("2026-03-02T10:00:00.003+01:00 host", 0, "2026-03-02T09:00:00.003", 1, 29),
    ("2026-03-02T10:00:00-05:30 host", 0, "2026-03-02T15:30:00", -5.5, 25),
    ("2026-03-02T10:00:00.123456789Z x", 0, "2026-03-02T10:00:00.123456", 0, 30),
    ("2026-03-02T10:00:00,123+01:00 x", 0, "2026-03-02T09:00:00.123", 1, 29),
    ("2026-03-02T10:00:00.123456Z 0 [Note] x", 0, "2026-03-02T10:00:00.123456", 0, 27),
    # java.util.logging (SimpleFormatter): a 12-hour clock
    ("Mar 02, 2026 10:00:00 AM org.Foo bar", 0, "2026-03-02T10:00:00", 0, 24),
    ("Mar 02, 2026 1:05:09 PM org.Foo bar", 0, "2026-03-02T13:05:09", 0, 23),
    ("Mar 02, 2026 12:05:09 AM org.Foo bar", 0, "2026-03-02T00:05:09", 0, 24),
    ("Mar 02, 2026 12:05:09 PM org.Foo bar", 0, "2026-03-02T12:05:09", 0, 24),
    ("2026-03-02 10:00:00 PM done", 0, "2026-03-02T22:00:00", 0, 22),
    ("2026-03-02 10:00:00 am done", 0, "2026-03-02T10:00:00", 0, 22),
    # Epoch seconds with a fraction (Linux audit)
    ("type=SYSCALL msg=audit(1711111111.123:456): arch", 23, "2024-03-22T12:38:31.123", 0, 37),
    ("1711111111.123 x", 0, "2024-03-22T12:38:31.123", 0, 14),
    # More day-first and compact shapes
    ("02/Mar/2026 10:00:00 x", 0, "2026-03-02T10:00:00", 0, 20),
    ("20260302 10:00:00.123 x", 0, "2026-03-02T10:00:00.123", 0, 21),
    # Zone names and abbreviations
    ("2026-03-02 10:00:00.123 UTC x", 0, "2026-03-02T10:00:00.123", 0, 27),
    ("2026-03-02 10:00:00 GMT+1 x", 0, "2026-03-02T09:00:00", 1, 25),
    ("2026-03-02 10:00:00.123 CET x", 0, "2026-03-02T09:00:00.123", 1, 27),
    ("2026-07-02 10:00:00 CEST x", 0, "2026-07-02T08:00:00", 2, 24),
    ("2026-03-02 10:00:00 PST x", 0, "2026-03-02T18:00:00", -8, 23),
    ("2026-03-02 10:00:00 utc x", 0, "2026-03-02T10:00:00", 0, 23),
    ("2026-03-02 10:00:00 west wing", 0, "2026-03-02T10:00:00", 0, 19),  # a word, no zone
    # An ambiguous abbreviation belongs to the timestamp but names no offset: read in the
    # caller's zone (UTC here)
    ("2026-03-02 10:00:00 CST x", 0, "2026-03-02T10:00:00", 0, 23),
    # Numeric dates whose order is not written in them, read by the common convention when
    # nothing else tells: a slash with a 2-digit year is the US month/day/year (HTCondor,
    # WebSphere), a dot day first (German), a dash day first (log4j2's DD_MM_YYYY)
    ("03/02/26 10:00:00 ** condor_schedd", 0, "2026-03-02T10:00:00", 0, 17),
    ("[3/2/26 9:59:41:204 UTC] 00000001 x", 1, "2026-03-02T09:59:41.204", 0, 23),
    ("02.03.2026 10:00:00 Dienst gestartet", 0, "2026-03-02T10:00:00", 0, 19),
    ("02-03-2026 14:34:02,781 INFO x", 0, "2026-03-02T14:34:02.781", 0, 23),
    # .NET / Windows Event Viewer (12-hour clock), JavaScript's en-US toLocaleString
    ("Information,3/2/2026 10:00:00 PM,Service", 12, "2026-03-02T22:00:00", 0, 32),
    ("3/2/2026, 10:00:00 AM - listening", 0, "2026-03-02T10:00:00", 0, 21),
    ("3/2/2026 10:05 AM x", 0, "2026-03-02T10:05:00", 0, 17),
    # The month's name glued to the day (Nextflow), WebLogic's 12-hour clock with its zone
    ("Mar-02 10:00:00.118 [main] DEBUG x", 0, "2026-03-02T10:00:00.118", 0, 19),
    ("####<Mar 2, 2026 9:58:12,004 AM UTC> <Info>", 5, "2026-03-02T09:58:12.004", 0, 35),
    ("Mar 2, 2026, 10:00:00 PM x", 0, "2026-03-02T22:00:00", 0, 24),
    # date(1) and Java's Date.toString() (zone before the year), Ruby's (offset before it)
    ("Mon Mar  2 10:00:00 UTC 2026 backup started", 0, "2026-03-02T10:00:00", 0, 28),
    ("Mon Mar 02 10:00:00 CET 2026 x", 0, "2026-03-02T09:00:00", 1, 28),
    ("Mon Mar 02 10:00:00 -0700 2026 x", 0, "2026-03-02T17:00:00", -7, 30),
    # Go's time.Time.String() (offset and zone name), Java's ZonedDateTime, RFC 822 and 850
    ("2026-03-02 10:00:00.123456789 +0000 UTC m=+0.01", 0, "2026-03-02T10:00:00.123456", 0, 39),
    ("2026-03-02T10:00:00+01:00[Europe/Paris] x", 0, "2026-03-02T09:00:00", 1, 39),
    ("02 Mar 26 10:00 MST x", 0, "2026-03-02T17:00:00", -7, 19),
    ("Monday, 02-Mar-26 10:00:00 GMT x", 0, "2026-03-02T10:00:00", 0, 30),
    # Erlang's error logger, log4j2's ISO8601_BASIC
    ("=INFO REPORT==== 2-Mar-2026::10:00:00 ===", 17, "2026-03-02T10:00:00", 0, 37),
    ("20260302T100000,781 INFO x", 0, "2026-03-02T10:00:00.781", 0, 19),
    ("20260302T100000+0100 x", 0, "2026-03-02T09:00:00", 1, 20),
    # journalctl's short-full (a day of the week before the date), JavaScript's Date.toString()
    ("Mon 2026-03-02 10:00:00 CET host x", 0, "2026-03-02T09:00:00", 1, 27),
    ("Mon Mar 02 2026 10:00:00 GMT+0100 (Central European Time)", 0, "2026-03-02T09:00:00", 1, 33),
    # epoch micro- and nanoseconds (journald's __REALTIME_TIMESTAMP, Go's UnixNano)
    ("1772445600123456 x", 0, "2026-03-02T10:00:00.123456", 0, 16),
    ("1772445600123456789 x", 0, "2026-03-02T10:00:00.123456", 0, 19),
]


@pytest.mark.parametrize(("line", "start", "instant", "offset", "end"), CASES)
def test_timestamp_instant_and_end(
    line: str, start: int, instant: str, offset: float, end: int
) -> None:
    found = match_timestamp(line, start, YEAR)
    assert found is not None
    value, stop = found
    assert value is not None
    assert (
        value.astimezone(UTC).replace(tzinfo=None).isoformat()
        == datetime.fromisoformat(instant).isoformat()
    )
    assert value.utcoffset() == timedelta(hours=offset)
    assert stop == end


@pytest.mark.parametrize(("line", "start", "instant", "offset", "end"), CASES)
def test_replayed_plan_reads_the_same(
    line: str, start: int, instant: str, offset: float, end: int
) -> None:
    found = match_timestamp_shape(line, start, YEAR)
    assert found is not None
    plan = plan_for(line[start:end], start, found[2], YEAR, {})
    assert plan is not None
    assert plan.end == end
    assert plan.read(line) == found[0]


@pytest.mark.parametrize(
    "line",
    [
        "[   12.345678] usb 1-1: new high-speed USB device",  # kernel uptime, not a wall clock
        "   12.345678] usb",
        "12:34:56:78:9a:bc link up",  # a MAC address is no time
    ],
)
def test_not_a_point_in_time(line: str) -> None:
    pos = len(line) - len(line.lstrip("[ "))
    found = match_timestamp(line, pos, YEAR)
    assert found is None or found[0] is None


def test_a_12_hour_clock_has_no_hour_13_so_the_word_after_it_is_the_messages() -> None:
    line = "Mar 02, 2026 13:05:09 PM x"
    found = match_timestamp(line, 0, YEAR)
    assert found is not None and found[0] == datetime(2026, 3, 2, 13, 5, 9, tzinfo=UTC)
    assert line[found[1] :] == " PM x"
    found = match_timestamp("2026-03-02 00:00:03 PM response took 3 ms", 0, YEAR)
    assert found is not None and found[0] == datetime(2026, 3, 2, 0, 0, 3, tzinfo=UTC)
    assert found[1] == len("2026-03-02 00:00:03")


def test_on_a_24_hour_clock_am_and_pm_are_words() -> None:
    line = "2026-03-02 10:00:07 PM response took 3 ms"
    twelve = match_timestamp(line, 0, YEAR)
    assert twelve is not None and twelve[0] == datetime(2026, 3, 2, 22, 0, 7, tzinfo=UTC)
    found = match_timestamp(line, 0, twenty_four_hour(YearHint(2026)))
    assert found is not None and found[0] == datetime(2026, 3, 2, 10, 0, 7, tzinfo=UTC)
    assert line[found[1] :] == " PM response took 3 ms"


def _in(zone: str, line: str) -> datetime | None:
    found = match_timestamp(line, 0, YearHint(2026, None, zone_named(zone)))
    assert found is not None
    return found[0]


def test_zone_less_times_are_read_in_the_given_zone() -> None:
    # Berlin is UTC+1 in winter, UTC+2 in summer; the value is returned in UTC.
    winter = _in("Europe/Berlin", "2026-01-15 10:00:00 x")
    summer = _in("Europe/Berlin", "2026-07-15 10:00:00 x")
    assert winter == datetime(2026, 1, 15, 9, tzinfo=UTC) and winter.tzinfo is UTC
    assert summer == datetime(2026, 7, 15, 8, tzinfo=UTC) and summer.tzinfo is UTC
    # Year-less syslog and an ambiguous abbreviation too.
    assert _in("America/Chicago", "Jan 15 10:00:00 host") == datetime(2026, 1, 15, 16, tzinfo=UTC)
    assert _in("America/Chicago", "2026-01-15 10:00:00 CST x") == datetime(
        2026, 1, 15, 16, tzinfo=UTC
    )


def test_an_explicit_offset_wins_over_the_given_zone() -> None:
    for line in ("2026-01-15T10:00:00Z x", "2026-01-15T10:00:00+03:00 x", "2026-01-15 10:00 PST"):
        assert _in("Europe/Berlin", line) == _in("UTC", line)
    epoch = _in("Europe/Berlin", "1711111111 x")
    assert epoch == datetime(2024, 3, 22, 12, 38, 31, tzinfo=UTC)


def test_daylight_saving_changes_read_with_fold_0() -> None:
    # 02:30 does not exist in Berlin on 29 March 2026: read with the offset before the change.
    assert _in("Europe/Berlin", "2026-03-29 02:30:00 x") == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # 02:30 happens twice on 25 October 2026: the first (summer time) is taken.
    assert _in("Europe/Berlin", "2026-10-25 02:30:00 x") == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "/etc/localtime", "Europe"])
def test_unknown_zones_are_refused(name: str) -> None:
    with pytest.raises(InvalidOption, match="time zone"):
        zone_named(name)
    with pytest.raises(ValueError, match="time zone"):
        EngineConfig(timezone=name)


def test_engine_reads_zone_less_lines_in_its_zone_on_every_path() -> None:
    engine = Engine(EngineConfig(timezone="Europe/Berlin"))
    lines = [f"2026-07-15 10:00:0{i} INFO worker {i} started" for i in range(5)]
    stamps = [engine.process(line).timestamp for line in lines]  # scanned, then replayed
    assert stamps == [datetime(2026, 7, 15, 8, 0, i, tzinfo=UTC) for i in range(5)]
    offset = engine.process("2026-07-15T10:00:00+00:00 INFO worker 9 started").timestamp
    assert offset == datetime(2026, 7, 15, 10, tzinfo=UTC)


def test_engine_zone_can_change_between_batches() -> None:
    engine = Engine()
    line = "2026-01-15 10:00:00 INFO job done"
    assert engine.process(line).timestamp == datetime(2026, 1, 15, 10, tzinfo=UTC)
    engine.use_timezone("Asia/Tokyo")
    assert engine.config.timezone == "Asia/Tokyo"
    assert engine.process(line).timestamp == datetime(2026, 1, 15, 1, tzinfo=UTC)
    engine.use_timezone("UTC")
    assert engine.process(line).timestamp == datetime(2026, 1, 15, 10, tzinfo=UTC)
    with pytest.raises(InvalidOption):
        engine.use_timezone("Nowhere/Else")
    assert engine.config.timezone == "UTC"


def test_explicit_offsets_keep_their_offset() -> None:
    found = match_timestamp("2026-03-02T10:00:00+01:00 x", 0, YEAR)
    assert found is not None and found[0] is not None
    assert found[0].tzinfo == timezone(timedelta(hours=1))


def test_a_short_us_date_with_a_one_digit_month_or_day() -> None:
    # Java's DateFormat.SHORT (M/d/yy); with two digits each, 17/06/09 stays yy/mm/dd
    found = match_timestamp("3/2/26 9:59:41:204 UTC", 0, 2026)
    assert found is not None and found[0] == datetime(2026, 3, 2, 9, 59, 41, 204000, tzinfo=UTC)
    found = match_timestamp("17/06/09 20:10:40", 0, 2026)
    assert found is not None and found[0] == datetime(2017, 6, 9, 20, 10, 40, tzinfo=UTC)


def _read(text: str, hint: int) -> datetime | None:
    found = match_timestamp(text, 0, hint)
    assert found is not None
    return found[0]


def test_a_sources_own_dates_settle_which_field_is_the_day() -> None:
    """Without evidence a slashed date is month first; a date whose first field cannot be a
    month rules that order out for the timestamps of the same form, which then read day
    first. Timestamps of another form (another source) keep the convention."""
    hint = YearHint(2026, date(2026, 3, 10))
    assert _read("03/02/2026 10:00:00", hint) == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert _read("13/02/2026 10:00:00", hint) == datetime(2026, 2, 13, 10, tzinfo=UTC)
    assert _read("03/02/2026 10:00:00", hint) == datetime(2026, 2, 3, 10, tzinfo=UTC)
    assert _read("3/2/2026 10:00:00 AM", hint) == datetime(2026, 3, 2, 10, tzinfo=UTC)
    # the year first where the first field cannot be a month (log4j's yy/MM/dd)...
    assert _read("17/06/09 20:10:40", YearHint(2026)) == datetime(
        2017, 6, 9, 20, 10, 40, tzinfo=UTC
    )
    # ...or where the last cannot be a year: no log is written years ahead of today
    assert _read("03/12/28 10:00:00", hint) == datetime(2003, 12, 28, 10, tzinfo=UTC)
    assert _read("03/12/28 10:00:00", YearHint(2029)) == datetime(2028, 3, 12, 10, tzinfo=UTC)
    # no order makes a date of it: no point in time, and no evidence
    assert _read("31/31/2026 10:00:00", hint) is None
    assert _read("3/2/2026 10:00:00 AM", hint) == datetime(2026, 3, 2, 10, tzinfo=UTC)


def test_an_engine_reads_a_sources_dates_again_once_their_order_is_known() -> None:
    """The same text read before and after the evidence gets the order known at that time,
    through the engine's caches (learned layouts, replayed plans) as through the scanner."""
    engine = Engine(EngineConfig(default_year=2026))
    lines = [
        "03/02/2026 10:00:00 INFO job 1 started",
        "03/02/2026 10:00:00 INFO job 2 started",
        "25/02/2026 10:00:00 INFO job 3 started",
        "03/02/2026 10:00:00 INFO job 4 started",
        "04/02/2026 10:00:00 INFO job 5 started",
    ]
    got = [engine.process(line).timestamp for line in lines]
    assert [t.date() if t else None for t in got] == [
        date(2026, 3, 2),
        date(2026, 3, 2),
        date(2026, 2, 25),
        date(2026, 2, 3),
        date(2026, 2, 4),
    ]


def test_interleaved_sources_keep_their_own_date_order() -> None:
    """Two sources in one stream write the same date form in different orders: one day first
    at the line's start, one month first behind a service name and a pipe, each with a date
    that settles its order. Each source's other dates are read in its own order, as when its
    lines are read alone; a source with no evidence of its own reads the stream's."""
    day_first = [f"{d}/02/2026 10:00:0{i} INFO request served" for i, d in enumerate((13, 5, 4))]
    month_first = [
        f"db | {m}/2026 10:00:0{i} INFO checkpoint"
        for i, m in enumerate(("02/13", "03/02", "04/02"))
    ]
    engine = Engine(EngineConfig(default_year=2026))
    got = {}
    for a, b in zip(day_first, month_first, strict=True):
        for line in (a, b):
            stamp = engine.process(line).timestamp
            got[line] = stamp.date() if stamp else None
    assert [got[line] for line in day_first] == [
        date(2026, 2, 13),
        date(2026, 2, 5),
        date(2026, 2, 4),
    ]
    assert [got[line] for line in month_first] == [
        date(2026, 2, 13),
        date(2026, 3, 2),
        date(2026, 4, 2),
    ]
    # a source whose dates settle nothing follows the stream's evidence of that form
    engine = Engine(EngineConfig(default_year=2026))
    engine.process(day_first[0])
    stamp = engine.process("db | 03/02/2026 10:00:00 INFO checkpoint").timestamp
    assert stamp is not None and stamp.date() == date(2026, 2, 3)


@pytest.mark.parametrize(
    ("line", "instant"),
    [
        # in angle brackets after a run of marks (WebLogic's server log)
        (
            "####<Mar 2, 2026 9:58:12,004 AM UTC> <Info> <Management> <host1> <main> <BEA-1> <up>",
            datetime(2026, 3, 2, 9, 58, 12, 4000, tzinfo=UTC),
        ),
        # in a CSV record's second column, after the level (Windows Event Viewer's export)
        (
            "Warning,3/2/2026 10:02:17 PM,Time-Service,134,None,NtpClient was unable to set a peer",
            datetime(2026, 3, 2, 22, 2, 17, tzinfo=UTC),
        ),
        # after a file name and grep's colon, and with -n its line number
        (
            "/var/log/dpkg.log:2026-03-02 09:58:10 status installed nginx:amd64 1.24.0-2",
            datetime(2026, 3, 2, 9, 58, 10, tzinfo=UTC),
        ),
        ("app.log:12:2026-03-02 10:00:00 ERROR failed", datetime(2026, 3, 2, 10, tzinfo=UTC)),
        # after a service's name and a pipe (docker compose logs)
        ("api    | 2026-03-02 10:00:00,123 INFO up", datetime(2026, 3, 2, 10, 0, 0, 123000, UTC)),
        # delimited records: a pipe before the time, the time quoted, date and time in two
        # columns
        ("|2026-03-02 10:00:00|INFO|started", datetime(2026, 3, 2, 10, tzinfo=UTC)),
        ('"2026-03-02 10:00:00","INFO","started"', datetime(2026, 3, 2, 10, tzinfo=UTC)),
        ("2026-03-02,10:00:00,INFO,started", datetime(2026, 3, 2, 10, tzinfo=UTC)),
    ],
)
def test_a_timestamp_is_found_behind_the_fields_glued_to_it(line: str, instant: datetime) -> None:
    assert Engine(EngineConfig(default_year=2026)).process(line).timestamp == instant


def test_a_time_of_day_alone_behind_a_glued_field_makes_no_header() -> None:
    r = Engine(EngineConfig(default_year=2026)).process("uptime:10:00:00 load 0.5")
    assert r.timestamp is None and r.message == "uptime:10:00:00 load 0.5"
