#!/usr/bin/env bash
# End to end (issue 18): the status page, /api/v1/status, /readyz, /livez, the metrics that dashboards and alert
# rules use, and the rules themselves, against a live 4-node embedded `phalanx devnet` whose last node is killed
# at slot 2 (--fault crash-one). Chromium (headless) loads GET / on node 0: every operator row is there, the
# crashed one is shown disconnected with its reason, and the page logs no console error; a screenshot goes to
# the output folder ($2). Every phalanx_* metric named in deploy/grafana/*.json and
# deploy/prometheus/phalanx.rules.yml is exported by node 0; `promtool check rules` accepts the rules. Also: before
# genesis readiness is waiting_for_genesis with the time left; the page has the BN/VC client columns, the embedded
# signer's VC panel, epoch strips and timing histograms; when the simulator's peer count is set to 0, /readyz says
# bn_no_peers.
set -euo pipefail
bin="$1"
out="${2:-$(mktemp -d)}"
src="$(cd "$(dirname "$0")/../.." && pwd)"
mkdir -p "$out"
dir=$(mktemp -d)
devnet_pid=""
cleanup() { if [ -n "$devnet_pid" ]; then kill "$devnet_pid" 2>/dev/null || true; wait "$devnet_pid" 2>/dev/null || true; fi; rm -rf "$dir"; }
trap cleanup EXIT
fails=0; passes=0
check() { if eval "$2"; then passes=$((passes+1)); else echo "FAIL: $1"; fails=$((fails+1)); fi; }

chromium=$(command -v chromium || command -v chromium-browser || true)
promtool=$(command -v promtool || true)
check "chromium installed (scripts/install-deps.sh)" '[ -n "$chromium" ]'
check "promtool installed (scripts/install-deps.sh)" '[ -n "$promtool" ]'
if [ -n "$promtool" ]; then
  check "promtool accepts the alert rules" '"$promtool" check rules "$src/deploy/prometheus/phalanx.rules.yml" > "$out/promtool.txt" 2>&1'
fi

port=$(python3 "$(dirname "$0")/port_base.py" 300)
mon="127.0.0.1:$((port + 200))"  # node 0's monitoring address
# More slots than the checks need: the devnet must outlive both Chromium runs and the BN-peers phase on a busy
# machine; it is stopped below.
"$bin" devnet --mode embedded --fault crash-one --validators 2 --slots 150 --slot-duration 2s --genesis-delay 12s \
  --base-port "$port" --dir "$dir/net" --report "$dir/report.json" > "$out/devnet.out" 2>&1 &
devnet_pid=$!

# Wait until node 0 shows operator 3 disconnected after the crash (slot 2), a few slots in, and is ready with 3 of 4
# (its peers' readiness arrives with their peer info, every 10 s), up to 60 s.
# Before genesis (12 s after the devnet starts) node 0 says how long it waits; the first such status is kept.
ready=""
for _ in $(seq 300); do
  kill -0 "$devnet_pid" 2>/dev/null || { echo "devnet ended early:"; tail -20 "$out/devnet.out"; break; }
  if curl -sf "http://$mon/api/v1/status" > "$out/status.json" 2>/dev/null; then
    if [ ! -s "$out/status-pregenesis.json" ] && python3 -c "
import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s['chain'].get('slot') is None and s['readiness']['state'] != 'unknown' else 1)" "$out/status.json"; then
      cp "$out/status.json" "$out/status-pregenesis.json"
      curl -s "http://$mon/readyz" > "$out/readyz-pregenesis.txt" || true
    fi
    ready=$(python3 -c "
import json,sys; s=json.load(open(sys.argv[1]))
ok = ((s['chain'].get('slot') or 0) >= 5 and s['operators'][3]['connected'] is False and s['operators'][1]['connected']
      and s['readiness']['state'] == 'ready' and s['operators'][2]['readiness'] == 'ready')
print('yes' if ok else '')" "$out/status.json")
    [ -n "$ready" ] && break
  fi
  sleep 0.2
done
check "node 0 ready, operator 3 disconnected after the crash (last status: $out/status.json)" '[ -n "$ready" ]'
field() { python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$out/status.json" "$1"; }
check "status: 4 operators, self is 0" '[ "$(field "[o[\"index\"] for o in s[\"operators\"] if o[\"self\"]]")" = "[0]" ] && [ "$(field "len(s[\"operators\"])")" = 4 ]'
check "status: crashed operator's reason" '[ "$(field "s[\"operators\"][3][\"state\"].startswith(\"disconnected: \")")" = True ]'
check "status: peers' versions from peer info" '[ "$(field "s[\"operators\"][1][\"version\"]")" = "$(field "s[\"node\"][\"version\"]")" ]'
check "status: peers' lock match and readiness" '[ "$(field "(s[\"operators\"][2][\"lock_match\"], s[\"operators\"][2][\"readiness\"])")" = "(True, '"'"'ready'"'"')" ]'
check "status: ready with 3 of 4" '[ "$(field "s[\"readiness\"][\"state\"]")" = ready ]'
check "status: validators listed" '[ "$(field "s[\"validators\"][\"total\"]")" = 2 ]'
check "status: a beacon node" '[ "$(field "s[\"beacon_nodes\"][\"endpoints\"][0][\"role\"]")" = primary ]'
check "status: the BN's peers and version" '[ "$(field "(s[\"beacon_nodes\"][\"peers\"], s[\"beacon_nodes\"][\"version\"])")" = "(64, '"'"'Phalanx-BeaconSim/0.1'"'"')" ]'
check "status: embedded signer in the VC panel and the own row" '[ "$(field "(s[\"validator_client\"][\"mode\"], s[\"operators\"][0][\"vc_client\"])")" = "('"'"'embedded'"'"', '"'"'embedded signer'"'"')" ]'
check "status: peers' BN client from peer info" '[ "$(field "s[\"operators\"][1][\"bn_client\"]")" = Phalanx-BeaconSim/0.1 ]'
check "status: proposer epoch strip up to the current epoch" '[ "$(field "[len(d[\"epochs\"]) == min(16, s[\"chain\"][\"epoch\"] + 1) and d[\"epochs\"][-1][\"epoch\"] == s[\"chain\"][\"epoch\"] and d[\"epochs\"][-1][\"success\"] > 0 for d in s[\"duties\"] if d[\"type\"] == \"proposer\"]")" = "[True]" ]'
check "status: timing histograms" '[ "$(field "any(t[\"duty\"] == \"proposer\" and t[\"stage\"] == \"broadcast\" and t[\"count\"] > 0 for t in s[\"timing\"])")" = True ]'
if [ -s "$out/status-pregenesis.json" ]; then
  pre() { python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$out/status-pregenesis.json" "$1"; }
  check "before genesis: waiting_for_genesis with the time left" \
    '[ "$(pre "s[\"readiness\"][\"state\"]")" = waiting_for_genesis ] && pre "s[\"readiness\"][\"reason\"]" | grep -Eq "^waiting for genesis \(in [0-9]+ s\)$" && [ "$(pre "s[\"chain\"][\"genesis_in_s\"] > 0")" = True ]'
  check "before genesis: /readyz says so" 'grep -q "^waiting_for_genesis: waiting for genesis (in " "$out/readyz-pregenesis.txt"'
else
  echo "note: node 0 served no status before genesis (a slow start); the pre-genesis checks were not run"
fi
code=$(curl -s -o /dev/null -w "%{http_code}" "http://$mon/readyz" || true)
check "/readyz: 200 with a quorum" '[ "$code" = 200 ]'
code=$(curl -s -o /dev/null -w "%{http_code}" "http://$mon/livez" || true)
check "/livez: 200" '[ "$code" = 200 ]'
code=$(curl -s -o "$dir/bad.json" -w "%{http_code}" "http://$mon/api/v1/status?per_page=0" || true)
check "status: bad page size is a 400" '[ "$code" = 400 ] && grep -q "per_page: expected 1 to 500" "$dir/bad.json"'

# Metrics used by dashboards and rules are exported (families are listed even before their first sample).
curl -sf "http://$mon/metrics" > "$out/metrics.txt" || true
missing=$(python3 - "$out/metrics.txt" "$src"/deploy/grafana/*.json "$src/deploy/prometheus/phalanx.rules.yml" <<'PY'
import re, sys
exported = set(re.findall(r"^# TYPE (\S+) ", open(sys.argv[1]).read(), re.M))
missing = set()
for path in sys.argv[2:]:
    for name in re.findall(r"phalanx_[a-z0-9_]+", open(path).read()):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if name not in exported and base not in exported:
            missing.add(name)
print(" ".join(sorted(missing)))
PY
)
check "every dashboard/rule metric is exported (missing: $missing)" '[ -z "$missing" ]'
check "readiness gauge is 1" 'grep -q "^phalanx_readiness 1$" "$out/metrics.txt"'
check "per-peer metrics by operator index" 'grep -q "^phalanx_peer_connected{peer=\"3\"} 0$" "$out/metrics.txt"'

# The page in a real browser: rendered rows, the crashed operator, no console errors.
if [ -n "$chromium" ]; then
  flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --user-data-dir="$dir/chrome"
         --virtual-time-budget=4000 --enable-logging=stderr --v=0)
  timeout 40 "$chromium" "${flags[@]}" --dump-dom "http://$mon/" > "$out/status.dom.html" 2> "$out/chromium.log" || true
  timeout 40 "$chromium" "${flags[@]}" --window-size=1400,1800 --screenshot="$out/status.png" "http://$mon/" \
    >> "$out/chromium.log" 2>&1 || true
  rows=$(grep -o '<tr class="operator[^"]*" data-index="[0-9]*"' "$out/status.dom.html" | grep -o 'data-index="[0-9]*"' | tr -d 'a-z="-' | tr '\n' ' ')
  check "page: one row per operator (got: $rows)" '[ "$rows" = "0 1 2 3 " ]'
  check "page: operator 3 disconnected with its reason" \
    'grep -Eq "data-index=\"3\" data-connected=\"false\"><td>3</td><td class=\"bad state\">disconnected: " "$out/status.dom.html"'
  check "page: operator 1 connected" 'grep -q "data-index=\"1\" data-connected=\"true\"" "$out/status.dom.html"'
  check "page: header shows readiness" 'grep -Eq "<b id=\"h-readiness\" class=\"(ok\">ready|bad\">not ready \()" "$out/status.dom.html"'
  # The page logs nothing on the console: any console line (Chromium logs them as INFO:CONSOLE, an exception as
  # "Uncaught …") or a failed resource is an error.
  check "page: no console errors" '! grep -E "CONSOLE|Uncaught|Failed to load resource" "$out/chromium.log"'
  check "page: screenshot saved" '[ -s "$out/status.png" ]'
  check "page: BN and VC client columns" 'grep -q "<td>embedded signer</td>" "$out/status.dom.html" && grep -q "<td>Phalanx-BeaconSim/0.1</td>" "$out/status.dom.html"'
  check "page: VC panel says embedded signer" 'grep -Eq "<div id=\"vc-summary\" data-mode=\"embedded\">embedded signer" "$out/status.dom.html"'
  check "page: epoch strips" 'grep -Eq "<td class=\"strip\"><span class=\"e-(ok|none|failed|expected)\"" "$out/status.dom.html"'
  check "page: timing histograms" 'grep -Eq "<tr><td>proposer</td><td>broadcast</td><td>[1-9]" "$out/status.dom.html"'
  check "page: the BN's peers" 'grep -q "64 peers, Phalanx-BeaconSim/0.1" "$out/status.dom.html"'
fi

# The simulator's peer count drops to 0 (POST /sim/v1/peer_count): after the BN poll and 2 slots of hysteresis node 0
# is not ready with bn_no_peers, up to 30 s.
bn=$(field "s[\"beacon_nodes\"][\"endpoints\"][0][\"address\"]")
check "simulator takes a peer count" 'curl -sf -X POST -H "Content-Type: application/json" -d "{\"connected\":\"0\"}" "http://$bn/sim/v1/peer_count" >/dev/null'
check "simulator refuses a bad peer count" '[ "$(curl -s -o /dev/null -w "%{http_code}" -X POST -d "{\"connected\":-1}" "http://$bn/sim/v1/peer_count")" = 400 ]'
nopeers=""
for _ in $(seq 150); do
  code=$(curl -s -o "$out/readyz-nopeers.txt" -w "%{http_code}" "http://$mon/readyz" || true)
  if [ "$code" = 503 ] && grep -q "^bn_no_peers: beacon node has no peers" "$out/readyz-nopeers.txt"; then nopeers=yes; break; fi
  sleep 0.2
done
check "/readyz: 503 bn_no_peers when the BN has no peers (last: $(cat "$out/readyz-nopeers.txt" 2>/dev/null))" '[ -n "$nopeers" ]'
curl -sf "http://$mon/api/v1/status" > "$out/status-nopeers.json" || true
check "status: bn_no_peers with 0 peers" 'python3 -c "
import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s[\"readiness\"][\"state\"] == \"bn_no_peers\" and s[\"beacon_nodes\"][\"peers\"] == 0 else 1)" "$out/status-nopeers.json"'

kill "$devnet_pid" 2>/dev/null || true
wait "$devnet_pid" 2>/dev/null || true
devnet_pid=""
check "no node left behind" '! pgrep -f -- "$dir/net/" >/dev/null'
echo "passed $passes, failed $fails (output in $out)"
[ "$fails" = 0 ]
