#!/usr/bin/env bash
# CLI behaviour of `phalanx create enr` / `phalanx enr`: key file mode, stable ENR, no overwrite, clear errors.
set -euo pipefail
bin="$1"; dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fails=0; passes=0
check() { if eval "$2"; then passes=$((passes+1)); else echo "FAIL: $1"; fails=$((fails+1)); fi; }
out=$("$bin" create enr --data-dir "$dir/n0")
enr1=$(echo "$out" | tail -1)
check "prints an ENR" '[[ "$enr1" == enr:-* ]]'
check "key file is 0600" '[ "$(stat -c %a "$dir/n0/charon-enr-private-key")" = 600 ]'
check "key file is 64 hex digits" '[[ "$(cat "$dir/n0/charon-enr-private-key")" =~ ^[0-9a-f]{64}$ ]]'
check "enr reproduces the same record" '[ "$("$bin" enr --data-dir "$dir/n0")" = "$enr1" ]'
key_before=$(cat "$dir/n0/charon-enr-private-key")
check "refuses to overwrite" '! "$bin" create enr --data-dir "$dir/n0" 2>"$dir/err"'
check "overwrite error is clear" 'grep -q "already exists" "$dir/err"'
check "key unchanged after refusal" '[ "$(cat "$dir/n0/charon-enr-private-key")" = "$key_before" ]'
check "missing key is a clear error" '! "$bin" enr --data-dir "$dir/none" 2>"$dir/err2" && grep -q "not found" "$dir/err2"'
echo "zz" > "$dir/bad"; mkdir -p "$dir/n1"; cp "$dir/bad" "$dir/n1/charon-enr-private-key"
check "malformed key is a clear error" '! "$bin" enr --data-dir "$dir/n1" 2>"$dir/err3" && grep -qi "hex" "$dir/err3"'
check "--force replaces" '"$bin" create enr --data-dir "$dir/n0" --force >/dev/null && [ "$(cat "$dir/n0/charon-enr-private-key")" != "$key_before" ]'
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
