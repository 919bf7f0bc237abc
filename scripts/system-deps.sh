#!/usr/bin/env bash
# Installs the database and cache servers the integration tests start on loopback, and
# syslog-ng with its http() destination (a real log shipper posting to the service), and
# headless Chromium with its WebDriver (the browser test of the web page).
# Needs root (CI runs as root). Without root and without the servers, those tests skip
# with a message naming what is missing.
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v syslog-ng >/dev/null 2>&1 || [ -x /usr/sbin/syslog-ng ] || need+=(syslog-ng-core)
ls /usr/lib/syslog-ng/*/libhttp.so >/dev/null 2>&1 || need+=(syslog-ng-mod-http)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing ${need[*]}; run as root to install (their tests will skip)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The Debian package starts a cluster of its own on boot; tests start their own servers.
service postgresql stop >/dev/null 2>&1 || true
service redis-server stop >/dev/null 2>&1 || true
service syslog-ng stop >/dev/null 2>&1 || true
