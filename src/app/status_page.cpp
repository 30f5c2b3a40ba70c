// The status page served at GET / on the monitoring address: one HTML document with inline CSS and script, no
// external assets (works offline); the script fetches /api/v1/status once per slot and renders it with
// textContent only (peer-supplied strings such as versions are never parsed as HTML).
#include "app/status.hpp"

namespace phx::app {

namespace {

constexpr std::string_view kPage = R"PHXHTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Phalanx node status</title>
<link rel="icon" href="data:,">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1em 2em; color: #1d232b; background: #f7f8fa; }
  h1 { font-size: 1.3em; margin: 0 0 .2em; } h2 { font-size: 1.1em; margin: 1.4em 0 .4em; }
  table { border-collapse: collapse; background: #fff; margin-bottom: .5em; }
  th, td { border: 1px solid #d5d9e0; padding: .25em .6em; text-align: left; vertical-align: top; }
  th { background: #eef1f5; font-weight: 600; }
  .ok { color: #1a7f37; } .warn { color: #9a6700; } .bad { color: #cf222e; font-weight: 600; }
  .chip { display: inline-block; padding: 0 .5em; border-radius: .8em; color: #fff; font-size: .85em; }
  .chip.critical { background: #cf222e; } .chip.warning { background: #bf8700; } .chip.info { background: #57606a; }
  tr.self td { background: #f0f6ff; }
  #header div { margin: .1em 0; } code { font-size: .95em; }
  #error { color: #cf222e; }
  .strip { white-space: nowrap; } .strip span { display: inline-block; width: .8em; height: 1em; margin-right: 1px; }
  .e-ok { background: #2da44e; } .e-failed { background: #cf222e; } .e-expected { background: #d4a72c; }
  .e-none { background: #d5d9e0; } .spark { font-family: monospace; letter-spacing: 1px; }
</style>
</head>
<body>
<section id="header">
  <h1>Phalanx <span id="h-version"></span> — <span id="h-cluster"></span></h1>
  <div>Network <b id="h-network"></b> · lock <code id="h-lock"></code> · operator <b id="h-operator"></b>
    · slot <b id="h-slot"></b> (epoch <b id="h-epoch"></b>) · up <span id="h-uptime"></span></div>
  <div>Readiness: <b id="h-readiness">loading…</b> <span id="h-reason"></span></div>
  <div id="error"></div>
</section>
<h2>Failing checks</h2>
<table id="checks"><thead><tr><th>severity</th><th>check</th><th>detail</th><th>since slot</th><th>what to do</th></tr></thead><tbody></tbody></table>
<h2>Operators</h2>
<table id="operators"><thead><tr><th>#</th><th>state</th><th>RTT ms</th><th>clock offset ms</th><th>version</th>
  <th>lock</th><th>readiness</th><th>BN client</th><th>VC client</th><th>missed 1 h / 24 h</th><th>late 1 h / 24 h</th>
  <th>blamed 1 h / 24 h</th></tr></thead><tbody></tbody></table>
<h2>Duties</h2>
<table id="duties"><thead><tr><th>type</th><th>success 1 h</th><th>failed 1 h</th><th>success 24 h</th><th>failed 24 h</th><th>success % 24 h</th>
  <th>last epochs (oldest → now)</th></tr></thead><tbody></tbody></table>
<h2>Last failures</h2>
<table id="failures"><thead><tr><th>slot</th><th>type</th><th>step</th><th>reason</th><th>missing shares</th><th>blamed shares</th><th></th></tr></thead><tbody></tbody></table>
<h2>Timing (seconds into the slot)</h2>
<table id="timing"><thead><tr><th>duty</th><th>stage</th><th>count</th><th>mean</th><th>median ≤</th><th>90 % ≤</th>
  <th>histogram</th></tr></thead><tbody></tbody></table>
<h2>Beacon nodes</h2>
<div id="bn-summary"></div>
<table id="beacon-nodes"><thead><tr><th>#</th><th>address</th><th>role</th><th>in use</th><th>calls</th><th>errors %</th><th>mean ms</th></tr></thead><tbody></tbody></table>
<h2>Validator client</h2>
<div id="vc-summary"></div>
<table id="vc-routes"><thead><tr><th>route</th><th>requests</th><th>errors</th></tr></thead><tbody></tbody></table>
<h2>Validators</h2>
<div><button id="v-prev" type="button">previous</button> <span id="v-page"></span> <button id="v-next" type="button">next</button></div>
<table id="validators"><thead><tr><th>index</th><th>pubkey</th><th>status</th></tr></thead><tbody></tbody></table>
<script>
"use strict";
let page = 0, pages = 1, timer = null;
const $ = (id) => document.getElementById(id);
function cell(row, value, cls) {
  const td = document.createElement("td");
  td.textContent = value === null || value === undefined ? "–" : String(value);
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}
function fill(id, items, render) {
  const body = $(id).querySelector("tbody");
  body.replaceChildren();
  for (const item of items) {
    const tr = document.createElement("tr");
    render(tr, item);
    body.appendChild(tr);
  }
}
function pct(w, key) { return w[key] === null ? "–" : w[key] + " %"; }
function render(s) {
  $("h-version").textContent = s.node.version;
  $("h-cluster").textContent = s.node.cluster_name || "(unnamed cluster)";
  $("h-network").textContent = s.node.network;
  $("h-lock").textContent = s.node.lock_hash.slice(0, 10) + "…";
  $("h-lock").title = s.node.lock_hash;
  $("h-operator").textContent = s.node.operator + " of " + s.node.operators + " (threshold " + s.node.threshold + ")";
  $("h-slot").textContent = s.chain.slot === null || s.chain.slot === undefined
      ? "before genesis" + (s.chain.genesis_in_s === undefined ? "" : " (in " + s.chain.genesis_in_s + " s)")
      : s.chain.slot;
  $("h-epoch").textContent = s.chain.epoch === null ? "–" : s.chain.epoch;
  $("h-uptime").textContent = s.node.uptime_s + " s";
  const r = s.readiness;
  $("h-readiness").textContent = r.ready ? "ready" : "not ready (" + r.state + ")";
  $("h-readiness").className = r.ready ? "ok" : "bad";
  $("h-reason").textContent = r.ready ? "" : r.reason;
  fill("checks", s.failing_checks, (tr, c) => {
    const chip = cell(tr, "");
    const span = document.createElement("span");
    span.className = "chip " + c.severity;
    span.textContent = c.severity;
    chip.appendChild(span);
    cell(tr, c.code); cell(tr, c.detail); cell(tr, c.since_slot); cell(tr, c.action);
  });
  if (s.failing_checks.length === 0) fill("checks", [0], (tr) => { cell(tr, "none", "ok").colSpan = 5; });
  fill("operators", s.operators, (tr, o) => {
    tr.className = "operator" + (o.self ? " self" : "");
    tr.dataset.index = o.index;
    tr.dataset.connected = o.connected;
    cell(tr, o.index + (o.self ? " (this node)" : ""));
    cell(tr, o.state, o.connected ? "ok" : "bad").classList.add("state");
    cell(tr, o.rtt_ms); cell(tr, o.clock_offset_ms); cell(tr, o.version);
    cell(tr, o.lock_match === null || o.lock_match === undefined ? null : (o.lock_match ? "match" : "MISMATCH"),
         o.lock_match === false ? "bad" : "");
    cell(tr, o.readiness, o.readiness && o.readiness !== "ready" ? "warn" : "");
    cell(tr, o.bn_client); cell(tr, o.vc_client);
    cell(tr, pct(o.last_1h, "missed_pct") + " / " + pct(o.last_24h, "missed_pct"));
    cell(tr, pct(o.last_1h, "late_pct") + " / " + pct(o.last_24h, "late_pct"));
    cell(tr, pct(o.last_1h, "blamed_pct") + " / " + pct(o.last_24h, "blamed_pct"));
  });
  fill("duties", s.duties, (tr, d) => {
    cell(tr, d.type); cell(tr, d.last_1h.success); cell(tr, d.last_1h.failed, d.last_1h.failed ? "bad" : "");
    cell(tr, d.last_24h.success); cell(tr, d.last_24h.failed); cell(tr, pct(d.last_24h, "success_pct"));
    const strip = cell(tr, "", "strip");
    for (const e of d.epochs || []) {
      const box = document.createElement("span");
      box.className = e.failed ? "e-failed" : e.expected_failures ? "e-expected" : e.success ? "e-ok" : "e-none";
      box.title = "epoch " + e.epoch + ": " + e.success + " ok, " + e.failed + " failed, " + e.expected_failures +
          " expected failures";
      strip.appendChild(box);
    }
  });
  if (s.duties.length === 0) fill("duties", [0], (tr) => { cell(tr, "no duty finished yet").colSpan = 7; });
  const bars = "▁▂▃▄▅▆▇█";
  fill("timing", s.timing, (tr, t) => {
    cell(tr, t.duty); cell(tr, t.stage); cell(tr, t.count); cell(tr, t.mean_s);
    cell(tr, t.p50_le_s === null ? (t.count ? "> last bucket" : null) : t.p50_le_s);
    cell(tr, t.p90_le_s === null ? (t.count ? "> last bucket" : null) : t.p90_le_s);
    const most = Math.max(1, ...t.buckets.map((b) => b.count));
    const spark = cell(tr, t.buckets.map((b) => b.count ? bars[Math.min(7, Math.floor(b.count / most * 7.999))] : " ")
        .join(""), "spark");
    spark.title = t.buckets.map((b) => "≤ " + (b.le === null ? "∞" : b.le) + " s: " + b.count).join("\n");
  });
  fill("failures", s.failures, (tr, f) => {
    cell(tr, f.slot); cell(tr, f.type); cell(tr, f.failed_step);
    cell(tr, f.reason + ": " + f.text).title = f.verdict;
    cell(tr, f.missing_shares.join(", ")); cell(tr, f.blamed_shares.join(", "));
    const a = document.createElement("a");
    a.href = f.explain;
    a.textContent = "explain";
    cell(tr, "").appendChild(a);
  });
  if (s.failures.length === 0) fill("failures", [0], (tr) => { cell(tr, "none held in memory", "ok").colSpan = 7; });
  const b = s.beacon_nodes;
  $("bn-summary").textContent = (b.reachable ? "reachable" : "UNREACHABLE") + (b.syncing ? ", syncing" : ", synced") +
      ", sync distance " + b.sync_distance + (b.head_slot === null ? "" : ", head slot " + b.head_slot) +
      (b.peers === null || b.peers === undefined ? "" : ", " + b.peers + " peers") +
      (b.version ? ", " + b.version : "");
  const vc = s.validator_client;
  $("vc-summary").textContent = vc.mode === "embedded" ? vc.summary
      : vc.summary + (vc.last_request_s_ago === null ? "" : "; last request " + vc.last_request_s_ago + " s ago") +
        "; " + vc.requests + " requests, " + vc.errors + " errors, partial signatures " + vc.partials_accepted +
        " accepted / " + vc.partials_rejected + " rejected";
  $("vc-summary").dataset.mode = vc.mode;
  $("vc-routes").hidden = vc.mode === "embedded";
  fill("vc-routes", vc.routes || [], (tr, r) => {
    cell(tr, r.route); cell(tr, r.requests); cell(tr, r.errors, r.errors ? "bad" : "");
  });
  fill("beacon-nodes", b.endpoints, (tr, e) => {
    cell(tr, e.index); cell(tr, e.address); cell(tr, e.role); cell(tr, e.in_use ? "yes" : "");
    cell(tr, e.calls); cell(tr, e.error_pct === null ? "–" : e.error_pct + " %"); cell(tr, e.mean_latency_ms);
  });
  const v = s.validators;
  pages = Math.max(1, Math.ceil(v.total / v.per_page));
  $("v-page").textContent = "page " + (v.page + 1) + " of " + pages + " (" + v.total + " validators)";
  fill("validators", v.items, (tr, x) => { cell(tr, x.index); cell(tr, x.pubkey); cell(tr, x.status); });
}
async function refresh() {
  let next = 12000;
  try {
    const res = await fetch("/api/v1/status?page=" + page, { cache: "no-store" });
    if (!res.ok) throw new Error("HTTP " + res.status);
    const s = await res.json();
    render(s);
    $("error").textContent = "";
    if (s.chain.seconds_per_slot) next = s.chain.seconds_per_slot * 1000;
  } catch (e) {
    $("error").textContent = "cannot load /api/v1/status: " + e.message;
  }
  clearTimeout(timer);
  timer = setTimeout(refresh, next);
}
$("v-prev").addEventListener("click", () => { if (page > 0) { page--; refresh(); } });
$("v-next").addEventListener("click", () => { if (page + 1 < pages) { page++; refresh(); } });
refresh();
</script>
</body>
</html>
)PHXHTML";

}  // namespace

std::string_view status_page_html() { return kPage; }

}  // namespace phx::app
