#!/usr/bin/env bash
# Runs ssz_bench and chainsafe_ssz_bench.mjs on the same Electra block and prints the ratios.
#   bench/ssz/compare.sh [build-dir]     (default build dir: build)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../../build}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
PHX_SSZ_BENCH_BLOCK_OUT="$tmp/block.ssz" "$build/bench/ssz/ssz_bench" \
  --benchmark_filter='ElectraBlock' --benchmark_min_time=1 --benchmark_format=json > "$tmp/cpp.json"
node "$here/chainsafe_ssz_bench.mjs" "$tmp/block.ssz" > "$tmp/js.json"
node - "$tmp/cpp.json" "$tmp/js.json" "$tmp/block.ssz.root" <<'JS'
const fs = require("fs");
const [cppFile, jsFile, rootFile] = process.argv.slice(2);
const cpp = JSON.parse(fs.readFileSync(cppFile, "utf8"));
const js = JSON.parse(fs.readFileSync(jsFile, "utf8"));
const ourRoot = fs.readFileSync(rootFile, "utf8").trim();
if (ourRoot !== js.root) { console.error(`ROOT MISMATCH ours ${ourRoot} chainsafe ${js.root}`); process.exit(1); }
const ns = (name) => {
  const b = cpp.benchmarks.find((x) => x.name === name);
  const mult = {ns: 1, us: 1e3, ms: 1e6}[b.time_unit];
  return b.real_time * mult;
};
const rows = [
  ["hash_tree_root", ns("BM_ElectraBlock_HashTreeRoot"), js.hash_tree_root_ns],
  ["serialize", ns("BM_ElectraBlock_Serialize"), js.serialize_ns],
  ["deserialize", ns("BM_ElectraBlock_Deserialize"), js.deserialize_ns],
];
console.log(`Electra BeaconBlock, ${js.bytes} bytes, root ${ourRoot} (equal in both)`);
console.log("| operation | Phalanx (us) | @chainsafe/ssz (us) | speed-up |");
console.log("|---|---:|---:|---:|");
for (const [op, a, b] of rows) console.log(`| ${op} | ${(a / 1e3).toFixed(1)} | ${(b / 1e3).toFixed(1)} | ${(b / a).toFixed(1)}x |`);
JS
