#!/usr/bin/env bash
# Whole `phalanx reshare add-operators` ceremonies as real processes on loopback (issue 15 benchmark): a cluster of N
# operators and V validators (`create cluster`, insecure keystores) is reshared to N+1 operators by N+1 processes;
# new keystores are insecure (fast) unless KEYSTORES=standard. Prints per node: wall time, CPU (user+sys), peak RSS,
# and node 0's per-round wall times and validators/s; checks that every new lock is identical and verifies.
# Usage: bench/dkg/reshare_processes.sh PHALANX_BIN N V     e.g. bench/dkg/reshare_processes.sh build/ci/bin/phalanx 4 1000
set -euo pipefail
bin="$1"; n="$2"; v="$3"; m=$((n+1))
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
W=0x000000000000000000000000000000000000dEaD; F=0x1111111111111111111111111111111111111111
"$bin" create cluster --nodes "$n" --num-validators "$v" --network hoodi --withdrawal-addresses $W \
  --fee-recipient-addresses $F --insecure-keys --cluster-dir "$dir/c" >/dev/null
"$bin" create enr --data-dir "$dir/c/node$n" >/dev/null
enr=$("$bin" enr --data-dir "$dir/c/node$n")
base=$((20000 + RANDOM % 20000))
peers=$(for i in $(seq 0 $((m-1))); do echo "$i=127.0.0.1:$((base+i))"; done | paste -sd,)
keys=(--insecure-keys); [ "${KEYSTORES:-}" = standard ] && keys=()
start=$(date +%s.%N)
for i in $(seq 0 $((m-1))); do
  /usr/bin/time -f "%e %U %S %M" -o "$dir/time$i" "$bin" reshare add-operators --data-dir "$dir/c/node$i" \
    --lock-file "$dir/c/node0/cluster-lock.json" --new-operator-enrs "$enr" --output-dir "$dir/out$i" \
    --p2p-listen 127.0.0.1:$((base+i)) --p2p-peers "$peers" "${keys[@]}" --linger 0.5 --round-timeout 600 \
    > "$dir/log$i" 2>&1 &
done
rc=0; wait || rc=$?
end=$(date +%s.%N)
echo "reshare n=$n → $m V=$v keystores=${KEYSTORES:-insecure} load: $(uptime | sed 's/.*load average: //')"
. "$(dirname "$0")/process_report.sh"
report_nodes "$dir" "$m" Reshare "$start" "$end" || rc=1
for i in $(seq 1 $((m-1))); do
  cmp -s "$dir/out0/cluster-lock.json" "$dir/out$i/cluster-lock.json" || { echo "node $i: lock differs"; rc=1; }
done
"$bin" dkg verify --lock "$dir/out0/cluster-lock.json" --old-lock "$dir/c/node0/cluster-lock.json" | tail -1 || rc=1
exit $rc
