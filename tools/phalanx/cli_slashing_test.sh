#!/usr/bin/env bash
# `phalanx slashing export|import`: every EIP-3076 vector (tests/vectors/slashing_interchange) imported through
# the CLI is accepted or refused as the case says; export → import into a fresh data dir → export is the same
# document; another chain is refused naming both roots; an older file never lowers a watermark; written files
# are 0600; missing/corrupt files and a data dir held by a running node are refused with a message, no crash.
set -euo pipefail
bin="$1"
vectors="$2"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fails=0; passes=0
check() { if eval "$2"; then passes=$((passes+1)); else echo "FAIL: $1"; cat "$dir/err" 2>/dev/null; fails=$((fails+1)); fi; }
rc() { set +e; "$@" >"$dir/out" 2>"$dir/err"; local r=$?; set -e; echo $r; }
mode() { stat -c %a "$1"; }
# pj FILE EXPR: prints the Python expression EXPR over the JSON document d of FILE (lists/dicts as JSON, bools as
# true/false). sql DB QUERY: rows as a|b|c. (python3 as in devnet_test.sh; no jq or sqlite3 CLI needed.)
pj() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(v if isinstance(v,(str,int)) and not isinstance(v,bool) else json.dumps(v))' "$1" "$2"; }
with_root() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["metadata"]["genesis_validators_root"]=sys.argv[2]; print(json.dumps(d))' "$1" "$2"; }
sql() { python3 -c 'import sqlite3,sys; print("\n".join("|".join(str(c) for c in r) for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])))' "$1" "$2"; }
zero=0x0000000000000000000000000000000000000000000000000000000000000000
other=0x1111111111111111111111111111111111111111111111111111111111111111
pk=0xb845089a1457f811bfc000588fbb4e713669be8ce060ea6be3c6ece09afc3794106c91ca73acda5e5457122d58723bed

# --- Every interchange test case, step by step, into one data dir per case. The case's genesis_validators_root
# stands in for the cluster lock (the vectors' chain is no built-in network).
# Every imported history survives export → fresh import → export unchanged.
round_trip() {  # case name, its genesis_validators_root
  local name="$1" gvr="$2"
  [ -f "$dir/v/$name/slashing.sqlite" ] || return 0
  "$bin" slashing export --data-dir "$dir/v/$name" --output "$dir/$name.export.json" 2>/dev/null
  "$bin" slashing import --data-dir "$dir/v2/$name" --input "$dir/$name.export.json" --genesis-validators-root "$gvr" 2>/dev/null
  "$bin" slashing export --data-dir "$dir/v2/$name" > "$dir/$name.export2.json"
  check "$name: export, import, export is the same document" 'cmp -s "$dir/$name.export.json" "$dir/$name.export2.json"'
}
cases=0; steps=0
# One python3 run splits every case into step files and a manifest (python's start-up, ~0.3 s, dominated the run
# when each step asked it three times): NAME GVR STEP WANT FILE_GVR per line.
python3 - "$vectors" "$dir" > "$dir/manifest" <<'PY'
import json, os, sys
vectors, out = sys.argv[1], sys.argv[2]
for f in sorted(os.listdir(vectors)):
    if not f.endswith(".json") or f == "interchange.schema.json":
        continue
    d = json.load(open(os.path.join(vectors, f)))
    name = f[:-5]
    for i, step in enumerate(d["steps"]):
        with open(os.path.join(out, f"{name}.{i}.json"), "w") as w:
            json.dump(step["interchange"], w)
        want = "true" if step["should_succeed"] else "false"
        print(name, d["genesis_validators_root"], i, want, step["interchange"]["metadata"]["genesis_validators_root"])
PY
last=""
while read -r name gvr i want file_gvr; do
  if [ "$name" != "$last" ]; then
    [ -n "$last" ] && round_trip "$last" "$last_gvr"
    cases=$((cases+1)); last="$name"; last_gvr="$gvr"
  fi
  steps=$((steps+1))
  r=$(rc "$bin" slashing import --data-dir "$dir/v/$name" --input "$dir/$name.$i.json" --genesis-validators-root "$gvr")
  if [ "$want" = true ]; then
    check "$name step $i imports" '[ "$r" = 0 ]'
  else
    check "$name step $i refused naming both roots" '[ "$r" = 1 ] && grep -q "$file_gvr" "$dir/err" && grep -q "$gvr" "$dir/err"'
  fi
done < "$dir/manifest"
[ -n "$last" ] && round_trip "$last" "$last_gvr"
check "38 cases consumed" '[ "$cases" = 38 ]'
check "more steps than cases" '[ "$steps" -gt "$cases" ]'

# --- Round trip of a richer history, file permissions.
src="$vectors/multiple_validators_multiple_blocks_and_attestations.json"
pj "$src" 'd["steps"][0]["interchange"]' > "$dir/rich.json"
rich_gvr=$(pj "$src" 'd["genesis_validators_root"]')
check "import into a new data dir" '[ "$(rc "$bin" slashing import --data-dir "$dir/a" --input "$dir/rich.json" --genesis-validators-root "$rich_gvr")" = 0 ] && grep -q "new blocks" "$dir/err"'
check "new database is 0600" '[ "$(mode "$dir/a/slashing.sqlite")" = 600 ]'
check "export to a file" '[ "$(rc "$bin" slashing export --data-dir "$dir/a" --output "$dir/a.json")" = 0 ]'
check "exported file is 0600" '[ "$(mode "$dir/a.json")" = 600 ]'
count='[len(e["signed_blocks"]) for e in d["data"]], [len(e["signed_attestations"]) for e in d["data"]]'
check "export keeps every record" '[ "$(pj "$dir/a.json" "$count")" = "$(pj "$dir/rich.json" "$count")" ]'
check "export refuses to replace a file without --force" '[ "$(rc "$bin" slashing export --data-dir "$dir/a" --output "$dir/a.json")" = 1 ] && grep -q "force" "$dir/err"'
check "export --force replaces it" '[ "$(rc "$bin" slashing export --data-dir "$dir/a" --output "$dir/a.json" --force)" = 0 ]'
check "import from stdin into a fresh dir (root from --genesis-validators-root)" '[ "$(rc "$bin" slashing import --data-dir "$dir/b" --input - --genesis-validators-root "$rich_gvr" < "$dir/a.json")" = 0 ]'
"$bin" slashing export --data-dir "$dir/b" --output "$dir/b.json" 2>/dev/null
check "export, import, export is the same document" 'cmp -s "$dir/a.json" "$dir/b.json"'
check "re-import is idempotent" '[ "$(rc "$bin" slashing import --data-dir "$dir/b" --input "$dir/a.json")" = 0 ] && grep -q "0 new blocks, 0 new attestations" "$dir/err"'

# --- Another chain: refused, naming both roots; nothing imported.
with_root "$dir/a.json" "$other" > "$dir/other-chain.json"
check "file of another chain refused naming both roots" '[ "$(rc "$bin" slashing import --data-dir "$dir/b" --input "$dir/other-chain.json")" = 1 ] && grep -q "$other" "$dir/err" && grep -q "$rich_gvr" "$dir/err"'
check "explicit root disagreeing with the database refused" '[ "$(rc "$bin" slashing import --data-dir "$dir/b" --input "$dir/a.json" --genesis-validators-root "$other")" = 1 ] && grep -q "differs" "$dir/err"'

# --- The cluster lock names the chain of a new data dir (hoodi: its genesis_validators_root is built in).
"$bin" create cluster --nodes 4 --threshold 3 --num-validators 1 --network hoodi --insecure-keys \
  --withdrawal-addresses 0x000000000000000000000000000000000000dEaD \
  --fee-recipient-addresses 0x000000000000000000000000000000000000dEaD --cluster-dir "$dir/cl" >/dev/null
hoodi=0x212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f
with_root "$dir/a.json" "$hoodi" > "$dir/hoodi.json"
check "lock's network root accepts its chain" '[ "$(rc "$bin" slashing import --data-dir "$dir/h" --input "$dir/hoodi.json" --lock-file "$dir/cl/node0/cluster-lock.json")" = 0 ]'
check "lock's network root refuses another chain" '[ "$(rc "$bin" slashing import --data-dir "$dir/h2" --input "$dir/a.json" --lock-file "$dir/cl/node0/cluster-lock.json")" = 1 ] && grep -q "$hoodi" "$dir/err" && grep -q "$rich_gvr" "$dir/err" && [ ! -e "$dir/h2/slashing.sqlite" ]'
check "no database and no lock: asks for the chain" '[ "$(rc "$bin" slashing import --data-dir "$dir/h3" --input "$dir/a.json" --lock-file "$dir/none.json")" = 1 ] && grep -q "genesis-validators-root" "$dir/err"'

# --- An older file never lowers a watermark: the pinned minimum stays, the older records are kept.
doc() {  # gvr, blocks json, attestations json
  printf '{"metadata":{"interchange_format_version":"5","genesis_validators_root":"%s"},"data":[{"pubkey":"%s","signed_blocks":%s,"signed_attestations":%s}]}' "$1" "$pk" "$2" "$3"
}
doc "$zero" '[{"slot":"100"}]' '[{"source_epoch":"10","target_epoch":"20"}]' > "$dir/new.json"
doc "$zero" '[{"slot":"50"}]' '[{"source_epoch":"5","target_epoch":"8"}]' > "$dir/old.json"
"$bin" slashing import --data-dir "$dir/w" --input "$dir/new.json" --genesis-validators-root "$zero" 2>/dev/null
check "older file imports" '[ "$(rc "$bin" slashing import --data-dir "$dir/w" --input "$dir/old.json")" = 0 ] && grep -q "1 new blocks, 1 new attestations" "$dir/err"'
check "watermarks stay at slot 100, epochs 10/20" '[ "$(sql "$dir/w/slashing.sqlite" "SELECT min_slot, min_source, min_target FROM watermarks")" = "100|10|20" ]'
check "older records kept for the surround checks" '[ "$(sql "$dir/w/slashing.sqlite" "SELECT COUNT(*) FROM signed_blocks") $(sql "$dir/w/slashing.sqlite" "SELECT COUNT(*) FROM signed_attestations")" = "2 2" ]'

# --- Bad input: clear errors, exit 1, nothing created.
check "export without a database" '[ "$(rc "$bin" slashing export --data-dir "$dir/empty")" = 1 ] && grep -q "no slashing database" "$dir/err"'
check "missing input file" '[ "$(rc "$bin" slashing import --data-dir "$dir/c" --input "$dir/nope.json" --genesis-validators-root "$zero")" = 1 ] && grep -q "nope.json" "$dir/err"'
printf '{"metadata":{"interchange_format_version":"5"' > "$dir/truncated.json"
check "truncated JSON refused" '[ "$(rc "$bin" slashing import --data-dir "$dir/c" --input "$dir/truncated.json" --genesis-validators-root "$zero")" = 1 ] && grep -q "truncated.json" "$dir/err" && [ ! -e "$dir/c/slashing.sqlite" ]'
doc "$zero" '[{"slot":"01"}]' '[]' > "$dir/leading-zero.json"
check "strict parser names the field" '[ "$(rc "$bin" slashing import --data-dir "$dir/c" --input "$dir/leading-zero.json" --genesis-validators-root "$zero")" = 1 ] && grep -q "signed_blocks\[0\].slot" "$dir/err"'
check "bad root flag exits 2" '[ "$(rc "$bin" slashing import --data-dir "$dir/c" --input "$dir/new.json" --genesis-validators-root 0x12)" = 2 ]'
# The 256-MiB cap: a file above it is refused before it is read (a sparse file), standard input as soon as it passes.
truncate -s $(( (256 << 20) + 1 )) "$dir/huge.json"
check "an interchange file above 256 MiB refused naming the cap" '[ "$(rc "$bin" slashing import --data-dir "$dir/c" --input "$dir/huge.json" --genesis-validators-root "$zero")" = 1 ] && grep -q "huge.json: above the 256-MiB cap" "$dir/err" && [ ! -e "$dir/c/slashing.sqlite" ]'
check "standard input above 256 MiB refused" '[ "$(head -c $(( (256 << 20) + 65536 )) /dev/zero | rc "$bin" slashing import --data-dir "$dir/c" --input - --genesis-validators-root "$zero")" = 1 ] && grep -q "above the 256-MiB cap" "$dir/err" && [ ! -e "$dir/c/slashing.sqlite" ]'
mkdir -p "$dir/corrupt"; head -c 8192 /dev/urandom > "$dir/corrupt/slashing.sqlite"
check "corrupt database refused on export" '[ "$(rc "$bin" slashing export --data-dir "$dir/corrupt")" = 1 ] && grep -q "not a readable slashing database" "$dir/err"'
check "corrupt database refused on import" '[ "$(rc "$bin" slashing import --data-dir "$dir/corrupt" --input "$dir/new.json" --genesis-validators-root "$zero")" = 1 ]'

# --- A running node holds DIR/phalanx.lock from start-up (here: waiting for an unreachable beacon node).
n="$dir/cl/node0"
"$bin" run --lock-file "$n/cluster-lock.json" --private-key-file "$n/charon-enr-private-key" --data-dir "$dir/a" \
  --beacon-node-endpoints http://127.0.0.1:1 --validator-api-address 127.0.0.1:0 --p2p-tcp-address 127.0.0.1:0 \
  --monitoring-address 127.0.0.1:0 >"$dir/run.log" 2>&1 &
pid=$!
for i in $(seq 1 100); do grep -q "not reachable" "$dir/run.log" && break; sleep 0.1; done
check "export refused while a node runs" '[ "$(rc "$bin" slashing export --data-dir "$dir/a" --output "$dir/x.json")" = 1 ] && grep -q "phalanx.lock is held" "$dir/err" && [ ! -e "$dir/x.json" ]'
check "import refused while a node runs" '[ "$(rc "$bin" slashing import --data-dir "$dir/a" --input "$dir/a.json")" = 1 ] && grep -q "stop it first" "$dir/err"'
kill -TERM $pid; wait $pid || true
check "export works once the node stopped" '[ "$(rc "$bin" slashing export --data-dir "$dir/a")" = 0 ]'

echo "phalanx slashing CLI: $passes passed, $fails failed ($cases interchange cases, $steps steps)"
[ "$fails" = 0 ]
