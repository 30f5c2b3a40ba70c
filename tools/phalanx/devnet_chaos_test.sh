#!/usr/bin/env bash
# Chaos end to end: `phalanx devnet --chaos` with a fixed seed (kill -9 and restart, SIGSTOP/SIGCONT, faulty beacon
# nodes, clock skew on one node at a time of a 3-of-4 cluster). The devnet itself asserts what the protocol promises,
# derived from what the runner actually did: every duty of a slot with at most f = 1 node disrupted completes, nothing
# is rejected, no slashable pair. Here: it exits 0, its report says so, the faults really happened (each kind's count,
# the restarted nodes' data dirs carried over) and no child outlives it.
# Network faults (--chaos-net: namespaces, per-link delay 50-150 ms, jitter, 1-5 % loss, isolate, 2|2 split) join
# the run when this runs as root with `ip netns` and /dev/net/tun (the default seed is then 3, whose 40-slot schedule
# deals an isolation and a split: ChaosPlan.TheCiSeedWithNetworkFaultsDealsAnIsolationAndASplit); otherwise the run
# goes without them and says so. CHAOS_NET=0 leaves them out, CHAOS_NET=1 requires them (exit 77 when impossible).
# Usage: devnet_chaos_test.sh PHALANX [MODE] [SLOTS] [SEED] [VALIDATORS] [FAULTS]
#   fast CTest: embedded, 40 slots of 2 s, 4 validators, seed 3 (without network faults: seed 1); slow CTests: 1800
#   slots (one hour), 16 validators; with network faults 300 slots
set -euo pipefail
bin="$1"; mode="${2:-embedded}"; slots="${3:-40}"; faults="${6:-all}"
net=0
if [ "${CHAOS_NET:-auto}" != 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && ip netns list >/dev/null 2>&1 && [ -w /dev/net/tun ]; then
    net=1
  elif [ "${CHAOS_NET:-auto}" = 1 ]; then
    echo "SKIP: network faults need root, iproute2 (ip netns) and /dev/net/tun"; exit 77
  else
    echo "NOTE: network faults left out (not root, or no ip netns / /dev/net/tun): process and beacon-node faults only"
  fi
fi
# The fast run's links lose 0.2-1 % of the packets (CHAOS_NET_LOSS; the slow run and the devnet default 1-5 %):
# with one node disrupted every message among the other three is on the critical path of a 2-s slot's QBFT round,
# and the verdict allows only 1 % of the asserted duties to be missed (docs/devnet.md, Network faults).
validators="${5:-4}"
if [ "$net" = 1 ]; then seed="${4:-3}"; netflag="--chaos-net --chaos-net-loss ${CHAOS_NET_LOSS:-1%}"
else seed="${4:-1}"; netflag=; fi
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fails=0; passes=0
check() { if eval "$2"; then passes=$((passes+1)); else echo "FAIL: $1"; fails=$((fails+1)); fi; }

set +e
# Fixed ports in 10000-19200 (below the ephemeral range; see devnet_test.sh): node i's BN proxy on BASE+300+i.
"$bin" devnet --chaos $netflag --chaos-seed "$seed" --chaos-faults "$faults" --mode "$mode" --validators "$validators" --slots "$slots" --slot-duration 2s \
  --genesis-delay 8s --base-port $((10000 + RANDOM % 8800)) --report "$dir/chaos.json" --dir "$dir/run" --keep \
  > "$dir/chaos.out" 2>&1
r=$?
set -e
grep -v "^slot " "$dir/chaos.out" || true
# CHAOS_KEEP=DIR keeps the report and the devnet's output (e.g. for docs/RELIABILITY.md).
if [ -n "${CHAOS_KEEP:-}" ]; then mkdir -p "$CHAOS_KEEP"; cp "$dir/chaos.json" "$dir/chaos.out" "$CHAOS_KEEP/" 2>/dev/null || true; fi
check "chaos devnet exits 0" '[ "$r" = 0 ]'
py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $1" "$dir/chaos.json"; }
check "report ok" 'py "sys.exit(0 if d[\"ok\"] else 1)"'
check "no slashable pair" 'py "sys.exit(0 if not d[\"slashable_offences\"] else 1)"'
check "nothing rejected" 'py "sys.exit(0 if all(x[\"rejected\"]==0 for x in d[\"duties\"]) else 1)"'
# The schedule of seed 1 over 40 slots deals kill, freeze and BN faults; every fault began and was lifted.
if [ "$faults" = all ]; then
  check "at least 6 faults of at least 5 kinds injected" 'py "k=d[\"chaos\"][\"faults_by_kind\"]; sys.exit(0 if sum(k.values())>=6 and len(k)>=5 else 1)"'
fi
# The last fault may lift in the run's final slots, with its node's recovery after the end on a busy machine:
# every fault lifted, every one before the last recovered.
check "every fault lifted and its node recovered (the last one: when the run lasted long enough)" 'py "e=d[\"chaos\"][\"episodes\"]; sys.exit(0 if e and all(x[\"lifted_ms\"] is not None for x in e) and all(x[\"recovered_ms\"] is not None for x in e[:-1]) else 1)"'
# A 2|2 split leaves no quorum: its slots (to the slot after the cluster is seen whole again) are uncovered by
# construction and left out here.
check "most slots covered (at most f disrupted) outside splits" 'py "
c=d[\"chaos\"]; sd=d[\"options\"][\"slot_duration_ms\"]
split=set()
for e in c[\"episodes\"]:
  if e[\"kind\"]==\"split\": split.update(range(e[\"began_ms\"]//sd, (e[\"recovered_ms\"] or c[\"slots\"]*sd)//sd+2))
un=[s for s in c[\"uncovered_slots\"] if s not in split]
sys.exit(0 if len(un)*10 <= (c[\"slots\"]-len(split))*1 else 1)"'
if [ "$net" = 1 ]; then
  if [ "$faults" = all ]; then
    check "an isolation and a split injected" 'py "k=d[\"chaos\"][\"faults_by_kind\"]; sys.exit(0 if k.get(\"isolate\",0)>=1 and k.get(\"split\",0)>=1 else 1)"'
  fi
  check "packets delayed and lost on every node-to-node link" 'py "l=[x for x in d[\"chaos\"][\"net_links\"] if \"delay_ms\" in x]; sys.exit(0 if len(l)==12 and all(x[\"forwarded\"]>0 for x in l) and sum(x[\"lost\"] for x in l)>0 else 1)"'
  # Target 2 slots (issue 19); the CI run allows one more for a busy machine. docs/RELIABILITY.md has the figures.
  check "duties again within 3 slots after every heal (isolate, split)" 'py "e=[x for x in d[\"chaos\"][\"episodes\"] if x[\"kind\"] in (\"isolate\",\"split\") and x[\"lifted_ms\"] is not None]; sys.exit(0 if all(x.get(\"recovery_slots\") is not None and x[\"recovery_slots\"]<=3 for x in e[:-1]) and (not e or e[-1].get(\"recovery_slots\") is None or e[-1][\"recovery_slots\"]<=3) else 1)"'
  prefix=$(grep -o "phx-chaos-[0-9]*-" "$dir/chaos.out" | head -n 1 || true)
  check "no namespace of this run left" '[ -n "$prefix" ] && ! ip netns list | grep -q "^$prefix"'
fi
# A killed node came back on the same data dir: its slashing database survived (one file, written before the kill).
killed=$(py "print(' '.join(str(x['node']) for x in d['chaos']['episodes'] if x['kind'] in ('kill','clock-skew')))")
for n in $killed; do
  check "node $n restarted on its data dir (slashing DB kept)" '[ -s "$dir/run/node$n/data/slashing.sqlite" ] && [ "$(grep -c "phalanx node" "$dir/run/node$n/node.log")" -ge 2 ]'
done
check "no phalanx child left" '! pgrep -f -- "--duty-report-file $dir/" >/dev/null'

echo "passed $passes, failed $fails"
[ "$fails" = 0 ]
