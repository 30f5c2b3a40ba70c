#!/usr/bin/env bash
# Fuzz campaigns with libFuzzer (clang-19, ASan + UBSan): runs each fuzz target for SECONDS on a copy of its seed
# corpus (fuzz/corpus/<target>/), then merges the smallest set of its inputs that reaches every edge they reach back into the seed corpus (kept in
# the repository, so every CI run replays them: <target>_replay). One line per target goes to the results table
# (tab-separated): target, seconds, executions, executions per second, edges covered (cov), features (ft), corpus
# files before and after the merge, peak RSS in MB, crashes. A crash, leak, timeout or out-of-memory input is kept in
# build/fuzz/artifacts/<target>/ and makes the script exit 1 (each becomes a regression test: copy it into the
# seed corpus once fixed).
#
# Usage: scripts/fuzz-campaign.sh [--seconds N] [--jobs J] [--no-build] [--no-merge] [--results FILE] [TARGET...]
#   default: every target of build/fuzz (37), 600 s each, 2 at a time, results in build/fuzz/campaign.tsv.
#   The network-facing targets for an hour each:
#   scripts/fuzz-campaign.sh --seconds 3600 p2p_frame_fuzz qbft_message_fuzz dv_qbft_frame_fuzz \
#     dv_parsig_frame_fuzz core_parsig_fuzz vapi_body_fuzz http_request_fuzz cluster_lock_json_fuzz keystore_json_fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=600; jobs=2; build=1; merge=1; results=build/fuzz/campaign.tsv; targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --no-merge) merge=0; shift ;;
    --results) results="$2"; shift 2 ;;
    -h|--help) sed -n 2,15p "$0"; exit 0 ;;
    -*) echo "fuzz-campaign: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
case "$seconds$jobs" in *[!0-9]*) echo "fuzz-campaign: --seconds and --jobs take whole numbers" >&2; exit 2 ;; esac

if [ "$build" = 1 ]; then
  if ! command -v clang++-19 >/dev/null; then
    [ "$(id -u)" = 0 ] || { echo "fuzz-campaign: clang-19 missing; run as root to install it" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y clang-19 libclang-rt-19-dev >/dev/null
  fi
  ./scripts/install-deps.sh >/dev/null
  cmake --preset fuzz >/dev/null
fi
all=$(ninja -C build/fuzz -t targets all | sed -n 's/^\([a-z0-9_]*_fuzz\): .*/\1/p' | sort -u)
[ ${#targets[@]} -gt 0 ] || mapfile -t targets <<<"$all"
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$all" || { echo "fuzz-campaign: no fuzz target $t" >&2; exit 2; }
done
[ "$build" = 0 ] || ninja -C build/fuzz "${targets[@]}"

mkdir -p "$(dirname "$results")"
[ -s "$results" ] || printf 'target\tseconds\texecs\texecs_per_s\tcov\tft\tcorpus_before\tcorpus_after\tpeak_rss_mb\tcrashes\tfinished_utc\n' > "$results"

one() {
  local t="$1" seconds="$2" merge="$3" results="$4"
  local bin seed work art log
  bin=$(find build/fuzz -type f -name "$t" -perm -u+x | head -1)
  seed="fuzz/corpus/$t"; work="build/fuzz/campaign/$t"; art="build/fuzz/artifacts/$t"; log="build/fuzz/campaign/$t.log"
  mkdir -p "$seed" "$art"; rm -rf "$work"; mkdir -p "$work"
  cp -r "$seed/." "$work/" 2>/dev/null || true
  local before; before=$(find "$seed" -type f | wc -l)
  touch "$work.start"
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a decoder must not need more than 2 GiB.
  set +e
  "$bin" "$work" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$art/" >"$log" 2>&1
  set -e
  local execs rss last cov ft crashes after
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last"); ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  # Only this run's findings: the directory keeps earlier runs' inputs (each to become a seed once fixed).
  crashes=$(find "$art" -type f -newer "$work.start" \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  if [ "$merge" = 1 ] && [ "$crashes" = 0 ]; then
    # The smallest set of the new inputs that reaches every edge they reach (hit counts aside): a few hundred
    # files at most, so that the repository and CI's replays stay small; the full corpus stays in $work.
    "$bin" -set_cover_merge=1 -use_counters=0 "$seed" "$work" >"$log.merge" 2>&1 || true
  fi
  after=$(find "$seed" -type f | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$seconds" "${execs:-0}" \
    "$(( ${execs:-0} / (seconds > 0 ? seconds : 1) ))" "${cov:-?}" "${ft:-?}" "$before" "$after" "${rss:-?}" \
    "$crashes" "$(date -u +%FT%TZ)" >> "$results"
  echo "fuzz-campaign: $t: ${execs:-0} executions in ${seconds} s, cov ${cov:-?}, ft ${ft:-?}, corpus $before -> $after, crashes $crashes"
}
export -f one
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'one "$@"' _ {} "$seconds" "$merge" "$results"
bad=$(find build/fuzz/artifacts -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) 2>/dev/null | wc -l)
echo "fuzz-campaign: results in $results; $bad crash/leak/timeout/oom inputs in build/fuzz/artifacts"
[ "$bad" = 0 ]
