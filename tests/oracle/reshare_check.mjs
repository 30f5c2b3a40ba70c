// Differential check of a reshare (`phalanx reshare`) with independent implementations (@noble/curves BLS12-381,
// @chainsafe/bls-keystore): the new lock keeps every distributed key of the old lock; every new keystore decrypts to
// the new lock's public share of its operator; every t'-subset of the new shares recombines (Lagrange at 0 over the
// new indices, BigInt mod r) to the old key; no new share equals an old one; and no mix of old and new shares
// recombines to the key: for every validator, each set of t' shares with at least one old share (at its old index)
// and one new share (at its new index) and distinct indices, and each such set of t (old threshold) shares, gives
// another key.
// Usage: node reshare_check.mjs OLD0,OLD1,... NEW0,NEW1,...   (node folders in lock order; an old folder may be
// given as "-" when its keystores were deleted). Prints "N passed, N failed"; exit 0 iff nothing failed.
import fs from 'node:fs';
import path from 'node:path';
import { decrypt } from '@chainsafe/bls-keystore';
import { bls12_381 } from '@noble/curves/bls12-381.js';

const G1 = bls12_381.G1.Point;
const r = bls12_381.fields.Fr.ORDER;
const hex = (b) => Buffer.from(b).toString('hex');
const mod = (a) => ((a % r) + r) % r;
const pow = (b, e) => { let x = 1n; b = mod(b); for (; e > 0n; e >>= 1n, b = mod(b * b)) if (e & 1n) x = mod(x * b); return x; };
const inv = (a) => pow(a, r - 2n);
const toBig = (u8) => BigInt('0x' + (hex(u8) || '0'));
const pubOf = (s) => hex(G1.BASE.multiply(s).toBytes(true));
const strip = (h) => h.replace(/^0x/, '');

let passed = 0, failed = 0;
const check = (ok, what) => { if (ok) passed++; else { failed++; console.log('FAIL', what); } };

const oldDirs = process.argv[2].split(',');
const newDirs = process.argv[3].split(',');
const readLock = (dir) => JSON.parse(fs.readFileSync(path.join(dir, 'cluster-lock.json'), 'utf8'));
const oldLock = readLock(oldDirs.find((d) => d !== '-'));
const newLock = readLock(newDirs[0]);
const tOld = oldLock.cluster_definition.threshold;
const tNew = newLock.cluster_definition.threshold;
const V = newLock.distributed_validators.length;
check(V === oldLock.distributed_validators.length, 'validator count changed');
for (let v = 0; v < V; ++v)
  check(newLock.distributed_validators[v].distributed_public_key === oldLock.distributed_validators[v].distributed_public_key,
    `validator ${v}: distributed key changed`);

// Shares as {x, s} per validator: x is the Shamir index (lock position + 1).
const load = async (dirs, lock, tag) => {
  const out = Array.from({ length: V }, () => []);
  for (let i = 0; i < dirs.length; ++i) {
    if (dirs[i] === '-') continue;
    for (let v = 0; v < V; ++v) {
      const f = path.join(dirs[i], 'validator_keys', `keystore-${v}.json`);
      const ks = JSON.parse(fs.readFileSync(f, 'utf8'));
      const s = toBig(await decrypt(ks, fs.readFileSync(f.replace(/\.json$/, '.txt'), 'utf8').trim()));
      check(pubOf(s) === strip(lock.distributed_validators[v].public_shares[i]), `${tag} ${f}: not operator ${i}'s public share`);
      out[v].push({ x: BigInt(i + 1), s, tag });
    }
  }
  return out;
};
const oldShares = await load(oldDirs, oldLock, 'old');
const newShares = await load(newDirs, newLock, 'new');

const recombine = (set) => {
  let acc = 0n;
  for (const a of set) {
    let num = 1n, den = 1n;
    for (const b of set) if (b !== a) { num = mod(num * b.x); den = mod(den * (b.x - a.x)); }
    acc = mod(acc + a.s * mod(num * inv(den)));
  }
  return acc;
};
const subsets = (items, k) => {
  const out = [];
  const rec = (start, cur) => {
    if (cur.length === k) { out.push([...cur]); return; }
    for (let i = start; i < items.length; ++i) rec(i + 1, [...cur, items[i]]);
  };
  rec(0, []);
  return out;
};

let mixes = 0;
for (let v = 0; v < V; ++v) {
  const key = strip(newLock.distributed_validators[v].distributed_public_key);
  for (const set of subsets(newShares[v], tNew)) check(pubOf(recombine(set)) === key, `validator ${v}: new shares do not recombine`);
  for (const o of oldShares[v]) for (const n of newShares[v]) check(o.s !== n.s, `validator ${v}: a new share equals an old one`);
  const all = [...oldShares[v], ...newShares[v]];
  for (const k of new Set([tNew, tOld])) {
    for (const set of subsets(all, k)) {
      const tags = new Set(set.map((a) => a.tag));
      const xs = new Set(set.map((a) => a.x));
      if (tags.size < 2 || xs.size < set.length) continue;
      ++mixes;
      check(pubOf(recombine(set)) !== key, `validator ${v}: a mix of old and new shares recombines to the key`);
    }
  }
}
check(mixes > 0, 'no mixed set was tried');
console.log(`${passed} passed, ${failed} failed (${mixes} mixed sets tried)`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
