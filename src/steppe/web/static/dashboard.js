// steppe dashboard: a thin client of the JSON API (same origin, nothing fetched elsewhere).
"use strict";

const $ = (id) => document.getElementById(id);
const PLOT_CONFIG = { displaylogo: false, responsive: true };
const MODE_COLOURS = {
  rail: "#1f77b4", road: "#ff7f0e", sea: "#17becf",
  gas_pipeline: "#2ca02c", oil_pipeline: "#8c564b",
};
const WIDTHS = [1, 2, 3.5, 5.5, 8];
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf",
  "#7f7f7f", "#bcbd22", "#e377c2"];
const state = { runs: [], preset: null, choices: null };

class ApiError extends Error {
  constructor(status, body) {
    super(body.detail || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, options = {}) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function option(value, label) {
  const item = document.createElement("option");
  item.value = value;
  item.textContent = label;
  return item;
}

function fill(select, items, keep = true) {
  const previous = select.value;
  const fixed = Array.from(select.options).filter((o) => o.value === "");
  select.replaceChildren(...fixed, ...items);
  if (keep && Array.from(select.options).some((o) => o.value === previous)) {
    select.value = previous;
  }
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.appendChild(td);
}

function fmt(value, digits = 2) {
  return value === null || value === undefined || Number.isNaN(value)
    ? "–" : Number(value).toLocaleString("en", { maximumFractionDigits: digits });
}

function setStatus(text, error = false) {
  $("run-status").textContent = text;
  $("run-status").classList.toggle("error", error);
}

// ---- runs and presets ------------------------------------------------------------------

async function loadHealth() {
  const health = await api("/api/health");
  $("server-status").textContent = `steppe ${health.version} · ` +
    (health.runs_allowed ? "runs allowed (token needed)" : "read-only");
  $("run-button").disabled = !health.runs_allowed;
}

function runLabel(run) {
  return `${run.scenario_name} · ${run.run_id.slice(0, 8)} · ${String(run.created).slice(0, 16)}`;
}

async function loadRuns() {
  state.runs = (await api("/api/runs")).filter((r) => r.status === "ok");
  for (const id of ["run-a", "run-b"]) {
    fill($(id), state.runs.map((r) => option(r.run_id, runLabel(r))));
  }
  $("no-runs").hidden = state.runs.length > 0;
}

function pickRuns(a = null, b = null) {
  // default: A the second newest run, B the newest
  const n = state.runs.length;
  $("run-a").value = a ?? (n ? state.runs[Math.min(1, n - 1)].run_id : "");
  $("run-b").value = b ?? (n ? state.runs[0].run_id : "");
}

async function loadPresets() {
  const presets = await api("/api/presets");
  fill($("preset"), presets.map((p) => option(p.name, `${p.name} (${p.origin})`)));
  await loadPreset();
}

async function loadPreset() {
  const name = $("preset").value;
  if (!name) return;
  state.preset = await api(`/api/presets/${encodeURIComponent(name)}`);
  $("preset-description").textContent = state.preset.description;
  const crossings = state.preset.crossings;
  const open = crossings.filter((c) => c.status === "operating");
  const label = (c) => `${c.name} (${c.country_a}–${c.country_b}, ${c.modes})`;
  fill($("dwell-crossing"), open.map((c) => option(c.crossing_id, label(c))), false);
  fill($("close-crossing"), open.map((c) => option(c.crossing_id, label(c))), false);
  const planned = [
    ...state.preset.planned_links.map((l) => option(`link:${l.link_id}`, `link ${l.name} (${l.status})`)),
    ...crossings.filter((c) => c.status !== "operating" && c.status !== "closed")
      .map((c) => option(`crossing:${c.crossing_id}`, `crossing ${c.name} (${c.status})`)),
  ];
  fill($("switch-on"), planned, false);
}

// ---- flow maps -------------------------------------------------------------------------

function widthClass(flow, top) {
  const edges = [0.02, 0.1, 0.3, 0.6].map((e) => e * top);
  return edges.filter((e) => flow > e).length;
}

function mapTraces(geo) {
  const lines = geo.features.filter((f) => f.properties.kind === "flow");
  const top = Math.max(1, ...lines.map((f) => scaled(f.properties)));
  const groups = new Map();
  for (const f of lines) {
    const key = `${f.properties.group}|${widthClass(scaled(f.properties), top)}`;
    if (!groups.has(key)) groups.set(key, { x: [], y: [], text: [] });
    const g = groups.get(key);
    const [[x0, y0], [x1, y1]] = f.geometry.coordinates;
    const label = `${f.properties.name}: ${fmt(f.properties.flow / (f.properties.unit === "t/year" ? 1e6 : 1))} ` +
      (f.properties.unit === "t/year" ? "Mt/yr" : "bcm/yr");
    g.x.push(x0, x1, null);
    g.y.push(y0, y1, null);
    g.text.push(label, label, null);
  }
  const traces = [];
  const seen = new Set();
  for (const [key, g] of groups) {
    const [group, width] = key.split("|");
    traces.push({
      type: "scatter", mode: "lines", x: g.x, y: g.y, text: g.text, hoverinfo: "text",
      line: { width: WIDTHS[Number(width)], color: MODE_COLOURS[group] || "#555" },
      name: group, legendgroup: group, showlegend: !seen.has(group),
    });
    seen.add(group);
  }
  traces.push(pointTrace(geo, "crossing", { symbol: "x-thin", size: 9, line: { width: 2, color: "#000" } }, "border crossing"));
  traces.push(pointTrace(geo, "place", { size: 5, color: "#333" }, "places"));
  return traces;
}

function scaled(p) {
  return p.unit === "t/year" ? p.flow : p.flow * 1e6; // gas: 1 bcm drawn like 1 Mt
}

function pointTrace(geo, kind, marker, name) {
  const points = geo.features.filter((f) => f.properties.kind === kind);
  return {
    type: "scatter", mode: "markers", name, marker, hoverinfo: "text",
    x: points.map((f) => f.geometry.coordinates[0]),
    y: points.map((f) => f.geometry.coordinates[1]),
    text: points.map((f) => f.properties.name + (f.properties.country ? ` (${f.properties.country})` : "")),
  };
}

async function drawMap(target, runId) {
  const geo = await api(`/api/runs/${runId}/flow-map`);
  const lats = geo.features.map((f) => f.geometry.coordinates[1] ?? f.geometry.coordinates[0][1]);
  const mid = lats.length ? lats.reduce((a, b) => a + b, 0) / lats.length : 45;
  const run = state.runs.find((r) => r.run_id === runId);
  await Plotly.react(target, mapTraces(geo), {
    title: { text: `Flows — ${run ? run.scenario_name : runId}` },
    margin: { t: 50, l: 50, r: 10, b: 90 }, plot_bgcolor: "#f7f7f2", height: 480,
    xaxis: { title: { text: "longitude (°E)" }, zeroline: false },
    yaxis: { title: { text: "latitude (°N)" }, zeroline: false, scaleanchor: "x",
             scaleratio: 1 / Math.max(Math.cos((mid * Math.PI) / 180), 0.2) },
    legend: { orientation: "h", y: -0.22 },
  }, PLOT_CONFIG);
}

// ---- comparison and borders ------------------------------------------------------------

async function drawComparison(a, b) {
  const diff = await api(`/api/compare?a=${a}&b=${b}`);
  const body = $("compare-table").querySelector("tbody");
  body.replaceChildren();
  for (const row of diff.crossings.slice(0, 40)) {
    const tr = document.createElement("tr");
    cell(tr, row.crossing);
    cell(tr, fmt(row.tonnes_a / 1e6));
    cell(tr, fmt(row.tonnes_b / 1e6));
    cell(tr, fmt(row.tonnes_delta / 1e6));
    cell(tr, fmt(row.bcm_delta));
    body.appendChild(tr);
  }
  const parts = [`${diff.a} → ${diff.b}: ${diff.crossings.length} crossings change`];
  const total = diff.costs.total_generalized_usd;
  if (total) parts.push(`total generalized cost ${fmt(total.delta / 1e6, 1)} M USD/yr`);
  for (const [port, v] of Object.entries(diff.route_shares)) {
    parts.push(`China–Europe via ${port} ${fmt(v.a * 100, 1)}% → ${fmt(v.b * 100, 1)}%`);
  }
  for (const [country, v] of Object.entries(diff.transit)) {
    parts.push(`transit ${country} ${fmt(v.a / 1e6)} → ${fmt(v.b / 1e6)} Mt/yr`);
  }
  $("compare-summary").textContent = parts.join(" · ");
}

async function drawBorders(runId) {
  const rows = (await api(`/api/runs/${runId}/border-table`)).filter((r) => r.tonnes > 0 || r.bcm > 0);
  const body = $("border-table").querySelector("tbody");
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement("tr");
    cell(tr, r.name);
    cell(tr, r.direction);
    cell(tr, r.mode);
    cell(tr, fmt(r.tonnes / 1e6));
    cell(tr, fmt(r.time_h, 1));
    cell(tr, fmt(r.cost_usd_per_t, 1));
    cell(tr, r.utilisation === null ? "–" : `${fmt(r.utilisation * 100, 0)}%`);
    cell(tr, fmt(r.shadow_price_h, 1));
    body.appendChild(tr);
  }
}

// ---- TCD and balance -------------------------------------------------------------------

function preferred(select, wanted) {
  if (Array.from(select.options).some((o) => o.value === wanted)) select.value = wanted;
}

async function loadChoices(runId) {
  const choices = await api(`/api/runs/${runId}/choices`);
  const firstTime = state.choices === null;
  state.choices = choices;
  const places = choices.places.map((p) => option(p.name, `${p.name} (${p.country})`));
  fill($("tcd-origin"), places);
  fill($("tcd-destination"), places.map((o) => o.cloneNode(true)));
  fill($("tcd-commodity"), choices.commodities.map((c) => option(c, c)));
  fill($("balance-country"), choices.countries.map((c) => option(c, c)));
  if (firstTime) {
    preferred($("tcd-origin"), "Tianjin");
    preferred($("tcd-destination"), "Ulaanbaatar");
    preferred($("tcd-commodity"), "container");
    preferred($("balance-country"), "MN");
    if ($("tcd-origin").value === $("tcd-destination").value && places.length > 1) {
      $("tcd-destination").selectedIndex = places.length - 1;
    }
  }
}

function staircase(profile, value) {
  const xs = [0], ys = [0];
  let km = 0, total = 0;
  for (const step of profile) {
    if (step.is_step) {
      total += step[value];
      xs.push(km); ys.push(total);
      km += step.distance_km;
    } else {
      km += step.distance_km;
      total += step[value];
    }
    xs.push(km); ys.push(total);
  }
  return { xs, ys };
}

async function drawTcd(runs) {
  const params = new URLSearchParams({
    origin: $("tcd-origin").value, destination: $("tcd-destination").value,
    commodity: $("tcd-commodity").value,
  });
  const traces = [];
  const notes = [];
  for (const [i, [label, runId]] of runs.entries()) {
    let profile;
    try {
      profile = await api(`/api/runs/${runId}/tcd?${params}`);
    } catch (err) {
      notes.push(`${label}: ${err.message}`);
      continue;
    }
    for (const [axis, value] of [["", "hours"], ["2", "usd"]]) {
      const { xs, ys } = staircase(profile, value);
      traces.push({ type: "scatter", mode: "lines+markers", x: xs, y: ys, name: label,
        legendgroup: label, showlegend: axis === "", xaxis: `x${axis}`, yaxis: `y${axis}`,
        line: { dash: i === 0 ? "solid" : "dash", color: PALETTE[i % PALETTE.length] },
        marker: { size: 4, color: PALETTE[i % PALETTE.length] } });
    }
  }
  $("tcd-note").textContent = notes.join(" · ");
  await Plotly.react("tcd-chart", traces, {
    grid: { rows: 1, columns: 2, pattern: "independent" }, height: 400,
    margin: { t: 40, l: 50, r: 10, b: 40 },
    xaxis: { title: { text: "distance (km)" } }, yaxis: { title: { text: "time (h)" } },
    xaxis2: { title: { text: "distance (km)" } }, yaxis2: { title: { text: "cost (USD/t)" } },
  }, PLOT_CONFIG);
}

async function drawBalance(runs) {
  const country = $("balance-country").value;
  const groups = new Map();
  const names = [];
  for (const [label, runId] of runs) {
    const dep = await api(`/api/runs/${runId}/dependency?country=${country}`);
    names.push(label);
    for (const s of dep.shares.filter((r) => r.measure === "partner" || r.measure === "via_neighbour")) {
      const key = `${s.measure}|${s.other}`;
      if (!groups.has(key)) groups.set(key, new Map());
      groups.get(key).set(label, (groups.get(key).get(label) || 0) + s.share_t);
    }
    const index = dep.index[0];
    if (index && label === runs[0][0]) {
      $("balance-note").textContent = `${country}, ${label}: balance index ${fmt(index.balance_index, 3)}, ` +
        `largest neighbour ${index.largest_neighbour} ${fmt(index.largest_neighbour_share * 100, 1)}%`;
    }
  }
  const traces = [];
  const others = [...new Set([...groups.keys()].map((k) => k.split("|")[1]))].sort();
  const colour = (other) => PALETTE[others.indexOf(other) % PALETTE.length];
  const shown = new Set();
  for (const [key, values] of groups) {
    const [measure, other] = key.split("|");
    const partner = measure === "partner";
    traces.push({ type: "bar", name: other, legendgroup: other, showlegend: !shown.has(other),
      marker: { color: colour(other) }, x: names, y: names.map((n) => values.get(n) || 0),
      xaxis: partner ? "x" : "x2", yaxis: partner ? "y" : "y2" });
    shown.add(other);
  }
  await Plotly.react("balance-chart", traces, {
    barmode: "stack", grid: { rows: 1, columns: 2, pattern: "independent" }, height: 400,
    margin: { t: 40, l: 50, r: 10, b: 40 },
    yaxis: { title: { text: "share by partner" }, tickformat: ".0%" },
    yaxis2: { title: { text: "share by border crossed" }, tickformat: ".0%" },
  }, PLOT_CONFIG);
}

// ---- refresh ---------------------------------------------------------------------------

function selectedRuns() {
  const a = $("run-a").value, b = $("run-b").value;
  const name = (id) => (state.runs.find((r) => r.run_id === id) || {}).scenario_name || id;
  const runs = [[`A: ${name(a)}`, a]];
  if (b && b !== a) runs.push([`B: ${name(b)}`, b]);
  return runs;
}

async function refresh() {
  const a = $("run-a").value, b = $("run-b").value;
  if (!a || !b) return;
  document.body.dataset.loading = "true";
  try {
    await Promise.all([drawMap("map-a", a), drawMap("map-b", b), drawComparison(a, b), drawBorders(a)]);
    await loadChoices(a);
    await drawTcd(selectedRuns());
    await drawBalance(selectedRuns());
    document.body.dataset.shown = `${a}:${b}`;
  } catch (err) {
    setStatus(`could not load the results: ${err.message}`, true);
  } finally {
    document.body.dataset.loading = "false";
  }
}

// ---- run form --------------------------------------------------------------------------

function variantEdits() {
  const edits = [];
  const dwell = $("dwell-crossing").value;
  if (dwell) edits.push({ op: "set_border", ids: [Number(dwell)], dwell_hours: Number($("dwell-hours").value) });
  const closed = $("close-crossing").value;
  if (closed) edits.push({ op: "close_border", ids: [Number(closed)] });
  const on = $("switch-on").value;
  if (on) {
    const [kind, id] = on.split(":");
    edits.push({ op: "switch_on", [kind === "link" ? "links" : "crossings"]: [Number(id)] });
  }
  return edits;
}

async function startRun(body, token) {
  return api("/api/runs", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

async function waitJob(job, show) {
  while (job.status === "queued" || job.status === "running") {
    if (show) show(job);
    await sleep(300);
    job = await api(`/api/jobs/${job.job_id}`);
  }
  if (show) show(job);
  if (job.status === "failed") throw new Error(`run ${job.scenario} failed: ${job.error}`);
  return job;
}

function showProgress(job) {
  $("run-progress").value = job.progress;
  const where = job.status === "queued" ? `queued (position ${job.queue_position ?? "?"})`
    : job.status === "running" ? `iteration ${job.iteration}, gap ${job.relative_gap === null ? "–" : job.relative_gap.toExponential(1)}`
    : job.cached ? "done (stored result)" : `done in ${fmt(job.seconds, 1)} s`;
  setStatus(`${job.scenario}: ${where}`);
}

async function onRun(event) {
  event.preventDefault();
  const token = $("token").value.trim();
  sessionStorage.setItem("steppe-token", token);
  const preset = $("preset").value;
  const edits = variantEdits();
  const name = $("run-name").value.trim();
  $("run-button").disabled = true;
  $("run-progress").value = 0;
  try {
    setStatus("starting…");
    const base = await waitJob(await startRun({ preset }, token), showProgress);
    let variant = base;
    if (edits.length || name) {
      const body = { preset, edits };
      if (name) body.name = name;
      variant = await waitJob(await startRun(body, token), showProgress);
    }
    await loadRuns();
    pickRuns(base.run_id, variant.run_id);
    await refresh();
    document.body.dataset.lastRun = variant.run_id;
  } catch (err) {
    setStatus(err.message, true);
  } finally {
    $("run-button").disabled = false;
  }
}

async function main() {
  $("token").value = sessionStorage.getItem("steppe-token") || "";
  for (const id of ["run-a", "run-b"]) $(id).addEventListener("change", refresh);
  for (const id of ["tcd-origin", "tcd-destination", "tcd-commodity"]) {
    $(id).addEventListener("change", () => drawTcd(selectedRuns()).catch((e) => setStatus(e.message, true)));
  }
  $("balance-country").addEventListener("change", () => drawBalance(selectedRuns()).catch((e) => setStatus(e.message, true)));
  $("preset").addEventListener("change", () => loadPreset().catch((e) => setStatus(e.message, true)));
  $("run-form").addEventListener("submit", onRun);
  try {
    await loadHealth();
    await Promise.all([loadRuns(), loadPresets()]);
    pickRuns();
    await refresh();
  } catch (err) {
    $("server-status").textContent = `error: ${err.message}`;
    $("server-status").classList.add("error");
  }
  document.body.dataset.ready = "true";
}

main();
