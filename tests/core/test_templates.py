"""Template rules a reader of the patterns would notice: which words are values and which are
the event, and values that span several tokens or glue several parts together."""

from __future__ import annotations

from logsum import Engine
from logsum.core.miner import fits, generalise_token


def _templates(lines: list[str]) -> list[str]:
    """The final template of each line, read after the last line (as a user sees them)."""
    engine = Engine(message_only=True)
    ids = [engine.process(line).pattern_id for line in lines]
    return [engine.template(i) for i in ids]


def test_a_word_behind_equals_is_a_value_after_two_values() -> None:
    got = _templates(
        [
            "connection authorized: user=postgres database=orders",
            "connection authorized: user=app database=orders",
            "connection authorized: user=app database=users",
        ]
    )
    assert set(got) == {"connection authorized: user=<*> database=<*>"}


def test_a_word_after_a_known_key_word_is_a_value_after_two_values() -> None:
    got = _templates(
        [
            "Invalid user webmaster from 1.2.3.4",
            "Invalid user admin from 1.2.3.5",
            "Invalid user oracle from 1.2.3.6",
            "Invalid user guest from 1.2.3.7",
            "pam_unix(sshd:session): session opened for user root by (uid=0)",
            "pam_unix(sshd:session): session opened for user bob by (uid=0)",
        ]
    )
    assert got[-1] == "pam_unix(sshd:session): session opened for user <*> by (uid=<*>)"
    assert got[-2] == got[-1]


def test_verbs_and_states_stay_constant_with_few_values() -> None:
    lines = [
        "Job 12 started",
        "Job 13 paused",
        "Job 14 completed",
        "Changing state from RUNNING to FAILED",
        "Changing state from PENDING to RUNNING",
        "Failed password for root from 1.2.3.4 port 22 ssh2",
        "Accepted password for root from 1.2.3.5 port 22 ssh2",
        "user=alice logged in",
        "user=bob logged in",
    ]
    got = _templates(lines)
    assert got[:5] == [
        "Job <*> started",
        "Job <*> paused",
        "Job <*> completed",
        "Changing state from RUNNING to FAILED",
        "Changing state from PENDING to RUNNING",
    ]
    assert got[5] != got[6]
    assert got[7] == got[8] == "user=<*> logged in"


def test_a_percentage_is_a_value_by_shape() -> None:
    got = _templates(["disk 91% full on /var", "disk 85% full on /var", "cpu at (12.5%)"])
    assert got == ["disk <*> full on <*>", "disk <*> full on <*>", "cpu at (<*>)"]


def test_a_timestamp_inside_a_message_is_one_value() -> None:
    engine = Engine(message_only=True)
    lines = [
        "Backup finished at Mon Mar  2 10:00:00 2026",
        "Backup finished at Tue Mar 10 22:15:09 2026",
        "Last login: Tue Oct 13 01:02:03 2020 from 10.1.2.3",
        "Job 7 scheduled for 2026-03-02 10:00:00,123.",
        "cache flushed at 10:00:00 today",
    ]
    results = [engine.process(line) for line in lines]
    got = [engine.template(r.pattern_id) for r in results]
    assert got == [
        "Backup finished at <*>",
        "Backup finished at <*>",
        "Last login: <*> from <*>",
        "Job <*> scheduled for <*>.",
        "cache flushed at <*>:<*>:<*> today",  # a time of day alone keeps its parts
    ]
    # The values are read back whole, though the timestamp spans several tokens.
    assert results[1].params == ("Tue Mar 10 22:15:09 2026",)
    assert results[2].params == ("Tue Oct 13 01:02:03 2020", "10.1.2.3")


def test_composite_values_are_one_value() -> None:
    lines = [
        "Connecting to ResourceManager at node7.example.com/10.0.3.7:8030",
        "Connecting to ResourceManager at rm-host/10.0.3.8:8030",
        "Loading {4D9A1B2C-0000-1111-2222-333344445555}\\Windows\\System32\\kernel32.dll",
        "Assigned container of capacity <memory:1024, vCores:2> on host node1",
    ]
    assert _templates(lines) == [
        "Connecting to ResourceManager at <*>",
        "Connecting to ResourceManager at <*>",
        "Loading <*>",
        "Assigned container of capacity <memory:<*>, vCores:<*>> on host node1",
    ]


def test_numbers_joined_by_a_slash_are_two_values() -> None:
    got = _templates(["worker[32776/0x700000323000] read 12 bytes", "sent 3/4 chunks"])
    assert got == ["worker[<*>/<*>] read <*> bytes", "sent <*>/<*> chunks"]


def test_a_word_that_precedes_two_valued_slots_in_unrelated_templates_is_a_key() -> None:
    got = _templates(
        [
            "pam_unix(sshd:session): session closed for user root",
            "pam_unix(sshd:session): session closed for user bob",
            "Started Session 12 of user root.",
            "Started Session 13 of user alice.",
            # one family: the slot may be the event itself, so it teaches nothing
            "Service nginx is up",
            "Service nginx is down",
            # upper-case words are states or levels, not values
            "Changing state from RUNNING to FAILED",
            "Changing state from RUNNING to SUCCEEDED",
            "Setting log level to DEBUG",
            "Setting log level to INFO",
        ]
    )
    assert got[3] == "Started Session <*> of user <*>."
    assert got[4:] == [
        "Service nginx is up",
        "Service nginx is down",
        "Changing state from RUNNING to FAILED",
        "Changing state from RUNNING to SUCCEEDED",
        "Setting log level to DEBUG",
        "Setting log level to INFO",
    ]


def test_a_quoted_value_behind_equals_is_a_value_after_two_values() -> None:
    got = _templates(
        [
            '"Probe failed" probeType="Liveness" pod="web-1a" containerName="app"',
            '"Probe failed" probeType="Liveness" pod="api-2b" containerName="sidecar"',
        ]
    )
    assert set(got) == {'"Probe failed" probeType="Liveness" pod="<*>" containerName="<*>"'}


def test_a_value_glued_before_a_bracket_keeps_the_bracketed_part() -> None:
    got = _templates(
        [
            "session opened for user root(uid=0) by (uid=0)",
            "session opened for user bob(uid=1000) by (uid=0)",
            "session opened for user carol(uid=1001) by (uid=0)",
            "session opened for user dave(uid=1002) by (uid=0)",
        ]
    )
    assert got[-1] == "session opened for user <*>(uid=<*>) by (uid=<*>)"


def test_an_address_after_a_bracket_and_a_url_before_an_escaped_quote_are_one_value() -> None:
    from logsum.core.masking import mask

    assert mask("TLS: Initial packet from [AF_INET]10.1.2.3:1194") == (
        "TLS: Initial packet from [AF_INET]<*>"
    )
    assert mask('output="Get \\"http://10.0.0.7:8080/healthz\\": refused"') == (
        'output="Get \\"<*>\\": refused"'
    )


def test_a_number_glued_to_a_name_is_a_value_but_a_digit_naming_a_kind_is_not() -> None:
    got = _templates(
        [
            "received client metadata from conn84647",
            "received client metadata from conn12",
            "MDNS: IPV4 Addr: 10.0.0.1",
            "MDNS: IPV6 Addr: fe80::1:2:3",
        ]
    )
    assert got[0] == got[1] == "received client metadata from conn<*>"
    assert got[2] == "MDNS: IPV4 Addr: <*>"
    assert got[3] == "MDNS: IPV6 Addr: <*>"


def test_a_quoted_word_is_a_slot_but_a_quoted_state_name_is_the_event() -> None:
    got = _templates(
        [
            "The table 'orders' is full",
            "The table 'users' is full",
            "Location icon should now be in state 'Active'",
            "Location icon should now be in state 'Inactive'",
        ]
    )
    assert got[0] == got[1] == "The table '<*>' is full"
    assert got[2] != got[3]


def test_words_seen_filling_a_slot_are_values_in_other_templates() -> None:
    services = ["ftp", "telnet", "rsync", "tftp"]
    lines = [f"START: {s} pid={100 + i} from=10.0.0.{i}" for i, s in enumerate(services)]
    lines += [
        "EXIT: ftp status=0 pid=7 duration=5(sec)",
        "EXIT: tftp status=1 pid=8 duration=2(sec)",
    ]
    got = _templates(lines)
    assert got[0] == "START: <*> pid=<*> from=<*>"
    assert got[-1] == got[-2] == "EXIT: <*> status=<*> pid=<*> duration=<*>(sec)"


def test_a_name_glued_to_a_value_is_part_of_it_but_a_dotted_label_is_not() -> None:
    got = _templates(
        [
            "Displayed com.example.notes/.HomeActivity: +120ms",
            "Displayed com.example.notes/.MainActivity: +90ms",
            "data store interrupt caused by icbi.........0",
            "data store interrupt caused by dcbf.........0",
        ]
    )
    assert got[0] == got[1] == "Displayed <*>/.<*>: <*>"
    assert got[2] != got[3]


def test_versions_underscore_ids_and_user_at_host_are_one_value() -> None:
    got = _templates(
        [
            "Loaded Servicing Stack v6.1.7601.23505 for session 30546174_3203946474",
            "Job deleted at request of grace@node25.example.net",
            "connection from 10.0.0.9 (p548BB490.dip0.t-ipconnect.de)",
        ]
    )
    assert got == [
        "Loaded Servicing Stack <*> for session <*>",
        "Job deleted at request of <*>",
        "connection from <*> (<*>)",
    ]


def test_names_that_differ_after_a_word_are_values_after_two_but_states_are_not() -> None:
    got = _templates(
        [
            "Proxy api started.",
            "Proxy stats started.",
            "Service db is up",
            "Service db is down",
            "BuildActDeviceEntry enter",
            "BuildActDeviceEntry exit",
            "instruction address: 0x1f",
            "data address: 0x2e",
        ]
    )
    assert got[0] == got[1] == "Proxy <*> started."
    assert got[2] != got[3]  # a state word is the event
    assert got[4] != got[5]  # so is a verb
    assert got[6] != got[7]  # the first word says what the message is about


def test_parts_of_a_slash_joined_value_generalise_one_by_one() -> None:
    got = _templates(
        [
            f'"Successfully bound pod" pod="{ns}/{name}" node="{node}"'
            for ns, name, node in [
                ("billing", "api-7f9c2d1e4-x2p9q", "worker-1"),
                ("orders", "web-2afe84974-v7nh1", "worker-2"),
                ("ledger", "auth-0af9f4377-z5sxe", "worker-3"),
            ]
        ]
        + [f"Server {b}/{s} is DOWN" for b, s in [("api_back", "nova"), ("web_back", "kilo")] * 2]
        + [f"Server {b}/{s} is DOWN" for b, s in [("db_back", "lima"), ("io_back", "echo")]]
    )
    assert set(got[:3]) == {'"Successfully bound pod" pod="<*>/<*>" node="<*>"'}
    assert set(got[3:]) == {"Server <*>/<*> is DOWN"}


def test_file_line_approximations_logins_and_package_identities_are_masked_by_shape() -> None:
    got = _templates(
        [
            "ib_sm.x[4785]: [ib_sm_bringup.c:5761]: Configured 7 of 9 ports",
            "Compacted 4 sstables (~47% of original) at ~12.5MiB/s",
            "Retrying connect to server: node-17:8030. Already tried 0 time(s)",
            "connected to master 'repl@10.0.0.7:3306'",
            "Read out cached package applicability for package: "
            "Package_for_KB2919355~31bf3856ad364e35~amd64~~6.3.1.14, ApplicableState: 112",
        ]
    )
    assert got == [
        "ib_sm.x[<*>]: [ib_sm_bringup.c:<*>]: Configured <*> of <*> ports",
        "Compacted <*> sstables (~<*> of original) at ~<*>/s",
        "Retrying connect to server: <*>. Already tried <*> time(s)",
        "connected to master 'repl@<*>'",
        "Read out cached package applicability for package: <*>, ApplicableState: <*>",
    ]


def test_the_states_of_a_transition_stay_constant_however_many_are_seen() -> None:
    moves = [
        ("NEW", "SCHEDULED"),
        ("SCHEDULED", "RUNNING"),
        ("RUNNING", "SUCCEEDED"),
        ("RUNNING", "FAILED"),
        ("RUNNING", "KILL_WAIT"),
        ("KILL_WAIT", "KILLED"),
    ]
    lines = [
        f"task_1445087491445_{n:04d}_m_00000{n} Task Transitioned from {a} to {b}"
        for n, (a, b) in enumerate(moves * 2)
    ]
    arrows = [f"health of shard {n} [{a}] -> [{b}]" for n, (a, b) in enumerate(moves * 2)]
    got = _templates(lines + arrows)
    assert got[: len(moves)] == [f"<*> Task Transitioned from {a} to {b}" for a, b in moves]
    assert got[len(lines) : len(lines) + len(moves)] == [
        f"health of shard <*> [{a}] -> [{b}]" for a, b in moves
    ]
    # Other upper-case words in one place are values once three were seen (A, MX, TXT).
    got = _templates(
        [f"lookup of {t} record for example.org failed" for t in ["A", "MX", "TXT", "NS"]]
    )
    assert set(got) == {"lookup of <*> record for example.org failed"}


def test_names_with_digits_slashes_or_in_capitals_are_values_after_three() -> None:
    got = _templates(
        [f"EXT4-fs ({d}): mounted filesystem with ordered data mode" for d in ("sda1", "sdb2")]
        + ["EXT4-fs (nvme0n1p1): mounted filesystem with ordered data mode"]
        + [f"client 10.0.0.{n} query: example.org IN {t} +" for n, t in enumerate(["A", "MX"])]
        + ["client 10.0.0.9 query: example.org IN AAAA +"]
        + [f"sending 200 with content type {t}" for t in ("text/html", "image/png")]
        + ["sending 200 with content type application/json"]
        + [f"peer 3 is {s} (n.state)" for s in ("LOOKING", "FOLLOWING", "LEADING")]
    )
    assert set(got[:3]) == {"EXT4-fs (<*>): mounted filesystem with ordered data mode"}
    assert set(got[3:6]) == {"client <*> query: example.org IN <*> +"}
    assert set(got[6:9]) == {"sending <*> with content type <*>/<*>"}
    # Upper-case verb forms are states, the event itself.
    assert got[9:] == [f"peer <*> is {s} (n.state)" for s in ("LOOKING", "FOLLOWING", "LEADING")]


def test_a_first_word_with_a_digit_is_a_value_after_three_an_upper_case_one_is_the_event() -> None:
    got = _templates(
        [f"{d}: link becomes ready" for d in ("eth0", "wlan1", "enp3s0")]
        + [f"{m} on 10.0.0.{n} via eth0" for n, m in enumerate(["DHCPACK", "DHCPNAK"] * 2)]
        + ["DHCPOFFER on 10.0.0.9 via eth0"]
    )
    assert set(got[:3]) == {"<*>: link becomes ready"}
    assert got[3:5] == ["DHCPACK on <*> via eth0", "DHCPNAK on <*> via eth0"]
    assert got[-1] == "DHCPOFFER on <*> via eth0"


def test_a_lower_case_name_opening_a_message_is_a_value_after_three() -> None:
    got = _templates(
        [
            f"{u} : TTY=pts/0 ; PWD=/home/{u} ; USER=root ; COMMAND=/bin/systemctl restart nginx"
            for u in ("alice", "bob", "carol")
        ]
        + [f"{v} worker pool for queue mail" for v in ("start", "stop", "resume")]
    )
    assert set(got[:3]) == {"<*> : TTY=pts/<*> ; PWD=<*> ; USER=root ; COMMAND=<*> restart nginx"}
    assert len(set(got[3:])) == 3  # verbs opening a message are the event


def test_places_of_both_kinds_of_value_words_merge_after_three() -> None:
    got = _templates(
        [
            f"Process com.example.{app} (pid {pid}) has died: {a} {b}"
            for app, pid, a, b in [
                ("notes", 4121, "fg", "TOP"),
                ("mail", 4188, "vis", "SVC"),
                ("maps", 4203, "prev", "CEM"),
            ]
        ]
    )
    assert set(got) == {"Process <*> (pid <*>) has died: <*> <*>"}


def test_a_name_glued_by_a_dash_to_a_composite_value_stays() -> None:
    got = _templates(
        [
            f"Writing Memtable-{t}@{n}(1.2MiB serialized bytes, {k} ops, 4%/0% of off-heap limit)"
            for t, n, k in [("users", 1204, 31), ("orders", 88211, 7)]
        ]
    )
    assert set(got) == {
        "Writing Memtable-<*>@<*>(<*> serialized bytes, <*> ops, <*>/<*> of off-heap limit)"
    }


def test_a_package_version_with_its_revision_is_one_value() -> None:
    got = _templates(
        [
            "status installed libc6:amd64 2.36-9+deb12u4",
            "Setting up libssl3:amd64 (3.0.15-1~deb12u1) ...",
            "upgrade util-linux:amd64 1:2.38.1-5 1:2.39.2-1",
            "Unpacking man-db (2.11.2-3) over (9.13.5-8build1) ...",
            "Pulling image python:3.12-slim range 1.5-2",
        ]
    )
    assert got == [
        "status installed libc6:amd64 <*>",
        "Setting up libssl3:amd64 (<*>) ...",
        "upgrade util-linux:amd64 <*> <*>",
        "Unpacking man-db (<*>) over (<*>) ...",
        # a named flavour and numbers joined by '-' alone keep their parts
        "Pulling image python:<*>-slim range <*>-<*>",
    ]


def test_a_path_shortened_to_three_dots_is_one_value() -> None:
    got = _templates(
        [
            "Preparing to unpack .../03-libssl3_3.0.15-1~deb12u1_amd64.deb ...",
            "Preparing to unpack .../libc6_2.36-9+deb12u4_amd64.deb ...",
        ]
    )
    assert set(got) == {"Preparing to unpack <*> ..."}


def test_an_ipv6_address_in_brackets_with_its_port_is_one_value() -> None:
    got = _templates(
        [
            "Accepting connections at local=[::]:3128 remote=[::]",
            "Closing port [fe80::1c:2]:8080",
        ]
    )
    assert got == ["Accepting connections at local=<*> remote=[::]", "Closing port <*>"]


def test_the_words_of_a_two_word_dotted_name_are_values_one_by_one() -> None:
    got = _templates(
        [
            f"build index on: {db}.{coll} properties: {{ v: 2 }}"
            for db, coll in [
                ("orders", "ledger"),
                ("catalog", "metrics"),
                ("users", "sessions"),
                ("billing", "invoices"),
            ]
        ]
        + [f"lookup {name} failed" for name in ["example.com", "corp.local", "shop.de", "db.lan"]]
    )
    assert set(got[:4]) == {"build index on: <*>.<*> properties: { v: <*> }"}
    # a domain name is one host, one value
    assert set(got[4:]) == {"lookup <*> failed"}


def test_a_plain_word_before_a_slash_and_an_address_is_a_value_of_its_own() -> None:
    got = _templates(
        [
            f"{user}/10.0.0.{i}:{1194 + i} MULTI_sva: pool returned IPv4=10.8.0.{i}"
            for i, user in enumerate(["alice", "bob", "carol", "dave"])
        ]
        + ["Connecting to ResourceManager at msra-sa-41/10.190.173.170:8030"]
    )
    assert set(got[:4]) == {"<*>/<*> MULTI_sva: pool returned IPv4=<*>"}
    assert got[4] == "Connecting to ResourceManager at <*>"  # a host name and its address


def test_two_words_after_as_are_two_events_more_are_values() -> None:
    lines = [
        f"Block {block} stored as {kind} in memory (estimated size 1.5 KB, free 2.1 GB)"
        for block, kind in [
            ("rdd_3_1", "values"),
            ("broadcast_4", "bytes"),
            ("rdd_3_2", "values"),
            ("broadcast_5_piece0", "bytes"),
        ]
    ]
    lines += [f"session opened as {u} on tty1" for u in ["root", "alice", "bob", "carol"]]
    got = _templates(lines)
    assert (
        got[0]
        == got[2]
        == ("Block <*> stored as values in memory (estimated size <*> KB, free <*> GB)")
    )
    assert (
        got[1]
        == got[3]
        == ("Block <*> stored as bytes in memory (estimated size <*> KB, free <*> GB)")
    )
    assert set(got[4:]) == {"session opened as <*> on tty1"}


def test_startup_and_shutdown_are_two_events() -> None:
    """An ASGI server's own lines (seen on a real server): the phase word is the event."""
    got = _templates(["Application startup complete.", "Application shutdown complete."])
    assert got == ["Application startup complete.", "Application shutdown complete."]


def test_a_long_random_token_is_a_value_even_seen_once() -> None:
    """An API key printed at start-up is not kept in a template; a long CamelCase name with
    digits, a word run and a shorter id are not tokens."""
    got = _templates(
        [
            "Created key: lsk_nTnfDoCpnpzj1vQx8e_uKqKxLGvr6fEQRy6Ccicgwjs",
            "session secret=Kq8vR2xLp0ZtYw4NbM7cUe1HsJ9dGa3FoTi6 loaded",
            "Using Http2ServerConnectionFactoryBuilder3Impl for transport",
        ]
    )
    assert got == [
        "Created key: <*>",
        "session secret=<*> loaded",
        "Using Http2ServerConnectionFactoryBuilder3Impl for transport",
    ]


def test_a_placeholder_beside_a_value_slot_is_one_pattern_with_it() -> None:
    """A package manager configures a package with no old version (``<none>``) or with one:
    one pattern; a placeholder where every line has it stays in the template."""
    got = _templates(
        [
            "configure bazlib:amd64 3.1.4-2 3.1.4-2",
            "configure quxd:amd64 0.9.1-3 0.9.1-3",
            "configure libfoo1:amd64 1.2.3-1 <none>",
            "configure barutil:amd64 2.0.7-4+b1 <none>",
            "configure zed:amd64 5.2.1-1 <none>",
            "install libfoo1:amd64 <none> 1.2.3-1",
            "install barutil:amd64 <none> 2.0.7-4+b1",
            "install zed:amd64 <none> 5.2.1-1",
        ]
    )
    assert set(got[:5]) == {"configure <*>:amd64 <*> <*>"}
    assert set(got[5:]) == {"install <*>:amd64 <none> <*>"}


def test_patterns_kept_apart_by_another_place_do_not_count_as_more_words() -> None:
    # Two events (a container died, a container started) in many namespaces: the namespaces
    # keep the started lines in several patterns for a while, but they all carry one word
    # where they differ from the died lines; two words are not four.
    lines = []
    for ns in ("ledger", "audit", "payments", "users", "inventory", "profiles", "invoices"):
        lines.append(f'event for pod pod="{ns}/auth-0af9f4377-z5sxe" Type:ContainerDied')
        lines.append(f'event for pod pod="{ns}/web-5afef366c-za83a" Type:ContainerStarted')
    got = _templates(lines)
    assert all(t.endswith("Type:ContainerDied") for t in got[0::2])
    assert all(t.endswith("Type:ContainerStarted") for t in got[1::2])


def test_an_escaped_quote_around_a_value_stays_whole() -> None:
    got = _templates(
        [
            'err="failed to \\"StartContainer\\" for \\"app\\" with CrashLoopBackOff"',
            'err="failed to \\"StartContainer\\" for \\"worker\\" with CrashLoopBackOff"',
            'err="failed to \\"StartContainer\\" for \\"sidecar\\" with CrashLoopBackOff"',
            'err="failed to \\"StartContainer\\" for \\"init\\" with CrashLoopBackOff"',
        ]
    )
    assert set(got) == {'err="failed to \\"StartContainer\\" for \\"<*>\\" with CrashLoopBackOff"'}


def test_an_id_glued_from_a_number_and_a_name_and_values_after_a_lone_equals() -> None:
    # A scheduler's job id (number.server) in a ';'-joined record, and 'key = value' pairs
    # with a space around '=': values, so the lines are one event at once.
    got = _templates(
        [
            "Job;51775.echo;Job Queued by a@h.example.com, job name = run.sh, queue = batch",
            "Job;10885.fox;Job Queued by b@h.example.com, job name = train, queue = long",
            "Job;71885.gamma;Job Queued by c@h.example.com, job name = run.sh, queue = workq",
        ]
    )
    assert set(got) == {"Job;<*>;Job Queued by <*>, job name = <*>, queue = <*>"}


def test_a_unit_after_a_number_is_part_of_its_value() -> None:
    got = _templates(
        [
            "Block rdd_9_56 stored in memory (estimated size 492.14 MB, free 977.58 MB)",
            "Block rdd_5_137 stored in memory (estimated size 589.26 KB, free 597.59 GB)",
            "Block rdd_3_1 stored in memory (estimated size 12.0 B, free 1.5 GB)",
        ]
    )
    assert set(got) == {"Block <*> stored in memory (estimated size <*> <*>, free <*> <*>)"}


def test_a_run_of_dots_after_a_word_is_a_label_not_a_glued_value() -> None:
    # A label padded with dots (a fixed-width report) is not a composite value: the words
    # before the dots name different events.
    lines = ["program interrupt: instruction......0", "program interrupt: operation..1"] * 2
    got = _templates(lines)
    assert got[:2] == [
        "program interrupt: instruction......<*>",
        "program interrupt: operation..<*>",
    ]


def test_the_words_after_a_lone_equals_are_one_value() -> None:
    # An update's title after "Title =": of any length, one value.
    got = _templates(
        [
            "Title = Security Intelligence Update for Microsoft Defender Antivirus",
            "Title = 2024-01 Cumulative Update for Windows 11",
            "Title = Update for Windows Security platform",
            "Title = Feature update to Windows 11, version 23H2",
            "Title = Servicing Stack Update for Windows Server",
        ]
    )
    assert set(got) == {"Title = <*>"}
    same_length = _templates(
        [
            "Title = Security Update for Windows",
            "Title = Cumulative Update for Server",
            "Title = Definition Update for Defender",
        ]
    )
    assert set(same_length) == {"Title = <*> Update for <*>"}


def test_a_quote_escaped_in_one_value_only_still_fits_both_lines() -> None:
    # The same key's value quoted with an escaped quote in one line and a plain one in the
    # other: the template keeps only the closing quote both have, so it fits both lines.
    for a, b in (('msg=\\"app\\"', 'msg="worker"'), ('x\\"', 'y"'), ('"a\\"', '"bb"')):
        merged = generalise_token(a, b)
        assert fits(merged, a) and fits(merged, b), (a, b, merged)
    assert generalise_token('\\"app\\"', '\\"worker\\"') == '\\"<*>\\"'


def test_a_value_after_a_lone_equals_ends_at_its_comma_across_lengths() -> None:
    # Values of one or more words after "key = " (lines of different lengths): each value is
    # one variable up to the comma that ends it, and the keys after it stay in the template.
    got = _templates(
        [
            "Job queued by alice, job name = run.sh, queue = batch, nodes = 4",
            "Job queued by bob, job name = train model, queue = long, nodes = 8",
            "Job queued by carol, job name = eval, queue = short, nodes = 2",
            "Job queued by dave, job name = big run now, queue = gpu, nodes = 16",
        ]
    )
    assert set(got) == {"Job queued by <*> job name = <*> queue = <*> nodes = <*>"}


def test_a_word_in_brackets_glued_to_a_name_is_a_value_as_other_words() -> None:
    # Lines whose only word is a name with a word in its brackets meet under that name, and the
    # bracketed word becomes a value as words do elsewhere: four plain words, or three with a
    # digit (interfaces); with fewer, the lines stay apart.
    scripts = ["chk_web", "chk_db", "chk_cache", "chk_proxy"]
    got = _templates([f"VRRP_Script({s}) exited 10.0.0.{n}" for n, s in enumerate(scripts)])
    assert set(got) == {"VRRP_Script(<*>) exited <*>"}
    got = _templates([f"VRRP_Script({s}) exited 10.0.0.{n}" for n, s in enumerate(scripts[:3])])
    assert len(set(got)) == 3
    got = _templates([f"DHCPDISCOVER({i}) 52:54:00:12:34:5{n}" for n, i in enumerate(["a0", "b1"])])
    assert len(set(got)) == 2
    got = _templates(
        [f"DHCPDISCOVER({i}) 52:54:00:12:34:5{n}" for n, i in enumerate(["a0", "b1", "c2"])]
    )
    assert set(got) == {"DHCPDISCOVER(<*>) <*>"}
    # A qualified name in brackets (a PAM service and its stage) is not such a word.
    stages = ["sshd:auth", "sshd:session", "cron:session", "su:session", "sudo:session"]
    got = _templates([f"pam_unix({s}) 10.0.0.{n}" for n, s in enumerate(stages)])
    assert len(set(got)) == len(stages)


def test_a_state_name_beside_the_word_state_stays_constant() -> None:
    states = ["MASTER", "BACKUP", "FAULT", "INIT", "STOP"]
    got = _templates([f"({v}) Entering {s} STATE" for v in ("VI_1", "VI_2") for s in states])
    assert set(got) == {f"(<*>) Entering {s} STATE" for s in states}


def test_a_day_name_opens_a_timestamp_in_a_message() -> None:
    got = _templates(
        [
            "ProFTPD 1.3.8 (built Thu Feb 2 2023 10:11:12 UTC) standalone mode STARTUP",
            "ProFTPD 1.3.7 (built Mon Jan 9 2023 08:01:02 UTC) standalone mode STARTUP",
            "cache entry expires Mon, 02 Mar 2026 10:00:00 GMT now",
            "cache entry expires Tue, 03 Mar 2026 11:30:00 GMT now",
        ]
    )
    assert got[0] == "ProFTPD <*> (built <*>) standalone mode STARTUP"
    assert got[2] == "cache entry expires <*> now"


def test_a_hex_id_glued_by_underscores_and_a_link_layer_header_are_one_value() -> None:
    got = _templates(
        [
            "task (ea609ddfa32e_929466975835_15_0) deployed",
            "task (0c1d2e3f4a5b_6c7d8e9f0a1b_3_0) deployed",
            "IN=eth0 MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 SRC=10.0.0.1",
            "IN=eth0 MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00 SRC=10.0.0.2",
        ]
    )
    assert got[0] == "task (<*>) deployed"
    assert got[2] == "IN=eth0 MAC=<*> SRC=<*>"


def test_a_directory_s_closing_slash_is_part_of_its_name() -> None:
    assert generalise_token("path=secret/", "path=pki/") == "path=<*>"
    assert generalise_token("path=<*>", "path=kv/") == "path=<*>"
    assert generalise_token("[x/]", "[y/]") == "[<*>/]"  # a slash inside brackets stays


def test_a_line_joins_its_own_event_where_a_key_s_value_differs() -> None:
    # ALLOW lines meet the more frequent BLOCK pattern first; one that differs from the ALLOW
    # pattern only in the value of IN= joins it rather than starting a pattern of its own.
    lines = [f"[FW BLOCK] IN={i} SRC=10.0.0.{n} PROTO=TCP" for n, i in enumerate(["a", "b"] * 4)]
    lines += [f"[FW ALLOW] IN={i} SRC=10.0.1.{n} PROTO=TCP" for n, i in enumerate(["a", "b", "c"])]
    got = _templates(lines)
    assert set(got[8:]) == {"[FW ALLOW] IN=<*> SRC=<*> PROTO=TCP"}


def test_a_backtick_quoted_word_and_addresses_beside_an_arrow_are_values() -> None:
    assert generalise_token("`chk_web`", "`chk_db`") == "`<*>`"
    got = _templates(
        [
            "Script `chk_web` now returning 0",
            "Script `chk_db` now returning 1",
            "read tcp 10.0.0.1:443->10.0.0.2:5678: i/o timeout",
        ]
    )
    assert got[0] == "Script `<*>` now returning <*>"
    assert got[2] == "read tcp <*>-><*>: i/o timeout"


def test_two_request_methods_make_a_value() -> None:
    got = _templates(
        [
            "child 12, script '/srv/a.php' (request: \"GET /a.php\") executing too slow",
            "child 13, script '/srv/b.php' (request: \"POST /b.php\") executing too slow",
        ]
    )
    assert set(got) == {"child <*>, script '<*>' (request: \"<*> <*>\") executing too slow"}


def test_upper_case_names_in_brackets_glued_to_a_name_are_values_after_three() -> None:
    types = ["A", "AAAA", "MX"]
    got = _templates([f"query[{t}] example.org from 10.0.0.{n}" for n, t in enumerate(types)])
    assert set(got) == {"query[<*>] example.org from <*>"}
    got = _templates([f"query[{t}] example.org from 10.0.0.{n}" for n, t in enumerate(types[:2])])
    assert len(set(got)) == 2
