#!/usr/bin/env bash
# Chaos end to end: `phalanx devnet --chaos` with a fixed seed (kill -9 and restart, SIGSTOP/SIGCONT, faulty beacon
# nodes, clock skew on one node at a time of a 3-of-4 cluster). The devnet itself asserts what the protocol promises,
# derived from what the runner actually did: every duty of a slot with at most f = 1 node disrupted completes, nothing
# is rejected, no slashable pair. Here: it exits 0, its report says so, the faults really happened (each kind's count,
# the restarted nodes' data dirs carried over) and no child outlives it.
# Usage: devnet_chaos_test.sh PHALANX [MODE] [SLOTS] [SEED] [VALIDATORS]
#   fast CTest: embedded, 40 slots of 2 s, seed 1, 4 validators; slow CTests: 1800 slots (one hour), 16 validators
set -euo pipefail
bin="$1"; mode="${2:-embedded}"; slots="${3:-40}"; seed="${4:-1}"; validators="${5:-4}"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fails=0; passes=0
check() { if eval "$2"; then passes=$((passes+1)); else echo "FAIL: $1"; fails=$((fails+1)); fi; }

set +e
# Fixed ports in 10000-19200 (below the ephemeral range; see devnet_test.sh): node i's BN proxy on BASE+300+i.
"$bin" devnet --chaos --chaos-seed "$seed" --mode "$mode" --validators "$validators" --slots "$slots" --slot-duration 2s \
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
check "at least 6 faults of at least 5 kinds injected" 'py "k=d[\"chaos\"][\"faults_by_kind\"]; sys.exit(0 if sum(k.values())>=6 and len(k)>=5 else 1)"'
# The last fault may lift in the run's final slots, with its node's recovery after the end on a busy machine:
# every fault lifted, every one before the last recovered.
check "every fault lifted and its node recovered (the last one: when the run lasted long enough)" 'py "e=d[\"chaos\"][\"episodes\"]; sys.exit(0 if e and all(x[\"lifted_ms\"] is not None for x in e) and all(x[\"recovered_ms\"] is not None for x in e[:-1]) else 1)"'
check "most slots covered (at most f disrupted)" 'py "c=d[\"chaos\"]; sys.exit(0 if c[\"covered_slots\"]*10 >= c[\"slots\"]*9 else 1)"'
# A killed node came back on the same data dir: its slashing database survived (one file, written before the kill).
killed=$(py "print(' '.join(str(x['node']) for x in d['chaos']['episodes'] if x['kind'] in ('kill','clock-skew')))")
for n in $killed; do
  check "node $n restarted on its data dir (slashing DB kept)" '[ -s "$dir/run/node$n/data/slashing.sqlite" ] && [ "$(grep -c "phalanx node" "$dir/run/node$n/node.log")" -ge 2 ]'
done
check "no phalanx child left" '! pgrep -f -- "--duty-report-file $dir/" >/dev/null'

echo "passed $passes, failed $fails"
[ "$fails" = 0 ]
