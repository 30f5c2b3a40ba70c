#!/usr/bin/env bash
# Multi-process p2p test in private network namespaces (issue 6).
# Three p2p_node_tool processes, each in its own `ip netns`, joined pairwise by veth links:
#   link 01: ns0 10.77.1.1 <-> ns1 10.77.1.2     link 02: ns0 10.77.2.1 <-> ns2 10.77.2.2
#   link 12: ns1 10.77.3.1 <-> ns2 10.77.3.2
# Steps: wait until all pairs are connected; partition 0<->1 by setting link 01 down; check that node 0 sees
# operator 1 go down while 0<->2 keeps flowing; heal; check that messages 1->0 flow again within the bound
# backoff_max (1 s) + connect timeout (1 s) + 2 s slack. Needs root and iproute2 (exit 77 = skipped otherwise).
# Every namespace, link and process is removed on every exit path (trap); namespaces left by a killed run are
# removed at the next start. Usage: netns_partition_test.sh <path-to-p2p_node_tool>
set -u
TOOL=${1:?usage: $0 p2p_node_tool}
BOUND_MS=4000
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then echo "SKIP: needs root and iproute2"; exit 77; fi

PFX=phxe
# Remove namespaces of earlier runs whose script is gone (a SIGKILLed run cannot clean up after itself).
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${PFX}[0-9]*n[0-9]$" || true); do
  pid=${ns#${PFX}}; pid=${pid%n*}
  if ! kill -0 "$pid" 2>/dev/null; then ip netns del "$ns" 2>/dev/null || true; fi
done

ID=$$
NS=("${PFX}${ID}n0" "${PFX}${ID}n1" "${PFX}${ID}n2")
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done  # deletes the veths inside too
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*"; for i in 0 1 2; do echo "--- node $i (tail)"; tail -n 15 "$WORK/node$i.log"; done; exit 1; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }

for ns in "${NS[@]}"; do ip netns add "$ns" || fail "ip netns add $ns"; ip -n "$ns" link set lo up; done
link() {  # link <name> <nsA> <ipA> <nsB> <ipB>
  local a="p${ID}${1}a" b="p${ID}${1}b"
  ip link add "$a" type veth peer name "$b" || fail "veth $1"
  ip link set "$a" netns "$2"; ip link set "$b" netns "$4"
  ip -n "$2" addr add "$3/24" dev "$a"; ip -n "$4" addr add "$5/24" dev "$b"
  ip -n "$2" link set "$a" up; ip -n "$4" link set "$b" up
}
link 01 "${NS[0]}" 10.77.1.1 "${NS[1]}" 10.77.1.2
link 02 "${NS[0]}" 10.77.2.1 "${NS[2]}" 10.77.2.2
link 12 "${NS[1]}" 10.77.3.1 "${NS[2]}" 10.77.3.2

start() {  # start <index> <peer args...>
  local i=$1; shift
  ip netns exec "${NS[$i]}" "$TOOL" --n 3 --index "$i" --listen 0.0.0.0:9000 --seed "netns$ID" \
    --interval-ms 50 --run-s 80 "$@" >"$WORK/node$i.log" 2>"$WORK/node$i.err" &
  PIDS+=($!)
}
start 0 --peer 1=10.77.1.2:9000 --peer 2=10.77.2.2:9000
start 1 --peer 0=10.77.1.1:9000 --peer 2=10.77.3.2:9000
start 2 --peer 0=10.77.2.1:9000 --peer 1=10.77.3.1:9000

# wait_for <timeout_ms> <command...>: polls every 50 ms.
wait_for() {
  local deadline=$(( $(ms) + $1 )); shift
  until "$@"; do [ "$(ms)" -gt "$deadline" ] && return 1; sleep 0.05; done
}
rx() { grep -c " RX $2 " "$WORK/node$1.log" 2>/dev/null || true; }
last_state() { grep -E " (UP|DOWN) $2\$" "$WORK/node$1.log" 2>/dev/null | tail -n 1 | awk '{print $2}'; }
all_up() {
  for i in 0 1 2; do for j in 0 1 2; do
    [ "$i" = "$j" ] && continue
    [ "$(last_state $i $j)" = UP ] || return 1
    [ "$(rx $i $j)" -gt 0 ] || return 1
  done; done
}
wait_for 15000 all_up || fail "cluster did not connect"
echo "all 3 nodes connected"

# Partition 0 <-> 1.
ip -n "${NS[0]}" link set "p${ID}01a" down
down01() { [ "$(last_state 0 1)" = DOWN ] && [ "$(last_state 1 0)" = DOWN ]; }
wait_for 8000 down01 || fail "partition not detected"
echo "partition detected by both sides"
r02=$(rx 0 2); r20=$(rx 2 0); r10=$(rx 0 1)
sleep 1
[ "$(rx 0 2)" -gt "$r02" ] && [ "$(rx 2 0)" -gt "$r20" ] || fail "0<->2 stopped during the 0<->1 partition"
[ "$(rx 0 1)" -le "$(( r10 + 2 ))" ] || fail "messages crossed the partition"
sleep 1.5  # let the dialers back off

# Heal and time the first new message 1 -> 0.
before=$(rx 0 1)
t0=$(ms)
ip -n "${NS[0]}" link set "p${ID}01a" up
flows() { [ "$(rx 0 1)" -gt "$before" ] && [ "$(rx 1 0)" -gt 0 ]; }
wait_for 15000 flows || fail "no message 1->0 after heal"
dt=$(( $(ms) - t0 ))
echo "messages 1->0 flow again ${dt} ms after heal (bound ${BOUND_MS} ms)"
[ "$dt" -le "$BOUND_MS" ] || fail "recovery took ${dt} ms > ${BOUND_MS} ms"
for i in 0 1 2; do
  if grep -q "PHX_ASSERT\|terminate" "$WORK/node$i.err"; then fail "node $i crashed"; fi
done
echo "PASS"
