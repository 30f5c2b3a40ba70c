#!/usr/bin/env bash
# Installs every Debian package that building, testing and benchmarking Phalanx needs. Idempotent.
# Run as root (CI) or with sudo available. chromium (headless) and prometheus (promtool) serve the status-page
# and alert-rule checks (tools/phalanx/cli_status_test.sh).
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config python3 git ca-certificates
  libssl-dev libsecp256k1-dev libsqlite3-dev libicu-dev
  libboost1.81-dev libboost-json1.81-dev
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  valgrind iproute2 nodejs npm
  chromium prometheus
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from elsewhere than Debian (e.g. a preinstalled toolchain): accept any working ones.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs/}"); missing=("${missing[@]/npm/}")
fi
filtered=()
for p in "${missing[@]}"; do [ -n "$p" ] && filtered+=("$p"); done
if [ ${#filtered[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-deps: installing ${filtered[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${filtered[@]}"
fi
if [ "${PHX_WITH_CLANG19:-0}" = 1 ] && ! command -v clang++-19 >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends clang-19 libclang-rt-19-dev
fi
echo "install-deps: all packages present"
