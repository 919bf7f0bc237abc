"""CSV records that open with their time (a database server's csvlog, seen on a real server):
the level field and the message field, not the whole record, make the pattern."""

from __future__ import annotations

from datetime import UTC, datetime

from logsum import Engine, EngineConfig, Severity

LINES = [
    '2026-03-02 10:00:00.205 UTC,"shop","orders",4821,"10.0.0.5:43504",6b172c73.3201,3,'
    '"SELECT",2026-03-02 10:00:00 UTC,3/5,0,ERROR,42P01,"relation ""missing_table"" does not'
    ' exist",,,,,,"select * from missing_table",15,,"psql","client backend",,0',
    '2026-03-02 10:00:01.296 UTC,"shop","nosuchdb",4822,"10.0.0.5:43546",6b172c73.3209,3,'
    '"startup",2026-03-02 10:00:01 UTC,3/9,0,FATAL,3D000,"database ""nosuchdb"" does not'
    ' exist",,,,,,,,,"","client backend",,0',
    "2026-03-02 10:00:02.319 UTC,,,4810,,6b172c72.31f2,1,,2026-03-02 10:00:00 UTC,,0,LOG,"
    '00000,"checkpoint starting: immediate force wait",,,,,,,,,"","checkpointer",,0',
    "2026-03-02 10:00:03.319 UTC,,,4810,,6b172c72.31f2,2,,2026-03-02 10:00:00 UTC,,0,LOG,"
    '00000,"checkpoint starting: immediate force wait",,,,,,,,,"","checkpointer",,0',
]


def test_a_csv_record_gives_its_level_message_and_time() -> None:
    engine = Engine(EngineConfig(default_year=2026))
    results = [engine.process(line) for line in LINES]
    assert [r.message for r in results] == [
        'relation "missing_table" does not exist',
        'database "nosuchdb" does not exist',
        "checkpoint starting: immediate force wait",
        "checkpoint starting: immediate force wait",
    ]
    assert [r.severity for r in results] == [
        Severity.ERROR,
        Severity.CRITICAL,
        Severity.INFO,
        Severity.INFO,
    ]
    assert results[0].timestamp == datetime(2026, 3, 2, 10, 0, 0, 205000, tzinfo=UTC)
    assert results[2].pattern_id == results[3].pattern_id
    assert engine.template(results[2].pattern_id) == "checkpoint starting: immediate force wait"


def test_a_sentence_with_commas_after_the_time_is_not_a_csv_record() -> None:
    line = "2026-03-02 10:00:00,123 WARN disk full on /var, /tmp, /home, /srv, /opt, retrying"
    r = Engine(EngineConfig(default_year=2026)).process(line)
    assert r.message == "disk full on /var, /tmp, /home, /srv, /opt, retrying"
    assert r.severity is Severity.WARNING
