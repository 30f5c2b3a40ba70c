// Differential check of Phalanx's BLS12-381 / threshold / EIP-2333 results against independent
// implementations: @noble/curves (pure JS BLS12-381) and native blst (@chainsafe/blst, the binding Lodestar uses):
// signatures, verification verdicts, aggregation, batch and threshold results must agree with both.
// Usage: node bls_diff.mjs <cases.jsonl>   (written by tests/crypto_diff/bls_oracle_cli)
// Exit 0 iff every case agrees and every case kind was exercised; otherwise prints the mismatches, exits 1.
import { readFileSync } from 'node:fs';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import blst from '@chainsafe/blst';

// Ethereum uses the proof-of-possession ciphersuite; noble's default DST is the NUL one, so pass it always.
const DST = 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_';
const bls = bls12_381.longSignatures;
const G1 = bls12_381.G1.Point;
const G2 = bls12_381.G2.Point;
const Fr = bls12_381.fields.Fr;

const hex = (b) => Buffer.from(b).toString('hex');
const bytes = (h) => new Uint8Array(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const g1hex = (p) => hex(p.toBytes(true));
const g2hex = (p) => hex(p.toBytes(true));
const hashCache = new Map();
const H = (msgHex) => {
  let h = hashCache.get(msgHex);
  if (!h) {
    h = bls.hash(bytes(msgHex), DST);
    hashCache.set(msgHex, h);
  }
  return h;
};
// Verification with noble, mapping decode errors (which noble throws) to "invalid".
const nobleVerify = (sigHex, msgHex, pkHex) => {
  try {
    return bls.verify(G2.fromBytes(bytes(sigHex)), H(msgHex), G1.fromBytes(bytes(pkHex)));
  } catch {
    return false;
  }
};
// Verification with blst (public-key validation and signature subgroup check on), decode errors as "invalid".
const blstVerify = (sigHex, msgHex, pkHex) => {
  try {
    return blst.verify(bytes(msgHex), blst.PublicKey.fromBytes(bytes(pkHex), true),
      blst.Signature.fromBytes(bytes(sigHex), true), true, true);
  } catch {
    return false;
  }
};
const blstSign = (skHex, msgHex) => hex(blst.SecretKey.fromBytes(bytes(skHex)).sign(bytes(msgHex)).toBytes());
// λ_i(0) = Π_{j≠i} j / (j − i) mod r
const lagrange0 = (idx) =>
  idx.map((i) => {
    let num = 1n;
    let den = 1n;
    for (const j of idx) {
      if (j === i) continue;
      num = Fr.mul(num, BigInt(j));
      den = Fr.mul(den, Fr.sub(BigInt(j), BigInt(i)));
    }
    return Fr.mul(num, Fr.inv(den));
  });
const msm = (points, scalars, Zero) =>
  points.reduce((acc, p, k) => (scalars[k] === 0n ? acc : acc.add(p.multiply(scalars[k]))), Zero);

// Our decoder's verdict (ZCash flags, field range, curve, subgroup; the canonical identity is accepted) must
// match noble's, and an accepted encoding must re-encode to the same bytes.
const decodeAgrees = (Point, c) => {
  let p = null;
  try {
    p = Point.fromBytes(bytes(c.in));
    p.assertValidity();
  } catch {
    p = null;
  }
  if ((p !== null) !== c.ok) return false;
  return p === null || hex(p.toBytes(true)) === c.out;
};

const checks = {
  pk(c) {
    return g1hex(bls.getPublicKey(bytes(c.sk))) === c.pk;
  },
  hash(c) {
    return g2hex(H(c.msg)) === c.h;
  },
  sign(c) {
    const sig = bls.sign(H(c.msg), bytes(c.sk));
    return g2hex(sig) === c.sig && g1hex(bls.getPublicKey(bytes(c.sk))) === c.pk && nobleVerify(c.sig, c.msg, c.pk) &&
      blstSign(c.sk, c.msg) === c.sig && blstVerify(c.sig, c.msg, c.pk);
  },
  verify(c) {
    return nobleVerify(c.sig, c.msg, c.pk) === c.ok && blstVerify(c.sig, c.msg, c.pk) === c.ok;
  },
  aggregate(c) {
    // Our aggregate signature and aggregate public key must be the group sums; our aggregate_verify over
    // distinct messages must agree with noble's product of pairings.
    const sigs = c.sigs.map((s) => G2.fromBytes(bytes(s)));
    const agg = sigs.reduce((a, s) => a.add(s), G2.ZERO);
    if (g2hex(agg) !== c.agg_sig) return false;
    let ok;
    try {
      ok = bls.verifyBatch(G2.fromBytes(bytes(c.checked_sig)), c.msgs.map((m, k) => ({
        message: H(m),
        publicKey: G1.fromBytes(bytes(c.pks[k])),
      })));
    } catch {
      ok = false;
    }
    let blstOk;
    try {
      blstOk = blst.aggregateVerify(c.msgs.map(bytes), c.pks.map((p) => blst.PublicKey.fromBytes(bytes(p), true)),
        blst.Signature.fromBytes(bytes(c.checked_sig), true), true, true);
    } catch {
      blstOk = false;
    }
    return ok === c.ok && blstOk === c.ok;
  },
  fast_aggregate(c) {
    const pks = c.pks.map((p) => G1.fromBytes(bytes(p)));
    const aggPk = pks.reduce((a, p) => a.add(p), G1.ZERO);
    if (g1hex(aggPk) !== c.agg_pk) return false;
    const sigs = c.sigs.map((s) => G2.fromBytes(bytes(s)));
    if (g2hex(sigs.reduce((a, s) => a.add(s), G2.ZERO)) !== c.agg_sig) return false;
    return nobleVerify(c.checked_sig, c.msg, c.agg_pk) === c.ok;
  },
  batch(c) {
    const all = c.sets.every((s) => nobleVerify(s.sig, s.msg, s.pk));
    let blstOk;
    try {
      blstOk = blst.verifyMultipleAggregateSignatures(c.sets.map((s) => ({
        msg: bytes(s.msg),
        pk: blst.PublicKey.fromBytes(bytes(s.pk), true),
        sig: blst.Signature.fromBytes(bytes(s.sig), true),
      })), true, true);
    } catch {
      blstOk = false;
    }
    return all === c.ok && blstOk === c.ok;
  },
  threshold(c) {
    // (1) the recombined signature is the signature by the original key; (2) noble's own Lagrange
    // recombination of our partial signatures and public shares gives the same signature and key.
    const sk = bytes(c.sk);
    if (g2hex(bls.sign(H(c.msg), sk)) !== c.sig) return false;
    if (blstSign(c.sk, c.msg) !== c.sig || !blstVerify(c.sig, c.msg, c.pk)) return false;
    if (g1hex(bls.getPublicKey(sk)) !== c.pk) return false;
    const lam = lagrange0(c.idx);
    const sig = msm(c.partials.map((p) => G2.fromBytes(bytes(p))), lam, G2.ZERO);
    const pk = msm(c.pubshares.map((p) => G1.fromBytes(bytes(p))), lam, G1.ZERO);
    if (g2hex(sig) !== c.sig || g1hex(pk) !== c.pk) return false;
    // (3) each share lies on the committed polynomial: share_i·G1 = Σ C_k·i^k (Feldman).
    const comms = c.commitments.map((p) => G1.fromBytes(bytes(p)));
    for (let k = 0; k < c.idx.length; ++k) {
      const x = BigInt(c.idx[k]);
      const pows = comms.map((_, e) => Fr.pow(x, BigInt(e)));
      if (g1hex(msm(comms, pows, G1.ZERO)) !== c.pubshares[k]) return false;
    }
    return g1hex(comms[0]) === c.pk;
  },
  same_message(c) {
    // Our randomised same-message check against noble verifying each partial on its own.
    const all = c.partials.every((s, k) => nobleVerify(s, c.msg, c.pubshares[k]));
    const allBlst = c.partials.every((s, k) => blstVerify(s, c.msg, c.pubshares[k]));
    return all === c.ok && allBlst === c.ok;
  },
  g1_decode(c) {
    return decodeAgrees(G1, c);
  },
  g2_decode(c) {
    return decodeAgrees(G2, c);
  },
  eip2333(c) {
    const master = blst.SecretKey.deriveMasterEip2333(bytes(c.seed));
    if (hex(master.toBytes()) !== c.master) return false;
    return hex(master.deriveChildEip2333(c.index).toBytes()) === c.child;
  },
};

const file = process.argv[2];
if (!file) {
  console.error('usage: node bls_diff.mjs <cases.jsonl>');
  process.exit(2);
}
const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
let expected = -1;
const count = {};
const failures = [];
const started = performance.now();
for (const line of lines) {
  const c = JSON.parse(line);
  if (c.k === 'header') {
    expected = c.count;
    continue;
  }
  const check = checks[c.k];
  if (!check) {
    failures.push({ reason: 'unknown case kind', c });
    continue;
  }
  count[c.k] = (count[c.k] ?? 0) + 1;
  let ok;
  try {
    ok = check(c);
  } catch (e) {
    ok = false;
    c.exception = String(e);
  }
  if (!ok) failures.push(c);
}
const total = Object.values(count).reduce((a, b) => a + b, 0);
const missing = Object.keys(checks).filter((k) => !count[k]);
console.log(JSON.stringify({ total, expected, count, failures: failures.length, missing,
                             seconds: ((performance.now() - started) / 1000).toFixed(1) }));
for (const f of failures.slice(0, 10)) console.log('MISMATCH', JSON.stringify(f));
if (failures.length || missing.length || total !== expected) process.exit(1);
