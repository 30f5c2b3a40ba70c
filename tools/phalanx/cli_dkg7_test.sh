#!/usr/bin/env bash
# `phalanx dkg` with 7 operator processes on loopback (5-of-7): one is killed with SIGKILL in the deal round and
# restarted; all seven write a byte-identical lock that `phalanx dkg verify` accepts, and a 7-node devnet on the
# seven folders (`phalanx devnet --node-dirs`, embedded signer) completes every duty.
set -euo pipefail
bin="$1"
dir=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT
if [ -n "${KEEP:-}" ]; then trap - EXIT; echo "keeping $dir"; fi
fails=0; passes=0
check() { if eval "$2"; then passes=$((passes+1)); else echo "FAIL: $1"; fails=$((fails+1)); fi; }
n=7
for i in $(seq 0 $((n-1))); do "$bin" create enr --data-dir "$dir/n$i" >/dev/null; done
enrs=$(for i in $(seq 0 $((n-1))); do "$bin" enr --data-dir "$dir/n$i"; done | paste -sd,)
"$bin" create dkg --operator-enrs "$enrs" --network mainnet --withdrawal-addresses 0x000000000000000000000000000000000000dEaD \
  --fee-recipient-addresses 0x1111111111111111111111111111111111111111 --num-validators 10 --output-dir "$dir/def" >/dev/null
base=$(python3 "$(dirname "$0")/port_base.py" 20)
peers=$(for i in $(seq 0 $((n-1))); do echo "$i=127.0.0.1:$((base+i))"; done | paste -sd,)
op() { exec "$bin" dkg --definition-file "$dir/def/cluster-definition.json" --data-dir "$dir/n$1" \
  --p2p-listen 127.0.0.1:$((base+$1)) --p2p-peers "$peers" --insecure-keys --connect-timeout 60 --round-timeout 60 \
  --linger 2; }
for i in $(seq 0 $((n-1))); do op $i > "$dir/log$i" 2>&1 & pids+=($!); done
last=$((n-1))
for _ in $(seq 1 600); do grep -q "R1 deal" "$dir/log$last" && break; sleep 0.05; done
kill -9 "${pids[$last]}"; wait "${pids[$last]}" 2>/dev/null || true
op $last > "$dir/log${last}b" 2>&1 & pids[$last]=$!
rcs=""; for i in $(seq 0 $((n-1))); do set +e; wait "${pids[$i]}"; rcs="$rcs$?"; set -e; done
check "all seven nodes complete (exit codes $rcs)" '[ "$rcs" = 0000000 ]'
check "node $last was killed in the deal round and resumed from its journal" \
  'grep -q "DKG complete (resumed)" "$dir/log${last}b"'
same=1; for i in $(seq 1 $last); do cmp -s "$dir/n0/cluster-lock.json" "$dir/n$i/cluster-lock.json" || same=0; done
check "seven byte-identical locks" '[ $same = 1 ]'
check "5-of-7 by default" 'grep -q "\"threshold\": 5" "$dir/n0/cluster-lock.json"'
check "dkg verify accepts the lock and transcript" '"$bin" dkg verify --lock "$dir/n$last/cluster-lock.json" > "$dir/dv.out"'
dirs=$(for i in $(seq 0 $last); do echo "$dir/n$i"; done | paste -sd,)
# Bad --node-dirs are refused with the reason (exit 2) before anything starts.
bad() { set +e; "$bin" devnet "$@" > "$dir/bad.out" 2>&1; local r=$?; set -e; [ $r = 2 ]; }
check "a missing operator folder is named" 'bad --node-dirs "${dirs%,*}" && grep -q "no folder holds the key of operator 6 of 7" "$dir/bad.out"'
check "the same operator twice is refused" 'bad --node-dirs "$dirs,$dir/n0" && grep -q "holds the same operator key as" "$dir/bad.out"'
check "--nodes beside --node-dirs is refused" 'bad --node-dirs "$dirs" --nodes 7 && grep -q "sets --nodes" "$dir/bad.out"'
set +e; "$bin" devnet --node-dirs "$dirs" --mode embedded --slots 6 --slot-duration 4s --fork deneb --dir "$dir/devnet" \
  > "$dir/devnet.out" 2>&1; r=$?; set -e
check "a 7-node devnet on the DKG's folders completes every duty (exit $r)" '[ $r = 0 ] &&
  grep -q "OK: every duty that should have succeeded did" "$dir/devnet.out" || { tail -20 "$dir/devnet.out"; false; }'
echo "passed $passes, failed $fails"
[ "$fails" = 0 ]
