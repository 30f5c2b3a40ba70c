#!/usr/bin/env bash
# Scale (issue 20): `phalanx devnet` with 10,000 validators among 1,000,000 simulated ones, 12-s slots, for two
# epochs (64 slots, ~13 min plus cluster creation and key loading), in the given mode (embedded or vc). Passes
# when ≥ 99.9 % of the exact duties completed, nothing was rejected and every node's peak RSS ≤ 256 MiB.
# Label slow: run on demand (`ctest -L slow -R devnet_scale`), results in docs/BENCHMARKS.md.
set -euo pipefail
bin="$1"; mode="${2:-embedded}"; validators="${3:-10000}"; slots="${4:-64}"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
set +e
# Genesis 30 s per 1,000 validators ahead: four nodes (and in vc mode four VC simulators) verify the lock's
# 2 signatures per validator and decrypt their keystores on the same 2 cores before the first slot.
delay=$(( (validators + 999) / 1000 * 30 )); [ "$delay" -lt 20 ] && delay=20
/usr/bin/time -v "$bin" devnet --mode "$mode" --validators "$validators" --total-validators 1000000 \
  --genesis-delay "${delay}s" --slots "$slots" --slot-duration 12s --report "$dir/report.json" --dir "$dir/net" > "$dir/out" 2> "$dir/time"
r=$?
set -e
tail -40 "$dir/out"
grep -E "Maximum resident|User time|System time|Elapsed" "$dir/time" | sed 's/^/devnet process: /'
python3 - "$dir/report.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
exact = [r for r in d["duties"] if not r["expected_is_upper_bound"]]
exp = sum(r["expected"] for r in exact)
done = sum(min(r["completed"], r["expected"]) for r in exact)
rej = sum(r["rejected"] for r in d["duties"])
rss = {k: v["peak_rss_mb"] for k, v in d.get("resources", {}).items()}
share = done / exp if exp else 0
print(f"exact duties {done}/{exp} = {100*share:.3f} %, rejected {rej}, peak RSS MiB {rss}")
bad = share < 0.999 or rej != 0 or any(v > 256 for k, v in rss.items() if k.startswith("node"))
sys.exit(1 if bad else 0)
PY
