# Shared by dkg_processes.sh and reshare_processes.sh (sourced): the per-node report of a ceremony run as processes.
# report_nodes DIR COUNT WORD START END: per node wall, CPU and peak RSS from DIR/timeI (/usr/bin/time -f "%e %U %S
# %M"), node 0's "WORD complete" summary from DIR/log0, the total wall time; returns 1 if a node's log lacks it.
report_nodes() {
  local dir="$1" count="$2" word="$3" start="$4" end="$5" rc=0 i wall user sys rss
  for i in $(seq 0 $((count-1))); do
    read -r wall user sys rss < "$dir/time$i"
    printf "node %2d: wall %6.2f s  cpu %6.2f s  peak RSS %5d MiB\n" "$i" "$wall" "$(echo "$user + $sys" | bc)" $((rss / 1024))
  done
  grep -A8 "^$word complete" "$dir/log0" | head -9
  printf "all nodes done after %.2f s wall\n" "$(echo "$end - $start" | bc)"
  for i in $(seq 0 $((count-1))); do
    grep -q "^$word complete" "$dir/log$i" || { echo "node $i failed:"; tail -5 "$dir/log$i"; rc=1; }
  done
  return $rc
}
