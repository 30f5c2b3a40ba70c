#!/usr/bin/env bash
# End-to-end interop run with Lodestar 1.5.1 (issue 8), one command:
#
#   tests/interop/lodestar/run.sh [--phases vc,dv-vc,dv-embedded|dv] [--phalanx-bin PATH]
#                                 [--default-phalanx-bin PATH]   (CTest: the build's binary, if $PHALANX_BIN unset)
#                                 [--lodestar 1.5.1|1.23] [--fork altair|capella|deneb|electra] [--preset mainnet|minimal]
#
# --lodestar 1.23 runs Lodestar 1.23.0-dev (../shared/interop bundle, installed into modern/): a post-merge chain
# with the in-process mock execution layer (`--execution.engineMock`, blobs from Deneb), the fork given by --fork
# (default deneb) at genesis, and validator clients in `--distributed` mode (they ask Phalanx's DVT selection
# endpoints for combined selection proofs). Its `dv` phase has 32 genesis validators (keys 0..7 the VC cluster,
# 8..15 the embedded cluster, 16..31 run by the BN): with the mainnet preset every committee has one member, so
# in half the slots a cluster's validator is its committee's only aggregator. --preset minimal (8-slot epochs)
# uses the dev command's default preset.
#
# Everything runs inside a private network namespace (loopback only; needs root). Phases, each on a fresh
# `lodestar dev` chain (mainnet preset, Altair at genesis, 8 interop genesis validators per cluster, the BN runs none
#   unless a dv-vc cluster is on the chain):
#   vc           1 Lodestar VC with the full interop keys → validating proxy → BN   (proves the harness)
#   dv-vc        `phalanx create cluster --split-existing-keys` (4 nodes), 4 `phalanx run --signer vc`, each
#                with a Lodestar VC holding its node's shares; VC → proxy → Phalanx → proxy → BN
#   dv-embedded  the same cluster with `--signer embedded` and no VC
#   dv           both on one chain at once (keys 0..7 dv-vc, 8..15 dv-embedded; the BN runs 16..127), checked
#                per cluster: half the time of dv-vc + dv-embedded, what CTest (label interop) and CI run
# A chain with a dv-vc cluster has 128 genesis validators and the BN runs the ones no cluster holds (below).
# At the end of each phase the BN's own API is asked whether the validators attested (participation flags),
# proposed, took part in the sync committee, aggregated, and whether the chain finalized; the proxies' logs
# give the Beacon API conformance result. Prints every check, ends with `N passed, N failed`, exits non-zero
# on any failure. The dv-* phases are skipped (with a message) when the phalanx binary has no working `run`.
#
# Environment: PHALANX_BIN (default <repo>/build/ci/bin/phalanx), PHASES (vc,dv-vc,dv-embedded), PHX_LODESTAR / FORK /
# PRESET (the flags above; not LODESTAR: Lodestar reads LODESTAR* variables as its own flags),
# SECONDS_PER_SLOT (vc phase, 2), PHALANX_SECONDS_PER_SLOT (dv phases, 4), MIN_EPOCHS (4), MAX_EPOCHS (8),
# INTEROP_WORKAROUNDS (diagnostic, makes the run fail: genesis-fork-version,fork-schedule),
# BEACON_API_SPEC (v2.4.2 | HEAD | file), PROXY_STRICT (1: every declared property required), INTEROP_WORKDIR (default mktemp), KEEP_WORKDIR=1 keeps logs.
# Exit 77 (CTest SKIP_RETURN_CODE) when not root, or when node/ip are missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"

phases="${PHASES:-vc,dv-vc,dv-embedded}"
lodestar_version="${PHX_LODESTAR:-1.5.1}"
fork_at_genesis="${FORK:-}"
preset="${PRESET:-mainnet}"
phalanx_bin="${PHALANX_BIN:-}"
default_bin="$repo/build/ci/bin/phalanx"
inside=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --phases) phases="$2"; shift 2 ;;
    --phalanx-bin) phalanx_bin="$2"; shift 2 ;;
    --default-phalanx-bin) default_bin="$2"; shift 2 ;;  # used when neither --phalanx-bin nor $PHALANX_BIN
    --inside) inside=1; shift ;;
    --lodestar) lodestar_version="$2"; shift 2 ;;
    --fork) fork_at_genesis="$2"; shift 2 ;;
    --preset) preset="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#'; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
phalanx_bin="${phalanx_bin:-$default_bin}"
case "$lodestar_version" in
  1.5.1) fork_at_genesis="${fork_at_genesis:-altair}" ;;
  1.23) fork_at_genesis="${fork_at_genesis:-deneb}" ;;
  *) echo "run.sh: --lodestar must be 1.5.1 or 1.23" >&2; exit 2 ;;
esac
case "$fork_at_genesis" in altair|capella|deneb|electra) ;; *) echo "run.sh: unknown --fork $fork_at_genesis" >&2; exit 2 ;; esac
case "$preset" in mainnet|minimal) ;; *) echo "run.sh: unknown --preset $preset" >&2; exit 2 ;; esac
if [[ $lodestar_version == 1.5.1 && ( $fork_at_genesis != altair || $preset != mainnet ) ]]; then
  echo "run.sh: Lodestar 1.5.1 runs altair with the mainnet preset only" >&2; exit 2
fi
export PHASES="$phases" PHALANX_BIN="$phalanx_bin" PHX_LODESTAR="$lodestar_version" FORK="$fork_at_genesis" PRESET="$preset"

# ---------------------------------------------------------------------------------------------------------
# Outer part: install, create the namespace, re-run this script inside it, clean up.
if [[ $inside == 0 ]]; then
  for tool in node npm ip curl jq; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool not found"; exit 77; }
  done
  if [[ $(id -u) != 0 ]]; then echo "SKIP: network namespaces need root"; exit 77; fi
  if [[ $lodestar_version == 1.23 ]]; then
    "$here/install.sh" modern || { echo "SKIP: Lodestar 1.23 cannot be installed (see above)"; exit 77; }
  else
    "$here/install.sh"
  fi
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
  if ! err="$(ip netns add "$ns" 2>&1)"; then
    echo "SKIP: cannot create a network namespace ($err)"; trap - EXIT; exit 77
  fi
  ip netns exec "$ns" ip link set lo up
  echo "network namespace $ns (loopback only), work dir $INTEROP_WORKDIR"
  ip netns exec "$ns" "$0" --inside
  exit $?
fi

# ---------------------------------------------------------------------------------------------------------
# Inner part (inside the namespace).
work="$INTEROP_WORKDIR"
lodestar="$here/node_modules/.bin/lodestar"
[[ $PHX_LODESTAR == 1.23 ]] && lodestar="$here/modern/node_modules/.bin/lodestar"
proxy="$here/proxy/proxy.mjs"
spec="${BEACON_API_SPEC:-v2.4.2}"
[[ $PHX_LODESTAR == 1.23 ]] && spec="${BEACON_API_SPEC:-HEAD}"
slots_per_epoch=32
[[ $PRESET == minimal ]] && slots_per_epoch=8
# Chain flags shared by BN and VC (the VC compares them with the BN's spec).
chain_flags=()
if [[ $PHX_LODESTAR == 1.5.1 ]]; then
  chain_flags=(--preset mainnet --params.ALTAIR_FORK_EPOCH 0)
else
  [[ $PRESET == mainnet ]] && chain_flags+=(--preset mainnet)
  chain_flags+=(--params.ALTAIR_FORK_EPOCH 0 --params.BELLATRIX_FORK_EPOCH 0 --terminal-total-difficulty-override 0)
  case "$FORK" in
    capella) chain_flags+=(--params.CAPELLA_FORK_EPOCH 0) ;;
    deneb) chain_flags+=(--params.CAPELLA_FORK_EPOCH 0 --params.DENEB_FORK_EPOCH 0) ;;
    electra) chain_flags+=(--params.CAPELLA_FORK_EPOCH 0 --params.DENEB_FORK_EPOCH 0 --params.ELECTRA_FORK_EPOCH 0) ;;
  esac
fi
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
  # BN_VALIDATORS ("8..127"): interop keys the BN runs itself (never the cluster's 0..7).
  mkdir -p "$1"
  local own=()
  # (--beaconNodes: the dev command's own VC otherwise looks for the BN on the default port 9596.)
  [[ -n "${7:-}" ]] && own=(--startValidators "$7" --beaconNodes "http://127.0.0.1:$2")
  local el=()
  [[ $PHX_LODESTAR == 1.23 ]] && el=(--execution.engineMock)
  local cmd=("$lodestar" dev "${chain_flags[@]}" --genesisValidators "${6:-8}" "${own[@]}" --genesisTime "$5"
     --dataDir "$1/data" --rest.address 127.0.0.1 --rest.port "$2" --rest.namespace '*'
     --listenAddress 127.0.0.1 --port "$3" --mdns false "${el[@]}" --params.SECONDS_PER_SLOT "$4")
  printf '%q ' "${cmd[@]}" >"$1/bn.cmd"
  (cd "$1" && exec "${cmd[@]}" >"$1/bn.log" 2>&1) &
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
  local dist=()
  # 1.23: a DV's VC asks the DVT selection endpoints for combined selection proofs.
  [[ $PHX_LODESTAR == 1.23 && "${6:-}" == distributed ]] && dist=(--distributed)
  "$lodestar" validator --network dev "${chain_flags[@]}" \
    --params.SECONDS_PER_SLOT "$5" --dataDir "$1/data" --beaconNodes "$2" "${dist[@]}" \
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
    now_epoch=$(( (now - genesis_time) / (slot_seconds * slots_per_epoch) ))
    if (( now_epoch != last_epoch )); then
      say "$phase: epoch $now_epoch, head slot $slot, finalized epoch $fin"
      last_epoch=$now_epoch
    fi
    if (( now_epoch >= min_epochs && fin > 0 )) || (( now_epoch >= max_epochs )); then return 0; fi
    sleep 2
  done
}

run_checks() {  # run_checks PHASE MODE BN_URL BN_TRAFFIC VIOLATIONS [PHALANX_LOGS] [DUTY_REPORTS] [OTHERS] [INDICES] [DUTIES] [FEE] [UNTIL_SLOT]
  BEACON_API_SPEC="$spec" node "$here/checks.mjs" --bn "$3" --phase "$1" --mode "$2" --indices "${9:-0-7}" \
    ${8:+--others "$8"} --slots-per-epoch "$slots_per_epoch" --lodestar "$PHX_LODESTAR" \
    ${10:+--duties "${10}"} ${11:+--fee-recipient "${11}"} ${12:+--until-slot "${12}"} \
    --min-epochs "$min_epochs" --bn-traffic "$4" --violations "$5" --known "$here/known-violations.json" \
    --phalanx-logs "${6:-}" --duty-reports "${7:-}" >"$work/checks-$1.txt" 2>&1 || true
  cat "$work/checks-$1.txt" >>"$results"
  cat "$work/checks-$1.txt"
  grep -qE '^(PASS|FAIL) ' "$work/checks-$1.txt" || result FAIL "$1: checks ran — checks.mjs printed no result (see $work/checks-$1.txt)"
}

# ---------------------------------------------------------------------------------------------------------
phase_vc() {
  local dir="$work/vc"; mkdir -p "$dir"
  node "$here/keystores.mjs" "$dir/interop-keys" 8 >/dev/null  # keys 0..7 of the genesis state
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
  start_vc "$dir/vc" http://127.0.0.1:19596 "$dir/interop-keys" "$dir/interop-keys/password.txt" "$slot_seconds"
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

# One chain, one or more 4-node clusters. Args: PHASE CLUSTER... where CLUSTER is MODE:FIRST_KEY (MODE dv-vc or
# dv-embedded; the cluster's validators are interop keys FIRST_KEY..FIRST_KEY+7). Each cluster has its own
# proxy to the BN (so its traffic is its own) and its checks are named after its mode.
phase_dv() {
  local phase="$1" dir="$work/$1"; shift
  local clusters=("$@") n=4
  mkdir -p "$dir"
  local why
  if ! why="$(phalanx_can_run)"; then
    result SKIP "$phase: skipped — $why"; return
  fi
  slot_seconds="${PHALANX_SECONDS_PER_SLOT:-4}"
  # Lodestar 1.5.1 packs a block's attestations only from aggregates (aggregatedAttestationPool; the API's
  # single attestations go to the unaggregated pool), and its VC cannot aggregate in a DV (no DVT selection
  # endpoints). So a chain with a dv-vc cluster also has 8·k..127 run by the BN itself, whose aggregators
  # include the cluster's attestations, as on a real network: with 128 validators a committee has 4 members
  # (every member an aggregator), so a cluster validator is left without a BN-run committee mate with
  # probability ~1e-4 per epoch; and the BN-run validators alone finalize the chain.
  local ours=$(( 8 * ${#clusters[@]} )) genesis_validators bn_validators=""
  genesis_validators=$ours
  if [[ $PHX_LODESTAR == 1.23 ]]; then
    # The VCs aggregate through Phalanx's selection endpoints: 32 validators, the BN runs the rest (with the mainnet
    # preset each committee then has one member, so aggregation is the cluster's alone in its validators' slots).
    genesis_validators=32; bn_validators="$ours..31"
  elif [[ " ${clusters[*]} " == *" dv-vc:"* ]]; then genesis_validators=128; bn_validators="$ours..127"; fi

  # A Lodestar dev BN that has produced no block 1 epoch after genesis calls itself syncing and, without peers,
  # never produces one (seen with the minimal preset's 8-slot epochs = 32 s when the BN took ~3 min to start on a
  # machine at load 23): the minimal preset gets more time to start (GENESIS_DELAY overrides).
  local genesis_delay=${GENESIS_DELAY:-40}
  [[ -z ${GENESIS_DELAY:-} && $PRESET == minimal ]] && genesis_delay=120
  genesis_time=$(( $(date +%s) + genesis_delay ))
  local bn_port=9696
  say "$phase: BN (${slot_seconds}s slots, genesis in $genesis_delay s, $genesis_validators validators${bn_validators:+, the BN runs $bn_validators}), clusters: ${clusters[*]}"
  start_bn "$dir/bn" $bn_port 19100 "$slot_seconds" "$genesis_time" "$genesis_validators" "$bn_validators"
  local bn=$bn_pid
  if ! wait_http "http://127.0.0.1:$bn_port/eth/v1/node/version" 60; then
    result FAIL "$phase: beacon node starts — REST API not up after 60 s"; return
  fi
  local fork
  fork=$(curl -sf -m 5 "http://127.0.0.1:$bn_port/eth/v1/config/spec" | jq -r .data.GENESIS_FORK_VERSION)
  # INTEROP_WORKAROUNDS=genesis-fork-version,fork-schedule: diagnostic only, to look past a known Phalanx/Lodestar
  # incompatibility (docs/interop.md §4b); a run with a workaround always fails.
  local patch=()
  if [[ ",${INTEROP_WORKAROUNDS:-}," == *,genesis-fork-version,* ]]; then patch+=(--patch-genesis-fork-version "$fork"); fi
  if [[ ",${INTEROP_WORKAROUNDS:-}," == *,fork-schedule,* ]]; then patch+=(--patch-drop-far-future-forks); fi
  if ((${#patch[@]})); then
    result FAIL "$phase: no harness workaround — INTEROP_WORKAROUNDS=${INTEROP_WORKAROUNDS} rewrites BN answers (diagnostic run)"
  fi
  # Every epoch's duties as the BN tells them (proposers, committees, sync committee): the checks count what the
  # clusters were assigned from these, not from what they did.
  node "$here/duties.mjs" --bn "http://127.0.0.1:$bn_port" --out "$dir/duties.json" --slots-per-epoch "$slots_per_epoch" \
    --validators "$genesis_validators" >"$dir/duties.log" 2>&1 &
  pids+=("$!"); pname[$!]="duty recorder ($dir/duties.log)"
  local watch=("$bn" "$!") signers=() c
  local -A c_dir=() c_viol=() c_logs=() c_reports=()
  for ((c = 0; c < ${#clusters[@]}; ++c)); do
    local mode="${clusters[c]%%:*}" first="${clusters[c]##*:}"
    local cdir="$dir"; (( ${#clusters[@]} > 1 )) && cdir="$dir/$mode"
    mkdir -p "$cdir"
    node "$here/keystores.mjs" "$cdir/interop-keys" 8 "$first" >/dev/null
    # The mainnet-preset dev chain uses the mainnet chain config (GENESIS_FORK_VERSION 0x00000000 = --network
    # mainnet); the minimal preset's config has 0x00000001: a custom network (Charon's --testnet-* flags).
    local net=(--network mainnet)
    [[ $fork != 0x00000000 ]] && net=(--testnet-fork-version "$fork" --testnet-name "lodestar-dev-$PRESET")
    if ! "$phalanx_bin" create cluster --split-existing-keys --split-keys-dir "$cdir/interop-keys" --nodes $n \
          --insecure-keys --cluster-dir "$cdir/cluster" "${net[@]}" --name "lodestar interop $mode" \
          --withdrawal-addresses 0x000000000000000000000000000000000000dEaD \
          --fee-recipient-addresses 0x000000000000000000000000000000000000dEaD >"$cdir/create-cluster.log" 2>&1; then
      result FAIL "$mode: create cluster --split-existing-keys — failed: $(tail -1 "$cdir/create-cluster.log")"; continue
    fi
    c_dir[$mode]="$cdir"
    result PASS "$mode: create cluster --split-existing-keys — keys $first..$((first + 7)): $(head -1 "$cdir/create-cluster.log")"
    local lockfork
    lockfork=$(jq -r '.cluster_definition.fork_version' "$cdir/cluster/node0/cluster-lock.json")
    if [[ "$fork" == "$lockfork" ]]; then
      result PASS "$mode: lock fork_version matches the chain — $lockfork"
    else
      result FAIL "$mode: lock fork_version matches the chain — lock $lockfork, BN GENESIS_FORK_VERSION $fork"
    fi
    local bnpx_port=$((19696 + c))  # this cluster's view of the BN
    start_proxy bn $bnpx_port "http://127.0.0.1:$bn_port" "$cdir" "${patch[@]}"
    watch+=("${pids[-1]}")

    local peers="" i base=$((10 * c))
    for ((i = 0; i < n; ++i)); do peers+="${peers:+,}127.0.0.1:$((13900 + base + i))"; done
    c_viol[$mode]="$cdir/violations-bn.jsonl"; c_logs[$mode]=""; c_reports[$mode]=""
    for ((i = 0; i < n; ++i)); do
      local nd="$cdir/node$i"; mkdir -p "$nd"
      local signer_args=(--signer vc)
      [[ $mode == dv-embedded ]] && signer_args=(--signer embedded --keystores-dir "$cdir/cluster/node$i/validator_keys")
      # Doppelganger protection off: duties are measured from the chain's start, and Lodestar 1.5.1 serves only the
      # pre-standard GET liveness form (docs/interop.md).
      "$phalanx_bin" run --lock-file "$cdir/cluster/node$i/cluster-lock.json" \
        --private-key-file "$cdir/cluster/node$i/charon-enr-private-key" --data-dir "$nd/data" \
        --beacon-node-endpoints "http://127.0.0.1:$bnpx_port" --validator-api-address "127.0.0.1:$((13500 + base + i))" \
        --p2p-tcp-address "127.0.0.1:$((13900 + base + i))" --p2p-peers "$peers" \
        --monitoring-address "127.0.0.1:$((13600 + base + i))" "${signer_args[@]}" --log-level info \
        --doppelganger-protection=false \
        --duty-report-file "$nd/duties.jsonl" >"$nd/phalanx.log" 2>&1 &
      pids+=("$!"); watch+=("$!"); signers+=("$!"); pname[$!]="phalanx node $i of $mode ($nd/phalanx.log)"
      c_logs[$mode]+="${c_logs[$mode]:+,}$nd/phalanx.log"
      c_reports[$mode]+="${c_reports[$mode]:+,}$nd/duties.jsonl"
    done
    sleep 3
    for ((i = 0; i < n; ++i)); do
      if grep -q "this build has no node" "$cdir/node$i/phalanx.log" 2>/dev/null; then
        result SKIP "$phase: skipped — $phalanx_bin was built without the node (src/app/node.cpp)"
        stop_pids "${watch[@]}"; return
      fi
    done
    if [[ $mode == dv-vc ]]; then
      for ((i = 0; i < n; ++i)); do
        start_proxy "vapi$i" $((13700 + base + i)) "http://127.0.0.1:$((13500 + base + i))" "$cdir"
        watch+=("${pids[-1]}")
        c_viol[$mode]+=",$cdir/violations-vapi$i.jsonl"
        node "$here/reencrypt.mjs" "$cdir/cluster/node$i/validator_keys" "$cdir/node$i/vc-keys" >/dev/null
        start_vc "$cdir/node$i/vc" "http://127.0.0.1:$((13700 + base + i))" "$cdir/node$i/vc-keys" \
          "$cdir/node$i/vc-keys/password.txt" "$slot_seconds" distributed
        watch+=("${pids[-1]}"); signers+=("${pids[-1]}")
      done
      # The VCs poll for genesis every 12 s, so the nodes may come up after them; report any that never does.
      local deadline=$(( $(date +%s) + 60 ))
      for ((i = 0; i < n; ++i)); do
        local left=$(( deadline - $(date +%s) )); (( left < 1 )) && left=1
        if ! wait_http "http://127.0.0.1:$((13500 + base + i))/eth/v1/node/version" "$left"; then
          result FAIL "$mode: phalanx node $i serves the validator API — not up 60 s after start: $(tail -1 "$cdir/node$i/phalanx.log" | cut -c1-200)"
        fi
      done
    fi
  done
  wait_chain "http://127.0.0.1:$bn_port" "$phase" "${watch[@]}" || true
  # Stop signers first (VCs, nodes), then check against the still-running BN; slots after the head seen now had
  # no cluster to do their duties (under load the checks may read the chain several slots later).
  local until_slot
  until_slot=$(curl -sf -m 5 "http://127.0.0.1:$bn_port/eth/v1/beacon/headers/head" | jq -r '.data.header.message.slot' || true)
  stop_pids "${signers[@]}"
  for ((c = 0; c < ${#clusters[@]}; ++c)); do
    local mode="${clusters[c]%%:*}" first="${clusters[c]##*:}" others=""
    (( first > 0 )) && others="0-$((first - 1))"
    (( first + 8 < genesis_validators )) && others+="${others:+,}$((first + 8))-$((genesis_validators - 1))"
    [[ -n "${c_dir[$mode]:-}" ]] || continue
    run_checks "$mode" "$mode" "http://127.0.0.1:$bn_port" "${c_dir[$mode]}/traffic-bn.jsonl" "${c_viol[$mode]}" \
      "${c_logs[$mode]}" "${c_reports[$mode]}" "$others" "$first-$((first + 7))" "$dir/duties.json" \
      0x000000000000000000000000000000000000dEaD "${until_slot:-}"
  done
  stop_pids "${watch[@]}"
}

IFS=',' read -r -a phase_list <<<"$phases"
for ph in "${phase_list[@]}"; do
  case "$ph" in
    vc) phase_vc ;;
    dv-vc|dv-embedded) phase_dv "$ph" "$ph:0" ;;
    dv) phase_dv dv dv-vc:0 dv-embedded:8 ;;
    *) result FAIL "run: unknown phase $ph" ;;
  esac
done
