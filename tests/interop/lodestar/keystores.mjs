#!/usr/bin/env node
// Writes EIP-2335 keystores for the interop validator keys 0..N-1 (the keys `lodestar dev` puts in its
// genesis state): keystore-<i>.json + keystore-<i>.txt (password), the layout `phalanx create cluster
// --split-existing-keys --split-keys-dir` reads, plus password.txt (one password for all, as
// `lodestar validator --importKeystores DIR --importKeystoresPassword FILE` wants).
//
// Interop secret key i = int.from_bytes(sha256(i as 32-byte little endian), "little") mod r (the eth2 interop
// spec); computed here with node's sha256 and cross-checked against Lodestar's own interopSecretKey().
// KDF: pbkdf2 with a tiny iteration count — TEST KEYS ONLY, they are public anyway.
//
// Usage: node keystores.mjs OUT_DIR [COUNT=8] [FIRST=0]   (keys FIRST..FIRST+COUNT-1, files numbered from 0)
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Keystore } from "@chainsafe/bls-keystore";
import bls from "@chainsafe/bls";
import { interopSecretKey } from "@lodestar/state-transition";

const kCurveOrder = BigInt("0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001");
const kPassword = "phalanx-interop";

function interop_secret(index) {
  const le = Buffer.alloc(32);
  le.writeUInt32LE(index, 0);
  const h = crypto.createHash("sha256").update(le).digest();
  const v = BigInt("0x" + Buffer.from(h).reverse().toString("hex")) % kCurveOrder;
  return Buffer.from(v.toString(16).padStart(64, "0"), "hex");
}

const out = process.argv[2];
const count = Number(process.argv[3] ?? 8);
const first = Number(process.argv[4] ?? 0);
if (!out || !Number.isInteger(count) || count < 1 || !Number.isInteger(first) || first < 0) {
  process.stderr.write("usage: keystores.mjs OUT_DIR [COUNT] [FIRST]\n");
  process.exit(2);
}
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, "password.txt"), kPassword);
const kdf = { function: "pbkdf2", params: { dklen: 32, c: 16, prf: "hmac-sha256", salt: crypto.randomBytes(32).toString("hex") } };
const pubkeys = [];
for (let k = 0; k < count; ++k) {
  const i = first + k;
  const sk = interop_secret(i);
  const ref = Buffer.from(interopSecretKey(i).toBytes());
  if (!sk.equals(ref)) throw new Error(`interop key ${i}: local derivation disagrees with Lodestar`);
  const pk = bls.SecretKey.fromBytes(sk).toPublicKey().toBytes();
  const ks = await Keystore.create(kPassword, sk, pk, `m/12381/3600/${i}/0/0`, `interop key ${i}`, kdf);
  fs.writeFileSync(path.join(out, `keystore-${k}.json`), ks.stringify());
  fs.writeFileSync(path.join(out, `keystore-${k}.txt`), kPassword);
  pubkeys.push("0x" + Buffer.from(pk).toString("hex"));
}
fs.writeFileSync(path.join(out, "pubkeys.txt"), pubkeys.join("\n") + "\n");  // not .json: the VC imports every *.json
process.stdout.write(`wrote interop keystores ${first}..${first + count - 1} to ${out}\n`);
