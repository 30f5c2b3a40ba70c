#!/usr/bin/env node
// Records every epoch's duties as the beacon node states them (proposers, committees, sync committee) while a
// phase runs, so the end-of-run checks count what the clusters were ASSIGNED (every proposal, every committee
// where a cluster's validators are the only aggregators) rather than what they happened to do. A proposer answer
// for an epoch is kept once the epoch has begun (before that it depends on the previous epoch's RANDAO).
//
// Usage: node duties.mjs --bn URL --out FILE --slots-per-epoch 32 --validators 32
// FILE: {"epochs": {"<epoch>": {"proposers": {"<slot>": index}, "committees": {"<slot>": {"<committee>": [index…]}},
//        "sync": [index…], "dependent_root": "0x…"}}}, rewritten (atomically) after every change.
import fs from "node:fs";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
const bn = args.bn;
const out = args.out;
const slotsPerEpoch = Number(args["slots-per-epoch"] ?? 32);
const count = Number(args.validators ?? 32);
const all = JSON.stringify(Array.from({ length: count }, (_, i) => String(i)));
const book = { epochs: {} };

async function call(method, path, body) {
  const res = await fetch(bn + path, {
    method, body, headers: { accept: "application/json", "content-type": "application/json" },
    signal: AbortSignal.timeout(10000),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}`);
  return res.json();
}

function save() {
  fs.writeFileSync(out + ".tmp", JSON.stringify(book));
  fs.renameSync(out + ".tmp", out);
}

async function record(epoch, currentEpoch) {
  const e = book.epochs[epoch] ?? { proposers: {}, committees: {}, sync: [] };
  let changed = false;
  if (epoch <= currentEpoch) {
    const p = await call("GET", `/eth/v1/validator/duties/proposer/${epoch}`);
    const proposers = {};
    for (const d of p.data) proposers[d.slot] = Number(d.validator_index);
    if (JSON.stringify(proposers) !== JSON.stringify(e.proposers)) { e.proposers = proposers; changed = true; }
    e.dependent_root = p.dependent_root;
  }
  if (Object.keys(e.committees).length === 0) {
    const a = await call("POST", `/eth/v1/validator/duties/attester/${epoch}`, all);
    const committees = {};
    for (const d of a.data) {
      const c = ((committees[d.slot] ??= {})[d.committee_index] ??= []);
      c.push(Number(d.validator_index));
    }
    e.committees = committees;
    const s = await call("POST", `/eth/v1/validator/duties/sync/${epoch}`, all);
    e.sync = s.data.map((d) => Number(d.validator_index));
    changed = true;
  }
  book.epochs[epoch] = e;
  if (changed) save();
}

save();
for (;;) {
  try {
    const g = (await call("GET", "/eth/v1/beacon/genesis")).data;
    const spec = (await call("GET", "/eth/v1/config/spec")).data;
    const slotMs = Number(spec.SECONDS_PER_SLOT) * 1000;
    const now = Date.now();
    const genesisMs = Number(g.genesis_time) * 1000;
    const currentEpoch = now < genesisMs ? 0 : Math.floor((now - genesisMs) / slotMs / slotsPerEpoch);
    for (const epoch of [currentEpoch, currentEpoch + 1]) await record(epoch, currentEpoch);
    await new Promise((r) => setTimeout(r, slotMs / 2));
  } catch (e) {
    process.stderr.write(`duties: ${e.message}\n`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
