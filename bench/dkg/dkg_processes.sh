#!/usr/bin/env bash
# Whole `phalanx dkg` ceremonies as real processes on loopback (issue 14 benchmark): N operator processes, V
# validators, insecure (fast) keystores unless KEYSTORES=standard. Prints per node: wall time, CPU (user+sys), peak
# RSS, and node 0's per-round wall times and validators/s.
# Usage: bench/dkg/dkg_processes.sh PHALANX_BIN N V        e.g. bench/dkg/dkg_processes.sh build/ci/bin/phalanx 4 1000
set -euo pipefail
bin="$1"; n="$2"; v="$3"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
W=0x000000000000000000000000000000000000dEaD; F=0x1111111111111111111111111111111111111111
for i in $(seq 0 $((n-1))); do "$bin" create enr --data-dir "$dir/n$i" >/dev/null; done
enrs=$(for i in $(seq 0 $((n-1))); do "$bin" enr --data-dir "$dir/n$i"; done | paste -sd,)
"$bin" create dkg --operator-enrs "$enrs" --network hoodi --withdrawal-addresses $W --fee-recipient-addresses $F \
  --num-validators "$v" --output-dir "$dir/def" >/dev/null
base=$((20000 + RANDOM % 20000))
peers=$(for i in $(seq 0 $((n-1))); do echo "$i=127.0.0.1:$((base+i))"; done | paste -sd,)
keys=(--insecure-keys); [ "${KEYSTORES:-}" = standard ] && keys=()
start=$(date +%s.%N)
for i in $(seq 0 $((n-1))); do
  /usr/bin/time -f "%e %U %S %M" -o "$dir/time$i" "$bin" dkg --definition-file "$dir/def/cluster-definition.json" \
    --data-dir "$dir/n$i" --p2p-listen 127.0.0.1:$((base+i)) --p2p-peers "$peers" "${keys[@]}" --linger 0.5 \
    --round-timeout 600 > "$dir/log$i" 2>&1 &
done
rc=0; wait || rc=$?
end=$(date +%s.%N)
echo "n=$n V=$v keystores=${KEYSTORES:-insecure} load: $(uptime | sed 's/.*load average: //')"
. "$(dirname "$0")/process_report.sh"
report_nodes "$dir" "$n" DKG "$start" "$end" || rc=1
exit $rc
