#!/usr/bin/env bash
# End-to-end interop run with Lodestar 1.5.1 (issue 8), one command:
#
#   tests/interop/lodestar/run.sh [--phases vc,dv-vc,dv-embedded] [--phalanx-bin PATH]
#                                 [--default-phalanx-bin PATH]   (CTest: the build's binary, if $PHALANX_BIN unset)
#
# Everything runs inside a private network namespace (loopback only; needs root). Phases, each on a fresh
# `lodestar dev` chain (mainnet preset, Altair at genesis, 8 interop genesis validators, the BN runs none):
#   vc           1 Lodestar VC with the full interop keys → validating proxy → BN   (proves the harness)
#   dv-vc        `phalanx create cluster --split-existing-keys` (4 nodes), 4 `phalanx run --signer vc`, each
#                with a Lodestar VC holding its node's shares; VC → proxy → Phalanx → proxy → BN
#   dv-embedded  the same cluster with `--signer embedded` and no VC
# At the end of each phase the BN's own API is asked whether the validators attested (participation flags),
# proposed, took part in the sync committee, aggregated, and whether the chain finalized; the proxies' logs
# give the Beacon API conformance result. Prints every check, ends with `N passed, N failed`, exits non-zero
# on any failure. The dv-* phases are skipped (with a message) when the phalanx binary has no working `run`.
#
# Environment: PHALANX_BIN (default <repo>/build/ci/bin/phalanx), PHASES (vc,dv-vc,dv-embedded),
# SECONDS_PER_SLOT (vc phase, 2), PHALANX_SECONDS_PER_SLOT (dv phases, 4), MIN_EPOCHS (4), MAX_EPOCHS (8),
# INTEROP_WORKAROUNDS (diagnostic, makes the run fail: genesis-fork-version,fork-schedule),
# BEACON_API_SPEC (v2.4.2 | HEAD | file), PROXY_STRICT (1: every declared property required), INTEROP_WORKDIR (default mktemp), KEEP_WORKDIR=1 keeps logs.
# Exit 77 (CTest SKIP_RETURN_CODE) when not root, or when node/ip are missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"

phases="${PHASES:-vc,dv-vc,dv-embedded}"
phalanx_bin="${PHALANX_BIN:-}"
default_bin="$repo/build/ci/bin/phalanx"
inside=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --phases) phases="$2"; shift 2 ;;
    --phalanx-bin) phalanx_bin="$2"; shift 2 ;;
    --default-phalanx-bin) default_bin="$2"; shift 2 ;;  # used when neither --phalanx-bin nor $PHALANX_BIN
    --inside) inside=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#'; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
phalanx_bin="${phalanx_bin:-$default_bin}"
export PHASES="$phases" PHALANX_BIN="$phalanx_bin"

# ---------------------------------------------------------------------------------------------------------
# Outer part: install, create the namespace, re-run this script inside it, clean up.
if [[ $inside == 0 ]]; then
  for tool in node npm ip curl jq; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool not found"; exit 77; }
  done
  if [[ $(id -u) != 0 ]]; then echo "SKIP: network namespaces need root"; exit 77; fi
  "$here/install.sh"
  export INTEROP_WORKDIR="${INTEROP_WORKDIR:-$(mktemp -d /tmp/phx-interop.XXXXXX)}"
  mkdir -p "$INTEROP_WORKDIR"
  ns="phx-interop-$$"
  cleanup() {
    local rc=$?
    # Every process in the namespace was started by this run.
    local pids
    pids="$(ip netns pids "$ns" 2>/dev/null || true)"
    if [[ -n "$pids" ]]; then
      kill -TERM $pids 2>/dev/null || true
      sleep 2
      pids="$(ip netns pids "$ns" 2>/dev/null || true)"
      [[ -n "$pids" ]] && kill -KILL $pids 2>/dev/null || true
    fi
    ip netns del "$ns" 2>/dev/null || true
    if [[ "${KEEP_WORKDIR:-0}" == 1 || $rc != 0 ]]; then
      echo "logs kept in $INTEROP_WORKDIR"
    else
      rm -rf "$INTEROP_WORKDIR"
    fi
    exit $rc
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  ip netns add "$ns"
  ip netns exec "$ns" ip link set lo up
  echo "network namespace $ns (loopback only), work dir $INTEROP_WORKDIR"
  ip netns exec "$ns" "$0" --inside
  exit $?
fi

# ---------------------------------------------------------------------------------------------------------
# Inner part (inside the namespace).
work="$INTEROP_WORKDIR"
lodestar="$here/node_modules/.bin/lodestar"
proxy="$here/proxy/proxy.mjs"
spec="${BEACON_API_SPEC:-v2.4.2}"
min_epochs="${MIN_EPOCHS:-4}"
max_epochs="${MAX_EPOCHS:-8}"
results="$work/results.txt"
: >"$results"
pids=()
declare -A pname=()   # pid → what it is (for messages)

say() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }
result() {  # result PASS|FAIL|SKIP "phase: check — detail"
  echo "$1 $2" | tee -a "$results"
}
stop_pids() {
  local p
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "$@"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
}
on_exit() {
  ((${#pids[@]})) && stop_pids "${pids[@]}"
  local pass fail
  pass=$(grep -c '^PASS' "$results" || true)
  fail=$(grep -c '^FAIL' "$results" || true)
  echo "$pass passed, $fail failed"
  [[ $fail == 0 && $pass -gt 0 ]]
}
trap on_exit EXIT

wait_http() {  # wait_http URL SECONDS
  local i
  for ((i = 0; i < $2 * 5; ++i)); do
    curl -sf -m 2 -o /dev/null "$1" && return 0
    sleep 0.2
  done
  return 1
}

start_bn() {  # start_bn DIR REST_PORT P2P_PORT SECONDS_PER_SLOT GENESIS_TIME [GENESIS_VALIDATORS [BN_VALIDATORS]]
  # BN_VALIDATORS ("8..15"): interop keys the BN runs itself (never the cluster's 0..7).
  mkdir -p "$1"
  local own=()
  [[ -n "${7:-}" ]] && own=(--startValidators "$7")
  (cd "$1" && exec "$lodestar" dev --preset mainnet --genesisValidators "${6:-8}" "${own[@]}" --genesisTime "$5" \
     --dataDir "$1/data" --rest.address 127.0.0.1 --rest.port "$2" --rest.namespace '*' \
     --listenAddress 127.0.0.1 --port "$3" --mdns false \
     --params.ALTAIR_FORK_EPOCH 0 --params.SECONDS_PER_SLOT "$4" >"$1/bn.log" 2>&1) &
  bn_pid=$!
  pids+=("$bn_pid"); pname[$bn_pid]="beacon node ($1/bn.log)"
}

start_proxy() {  # start_proxy NAME LISTEN_PORT TARGET_URL DIR [EXTRA_ARGS…]
  local strict=()
  [[ "${PROXY_STRICT:-1}" == 1 ]] && strict=(--strict)
  local extra=("${@:5}")
  node "$proxy" --listen "127.0.0.1:$2" --target "$3" --spec "$spec" --name "$1" "${strict[@]}" "${extra[@]}" \
    --violations "$4/violations-$1.jsonl" --traffic "$4/traffic-$1.jsonl" --capture "$4/capture-$1" \
    >"$4/proxy-$1.log" 2>&1 &
  pids+=("$!"); pname[$!]="proxy $1 ($4/proxy-$1.log)"
  wait_http "http://127.0.0.1:$2/eth/v1/node/version" 20 || true
}

start_vc() {  # start_vc DIR BEACON_URL KEYS_DIR PASSWORD_FILE SECONDS_PER_SLOT
  mkdir -p "$1"
  "$lodestar" validator --network dev --preset mainnet --params.ALTAIR_FORK_EPOCH 0 \
    --params.SECONDS_PER_SLOT "$5" --dataDir "$1/data" --beaconNodes "$2" \
    --importKeystores "$3" --importKeystoresPassword "$4" >"$1/vc.log" 2>&1 &
  pids+=("$!"); pname[$!]="Lodestar VC ($1/vc.log)"
}

# Waits until MIN_EPOCHS have passed and the chain finalized (or MAX_EPOCHS); fails early when a watched
# process died. Args: BN_URL PHASE PID...
wait_chain() {
  local bn="$1" phase="$2"; shift 2
  local last_epoch=-1 slot fin epoch p
  while true; do
    for p in "$@"; do
      if ! kill -0 "$p" 2>/dev/null; then
        result FAIL "$phase: processes stay up — ${pname[$p]:-pid $p} exited early: $(tail -c 300 "$(sed -n 's/.*(\(.*\))$/\1/p' <<<"${pname[$p]:-}")" 2>/dev/null | tr '\n' ' ')"
        return 1
      fi
    done
    slot=$(curl -sf -m 5 "$bn/eth/v1/beacon/headers/head" | jq -r '.data.header.message.slot' 2>/dev/null || echo 0)
    fin=$(curl -sf -m 5 "$bn/eth/v1/beacon/states/head/finality_checkpoints" | jq -r '.data.finalized.epoch' 2>/dev/null || echo 0)
    local now; now=$(date +%s)
    if (( now < genesis_time )); then sleep 1; continue; fi
    now_epoch=$(( (now - genesis_time) / (slot_seconds * 32) ))
    if (( now_epoch != last_epoch )); then
      say "$phase: epoch $now_epoch, head slot $slot, finalized epoch $fin"
      last_epoch=$now_epoch
    fi
    if (( now_epoch >= min_epochs && fin > 0 )) || (( now_epoch >= max_epochs )); then return 0; fi
    sleep 2
  done
}

run_checks() {  # run_checks PHASE MODE BN_URL BN_TRAFFIC VIOLATIONS [PHALANX_LOGS] [DUTY_REPORTS] [OTHERS]
  BEACON_API_SPEC="$spec" node "$here/checks.mjs" --bn "$3" --phase "$1" --mode "$2" --indices 0-7 \
    ${8:+--others "$8"} \
    --min-epochs "$min_epochs" --bn-traffic "$4" --violations "$5" --known "$here/known-violations.json" \
    --phalanx-logs "${6:-}" --duty-reports "${7:-}" >"$work/checks-$1.txt" 2>&1 || true
  cat "$work/checks-$1.txt" >>"$results"
  cat "$work/checks-$1.txt"
  grep -qE '^(PASS|FAIL) ' "$work/checks-$1.txt" || result FAIL "$1: checks ran — checks.mjs printed no result (see $work/checks-$1.txt)"
}

# Interop keystores (keys 0..7 of the genesis state).
node "$here/keystores.mjs" "$work/interop-keys" 8 >/dev/null

# ---------------------------------------------------------------------------------------------------------
phase_vc() {
  local dir="$work/vc"; mkdir -p "$dir"
  slot_seconds="${SECONDS_PER_SLOT:-2}"
  genesis_time=$(( $(date +%s) + 20 ))
  say "vc: BN (Lodestar dev, ${slot_seconds}s slots, genesis in 20 s), proxy, 1 Lodestar VC with the full keys"
  start_bn "$dir/bn" 9596 19000 "$slot_seconds" "$genesis_time"
  local bn=$bn_pid
  if ! wait_http "http://127.0.0.1:9596/eth/v1/node/version" 60; then
    result FAIL "vc: beacon node starts — REST API not up after 60 s (see $dir/bn/bn.log)"; return
  fi
  start_proxy bn-vc 19596 http://127.0.0.1:9596 "$dir"
  local px=${pids[-1]}
  start_vc "$dir/vc" http://127.0.0.1:19596 "$work/interop-keys" "$work/interop-keys/password.txt" "$slot_seconds"
  local vc=${pids[-1]}
  wait_chain http://127.0.0.1:9596 vc "$bn" "$px" "$vc" || true
  stop_pids "$vc"
  run_checks vc vc http://127.0.0.1:9596 "$dir/traffic-bn-vc.jsonl" "$dir/violations-bn-vc.jsonl"
  stop_pids "$px" "$bn"
}

# Does the phalanx binary run a node? Prints the reason when not.
phalanx_can_run() {
  if [[ ! -x "$phalanx_bin" ]]; then echo "no phalanx binary at $phalanx_bin (set PHALANX_BIN)"; return 1; fi
  if ! "$phalanx_bin" --help 2>/dev/null | grep -qE '^ +run( |$)'; then
    echo "$phalanx_bin has no 'run' subcommand yet"; return 1
  fi
  local help
  help="$("$phalanx_bin" run --help 2>&1 || true)"
  local f
  for f in --lock-file --private-key-file --data-dir --beacon-node-endpoints --validator-api-address \
           --p2p-tcp-address --p2p-peers --signer --keystores-dir; do
    grep -q -- "$f" <<<"$help" || { echo "'phalanx run' lacks $f"; return 1; }
  done
  # A build without src/app/node.cpp parses flags, then says so (exit 3) whatever the configuration.
  local probe
  probe="$("$phalanx_bin" run --lock-file "$work/no-such-lock.json" --beacon-node-endpoints http://127.0.0.1:9 \
             --data-dir "$work/probe" 2>&1 || true)"
  if grep -q "has no node" <<<"$probe"; then
    echo "$phalanx_bin was built without the node (src/app/node.cpp not in phx_app yet)"; return 1
  fi
  return 0
}

phase_dv() {  # phase_dv dv-vc|dv-embedded
  local phase="$1" dir="$work/$1"; mkdir -p "$dir"
  local why
  if ! why="$(phalanx_can_run)"; then
    result SKIP "$phase: skipped — $why"; return
  fi
  slot_seconds="${PHALANX_SECONDS_PER_SLOT:-4}"
  local n=4
  # The dev chain uses the mainnet chain config, so GENESIS_FORK_VERSION is 0x00000000 = --network mainnet.
  # (`create cluster` has no --fork-version for custom networks.)
  if ! "$phalanx_bin" create cluster --split-existing-keys --split-keys-dir "$work/interop-keys" --nodes $n \
        --insecure-keys --cluster-dir "$dir/cluster" --network mainnet --name "lodestar interop" \
        --withdrawal-addresses 0x000000000000000000000000000000000000dEaD \
        --fee-recipient-addresses 0x000000000000000000000000000000000000dEaD >"$dir/create-cluster.log" 2>&1; then
    result FAIL "$phase: create cluster --split-existing-keys — failed: $(tail -1 "$dir/create-cluster.log")"; return
  fi
  result PASS "$phase: create cluster --split-existing-keys — $(head -1 "$dir/create-cluster.log")"

  genesis_time=$(( $(date +%s) + 40 ))
  local bn_port=$((9596 + 100)) bnpx_port=$((19596 + 100))  # BN and its proxy (Phalanx's view of the BN)
  # dv-vc: Lodestar 1.5.1 packs a block's attestations only from aggregates (aggregatedAttestationPool; the
  # API's single attestations go to the unaggregated pool), and its VC cannot aggregate in a DV (no DVT
  # selection endpoints). So the cluster's 8 validators share the chain with 8 validators the BN runs itself
  # (keys 8..15), whose aggregators include the cluster's attestations, as on a real network.
  local genesis_validators=8 bn_validators="" others=""
  if [[ $phase == dv-vc ]]; then genesis_validators=16; bn_validators="8..15"; others="8-15"; fi
  say "$phase: BN (${slot_seconds}s slots, genesis in 40 s, $genesis_validators validators${bn_validators:+, the BN runs $bn_validators}), proxy, $n phalanx nodes$([[ $phase == dv-vc ]] && echo ", $n Lodestar VCs")"
  start_bn "$dir/bn" $bn_port 19100 "$slot_seconds" "$genesis_time" "$genesis_validators" "$bn_validators"
  local bn=$bn_pid
  if ! wait_http "http://127.0.0.1:$bn_port/eth/v1/node/version" 60; then
    result FAIL "$phase: beacon node starts — REST API not up after 60 s"; return
  fi
  local fork lockfork
  fork=$(curl -sf -m 5 "http://127.0.0.1:$bn_port/eth/v1/config/spec" | jq -r .data.GENESIS_FORK_VERSION)
  lockfork=$(jq -r '.cluster_definition.fork_version' "$dir/cluster/node0/cluster-lock.json")
  if [[ "$fork" == "$lockfork" ]]; then
    result PASS "$phase: lock fork_version matches the chain — $lockfork"
  else
    result FAIL "$phase: lock fork_version matches the chain — lock $lockfork, BN GENESIS_FORK_VERSION $fork"
  fi
  # INTEROP_WORKAROUNDS=genesis-fork-version,fork-schedule: diagnostic only, to look past a known Phalanx/Lodestar
  # incompatibility (docs/interop.md §4b); a run with a workaround always fails.
  local patch=()
  if [[ ",${INTEROP_WORKAROUNDS:-}," == *,genesis-fork-version,* ]]; then patch+=(--patch-genesis-fork-version "$fork"); fi
  if [[ ",${INTEROP_WORKAROUNDS:-}," == *,fork-schedule,* ]]; then patch+=(--patch-drop-far-future-forks); fi
  if ((${#patch[@]})); then
    result FAIL "$phase: no harness workaround — INTEROP_WORKAROUNDS=${INTEROP_WORKAROUNDS} rewrites BN answers (diagnostic run)"
  fi
  start_proxy bn $bnpx_port "http://127.0.0.1:$bn_port" "$dir" "${patch[@]}"
  local watch=("$bn" "${pids[-1]}")

  local peers="" i
  for ((i = 0; i < n; ++i)); do peers+="${peers:+,}127.0.0.1:$((13900 + i))"; done
  local logs="" reports=""
  for ((i = 0; i < n; ++i)); do
    local nd="$dir/node$i"; mkdir -p "$nd"
    local signer_args=(--signer vc)
    [[ $phase == dv-embedded ]] && signer_args=(--signer embedded --keystores-dir "$dir/cluster/node$i/validator_keys")
    "$phalanx_bin" run --lock-file "$dir/cluster/node$i/cluster-lock.json" \
      --private-key-file "$dir/cluster/node$i/charon-enr-private-key" --data-dir "$nd/data" \
      --beacon-node-endpoints "http://127.0.0.1:$bnpx_port" --validator-api-address "127.0.0.1:$((13500 + i))" \
      --p2p-tcp-address "127.0.0.1:$((13900 + i))" --p2p-peers "$peers" \
      --monitoring-address "127.0.0.1:$((13600 + i))" "${signer_args[@]}" --log-level info \
      --duty-report-file "$nd/duties.jsonl" >"$nd/phalanx.log" 2>&1 &
    pids+=("$!"); watch+=("$!"); pname[$!]="phalanx node $i ($nd/phalanx.log)"
    logs+="${logs:+,}$nd/phalanx.log"
    reports+="${reports:+,}$nd/duties.jsonl"
  done
  sleep 3
  for ((i = 0; i < n; ++i)); do
    if grep -q "this build has no node" "$dir/node$i/phalanx.log" 2>/dev/null; then
      result SKIP "$phase: skipped — $phalanx_bin was built without the node (src/app/node.cpp)"
      stop_pids "${watch[@]}"; return
    fi
  done
  local viol="$dir/violations-bn.jsonl"
  if [[ $phase == dv-vc ]]; then
    for ((i = 0; i < n; ++i)); do
      start_proxy "vapi$i" $((13700 + i)) "http://127.0.0.1:$((13500 + i))" "$dir"
      watch+=("${pids[-1]}")
      viol+=",$dir/violations-vapi$i.jsonl"
      node "$here/reencrypt.mjs" "$dir/cluster/node$i/validator_keys" "$dir/node$i/vc-keys" >/dev/null
      start_vc "$dir/node$i/vc" "http://127.0.0.1:$((13700 + i))" "$dir/node$i/vc-keys" \
        "$dir/node$i/vc-keys/password.txt" "$slot_seconds"
      watch+=("${pids[-1]}")
    done
    # The VCs poll for genesis every 12 s, so the nodes may come up after them; report any that never does.
    local deadline=$(( $(date +%s) + 60 ))
    for ((i = 0; i < n; ++i)); do
      local left=$(( deadline - $(date +%s) )); (( left < 1 )) && left=1
      if ! wait_http "http://127.0.0.1:$((13500 + i))/eth/v1/node/version" "$left"; then
        result FAIL "$phase: phalanx node $i serves the validator API — not up 60 s after start: $(tail -1 "$dir/node$i/phalanx.log" | cut -c1-200)"
      fi
    done
  fi
  wait_chain "http://127.0.0.1:$bn_port" "$phase" "${watch[@]}" || true
  # Stop signers first (VCs, nodes), then check against the still-running BN.
  stop_pids "${watch[@]:2}"
  run_checks "$phase" "$phase" "http://127.0.0.1:$bn_port" "$dir/traffic-bn.jsonl" "$viol" "$logs" "$reports" "$others"
  stop_pids "${watch[@]:0:2}"
}

IFS=',' read -r -a phase_list <<<"$phases"
for ph in "${phase_list[@]}"; do
  case "$ph" in
    vc) phase_vc ;;
    dv-vc|dv-embedded) phase_dv "$ph" ;;
    *) result FAIL "run: unknown phase $ph" ;;
  esac
done
