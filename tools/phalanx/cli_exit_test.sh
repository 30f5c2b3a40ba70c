#!/usr/bin/env bash
# End to end: `phalanx exit sign|broadcast|list` against a 4-node embedded `phalanx devnet` (3-of-4, 3 validators)
# on loopback.
# - Validator A: operators 0 and 3 sign; node 3 is then killed (SIGKILL) and restarted; it still holds operator 0's
#   partial (DATA_DIR/exit-partials.json) without anyone signing again; operator 1 signs: the nodes submit A, node 3
#   recombines it from what it kept, and `exit broadcast` through node 3 submits that exit too.
# - Validator B: only 2 of 4 operators sign (t-1): nothing is recombined, `exit broadcast` refuses, the simulator
#   never sees B.
# - Validator C: no node involved: operators 0, 1, 2 sign standalone into partial-exits files; `exit broadcast`
#   recombines the folder into a verified full exit file, which is then submitted. Wrong partials, a file of
#   another cluster, a foreign file, t-1 files and a tampered full exit are refused with a reason.
# The simulator must accept exactly the submissions of A and C (every one valid) and never B.
set -euo pipefail
bin="$1"
source "$(dirname "$0")/cli_lib.sh"

# Before any node runs: a clear error, exit code 1.
port=$(python3 "$(dirname "$0")/port_base.py" 300)
dead="http://127.0.0.1:$((port+299))"
check "unreachable node: exit 1, says so" '[ "$(rc "$bin" exit list --node-api "$dead")" = 1 ] && grep -q "cannot reach the node" "$dir/out"'
check "--all with keys: exit 2" '[ "$(rc "$bin" exit sign --all --validator-public-keys 0x12)" = 2 ]'
check "sign, no node, no BN: says how to sign standalone" \
  '[ "$(rc "$bin" exit sign --all --node-api "$dead")" = 1 ] && grep -q "beacon-node-endpoints" "$dir/out"'
check "broadcast without BN: exit 2" '[ "$(rc "$bin" exit broadcast --all --node-api "$dead")" = 2 ]'

# The devnet runs until the test stops it (SIGTERM: it still writes its report); --slots only bounds a hung run.
"$bin" devnet --mode embedded --validators 3 --slots 150 --slot-duration 1s --genesis-delay 10s --base-port "$port" \
  --fault crash-one --dir "$dir/net" --keep --report "$dir/report.json" > "$dir/devnet.out" 2>&1 &
devnet_pid=$!
pids_to_stop+=("$devnet_pid")
api() { echo "http://127.0.0.1:$((port + 200 + $1))"; }
# snap NODES…: each node's `exit list --json` into list<i>.json, then one python run (slow to start on a busy
# machine) writes summary lines "node pubkey status ready signers"; the helpers below read them.
snap() {
  for i in "$@"; do
    "$bin" exit list --json --node-api "$(api $i)" > "$dir/list$i.json" 2>/dev/null || echo '{"data":[]}' > "$dir/list$i.json"
  done
  python3 -S -c "
import json,sys
for f in sys.argv[1:]:
  n=f[-6]
  for e in json.load(open(f))['data']:
    print(n, e['pubkey'], e['status'], str(e.get('ready')).lower(), ','.join(map(str,e.get('signers',[]))) or '-')" \
    $(for i in "$@"; do echo "$dir/list$i.json"; done) > "$dir/summary"
}
col() { awk -v n="$1" -v p="$2" -v c="$3" '$1==n && $2==p {print $c}' "$dir/summary"; }
status() { col "$1" "$2" 3; }
ready() { col "$1" "$2" 4; }
signers() { col "$1" "$2" 5; }

# Wait until every node's operator API answers (the nodes start before genesis).
for i in 0 1 2 3; do
  for _ in $(seq 100); do "$bin" exit list --node-api "$(api $i)" >/dev/null 2>&1 && break; sleep 0.2; done
done
for _ in $(seq 50); do grep -q "beacon simulator on" "$dir/devnet.out" && break; sleep 0.1; done
bn="http://$(sed -n 's/.*beacon simulator on \([0-9.:]*\),.*/\1/p' "$dir/devnet.out")"
read -r A B C < <(python3 -S -c "
import json,sys; d=json.load(open(sys.argv[1]))
print(' '.join(v['distributed_public_key'] for v in d['distributed_validators']))" "$dir/net/node0/cluster-lock.json")
# Node 3's command line, to start it again after the crash.
node3_cmd=$(python3 -S -c "
import os,shlex,sys
for p in os.listdir('/proc'):
  if not p.isdigit(): continue
  try: a=open('/proc/%s/cmdline'%p,'rb').read().split(b'\0')[:-1]
  except OSError: continue
  a=[x.decode() for x in a]
  if len(a)>1 and a[1]=='run' and sys.argv[1] in a: print(p, shlex.join(a)); break" "$dir/net/node3/data")
node3_old=${node3_cmd%% *}; node3_cmd=${node3_cmd#* }

# A: operators 0 and 3 sign (the validators are known once the node resolved them at the BN: retry until then).
for _ in $(seq 50); do "$bin" exit sign --validator-public-keys "$A" --exit-epoch 0 --node-api "$(api 3)" > "$dir/sign3.out" 2>&1 && break; sleep 0.2; done
check "node 3 signs A" 'grep -q "partial exit signed" "$dir/sign3.out"'
for _ in $(seq 50); do "$bin" exit sign --validator-public-keys "$A" --exit-epoch 0 --node-api "$(api 0)" > "$dir/sign0.out" 2>&1 && break; sleep 0.2; done
check "node 0 signs A" 'grep -q "partial exit signed" "$dir/sign0.out"'
# Node 3 has received operator 0's partial; then it crashes and comes back.
for _ in $(seq 50); do snap 3; [ "$(signers 3 "$A")" = "1,4" ] && break; sleep 0.1; done
check "node 3 verified and kept shares 1 and 4 of A" '[ "$(signers 3 "$A")" = "1,4" ]'
kill -9 "$node3_old" 2>/dev/null || true  # unless the devnet's crash-one (slot 2) came first
for _ in $(seq 50); do kill -0 "$node3_old" 2>/dev/null || break; [ "$(cut -d" " -f3 /proc/$node3_old/stat 2>/dev/null)" = Z ] && break; sleep 0.1; done
eval "exec $node3_cmd" > "$dir/node3-restart.log" 2>&1 &  # exec: $! is the node itself, not a subshell (which SIGTERM would kill, orphaning the node)
node3_pid=$!
pids_to_stop+=("$node3_pid")
for _ in $(seq 100); do "$bin" exit list --node-api "$(api 3)" >/dev/null 2>&1 && break; sleep 0.2; done
snap 3
check "restarted node 3 still holds operator 0's partial of A" '[ "$(signers 3 "$A")" = "1,4" ]'
check "restarted node 3 says it kept partials" 'grep -q "kept from before the restart" "$dir/node3-restart.log"'
check "A not ready with 2 of 3" '[ "$(ready 3 "$A")" = false ]'
check "node 1 signs A" '"$bin" exit sign --validator-public-keys "$A" --exit-epoch 0 --node-api "$(api 1)" >/dev/null'
# B: operators 0 and 1 only (t-1).
check "node 0 signs B" '"$bin" exit sign --validator-public-keys "$B" --exit-epoch 0 --node-api "$(api 0)" >/dev/null'
check "node 1 signs B" '"$bin" exit sign --validator-public-key "$B" --exit-epoch 0 --node-api "$(api 1)" >/dev/null'
check "unknown validator: exit 1 with the reason" '[ "$(rc "$bin" exit sign --validator-public-keys "0x$(printf "ab%.0s" $(seq 48))" --node-api "$(api 2)")" = 1 ] && grep -q "not a validator of this cluster" "$dir/out"'

# A is recombined everywhere: submitted by the nodes whose workflow held t partials, ready on node 3.
for _ in $(seq 60); do
  snap 0 1 2 3
  done_all=1
  for i in 0 1 2; do [ "$(status $i "$A")" = submitted ] || done_all=0; done
  [ "$(ready 3 "$A")" = true ] || done_all=0
  [ "$done_all" = 1 ] && break
  sleep 0.3
done
for i in 0 1 2; do check "node $i: A submitted" '[ "$(status $i "$A")" = submitted ]'; done
check "node 3: A recombined from kept and new partials" '[ "$(ready 3 "$A")" = true ]'
check "node 3: A signed by shares 1, 2, 4" '[ "$(signers 3 "$A")" = "1,2,4" ]'
check "broadcast A through node 3" '[ "$(rc "$bin" exit broadcast --validator-public-keys "$A" --node-api "$(api 3)" --beacon-node-endpoints "$bn")" = 0 ] && grep -q "submitted to the beacon node" "$dir/out"'
for i in 0 1 2 3; do check "node $i: B not ready" '[ "$(ready $i "$B")" = false ] && [ "$(status $i "$B")" != submitted ]'; done
check "node 0: B waits for peers (2 partials)" '[ "$(status 0 "$B")" = waiting_for_peers ]'
check "node 2: B requested by peers only" '[ "$(status 2 "$B")" = requested_by_peers ]'
check "broadcast B (t-1) refused" '[ "$(rc "$bin" exit broadcast --validator-public-keys "$B" --node-api "$(api 0)" --beacon-node-endpoints "$bn")" = 1 ] && grep -q "no full exit of $B: epoch 0: 2 of 3 verified partials" "$dir/out"'
check "list shows signers and readiness" '"$bin" exit list --node-api "$(api 3)" > "$dir/list3.txt" && grep "$A" "$dir/list3.txt" | grep -q "1,2,4 .* yes"'
check "list asks the BN: A exiting on chain" '"$bin" exit list --node-api "$(api 0)" --beacon-node-endpoints "$bn" > "$dir/list0.txt" && grep "$A" "$dir/list0.txt" | grep -q "active_exiting (exit epoch"'

# C standalone: no node (a dead --node-api), each operator's keystore, a partial-exits file per operator.
mkdir -p "$dir/parts" "$dir/bad"
for i in 0 1 2; do
  n="$dir/net/node$i"
  check "operator $i signs C standalone" '"$bin" exit sign --validator-public-keys "$C" --exit-epoch 0 --node-api "$dead" \
    --beacon-node-endpoints "$bn" --lock-file "$n/cluster-lock.json" --private-key-file "$n/charon-enr-private-key" \
    --validator-keys-dir "$n/validator_keys" --publish-to-file "$dir/parts/op$i.json" > "$dir/out" 2>&1 && grep -q "signing standalone" "$dir/out"'
done
check "partial-exits file 0600" '[ "$(stat -c %a "$dir/parts/op0.json")" = 600 ]'
lock="$dir/net/node0/cluster-lock.json"
bcast() { rc "$bin" exit broadcast --beacon-node-endpoints "$bn" --lock-file "$lock" "$@"; }
# Bad inputs, each refused before anything reaches the BN.
python3 -S - "$dir" <<'EOF' || true
import json,sys
d=sys.argv[1]
a=json.load(open(d+'/parts/op0.json')); b=json.load(open(d+'/parts/op1.json'))
a['partials'][0]['signature']=b['partials'][0]['signature']  # operator 1's signature as operator 0's
json.dump(a,open(d+'/bad/swapped.json','w'))
a=json.load(open(d+'/parts/op0.json')); a['lock_hash']='0x'+'00'*32
json.dump(a,open(d+'/bad/other-lock.json','w'))
open(d+'/bad/notes.json','w').write('{"hello": "world"}')
EOF
check "swapped partial refused" '[ "$(bcast --exit-from-file "$dir/bad/swapped.json" --exit-from-file "$dir/parts/op1.json" --exit-from-file "$dir/parts/op2.json")" = 1 ] && grep -q "share 1 .*does not verify against the lock" "$dir/out"'
check "other cluster refused" '[ "$(bcast --exit-from-file "$dir/bad/other-lock.json")" = 1 ] && grep -q "another cluster" "$dir/out"'
check "foreign file refused" '[ "$(bcast --exit-from-file "$dir/bad/notes.json")" = 1 ] && grep -q "neither a signed exit" "$dir/out"'
check "t-1 files: no exit" '[ "$(bcast --validator-public-keys "$C" --exit-from-file "$dir/parts/op0.json" --exit-from-file "$dir/parts/op2.json")" = 1 ] && grep -q "2 of 3 agreeing partials (shares 1,3)" "$dir/out"'
check "empty folder refused" '[ "$(bcast --exit-from-dir "$dir/none")" = 1 ]'
check "recombine the folder into a verified file" '[ "$(bcast --exit-from-dir "$dir/parts" --publish-to-file "$dir/exit-C.json")" = 0 ] && [ "$(stat -c %a "$dir/exit-C.json")" = 600 ]'
python3 -S - "$dir" <<'EOF' || true
import json,sys
d=sys.argv[1]; e=json.load(open(d+'/exit-C.json')); e['message']['epoch']='1'
json.dump(e,open(d+'/bad/tampered.json','w'))
EOF
check "tampered full exit refused" '[ "$(rc "$bin" exit broadcast --beacon-node-endpoints "$bn" --validator-public-keys "$C" --exit-from-file "$dir/bad/tampered.json")" = 1 ] && grep -q "does not verify" "$dir/out"'
check "submit the full exit file" '[ "$(rc "$bin" exit broadcast --beacon-node-endpoints "$bn" --validator-public-keys "$C" --exit-from-file "$dir/exit-C.json")" = 0 ]'

# The final state of every node, then stop everything. (The devnet's own verdict is not judged here: a node
# killed mid-slot makes duties of that slot expire; devnet_test covers crash-one.)
snap 0 1 2 3
kill "$node3_pid" 2>/dev/null || true; wait "$node3_pid" 2>/dev/null || true
kill "$devnet_pid"; wait "$devnet_pid" || true; pids_to_stop=()
check "devnet wrote its report" '[ -s "$dir/report.json" ]'
# Every node that recombined A in its workflow submitted it once, plus the two broadcasts (A via node 3, C); every
# submission valid, B never.
submitted=$(python3 -S -c "
import json,sys
print(sum(e['submitted'] for f in sys.argv[1:] for e in json.load(open(f))['data']) + 2)" "$dir"/list?.json)
check "simulator accepted every submission of A and C, nothing else ($submitted)" \
  'python3 -S -c "import json,sys; v=json.load(open(sys.argv[1]))[\"simulator\"][\"voluntary_exit\"]; sys.exit(0 if v[\"accepted\"]==int(sys.argv[2]) and v[\"rejected\"]==0 else 1)" "$dir/report.json" "$submitted"'
check "exits.json 0600 on node 0" '[ "$(stat -c %a "$dir/net/node0/data/exits.json")" = 600 ]'
check "exit-partials.json 0600 on node 2" '[ "$(stat -c %a "$dir/net/node2/data/exit-partials.json")" = 600 ]'
check "node 0 kept both requests" '[ "$(grep -c pubkey "$dir/net/node0/data/exits.json")" = 2 ]'
check "node 2 requested nothing" '[ ! -e "$dir/net/node2/data/exits.json" ]'

finish
