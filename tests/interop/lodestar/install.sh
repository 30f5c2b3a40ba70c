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

# `install.sh modern`: Lodestar 1.23.0-dev (Capella…Electra devnet-4, `--distributed` VC) from the bundle in
# ../shared/interop (tarballs built from source; its own install.sh runs `npm ci` against its lock) into
# modern/ (git-ignored), stamped with the bundle lock's sha256 like the folders above.
install_modern() {
  local bundle="${LODESTAR_BUNDLE:-}"
  if [[ -z "$bundle" ]]; then
    for cand in "$here/../../../../shared/interop/lodestar-1.23.0-dev.6de0736274" \
                "/work/shared/interop/lodestar-1.23.0-dev.6de0736274"; do
      [[ -f "$cand/install.sh" ]] && { bundle="$(cd "$cand" && pwd)"; break; }
    done
  fi
  if [[ -z "$bundle" || ! -f "$bundle/install.sh" ]]; then
    echo "install.sh: the Lodestar 1.23 bundle was not found (set LODESTAR_BUNDLE)" >&2
    return 1
  fi
  local dir="$here/modern" want
  want="$(sha256sum "$bundle/package-lock.json" | cut -d' ' -f1)"
  if [[ -f "$dir/node_modules/.phx-lock-sha256" && "$(cat "$dir/node_modules/.phx-lock-sha256")" == "$want" ]]; then
    echo "install.sh: $dir up to date"
  else
    rm -rf "$dir"
    "$bundle/install.sh" "$dir"
    echo "$want" >"$dir/node_modules/.phx-lock-sha256"
  fi
  "$dir/node_modules/.bin/lodestar" --version | grep -i version
}

install_dir "$here"
install_dir "$here/proxy"
"$here/node_modules/.bin/lodestar" --version
if [[ "${1:-}" == modern ]]; then install_modern; fi
