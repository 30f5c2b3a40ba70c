// Baseline timings of native blst (through @chainsafe/blst, the binding Lodestar uses) for the operations
// that bench/compare_blst.sh sets against Phalanx's bls_bench. Prints one JSON object, microseconds per op
// (median of many samples after a warm-up; with --min the fastest sample, the steadier figure while other work
// shares the machine). hash-to-G2 is not exposed by the binding, so it is null.
// Usage: node bench/blst_bench.mjs [--quick] [--min]
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'tests', 'oracle', 'package.json'));
const blst = require('@chainsafe/blst');

const quick = process.argv.includes('--quick');
const SAMPLES = quick ? 15 : 61;
const useMin = process.argv.includes('--min');

// Median (--min: minimum) over SAMPLES of the mean wall-clock and CPU time of `inner` calls, after `warm` warm-up
// calls; microseconds per call. CPU time (process.cpuUsage, this process only) is steadier on a loaded machine.
const cpuSamples = {};
function measure(fn, inner = 1, warm = 5, name = null) {
  for (let i = 0; i < warm; ++i) fn(i);
  const wall = [];
  const cpu = [];
  let k = 0;
  for (let s = 0; s < SAMPLES; ++s) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < inner; ++i) fn(k++);
    wall.push(Number(process.hrtime.bigint() - t0) / 1e3 / inner);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / inner);
  }
  const med = (a) => Number(a.sort((x, y) => x - y)[useMin ? 0 : Math.floor(a.length / 2)].toFixed(2));
  if (name) cpuSamples[name] = med(cpu);
  return med(wall);
}

const ikm = (i) => {
  const b = new Uint8Array(32);
  b.fill(7);
  b[0] = i & 0xff;
  b[1] = (i >> 8) & 0xff;
  return b;
};
const msgOf = (i) => {
  const m = new Uint8Array(32);
  m.fill(0x5a);
  m[0] = i & 0xff;
  m[1] = (i >> 8) & 0xff;
  return m;
};
const keys = Array.from({ length: 64 }, (_, i) => blst.SecretKey.fromKeygen(ikm(i)));
const pks = keys.map((k) => k.toPublicKey());
const msg = msgOf(0);
const sig0 = keys[0].sign(msg);

const out = { impl: 'blst (@chainsafe/blst 2.x, native)', samples: SAMPLES, stat: useMin ? 'min' : 'median' };
out.sign_us = measure((i) => keys[i % 64].sign(msg), 4, 5, 'sign');
out.verify_us = measure(() => blst.verify(msg, pks[0], sig0, true, true), 2, 5, 'verify');
// The same without blst's public-key validation and signature subgroup check: Phalanx's PublicKey and
// Signature are validated when decoded, so its BM_Verify does neither; this is the like-for-like row.
out.verify_nocheck_us = measure(() => blst.verify(msg, pks[0], sig0, false, false), 2, 5, 'verify_nocheck');
// AggregateVerify of one aggregate signature over 8 distinct messages, no group checks (Phalanx:
// BM_AggregateVerify/8 on decoded points).
const agg8Msgs = Array.from({ length: 8 }, (_, i) => msgOf(100 + i));
const agg8Sig = blst.aggregateSignatures(agg8Msgs.map((m, i) => keys[i].sign(m)), false);
out.aggregate_verify_8_us = measure(
  () => {
    if (!blst.aggregateVerify(agg8Msgs, pks.slice(0, 8), agg8Sig, false, false)) throw new Error('aggregate rejected');
  }, 1, 3, 'aggregate_verify_8');
out.hash_to_g2_us = null;  // not exposed by @chainsafe/blst

// 64 distinct (pk, msg, sig) sets verified together (blst's randomised multi-pairing), per signature.
const sets = keys.map((k, i) => ({ msg: msgOf(i), pk: pks[i], sig: k.sign(msgOf(i)) }));
const cpu0 = process.cpuUsage();
const wall0 = process.hrtime.bigint();
out.batch_verify_64_per_sig_us = Number(
  (measure(() => blst.verifyMultipleAggregateSignatures(sets, true, true), 1, 2, 'batch_verify_64') / 64).toFixed(2));
const cpu1 = process.cpuUsage(cpu0);
// > 1 means the binding spread the work over several threads (wall time then understates CPU cost).
out.batch_verify_cpu_over_wall = Number(
  ((cpu1.user + cpu1.system) / (Number(process.hrtime.bigint() - wall0) / 1e3)).toFixed(2));

// Same-message check of 3 and 11 partial signatures: random-coefficient aggregation + one verify (what
// Lodestar does for same-message batches). The binding takes signature bytes, so decompression and subgroup
// checks are included: comparable to Phalanx's BM_SameMessageVerifyFromBytes.
for (const t of [3, 11]) {
  const part = keys.slice(0, t).map((k, i) => ({ pk: pks[i], sig: k.sign(msg).toBytes() }));
  out[`same_message_verify_${t}_us`] = measure(() => {
    const agg = blst.aggregateWithRandomness(part);
    if (!blst.verify(msg, agg.pk, agg.sig)) throw new Error('valid partials rejected');
  }, 1, 3, `same_message_verify_${t}`);
}
// Plain sum of 3 signatures (blst has no Lagrange-weighted recombination; shown for scale only).
const three = keys.slice(0, 3).map((k) => k.sign(msg));
out.aggregate_3_us = measure(() => blst.aggregateSignatures(three, false), 20);

// CPU-time medians, same keys with _cpu_us (batch verify per signature).
for (const [name, v] of Object.entries(cpuSamples)) {
  out[`${name === 'batch_verify_64' ? 'batch_verify_64_per_sig' : name}_cpu_us`] =
    name === 'batch_verify_64' ? Number((v / 64).toFixed(2)) : v;
}
console.log(JSON.stringify(out));
