// Differential oracle for Phalanx's SSZ/JSON codecs, using @lodestar/types (on @chainsafe/ssz).
//   node ssz_diff.mjs gen <names-file> <out-file> <seed> <count>
//       For each "fork.Type" line of names-file: <count> random values as JSON lines
//       {"name", "ssz" (hex), "root" (hex), "json" (Lodestar toJson)}.
//   node ssz_diff.mjs verify <in-file>
//       For each line produced by Phalanx: Lodestar must deserialize "ssz", reproduce "root", produce the same
//       toJson, and fromJson(json) must serialize back to "ssz". Prints mismatches; exit 1 if any.
import {readFileSync, writeFileSync} from "node:fs";
import {ssz} from "@lodestar/types";
import {BitArray} from "@chainsafe/ssz";

const hex = (u8) => "0x" + Buffer.from(u8).toString("hex");
const unhex = (s) => new Uint8Array(Buffer.from(s.replace(/^0x/, ""), "hex"));

function typeOf(name) {
  const [fork, t] = name.split(".");
  const ty = ssz[fork]?.[t];
  if (!ty) throw new Error(`no Lodestar type ${name}`);
  return ty;
}

// mulberry32: small seeded PRNG so runs are reproducible.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeRandom(rnd) {
  const int = (n) => Math.floor(rnd() * n);
  const bytes = (n) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = int(256);
    return b;
  };
  const small = (limit, big) => Math.min(limit, big ? int(2) : int(4));
  function value(t) {
    const k = t.constructor.name;
    if (k === "UintNumberType") {
      if (t.byteLength >= 8) return int(4) === 0 ? 0 : Math.floor(rnd() * Number.MAX_SAFE_INTEGER);
      return int(2 ** (8 * t.byteLength));
    }
    if (k === "UintBigintType") {
      let v = 0n;
      for (let i = 0; i < t.byteLength; i++) v = (v << 8n) | BigInt(int(256));
      return int(4) === 0 ? 0n : v;
    }
    if (k === "BooleanType") return int(2) === 1;
    if (t.fieldsEntries) {
      const o = {};
      for (const f of t.fieldsEntries) o[f.fieldName] = value(f.fieldType);
      return o;
    }
    if (k === "BitVectorType") {
      const b = BitArray.fromBitLen(t.lengthBits);
      for (let i = 0; i < t.lengthBits; i++) if (int(2)) b.set(i, true);
      return b;
    }
    if (k === "BitListType") {
      const n = Math.min(t.limitBits, int(70));
      const b = BitArray.fromBitLen(n);
      for (let i = 0; i < n; i++) if (int(2)) b.set(i, true);
      return b;
    }
    if (k === "ByteListType") return bytes(Math.min(t.maxSize ?? t.limitBytes, int(200)));
    if (typeof t.lengthBytes === "number" || (t.fixedSize && k.includes("Byte")) || k === "ExecutionAddressType") {
      return bytes(t.lengthBytes ?? t.fixedSize);
    }
    if (t.elementType && typeof t.length === "number") {
      return Array.from({length: t.length}, () => value(t.elementType));
    }
    if (t.elementType && typeof t.limit === "number") {
      const big = (t.elementType.fixedSize ?? 0) > 10000;
      return Array.from({length: small(t.limit, big)}, () => value(t.elementType));
    }
    throw new Error(`cannot randomize ${k} ${t.typeName}`);
  }
  return value;
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "gen") {
  const [namesFile, outFile, seed, count] = args;
  const names = readFileSync(namesFile, "utf8").split("\n").filter(Boolean);
  const value = makeRandom(prng(Number(seed)));
  const lines = [];
  for (const name of names) {
    const t = typeOf(name);
    for (let i = 0; i < Number(count); i++) {
      const v = i === 0 ? t.defaultValue() : value(t);
      lines.push(JSON.stringify({name, ssz: hex(t.serialize(v)), root: hex(t.hashTreeRoot(v)), json: t.toJson(v)}));
    }
  }
  writeFileSync(outFile, lines.join("\n") + "\n");
  console.log(`generated ${lines.length} values of ${names.length} types`);
} else if (mode === "verify") {
  const [inFile] = args;
  const lines = readFileSync(inFile, "utf8").split("\n").filter(Boolean);
  let bad = 0;
  const types = new Set();
  for (const line of lines) {
    const c = JSON.parse(line);
    types.add(c.name);
    const t = typeOf(c.name);
    const problems = [];
    try {
      const v = t.deserialize(unhex(c.ssz));
      if (hex(t.hashTreeRoot(v)) !== c.root) problems.push("root differs");
      // Lodestar checksums execution addresses (EIP-55); Phalanx writes lower case. Compare case-insensitively.
      if (JSON.stringify(t.toJson(v)).toLowerCase() !== JSON.stringify(c.json)) problems.push("toJson differs");
      const w = t.fromJson(c.json);
      if (hex(t.serialize(w)) !== c.ssz) problems.push("fromJson→serialize differs");
    } catch (e) {
      problems.push("exception: " + e.message);
    }
    if (problems.length) {
      bad++;
      if (bad <= 20) console.log(`MISMATCH ${c.name}: ${problems.join(", ")}`);
    }
  }
  console.log(`verified ${lines.length} values of ${types.size} types, ${bad} mismatches`);
  process.exit(bad ? 1 : 0);
} else {
  console.error("usage: ssz_diff.mjs gen|verify …");
  process.exit(2);
}
