#!/usr/bin/env bash
# End to end: create cluster → lock verify → combine → recovered keys equal the originals (split-existing-keys),
# plus file modes, refusal to overwrite, clear errors that write nothing, and an npm differential check
# (@chainsafe/bls-keystore decrypts our keystores, @lodestar/types agrees on deposit roots).
set -euo pipefail
bin="$1"; here="$(cd "$(dirname "$0")/../.." && pwd)"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fails=0; passes=0
check() { if eval "$2"; then passes=$((passes+1)); else echo "FAIL: $1"; fails=$((fails+1)); fi; }
W=0x000000000000000000000000000000000000dead; F=0x1111111111111111111111111111111111111111
common=(--network hoodi --withdrawal-addresses $W --fee-recipient-addresses $F --insecure-keys)

# 1. A cluster with fresh keys; combine it to get plain validator keystores to split later.
check "create cluster A" '"$bin" create cluster --nodes 4 --num-validators 3 --cluster-dir "$dir/a" "${common[@]}" >/dev/null 2>"$dir/a.err"'
# Progress (issue 18): plain log lines when stderr is not a terminal (a line per 10 % as the encrypting threads
# report, then the total and rate; twelve test keystores are done before the first report, so only the total is sure).
check "create cluster logs progress" 'grep -q "create cluster: key shares encrypted: 12 in .* (.*/s)" "$dir/a.err" && ! grep -v "^create cluster: key shares encrypted: " "$dir/a.err" | grep -q .'
check "combine A" '"$bin" combine --cluster-dir "$dir/a" --output-dir "$dir/keys" --insecure-keys >/dev/null 2>"$dir/ca.err"'
check "combine logs progress" 'grep -q "combine: key shares decrypted: 12 in " "$dir/ca.err" && grep -q "combine: validator keys encrypted: 3/3 (100 %)" "$dir/ca.err"'
# On a terminal (a pty from script(1)): one line rewritten with \r, ended by the closing line.
if command -v script >/dev/null; then
  script -qec "\"$bin\" combine --cluster-dir \"$dir/a\" --output-dir \"$dir/keys-tty\" --insecure-keys" /dev/null > "$dir/tty.out" 2>&1 || true
  check "combine on a terminal rewrites its progress line" 'grep -q $'"'"'\rcombine: key shares decrypted: 12/12 (100 %)'"'"' "$dir/tty.out" && grep -q "combine: validator keys encrypted: 3 in " "$dir/tty.out" && [ -f "$dir/keys-tty/keystore-2.json" ]'
fi
check "combine wrote 3 keystores" '[ "$(ls "$dir/keys" | grep -c "^keystore-[0-9]*\.json$")" = 3 ]'

# 2. Split those keys into a new 3-of-4 cluster.
check "create cluster B from existing keys" '"$bin" create cluster --nodes 4 --threshold 3 --split-existing-keys --split-keys-dir "$dir/keys" --cluster-dir "$dir/b" "${common[@]}" --deposit-amounts 1,31 > "$dir/b.out"'
want=$(python3 -c "import json,glob,sys; print(' '.join(sorted('0x'+json.load(open(f))['pubkey'] for f in glob.glob('$dir/keys/keystore-*.json'))))")
got=$(python3 -c "import json; l=json.load(open('$dir/b/node0/cluster-lock.json')); print(' '.join(sorted(v['distributed_public_key'] for v in l['distributed_validators'])))")
check "split keys keep their public keys" '[ "$want" = "$got" ]'
check "lock verify accepts B" '"$bin" lock verify --lock "$dir/b/node2/cluster-lock.json" >/dev/null'
check "writes schema v1.11.0 by default" 'grep -q "\"version\": \"v1.11.0\"" "$dir/b/node0/cluster-lock.json"'
check "--schema-version v1.10.0" '"$bin" create cluster --nodes 3 --schema-version v1.10.0 --cluster-dir "$dir/v10" "${common[@]}" >/dev/null && grep -q "\"version\": \"v1.10.0\"" "$dir/v10/node0/cluster-lock.json" && "$bin" lock verify --lock "$dir/v10/node1/cluster-lock.json" >/dev/null'
check "unsupported --schema-version" '! "$bin" create cluster --nodes 3 --schema-version v1.9.0 --cluster-dir "$dir/v9" "${common[@]}" 2>"$dir/e9" && grep -q "v1.11.0 (default) or v1.10.0" "$dir/e9" && [ ! -e "$dir/v9" ]'
check "enr key is 0600" '[ "$(stat -c %a "$dir/b/node1/charon-enr-private-key")" = 600 ]'
check "keystore is 0600" '[ "$(stat -c %a "$dir/b/node1/validator_keys/keystore-0.json")" = 600 ]'
check "password file is 0400" '[ "$(stat -c %a "$dir/b/node1/validator_keys/keystore-0.txt")" = 400 ]'
check "partial deposit files" '[ -f "$dir/b/node0/deposit-data-1eth.json" ] && [ -f "$dir/b/node0/deposit-data-31eth.json" ]'

# 3. Tampering is caught with a precise reason.
python3 - "$dir/b/node0/cluster-lock.json" "$dir/tampered.json" <<'PY'
import json,sys
l=json.load(open(sys.argv[1])); s=l['node_signatures'][2]; l['node_signatures'][2]=l['node_signatures'][1]
json.dump(l,open(sys.argv[2],'w'),indent=1)
PY
check "lock verify rejects a swapped node signature" '! "$bin" lock verify --lock "$dir/tampered.json" >/dev/null 2>"$dir/err" && grep -q "operator 2" "$dir/err"'

# 4. Combine from 3 of 4 nodes recovers the original keys; 2 of 4 is refused.
mkdir -p "$dir/three" "$dir/two"; cp -r "$dir/b/node0" "$dir/b/node2" "$dir/b/node3" "$dir/three/"; cp -r "$dir/b/node1" "$dir/b/node3" "$dir/two/"
check "combine from 3 of 4" '"$bin" combine --cluster-dir "$dir/three" --output-dir "$dir/recovered" --insecure-keys >/dev/null'
rec=$(python3 -c "import json,glob; print(' '.join(sorted('0x'+json.load(open(f))['pubkey'] for f in glob.glob('$dir/recovered/keystore-*.json'))))")
check "recovered keys equal the originals" '[ "$rec" = "$want" ]'
check "combine refuses 2 of 4" '! "$bin" combine --cluster-dir "$dir/two" --output-dir "$dir/nope" 2>"$dir/err2" && grep -q "threshold is 3" "$dir/err2" && [ ! -e "$dir/nope" ]'

# 5. Bad input: clear errors, nothing written; no overwrite without --force.
check "threshold above nodes" '! "$bin" create cluster --nodes 4 --threshold 5 --cluster-dir "$dir/c" "${common[@]}" 2>"$dir/e3" && grep -q "exceeds" "$dir/e3" && [ ! -e "$dir/c" ]'
check "unknown network" '! "$bin" create cluster --nodes 4 --network moon --withdrawal-addresses $W --fee-recipient-addresses $F --cluster-dir "$dir/c" 2>"$dir/e4" && grep -q "unknown network" "$dir/e4" && [ ! -e "$dir/c" ]'
check "malformed address" '! "$bin" create cluster --nodes 4 --network hoodi --withdrawal-addresses 0x12 --fee-recipient-addresses $F --cluster-dir "$dir/c" 2>"$dir/e5" && grep -q "not an address" "$dir/e5" && [ ! -e "$dir/c" ]'
check "refuses to overwrite a cluster" '! "$bin" create cluster --nodes 4 --cluster-dir "$dir/b" "${common[@]}" 2>"$dir/e6" && grep -q "force" "$dir/e6"'
check "lock verify on garbage" 'echo "{" > "$dir/g.json" && ! "$bin" lock verify --lock "$dir/g.json" 2>/dev/null'

# 6. Differential: independent npm implementations read what we wrote.
if [ -d "$here/tests/oracle/node_modules" ]; then
  check "npm oracles accept keystores and deposit data" 'node "$here/tests/oracle/cluster_check.mjs" "$dir/b/node0" "$dir/recovered" > "$dir/oracle.out" || { cat "$dir/oracle.out"; false; }'
else
  echo "FAIL: tests/oracle/node_modules missing (run scripts/npm-oracles.sh)"; fails=$((fails+1))
fi
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
