#!/usr/bin/env node
// Re-encrypts a folder of EIP-2335 keystores (keystore-N.json, each with its own password in keystore-N.txt,
// as `phalanx create cluster` writes a node's validator_keys/) under ONE password, because Lodestar 1.5.1's
// `validator --importKeystores DIR --importKeystoresPassword FILE` applies a single password to every keystore.
// The pubkey is kept, the plaintext secret only lives in this process. TEST KEYS ONLY (weak pbkdf2 count).
//
// Usage: node reencrypt.mjs SRC_DIR DST_DIR   → DST_DIR/keystore-N.json + DST_DIR/password.txt
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Keystore } from "@chainsafe/bls-keystore";

const [src, dst] = process.argv.slice(2);
if (!src || !dst) {
  process.stderr.write("usage: reencrypt.mjs SRC_DIR DST_DIR\n");
  process.exit(2);
}
const password = "phalanx-interop-share";
fs.mkdirSync(dst, { recursive: true });
const names = fs.readdirSync(src).filter((n) => /^keystore-.*\.json$/.test(n)).sort();
if (names.length === 0) {
  process.stderr.write(`reencrypt: no keystore-*.json in ${src}\n`);
  process.exit(1);
}
for (const name of names) {
  const ks = Keystore.parse(fs.readFileSync(path.join(src, name), "utf8"));
  const pw = fs.readFileSync(path.join(src, name.replace(/\.json$/, ".txt")), "utf8").trim();
  const secret = await ks.decrypt(pw);
  const kdf = { function: "pbkdf2", params: { dklen: 32, c: 16, prf: "hmac-sha256", salt: crypto.randomBytes(32).toString("hex") } };
  const out = await Keystore.create(password, secret, Buffer.from(ks.pubkey, "hex"), ks.path ?? "", ks.description ?? null, kdf);
  secret.fill(0);
  fs.writeFileSync(path.join(dst, name), out.stringify());
}
fs.writeFileSync(path.join(dst, "password.txt"), password);
process.stdout.write(`re-encrypted ${names.length} keystores into ${dst}\n`);
