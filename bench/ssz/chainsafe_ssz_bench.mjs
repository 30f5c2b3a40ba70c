// The same operations as ssz_bench on the same bytes, with @lodestar/types / @chainsafe/ssz (value API).
//   node bench/ssz/chainsafe_ssz_bench.mjs <block.ssz>   → one JSON line of mean nanoseconds per operation
// hashTreeRoot is timed on a freshly deserialized value each iteration, so no cached root is reused.
import {readFileSync} from "node:fs";

// The npm oracles live in tests/oracle/node_modules.
const {ssz} = await import(new URL("../../tests/oracle/node_modules/@lodestar/types/lib/index.js", import.meta.url));

const bytes = new Uint8Array(readFileSync(process.argv[2]));
const T = ssz.electra.BeaconBlock;
const hex = (u8) => "0x" + Buffer.from(u8).toString("hex");

function time(fn, minMs = 1500) {
  for (let i = 0; i < 5; i++) fn();
  let n = 0;
  let total = 0n;
  const end = Date.now() + minMs;
  while (Date.now() < end) {
    total += fn();
    n++;
  }
  return Number(total) / n;
}
const timed = (f) => () => {
  const t0 = process.hrtime.bigint();
  f();
  return process.hrtime.bigint() - t0;
};

const value = T.deserialize(bytes);
const root = hex(T.hashTreeRoot(T.deserialize(bytes)));
const out = {
  root,
  bytes: bytes.length,
  deserialize_ns: time(timed(() => T.deserialize(bytes))),
  serialize_ns: time(timed(() => T.serialize(value))),
  hash_tree_root_ns: time(() => {
    const v = T.deserialize(bytes);
    const t0 = process.hrtime.bigint();
    T.hashTreeRoot(v);
    return process.hrtime.bigint() - t0;
  }),
};
console.log(JSON.stringify(out));
