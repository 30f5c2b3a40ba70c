#!/usr/bin/env bash
# `phalanx dkg` end to end on loopback: 4 operator processes run a ceremony while one is killed with SIGKILL after
# entering the deal round and restarted (it resumes from its journal; nobody else restarts); all four write a
# byte-identical cluster-lock.json that `phalanx lock verify` and `phalanx dkg verify` accept; a non-member (a key
# outside the definition, or a node of another definition dialing the members) is refused; the npm oracles
# (tests/oracle/dkg_check.mjs) decrypt every keystore and check shares, recombination and signatures; `phalanx
# combine` recovers keys matching the lock; a second run in a used data dir stops at preflight and overwrites
# nothing; a crash after R5 (while encrypting keystores) resumes and finishes offline; a devnet run on the four
# folders (`phalanx devnet --node-dirs`) completes every duty.
set -euo pipefail
bin="$1"; here="$(cd "$(dirname "$0")/../.." && pwd)"
dir=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT
if [ -n "${KEEP:-}" ]; then trap - EXIT; echo "keeping $dir"; fi
fails=0; passes=0
check() { if eval "$2"; then passes=$((passes+1)); else echo "FAIL: $1"; fails=$((fails+1)); fi; }
W=0x000000000000000000000000000000000000dEaD; F=0x1111111111111111111111111111111111111111
for i in 0 1 2 3 4; do "$bin" create enr --data-dir "$dir/n$i" >/dev/null; done
enr() { "$bin" enr --data-dir "$dir/n$1"; }
enrs=$(for i in 0 1 2 3; do enr $i; done | paste -sd,)
"$bin" create dkg --operator-enrs "$enrs" --network hoodi --withdrawal-addresses $W --fee-recipient-addresses $F \
  --num-validators 40 --output-dir "$dir/def" >/dev/null
"$bin" create dkg --operator-enrs "$(enr 0),$(enr 1),$(enr 2),$(enr 4)" --network hoodi --withdrawal-addresses $W \
  --fee-recipient-addresses $F --num-validators 40 --output-dir "$dir/def2" >/dev/null
base=$(python3 "$(dirname "$0")/port_base.py" 20)
peers="0=127.0.0.1:$base,1=127.0.0.1:$((base+1)),2=127.0.0.1:$((base+2)),3=127.0.0.1:$((base+3))"
common=(--p2p-peers "$peers" --insecure-keys --connect-timeout 60 --round-timeout 60 --linger 2)
op() { exec "$bin" dkg --definition-file "$dir/def/cluster-definition.json" --data-dir "$dir/n$1" \
  --p2p-listen 127.0.0.1:$((base+$1)) "${common[@]}"; }

# A key that is not one of the definition's operators never starts.
set +e; "$bin" dkg --definition-file "$dir/def/cluster-definition.json" --data-dir "$dir/n4" "${common[@]}" \
  > "$dir/nonkey.out" 2>&1; r=$?; set -e
check "a key outside the definition is refused locally" '[ $r = 1 ] && grep -q "not one of the definition" "$dir/nonkey.out"'

for i in 0 1 2 3; do op $i > "$dir/log$i" 2>&1 & pids+=($!); done
# A node of another definition (n4 in place of n3) dials the members: their TLS layer refuses its identity.
"$bin" dkg --definition-file "$dir/def2/cluster-definition.json" --data-dir "$dir/n4" --p2p-listen 127.0.0.1:$((base+4)) \
  --p2p-peers "0=127.0.0.1:$base,1=127.0.0.1:$((base+1)),2=127.0.0.1:$((base+2))" --insecure-keys --connect-timeout 4 \
  > "$dir/log4" 2>&1 & outsider=$!; pids+=($outsider)

# SIGKILL node 3 once it has entered R1 (deal), then restart it on the same data dir.
for _ in $(seq 1 600); do grep -q "R1 deal" "$dir/log3" && break; sleep 0.05; done
kill -9 "${pids[3]}"; wait "${pids[3]}" 2>/dev/null || true
killed_in=$(grep -o "R[0-9] [a-z]*" "$dir/log3" | tail -1)
echo "node 3 killed during: $killed_in"
op 3 > "$dir/log3b" 2>&1 & pids[3]=$!
rcs=""; for i in 0 1 2 3; do set +e; wait "${pids[$i]}"; rcs="$rcs$?"; set -e; done
set +e; wait $outsider; rc4=$?; set -e
check "all four nodes complete (exit codes $rcs)" '[ "$rcs" = 0000 ]'
check "node 3 was killed mid-ceremony and resumed from its journal" \
  '[ -n "$killed_in" ] && grep -q "resuming the ceremony from its journal" "$dir/log3b" && grep -q "DKG complete (resumed)" "$dir/log3b"'
check "byte-identical locks" 'cmp -s "$dir/n0/cluster-lock.json" "$dir/n1/cluster-lock.json" &&
  cmp -s "$dir/n0/cluster-lock.json" "$dir/n2/cluster-lock.json" && cmp -s "$dir/n0/cluster-lock.json" "$dir/n3/cluster-lock.json"'
check "progress and summary printed" 'grep -q "R4 lock hash" "$dir/log0" && grep -q "validators/s" "$dir/log0" && grep -q "MB in" "$dir/log0"'
check "non-member node is refused (E_CONNECT_TIMEOUT, exit 2)" '[ $rc4 = 2 ] && grep -q "E_CONNECT_TIMEOUT" "$dir/log4" &&
  cat "$dir"/log[0-2] | grep -q "refused connection .*identity is not an operator"'
check "lock verify accepts the lock" '"$bin" lock verify --lock "$dir/n0/cluster-lock.json" > "$dir/lv.out"'
for i in 0 3; do
  check "dkg verify accepts node $i's outputs" '"$bin" dkg verify --lock "$dir/n$i/cluster-lock.json" > "$dir/dv$i.out" &&
    grep -q "2 deposit files checked" "$dir/dv$i.out"'
done
check "file set and modes as create cluster" '[ "$(stat -c %a "$dir/n1/validator_keys/keystore-0.json")" = 600 ] &&
  [ "$(stat -c %a "$dir/n1/validator_keys/keystore-39.txt")" = 400 ] && [ "$(stat -c %a "$dir/n1/validator_keys")" = 700 ] &&
  [ -f "$dir/n1/deposit-data.json" ] && [ -f "$dir/n1/deposit-data-1eth.json" ] && [ -f "$dir/n1/dkg-transcript.ssz" ] &&
  [ ! -e "$dir/n1/.phalanx-dkg" ] && [ ! -e "$dir/n3/.phalanx-dkg" ]'
# Tampering is caught: another node's transcript is fine (same ceremony), an edited lock is not.
sed 's/"threshold": 3/"threshold": 2/' "$dir/n0/cluster-lock.json" > "$dir/bad-lock.json"
check "dkg verify rejects an edited lock" '! "$bin" dkg verify --lock "$dir/bad-lock.json" --transcript "$dir/n0/dkg-transcript.ssz" >/dev/null 2>&1'
if [ -d "$here/tests/oracle/node_modules" ]; then
  check "npm oracles: keystores, shares, recombination, deposit and registration signatures" \
    'node "$here/tests/oracle/dkg_check.mjs" "$dir/n0" "$dir/n1" "$dir/n2" "$dir/n3" > "$dir/oracle.out" || { cat "$dir/oracle.out"; false; }'
else
  echo "FAIL: tests/oracle/node_modules missing (run scripts/npm-oracles.sh)"; fails=$((fails+1))
fi
mkdir -p "$dir/cl" && for i in 0 1 2; do ln -s "$dir/n$i" "$dir/cl/n$i"; done
check "combine recovers keys matching the lock from 3 of 4 folders" \
  '"$bin" combine --cluster-dir "$dir/cl" --output-dir "$dir/recovered" --insecure-keys > "$dir/combine.out" 2>&1 &&
   grep -q "Recovered 40 validator keys" "$dir/combine.out"'
# phalanx run accepts the lock and key (it gets past configuration checks, waiting for a beacon node).
set +e; timeout 3 "$bin" run --lock-file "$dir/n0/cluster-lock.json" --private-key-file "$dir/n0/charon-enr-private-key" \
  --data-dir "$dir/n0/.phalanx" --beacon-node-endpoints http://127.0.0.1:9 --p2p-tcp-address 127.0.0.1:$((base+10)) \
  --validator-api-address 127.0.0.1:$((base+11)) --monitoring-address 127.0.0.1:$((base+12)) > "$dir/run.out" 2>&1; r=$?; set -e
check "phalanx run loads the DKG lock" '[ $r != 2 ] && grep -q "beacon node not reachable" "$dir/run.out"'
# The ceremony's folders run a cluster: a devnet (embedded signer, hoodi's genesis fork version) does every duty.
set +e; "$bin" devnet --node-dirs "$dir/n2,$dir/n0,$dir/n3,$dir/n1" --mode embedded --slots 6 --slot-duration 4s \
  --fork deneb --dir "$dir/devnet" \
  > "$dir/devnet.out" 2>&1; r=$?; set -e
check "a devnet on the DKG's folders completes every duty (exit $r)" '[ $r = 0 ] &&
  grep -q "OK: every duty that should have succeeded did" "$dir/devnet.out" &&
  grep -q "existing 3-of-4 cluster with 40 validators" "$dir/devnet.out" || { tail -20 "$dir/devnet.out"; false; }'
# A second ceremony in a used data dir stops before making any secret and overwrites nothing.
cp "$dir/n0/cluster-lock.json" "$dir/lock.before"
set +e; (op 0 --connect-timeout 2) > "$dir/again.out" 2>&1; r=$?; set -e
check "preflight names the left-over artifact and nothing is overwritten" '[ $r != 0 ] &&
  grep -q "preflight: .* exists in the data directory" "$dir/again.out" && cmp -s "$dir/lock.before" "$dir/n0/cluster-lock.json"'
# A crash after R5, while encrypting the keystores (standard scrypt, so it takes a while), resumes offline: the journal
# holds every peer's R5, and the other operators have already exited.
"$bin" create dkg --operator-enrs "$enrs" --network hoodi --withdrawal-addresses $W --fee-recipient-addresses $F \
  --num-validators 3 --output-dir "$dir/def3" >/dev/null
for i in 0 1 2 3; do mkdir -p "$dir/m$i"; cp "$dir/n$i/charon-enr-private-key" "$dir/m$i/"; done
late() { exec "$bin" dkg --definition-file "$dir/def3/cluster-definition.json" --data-dir "$dir/m$1" --p2p-listen \
  127.0.0.1:$((base+$1)) --p2p-peers "$peers" --connect-timeout 60 --round-timeout 10 --linger 1 "${@:2}"; }
pids=(); for i in 0 1 2; do late $i --insecure-keys > "$dir/late$i" 2>&1 & pids+=($!); done
late 3 --keystore-kdf scrypt > "$dir/late3" 2>&1 & pids+=($!)  # scrypt: a window wide enough to kill in
for _ in $(seq 1 1200); do grep -q "encrypting" "$dir/late3" && break; sleep 0.05; done
kill -9 "${pids[3]}"; wait "${pids[3]}" 2>/dev/null || true
for i in 0 1 2; do wait "${pids[$i]}" || true; done
set +e; (late 3) > "$dir/late3b" 2>&1; r=$?; set -e
check "a crash while writing keystores after R5 resumes and finishes offline" '[ $r = 0 ] &&
  grep -q "DKG complete (resumed)" "$dir/late3b" && cmp -s "$dir/m0/cluster-lock.json" "$dir/m3/cluster-lock.json" &&
  [ -f "$dir/m3/validator_keys/keystore-2.json" ]'
echo "passed $passes, failed $fails"
[ "$fails" = 0 ]
