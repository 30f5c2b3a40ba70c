#!/usr/bin/env python3
"""Writes the Grafana dashboards of deploy/grafana/ (overview, cluster members, duties, consensus, beacon nodes)
from the panel lists below, so that their layout, variables and datasource stay the same across dashboards.
Run it after editing: `python3 deploy/grafana/generate.py`. tools/phalanx/cli_status_test.sh checks that every
metric the dashboards use is exported by a running node."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DS = {"type": "prometheus", "uid": "${datasource}"}
RUNBOOK = "docs/runbook.md"


def panel(title, kind, exprs, desc="", unit=None, w=12, h=8, mappings=None, legend="{{instance}}"):
    targets = []
    for i, e in enumerate(exprs):
        expr, fmt = (e if isinstance(e, tuple) else (e, legend))
        targets.append({"datasource": DS, "expr": expr, "legendFormat": fmt, "refId": chr(ord("A") + i)})
    p = {"type": kind, "title": title, "description": desc, "datasource": DS, "targets": targets,
         "gridPos": {"w": w, "h": h}, "fieldConfig": {"defaults": {}, "overrides": []}, "options": {}}
    if unit:
        p["fieldConfig"]["defaults"]["unit"] = unit
    if mappings:
        p["fieldConfig"]["defaults"]["mappings"] = mappings
    if kind == "table":
        for t in targets:
            t["format"] = "table"
            t["instant"] = True
    return p


def row(title):
    return {"type": "row", "title": title, "collapsed": False, "gridPos": {"w": 24, "h": 1}, "panels": []}


READINESS = [{"type": "value", "options": {
    "0": {"text": "starting"}, "1": {"text": "ready", "color": "green"}, "2": {"text": "BN down", "color": "red"},
    "3": {"text": "BN syncing", "color": "orange"}, "4": {"text": "BN far behind", "color": "orange"},
    "5": {"text": "BN no peers", "color": "red"}, "6": {"text": "no quorum", "color": "red"},
    "7": {"text": "VC silent", "color": "red"}, "8": {"text": "waiting for genesis", "color": "blue"}}}]
SEL = '{instance=~"$instance"}'
SELX = 'instance=~"$instance"'


def dashboard(uid, title, panels):
    # Lay panels out left to right, rows full width.
    x = y = 0
    line_h = 0
    for p in panels:
        g = p["gridPos"]
        if p["type"] == "row" or x + g["w"] > 24:
            x = 0
            y += line_h
            line_h = 0
        g["x"], g["y"] = x, y
        x += g["w"]
        line_h = max(line_h, g["h"])
        if p["type"] == "row":
            x, y, line_h = 0, y + 1, 0
    for i, p in enumerate(panels):
        p["id"] = i + 1
    return {
        "uid": uid, "title": title, "tags": ["phalanx"], "schemaVersion": 39, "version": 1, "editable": True,
        "time": {"from": "now-6h", "to": "now"}, "refresh": "30s",
        "links": [{"title": "Runbook", "type": "link", "url": RUNBOOK, "targetBlank": True},
                  {"title": "Phalanx dashboards", "type": "dashboards", "tags": ["phalanx"], "asDropdown": True}],
        "templating": {"list": [
            {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"},
            {"name": "instance", "type": "query", "datasource": DS, "label": "node", "multi": True,
             "includeAll": True, "refresh": 2, "query": {"query": "label_values(phalanx_build_info, instance)",
                                                           "refId": "instance"}}]},
        "annotations": {"list": []},
        "panels": panels,
    }


DASHBOARDS = {
    "phalanx-overview": ("Phalanx / Overview", [
        row("Readiness and health"),
        panel("Readiness", "state-timeline", [f"phalanx_readiness{SEL}"], "1 = ready; see " + RUNBOOK, mappings=READINESS,
              w=24, h=6),
        panel("Failing health checks", "table", [(f"phalanx_health_check_failing{SEL} == 1", "{{check}}")],
              "Each check's runbook: " + RUNBOOK + "#<check>", w=12),
        panel("Connected operators vs threshold", "timeseries",
              [(f"sum by (instance) (phalanx_peer_connected{SEL}) + 1", "{{instance}} connected"),
               (f"phalanx_cluster_threshold{SEL}", "{{instance}} threshold")], w=12),
        row("Duties"),
        panel("Duty success % (1 h)", "bargauge",
              [(f'100 * sum by (duty) (increase(phalanx_duties_total{{{SELX},outcome="success"}}[1h])) / '
                f'sum by (duty) (increase(phalanx_duties_total{{{SELX}}}[1h]))', "{{duty}}")], unit="percent"),
        panel("Failures by reason (1 h)", "table",
              [(f"sum by (duty, reason) (increase(phalanx_duty_failures_total{SEL}[1h])) > 0", "{{duty}} {{reason}}")],
              "Reason codes: docs/reasons.md"),
        row("Versions and process"),
        panel("Versions", "table", [(f"phalanx_build_info{SEL}", "{{version}}"),
                                    (f"phalanx_peer_info{SEL}", "{{peer}} {{version}}")]),
        panel("Resident memory", "timeseries", [f"phalanx_process_resident_memory_bytes{SEL}"], unit="bytes"),
        panel("Uptime", "stat", [f"time() - phalanx_start_time_seconds{SEL}"], unit="s", w=6, h=4),
        panel("Validators", "stat", [f"phalanx_cluster_validators{SEL}"], w=6, h=4),
        panel("Current slot", "stat", [f"phalanx_current_slot{SEL}"], w=6, h=4),
        panel("Operators", "stat", [f"phalanx_cluster_operators{SEL}"], w=6, h=4),
    ]),
    "phalanx-cluster": ("Phalanx / Cluster members", [
        row("Connectivity"),
        panel("Connected (1) per operator", "state-timeline", [(f"phalanx_peer_connected{SEL}", "{{instance}} → {{peer}}")],
              w=24),
        panel("Ping RTT p90", "timeseries",
              [(f"histogram_quantile(0.9, sum by (instance, peer, le) (rate(phalanx_peer_rtt_seconds_bucket{SEL}[5m])))",
                "{{instance}} → {{peer}}")], unit="s"),
        panel("Clock offset", "timeseries", [(f"phalanx_peer_clock_offset_seconds{SEL}", "{{instance}} → {{peer}}")],
              "> 200 ms: " + RUNBOOK + "#peer_clock_skew", unit="s"),
        panel("Bytes per second", "timeseries",
              [(f"sum by (instance, peer, direction) (rate(phalanx_peer_bytes_total{SEL}[5m]))",
                "{{instance}} {{direction}} {{peer}}")], unit="Bps"),
        panel("Dial failures, drops, disconnects (1 h)", "timeseries",
              [(f"increase(phalanx_peer_dial_failures_total{SEL}[1h])", "dial failures {{peer}}"),
               (f"increase(phalanx_peer_drops_total{SEL}[1h])", "drops {{peer}}"),
               (f"increase(phalanx_peer_disconnects_total{SEL}[1h])", "disconnects {{peer}}")]),
        row("Participation"),
        panel("Missed share per operator (1 h)", "bargauge",
              [(f'sum by (peer) (increase(phalanx_peer_participation_total{{{SELX},outcome="missing"}}[1h])) / '
                f'sum by (peer) (increase(phalanx_peer_participation_total{{{SELX},outcome=~"ok|missing|blamed"}}[1h]))',
                "operator {{peer}}")], "> 10 %: " + RUNBOOK + "#peer_absent", unit="percentunit"),
        panel("Late and blamed partials (1 h)", "timeseries",
              [(f'sum by (peer, outcome) (increase(phalanx_peer_participation_total{{{SELX},outcome=~"late|blamed"}}[1h]))',
                "{{outcome}} {{peer}}")]),
        panel("Operators' own readiness", "state-timeline", [(f"phalanx_peer_readiness{SEL}", "operator {{peer}}")],
              mappings=READINESS, w=24),
    ]),
    "phalanx-duties": ("Phalanx / Duties", [
        row("Outcomes"),
        panel("Duties per minute by outcome", "timeseries",
              [(f"sum by (duty, outcome) (rate(phalanx_duties_total{SEL}[5m])) * 60", "{{duty}} {{outcome}}")]),
        panel("Failures by reason", "timeseries",
              [(f"sum by (duty, reason) (increase(phalanx_duty_failures_total{SEL}[15m]))", "{{duty}} {{reason}}")],
              "Reason codes: docs/reasons.md"),
        panel("Last successful slot", "table", [(f"phalanx_last_success_slot{SEL}", "{{duty}}")]),
        row("Time in slot"),
        panel("Attester: time in slot per stage (p90)", "timeseries",
              [(f'histogram_quantile(0.9, sum by (stage, le) (rate(phalanx_duty_mark_seconds_bucket{{{SELX},duty="attester"}}[15m])))',
                "{{stage}}")], "Majority should be broadcast before 1/3 + a few seconds", unit="s"),
        panel("Proposer: time in slot per stage (p90)", "timeseries",
              [(f'histogram_quantile(0.9, sum by (stage, le) (rate(phalanx_duty_mark_seconds_bucket{{{SELX},duty=~"proposer|builder_proposer"}}[1h])))',
                "{{stage}}")], unit="s"),
        panel("Partials received / refused / blamed", "timeseries",
              [(f"rate(phalanx_partials_received_total{SEL}[5m])", "received"),
               (f"rate(phalanx_partials_rejected_total{SEL}[5m])", "refused"),
               (f"rate(phalanx_partials_blamed_total{SEL}[5m])", "blamed")]),
    ]),
    "phalanx-consensus": ("Phalanx / Consensus", [
        row("QBFT"),
        panel("Decisions by round (1 h)", "timeseries",
              [(f"sum by (duty, round) (increase(phalanx_consensus_rounds_total{SEL}[1h]))", "{{duty}} round {{round}}")],
              "Round ≥ 2 above 5 %: " + RUNBOOK + "#consensus_rounds_high"),
        panel("Decision duration p90", "timeseries",
              [f"histogram_quantile(0.9, sum by (instance, le) (rate(phalanx_qbft_decision_duration_seconds_bucket{SEL}[5m])))"],
              unit="s"),
        panel("Deciding round p90", "timeseries",
              [f"histogram_quantile(0.9, sum by (instance, le) (rate(phalanx_qbft_decision_rounds_bucket{SEL}[15m])))"]),
        panel("Equivocations proven", "timeseries", [f"increase(phalanx_consensus_equivocations_total{SEL}[1h])"]),
        panel("Decided duties per minute", "timeseries", [f"rate(phalanx_consensus_decided_total{SEL}[5m]) * 60"]),
    ]),
    "phalanx-beacon-nodes": ("Phalanx / Beacon nodes", [
        row("Calls"),
        panel("Call latency p90 per BN", "timeseries",
              [(f"histogram_quantile(0.9, sum by (instance, bn, le) (rate(phalanx_bn_request_duration_seconds_bucket{SEL}[5m])))",
                "{{instance}} bn {{bn}}")], "> 1 s: " + RUNBOOK + "#bn_latency_high", unit="s"),
        panel("Errors per minute per BN", "timeseries",
              [(f'sum by (instance, bn) (rate(phalanx_bn_request_duration_seconds_count{{{SELX},outcome="error"}}[5m])) * 60',
                "{{instance}} bn {{bn}}")]),
        panel("Fallback in use", "state-timeline", [f"phalanx_bn_fallback_in_use{SEL}"],
              RUNBOOK + "#bn_fallback_in_use"),
        panel("Failed calls (workflow)", "timeseries", [f"increase(phalanx_beacon_errors_total{SEL}[15m])"]),
        row("Chain"),
        panel("Head arrival in slot p90", "timeseries",
              [f"histogram_quantile(0.9, sum by (instance, le) (rate(phalanx_bn_head_delay_seconds_bucket{SEL}[15m])))"],
              "After 1/3 of the slot is late: " + RUNBOOK + "#bn_head_late", unit="s"),
        panel("Sync distance", "timeseries", [f"phalanx_bn_sync_distance{SEL}"]),
        panel("BN reachable", "state-timeline", [f"phalanx_bn_up{SEL}"]),
        panel("Head and reorg events per minute", "timeseries",
              [(f"rate(phalanx_bn_head_events_total{SEL}[5m]) * 60", "heads {{instance}}"),
               (f"rate(phalanx_bn_reorg_events_total{SEL}[5m]) * 60", "reorgs {{instance}}")]),
    ]),
}

for uid, (title, panels) in DASHBOARDS.items():
    with open(os.path.join(HERE, uid + ".json"), "w", encoding="utf-8") as f:
        json.dump(dashboard(uid, title, panels), f, indent=1, ensure_ascii=False)
        f.write("\n")
