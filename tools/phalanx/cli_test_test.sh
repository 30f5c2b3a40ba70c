#!/usr/bin/env bash
# End to end: `phalanx test peers|beacon|validator|mev|infra|all` against a 4-node `phalanx devnet` (vc mode) on
# loopback whose node 3 is killed (--fault crash-one), so operator 3's identity is free for the peers test. Healthy
# targets pass (exit 0); a dead peer, a dead beacon node, a dead builder, a dead node and an impossible threshold
# fail with a reason (exit 1); usage errors exit 2. Thresholds on time are set loose: a busy machine must pass.
set -euo pipefail
bin="$1"
source "$(dirname "$0")/cli_lib.sh"
row() { grep -E "$1" "$dir/out" | grep -q -- "$2"; }  # a table row matching $1 has $2

port=$(python3 "$(dirname "$0")/port_base.py" 300)
dead="127.0.0.1:$((port+299))"
check "no suite: exit 2" '[ "$(rc "$bin" test)" = 2 ]'
check "unknown flag: exit 2" '[ "$(rc "$bin" test beacon --frobnicate 1)" = 2 ]'
check "bad duration: exit 2" '[ "$(rc "$bin" test beacon --timeout soon)" = 2 ] && grep -q -- "--timeout" "$dir/out"'
loose=(--timeout 5s --max-latency 10s)

"$bin" devnet --mode vc --validators 2 --slots 150 --slot-duration 1s --genesis-delay 5s --base-port "$port" \
  --fault crash-one --dir "$dir/net" > "$dir/devnet.out" 2>&1 &
devnet_pid=$!
pids_to_stop+=("$devnet_pid")
for _ in $(seq 150); do grep -q "fault crash-one: killed node 3" "$dir/devnet.out" && break; sleep 0.2; done
check "devnet up, node 3 killed" 'grep -q "fault crash-one: killed node 3" "$dir/devnet.out"'
bn="http://$(sed -n 's/.*beacon simulator on \([0-9.:]*\),.*/\1/p' "$dir/devnet.out")"
n3="$dir/net/node3"
peers="127.0.0.1:$port,127.0.0.1:$((port+1)),127.0.0.1:$((port+2)),127.0.0.1:$((port+3))"
as3=(--lock-file "$n3/cluster-lock.json" --private-key-file "$n3/charon-enr-private-key" --max-rtt 10s
     --max-clock-offset 10s)

check "peers: three live peers pass" '[ "$(rc "$bin" test peers "${as3[@]}" --timeout 5s --p2p-peers "$peers")" = 0 ] &&
  [ "$(grep -c "^peers .* connect .* ok" "$dir/out")" = 3 ] && row "operator 1 .*lock hash" " ok " && row "operator 2 .*version" " ok "'
check "peers: a dead peer fails with the reason" '[ "$(rc "$bin" test peers "${as3[@]}" --timeout 3s \
  --p2p-peers "127.0.0.1:$port,127.0.0.1:$((port+1)),$dead,127.0.0.1:$((port+3))")" = 1 ] &&
  row "operator 2 .*connect" "FAIL .*cannot connect to $dead" && row "operator 0 .*connect" " ok "'
check "peers: a key that is no operator fails" '"$bin" create enr --data-dir "$dir/stranger" >/dev/null 2>&1;
  [ "$(rc "$bin" test peers --lock-file "$n3/cluster-lock.json" --private-key-file "$dir/stranger/charon-enr-private-key")" = 1 ] &&
  grep -q "not one of the lock" "$dir/out"'

check "beacon: the simulator passes" '[ "$(rc "$bin" test beacon --beacon-node-endpoints "$bn" "${loose[@]}" --min-beacon-peers 1)" = 0 ] &&
  row "synced" " ok " && row "latency attester duties" " ok " && row "peers" "64 peers"'
check "beacon: a dead BN fails, the live one passes" '[ "$(rc "$bin" test beacon --beacon-node-endpoints "$bn,http://$dead" "${loose[@]}" --min-beacon-peers 1)" = 1 ] &&
  row "$dead .*reachable" "FAIL .*connect" && row "${bn#http://} .*reachable" " ok "'
check "beacon: too few peers fails" '[ "$(rc "$bin" test beacon --beacon-node-endpoints "$bn" "${loose[@]}" --min-beacon-peers 1000)" = 1 ] &&
  row "peers" "FAIL .*fewer than 1000"'

mon="127.0.0.1:$((port+200))"
for _ in $(seq 50); do "$bin" test validator --monitoring-address "$mon" >/dev/null 2>&1 && break; sleep 0.2; done
check "validator: the VC talks to node 0" '[ "$(rc "$bin" test validator --monitoring-address "$mon" --timeout 5s)" = 0 ] &&
  row "vc connection" " ok .*requests"'
check "validator: no node there fails" '[ "$(rc "$bin" test validator --monitoring-address "$dead")" = 1 ] && row "node" "FAIL .*phalanx run"'
check "mev: nothing configured is skipped" '[ "$(rc "$bin" test mev)" = 0 ] && row "builder" "skip"'
check "mev: a dead builder fails" '[ "$(rc "$bin" test mev --builder-endpoints "http://$dead" --timeout 2s)" = 1 ] && row "reachable" "FAIL"'

infra=(--data-dir "$dir/infra" --min-disk-mbps 0 --disk-test-mib 4 --min-memory-gib 0 --min-cpus 1)
check "infra: loose thresholds pass" '[ "$(rc "$bin" test infra "${infra[@]}" --min-free-gib 0)" = 0 ] && row "disk write" "MB/s" && row "cpus" " ok "'
check "infra: an impossible free-space floor fails" '[ "$(rc "$bin" test infra "${infra[@]}" --min-free-gib 1000000000)" = 1 ] &&
  row "free space" "FAIL .*below"'
check "all: every suite, JSON report" '[ "$(rc "$bin" test all "${as3[@]}" "${loose[@]}" --p2p-peers "$peers" --beacon-node-endpoints "$bn" \
  --min-beacon-peers 1 --monitoring-address "$mon" "${infra[@]}" --min-free-gib 0 --output-json "$dir/report.json")" = 0 ] &&
  python3 -S -c "
import json,sys; r=json.load(open(sys.argv[1]))
suites={c[\"suite\"] for c in r[\"checks\"]}
sys.exit(0 if r[\"ok\"] and suites=={\"peers\",\"beacon\",\"validator\",\"mev\",\"infra\"} else 1)" "$dir/report.json"'

kill "$devnet_pid"; wait "$devnet_pid" || true; pids_to_stop=()
finish
