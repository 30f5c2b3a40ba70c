#!/usr/bin/env bash
# Installs Lodestar 1.5.1 (pinned by package.json overrides + package-lock.json) and the validating
# proxy's dependencies (ajv) with `npm ci`. Idempotent: skips a folder whose node_modules already match
# its lock file (the stamp is the lock's sha256). Works offline when npm's cache already holds the tarballs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

install_dir() {
  local dir="$1"
  local stamp="$dir/node_modules/.phx-lock-sha256"
  local want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "install.sh: $dir up to date"
    return 0
  fi
  echo "install.sh: npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
  echo "$want" >"$stamp"
}

install_dir "$here"
install_dir "$here/proxy"
"$here/node_modules/.bin/lodestar" --version
