#!/usr/bin/env bash
# Installs the npm packages used as test oracles and benchmark baselines into tests/oracle/node_modules.
set -euo pipefail
cd "$(dirname "$0")/../tests/oracle"
if [ ! -d node_modules ] || [ package.json -nt node_modules ] || [ package-lock.json -nt node_modules ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
  touch node_modules
fi
