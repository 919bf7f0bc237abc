"""Webhook URL validation against server-side request forgery (SSRF).

A webhook URL is checked twice: when the watch is created (so the caller gets a 400) and before
every delivery attempt, because DNS answers change (DNS rebinding: a name that resolved to a
public address at creation may resolve to ``127.0.0.1`` later). The delivery then connects to
the very address that was checked (:attr:`Target.address`), sending the original host name in
the ``Host`` header and as the TLS server name, so a second, different DNS answer can never be
used between the check and the connection.

Refused: schemes other than ``http``/``https``; URLs without a host; and any host that resolves
(all of its addresses are checked) to a loopback, private, link-local, shared (CGNAT), reserved
or otherwise non-global address, unless the operator allows private targets. Always refused,
even then: multicast and unspecified addresses, and the cloud metadata endpoints
(``169.254.169.254``, ``fd00:ec2::254``, ``100.100.100.200``), which are never webhook receivers
and are the classic SSRF prize.

IPv6 addresses that carry an IPv4 address are judged by that IPv4 address (it is where the
packets end up): IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, IPv4-translated
``::ffff:0:a.b.c.d``, NAT64 ``64:ff9b::a.b.c.d``, 6to4 ``2002:AABB:CCDD::/48`` and Teredo
(its server and its client address). So ``[64:ff9b::7f00:1]`` is loopback, and
``[64:ff9b::a9fe:a9fe]`` the metadata endpoint, whatever the operator allows. The local-use
NAT64 prefix ``64:ff9b:1::/48`` (where the IPv4 part sits depends on the operator's prefix
length) counts as non-public.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from logsum.watch.errors import WebhookUrlError

MAX_URL_CHARS = 2048
"""Longest webhook URL accepted."""

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
"""Cloud instance-metadata endpoints: refused even when private targets are allowed."""

TRANSLATION_PREFIXES = tuple(
    ipaddress.ip_network(n) for n in ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96")
)
"""IPv6 prefixes whose last 32 bits are an IPv4 address the traffic is translated to
(IPv4-compatible, IPv4-translated, well-known NAT64); ``::ffff:0:0/96`` (IPv4-mapped) is read
with :attr:`ipaddress.IPv6Address.ipv4_mapped`."""
NON_PUBLIC_V6 = (ipaddress.ip_network("64:ff9b:1::/48"),)
"""IPv6 ranges that are not public although Python's tables (3.11) call them global."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
"""``(host, port) -> addresses``; the default uses the system resolver."""


@dataclass(frozen=True, slots=True)
class Target:
    """A checked webhook URL and the address to connect to."""

    url: str
    scheme: str
    host: str
    """Host name as written in the URL (lower case, IPv6 without brackets)."""
    port: int
    address: str
    """The checked IP address the delivery connects to."""

    @property
    def host_header(self) -> str:
        """Value of the ``Host`` header for this target."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address."""
        parts = urlsplit(self.url)
        addr = f"[{self.address}]" if ":" in self.address else self.address
        netloc = f"{addr}:{self.port}"
        if parts.username is not None:
            cred = parts.username + (f":{parts.password}" if parts.password is not None else "")
            netloc = f"{cred}@{netloc}"
        return parts._replace(netloc=netloc, fragment="").geturl()


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve ``host`` with the system resolver (all address families)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[tuple[ipaddress.IPv4Address, ...], bool]:
    """The IPv4 addresses ``ip`` carries, and whether it is a pure translation of them
    (mapped, compatible, translated, NAT64: then the IPv4 verdict is the whole verdict; 6to4
    and Teredo are IPv6 addresses of their own besides)."""
    if ip.ipv4_mapped is not None:
        return (ip.ipv4_mapped,), True
    if ip.sixtofour is not None:
        return (ip.sixtofour,), False
    if ip.teredo is not None:
        return ip.teredo, False
    # ``::`` and ``::1`` lie in ::/96 but are IPv6's own unspecified and loopback addresses.
    if int(ip) > 1 and any(ip in net for net in TRANSLATION_PREFIXES):
        return (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF),), True
    return (), False


def forbidden_reason(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why connecting to ``ip`` is refused, or ``None`` when it is allowed."""
    if isinstance(ip, ipaddress.IPv6Address):
        carried, pure = embedded_ipv4(ip)
        for v4 in carried:
            reason = forbidden_reason(v4, allow_private=allow_private)
            if reason is not None:
                return f"{reason} carried in IPv6 ({v4})"
        if pure:
            return None
        if not allow_private and any(ip in net for net in NON_PUBLIC_V6):
            return "a reserved or non-public address"
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "an unspecified address"
    if allow_private or ip.is_global:
        return None
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private address"
    return "a reserved or non-public address"


def check_webhook_url(
    url: str, *, allow_private: bool, resolver: Resolver = system_resolver
) -> Target:
    """Validate ``url`` and resolve its host; raise :class:`WebhookUrlError` when refused."""
    if not isinstance(url, str) or not url:
        raise WebhookUrlError("webhook_url must be a non-empty string")
    if len(url) > MAX_URL_CHARS:
        raise WebhookUrlError(f"webhook_url is longer than {MAX_URL_CHARS} characters")
    if any(c.isspace() or ord(c) < 0x20 for c in url):
        raise WebhookUrlError("webhook_url must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookUrlError(f"webhook_url is not a valid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise WebhookUrlError("webhook_url must use http or https")
    host = (parts.hostname or "").lower()
    if not host:
        raise WebhookUrlError("webhook_url has no host")
    if port is None:
        port = 443 if scheme == "https" else 80
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolver(host, port)]
        except (OSError, UnicodeError, ValueError) as exc:
            raise WebhookUrlError(f"webhook_url host {host!r} does not resolve") from exc
    if not addresses:
        raise WebhookUrlError(f"webhook_url host {host!r} does not resolve")
    for ip in addresses:
        reason = forbidden_reason(ip, allow_private=allow_private)
        if reason is not None:
            raise WebhookUrlError(f"webhook_url host {host!r} resolves to {reason} ({ip})")
    return Target(url=url, scheme=scheme, host=host, port=port, address=str(addresses[0]))
