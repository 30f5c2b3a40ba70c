#!/usr/bin/env bash
# Compares Phalanx's BLS12-381 (bench/bls/bls_bench, Google Benchmark) with native blst (@chainsafe/blst via
# bench/blst_bench.mjs) in one invocation, because the machines are noisy. Prints a Markdown table:
# operation | ours | blst | ours/blst (µs per operation, medians of wall-clock time by default), then the same
# with CPU time (steadier when other work shares the machine). Rows without a blst
# counterpart in @chainsafe/blst (hash-to-G2, Lagrange recombination) show n/a.
# Environment:
#   BLS_BENCH        path of bls_bench            (default: build/ci/bench/bls/bls_bench)
#   BLS_BENCH_REPS   Google Benchmark repetitions (default: 5)
#   BLST_ARGS        extra arguments for blst_bench.mjs (e.g. --quick)
#   BLS_COMPARE_STAT median (default) or min: with min, each side reports its fastest sample (ours: fastest of
#                    BLS_BENCH_REPS short repetitions of BLS_MIN_TIME seconds, default 0.02; blst: fastest of
#                    its samples), the steadier figure on a machine shared with other work
#   BLS_COMPARE_ROUNDS  run ours then blst this many times (default 1); min mode keeps each side's fastest,
#                    median mode the median of the rounds' medians
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BLS_BENCH=${BLS_BENCH:-$ROOT/build/ci/bench/bls/bls_bench}
REPS=${BLS_BENCH_REPS:-5}
STAT=${BLS_COMPARE_STAT:-median}
ROUNDS=${BLS_COMPARE_ROUNDS:-1}
case "$STAT" in median | min) ;; *)
  echo "compare_blst: BLS_COMPARE_STAT must be median or min" >&2
  exit 2
  ;;
esac
if [ ! -x "$BLS_BENCH" ]; then
  echo "compare_blst: $BLS_BENCH not found (build target bls_bench, or set BLS_BENCH)" >&2
  exit 2
fi

# Our benchmark for each row: "operation|regex of our benchmark name|blst JSON key|divide ours by".
ROWS=(
  "sign|^BM_Sign$|sign_us|1"
  "verify|^BM_Verify$|verify_us|1"
  "verify, blst without its pk/sig group checks (ours: decoded points)|^BM_Verify$|verify_nocheck_us|1"
  "aggregate verify, 8 distinct messages|^BM_AggregateVerify/8$|aggregate_verify_8_us|1"
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
ours_args=(--benchmark_filter="$filter" --benchmark_format=json --benchmark_repetitions="$REPS")
blst_args=()
if [ "$STAT" = min ]; then
  ours_args+=(--benchmark_min_time="${BLS_MIN_TIME:-0.02}")
  blst_args+=(--min)
fi
for ((round = 0; round < ROUNDS; ++round)); do
  "$BLS_BENCH" "${ours_args[@]}" >"$tmp/ours$round.json" 2>"$tmp/ours.err" || {
    cat "$tmp/ours.err" >&2
    exit 1
  }
  # shellcheck disable=SC2086
  node "$ROOT/bench/blst_bench.mjs" "${blst_args[@]}" ${BLST_ARGS:-} >"$tmp/blst$round.json"
done

python3 - "$tmp" "$ROUNDS" "$STAT" "${ROWS[@]}" <<'PY'
import json, os, re, statistics, sys
tmp, rounds, stat = sys.argv[1], int(sys.argv[2]), sys.argv[3]
pick = min if stat == "min" else statistics.median
ours_runs = [json.load(open(os.path.join(tmp, f"ours{r}.json"))) for r in range(rounds)]
blst_runs = [json.load(open(os.path.join(tmp, f"blst{r}.json"))) for r in range(rounds)]
scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
# Ours: every repetition of every round; the statistic within a round, then across rounds (min of mins, or median
# of the rounds' medians).
per_round, per_round_cpu = [], []
for ours in ours_runs:
    wall, cpu = {}, {}
    for b in ours["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        name = b.get("run_name", b["name"])
        wall.setdefault(name, []).append(b["real_time"] * scale[b["time_unit"]])
        cpu.setdefault(name, []).append(b["cpu_time"] * scale[b["time_unit"]])
    per_round.append({n: pick(v) for n, v in wall.items()})
    per_round_cpu.append({n: pick(v) for n, v in cpu.items()})
median = {n: pick([r[n] for r in per_round if n in r]) for n in per_round[0]}
median_cpu = {n: pick([r[n] for r in per_round_cpu if n in r]) for n in per_round_cpu[0]}
blst = {}
for k in blst_runs[0]:
    vals = [b[k] for b in blst_runs if isinstance(b.get(k), (int, float))]
    blst[k] = pick(vals) if vals and k not in ("samples",) else blst_runs[0][k]
ctx = ours_runs[0].get("context", {})
print(f"bls_bench: {ctx.get('date', '?')}, {ctx.get('num_cpus', '?')} CPUs @ {ctx.get('mhz_per_cpu', '?')} MHz, "
      f"load {[round(x, 1) for x in ctx.get('load_avg', [])]}; blst: {blst.get('impl')}, {blst.get('samples')} samples; "
      f"statistic: {stat} over {rounds} round(s) of ours then blst; "
      f"blst batch verify used {blst.get('batch_verify_cpu_over_wall', '?')}x CPU time over wall time")
print()
print("| operation | ours (µs) | blst (µs) | ours/blst | ours CPU (µs) | blst CPU (µs) | CPU ratio |")
print("|---|---:|---:|---:|---:|---:|---:|")
fmt = lambda v: "n/a" if v is None else f"{v:,.1f}"
rat = lambda a, b: f"{a / b:.2f}" if a is not None and b else "n/a"
for row in sys.argv[4:]:
    op, pat, key, div = row.split("|")
    mine = next((v / float(div) for n, v in median.items() if re.search(pat, n)), None)
    mine_cpu = next((v / float(div) for n, v in median_cpu.items() if re.search(pat, n)), None)
    theirs = blst.get(key) if key != "-" else None
    theirs_cpu = blst.get(key.replace("_us", "_cpu_us")) if key != "-" else None
    print(f"| {op} | {fmt(mine)} | {fmt(theirs)} | {rat(mine, theirs)} | {fmt(mine_cpu)} | {fmt(theirs_cpu)} | "
          f"{rat(mine_cpu, theirs_cpu)} |")
PY
