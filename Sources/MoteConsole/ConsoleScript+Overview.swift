extension ConsoleAssets {
    /// Overview, feature views, one view.
    static let scriptOverview = #"""

// ---- Overview: health, uptime, disk, outbox, alerts; what to do first on an empty box ----
async function overview() {
  const [status, alerts, views, models] = await Promise.all([
    api("/v1/status"), api("/v1/alerts"), api("/v1/feature-views"), api("/v1/models")]);
  document.getElementById("who").textContent = `moted ${status.version}`;
  const out = [el("h1", {}, "Overview")];
  if (views.feature_views.length === 0 && models.models.length === 0) {
    out.push(el("div", { class: "empty", "data-test": "empty" },
      el("h2", {}, "This box holds no features and no models yet"),
      el("p", {}, "Start here, on the box:"),
      el("ol", {},
        el("li", {}, "Declare entities, feature views and training specs: ", el("code", {}, "motectl apply -f definitions.toml"), " (docs/definitions.md)."),
        el("li", {}, "Push feature rows: ", el("code", {}, "motectl features push VIEW --csv rows.csv"), ", or POST /v1/push from your processes."),
        el("li", {}, "Train a model: ", el("code", {}, "motectl train SPEC --wait"), ", or import one: ", el("code", {}, "motectl models import model.txt --name NAME --inputs view:field,..."), "."),
        el("li", {}, "Predict: ", el("code", {}, "motectl predict MODEL --entity key=value"), "; this console then shows runs, models, drift and jobs.")),
      el("p", { class: "muted" }, "The documentation is in /usr/share/doc/mote/.")));
  }
  const sync = status.sync || {};
  out.push(el("div", { class: "grid" },
    fact("State", status.state, "state"),
    fact("Up for", ago(status.uptime_seconds), "uptime"),
    fact("Disk free", bytes(status.disk.free_bytes), "disk-free"),
    fact("State on disk", bytes(status.disk.total_bytes), "disk-used"),
    fact("Memory (RSS)", bytes(status.memory.rss_bytes), "rss"),
    fact("Outbox waiting", num(sync.outbox_pending ?? 0), "outbox"),
    fact("Outbox parked", num(sync.outbox_parked ?? 0), "parked"),
    fact("Feature views", link("/ui/features", fmt(views.feature_views.length)), "views"),
    fact("Models", link("/ui/models", fmt(models.models.length)), "models"),
    fact("Unmerged rows", num(status.features.unmerged_rows), "unmerged")));
  out.push(el("h2", {}, "Alerts"));
  if (alerts.alerts.length === 0) out.push(el("p", { class: "ok", "data-test": "no-alerts" }, "Nothing is wrong now."));
  else out.push(el("div", { "data-test": "alerts" }, alerts.alerts.map(a => el("div", { class: "alert", "data-kind": a.kind }, a.message))));
  return out;
}

// ---- Feature views ----
const ttl = text => text === "0s" ? "none" : text;  // a TTL of 0 means values never expire

async function features() {
  const views = (await api("/v1/feature-views")).feature_views;
  const out = [el("h1", {}, "Feature views")];
  if (views.length === 0) return [...out, el("div", { class: "empty", "data-test": "empty" }, "No feature views yet: ", el("code", {}, "motectl apply -f definitions.toml"), " declares them.")];
  const quality = await Promise.all(views.map(v => api(`/v1/feature-views/${enc(v.name)}/quality`).catch(() => null)));
  out.push(table(["View", "Entities", { label: "Fields", num: true }, "TTL", { label: "Online", num: true }, { label: "History rows", num: true }, "Freshness", { label: "Stale", num: true }, "Data"],
    views.map((v, i) => [link(`/ui/features/${enc(v.name)}`, v.name), v.entities.join(", "), num(v.fields.length), ttl(v.ttl), num(v.online_entities),
      num(v.history_rows), v.freshness_seconds === null ? "–" : ago(v.freshness_seconds) + " ago",
      quality[i] && quality[i].stale_entities !== null ? num(quality[i].stale_entities) : "–",
      quality[i] && quality[i].failing ? el("span", { class: "bad" }, "failing") : el("span", { class: "ok" }, "ok")]),
    { "data-test": "views" }));
  return out;
}

async function featureView(name) {
  const [view, quality] = await Promise.all([api(`/v1/feature-views/${enc(name)}`), api(`/v1/feature-views/${enc(name)}/quality`)]);
  const out = [el("h1", {}, `Feature view ${view.name}`)];
  out.push(el("div", { class: "grid" },
    fact("Entities online", num(view.online_entities), "online"), fact("History rows", num(view.history_rows), "history"),
    fact("Newest event", view.freshness_seconds === null ? "–" : ago(view.freshness_seconds) + " ago", "freshness"),
    fact("Stale entities", quality.stale_entities === null ? "no expect_every" : num(quality.stale_entities), "stale"),
    fact("TTL", ttl(view.ttl), "ttl"), fact("Keys", view.join_keys.join(", "), "keys")));
  out.push(el("h2", {}, `Pushed data over the last ${quality.window}`));
  out.push(table(["Field", "Type", { label: "Rows", num: true }, { label: "Null share", num: true }, "Broken values", "State"],
    quality.fields.map((f, i) => [f.name, view.fields[i] ? view.fields[i].type : "",
      num(f.rows), el("span", { class: f.null_share_exceeded ? "bad" : null }, num(f.null_share, 3)),
      Object.entries(f.broken).map(([rule, n]) => el("span", { class: "pill" }, `${rule} ${fmt(n)}`)),
      f.failing ? el("span", { class: "bad" }, "failing") : el("span", { class: "ok" }, "ok")]),
    { "data-test": "quality" }));
  // A histogram of one field's current values (the newest row of each entity).
  out.push(el("h2", {}, "Current values"));
  const box = el("div", { "data-test": "histogram" });
  const pick = el("select", { "data-test": "field", onchange: () => drawHistogram(name, pick.value, box) },
    view.fields.map(f => el("option", { value: f.name }, f.name)));
  out.push(el("form", { class: "inline", onsubmit: e => e.preventDefault() }, "Field ", pick), box);
  if (view.fields.length) drawHistogram(name, view.fields[0].name, box);
  // An entity's values.
  out.push(el("h2", {}, "Look up an entity"));
  const key = el("input", { placeholder: view.join_keys.join(","), "data-test": "lookup-key" });
  const result = el("div", { "data-test": "lookup" });
  out.push(el("form", { class: "inline", onsubmit: async e => {
    e.preventDefault();
    const parts = key.value.split(",");
    const entities = {};
    view.join_keys.forEach((k, i) => { entities[k] = [(parts[i] || "").trim()]; });
    try {
      const r = await api("/v1/get-online-features", "POST", { features: view.fields.map(f => `${view.name}:${f.name}`), entities });
      const names = r.metadata.feature_names;
      result.replaceChildren(table(["Feature", "Value", "Status", "Event time"], names.map((n, i) => [n,
        JSON.stringify(r.results[i].values[0]), r.results[i].statuses[0], r.results[i].event_timestamps ? r.results[i].event_timestamps[0] : ""])));
    } catch (err) { result.replaceChildren(errorBox(err)); }
  } }, key, el("button", { type: "submit" }, "Look up")), result);
  return out;
}

async function drawHistogram(view, field, box) {
  try {
    const h = await api(`/v1/feature-views/${enc(view)}/fields/${enc(field)}/histogram`);
    if (h.edges) {
      const labels = h.counts.map((_, i) => fmt(h.edges[i], 3));
      box.replaceChildren(chartBox(`${field}: ${fmt(h.values)} values, ${fmt(h.nulls)} null`,
        barChart({ labels, series: [{ name: field, cls: "live", values: h.counts }], yFormat: v => fmt(Math.round(v)) })));
    } else {
      box.replaceChildren(chartBox(`${field}: ${fmt(h.values)} values, ${fmt(h.nulls)} null`,
        barChart({ labels: h.categories.map(c => c.value), series: [{ name: field, cls: "live", values: h.categories.map(c => c.count) }], yFormat: v => fmt(Math.round(v)) })));
    }
  } catch (e) { box.replaceChildren(errorBox(e)); }
}
"""#
}
