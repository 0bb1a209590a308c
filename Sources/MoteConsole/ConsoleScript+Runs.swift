extension ConsoleAssets {
    /// Runs (search, one run, two compared) and models (versions, lineage, serving, actions).
    static let scriptRuns = #"""

// ---- Runs ----
const CURVES = ["train_loss", "valid_loss"];

async function runs() {
  const q = new URLSearchParams(location.search);
  const filter = q.get("filter") || "";
  const out = [el("h1", {}, "Runs")];
  const input = el("input", { name: "filter", value: filter, size: 60, placeholder: "metrics.holdout_auc > 0.9 and params.algorithm = 'gbdt'", "data-test": "filter" });
  out.push(el("form", { class: "inline", onsubmit: e => {
    e.preventDefault(); history.pushState({}, "", "/ui/runs" + (input.value ? "?filter=" + enc(input.value) : "")); show();
  } }, "Filter ", input, el("button", { type: "submit" }, "Search"), el("span", { class: "muted" }, "as POST /v1/runs/search takes it (docs/api.md)")));
  let found;
  try { found = (await api("/v1/runs/search", "POST", { filter, max_results: 200 })).runs; }
  catch (e) { return [...out, errorBox(e)]; }
  if (found.length === 0) return [...out, el("div", { class: "empty", "data-test": "empty" }, filter ? "No run matches." : "No runs yet: a training job records one (motectl train SPEC --wait).")];
  const keys = [...new Set(found.flatMap(r => Object.keys(r.metrics)))].filter(k => k.startsWith("holdout_") || k.startsWith("rows_")).slice(0, 4);
  const picked = [];
  const compare = el("a", { href: "#", class: "muted", "data-test": "compare" }, "pick two runs to compare");
  const tick = (id, box) => {
    if (box.checked) picked.push(id); else picked.splice(picked.indexOf(id), 1);
    if (picked.length === 2) { compare.setAttribute("href", `/ui/runs/compare?a=${enc(picked[0])}&b=${enc(picked[1])}`); compare.textContent = "compare the two"; compare.className = ""; }
    else { compare.setAttribute("href", "#"); compare.textContent = "pick two runs to compare"; compare.className = "muted"; }
  };
  out.push(el("p", {}, compare));
  out.push(table(["", "Run", "Experiment", "Status", "Started", ...keys.map(k => ({ label: k, num: true }))],
    found.map(r => { const box = el("input", { type: "checkbox", onchange: () => tick(r.id, box) });
      return [box, link(`/ui/runs/${enc(r.id)}`, r.name || r.id), r.experiment, r.status, since(r.start), ...keys.map(k => r.metrics[k] ? num(r.metrics[k].value) : "–")]; }),
    { "data-test": "runs" }));
  return out;
}

async function curvesOf(run) {
  const keys = CURVES.filter(k => run.metrics[k]);
  return Promise.all(keys.map(async k => ({ key: k, points: (await api(`/v1/runs/${enc(run.id)}/metrics/${enc(k)}`)).metrics.map(m => [m.step, m.value]) })));
}

async function runPage(id) {
  const run = (await api(`/v1/runs/${enc(id)}`)).run;
  const out = [el("h1", {}, `Run ${run.name || run.id}`)];
  out.push(el("div", { class: "grid" }, fact("Experiment", run.experiment, "experiment"), fact("Status", run.status, "status"),
    fact("Started", since(run.start), "start"), fact("Took", run.end ? ago((Date.parse(run.end) - Date.parse(run.start)) / 1000) : "running", "took")));
  const curves = await curvesOf(run);
  if (curves.length) {
    const series = curves.map(c => ({ name: c.key, points: c.points }));
    out.push(el("h2", {}, "Learning curve"), el("div", { "data-test": "curve" }, chartBox("loss by iteration", lineChart({ series, width: 560, height: 240 }), series)));
  }
  out.push(el("h2", {}, "Metrics"), table(["Metric", { label: "Value", num: true }, { label: "Step", num: true }],
    Object.values(run.metrics).sort((a, b) => a.key.localeCompare(b.key)).map(m => [m.key, num(m.value, 6), num(m.step)]), { "data-test": "metrics" }));
  out.push(el("h2", {}, "Parameters"), table(["Parameter", "Value"], Object.entries(run.params).sort().map(([k, v]) => [k, v]), { "data-test": "params" }));
  if (run.artifacts && run.artifacts.length) out.push(el("h2", {}, "Artifacts"), table(["Path", { label: "Bytes", num: true }, "SHA-256"], run.artifacts.map(a => [a.path, num(a.size), a.digest])));
  out.push(el("h2", {}, "Tags"), table(["Tag", "Value"], Object.entries(run.tags).map(([k, v]) => [k, v])));
  return out;
}

async function compareRuns() {
  const q = new URLSearchParams(location.search);
  const [a, b] = await Promise.all([api(`/v1/runs/${enc(q.get("a") || "")}`), api(`/v1/runs/${enc(q.get("b") || "")}`)]).then(x => x.map(r => r.run));
  const out = [el("h1", {}, "Two runs")];
  const [ca, cb] = await Promise.all([curvesOf(a), curvesOf(b)]);
  const series = [...ca.map(c => ({ name: `${a.name}: ${c.key}`, points: c.points })), ...cb.map(c => ({ name: `${b.name}: ${c.key}`, points: c.points }))];
  if (series.length) out.push(el("div", { "data-test": "curve" }, chartBox("loss by iteration, both runs", lineChart({ series, width: 640, height: 260 }), series)));
  const keys = [...new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])].sort();
  out.push(el("h2", {}, "Metrics"), table(["Metric", { label: a.name, num: true }, { label: b.name, num: true }],
    keys.map(k => [k, a.metrics[k] ? num(a.metrics[k].value, 6) : "–", b.metrics[k] ? num(b.metrics[k].value, 6) : "–"]), { "data-test": "metrics" }));
  const params = [...new Set([...Object.keys(a.params), ...Object.keys(b.params)])].sort();
  out.push(el("h2", {}, "Parameters"), table(["Parameter", a.name, b.name], params.map(k => [k, a.params[k] ?? "–",
    el("span", { class: a.params[k] !== b.params[k] ? "warn" : null }, b.params[k] ?? "–")])));
  return out;
}

// ---- Models ----
async function models() {
  const list = (await api("/v1/models")).models;
  const out = [el("h1", {}, "Models")];
  if (list.length === 0) return [...out, el("div", { class: "empty", "data-test": "empty" }, "No models yet: train one (motectl train SPEC --wait) or import one (motectl models import FILE --name NAME).")];
  out.push(table(["Model", { label: "Champion", num: true }, { label: "Latest", num: true }, "Aliases", "Updated"],
    list.map(m => [link(`/ui/models/${enc(m.name)}`, m.name), m.aliases.champion ? num(m.aliases.champion) : "–", num(m.latest_version),
      Object.entries(m.aliases).map(([a, v]) => el("span", { class: "pill" }, `${a} → v${v}`)), since(m.updated)]), { "data-test": "models" }));
  return out;
}

async function modelPage(name) {
  const [model, versions] = await Promise.all([api(`/v1/models/${enc(name)}`), api(`/v1/models/${enc(name)}/versions`)]).then(([m, v]) => [m.model, v.versions]);
  const serving = await api(`/v1/models/${enc(name)}/serving`).catch(() => null);
  const runs = await Promise.all(versions.map(v => v.run_id ? api(`/v1/runs/${enc(v.run_id)}`).then(r => r.run).catch(() => null) : null));
  const out = [el("h1", {}, `Model ${model.name}`)];
  out.push(el("div", { class: "grid" },
    fact("Champion", model.aliases.champion ? "v" + model.aliases.champion : "none", "champion"),
    fact("Serving", serving ? `v${serving.version} (${serving.algorithm})` : "not loaded", "serving"),
    fact("Latency p50 (µs)", serving && serving.latency_us ? num(serving.latency_us.p50, 3) : "–", "p50"),
    fact("Latency p99 (µs)", serving && serving.latency_us ? num(serving.latency_us.p99, 3) : "–", "p99"),
    fact("Rows answered", serving ? num(serving.rows) : "–", "rows"),
    fact("Monitoring", link(`/ui/monitoring/${enc(model.name)}`, "drift and live metrics"), "monitoring")));
  out.push(el("p", {}, el("button", { class: "danger", "data-test": "rollback",
    onclick: () => act(`Move champion of ${model.name} back to where it pointed before?`, () => api(`/v1/models/${enc(model.name)}/rollback`, "POST", {})) }, "Roll back champion"),
    el("span", { class: "muted" }, " admin only; asked first; audited")));
  out.push(el("h2", {}, "Versions and lineage"));
  out.push(table([{ label: "Version", num: true }, "Aliases", "Metrics (holdout)", "Run", "Dataset", { label: "Definitions", num: true }, "Created", ""],
    versions.map((v, i) => {
      const run = runs[i];
      const metrics = Object.entries(v.metrics || {}).filter(([k]) => ["auc", "logloss", "rmse", "accuracy"].includes(k));
      return [num(v.version), (v.aliases || []).map(a => el("span", { class: "pill" }, a)),
        metrics.map(([k, x]) => el("span", { class: "pill" }, `${k} ${fmt(x)}`)),
        v.run_id ? link(`/ui/runs/${enc(v.run_id)}`, run ? run.name : v.run_id.slice(0, 8)) : "imported",
        el("code", {}, ((v.tags || {})["mote.dataset_hash"] || (run && run.params.dataset_hash) || "–").slice(0, 12)),
        run && run.params.definitions_version ? num(Number(run.params.definitions_version)) : "–", since(v.created),
        (v.aliases || []).includes("champion") ? "" : el("button", { "data-test": `promote-${v.version}`,
          onclick: () => act(`Make version ${v.version} the champion of ${model.name}? It serves at once.`,
            () => api(`/v1/models/${enc(model.name)}/aliases/champion`, "PUT", { version: v.version })) }, "Make champion")];
    }), { "data-test": "versions" }));
  return out;
}
"""#
}
