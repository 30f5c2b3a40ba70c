#!/usr/bin/env bash
# End to end: `phalanx explain` and GET /api/v1/duties against a live 4-node embedded `phalanx devnet` whose last
# node is killed at slot 2 (--fault crash-one). On node 0, a proposal after the crash succeeds (3 of 4) and its
# explanation shows the crashed operator's partial as missing; the human output says so too. Bad arguments exit
# 2 with the parser's message, an unreachable node exits 1.
set -euo pipefail
bin="$1"
dir=$(mktemp -d)
devnet_pid=""
cleanup() { if [ -n "$devnet_pid" ]; then kill "$devnet_pid" 2>/dev/null || true; wait "$devnet_pid" 2>/dev/null || true; fi; rm -rf "$dir"; }
trap cleanup EXIT
fails=0; passes=0
check() { if eval "$2"; then passes=$((passes+1)); else echo "FAIL: $1"; fails=$((fails+1)); fi; }

port=$(python3 "$(dirname "$0")/port_base.py" 300)
mon="127.0.0.1:$((port + 200))"  # node 0's monitoring address
set +e
out=$("$bin" explain 3 proposer --monitoring-address "$mon" 2>&1); r=$?
set -e
check "unreachable node: exit 1" '[ "$r" = 1 ]'
check "unreachable node: says so" 'grep -q "cannot reach the node" <<<"$out"'
set +e
out=$("$bin" explain 3 attestor 2>&1); r=$?
set -e
check "unknown type: exit 2" '[ "$r" = 2 ]'
check "unknown type: lists the types" 'grep -q "type: unknown duty type \"attestor\" (known: proposer, attester" <<<"$out"'
set +e
"$bin" explain x proposer >/dev/null 2>&1; r=$?
set -e
check "bad slot: exit 2" '[ "$r" = 2 ]'

"$bin" devnet --mode embedded --fault crash-one --validators 2 --slots 16 --slot-duration 2s --genesis-delay 8s \
  --base-port "$port" --dir "$dir/net" --report "$dir/report.json" > "$dir/devnet.out" 2>&1 &
devnet_pid=$!

# Wait for a finished proposal after the crash (slot 2) on node 0 (up to a minute on a busy machine).
slot=""
for _ in $(seq 300); do
  kill -0 "$devnet_pid" 2>/dev/null || { echo "devnet ended early:"; tail -20 "$dir/devnet.out"; break; }
  if curl -sf "http://$mon/api/v1/duties?type=proposer&from_slot=4" > "$dir/list.json" 2>/dev/null; then
    slot=$(python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))['data']
print(d[0]['slot'] if d else '')" "$dir/list.json")
    [ -n "$slot" ] && break
  fi
  sleep 0.2
done
check "node 0 lists a proposal after the crash" '[ -n "$slot" ]'
# While the node runs: a duty it does not hold, a bad filter.
set +e
out=$("$bin" explain 100000 proposer --monitoring-address "$mon" 2>&1); r=$?
set -e
check "duty not held: exit 1" '[ "$r" = 1 ]'
check "duty not held: says why" 'grep -q "no finished duty proposer/100000" <<<"$out"'
code=$(curl -s -o "$dir/bad.json" -w "%{http_code}" "http://$mon/api/v1/duties?outcome=ok" || true)
check "bad filter: HTTP 400" '[ "$code" = 400 ] && grep -q "outcome: expected success, failed or expected" "$dir/bad.json"'
curl -s "http://$mon/metrics" > "$dir/metrics.txt" || true
check "failure metric exported" 'grep -q "^# TYPE phalanx_duty_failures_total counter" "$dir/metrics.txt"'
check "failure metric labels are codes" '! grep "^phalanx_duty_failures_total" "$dir/metrics.txt" | grep -Ev "^phalanx_duty_failures_total\{duty=\"[a-z_]+\",reason=\"[a-z_]+\"\} [0-9]+$"'

if [ -n "$slot" ]; then
  "$bin" explain "$slot" proposer --monitoring-address "$mon" --output-json > "$dir/explain.json"
  "$bin" explain "$slot" proposer --monitoring-address "$mon" > "$dir/explain.txt"
  field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$dir/explain.json" "$1"; }
  check "proposal succeeded with 3 of 4" '[ "$(field "d[\"outcome\"]")" = success ]'
  check "crashed operator 3: partial missing" '[ "$(field "d[\"operators\"][3][\"partial\"]")" = missing ]'
  check "crashed operator 3: not connected" '[ "$(field "d[\"operators\"][3][\"connected\"]")" = False ]'
  check "own partial ok" '[ "$(field "d[\"operators\"][0][\"partial\"]")" = ok ]'
  check "timeline has the decision" '[ "$(field "any(e[\"event\"]==\"decided\" for e in d[\"timeline\"])")" = True ]'
  check "consensus round known" '[ "$(field "d[\"consensus\"][\"round\"] is not None")" = True ]'
  check "human output: operator 3 missing" 'grep -Eq "^  3 +4 +missing" "$dir/explain.txt"'
  check "human output: headline" 'grep -q "^proposer/$slot: SUCCESS" "$dir/explain.txt"'
fi
# Done: stop the devnet (it stops its nodes on SIGTERM); crash-one's own report is judged elsewhere.
kill "$devnet_pid" 2>/dev/null || true
wait "$devnet_pid" 2>/dev/null || true
devnet_pid=""
check "no node left behind" '! pgrep -f -- "$dir/net/" >/dev/null'
echo "passed $passes, failed $fails"
[ "$fails" = 0 ]
