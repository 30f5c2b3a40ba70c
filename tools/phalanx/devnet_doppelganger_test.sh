#!/usr/bin/env bash
# Doppelganger protection end to end (`phalanx devnet --doppelganger`, docs/devnet.md): real `phalanx run` nodes on
# loopback against the beacon simulator, which answers POST /eth/v1/validator/liveness/{epoch} from what it received.
#   twin:    every node protected, a `phalanx vc-sim` signing with the same validators' full keys beside them: every
#            node detects every validator, the cluster signs nothing, the simulator accepts the twin, 0 slashable.
#   join:    node 3 protected among running peers: its liveness answers say "live" (the cluster's own blocks and
#            attestations) and its peers' partials explain it: no detection; every other duty completes.
#   restart: join, and node 3 killed at slot 2 and restarted at slot 3: it watches epochs 1-2, detects nothing and
#            signs again from epoch 3 (100 slots: label slow).
set -euo pipefail
bin="$1"; scenario="${2:-twin}"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fails=0; passes=0
check() { if eval "$2"; then passes=$((passes+1)); else echo "FAIL: $1"; fails=$((fails+1)); fi; }
case "$scenario" in
  twin)    flags=(--validators 1 --slots 5 --genesis-delay 6s) ;;
  join)    flags=(--validators 2 --slots 6 --genesis-delay 6s) ;;
  restart) flags=(--validators 4 --slots 100) ;;
  *) echo "unknown scenario $scenario"; exit 2 ;;
esac
set +e
"$bin" devnet --mode embedded --slot-duration 2s --doppelganger "$scenario" "${flags[@]}" \
  --base-port $((10000 + RANDOM % 9000)) --report "$dir/report.json" --dir "$dir/run" --keep > "$dir/out" 2>&1
r=$?
set -e
[ "$r" = 0 ] || { echo "--- devnet (exit $r)"; tail -30 "$dir/out"; } >&2
check "$scenario: devnet exits 0 and its report is ok" \
  '[ "$r" = 0 ] && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d[\"ok\"] else 1)" "$dir/report.json"'
check "$scenario: 0 slashable pairs" 'grep -q "slashing oracle: 0 slashable pairs" "$dir/out"'
detections() { grep -c "doppelganger detected: validator" "$1" || true; }
case "$scenario" in
  twin)
    for i in 0 1 2 3; do
      check "twin: node $i detected the twin" '[ "$(detections "$dir/run/node$i/node.log")" -ge 1 ]'
      check "twin: node $i ran protected and completed no duty" \
        'grep -q "doppelganger protection: signing nothing" "$dir/run/node$i/node.log" && ! grep -q "\"success\":true" "$dir/run/node$i/duties.jsonl"'
    done
    check "twin: the twin's messages were accepted" \
      'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if sum(r[\"sim_accepted\"] for r in d[\"duties\"])>0 and sum(r[\"completed\"] for r in d[\"duties\"])==0 else 1)" "$dir/report.json"'
    ;;
  join|restart)
    for i in 0 1 2 3; do check "$scenario: node $i detected nothing" '[ "$(detections "$dir/run/node$i/node.log")" = 0 ]'; done
    check "$scenario: node 3 saw its validators live (the cluster's own work) and did not count it" \
      'grep -q "watched validators live" "$dir/run/node3/node.log"'
    [ "$scenario" = restart ] && check "restart: node 3 signs again after its watch" \
      'grep -q "doppelganger watch over: 4 validators safe, 0 detected" "$dir/run/node3/node.log"'
    ;;
esac
echo "passed $passes, failed $fails"
[ "$fails" = 0 ]
