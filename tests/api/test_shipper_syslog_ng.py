"""A real shipper: syslog-ng (Debian's syslog-ng-core and syslog-ng-mod-http) follows a file and
posts its messages to a real ``logsum serve`` on loopback as NDJSON, configured as docs/API.md
shows; the lines arrive as the key's patterns. Skips when syslog-ng or its http module is
missing (``scripts/system-deps.sh`` installs them as root)."""

from __future__ import annotations

import glob
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import Server

SYSLOG_NG = shutil.which("syslog-ng") or shutil.which("syslog-ng", path="/usr/sbin")

CONFIG = """@version: 3.38
options {{ stats-freq(0); }};
source s_app {{ file("{log}" follow-freq(0.2)); }};
destination d_logsum {{
  http(
    url("{url}/v1/analyze?timezone=UTC")
    method("POST")
    headers("Content-Type: application/x-ndjson", "Authorization: Bearer {key}")
    body("$(format-json --scope rfc5424 --key ISODATE)")
    delimiter("\\n")
    batch-lines(500) batch-timeout(300)
  );
}};
log {{ source(s_app); destination(d_logsum); }};
"""


def _http_module() -> bool:
    return bool(glob.glob("/usr/lib/syslog-ng/*/libhttp.so"))


@pytest.mark.skipif(
    SYSLOG_NG is None or not _http_module(),
    reason="syslog-ng with its http module not installed "
    "(apt-get install syslog-ng-core syslog-ng-mod-http; scripts/system-deps.sh does it as root)",
)
def test_syslog_ng_http_destination_delivers_patterns(api: Server, tmp_path: Path) -> None:
    assert SYSLOG_NG is not None
    log = tmp_path / "auth.log"
    lines = [
        f"Mar 22 10:00:{i:02d} bastion sshd[{1200 + i}]: Failed password for user{i} "
        f"from 10.0.0.{i} port {40000 + i} ssh2"
        for i in range(12)
    ]
    log.write_text("\n".join(lines) + "\n")
    conf = tmp_path / "syslog-ng.conf"
    conf.write_text(CONFIG.format(log=log, url=api.url, key=api.keys["b"]))
    proc = subprocess.Popen(
        [
            SYSLOG_NG,
            "--foreground",
            "--no-caps",
            f"--cfgfile={conf}",
            f"--persist-file={tmp_path / 'persist'}",
            f"--pidfile={tmp_path / 'pid'}",
            f"--control={tmp_path / 'ctl'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        found: dict[str, int] = {}
        deadline = time.monotonic() + 30
        with api.client(api.keys["b"]) as c:
            while time.monotonic() < deadline and sum(found.values()) < len(lines):
                time.sleep(0.3)
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                page = c.get("/v1/patterns").json()["patterns"]
                found = {p["template"]: p["count"] for p in page}
    finally:
        proc.terminate()
        proc.wait(10)
    assert sum(found.values()) == len(lines), found
    (template,) = found
    assert template.startswith("Failed password for <*> from <*> port <*>")
