"""The template corpus (``tests/templates/``): loading, generating lines, and scoring the engine.

Each ``tests/templates/<program>.txt`` holds the log statements of one program, written for this
corpus from what the program prints; ``tests/templates/README.md`` gives the format and the
conventions. A statement is a pattern with typed slots (``Accepted publickey for {user} from
{ipv4} port {port} ssh2``): the expected template puts ``<*>`` where the slots are, and the lines
fill the slots with values drawn from a random generator seeded by the program's name, so every
run sees the same lines. Used by ``bench/templates.py`` (tables) and
``tests/core/test_templates_corpus.py`` (floors).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from logsum import Engine
from logsum.core.model import WILDCARD
from logsum.core.scoring import Scores, normalize_template, score

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "templates"
PARTS = ("tune", "holdout")
"""``tune``: what engine developers look at while tuning template rules. ``holdout``: measured
only, to check that a gain on ``tune`` is real."""
INTERLEAVE_SEED = 29
"""Seed of the shuffle in interleaved mode, fixed so runs compare."""
MIN_COUNT, MAX_COUNT = 3, 14
"""Lines per statement when its line gives no count (drawn per statement, seeded)."""


class TemplateCorpusError(ValueError):
    """A corpus file that does not follow the format."""


def part_of(name: str) -> str:
    """The part a program belongs to: a fixed rule on its name (one in three, by hash), never
    on how well the engine does on it."""
    return "holdout" if hashlib.sha256(name.encode()).digest()[0] % 3 == 0 else "tune"


# -- values ------------------------------------------------------------------------------------

Gen = Callable[[random.Random], str]

_FIRST = [
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "oscar",
    "peggy",
    "trent",
]
_USERS = [*_FIRST, "root", "admin", "deploy", "jenkins", "postgres", "www-data", "backup", "git"]
_WORDS = [
    "orders",
    "users",
    "sessions",
    "billing",
    "inventory",
    "audit",
    "events",
    "metrics",
    "payments",
    "catalog",
    "search",
    "reports",
    "ledger",
    "accounts",
    "profiles",
    "carts",
    "invoices",
    "shipments",
]
_HOSTWORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "gamma",
    "kilo",
    "lima",
    "orion",
    "vega",
    "nova",
]
_TLDS = ["example.com", "corp.local", "internal.net", "example.org", "lan"]
_SERVICES = [
    "nginx",
    "redis",
    "postgresql",
    "sshd",
    "cron",
    "docker",
    "kubelet",
    "haproxy",
    "mysql",
    "memcached",
]
_PKGS = [
    "openssl",
    "libc6",
    "curl",
    "python3",
    "zlib1g",
    "tzdata",
    "bash",
    "coreutils",
    "libssl3",
    "systemd",
]
_JPKG = ["com.example", "org.acme", "io.shop", "net.billing", "com.corp"]
_JCLS = [
    "OrderService",
    "UserRepository",
    "PaymentHandler",
    "CacheLoader",
    "SessionManager",
    "Indexer",
]
_IMAGES = ["nginx", "redis", "postgres", "alpine", "busybox", "python", "node", "golang"]
_IFACES = ["eth0", "eth1", "ens3", "enp0s3", "wlan0", "bond0", "br0", "docker0"]
_DEVICES = ["sda", "sdb", "sdc", "nvme0n1", "vda", "xvda", "dm-0", "md0"]
_METHODS = ["GET", "POST", "PUT", "DELETE"]
_APPS = ["com.android.chrome", "com.whatsapp", "com.google.android.gm", "com.spotify.music"]
_APPS += ["com.android.settings", "com.example.notes", "org.mozilla.firefox"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_B64 = string.ascii_letters + string.digits + "+/"
_ERRNOS = ["ECONNREFUSED", "ETIMEDOUT", "ECONNRESET", "EHOSTUNREACH"]


def _n(lo: int, hi: int) -> Gen:
    return lambda r: str(r.randint(lo, hi))


def _hex(k: int) -> Gen:
    return lambda r: "".join(r.choice("0123456789abcdef") for _ in range(k))


def _pick(pool: Sequence[str]) -> Gen:
    return lambda r: r.choice(pool)


def _ipv4(r: random.Random) -> str:
    return f"{r.randint(10, 223)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"


def _host(r: random.Random) -> str:
    return f"{r.choice(_HOSTWORDS)}{r.randint(1, 40)}.{r.choice(_TLDS)}"


def _hms(r: random.Random) -> str:
    return f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"


def _date(r: random.Random) -> str:
    return f"{r.randint(2019, 2026)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"


def _uuid(r: random.Random) -> str:
    h = _hex(32)(r)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _path(r: random.Random) -> str:
    top = r.choice(["/var/lib", "/srv/data", "/home/" + r.choice(_FIRST), "/opt/app", "/tmp"])
    name = r.choice(_WORDS) + r.choice(["", str(r.randint(1, 99))])
    return f"{top}/{name}.{r.choice(['log', 'db', 'json', 'tmp', 'dat'])}"


def _winpath(r: random.Random) -> str:
    return (
        "C:\\Windows\\"
        + r.choice(["System32", "SysWOW64", "WinSxS", "Temp"])
        + "\\"
        + r.choice(["ntdll", "kernel32", "wuapi", "cbscore", "msi"])
        + r.choice([".dll", ".sys", ".log"])
    )


def _ts_id(r: random.Random) -> str:
    return f"{r.randint(1_400_000_000, 1_700_000_000)}{r.randint(100, 999)}"


def _hadoop(kind: str) -> Gen:
    def gen(r: random.Random) -> str:
        base = f"{_ts_id(r)}_{r.randint(1, 9999):04d}"
        if kind == "job":
            return f"job_{base}"
        if kind == "app":
            return f"application_{base}"
        if kind == "task":
            return f"task_{base}_{r.choice('mr')}_{r.randint(0, 999):06d}"
        if kind == "attempt":
            return f"attempt_{base}_{r.choice('mr')}_{r.randint(0, 999):06d}_{r.randint(0, 3)}"
        if kind == "container":
            return f"container_{base}_{r.randint(1, 3):02d}_{r.randint(1, 99):06d}"
        return f"appattempt_{base}_{r.randint(1, 3):06d}"

    return gen


def _pod(r: random.Random) -> str:
    name = r.choice(["web", "api", "worker", "frontend", "checkout", "auth"])
    tail = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(5))
    return f"{name}-{_hex(9)(r)}-{tail}"


def _ts_text(r: random.Random) -> str:
    return f"{r.choice(_DAYS)} {r.choice(_MONTHS)} {r.randint(10, 28)} {_hms(r)} {_date(r)[:4]}"


def _millis(r: random.Random) -> str:
    return f"{r.randint(1, 9999)}ms"


def _size(r: random.Random) -> str:
    return f"{r.randint(1, 999)}{r.choice(['KB', 'MB', 'GB', 'K', 'M'])}"


def _node(r: random.Random) -> str:
    return f"{r.choice(['node', 'worker', 'compute', 'cn'])}-{r.randint(1, 512)}"


def _bgl_loc(r: random.Random) -> str:
    return (
        f"R{r.randint(0, 7)}{r.randint(0, 7)}-M{r.randint(0, 1)}-N{r.randint(0, 15):X}"
        f"-{r.choice(['C', 'I'])}:J{r.randint(2, 18):02d}-U{r.randint(0, 1)}{r.randint(1, 9)}"
    )


def _version(r: random.Random) -> str:
    return f"{r.randint(0, 12)}.{r.randint(0, 30)}.{r.randint(0, 20)}"


def _deb_version(r: random.Random) -> str:
    return f"{r.randint(1, 9)}.{r.randint(0, 20)}-{r.randint(1, 9)}ubuntu{r.randint(1, 5)}"


_ARCHS = ["amd64", "all", "arm64", "i386"]


def _debian(r: random.Random) -> str:
    """A Debian package version as dpkg prints it: epoch, revision, +debNuM, ~ and build forms."""
    a, b, c = r.randint(0, 12), r.randint(0, 40), r.randint(0, 20)
    return r.choice(
        [
            f"{a}.{b}-{c % 9 + 1}+deb12u{r.randint(1, 9)}",
            f"1:{a}.{b}.{c}-{r.randint(1, 5)}",
            f"{a}.{b}.{c}-{r.randint(1, 5)}~deb12u{r.randint(1, 4)}",
            f"{a}.{b}-{r.randint(1, 9)}ubuntu{r.randint(1, 5)}.{r.randint(1, 9)}",
            f"{a}.{b}+dfsg-{r.randint(1, 6)}",
            f"{a}.{b}.{c}-{r.randint(1, 9)}build{r.randint(1, 3)}",
        ]
    )


def _debfile(r: random.Random) -> str:
    ver = _debian(r).split(":")[-1]
    return f".../{r.randint(0, 60):02d}-{r.choice(_PKGS)}_{ver}_{r.choice(_ARCHS)}.deb"


def _ulid(r: random.Random) -> str:
    return "01H" + "".join(r.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(23))


def _ldap_dn(r: random.Random) -> str:
    dc = r.choice(["dc=example,dc=com", "dc=corp,dc=local", "dc=example,dc=org"])
    if r.random() < 0.7:
        return f"uid={r.choice(_USERS)},ou={r.choice(['people', 'users', 'staff'])},{dc}"
    return f"cn={r.choice(['admin', 'replicator', 'readonly'])},{dc}"


def _ldap_filter(r: random.Random) -> str:
    user = r.choice(_USERS)
    return r.choice(
        [f"(uid={user})", f"(&(objectClass=posixAccount)(uid={user}))", f"(memberUid={user})"]
    )


def _jclass(r: random.Random) -> str:
    return f"{r.choice(_JPKG)}.{r.choice(['core', 'api', 'db', 'web'])}.{r.choice(_JCLS)}"


def _email(r: random.Random) -> str:
    return f"{r.choice(_FIRST)}{r.choice(['', '.ops', '42'])}@{r.choice(_TLDS)}"


def _mac(r: random.Random) -> str:
    return ":".join(_hex(2)(r) for _ in range(6))


def _image(r: random.Random) -> str:
    return f"{r.choice(_IMAGES)}:{r.choice(['latest', '1.25', '3.12-slim', '7.2', '16'])}"


def _word(r: random.Random) -> str:
    return r.choice(_WORDS)


def _url(r: random.Random) -> str:
    return f"https://{_host(r)}/{r.choice(_WORDS)}/{r.randint(1, 999)}"


def _uri(r: random.Random) -> str:
    return f"/{r.choice(['api', 'v1', 'static', 'app'])}/{r.choice(_WORDS)}/{r.randint(1, 9999)}"


def _kv_dur(r: random.Random) -> str:
    return f"{r.randint(0, 59)}.{r.randint(0, 999):03d}s"


SLOTS: dict[str, Gen] = {
    "int": _n(0, 99_999),
    "small": _n(0, 64),
    "big": _n(1_000_000, 9_999_999_999),
    "port": _n(1024, 65_535),
    "pid": _n(100, 65_000),
    "uid": _n(0, 65_000),
    "float": lambda r: f"{r.uniform(0, 1000):.2f}",
    "pct": lambda r: f"{r.randint(0, 100)}%",
    "ms": _millis,
    "secs": lambda r: f"{r.uniform(0, 120):.3f}s",
    "dur": _kv_dur,
    "size": _size,
    "bytes": _n(0, 10_000_000),
    "ipv4": _ipv4,
    "ipport": lambda r: f"{_ipv4(r)}:{r.randint(1024, 65_535)}",
    "sipv4": lambda r: "/" + _ipv4(r),
    "sipport": lambda r: f"/{_ipv4(r)}:{r.randint(1024, 65_535)}",
    "ipv6": lambda r: "fe80::" + ":".join(_hex(4)(r) for _ in range(4)),
    "host": _host,
    "hostport": lambda r: f"{_host(r)}:{r.randint(1024, 65_535)}",
    "hostword": lambda r: r.choice(_HOSTWORDS) + r.choice(["", "-db", "-web", "-cache"]),
    "hostnum": lambda r: f"{r.choice(_HOSTWORDS)}{r.choice(['', '-db', '-web'])}-{r.randint(2, 9)}",
    "node": _node,
    "bgl_loc": _bgl_loc,
    "mac": _mac,
    "macs": lambda r: f"{_mac(r)}:{_mac(r)}:08:00",
    "user": _pick(_USERS),
    "email": _email,
    "path": _path,
    "winpath": _winpath,
    "url": _url,
    "uri": _uri,
    "method": _pick(_METHODS),
    "uuid": _uuid,
    "uuidu": lambda r: _uuid(r).upper(),
    "hex8": _hex(8),
    "hex9": _hex(9),
    "hex12": _hex(12),
    "sha": _hex(40),
    "cid": _hex(64),
    "addr": lambda r: "0x" + _hex(r.choice([8, 12, 16]))(r),
    "time": _hms,
    "date": _date,
    "isots": lambda r: f"{_date(r)}T{_hms(r)}.{r.randint(0, 999):03d}Z",
    "datetime": lambda r: f"{_date(r)} {_hms(r)}",
    "ctime": _ts_text,
    "word": _word,
    "service": _pick(_SERVICES),
    "pkg": _pick(_PKGS),
    "debver": _deb_version,
    "debian": _debian,
    "debpkg": lambda r: f"{r.choice(_PKGS)}:{r.choice(_ARCHS)}",
    "debfile": _debfile,
    "devpath": lambda r: "/dev/" + r.choice(_DEVICES),
    "ulid": _ulid,
    "ldapdn": _ldap_dn,
    "ldapfilter": _ldap_filter,
    "version": _version,
    "jclass": _jclass,
    "app": _pick(_APPS),
    "image": _image,
    "pod": _pod,
    "iface": _pick(_IFACES),
    "dev": _pick(_DEVICES),
    "errno": _pick(_ERRNOS),
    "job": _hadoop("job"),
    "application": _hadoop("app"),
    "task": _hadoop("task"),
    "attempt": _hadoop("attempt"),
    "container": _hadoop("container"),
    "appattempt": _hadoop("appattempt"),
    "jvm": lambda r: f"jvm_{_ts_id(r)}_{r.randint(1, 9999):04d}_m_{r.randint(1, 99):06d}",
    "blk": lambda r: f"blk_{r.choice(['', '-'])}{r.randint(10**17, 10**19)}",
    "rdd": lambda r: f"rdd_{r.randint(0, 40)}_{r.randint(0, 200)}",
    "broadcast": lambda r: f"broadcast_{r.randint(0, 60)}{r.choice(['', '_piece0'])}",
    "stage": lambda r: f"{r.randint(0, 80)}.{r.randint(0, 2)}",
    "txid": lambda r: f"0x{_hex(10)(r)}",
    "session": lambda r: f"0x{_hex(15)(r)}",
    "digits": _n(100_000, 999_999),
    "mib": lambda r: f"{r.uniform(0, 900):.3f}MiB",
    "pctf": lambda r: f"{r.uniform(0, 100):.1f}%",
    "kb": lambda r: f"{r.randint(1, 99_999)}kb",
    "mb": lambda r: f"{r.randint(1, 99_999)}MB",
    "gb": lambda r: f"{r.randint(1, 9_999)}GB",
    "httpurl": lambda r: f"http://{_ipv4(r)}:{r.randint(1024, 65_535)}{_uri(r)}",
    "walpath": lambda r: (
        f"/hbase/WALs/{(h := _host(r))},16020,{(t := _ts_id(r))}/{h}%2C16020%2C{t}.{_ts_id(r)}"
    ),
    "pbsjob": lambda r: f"{r.randint(1, 99_999)}.{r.choice(_HOSTWORDS)}",
    "userhost": lambda r: f"{r.choice(_USERS)}@{_host(r)}",
    "b64": lambda r: "".join(r.choice(_B64) for _ in range(43)),
}
"""Slot kinds: ``{kind}`` in a pattern is filled by ``SLOTS[kind]``; ``{=a|b|c}`` by one of
the listed values (a program's own pool of names)."""

_SLOT = re.compile(r"\{(=[^{}]+|[a-z][a-z0-9_]*)\}")
_COUNT = re.compile(r"^(\d+) \| ")


# -- headers -----------------------------------------------------------------------------------

_HEADER_SLOT = re.compile(
    r"\{(ts:[^{}]+|up|level:[^{}]+|(?:pid|tid|host)(?::[^{}]+)?|[=@$][^{}]+|msg(?::[a-z]+)?)\}"
)
_TS_CODE = re.compile(r"%([1-6]?f|[YymdeHMSbajzs%])")
_MSG_MODES = ("", "json", "logfmt", "prog")
_LEVEL_WORDS = (
    # error, then warning: a statement that says one of these is logged at that level
    re.compile(
        r"\b(error|errors|fail|failed|failure|exception|fatal|refused|denied|unable|cannot"
        r"|could not|not possible|timed out|invalid|abort|aborted|panic|died|killed|crash"
        r"|out of memory|not responding)\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(warn|warning|slow|retry|retrying|deprecated|too long|exceeded|dropping|lost"
        r"|giving up|disconnected|not found|unknown|skipping)\b",
        re.IGNORECASE,
    ),
)
# A program tag at a statement's start that the header holds in raw lines ({msg:prog}):
# "ntpd[<*>]: ", "kernel: ", "sshd(pam_unix)[<*>]: "
_PROGRAM_TAG = re.compile(r"^[\w.\-()/]+(?:\[<\*>\])?: ")
HEADER_START = (2026, 3, 2)
"""The day every program's clock starts on (its time of day is drawn per program)."""


def _stamp(fmt: str, t: float) -> str:
    """``t`` (seconds since the Unix epoch, UTC) written as ``fmt`` says: strftime's codes
    (``%e`` a space-padded day, ``%z`` ``+0000``, ``%s`` epoch seconds) and ``%1f``..``%6f``
    (that many digits of the fraction; ``%f`` is six)."""
    d = datetime.fromtimestamp(t, UTC)
    frac = f"{t - int(t):.6f}"[2:]

    def code(m: re.Match[str]) -> str:
        c = m.group(1)
        if c.endswith("f"):
            return frac[: int(c[0]) if len(c) == 2 else 6]
        if c == "e":
            return f"{d.day:2d}"
        if c == "s":
            return str(int(t))
        if c == "z":
            return "+0000"
        return d.strftime("%" + c)

    return _TS_CODE.sub(code, fmt)


def statement_level(pattern: str) -> int:
    """The level a statement is logged at, from what it says: 2 error, 1 warning, 0 the
    program's usual level (its slots' values do not count)."""
    text = _SLOT.sub(" ", pattern)
    for k, words in enumerate(_LEVEL_WORDS):
        if words.search(text):
            return 2 - k
    return 0


def _fields(message: str) -> tuple[str, list[tuple[str, str]]]:
    """A message's sentence and its tab-separated ``key=value`` context fields."""
    first, *rest = message.split("\t")
    fields = []
    for part in rest:
        key, _, value = part.strip().partition("=")
        fields.append((key, value))
    return first.strip(), fields


def _logfmt_value(value: str) -> str:
    if value and not any(c in value for c in ' "=\\'):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class Header:
    """A program's documented line layout (``# header:`` of its file): text with slots for the
    time, the level, process, thread and host ids, names, and where the message goes."""

    text: str

    @staticmethod
    def parse(text: str, where: str) -> Header:
        """Check the layout: known slots, exactly one ``{msg}``, a time or a level."""
        text = text.replace("\\t", "\t")
        slots = _HEADER_SLOT.findall(text)
        msgs = [s for s in slots if s.startswith("msg")]
        if len(msgs) != 1:
            raise TemplateCorpusError(f"{where}: a header needs one {{msg}}, has {len(msgs)}")
        if msgs[0].partition(":")[2] not in _MSG_MODES:
            raise TemplateCorpusError(f"{where}: unknown message form {{{msgs[0]}}}")
        if not any(s.startswith(("ts:", "level:")) or s == "up" for s in slots):
            raise TemplateCorpusError(f"{where}: a header needs a time or a level")
        for s in slots:
            if s.startswith("level:") and len(s[6:].split("|")) != 3:
                raise TemplateCorpusError(f"{where}: {{level:info|warning|error}} has 3 names")
            if s.startswith("$") and s[1:] not in SLOTS:
                raise TemplateCorpusError(f"{where}: unknown slot {{{s}}}")
        leftover = _HEADER_SLOT.sub("", text)
        if re.search(r"\{[a-z=@$]", leftover):
            raise TemplateCorpusError(f"{where}: unknown header slot in {text!r}")
        return Header(text)

    @property
    def msg_mode(self) -> str:
        return next(s for s in _HEADER_SLOT.findall(self.text) if s.startswith("msg"))[4:]

    def expected(self, template: str) -> str:
        """The expected template of a raw line: the statement's, less the program tag the
        header holds (``{msg:prog}``)."""
        if self.msg_mode == "prog":
            return _PROGRAM_TAG.sub("", template, count=1)
        return template


class HeaderWriter:
    """Writes a program's lines with its header: one clock per program (a seeded start on
    ``HEADER_START``, then 0.05 to 3 seconds a line), small seeded pools of pids, thread ids
    and hosts, the level of each statement."""

    def __init__(self, name: str, header: Header) -> None:
        self.header = header
        self.rnd = random.Random(f"{name}:header")
        r = self.rnd
        start = datetime(*HEADER_START, tzinfo=UTC).timestamp()
        self.clock = start + r.randint(0, 8 * 3600) + r.random()
        self.uptime = r.uniform(5, 90_000)
        self.pools = {
            "pid": [str(r.randint(300, 65_000)) for _ in range(2)],
            "tid": [str(r.randint(1, 300)) for _ in range(4)],
            "host": [f"{r.choice(_HOSTWORDS)}-{r.randint(1, 40)}" for _ in range(3)],
        }

    def line(self, pattern: str, message: str) -> str:
        """``message`` (a line of the statement ``pattern``) with the header around it."""
        r = self.rnd
        step = r.uniform(0.05, 3.0)
        self.clock += step
        self.uptime += step
        chosen: dict[str, str] = {}
        level = statement_level(pattern)

        def fill(m: re.Match[str]) -> str:
            slot = m.group(1)
            kind, _, arg = slot.partition(":")
            if kind == "ts":
                return _stamp(arg, self.clock)
            if kind == "up":
                return f"{self.uptime:12.6f}"
            if kind == "level":
                return arg.split("|")[level]
            if kind in ("pid", "tid", "host"):
                if slot not in chosen:
                    chosen[slot] = r.choice(arg.split("|") if arg else self.pools[kind])
                return chosen[slot]
            if slot[0] == "=":
                return r.choice(slot[1:].split("|"))
            if slot[0] == "@":  # one per statement
                names = slot[1:].split("|")
                return names[int(hashlib.sha256(pattern.encode()).hexdigest(), 16) % len(names)]
            if slot[0] == "$":
                return SLOTS[slot[1:]](r)
            return self._message(arg, message)

        return _HEADER_SLOT.sub(fill, self.header.text)

    @staticmethod
    def _message(mode: str, message: str) -> str:
        if mode == "json":  # "msg":{msg:json} gives the sentence, then its fields as keys
            first, fields = _fields(message)
            out = json.dumps(first)
            for key, value in fields:
                out += f",{json.dumps(key)}:{json.dumps(value.strip().strip(chr(34)))}"
            return out
        if mode == "logfmt":  # the sentence quoted, then its fields as they are
            first, fields = _fields(message)
            return " ".join([_logfmt_value(first), *(f"{k}={v}" for k, v in fields)])
        return message


# -- corpus ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Statement:
    """One log statement of a program: the pattern with slots and its expected template."""

    pattern: str
    template: str
    count: int

    def line(self, rnd: random.Random) -> str:
        """One concrete line of this statement."""

        def fill(m: re.Match[str]) -> str:
            slot = m.group(1)
            if slot.startswith("="):
                return rnd.choice(slot[1:].split("|"))
            return SLOTS[slot](rnd)

        return _SLOT.sub(fill, self.pattern)


@dataclass(frozen=True, slots=True)
class Program:
    """The statements of one program, and the lines they give."""

    name: str
    source: str
    part: str
    statements: tuple[Statement, ...]
    header: Header

    def lines(self) -> list[tuple[str, str]]:
        """``(line, expected template)`` pairs, statements mixed in a seeded order (the same on
        every run), as the program would interleave them in one file."""
        rnd = random.Random(self.name)
        rows = [(s.line(rnd), s.template) for s in self.statements for _ in range(s.count)]
        rnd.shuffle(rows)
        return rows

    def raw_lines(self) -> list[tuple[str, str]]:
        """:meth:`lines` written with the program's header (``(raw line, expected template)``),
        in the same order, the time advancing from line to line."""
        writer = HeaderWriter(self.name, self.header)
        pattern = {s.template: s.pattern for s in self.statements}
        return [
            (writer.line(pattern[t], line), self.header.expected(t)) for line, t in self.lines()
        ]


def _statement(text: str, where: str, rnd: random.Random) -> Statement:
    m = _COUNT.match(text)
    count = int(m.group(1)) if m else rnd.randint(MIN_COUNT, MAX_COUNT)
    pattern = text[m.end() :] if m else text
    for slot in _SLOT.findall(pattern):
        if not slot.startswith("=") and slot not in SLOTS:
            raise TemplateCorpusError(f"{where}: unknown slot {{{slot}}}")
    if count < 1:
        raise TemplateCorpusError(f"{where}: count must be at least 1")
    return Statement(pattern, normalize_template(_SLOT.sub(WILDCARD, pattern)), count)


def load_program(path: Path) -> Program:
    """One program file: ``# source: ...`` first, then one statement a line (``#`` comments
    and blank lines skipped)."""
    name = path.stem
    source = ""
    header: Header | None = None
    rnd = random.Random(f"{name}:counts")
    statements = []
    for k, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = raw.rstrip()
        if text.startswith("# source:"):
            source = text.removeprefix("# source:").strip()
            continue
        if text.startswith("# header: "):
            header = Header.parse(text.removeprefix("# header: "), f"{path.name}:{k}")
            continue
        if not text.strip() or text.startswith("#"):
            continue
        statements.append(_statement(text, f"{path.name}:{k}", rnd))
    if not source:
        raise TemplateCorpusError(f"{path.name}: no '# source:' line")
    if header is None:
        raise TemplateCorpusError(f"{path.name}: no '# header:' line")
    return Program(name, source, part_of(name), tuple(statements), header)


def load(parts: Sequence[str] = PARTS, root: Path = CORPUS) -> list[Program]:
    """The programs of the given parts, sorted by name."""
    programs = [load_program(p) for p in sorted(root.glob("*.txt"))]
    return [p for p in programs if p.part in parts]


# -- scoring -----------------------------------------------------------------------------------


MODES = ("message", "raw", "interleaved")
"""``message``: each program's bare messages through a fresh ``Engine(message_only=True)``.
``raw``: each program's lines written with its header through a fresh ``Engine()`` (no format
given). ``interleaved``: the raw lines of all programs of a part shuffled into one ``Engine()``,
scored per program."""


def _run(lines: Sequence[str], raw: bool) -> tuple[list[str], list[str]]:
    """Each line's final group (the surviving pattern id) and template, after the last line."""
    engine = Engine() if raw else Engine(message_only=True)
    ids = [engine.process(line).pattern_id for line in lines]
    final = {pid: (engine.resolve(pid), engine.template(pid)) for pid in set(ids)}
    return [final[i][0] for i in ids], [normalize_template(final[i][1]) for i in ids]


def _parse(rows: Sequence[tuple[str, str]], raw: bool = False) -> Scores:
    groups, templates = _run([line for line, _ in rows], raw)
    return score([t for _, t in rows], groups, templates)


def predictions(rows: Sequence[tuple[str, str]], raw: bool = False) -> list[str]:
    """The engine's final template for each line (one engine, message-only unless ``raw``)."""
    return _run([line for line, _ in rows], raw)[1]


def rows_of(program: Program, mode: str) -> list[tuple[str, str]]:
    """``(line, expected template)`` of a program as ``mode`` feeds it: bare messages, or
    lines with the program's header (``raw`` and ``interleaved``)."""
    return program.lines() if mode == "message" else program.raw_lines()


def run_program(program: Program, mode: str = "message") -> Scores:
    """The program's lines through one fresh engine (message-only, or raw lines)."""
    return _parse(rows_of(program, mode), raw=mode != "message")


def interleaved_rows(
    programs: Sequence[Program], seed: int = INTERLEAVE_SEED, mode: str = "message"
) -> list[tuple[str, str]]:
    """All lines of ``programs`` shuffled together (fixed seed)."""
    return [(line, t) for line, t, _ in _tagged(programs, seed, mode)]


def _tagged(programs: Sequence[Program], seed: int, mode: str) -> list[tuple[str, str, str]]:
    """``(line, expected, program)`` of all ``programs`` in one stream. Message mode shuffles
    every line (as this corpus always did); raw lines keep each program's own order (see
    :func:`interleave`)."""
    if mode == "message":
        rows = [(line, t, p.name) for p in programs for line, t in rows_of(p, mode)]
        random.Random(seed).shuffle(rows)
        return rows
    return interleave({p.name: rows_of(p, mode) for p in programs}, seed)


def interleave(
    sources: dict[str, list[tuple[str, str]]], seed: int = INTERLEAVE_SEED
) -> list[tuple[str, str, str]]:
    """``(line, expected, source)`` of every source's rows in one stream, each source's own
    order kept (its clock runs forward): the source of each next line is drawn at random,
    as sources interleave in one stream (``bench/accuracy.py --interleaved`` does the same)."""
    rng = random.Random(seed)
    queues = {name: iter(rows) for name, rows in sources.items()}
    pending = [name for name, rows in sources.items() for _ in rows]
    rng.shuffle(pending)
    return [(*next(queues[name]), name) for name in pending]


def score_interleaved(
    sources: dict[str, list[tuple[str, str]]], seed: int = INTERLEAVE_SEED
) -> dict[str, Scores]:
    """Every source's raw lines interleaved (:func:`interleave`) into one ``Engine()``, then
    scored per source."""
    rows = interleave(sources, seed)
    groups, templates = _run([line for line, _, _ in rows], raw=True)
    picked: dict[str, list[int]] = {name: [] for name in sources}
    for k, row in enumerate(rows):
        picked[row[2]].append(k)
    return {
        name: score(
            [rows[k][1] for k in mine], [groups[k] for k in mine], [templates[k] for k in mine]
        )
        for name, mine in picked.items()
    }


def score_alone(sources: dict[str, list[tuple[str, str]]]) -> dict[str, Scores]:
    """Every source's raw lines through a fresh ``Engine()`` of its own."""
    return {name: _parse(rows, raw=True) for name, rows in sources.items()}


def run_interleaved(programs: Sequence[Program], seed: int = INTERLEAVE_SEED) -> Scores:
    """All messages of ``programs`` shuffled together (fixed seed) into one message-only
    engine, scored over all its lines."""
    return _parse(interleaved_rows(programs, seed))


def run_interleaved_raw(
    programs: Sequence[Program], seed: int = INTERLEAVE_SEED
) -> dict[str, Scores]:
    """The raw lines of all ``programs`` interleaved (fixed seed, each program's order kept)
    into one ``Engine()``, then scored per program (as ``bench/accuracy.py --interleaved``
    scores per system)."""
    return score_interleaved({p.name: p.raw_lines() for p in programs}, seed)


def interleaved_predictions(
    programs: Sequence[Program], seed: int = INTERLEAVE_SEED
) -> dict[str, list[tuple[str, str, str]]]:
    """Per program, ``(raw line, expected, engine's template)`` of its lines when all
    ``programs`` are interleaved into one engine (for showing what went wrong)."""
    rows = _tagged(programs, seed, "raw")
    _, templates = _run([line for line, _, _ in rows], raw=True)
    out: dict[str, list[tuple[str, str, str]]] = {p.name: [] for p in programs}
    for (line, want, name), have in zip(rows, templates, strict=True):
        out[name].append((line, want, have))
    return out


@dataclass(frozen=True, slots=True)
class Mean:
    """Average of the four metrics over programs (each program weighs the same)."""

    ga: float
    pa: float
    fga: float
    fta: float


def mean(scores: Sequence[Scores]) -> Mean:
    """The per-metric average of ``scores``."""
    k = max(len(scores), 1)
    return Mean(
        sum(s.ga for s in scores) / k,
        sum(s.pa for s in scores) / k,
        sum(s.fga for s in scores) / k,
        sum(s.fta for s in scores) / k,
    )
