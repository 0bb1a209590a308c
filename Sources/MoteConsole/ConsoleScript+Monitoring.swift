extension ConsoleAssets {
    /// Monitoring, training jobs, sync and fleet; then the router.
    static let scriptMonitoring = #"""

// ---- Monitoring ----
async function monitoringIndex() {
  const list = (await api("/v1/models")).models;
  const out = [el("h1", {}, "Monitoring")];
  if (list.length === 0) return [...out, el("div", { class: "empty", "data-test": "empty" }, "No models to watch yet.")];
  const reports = await Promise.all(list.map(m => api(`/v1/models/${enc(m.name)}/monitoring`).catch(() => null)));
  out.push(table(["Model", { label: "Version", num: true }, "Verdict", { label: "Live rows", num: true }, { label: "Drift share", num: true }, { label: "Feedback", num: true }, "Degraded"],
    list.map((m, i) => { const r = reports[i];
      return r ? [link(`/ui/monitoring/${enc(m.name)}`, m.name), num(r.version), el("span", { class: r.dataset_drift ? "bad" : null }, r.verdict),
        num(r.window_rows), r.drift_share === null ? "–" : num(r.drift_share, 3), num(r.metrics.feedback_rows), r.metrics.degraded.join(", ") || "–"]
        : [m.name, "–", "not served", "–", "–", "–", "–"]; }), { "data-test": "monitored" }));
  return out;
}

async function monitoring(name) {
  const r = await api(`/v1/models/${enc(name)}/monitoring`);
  const out = [el("h1", {}, `Monitoring ${r.model} v${r.version}`)];
  out.push(el("div", { class: "grid" },
    fact("Verdict", el("span", { class: r.dataset_drift ? "bad" : null }, r.verdict), "verdict"),
    fact("Live rows", num(r.window_rows), "window-rows"),
    fact("Drifting inputs", r.drift_share === null ? "–" : num(r.drift_share, 3), "drift-share"),
    fact("Feedback", num(r.metrics.feedback_rows), "feedback"),
    fact("Window", r.window ? r.window.max_age : "–", "window")));
  if (!r.judged) out.push(el("p", { class: "muted" }, `Not judged yet: ${fmt(r.window_rows)} of ${fmt(r.min_rows)} live rows (monitoring.min_rows).`));
  // Reference and live distributions on the same bins.
  out.push(el("h2", {}, "Inputs: reference and live on the same bins"));
  const charts = el("div", { class: "charts", "data-test": "distributions" });
  for (const f of [...r.features, ...(r.prediction ? [r.prediction] : [])]) {
    const title = `${f.name}: ${f.method} ${fmt(f.score, 3)} (threshold ${fmt(f.threshold, 3)})${f.drifted ? " — drifts" : ""}`;
    if (f.histogram) {
      const labels = f.histogram.reference.map((_, i) => fmt(f.histogram.edges[i], 3));
      const series = [{ name: "reference", cls: "ref", values: f.histogram.reference }, { name: "live", cls: "live", values: f.histogram.live }];
      charts.append(el("div", { "data-feature": f.name }, chartBox(title, barChart({ labels, series, yFormat: v => fmt(v * 100, 2) + "%" }), series)));
    } else if (f.categories) {
      const series = [{ name: "reference", cls: "ref", values: f.categories.map(c => c.reference) }, { name: "live", cls: "live", values: f.categories.map(c => c.live) }];
      charts.append(el("div", { "data-feature": f.name }, chartBox(title, barChart({ labels: f.categories.map(c => c.value), series, yFormat: v => fmt(v * 100, 2) + "%" }), series)));
    }
  }
  out.push(charts);
  // Drift over time.
  out.push(el("h2", {}, "Drift score over time"));
  const names = [...new Set((r.history || []).flatMap(p => Object.keys(p.scores)))];
  const series = names.map(n => ({ name: n, points: r.history.filter(p => n in p.scores).map(p => [Date.parse(p.at), p.scores[n]]) }));
  out.push(el("div", { "data-test": "drift-history" }, series.length ? chartBox(`${fmt(r.history.length)} checks`, lineChart({ series, width: 640, height: 240, time: true }), series)
    : el("p", { class: "muted" }, "No check has judged drift yet (every monitoring.interval, once there are monitoring.min_rows live rows).")));
  // Live against holdout.
  out.push(el("h2", {}, "Live metrics and the holdout's"));
  const keys = [...new Set([...Object.keys(r.metrics.live), ...Object.keys(r.metrics.holdout)])].sort();
  out.push(table(["Metric", { label: "Live", num: true }, { label: "Holdout", num: true }, "State"],
    keys.map(k => [k, num(r.metrics.live[k]), num(r.metrics.holdout[k]), r.metrics.degraded.includes(k) ? el("span", { class: "bad" }, "degraded") : "ok"]),
    { "data-test": "live-metrics" }));
  if (Object.keys(r.metrics.live).length === 0) out.push(el("p", { class: "muted" }, `Live metrics need ${fmt(r.metrics.min_feedback)} predictions with feedback; ${fmt(r.metrics.feedback_rows)} so far.`));
  if (r.data_quality && r.data_quality.length) {
    out.push(el("h2", {}, "Data of its inputs"), table(["View", "Field", { label: "Rows", num: true }, { label: "Null share", num: true }, "Broken", "State"],
      r.data_quality.flatMap(q => q.fields.map(f => [link(`/ui/features/${enc(q.feature_view)}`, q.feature_view), f.name, num(f.rows), num(f.null_share, 3),
        Object.entries(f.broken).map(([k, n]) => `${k} ${n}`).join(", ") || "–", f.failing ? el("span", { class: "bad" }, "failing") : "ok"]))));
  }
  return out;
}

// ---- Training jobs ----
async function jobs() {
  const r = await api("/v1/training-jobs?limit=100");
  const out = [el("h1", {}, "Jobs"), el("p", {}, `${fmt(r.queued)} queued, ${fmt(r.running)} running.`)];
  if (r.jobs.length === 0) return [...out, el("div", { class: "empty", "data-test": "empty" }, "No jobs yet: motectl train SPEC, or motectl score JOB.")];
  out.push(table(["Job", "Kind", "Spec", "Model", "Status", "Progress", "Created", ""],
    r.jobs.map(j => [link(`/ui/jobs/${enc(j.id)}`, j.id), j.kind, j.spec, j.model,
      el("span", { class: j.status === "failed" ? "bad" : j.status === "succeeded" ? "ok" : "warn" }, j.status),
      j.last_event ? j.last_event.message : "", since(j.created_at),
      ["queued", "running"].includes(j.status) ? el("button", { class: "danger", "data-test": `cancel-${j.id}`,
        onclick: () => act(`Cancel job ${j.id} (${j.spec})?`, () => api(`/v1/training-jobs/${enc(j.id)}`, "DELETE")) }, "Cancel") : ""]),
    { "data-test": "jobs" }));
  return out;
}

async function jobPage(id) {
  const j = (await api(`/v1/training-jobs/${enc(id)}`)).job;
  const out = [el("h1", {}, `Job ${j.id}`), el("div", { class: "grid" }, fact("Kind", j.kind, "kind"), fact("Spec", j.spec, "spec"),
    fact("Status", j.status, "status"), fact("Run", j.run_id ? link(`/ui/runs/${enc(j.run_id)}`, j.run_id.slice(0, 12)) : "–", "run"),
    fact("Version", j.version ? link(`/ui/models/${enc(j.model)}`, "v" + j.version) : "–", "version"))];
  const log = el("pre", { "data-test": "events" });
  out.push(el("h2", {}, "Events"), log);
  followEvents(id, log);
  return out;
}

// Streams a job's events as they come (NDJSON, until the job ends).
async function followEvents(id, log) {
  try {
    const r = await fetch(`/v1/training-jobs/${enc(id)}/events?follow=true`);
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let pending = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done || !document.body.contains(log)) break;
      pending += decoder.decode(value, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop();
      for (const line of lines) {
        if (!line.trim()) continue;
        const e = JSON.parse(line);
        log.append(`${e.time.slice(11, 19)} ${e.phase}: ${e.message}\n`);
      }
    }
  } catch (e) { log.append(`(${e.message})\n`); }
}

// ---- Sync and fleet ----
async function syncPage() {
  const [s, f, outbox] = await Promise.all([api("/v1/sync"), api("/v1/fleet"), api("/v1/sync/outbox?limit=20")]);
  const out = [el("h1", {}, "Sync and fleet")];
  out.push(el("div", { class: "grid" },
    fact("Sync", s.enabled ? s.url : "off (sync.url)", "sync"), fact("Outbox waiting", num(s.pending), "pending"),
    fact("Parked", num(s.parked), "parked"), fact("Last success", since(s.last_success), "last-success"),
    fact("Failures in a row", num(s.consecutive_failures), "failures"), fact("Device", s.device_id, "device")));
  if (s.last_error) out.push(el("div", { class: "error" }, `Last error ${since(s.last_error_at)}: ${s.last_error}`));
  out.push(el("h2", {}, "Waiting in the outbox"), outbox.entries.length
    ? table(["Kind", "Subject", "Queued", { label: "Attempts", num: true }], outbox.entries.map(e => [e.kind, e.subject, since(e.at), num(e.attempts)]), { "data-test": "outbox" })
    : el("p", { class: "muted" }, "Nothing waits."));
  out.push(el("h2", {}, "Fleet"), el("p", {}, f.enabled ? `Following alias '${f.alias}' of ${f.url}; last poll ${since(f.last_poll)}.` : "Off: this box follows no central alias (fleet.enabled)."));
  if (f.models && f.models.length) out.push(table(["Model", "Central", "Champion", "Pinned", "Last decision"],
    f.models.map(m => [m.model, m.central_version ?? "–", m.champion ?? "–", m.pinned_version ?? "–", m.last_decision ? `${m.last_decision.decision}: ${m.last_decision.reason}` : "–"])));
  return out;
}

// ---- Router ----
const PAGES = [
  [/^\/ui\/?$/, overview, "Overview"], [/^\/ui\/features$/, features, "Features"], [/^\/ui\/features\/([^/]+)$/, featureView, "Features"],
  [/^\/ui\/runs$/, runs, "Runs"], [/^\/ui\/runs\/compare$/, compareRuns, "Runs"], [/^\/ui\/runs\/([^/]+)$/, runPage, "Runs"],
  [/^\/ui\/models$/, models, "Models"], [/^\/ui\/models\/([^/]+)$/, modelPage, "Models"],
  [/^\/ui\/monitoring$/, monitoringIndex, "Monitoring"], [/^\/ui\/monitoring\/([^/]+)$/, monitoring, "Monitoring"],
  [/^\/ui\/jobs$/, jobs, "Jobs"], [/^\/ui\/jobs\/([^/]+)$/, jobPage, "Jobs"], [/^\/ui\/sync$/, syncPage, "Sync"],
];

async function show() {
  const root = document.getElementById("main");
  const path = location.pathname;
  for (const [pattern, page, section] of PAGES) {
    const m = path.match(pattern);
    if (!m) continue;
    document.title = `${section} · mote`;
    for (const a of document.querySelectorAll("header nav a")) a.classList.toggle("here", a.textContent === section);
    try {
      const view = await page(...m.slice(1).map(decodeURIComponent));
      root.replaceChildren(...[view].flat());
    } catch (e) { root.replaceChildren(errorBox(e)); }
    root.setAttribute("data-ready", path + location.search);
    performance.mark("mote-drawn");
    return;
  }
  root.replaceChildren(el("h1", {}, "Not found"), el("p", {}, link("/ui/", "Back to the overview")));
}

document.addEventListener("click", e => {
  const a = e.target.closest("a");
  const href = a && a.getAttribute("href");
  if (!href || !href.startsWith("/ui") || e.ctrlKey || e.metaKey || e.shiftKey || a.target) return;
  e.preventDefault();
  history.pushState({}, "", href);
  show();
});
window.addEventListener("popstate", show);
show();
"""#
}
