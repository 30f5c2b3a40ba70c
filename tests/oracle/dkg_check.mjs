// Differential check of a DKG's output folders with independent implementations (@noble/curves BLS12-381,
// @chainsafe/bls-keystore, @lodestar/types SSZ): every keystore decrypts and its secret's public key is the lock's
// public share of that operator; every t-subset of the operators' shares recombines (Lagrange at 0, BigInt mod r)
// to the distributed key and every (t−1)-subset does not; every deposit-data entry and builder registration
// verifies under its domain (DOMAIN_DEPOSIT / DOMAIN_APPLICATION_BUILDER, genesis fork, zero root).
// Usage: node dkg_check.mjs DIR0 DIR1 ...   (node folders in operator order, each with cluster-lock.json)
// Prints "N passed, N failed"; exit 0 iff nothing failed.
import fs from 'node:fs';
import path from 'node:path';
import { decrypt } from '@chainsafe/bls-keystore';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { ssz } from '@lodestar/types';

const DST = 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_';
const bls = bls12_381.longSignatures;
const G1 = bls12_381.G1.Point;
const G2 = bls12_381.G2.Point;
const r = bls12_381.fields.Fr.ORDER;
const hex = (b) => Buffer.from(b).toString('hex');
const bytes = (h) => new Uint8Array(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const mod = (a) => ((a % r) + r) % r;
const pow = (b, e) => { let x = 1n; b = mod(b); for (; e > 0n; e >>= 1n, b = mod(b * b)) if (e & 1n) x = mod(x * b); return x; };
const inv = (a) => pow(a, r - 2n);
const toBig = (u8) => BigInt('0x' + (hex(u8) || '0'));
const pubOf = (s) => hex(G1.BASE.multiply(s).toBytes(true));

let passed = 0, failed = 0;
const check = (ok, what) => { if (ok) passed++; else { failed++; console.log('FAIL', what); } };

const dirs = process.argv.slice(2);
const lock = JSON.parse(fs.readFileSync(path.join(dirs[0], 'cluster-lock.json'), 'utf8'));
const t = lock.cluster_definition.threshold;
const n = lock.cluster_definition.operators.length;
const fork = bytes(lock.cluster_definition.fork_version);
check(dirs.length === n, `${dirs.length} folders for ${n} operators`);

// shares[v][i] = operator i's secret share of validator v
const shares = lock.distributed_validators.map(() => []);
for (let i = 0; i < dirs.length; ++i) {
  const other = fs.readFileSync(path.join(dirs[i], 'cluster-lock.json'), 'utf8');
  check(other === fs.readFileSync(path.join(dirs[0], 'cluster-lock.json'), 'utf8'), `${dirs[i]}: lock differs`);
  for (let v = 0; v < lock.distributed_validators.length; ++v) {
    const f = path.join(dirs[i], 'validator_keys', `keystore-${v}.json`);
    const ks = JSON.parse(fs.readFileSync(f, 'utf8'));
    const secret = toBig(await decrypt(ks, fs.readFileSync(f.replace(/\.json$/, '.txt'), 'utf8').trim()));
    shares[v][i] = secret;
    const want = lock.distributed_validators[v].public_shares[i].replace(/^0x/, '');
    check(pubOf(secret) === want, `${f}: public key is not operator ${i}'s public share`);
  }
}

const subsets = (k) => {
  const out = [];
  const rec = (start, cur) => {
    if (cur.length === k) { out.push([...cur]); return; }
    for (let i = start; i < n; ++i) rec(i + 1, [...cur, i]);
  };
  rec(0, []);
  return out;
};
const recombine = (v, idx) => {
  let s = 0n;
  for (const i of idx) {
    let num = 1n, den = 1n;
    for (const j of idx) if (j !== i) { num = mod(num * BigInt(j + 1)); den = mod(den * BigInt(j - i)); }
    s = mod(s + shares[v][i] * mod(num * inv(den)));
  }
  return s;
};
for (let v = 0; v < lock.distributed_validators.length; ++v) {
  const key = lock.distributed_validators[v].distributed_public_key.replace(/^0x/, '');
  for (const idx of subsets(t)) check(pubOf(recombine(v, idx)) === key, `validator ${v}: shares ${idx} do not recombine`);
  for (const idx of subsets(t - 1)) check(pubOf(recombine(v, idx)) !== key, `validator ${v}: t-1 shares ${idx} recombine`);
}

const domain = (type) => {
  const forkDataRoot = ssz.phase0.ForkData.hashTreeRoot({ currentVersion: fork, genesisValidatorsRoot: new Uint8Array(32) });
  const d = new Uint8Array(32);
  d.set(type, 0);
  d.set(forkDataRoot.slice(0, 28), 4);
  return d;
};
const signingRoot = (objectRoot, dom) => ssz.phase0.SigningData.hashTreeRoot({ objectRoot, domain: dom });
const verify = (sigHex, root, pkHex) => {
  try { return bls.verify(G2.fromBytes(bytes(sigHex)), bls.hash(root, DST), G1.fromBytes(bytes(pkHex))); } catch { return false; }
};
const depDomain = domain([3, 0, 0, 0]);
for (const f of fs.readdirSync(dirs[0]).filter((x) => /^deposit-data.*\.json$/.test(x))) {
  for (const e of JSON.parse(fs.readFileSync(path.join(dirs[0], f), 'utf8'))) {
    const msg = { pubkey: bytes(e.pubkey), withdrawalCredentials: bytes(e.withdrawal_credentials), amount: e.amount };
    const root = signingRoot(ssz.phase0.DepositMessage.hashTreeRoot(msg), depDomain);
    check(verify(e.signature, root, e.pubkey), `${f}: deposit signature of ${e.pubkey.slice(0, 12)}`);
  }
}
const regDomain = domain([0, 0, 0, 1]);
for (const dv of lock.distributed_validators) {
  const br = dv.builder_registration;
  if (!br || !br.message) continue;
  const m = br.message;
  const reg = { feeRecipient: bytes(m.fee_recipient), gasLimit: m.gas_limit, timestamp: m.timestamp, pubkey: bytes(m.pubkey) };
  const root = signingRoot(ssz.bellatrix.ValidatorRegistrationV1.hashTreeRoot(reg), regDomain);
  check(verify(br.signature, root, m.pubkey), `builder registration of ${m.pubkey.slice(0, 14)}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
