#!/usr/bin/env bash
# End to end: `phalanx exit sign|list` against a 4-node embedded `phalanx devnet` (3-of-4, 2 validators) on
# loopback. Validator B is signed by 2 of 4 operators, validator A by 3 of 4: the simulator must accept A's exit
# (once per node that recombined it, every one valid) and never B's; `exit list` shows the state on every node;
# each requesting node kept its requests in DATA_DIR/exits.json (0600).
set -euo pipefail
bin="$1"
dir=$(mktemp -d)
devnet_pid=""
cleanup() { if [ -n "$devnet_pid" ]; then kill "$devnet_pid" 2>/dev/null || true; wait "$devnet_pid" 2>/dev/null || true; fi; rm -rf "$dir"; }
trap cleanup EXIT
fails=0; passes=0
check() { if eval "$2"; then passes=$((passes+1)); else echo "FAIL: $1"; fails=$((fails+1)); fi; }

# Before any node runs: a clear error, exit code 1.
port=$((20000 + RANDOM % 20000))
set +e
out=$("$bin" exit list --node-api "http://127.0.0.1:$((port+250))" 2>&1); r=$?
set -e
check "unreachable node: exit 1" '[ "$r" = 1 ]'
check "unreachable node: says so" 'grep -q "cannot reach the node" <<<"$out"'
set +e
"$bin" exit sign --all --validator-public-keys 0x12 >/dev/null 2>&1; r=$?
set -e
check "--all with keys: exit 2" '[ "$r" = 2 ]'

"$bin" devnet --mode embedded --validators 2 --slots 20 --slot-duration 1s --genesis-delay 5s --base-port "$port" \
  --dir "$dir/net" --keep --report "$dir/report.json" > "$dir/devnet.out" 2>&1 &
devnet_pid=$!
api() { echo "http://127.0.0.1:$((port + 200 + $1))"; }
status() {  # node, pubkey → status
  python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))
print(next((e['status'] for e in d['data'] if e['pubkey']==sys.argv[2]), 'absent'))" "$dir/list$1.json" "$2"
}

# Wait until every node's operator API answers (the nodes start before genesis).
for i in 0 1 2 3; do
  for _ in $(seq 100); do "$bin" exit list --node-api "$(api $i)" >/dev/null 2>&1 && break; sleep 0.2; done
done
read -r A B < <(python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))
print(' '.join(v['distributed_public_key'] for v in d['distributed_validators']))" "$dir/net/node0/cluster-lock.json")
# The validators are known to a node once it resolved them at the beacon node: retry until the first sign works.
for _ in $(seq 50); do "$bin" exit sign --validator-public-keys "$B" --node-api "$(api 0)" > "$dir/sign0.out" 2>&1 && break; sleep 0.3; done
check "node 0 signs B" 'grep -q "partial exit signed" "$dir/sign0.out"'
check "node 1 signs B" '"$bin" exit sign --validator-public-key "$B" --exit-epoch 0 --node-api "$(api 1)" >/dev/null'
for i in 0 1 2; do
  check "node $i signs A" '"$bin" exit sign --validator-public-keys "$A" --exit-epoch 0 --node-api "$(api $i)" >/dev/null'
done
set +e
out=$("$bin" exit sign --validator-public-keys "0x$(printf 'ab%.0s' $(seq 48))" --node-api "$(api 3)" 2>&1); r=$?
set -e
check "unknown validator: exit 1" '[ "$r" = 1 ]'
check "unknown validator: reason" 'grep -q "not a validator of this cluster" <<<"$out"'

# The partials meet within a slot or two; poll every node's view until A is submitted everywhere (or give up).
for _ in $(seq 40); do
  done_all=1
  for i in 0 1 2 3; do
    "$bin" exit list --json --node-api "$(api $i)" > "$dir/list$i.json"
    [ "$(status $i "$A")" = submitted ] || done_all=0
  done
  [ "$done_all" = 1 ] && break
  sleep 0.5
done
"$bin" exit list --node-api "$(api 3)" > "$dir/list3.txt"
check "table lists A as submitted" 'grep "$A" "$dir/list3.txt" | grep -q submitted'
for i in 0 1 2 3; do
  check "node $i: A submitted" '[ "$(status $i "$A")" = submitted ]'
  check "node $i: B not submitted" '[ "$(status $i "$B")" != submitted ]'
done
check "node 0: B waits for peers (2 partials)" '[ "$(status 0 "$B")" = waiting_for_peers ]'
check "node 3: B requested by peers only" '[ "$(status 3 "$B")" = requested_by_peers ]'

wait "$devnet_pid" || { echo "devnet failed:"; tail -30 "$dir/devnet.out"; fails=$((fails+1)); }
devnet_pid=""
check "devnet report ok" 'python3 -c "import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))[\"ok\"] else 1)" "$dir/report.json"'
# Every node that recombined A submitted it once (AggSigDB), every submission valid; B never reached the simulator.
submitted=$(python3 -c "
import json,sys
print(sum(e['submitted'] for f in sys.argv[1:] for e in json.load(open(f))['data']))" "$dir"/list?.json)
check "simulator accepted one exit per submitting node, all of A ($submitted)" \
  'python3 -c "import json,sys; v=json.load(open(sys.argv[1]))[\"simulator\"][\"voluntary_exit\"]; sys.exit(0 if v[\"accepted\"]==int(sys.argv[2])>0 and v[\"rejected\"]==0 else 1)" "$dir/report.json" "$submitted"'
check "exits.json 0600 on node 0" '[ "$(stat -c %a "$dir/net/node0/data/exits.json")" = 600 ]'
check "node 0 kept both requests" '[ "$(grep -c pubkey "$dir/net/node0/data/exits.json")" = 2 ]'
check "node 3 requested nothing" '[ ! -e "$dir/net/node3/data/exits.json" ]'

echo "passed $passes, failed $fails"
[ "$fails" = 0 ]
