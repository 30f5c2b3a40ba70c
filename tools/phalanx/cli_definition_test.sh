#!/usr/bin/env bash
# `phalanx create dkg` and `phalanx definition verify` / `phalanx lock verify` end to end: a Charon-layout v1.11
# definition from operators' ENRs, every bad flag a clear error that writes nothing, Charon's own example files
# verified, and an independent npm oracle (tests/oracle/cluster_sign.mjs: @chainsafe/ssz hashes, @noble EIP-712
# signatures) whose signed v1.11 definition (EOA operators and a 2-owner Safe) we must accept and judge.
set -euo pipefail
bin="$1"; here="$(cd "$(dirname "$0")/../.." && pwd)"; vectors="$here/tests/vectors/charon_lock"
dir=$(mktemp -d); trap 'chmod -R u+w "$dir"; rm -rf "$dir"' EXIT
fails=0; passes=0
check() { if eval "$2"; then passes=$((passes+1)); else echo "FAIL: $1"; fails=$((fails+1)); fi; }
W=0x000000000000000000000000000000000000dEaD; F=0x1111111111111111111111111111111111111111
for i in 0 1 2 3; do "$bin" create enr --data-dir "$dir/n$i" >/dev/null; done
enrs=$(for i in 0 1 2 3; do "$bin" enr --data-dir "$dir/n$i"; done | paste -sd,)
base=(--operator-enrs "$enrs" --network hoodi --withdrawal-addresses $W --fee-recipient-addresses $F)

# 1. A definition as `charon create dkg` writes it.
check "create dkg" '"$bin" create dkg "${base[@]}" --num-validators 2 --name "my dkg" --output-dir "$dir/d" > "$dir/out"'
def="$dir/d/cluster-definition.json"
check "file is read-only (0444)" '[ "$(stat -c %a "$def")" = 444 ]'
check "prints the hashes" 'grep -q "^config_hash 0x" "$dir/out" && grep -q "^definition_hash 0x" "$dir/out"'
python3 - "$def" "$vectors/cluster_definition_v1_11_0.json" "$enrs" > "$dir/py.out" <<'PY' || true
import json, sys
d = json.load(open(sys.argv[1])); g = json.load(open(sys.argv[2])); enrs = sys.argv[3].split(',')
ok = lambda c, what: print(('ok ' if c else 'BAD ') + what)
ok(list(d.keys()) == list(g.keys()), 'key order equals Charon v1.11 golden: %s' % list(d.keys()))
ok(d['version'] == 'v1.11.0' and d['threshold'] == 3 and d['num_validators'] == 2, 'version, default threshold, validators')
ok([o['enr'] for o in d['operators']] == enrs, 'operators carry the ENRs in order')
ok(all(o['address'] == '' and o['config_signature'] == '' and o['enr_signature'] == '' for o in d['operators']), 'operators unsigned')
ok(d['creator'] == {'address': '', 'config_signature': ''}, 'empty creator')
ok(d['deposit_amounts'] is None and d['consensus_protocol'] == '' and d['target_gas_limit'] == 60000000, 'Charon defaults')
ok(d['fork_version'] == '0x10000910' and d['dkg_algorithm'] == 'default' and d['uuid'].isupper(), 'hoodi, default algorithm, UUID')
ok(all(v == {'fee_recipient_address': '0x1111111111111111111111111111111111111111', 'withdrawal_address': '0x000000000000000000000000000000000000dEaD'} for v in d['validators']), 'addresses per validator')
PY
check "definition layout matches Charon's" '! grep -q "^BAD" "$dir/py.out" && [ "$(grep -c "^ok" "$dir/py.out")" = 8 ] || { cat "$dir/py.out"; false; }'
check "definition verify accepts it" '"$bin" definition verify --definition-file "$def" > "$dir/v.out" && grep -q "ready for a DKG: 4 operators" "$dir/v.out"'
check "refuses to overwrite" '! "$bin" create dkg "${base[@]}" --output-dir "$dir/d" 2>"$dir/e" && grep -q "existing" "$dir/e"'
check "compounding + partial amounts" '"$bin" create dkg "${base[@]}" --compounding --deposit-amounts 64,1 --threshold 4 --output-dir "$dir/c" >/dev/null && grep -q "\"compounding\": true" "$dir/c/cluster-definition.json" && grep -q "\"threshold\": 4" "$dir/c/cluster-definition.json" && "$bin" definition verify --definition-file "$dir/c/cluster-definition.json" >/dev/null'

# 2. Every bad flag: a clear error naming it, nothing written.
bad() {  # bad NAME EXPECTED-TEXT ARGS...
  local name="$1"; want="$2"; shift 2; args=("$@")
  check "$name" '! "$bin" create dkg "${args[@]}" --output-dir "$dir/bad" 2>"$dir/err" && grep -q -- "$want" "$dir/err" && [ ! -e "$dir/bad" ] || { cat "$dir/err"; false; }'
}
two=$(echo "$enrs" | cut -d, -f1,2)
bad "threshold below 2" "below the minimum of 2" "${base[@]}" --threshold 1
bad "threshold above operators" "exceeds the number of operators" "${base[@]}" --threshold 5
bad "too few operators" "at least 3 are needed" --operator-enrs "$two" --network hoodi --withdrawal-addresses $W --fee-recipient-addresses $F
bad "invalid ENR" "operator 1: invalid ENR" --operator-enrs "$(echo "$enrs" | cut -d, -f1),enr:xyz,$(echo "$enrs" | cut -d, -f3,4)" --network hoodi --withdrawal-addresses $W --fee-recipient-addresses $F
bad "duplicate ENR" "have the same node key" --operator-enrs "$enrs,$(echo "$enrs" | cut -d, -f1)" --network hoodi --withdrawal-addresses $W --fee-recipient-addresses $F
bad "withdrawal not checksummed" "did you mean 0x000000000000000000000000000000000000dEaD" --operator-enrs "$enrs" --network hoodi --withdrawal-addresses 0x000000000000000000000000000000000000dead --fee-recipient-addresses $F
bad "zero address on mainnet" "zero address is forbidden on mainnet" --operator-enrs "$enrs" --network mainnet --withdrawal-addresses 0x0000000000000000000000000000000000000000 --fee-recipient-addresses $F
bad "address count" "one per validator" "${base[@]/$F/$F,$F,$F}" --num-validators 2
bad "missing withdrawal addresses" "withdrawal-addresses is required" --operator-enrs "$enrs" --network hoodi --fee-recipient-addresses $F
bad "malformed fee recipient" "is not an address" --operator-enrs "$enrs" --network hoodi --withdrawal-addresses $W --fee-recipient-addresses 0x12
bad "deposit sum below 32" "at least 32 ETH" "${base[@]}" --deposit-amounts 16,8
bad "deposit above 32 without compounding" "without compounding" "${base[@]}" --deposit-amounts 64
bad "deposit not a number" "whole number of ETH" "${base[@]}" --deposit-amounts 32,x
bad "zero target gas limit" "target-gas-limit" "${base[@]}" --target-gas-limit 0
bad "unknown network" "unknown network" --operator-enrs "$enrs" --network moonnet --withdrawal-addresses $W --fee-recipient-addresses $F
bad "unsupported consensus protocol" "unsupported protocol" "${base[@]}" --consensus-protocol abft
bad "unknown dkg algorithm" "dkg-algorithm" "${base[@]}" --dkg-algorithm magic
bad "no validators" "num-validators" "${base[@]}" --num-validators 0
bad "operator ENRs required" "operator-enrs" --network hoodi --withdrawal-addresses $W --fee-recipient-addresses $F

# 3. Charon's own examples: every lock and definition verifies; a tampered one does not.
for f in "$vectors"/examples/cluster-lock-*.json; do
  check "lock verify $(basename "$f")" '"$bin" lock verify --lock "$f" > "$dir/l.out" || { cat "$dir/l.out"; false; }'
done
check "v1.1 lock says what was not verified" '"$bin" lock verify --lock "$vectors/examples/cluster-lock-000.json" | grep -q "node signatures: *not in this version"'
check "v1.7 lock with empty deposit data" '"$bin" lock verify --lock "$vectors/examples/cluster-lock-003.json" | grep -q "deposit data: *absent"'
for f in "$vectors"/examples/cluster-definition-*.json; do
  check "definition verify $(basename "$f")" '"$bin" definition verify --definition-file "$f" > "$dir/d.out" || { cat "$dir/d.out"; false; }'
done
sed 's/"lastTestHopefully"/"lastTestHopefully!"/' "$vectors/examples/cluster-definition-000.json" > "$dir/tampered.json"
check "tampered definition fails on its hash" '! "$bin" definition verify --definition-file "$dir/tampered.json" 2>"$dir/e" >/dev/null && grep -q "config_hash" "$dir/e"'
check "garbage definition" 'echo "{" > "$dir/g.json" && ! "$bin" definition verify --definition-file "$dir/g.json" 2>/dev/null'

# 4. Differential: an independently hashed and signed v1.11 definition (EOAs + a Safe multisig).
if [ -d "$here/tests/oracle/node_modules" ]; then
  check "oracle signs" 'node "$here/tests/oracle/cluster_sign.mjs" "$def" "$dir/signed.json" >/dev/null'
  check "signed v1.11 verifies: EOAs valid, Safe unverifiable offline" '"$bin" definition verify --definition-file "$dir/signed.json" > "$dir/s.out" && [ "$(grep -c "signature valid" "$dir/s.out")" = 7 ] && [ "$(grep -c "unverifiable offline.*2 concatenated signatures" "$dir/s.out")" = 2 ] || { cat "$dir/s.out"; false; }'
  check "oracle signs a wrong config hash" 'node "$here/tests/oracle/cluster_sign.mjs" "$def" "$dir/bad.json" --bad-operator 2 >/dev/null'
  check "an invalid EOA signature is named" '! "$bin" definition verify --definition-file "$dir/bad.json" >"$dir/b.out" 2>"$dir/e" && grep -q "operator 2 .*config_signature INVALID" "$dir/b.out" && grep -q "operator 2" "$dir/e"'
else
  echo "FAIL: tests/oracle/node_modules missing (run scripts/npm-oracles.sh)"; fails=$((fails+1))
fi
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
