// LogSum's page: plain JavaScript, no library, no build step. It calls the /v1 API with the
// key its user enters; the key lives in this tab's sessionStorage only (never in a URL, a
// cookie or a log). Every value from the API reaches the page as text (textContent), never as
// markup. Charts are SVG drawn here.
"use strict";

(function () {
  const KEY_ITEM = "logsum.apiKey";
  const SVG = "http://www.w3.org/2000/svg";
  const DAY = 86400;
  const state = { patterns: [], sparks: new Map(), view: null };

  const $ = (id) => document.getElementById(id);

  // -- the key ---------------------------------------------------------------------------

  function apiKey() {
    return sessionStorage.getItem(KEY_ITEM) || "";
  }

  function showKeyState() {
    const has = apiKey() !== "";
    $("key-forget").hidden = !has;
    $("key-input").placeholder = has ? "key set for this tab" : "lsk_...";
  }

  $("key-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const value = $("key-input").value.trim();
    $("key-input").value = "";
    if (!value) {
      say("Enter an API key (create one with: logsum keys create NAME).", true);
      return;
    }
    sessionStorage.setItem(KEY_ITEM, value);
    state.sparks.clear();
    showKeyState();
    say("Key set for this tab.");
    route();
  });

  $("key-forget").addEventListener("click", () => {
    sessionStorage.removeItem(KEY_ITEM);
    state.sparks.clear();
    showKeyState();
    say("Key forgotten.");
    route();
  });

  // -- talking to the API ----------------------------------------------------------------

  function say(text, isError) {
    const el = $("status");
    el.textContent = text || "";
    el.classList.toggle("error", Boolean(isError));
  }

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(path, params, init) {
    const key = apiKey();
    if (!key) {
      throw new ApiError(401, "no_key", "Enter your API key above to see your data.");
    }
    const url = new URL(path, window.location.origin);
    for (const [name, value] of Object.entries(params || {})) {
      if (value !== undefined && value !== null && value !== "") {
        url.searchParams.set(name, String(value));
      }
    }
    const headers = Object.assign({ Authorization: "Bearer " + key }, (init || {}).headers);
    const resp = await fetch(url, Object.assign({}, init, { headers, cache: "no-store" }));
    let body = null;
    try {
      body = await resp.json();
    } catch (_e) {
      body = null;
    }
    if (!resp.ok) {
      const err = (body && body.error) || {};
      let message = err.message || "HTTP " + resp.status;
      if (resp.status === 401) message = "The key was refused: " + message;
      if (resp.status === 429) message = "Rate limited: " + message;
      throw new ApiError(resp.status, err.code || "http_" + resp.status, message);
    }
    return body;
  }

  function failed(err) {
    say(err.message || String(err), true);
  }

  // -- small helpers ---------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) {
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
    }
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    return node;
  }

  function severityBadge(severity) {
    return el("span", { class: "sev sev-" + severity, text: severity });
  }

  function when(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    return d.toLocaleString(undefined, {
      year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
  }

  function shortTime(date, span) {
    if (span > 2 * DAY) {
      return date.toLocaleDateString(undefined, { month: "short", day: "numeric" });
    }
    return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }

  function fmt(n) {
    return Number(n).toLocaleString();
  }

  function nowIso(offsetSeconds) {
    return new Date(Date.now() + offsetSeconds * 1000).toISOString();
  }

  // -- charts ----------------------------------------------------------------------------

  function sparkline(points, label) {
    const w = 120;
    const h = 26;
    const max = Math.max(1, ...points.map((p) => p.count));
    const s = svg("svg", {
      class: "spark", width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: "img",
      "aria-label": label,
    });
    s.append(svg("line", { class: "base", x1: 0, y1: h - 0.5, x2: w, y2: h - 0.5 }));
    const step = w / Math.max(points.length, 1);
    points.forEach((p, i) => {
      if (!p.count) return;
      const bh = Math.max(1, Math.round((p.count / max) * (h - 2)));
      s.append(svg("rect", {
        class: "bar", x: (i * step).toFixed(2), y: h - bh,
        width: Math.max(1, step - 0.5).toFixed(2), height: bh,
      }));
    });
    return s;
  }

  // A bar chart of history points, with a y scale, time labels and a tooltip per bar.
  function barChart(history) {
    const points = history.points;
    const W = 960;
    const H = 260;
    const left = 56;
    const right = 12;
    const top = 12;
    const bottom = 30;
    const plotW = W - left - right;
    const plotH = H - top - bottom;
    const max = Math.max(1, ...points.map((p) => p.count));
    const first = points.length ? new Date(points[0].start) : new Date();
    const span = points.length * history.bucket_seconds;
    const peak = points.reduce((a, p) => (p.count > a.count ? p : a), { count: 0, start: null });
    const label =
      `Lines per ${history.bucket_seconds / 60} minutes: ${fmt(history.total)} in all` +
      (peak.start ? `, peak ${fmt(peak.count)} at ${when(peak.start)}` : "");
    const s = svg("svg", {
      class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label,
      "data-points": String(points.length),
    });
    const title = svg("title");
    title.textContent = label;
    s.append(title);
    for (const frac of [0, 0.5, 1]) {
      const y = top + plotH - frac * plotH;
      s.append(svg("line", { class: "grid-line", x1: left, y1: y, x2: W - right, y2: y }));
      const t = svg("text", { x: left - 6, y: y + 4, "text-anchor": "end" });
      t.textContent = fmt(Math.round(frac * max));
      s.append(t);
    }
    const step = plotW / Math.max(points.length, 1);
    points.forEach((p, i) => {
      if (!p.count) return;
      const bh = Math.max(1, (p.count / max) * plotH);
      const bar = svg("rect", {
        class: "bar", x: (left + i * step).toFixed(2), y: (top + plotH - bh).toFixed(2),
        width: Math.max(1, step - 1).toFixed(2), height: bh.toFixed(2),
      });
      const tip = svg("title");
      tip.textContent = `${when(p.start)}: ${fmt(p.count)} lines`;
      bar.append(tip);
      s.append(bar);
    });
    s.append(svg("line", { class: "axis", x1: left, y1: top + plotH, x2: W - right, y2: top + plotH }));
    const ticks = 6;
    for (let k = 0; k <= ticks; k++) {
      const x = left + (k / ticks) * plotW;
      const date = new Date(first.getTime() + (k / ticks) * span * 1000);
      const t = svg("text", { x, y: H - 10, "text-anchor": k === 0 ? "start" : k === ticks ? "end" : "middle" });
      t.textContent = shortTime(date, span);
      s.append(t);
    }
    return s;
  }

  // Anomalies found per hour over the last week, severity-coloured dots.
  function anomalyStrip(anomalies) {
    const W = 960;
    const H = 70;
    const end = Date.now();
    const start = end - 7 * DAY * 1000;
    const s = svg("svg", {
      class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img",
      "aria-label": `${anomalies.length} anomalies in the last 7 days (newest on the right)`,
    });
    s.append(svg("line", { class: "axis", x1: 10, y1: 40, x2: W - 10, y2: 40 }));
    for (const a of anomalies) {
      const t = new Date(a.found_at).getTime();
      if (t < start) continue;
      const x = 10 + ((t - start) / (end - start)) * (W - 20);
      const dot = svg("circle", { cx: x.toFixed(1), cy: 40, r: 5, class: "mark-" + a.severity });
      const tip = svg("title");
      tip.textContent = `${when(a.found_at)}: ${a.type} (${a.severity}) ${a.message}`;
      dot.append(tip);
      s.append(dot);
    }
    for (let d = 0; d <= 7; d++) {
      const x = 10 + (d / 7) * (W - 20);
      const t = svg("text", { x, y: 62, "text-anchor": d === 0 ? "start" : d === 7 ? "end" : "middle" });
      t.textContent = d === 7 ? "now" : `${7 - d} d ago`;
      s.append(t);
    }
    return s;
  }

  // -- views -----------------------------------------------------------------------------

  function show(view) {
    for (const section of document.querySelectorAll(".view")) {
      section.hidden = section.id !== "view-" + view;
    }
    for (const link of document.querySelectorAll(".tabs a")) {
      const current = link.dataset.view === view || (view === "pattern" && link.dataset.view === "patterns");
      if (current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    state.view = view;
  }

  async function loadPatterns() {
    show("patterns");
    const body = $("patterns-table").tBodies[0];
    try {
      const data = await api("/v1/patterns", {
        limit: 500, severity: $("severity-filter").value, order: "count",
      });
      state.patterns = data.patterns;
      $("patterns-count").textContent =
        data.total > data.patterns.length
          ? `${fmt(data.total)} patterns (the ${data.patterns.length} most frequent shown)`
          : `${fmt(data.total)} patterns`;
      say("");
      renderPatterns();
    } catch (err) {
      body.replaceChildren();
      state.patterns = [];
      $("patterns-count").textContent = "";
      failed(err);
    }
  }

  function renderPatterns() {
    const body = $("patterns-table").tBodies[0];
    const needle = $("search").value.trim().toLowerCase();
    const rows = state.patterns.filter((p) => !needle || p.template.toLowerCase().includes(needle));
    body.replaceChildren();
    $("patterns-empty").hidden = state.patterns.length > 0;
    for (const p of rows) {
      const spark = el("td", { class: "spark-cell", "data-pattern": p.id });
      const link = el("a", { href: "#/pattern/" + encodeURIComponent(p.id), text: p.template });
      body.append(el("tr", { "data-pattern": p.id },
        el("td", { class: "num", text: fmt(p.count) }),
        el("td", {}, severityBadge(p.severity)),
        el("td", { class: "template" }, link),
        el("td", { class: "when", text: when(p.last_seen) }),
        spark));
    }
    fillSparks(rows.slice(0, 25));
  }

  // The last day of the first rows, one request each (sequential, cached per key and page load).
  async function fillSparks(rows) {
    for (const p of rows) {
      const cell = document.querySelector(`td.spark-cell[data-pattern="${CSS.escape(p.id)}"]`);
      if (!cell || state.view !== "patterns") return;
      let hist = state.sparks.get(p.id);
      if (!hist) {
        try {
          hist = await api(`/v1/patterns/${encodeURIComponent(p.id)}/history`, {
            since: nowIso(-DAY), bucket: 3600,
          });
        } catch (err) {
          if (err.status === 429) say("Rate limited: some charts were not drawn.", true);
          return;
        }
        state.sparks.set(p.id, hist);
      }
      cell.replaceChildren(sparkline(hist.points, `${fmt(hist.total)} lines in the last 24 hours`));
    }
  }

  async function loadPattern(id) {
    show("pattern");
    $("pattern-title").textContent = "Pattern " + id;
    $("pattern-template").textContent = "";
    $("pattern-meta").replaceChildren();
    $("pattern-chart").replaceChildren();
    $("params-table").tBodies[0].replaceChildren();
    try {
      const p = await api("/v1/patterns/" + encodeURIComponent(id));
      $("pattern-template").textContent = p.template;
      const meta = $("pattern-meta");
      for (const [k, v] of [
        ["Id", p.id], ["Lines (all time)", fmt(p.count)], ["First seen", when(p.first_seen)],
        ["Last seen", when(p.last_seen)],
      ]) {
        meta.append(el("dt", { text: k }), el("dd", { text: v }));
      }
      meta.append(el("dt", { text: "Severity" }), el("dd", {}, severityBadge(p.severity)));
      const body = $("params-table").tBodies[0];
      for (const param of p.params) {
        body.append(el("tr", {},
          el("td", { text: "<*> #" + (param.index + 1) }),
          el("td", { class: "template", text: param.examples.join("  ·  ") || "—" })));
      }
      $("params-empty").hidden = p.params.length > 0;
      await loadChart(id);
      say("");
    } catch (err) {
      failed(err);
    }
  }

  async function loadChart(id) {
    const span = Number($("range").value);
    const hist = await api(`/v1/patterns/${encodeURIComponent(id)}/history`, {
      since: nowIso(-span),
    });
    $("pattern-chart").replaceChildren(barChart(hist));
    const minutes = hist.bucket_seconds / 60;
    const size = minutes >= 60 ? `${minutes / 60} h` : `${minutes} min`;
    $("pattern-chart-caption").textContent =
      `${fmt(hist.total)} lines in ${hist.points.length} buckets of ${size}, by the lines' own timestamps.`;
  }

  $("range").addEventListener("change", () => {
    const id = decodeURIComponent((location.hash.match(/^#\/pattern\/(.+)$/) || [])[1] || "");
    if (id) loadChart(id).catch(failed);
  });

  function anomalyItem(a) {
    const head = el("div", {},
      el("span", { class: "when", text: when(a.found_at || (a.window && a.window.start)) }),
      el("span", { class: "type", text: a.type.replace(/_/g, " ") }),
      severityBadge(a.severity),
      el("span", { class: "muted", text: `  score ${Number(a.score).toFixed(2)}` }));
    const dl = el("dl");
    const evidence = Object.entries(a.evidence || {});
    if (a.window) evidence.unshift(["window", `${when(a.window.start)} – ${when(a.window.end)}`]);
    if (a.source) evidence.push(["found by", a.source]);
    for (const [k, v] of evidence) {
      dl.append(el("dt", { text: k.replace(/_/g, " ") }),
        el("dd", { text: typeof v === "object" ? JSON.stringify(v) : String(v) }));
    }
    const links = el("p", { class: "muted" }, "Patterns: ");
    (a.pattern_ids || []).forEach((pid, i) => {
      if (i) links.append(", ");
      links.append(el("a", { href: "#/pattern/" + encodeURIComponent(pid), text: pid }));
    });
    return el("li", { class: "anomaly", "data-type": a.type },
      head,
      el("p", { class: "msg", text: a.message }),
      el("details", { class: "evidence" }, el("summary", { text: "Evidence" }), dl),
      (a.pattern_ids || []).length ? links : null);
  }

  async function loadAnomalies() {
    show("anomalies");
    const list = $("anomalies-list");
    try {
      const data = await api("/v1/anomalies", {
        limit: 200, severity: $("anomaly-severity").value, type: $("anomaly-type").value,
      });
      list.replaceChildren(...data.anomalies.map(anomalyItem));
      $("anomalies-chart").replaceChildren(anomalyStrip(data.anomalies));
      $("anomalies-empty").hidden = data.anomalies.length > 0;
      $("anomalies-count").textContent = `${fmt(data.total)} anomalies`;
      say("");
    } catch (err) {
      list.replaceChildren();
      failed(err);
    }
  }

  // -- analyze a log ---------------------------------------------------------------------

  $("analyze-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = $("analyze-file").files[0];
    const text = file ? await file.text() : $("analyze-text").value;
    if (!text.trim()) {
      say("Paste some log lines or choose a file first.", true);
      return;
    }
    const zone = $("analyze-zone").value.trim() || "UTC";
    say("Analyzing…");
    try {
      const result = await api("/v1/analyze", { timezone: zone }, {
        method: "POST", body: text, headers: { "Content-Type": "text/plain; charset=utf-8" },
      });
      renderAnalysis(result);
      $("analyze-zone-note").textContent =
        `Times without a zone were read as ${zone}; times are shown in UTC.`;
      state.sparks.clear();
      say(`Analyzed: ${result.patterns.length} patterns, ${result.anomalies.length} anomalies.`);
    } catch (err) {
      failed(err);
    }
  });

  function renderAnalysis(result) {
    $("analyze-result").hidden = false;
    $("analyze-anomalies").replaceChildren(...result.anomalies.map(anomalyItem));
    if (!result.anomalies.length) $("analyze-anomalies").append(el("li", { text: "None found." }));
    $("analyze-insights").replaceChildren(
      ...result.insights.map((i) => el("li", {}, el("strong", { text: i.type + ": " }), i.message)));
    if (!result.insights.length) $("analyze-insights").append(el("li", { text: "None." }));
    const body = $("analyze-patterns").tBodies[0];
    body.replaceChildren(...result.patterns.map((p) => el("tr", {},
      el("td", { class: "num", text: fmt(p.count) }),
      el("td", {}, severityBadge(p.severity)),
      el("td", { class: "template" },
        el("a", { href: "#/pattern/" + encodeURIComponent(p.id), text: p.template })))));
  }

  // -- routing (the hash holds the view, never the key) ------------------------------------

  function route() {
    showKeyState();
    const hash = location.hash || "#/patterns";
    const pattern = hash.match(/^#\/pattern\/(.+)$/);
    if (pattern) return loadPattern(decodeURIComponent(pattern[1]));
    if (hash === "#/anomalies") return loadAnomalies();
    if (hash === "#/analyze") {
      show("analyze");
      return null;
    }
    return loadPatterns();
  }

  $("severity-filter").addEventListener("change", loadPatterns);
  $("search").addEventListener("input", renderPatterns);
  $("anomaly-severity").addEventListener("change", loadAnomalies);
  $("anomaly-type").addEventListener("change", loadAnomalies);
  window.addEventListener("hashchange", () => {
    route();
    $("main").focus({ preventScroll: true });
  });
  route();
})();
