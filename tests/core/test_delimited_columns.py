"""Messages written as one column among delimited columns (``layouts._Delimited``, and
``csvlog`` records between pipes): a source's lines teach which column is the message. Every
line here was written for these tests in the documented shape of a server's log."""

from __future__ import annotations

from logsum import Engine
from logsum.core.config import EngineConfig


def _messages(lines: list[str]) -> list[str]:
    engine = Engine(EngineConfig(default_year=2026))
    return [engine.process(line).message for line in lines]


def test_columns_after_the_message_are_dropped_once_the_source_showed_them() -> None:
    lines = [
        "2026-03-02 10:00:00,118 | INFO  | Broker is starting | org.acme.broker.Broker | main",
        "2026-03-02 10:00:01,902 | INFO  | Store opened in 12 ms | org.acme.store.Store | main",
        "2026-03-02 10:00:02,330 | WARN  | Connection to 10.0.0.21 failed: reset"
        " | org.acme.net.Transport | Transport: tcp://10.0.0.21:5123",
        "2026-03-02 10:00:03,004 | ERROR | Disk is almost full | org.acme.store.Store | main",
    ]
    got = _messages(lines)
    # the first line is read before anything was learned; from the second on the source's
    # logger and thread columns are header
    assert got[1:] == [
        "Store opened in 12 ms",
        "Connection to 10.0.0.21 failed: reset",
        "Disk is almost full",
    ]


def test_angle_bracket_fields_give_their_last_field_as_the_message() -> None:
    lines = [
        "<Mar 2, 2026 10:00:00 AM UTC> <INFO> <Loading domains file: /srv/nm/domains>",
        "<Mar 2, 2026 10:00:01 AM UTC> <INFO> <Listener started on port 5556>",
        "<Mar 2, 2026 10:00:02 AM UTC> <WARNING> <Server ms1 is not running>",
    ]
    assert _messages(lines)[1:] == ["Listener started on port 5556", "Server ms1 is not running"]


def test_header_fields_in_brackets_before_the_message_are_header() -> None:
    head = "[2026-03-02T10:00:0{}.118+00:00] [srv1] [NOTIFICATION] [] [app.config.Loader]"
    lines = [
        head.format(0) + " [tid: 12] [ecid: 0a1b,0] Loaded configuration from /srv/a.xml",
        head.format(1) + " [tid: 14] [ecid: 0a1c,0] Application started",
        head.format(2) + " [tid: 12] [ecid: 0a1d,1] Loaded configuration from /srv/b.xml",
    ]
    assert _messages(lines)[1:] == [
        "Application started",
        "Loaded configuration from /srv/b.xml",
    ]


def test_a_record_between_pipes_gives_its_time_level_and_message_column() -> None:
    engine = Engine(EngineConfig(default_year=2026))
    line = (
        "[#|2026-03-02T10:00:02.789+0000|SEVERE|server 4.1|app.resource|_ThreadID=48;|"
        "Unexpected exception while creating resource for pool Shop|#]"
    )
    r = engine.process(line)
    assert r.message == "Unexpected exception while creating resource for pool Shop"
    assert r.severity == "error"
    assert r.timestamp is not None and r.timestamp.isoformat() == "2026-03-02T10:00:02.789000+00:00"


def test_a_detail_after_a_pipe_stays_in_the_message() -> None:
    # "| key=value" or "| action 6" after the text is the message's detail, not a column
    lines = [
        "Mar 02 10:04:12 node1 ctl[1409] notice: Initiating stop of vip on node2 | action 6",
        "Mar 02 10:04:13 node1 ctl[1409] notice: State transition S_IDLE -> S_BUSY | input=go",
        "Mar 02 10:04:14 node1 ctl[1409] notice: Initiating start of vip on node1 | action 7",
    ]
    assert _messages(lines) == [line.split("notice: ", 1)[1] for line in lines]


def test_text_that_only_contains_pipes_or_marks_is_not_cut() -> None:
    lines = [
        "2026-03-02 10:00:00 INFO Connection reset | retrying in 5 seconds | giving up later",
        "2026-03-02 10:00:01 INFO Queue is full | dropping events from the oldest producer",
    ]
    assert _messages(lines) == [line.split(" INFO ", 1)[1] for line in lines]
    alerts = [
        "03/02/2026-10:00:09.003417  [**] [1:2210045:2] Packet with invalid ack [**] to host",
        "03/02/2026-10:00:09.881200  [**] [1:2013028:7] Outbound agent seen [**] from host",
        "03/02/2026-10:00:10.101200  [**] [1:2013029:7] Inbound agent seen [**] from host",
    ]
    assert _messages(alerts) == [line.split("  ", 1)[1] for line in alerts]


def test_a_line_like_one_read_before_the_columns_were_learned_is_read_alike() -> None:
    # a line equal to the first one up to its numbers keeps its columns as the first one did
    # (the engine replays such lines as they were read), with or without the shape cache
    lines = [
        "2026-03-02 10:00:00,118 | INFO  | Broker 1 is starting | org.acme.Broker | main",
        "2026-03-02 10:00:01,902 | INFO  | Store opened in 12 ms | org.acme.Store | main",
        "2026-03-02 10:00:05,118 | INFO  | Broker 2 is starting | org.acme.Broker | main",
        "2026-03-02 10:00:06,004 | INFO  | Store closed after 3 s | org.acme.Store | main",
    ]
    for config in (
        EngineConfig(default_year=2026),
        EngineConfig(default_year=2026, shape_cache=False),
    ):
        engine = Engine(config)
        got = [engine.process(line).message for line in lines]
        assert got[2] == "Broker 2 is starting | org.acme.Broker | main"
        assert got[1] == "Store opened in 12 ms"
        assert got[3] == "Store closed after 3 s"


def test_a_programs_text_after_a_syslog_header_is_kept_whole() -> None:
    lines = [
        "Mar  2 10:00:00 mac-7 kernel[0]: [HID] [MT] MultitouchDevice::willTerminate entered",
        "Mar  2 10:00:01 mac-7 kernel[0]: [HID] [ATC] EventService::start could not connect",
        "Mar  2 10:00:02 mac-7 kernel[0]: [HID] [MT] MultitouchDevice::start device opened",
    ]
    assert _messages(lines) == [line.split("]: ", 1)[1] for line in lines]


def test_sources_remembered_for_their_columns_stay_bounded() -> None:
    from logsum.core.layouts import _MAX_DELIM_SOURCES, HeaderDetector

    detector = HeaderDetector(2026)
    for n in range(_MAX_DELIM_SOURCES + 50):
        # every line a source of its own: its count of pipes and of tabs differ
        pipes = "|" * (n % 40)
        tabs = "\t" * (n // 40)
        detector.split(f"2026-03-02 10:00:00 INFO message {n} {pipes} x{tabs}y")
    assert 0 < len(detector._columns) <= _MAX_DELIM_SOURCES


def test_a_level_word_in_a_column_before_the_message_gives_the_level() -> None:
    lines = [
        "2026-03-02 10:00:00.118 | node-4 | NOTICE | cache warmed in 12 ms | app.cache.Warmer",
        "2026-03-02 10:00:01.204 | node-4 | NOTICE | port 8443 bound | app.net.Listener",
        "2026-03-02 10:00:02.330 | node-7 | ERROR | lost the store | app.store.Client",
    ]
    engine = Engine(EngineConfig(default_year=2026))
    got = [engine.process(line) for line in lines][1:]
    assert [(r.message, r.header.level) for r in got] == [
        ("port 8443 bound", "NOTICE"),
        ("lost the store", "ERROR"),
    ]
