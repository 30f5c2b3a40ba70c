#!/usr/bin/env bash
# Compares Phalanx's BLS12-381 (bench/bls/bls_bench, Google Benchmark) with native blst (@chainsafe/blst via
# bench/blst_bench.mjs) in one invocation, because the machines are noisy. Prints a Markdown table:
# operation | ours | blst | ours/blst (µs per operation, medians of wall-clock time), then the same with
# CPU time (steadier when other work shares the machine). Rows without a blst
# counterpart in @chainsafe/blst (hash-to-G2, Lagrange recombination) show n/a.
# Environment:
#   BLS_BENCH        path of bls_bench            (default: build/ci/bench/bls/bls_bench)
#   BLS_BENCH_REPS   Google Benchmark repetitions (default: 5; the median is used)
#   BLST_ARGS        extra arguments for blst_bench.mjs (e.g. --quick)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BLS_BENCH=${BLS_BENCH:-$ROOT/build/ci/bench/bls/bls_bench}
REPS=${BLS_BENCH_REPS:-5}
if [ ! -x "$BLS_BENCH" ]; then
  echo "compare_blst: $BLS_BENCH not found (build target bls_bench, or set BLS_BENCH)" >&2
  exit 2
fi

# Our benchmark for each row: "operation|regex of our benchmark name|blst JSON key|divide ours by".
ROWS=(
  "sign|^BM_Sign$|sign_us|1"
  "verify|^BM_Verify$|verify_us|1"
  "hash-to-G2|^BM_HashToG2$|hash_to_g2_us|1"
  "batch verify, 64 distinct (per signature)|^BM_BatchVerify/64$|batch_verify_64_per_sig_us|64"
  "batch verify, 64 distinct, 2 threads like blst (per signature)|^BM_BatchVerifyTwoThreads/64/real_time$|batch_verify_64_per_sig_us|64"
  "same-message check of 3 partials, from bytes|^BM_SameMessageVerifyFromBytes/3$|same_message_verify_3_us|1"
  "same-message check of 11 partials, from bytes|^BM_SameMessageVerifyFromBytes/11$|same_message_verify_11_us|1"
  "same-message check of 3 partials, decoded points|^BM_SameMessageVerify/3$|-|1"
  "same-message check of 11 partials, decoded points|^BM_SameMessageVerify/11$|-|1"
  "recombine 3-of-4 (Lagrange-weighted G2 MSM, cached coefficients)|^BM_Recombine/3of4$|-|1"
  "recombine 11-of-16 (Lagrange-weighted G2 MSM, cached coefficients)|^BM_Recombine/11of16$|-|1"
)
filter=""
for row in "${ROWS[@]}"; do
  IFS='|' read -r _ re _ _ <<<"$row"
  re=${re#^}; re=${re%$}
  filter="${filter:+$filter|}^${re}\$"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$BLS_BENCH" --benchmark_filter="$filter" --benchmark_format=json --benchmark_repetitions="$REPS" \
  --benchmark_report_aggregates_only=true >"$tmp/ours.json" 2>"$tmp/ours.err" || {
  cat "$tmp/ours.err" >&2
  exit 1
}
# shellcheck disable=SC2086
node "$ROOT/bench/blst_bench.mjs" ${BLST_ARGS:-} >"$tmp/blst.json"

python3 - "$tmp/ours.json" "$tmp/blst.json" "${ROWS[@]}" <<'PY'
import json, re, sys
ours = json.load(open(sys.argv[1]))
blst = json.load(open(sys.argv[2]))
scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
median, median_cpu = {}, {}
for b in ours["benchmarks"]:
    if b.get("aggregate_name") == "median" or ("aggregate_name" not in b and b["name"] not in median):
        median[b.get("run_name", b["name"])] = b["real_time"] * scale[b["time_unit"]]
        median_cpu[b.get("run_name", b["name"])] = b["cpu_time"] * scale[b["time_unit"]]
ctx = ours.get("context", {})
print(f"bls_bench: {ctx.get('date', '?')}, {ctx.get('num_cpus', '?')} CPUs @ {ctx.get('mhz_per_cpu', '?')} MHz, "
      f"load {[round(x, 1) for x in ctx.get('load_avg', [])]}; blst: {blst.get('impl')}, {blst.get('samples')} samples; "
      f"blst batch verify used {blst.get('batch_verify_cpu_over_wall', '?')}x CPU time over wall time")
print()
print("| operation | ours (µs) | blst (µs) | ours/blst | ours CPU (µs) | blst CPU (µs) | CPU ratio |")
print("|---|---:|---:|---:|---:|---:|---:|")
fmt = lambda v: "n/a" if v is None else f"{v:,.1f}"
rat = lambda a, b: f"{a / b:.2f}" if a is not None and b else "n/a"
for row in sys.argv[3:]:
    op, pat, key, div = row.split("|")
    mine = next((v / float(div) for n, v in median.items() if re.search(pat, n)), None)
    mine_cpu = next((v / float(div) for n, v in median_cpu.items() if re.search(pat, n)), None)
    theirs = blst.get(key) if key != "-" else None
    theirs_cpu = blst.get(key.replace("_us", "_cpu_us")) if key != "-" else None
    print(f"| {op} | {fmt(mine)} | {fmt(theirs)} | {rat(mine, theirs)} | {fmt(mine_cpu)} | {fmt(theirs_cpu)} | "
          f"{rat(mine_cpu, theirs_cpu)} |")
PY
