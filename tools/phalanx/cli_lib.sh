# Shared by the CLI end-to-end scripts (sourced): a temporary $dir, processes killed and $dir removed at exit
# (kept when PHX_KEEP_TEST_DIR is set), and check/rc: each check's output goes to $dir/out and is shown on failure.
dir=$(mktemp -d)
pids_to_stop=()  # background processes this script started, stopped (SIGTERM, by id) at exit
cleanup() {
  local p
  for p in "${pids_to_stop[@]}"; do
    [ -n "$p" ] || continue
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  if [ -n "${PHX_KEEP_TEST_DIR:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
fails=0; passes=0
check() {  # check NAME 'shell condition'
  : > "$dir/out"
  if eval "$2"; then passes=$((passes+1)); else echo "FAIL: $1"; sed 's/^/    | /' "$dir/out" | tail -12; fails=$((fails+1)); fi
}
rc() { set +e; "$@" >"$dir/out" 2>&1; local r=$?; set -e; echo $r; }  # exit code of a command; output in $dir/out
finish() { echo "passed $passes, failed $fails"; [ "$fails" = 0 ]; }
