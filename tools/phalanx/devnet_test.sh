#!/usr/bin/env bash
# End to end: `phalanx devnet` with real `phalanx run` node processes (and `phalanx vc-sim` processes) on
# loopback against the in-process beacon simulator. Each run must exit 0 (every exact duty completed, nothing
# rejected, no honest node failure), write a JSON report saying so, and leave no child process behind.
set -euo pipefail
bin="$1"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fails=0; passes=0
check() { if eval "$2"; then passes=$((passes+1)); else echo "FAIL: $1"; fails=$((fails+1)); fi; }
run() {  # name, flags…
  local name="$1"; shift
  set +e
  # Fixed ports in 10000-19200: below the kernel's ephemeral range (32768+), so that no concurrent test's
  # connection or port-0 bind takes a node's port between the devnet's choice and the node's bind, and apart from
  # the 20000-40000 the other CLI tests use.
  "$bin" devnet --validators 4 --slots 4 --slot-duration 2s --genesis-delay 8s --report "$dir/$name.json" \
    --base-port $((10000 + RANDOM % 9000)) --dir "$dir/$name" "$@" > "$dir/$name.out" 2>&1
  local r=$?
  set -e
  if [ "$r" != 0 ]; then { echo "--- $name (exit $r)"; tail -25 "$dir/$name.out"; } >&2; fi
  echo "$r"
}
ok() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d['ok'] else 1)" "$1"; }
completed() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sum(r['completed'] for r in d['duties'] if r['duty']==sys.argv[2]))" "$1" "$2"; }

# Embedded signer, fulu, one Byzantine node (bad partial signatures): every duty completes, the node is blamed.
r=$(run byzantine --mode embedded --fault byzantine-one | tail -1)
check "byzantine-one devnet exits 0" '[ "$r" = 0 ]'
check "byzantine-one report ok" 'ok "$dir/byzantine.json"'
check "every slot's proposal completed (slots 1-3; slot 0 is genesis)" '[ "$(completed "$dir/byzantine.json" proposal)" = 3 ]'
check "byzantine node blamed" 'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d[\"blamed_shares\"].get(\"4\",0)>0 else 1)" "$dir/byzantine.json"'
check "table printed" 'grep -q "OK: every duty that should have succeeded did" "$dir/byzantine.out"'

# Validator-client simulators, phase0 formats.
r=$(run vc --mode vc --fork phase0 | tail -1)
check "vc devnet exits 0" '[ "$r" = 0 ]'
check "vc: nothing rejected" 'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if all(x[\"rejected\"]==0 for x in d[\"duties\"]) else 1)" "$dir/vc.json"'
check "vc: every proposal completed (slots 1-3)" '[ "$(completed "$dir/vc.json" proposal)" = 3 ]'
check "vc: every vc-sim scheduled and submitted its proposals" 'python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
bad=[v for v in d[\"vc_stats\"] if not v or v[\"proposal\"][\"scheduled\"]!=3 or v[\"proposal\"][\"submitted\"]!=3]
print(*bad, sep=\"\n\")
sys.exit(1 if bad else 0)" "$dir/vc.json"'

# No child outlives the devnet.
# One node's beacon node on a minority fork (--fault lying-bn-one: its attestation data names another target):
# every attestation duty still completes with nothing rejected, and every one of them shows the round-1 view
# check at work (the lying node refuses the others' proposals, or the others refuse the lying leader's).
set +e
"$bin" devnet --mode embedded --fault lying-bn-one --validators 16 --slots 12 --slot-duration 2s --genesis-delay 8s \
  --base-port $((10000 + RANDOM % 9000)) \
  --report "$dir/lying.json" --dir "$dir/lying" --keep > "$dir/lying.out" 2>&1; r=$?
set -e
[ "$r" = 0 ] || { echo "--- lying (exit $r)"; tail -25 "$dir/lying.out"; } >&2
check "lying-bn-one devnet exits 0, nothing rejected" '[ "$r" = 0 ] && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d[\"ok\"] and all(x[\"rejected\"]==0 for x in d[\"duties\"]) else 1)" "$dir/lying.json"'
att=$(completed "$dir/lying.json" attestation)
refusals=$(cat "$dir"/lying/node*/node.log | grep -c "not prepared in round 1" || true)
check "every attestation duty met the round-1 view check ($att attestation duties, $refusals refusals)" '[ "$att" = 0 ] || [ "$refusals" -ge 1 ]'

check "no phalanx child left" '! pgrep -f -- "--duty-report-file $dir/" >/dev/null'

echo "passed $passes, failed $fails"
[ "$fails" = 0 ]
