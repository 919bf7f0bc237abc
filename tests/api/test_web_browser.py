"""The web page in a real headless Chromium (Debian's ``chromium`` and ``chromium-driver``,
installed by ``scripts/system-deps.sh``) driven by Selenium, against a real ``logsum serve``:
load, enter a key, see patterns, open one, see its chart, see an anomaly, analyze a pasted log.

Skips when Chromium is absent, except in CI (``CI=true``), where it must run. With
``LOGSUM_SCREENSHOTS=1`` it also writes the screenshots shown in the README to ``docs/img``.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from .conftest import Server, keyed_server

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"

if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    if os.environ.get("CI") == "true":
        pytest.fail(
            f"{CHROMIUM} or {CHROMEDRIVER} missing in CI: scripts/system-deps.sh installs them",
            pytrace=False,
        )
    pytest.skip(
        f"{CHROMIUM} and {CHROMEDRIVER} not found; run `bash scripts/system-deps.sh` as root",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


def day_of_lines() -> list[str]:
    """A day of a small service's log, ending now, with an error burst in the last hour."""
    rnd = random.Random(7)
    now = datetime.now(UTC).replace(microsecond=0)
    lines = []
    for i in range(600):
        at = now - timedelta(seconds=rnd.randrange(2, 86_400))
        stamp = at.strftime("%Y-%m-%d %H:%M:%S")
        kind = i % 4
        if kind == 0:
            lines.append(f"{stamp} INFO GET /api/orders/{rnd.randrange(999)} 200 {i % 90} ms")
        elif kind == 1:
            lines.append(f"{stamp} INFO user{rnd.randrange(40)} logged in from 10.0.0.{i % 250}")
        elif kind == 2:
            lines.append(f"{stamp} WARN cache miss for session s{rnd.randrange(10_000)}")
        else:
            lines.append(f"{stamp} DEBUG worker {i % 8} heartbeat")
    lines.sort()
    for i in range(120):
        at = now - timedelta(seconds=rnd.randrange(60, 1_800))
        stamp = at.strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"{stamp} ERROR payment gateway timeout after {5 + i % 3} s (order {i})")
    return sorted(lines)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with keyed_server(tmp_path_factory.mktemp("web"), {}) as server:
        with server.client(server.keys["a"]) as c:
            lines = day_of_lines()
            for i in range(0, len(lines), 240):
                assert c.post("/v1/analyze", json={"logs": lines[i : i + 240]}).status_code == 200
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1366,900",
        "--lang=en-GB",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager downloads nothing.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver: WebDriver, tmp: Path, name: str) -> None:
    """A screenshot (always into tmp, checking that it works; into docs/img on request)."""
    path = tmp / f"{name}.png"
    assert driver.save_screenshot(str(path))
    assert path.stat().st_size > 5_000
    if os.environ.get("LOGSUM_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_IMG / f"{name}.png")


def test_a_user_sees_patterns_a_chart_and_anomalies(
    served: Server, browser: WebDriver, tmp_path: Path
) -> None:
    key = served.keys["a"]
    wait = WebDriverWait(browser, 15)
    browser.get(served.url + "/")
    assert browser.title == "LogSum"

    # Without a key the page says what to do.
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "API key"))

    # Enter the key: the patterns table fills, most frequent first, with a chart of the day.
    field = browser.find_element(By.ID, "key-input")
    assert field.get_attribute("type") == "password"
    field.send_keys(key)
    browser.find_element(By.CSS_SELECTOR, "#key-form button[type=submit]").click()
    rows = wait.until(
        ec.presence_of_all_elements_located((By.CSS_SELECTOR, "#patterns-table tbody tr"))
    )
    assert len(rows) == 5
    counts = [int(r.find_element(By.CSS_SELECTOR, "td.num").text.replace(",", "")) for r in rows]
    assert counts == sorted(counts, reverse=True) and sum(counts) == 720
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#patterns-table svg.spark")) == 5)
    assert key not in browser.current_url
    assert browser.execute_script("return sessionStorage.getItem('logsum.apiKey')") == key
    assert browser.execute_script("return document.cookie") == ""
    shot(browser, tmp_path, "patterns")

    # Severity filter and text search.
    Select(browser.find_element(By.ID, "severity-filter")).select_by_visible_text("error")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#patterns-table tbody tr")) == 1)
    Select(browser.find_element(By.ID, "severity-filter")).select_by_visible_text("all")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#patterns-table tbody tr")) == 5)
    browser.find_element(By.ID, "search").send_keys("gateway")
    rows = browser.find_elements(By.CSS_SELECTOR, "#patterns-table tbody tr")
    assert len(rows) == 1 and "payment gateway timeout" in rows[0].text

    # Open it (keyboard: focus the link, press Enter): its chart and example values.
    link = rows[0].find_element(By.CSS_SELECTOR, "td.template a")
    link.send_keys("\n")
    chart = wait.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#pattern-chart svg.chart"))
    )
    assert "120 in all" in (chart.get_attribute("aria-label") or "")
    assert len(chart.find_elements(By.CSS_SELECTOR, "rect.bar")) >= 3
    examples = browser.find_element(By.ID, "params-table").text
    assert "5" in examples and "order" not in browser.current_url.split("#")[0]
    assert "120 lines" in browser.find_element(By.ID, "pattern-chart-caption").text
    shot(browser, tmp_path, "pattern")

    # The anomalies timeline: messages and evidence.
    browser.find_element(By.CSS_SELECTOR, ".tabs a[data-view=anomalies]").click()
    items = wait.until(
        ec.presence_of_all_elements_located((By.CSS_SELECTOR, "#anomalies-list li.anomaly"))
    )
    assert items
    first = items[0]
    assert first.find_element(By.CSS_SELECTOR, ".msg").text
    first.find_element(By.CSS_SELECTOR, "details.evidence summary").click()
    assert first.find_element(By.CSS_SELECTOR, "details.evidence dl").is_displayed()
    assert browser.find_elements(By.CSS_SELECTOR, "#anomalies-chart svg circle")
    shot(browser, tmp_path, "anomalies")

    # Paste a log and analyze it.
    browser.find_element(By.CSS_SELECTOR, ".tabs a[data-view=analyze]").click()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    pasted = "\n".join(f"{now} CRITICAL disk /dev/sda{i} failed SMART check" for i in range(3))
    browser.find_element(By.ID, "analyze-text").send_keys(pasted)
    zone = browser.find_element(By.ID, "analyze-zone")
    assert zone.get_attribute("value") == "UTC"  # the API's default, said before sending
    zone.clear()
    zone.send_keys("Asia/Tokyo")
    browser.find_element(By.CSS_SELECTOR, "#analyze-form button[type=submit]").click()
    wait.until(ec.visibility_of_element_located((By.ID, "analyze-result")))
    note = browser.find_element(By.ID, "analyze-zone-note").text
    assert note == "Times without a zone were read as Asia/Tokyo; times are shown in UTC."
    table = browser.find_element(By.ID, "analyze-patterns").text
    assert "failed SMART check" in table
    assert browser.find_elements(By.CSS_SELECTOR, "#analyze-anomalies li.anomaly")
    shot(browser, tmp_path, "analyze")

    # The key stays for the tab's session: a reload still shows the data; forgetting it ends.
    browser.find_element(By.CSS_SELECTOR, ".tabs a[data-view=patterns]").click()
    browser.find_element(By.ID, "search").clear()
    browser.refresh()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#patterns-table tbody tr")) == 6)
    browser.find_element(By.ID, "key-forget").click()
    assert browser.execute_script("return sessionStorage.getItem('logsum.apiKey')") is None

    # No script errors, no refused resources (a CSP violation is logged as an error).
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    assert key not in served.logs()
