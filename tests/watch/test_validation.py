"""Source path and webhook URL validation (SSRF), and the retry policy."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from logsum.core.model import Severity
from logsum.watch.errors import SourcePathError, WebhookUrlError
from logsum.watch.manage import parse_severities
from logsum.watch.paths import validate_source
from logsum.watch.retry import RetryPolicy, parse_retry_after
from logsum.watch.urlcheck import Resolver, check_webhook_url


def fake_dns(answers: dict[str, list[str]]) -> Resolver:
    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError("NXDOMAIN")
        return answers[host]

    return resolve


# -- source paths -------------------------------------------------------------------------------


def test_source_inside_root_is_accepted_even_if_missing(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    root.mkdir()
    assert validate_source(str(root / "app.log"), [root]) == (root / "app.log").resolve()
    assert validate_source(str(root / "sub" / "x.log"), [root]) == root.resolve() / "sub/x.log"


@pytest.mark.parametrize("kind", ["dotdot", "symlink_file", "symlink_dir", "outside", "relative"])
def test_source_escaping_the_roots_is_refused(tmp_path: Path, kind: str) -> None:
    root = tmp_path / "logs"
    root.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    if kind == "dotdot":
        src = str(root / ".." / "secret.txt")
    elif kind == "symlink_file":
        (root / "link.log").symlink_to(secret)
        src = str(root / "link.log")
    elif kind == "symlink_dir":
        (root / "d").symlink_to(tmp_path)
        src = str(root / "d" / "secret.txt")
    elif kind == "outside":
        src = "/etc/passwd"
    else:
        src = "logs/app.log"
    with pytest.raises(SourcePathError):
        validate_source(src, [root])


def test_source_refused_without_roots_or_for_a_directory(tmp_path: Path) -> None:
    with pytest.raises(SourcePathError, match="LOGSUM_WATCH_ROOTS"):
        validate_source(str(tmp_path / "a.log"), [])
    (tmp_path / "dir").mkdir()
    with pytest.raises(SourcePathError, match="directory"):
        validate_source(str(tmp_path / "dir"), [tmp_path])
    with pytest.raises(SourcePathError):
        validate_source(str(tmp_path), [tmp_path])  # the root itself


def test_symlink_inside_the_root_to_a_file_inside_the_root_is_fine(tmp_path: Path) -> None:
    (tmp_path / "real.log").write_text("")
    (tmp_path / "alias.log").symlink_to(tmp_path / "real.log")
    assert (
        validate_source(str(tmp_path / "alias.log"), [tmp_path])
        == (tmp_path / "real.log").resolve()
    )


# -- webhook URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "gopher://example.com",
        "http:///nohost",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(WebhookUrlError):
        check_webhook_url(url, allow_private=False, resolver=fake_dns({}))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "169.254.1.1",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fd00:ec2::254",
        "fe80::1",
        "::ffff:127.0.0.1",
        "240.0.0.1",
        # IPv6 forms carrying an IPv4 address are judged by it (issue 18 item 5).
        "64:ff9b::7f00:1",  # NAT64
        "::7f00:1",  # IPv4-compatible
        "::127.0.0.1",
        "::ffff:0:7f00:1",  # IPv4-translated
        "2002:7f00:1::1",  # 6to4
        "2002:a9fe:a9fe::1",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
        "64:ff9b::a01:203",  # NAT64 of 10.1.2.3
        "64:ff9b:1::7f00:1",  # local-use NAT64
    ],
)
def test_forbidden_addresses_are_refused_by_name_and_literal(address: str) -> None:
    dns = fake_dns({"hook.example": [address]})
    with pytest.raises(WebhookUrlError):
        check_webhook_url("https://hook.example/x", allow_private=False, resolver=dns)
    literal = f"[{address}]" if ":" in address else address
    with pytest.raises(WebhookUrlError):
        check_webhook_url(f"http://{literal}/x", allow_private=False, resolver=dns)


def test_one_bad_address_among_several_is_enough_to_refuse() -> None:
    dns = fake_dns({"hook.example": ["93.184.216.34", "127.0.0.1"]})
    with pytest.raises(WebhookUrlError, match="loopback"):
        check_webhook_url("https://hook.example/", allow_private=False, resolver=dns)


def test_public_address_is_accepted_and_pinned() -> None:
    dns = fake_dns({"hook.example": ["93.184.216.34"]})
    t = check_webhook_url("https://hook.example:8443/in?x=1", allow_private=False, resolver=dns)
    assert (t.scheme, t.host, t.port, t.address) == ("https", "hook.example", 8443, "93.184.216.34")
    assert t.pinned_url() == "https://93.184.216.34:8443/in?x=1"
    assert t.host_header == "hook.example:8443"


def test_allow_private_permits_loopback_but_never_metadata() -> None:
    t = check_webhook_url("http://127.0.0.1:9/h", allow_private=True)
    assert t.address == "127.0.0.1"
    with pytest.raises(WebhookUrlError, match="metadata"):
        check_webhook_url("http://169.254.169.254/latest", allow_private=True)


@pytest.mark.parametrize(
    "address",
    ["64:ff9b::a9fe:a9fe", "::a9fe:a9fe", "2002:a9fe:a9fe::1", "::ffff:169.254.169.254"],
)
def test_metadata_carried_in_ipv6_is_refused_even_with_allow_private(address: str) -> None:
    with pytest.raises(WebhookUrlError, match="metadata"):
        check_webhook_url(f"http://[{address}]/latest", allow_private=True)


@pytest.mark.parametrize("address", ["64:ff9b::5db8:d822", "2002:5db8:d822::1", "::ffff:5db8:d822"])
def test_ipv6_carrying_a_public_ipv4_is_accepted(address: str) -> None:
    t = check_webhook_url(f"https://[{address}]/in", allow_private=False)
    assert t.address == address


def test_unresolvable_host_is_refused() -> None:
    with pytest.raises(WebhookUrlError, match="resolve"):
        check_webhook_url("https://nx.example/", allow_private=False, resolver=fake_dns({}))


def test_dns_rebinding_is_caught_at_the_second_check() -> None:
    answers = {"hook.example": ["93.184.216.34"]}
    dns = fake_dns(answers)
    check_webhook_url("https://hook.example/", allow_private=False, resolver=dns)
    answers["hook.example"] = ["127.0.0.1"]
    with pytest.raises(WebhookUrlError):
        check_webhook_url("https://hook.example/", allow_private=False, resolver=dns)


# -- retry policy -------------------------------------------------------------------------------


def test_backoff_grows_exponentially_with_full_jitter_and_a_cap() -> None:
    p = RetryPolicy(max_attempts=5, base_s=1.0, cap_s=10.0)
    rng = random.Random(7)
    for attempts, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (6, 10.0), (30, 10.0)]:
        waits = [p.delay(attempts, retry_after_s=None, rng=rng) for _ in range(200)]
        assert all(0.0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling * 0.8  # jitter spans the range
        assert min(waits) < ceiling * 0.2
    assert not p.exhausted(4)
    assert p.exhausted(5)


def test_retry_after_is_a_floor_with_a_cap() -> None:
    p = RetryPolicy(base_s=1.0, cap_s=2.0, max_retry_after_s=60.0)
    rng = random.Random(1)
    assert p.delay(1, retry_after_s=30.0, rng=rng) == 30.0
    assert p.delay(1, retry_after_s=10_000.0, rng=rng) == 60.0


def test_parse_retry_after_seconds_and_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == 120.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None, now=now) is None


def test_an_error_filter_delivers_critical_records_too() -> None:
    """A FATAL line is critical, the worst kind of error: a filter listing "error" (such as the
    contract's ["error", "warning"]) delivers it; the other severities only where listed."""
    errors = parse_severities(["error", "warning"])
    assert [errors.matches(s) for s in Severity] == [
        s in (Severity.CRITICAL, Severity.ERROR, Severity.WARNING) for s in Severity
    ]
    only_critical = parse_severities(["critical"])
    assert only_critical.matches(Severity.CRITICAL) and not only_critical.matches(Severity.ERROR)
    assert all(parse_severities([]).matches(s) for s in Severity)
