#!/usr/bin/env bash
# `phalanx reshare` end to end on loopback: a 4-node cluster (`create cluster`) is reshared 4 → 5 (add-operators, one
# node SIGKILLed mid-ceremony and resumed from its journal), then 5 → 4 (remove-operators, the rest move up, the
# removed operator takes part as a dealer only), then 4 → 4 (replace-operator, the new one takes the position);
# every new node writes a byte-identical lock that `phalanx lock verify` and `phalanx dkg verify --old-lock` accept;
# the distributed keys, deposit data and registrations are unchanged; the npm oracles (tests/oracle) check that any
# t new shares recombine to the old keys and no mix of old and new shares does; `phalanx run` refuses the old lock
# in a data dir that took part, naming the new lock, and accepts the new one; --delete-old-keys removes the old
# keystores; a removed operator and an unknown key are refused locally; the final cluster does every duty in a
# short devnet (`phalanx devnet --node-dirs`).
set -euo pipefail
bin="$1"; here="$(cd "$(dirname "$0")/../.." && pwd)"
dir=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT
if [ -n "${KEEP:-}" ]; then trap - EXIT; echo "keeping $dir"; fi
fails=0; passes=0
check() { if eval "$2"; then passes=$((passes+1)); else echo "FAIL: $1"; fails=$((fails+1)); fi; }
W=0x000000000000000000000000000000000000dEaD; F=0x1111111111111111111111111111111111111111
"$bin" create cluster --nodes 4 --num-validators 3 --network hoodi --withdrawal-addresses $W \
  --fee-recipient-addresses $F --insecure-keys --cluster-dir "$dir/c" >/dev/null
"$bin" create enr --data-dir "$dir/n4" >/dev/null
"$bin" create enr --data-dir "$dir/x" >/dev/null
enr() { "$bin" enr --data-dir "$1"; }
enr4=$(enr "$dir/n4")
base=$(python3 "$(dirname "$0")/port_base.py" 20)
peers() { for i in $(seq 0 $(($1-1))); do echo "$i=127.0.0.1:$((base+i))"; done | paste -sd,; }
common=(--insecure-keys --connect-timeout 60 --round-timeout 60 --linger 2)
keys() { python3 -c "import json,sys; print(' '.join(v['distributed_public_key'] for v in json.load(open(sys.argv[1]))['distributed_validators']))" "$1"; }
deposits() { python3 -c "import json,sys; print(json.dumps([(v.get('partial_deposit_data'), v.get('builder_registration')) for v in json.load(open(sys.argv[1]))['distributed_validators']]))" "$1"; }

# --- 4 → 5: add-operators. Old operators 0..3 deal; n4 joins with the old lock file only. ---
add() {  # add <new index> <data dir> [extra flags]
  exec "$bin" reshare add-operators --data-dir "$2" --new-operator-enrs "$enr4" --output-dir "$dir/a$1" \
    --p2p-listen 127.0.0.1:$((base+$1)) --p2p-peers "$(peers 5)" "${common[@]}" "${@:3}"; }
set +e; "$bin" reshare add-operators --data-dir "$dir/x" --lock-file "$dir/c/node0/cluster-lock.json" \
  --new-operator-enrs "$enr4" --output-dir "$dir/ax" "${common[@]}" > "$dir/x.out" 2>&1; r=$?; set -e
check "a key that is neither an old nor a new operator is refused locally" '[ $r = 1 ] && grep -q "neither an old nor a new operator" "$dir/x.out"'
for i in 0 1 2 3; do add $i "$dir/c/node$i" > "$dir/alog$i" 2>&1 & pids+=($!); done
add 4 "$dir/n4" --lock-file "$dir/c/node0/cluster-lock.json" > "$dir/alog4" 2>&1 & pids+=($!)
# SIGKILL old operator 1 once it deals (R1), then restart it on the same folders.
for _ in $(seq 1 600); do grep -q "R1 deal" "$dir/alog1" && break; sleep 0.05; done
kill -9 "${pids[1]}"; wait "${pids[1]}" 2>/dev/null || true
killed_in=$(grep -o "R[0-9] [a-z]*" "$dir/alog1" | tail -1)
echo "old operator 1 killed during: $killed_in"
add 1 "$dir/c/node1" > "$dir/alog1b" 2>&1 & pids[1]=$!
rcs=""; for i in 0 1 2 3 4; do set +e; wait "${pids[$i]}"; rcs="$rcs$?"; set -e; done
check "all five nodes complete the reshare (exit codes $rcs)" '[ "$rcs" = 00000 ] ||
  { for f in "$dir"/alog*; do echo "--- ${f##*/}"; tail -8 "$f"; done; false; }'
check "the killed node resumed from its journal" '[ -n "$killed_in" ] &&
  grep -q "resuming the ceremony from its journal" "$dir/alog1b" && grep -q "Reshare complete (resumed)" "$dir/alog1b"'
check "byte-identical new locks" 'for i in 1 2 3 4; do cmp -s "$dir/a0/cluster-lock.json" "$dir/a$i/cluster-lock.json" || exit 1; done'
check "5 operators, default threshold 4, the new one appended" 'python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))[\"cluster_definition\"]
assert len(d[\"operators\"])==5 and d[\"threshold\"]==4 and d[\"operators\"][4][\"enr\"]==sys.argv[2]" "$dir/a0/cluster-lock.json" "$enr4"'
check "distributed keys unchanged" '[ "$(keys "$dir/a2/cluster-lock.json")" = "$(keys "$dir/c/node0/cluster-lock.json")" ]'
check "deposit data and registrations unchanged" \
  '[ "$(deposits "$dir/a2/cluster-lock.json")" = "$(deposits "$dir/c/node0/cluster-lock.json")" ]'
check "lock verify accepts the new lock" '"$bin" lock verify --lock "$dir/a4/cluster-lock.json" > /dev/null'
check "dkg verify --old-lock accepts the reshare" '"$bin" dkg verify --lock "$dir/a3/cluster-lock.json" \
  --old-lock "$dir/c/node0/cluster-lock.json" > "$dir/av.out" && grep -q "valid reshare outputs" "$dir/av.out" &&
  grep -q "keys, deposit data and registrations unchanged" "$dir/av.out"'
check "dkg verify against another old lock fails" '! "$bin" dkg verify --lock "$dir/a3/cluster-lock.json" \
  --old-lock "$dir/a0/cluster-lock.json" > /dev/null 2>&1'
check "old operators are told to delete their old keystores" 'grep -q "DELETE the old keystores" "$dir/alog0" &&
  ! grep -q "DELETE" "$dir/alog4"'
check "new folders are complete data directories" '[ -f "$dir/a4/charon-enr-private-key" ] &&
  [ "$(stat -c %a "$dir/a4/charon-enr-private-key")" = 600 ] && [ -f "$dir/a4/validator_keys/keystore-2.json" ] &&
  [ -f "$dir/a4/dkg-transcript.ssz" ] && [ -f "$dir/a4/deposit-data.json" ] && [ ! -e "$dir/a1/.phalanx-dkg" ]'
if [ -d "$here/tests/oracle/node_modules" ]; then
  check "npm oracle: new shares recombine to the old keys, old/new mixes do not" \
    'node "$here/tests/oracle/reshare_check.mjs" "$(echo "$dir"/c/node{0,1,2,3} | tr " " ,)" \
      "$(echo "$dir"/a{0,1,2,3,4} | tr " " ,)" > "$dir/oracle_a.out" || { cat "$dir/oracle_a.out"; false; }'
  check "npm oracle: every t-subset of the new cluster, deposit and registration signatures" \
    'node "$here/tests/oracle/dkg_check.mjs" "$dir"/a{0,1,2,3,4} > "$dir/oracle_a2.out" || { cat "$dir/oracle_a2.out"; false; }'
else
  echo "FAIL: tests/oracle/node_modules missing (run scripts/npm-oracles.sh)"; fails=$((fails+1))
fi
# `phalanx run` refuses the old lock in a data dir that took part, naming the new lock, and loads the new one.
runnode() { timeout 3 "$bin" run --lock-file "$1/cluster-lock.json" --private-key-file "$1/charon-enr-private-key" \
  --data-dir "$1/.phalanx" --beacon-node-endpoints http://127.0.0.1:9 --p2p-tcp-address 127.0.0.1:$((base+10)) \
  --validator-api-address 127.0.0.1:$((base+11)) --monitoring-address 127.0.0.1:$((base+12)); }
set +e; runnode "$dir/c/node0" > "$dir/run_old.out" 2>&1; r=$?; runnode "$dir/a0" > "$dir/run_new.out" 2>&1; r2=$?; set -e
check "phalanx run refuses the superseded lock, naming the new one" '[ $r = 2 ] &&
  grep -q "superseded by a reshare" "$dir/run_old.out" && grep -q "$dir/a0/cluster-lock.json" "$dir/run_old.out"'
check "phalanx run loads the new lock" '[ $r2 != 2 ] && grep -q "beacon node not reachable" "$dir/run_new.out"'
set +e; (add 0 "$dir/c/node0") > "$dir/again.out" 2>&1; r=$?; set -e
check "a second reshare of the superseded lock is refused" '[ $r = 1 ] && grep -q "superseded" "$dir/again.out"'

# --- 5 → 4: remove-operators (operator 2 leaves but takes part: it deals and receives nothing; 3 and 4 move up),
# with --delete-old-keys on operator 0. Participants: the four new operators, then the leaving one. ---
cp -r "$dir/a0/validator_keys" "$dir/a0-keys"  # for the mixing oracle
enr2=$(enr "$dir/a2")
rm_op() {  # rm_op <new index> <old folder> [extra flags]
  exec "$bin" reshare remove-operators --data-dir "$2" --operator-enrs-to-remove "$enr2" --output-dir "$dir/b$1" \
    --participating-operator-enrs "$enr2" --p2p-listen 127.0.0.1:$((base+$1)) --p2p-peers "$(peers 5)" \
    "${common[@]}" "${@:3}"; }
set +e; "$bin" reshare remove-operators --data-dir "$dir/a2" --operator-enrs-to-remove "$enr2" --output-dir "$dir/bx" \
  "${common[@]}" > "$dir/removed.out" 2>&1; r=$?; set -e
check "a removed operator not listed as participating is told it takes no part" '[ $r = 1 ] &&
  grep -q "not in the new operator set and not listed" "$dir/removed.out"'
pids=(); rm_op 0 "$dir/a0" --delete-old-keys > "$dir/blog0" 2>&1 & pids+=($!)
j=1; for i in 1 3 4; do rm_op $j "$dir/a$i" > "$dir/blog$j" 2>&1 & pids+=($!); j=$((j+1)); done
rm_op 4 "$dir/a2" > "$dir/blog4" 2>&1 & pids+=($!)
rcs=""; for i in 0 1 2 3 4; do set +e; wait "${pids[$i]}"; rcs="$rcs$?"; set -e; done
check "the four remaining nodes and the leaving dealer complete the reshare (exit codes $rcs)" '[ "$rcs" = 00000 ] &&
  grep -q "leaving (deals its shares, receives nothing)" "$dir/blog4" && grep -q "has left the cluster" "$dir/blog4"'
check "the leaving dealer holds the new lock but no new keystore" 'cmp -s "$dir/b0/cluster-lock.json" "$dir/b4/cluster-lock.json" &&
  [ ! -e "$dir/b4/validator_keys" ]'
check "byte-identical locks after the removal" 'for i in 1 2 3; do cmp -s "$dir/b0/cluster-lock.json" "$dir/b$i/cluster-lock.json" || exit 1; done'
check "removal compacts: old operators 3 and 4 are now 2 and 3, threshold 3" 'python3 -c "
import json,sys; a=json.load(open(sys.argv[1]))[\"cluster_definition\"]; b=json.load(open(sys.argv[2]))[\"cluster_definition\"]
assert [o[\"enr\"] for o in b[\"operators\"]]==[a[\"operators\"][i][\"enr\"] for i in (0,1,3,4)] and b[\"threshold\"]==3" \
  "$dir/a0/cluster-lock.json" "$dir/b0/cluster-lock.json"'
check "distributed keys still unchanged" '[ "$(keys "$dir/b3/cluster-lock.json")" = "$(keys "$dir/c/node0/cluster-lock.json")" ]'
check "dkg verify --old-lock accepts the removal, given the participating leaver" '"$bin" dkg verify \
  --lock "$dir/b1/cluster-lock.json" --old-lock "$dir/a0/cluster-lock.json" --participating-operator-enrs "$enr2" > /dev/null &&
  ! "$bin" dkg verify --lock "$dir/b1/cluster-lock.json" --old-lock "$dir/a0/cluster-lock.json" > /dev/null 2>&1'
check "--delete-old-keys removed operator 0's old keystores only" '[ -z "$(ls "$dir/a0/validator_keys")" ] &&
  grep -q "deleted 6 old keystore files" "$dir/blog0" && [ -f "$dir/a1/validator_keys/keystore-0.json" ]'
if [ -d "$here/tests/oracle/node_modules" ]; then
  rm -rf "$dir/a0" && mkdir -p "$dir/a0old" && cp "$dir/a1/cluster-lock.json" "$dir/a0old/" && mv "$dir/a0-keys" "$dir/a0old/validator_keys"
  check "npm oracle after the removal (mixes with the 5-operator shares)" \
    'node "$here/tests/oracle/reshare_check.mjs" "$(echo "$dir"/a0old "$dir"/a{1,2,3,4} | tr " " ,)" \
      "$(echo "$dir"/b{0,1,2,3} | tr " " ,)" > "$dir/oracle_b.out" || { cat "$dir/oracle_b.out"; false; }'
fi
# --- 4 → 4: replace-operator (new operator n5 takes position 1; the replaced one is not contacted). ---
"$bin" create enr --data-dir "$dir/n5" >/dev/null
enr5=$(enr "$dir/n5"); enrb1=$(enr "$dir/b1")
rp() { exec "$bin" reshare replace-operator --data-dir "$2" --old-operator-enr "$enrb1" --new-operator-enr "$enr5" \
  --output-dir "$dir/d$1" --p2p-listen 127.0.0.1:$((base+$1)) --p2p-peers "$(peers 4)" "${common[@]}" "${@:3}"; }
pids=(); for i in 0 2 3; do rp $i "$dir/b$i" > "$dir/dlog$i" 2>&1 & pids+=($!); done
rp 1 "$dir/n5" --lock-file "$dir/b0/cluster-lock.json" > "$dir/dlog1" 2>&1 & pids+=($!)
rcs=""; for p in "${pids[@]}"; do set +e; wait "$p"; rcs="$rcs$?"; set -e; done
check "replace-operator: the three staying and the new operator complete (exit codes $rcs)" '[ "$rcs" = 0000 ]'
check "replace keeps the position and the threshold; keys unchanged; verifies against the old lock" 'python3 -c "
import json,sys; a=json.load(open(sys.argv[1]))[\"cluster_definition\"]; b=json.load(open(sys.argv[2]))[\"cluster_definition\"]
assert [o[\"enr\"] for o in b[\"operators\"]]==[a[\"operators\"][0][\"enr\"],sys.argv[3]]+[a[\"operators\"][i][\"enr\"] for i in (2,3)]
assert b[\"threshold\"]==a[\"threshold\"]" "$dir/b0/cluster-lock.json" "$dir/d3/cluster-lock.json" "$enr5" &&
  [ "$(keys "$dir/d1/cluster-lock.json")" = "$(keys "$dir/c/node0/cluster-lock.json")" ] &&
  cmp -s "$dir/d0/cluster-lock.json" "$dir/d1/cluster-lock.json" &&
  "$bin" dkg verify --lock "$dir/d2/cluster-lock.json" --old-lock "$dir/b0/cluster-lock.json" > /dev/null'

# The reshared cluster (three reshares later; operator 1 joined last) keeps doing every duty: a short devnet on the
# four new folders (embedded signer).
set +e; "$bin" devnet --node-dirs "$dir/d0,$dir/d1,$dir/d2,$dir/d3" --mode embedded --slots 6 --slot-duration 4s \
  --fork deneb --dir "$dir/devnet" > "$dir/devnet.out" 2>&1; r=$?; set -e
check "a devnet on the reshared cluster completes every duty (exit $r)" '[ $r = 0 ] &&
  grep -q "OK: every duty that should have succeeded did" "$dir/devnet.out" &&
  grep -q "existing 3-of-4 cluster with 3 validators" "$dir/devnet.out" || { tail -20 "$dir/devnet.out"; false; }'
echo "passed $passes, failed $fails"
[ "$fails" = 0 ]
