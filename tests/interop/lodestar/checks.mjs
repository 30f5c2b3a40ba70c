#!/usr/bin/env node
// End-of-run assertions for one phase of the Lodestar interop harness, all read from the beacon node's own
// API (never from the software under test) plus the validating proxies' logs. Prints one line per check:
//   PASS <phase>: <check> — <detail>      or      FAIL <phase>: <check> — <detail>
// and exits 0 (run.sh counts the lines).
//
// Usage: node checks.mjs --bn http://127.0.0.1:9596 --phase NAME --mode vc|dv-vc|dv-embedded
//          --indices 0-7 [--others 8-127] --min-epochs 4 --bn-traffic FILE[,FILE] --violations FILE[,FILE]
//          --known known-violations.json [--phalanx-logs FILE,FILE…] [--duty-reports FILE,FILE…]
//          [--slots-per-epoch 32] [--lodestar 1.5.1|1.23] [--duties duties.json] [--fee-recipient 0x…]
// With --duties (duties.mjs' record of what the BN assigned) the proposal check counts every slot assigned to the
// cluster, and the aggregation checks look at every slot whose committee is the cluster's alone.
import fs from "node:fs";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
const bn = args.bn;
const phase = args.phase ?? "phase";
const mode = args.mode ?? "vc";
// "0-7" or "0-7,16-127": validator indices.
const ranges = (s) => (s ? s.split(",").filter((r) => r.length > 0).flatMap((r) => {
  const [a, b] = r.split("-").map(Number);
  return Array.from({ length: (b ?? a) - a + 1 }, (_, k) => a + k);
}) : []);
const indices = ranges(args.indices ?? "0-7");
const [lo, hi] = [Math.min(...indices), Math.max(...indices)];
const indexSet = new Set(indices);
// --others 16-127 or 0-7,16-127: validators of the chain that are not this cluster's (the BN runs them itself,
// or another cluster does).
const others = ranges(args.others);
const minEpochs = Number(args["min-epochs"] ?? 4);
const kSlotsPerEpoch = Number(args["slots-per-epoch"] ?? 32);
const lodestar = args.lodestar ?? "1.5.1";
const feeRecipient = args["fee-recipient"]?.toLowerCase();
const duties = args.duties && fs.existsSync(args.duties) ? JSON.parse(fs.readFileSync(args.duties, "utf8")) : null;
const minBlockRatio = Number(process.env.MIN_BLOCK_RATIO ?? 0.85);
// Lodestar 1.5.1 builds a block's sync aggregate ONLY from sync contributions (aggregators), and with 8
// validators a subnet has no aggregator in a slot with probability (7/8)^8 ≈ 34%: ~65% is the expected
// average with working aggregation. Without aggregation (dv-vc) the figure is informational.
const minSyncRatio = Number(process.env.MIN_SYNC_RATIO ?? 0.5);
const list = (s) => (s ? s.split(",").filter((x) => x.length > 0) : []);

const out = (ok, name, detail) =>
  process.stdout.write(`${ok === null ? "INFO" : ok ? "PASS" : "FAIL"} ${phase}: ${name} — ${detail}\n`);

async function get(path) {
  const res = await fetch(bn + path, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(60000) });
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return res.json();
}

function read_jsonl(files) {
  const rows = [];
  for (const f of files) {
    if (!fs.existsSync(f)) continue;
    for (const line of fs.readFileSync(f, "utf8").split("\n")) {
      if (line.trim() === "") continue;
      try { rows.push(JSON.parse(line)); } catch { rows.push({ unparsable: line.slice(0, 200) }); }
    }
  }
  return rows;
}

function popcount_hex(hex) {
  let n = 0;
  for (const ch of hex.replace(/^0x/, "")) {
    let v = parseInt(ch, 16);
    while (v) { n += v & 1; v >>= 1; }
  }
  return n;
}

async function check(name, fn) {
  try {
    const [ok, detail] = await fn();
    out(ok, name, detail);
  } catch (e) {
    out(false, name, `error: ${e.message}`);
  }
}

const kSyncCommitteeSize = Number((await get("/eth/v1/config/spec")).data.SYNC_COMMITTEE_SIZE ?? 512);
const head = (await get("/eth/v1/beacon/headers/head")).data;
const headSlot = Number(head.header.message.slot);
// The head when the signers were stopped (run.sh --until-slot): slots after it had no cluster to do their duties.
const lastSlot = args["until-slot"] ? Math.min(headSlot, Number(args["until-slot"])) : headSlot;

await check("chain ran long enough", async () => {
  const need = minEpochs * kSlotsPerEpoch;
  return [headSlot >= need, `head slot ${headSlot} (need ≥ ${need}: ${minEpochs} epochs)`];
});

await check("chain finalizes", async () => {
  const f = (await get("/eth/v1/beacon/states/head/finality_checkpoints")).data;
  return [Number(f.finalized.epoch) > 0, `finalized epoch ${f.finalized.epoch}, current justified ${f.current_justified.epoch}`];
});

await check("validators active, none slashed", async () => {
  const q = indices.map((i) => `id=${i}`).join("&");
  const vs = (await get(`/eth/v1/beacon/states/head/validators?${q}`)).data;
  const bad = vs.filter((v) => v.status !== "active_ongoing" || v.validator.slashed === true);
  return [vs.length === indices.length && bad.length === 0,
          `${vs.length} found, not active_ongoing or slashed: [${bad.map((v) => `${v.index}:${v.status}`).join(",")}]`];
});

// Participation flags of the last full epoch (state.previous_epoch_participation at head): bit 0 timely
// source, bit 1 timely target, bit 2 timely head.
let state = null;
await check("attestations: participation flags set for every validator", async () => {
  state = (await get("/eth/v2/debug/beacon/states/head")).data;
  const prev = state.previous_epoch_participation.map(Number);
  const missing = indices.filter((i) => (prev[i] & 3) !== 3);
  const heads = indices.filter((i) => (prev[i] & 4) !== 0).length;
  return [missing.length === 0,
          `epoch ${Math.floor(Number(state.slot) / kSlotsPerEpoch) - 1}: flags [${indices.map((i) => prev[i]).join(",")}], ` +
          `timely head ${heads}/${indices.length}${missing.length ? `, no source+target: [${missing}]` : ""}`];
});

await check("attestations: every validator earned rewards", async () => {
  const bal = state.balances.map(BigInt);
  const low = indices.filter((i) => bal[i] <= 32000000000n);
  return [low.length === 0, `balances (gwei) [${indices.map((i) => bal[i]).join(",")}]`];
});

// Every slot the BN assigned to one of the cluster's validators (duties.mjs) must hold a canonical block by it,
// with the lock's fee recipient in its execution payload (post-merge). Slots at and after the head are not counted.
// A missed slot is reported with what each node's duty report says about it (outcome, failed step, reason).
const reportRows = read_jsonl(list(args["duty-reports"]));
function why_missed(slot, duties = ["proposer", "builder_proposer"]) {
  const rows = reportRows.filter((r) => Number(r.slot) === slot && duties.includes(r.duty));
  if (rows.length === 0) return `no node reported a ${duties[0]} duty for it (never scheduled)`;
  return rows.map((r) => r.success ? "ok" : `${r.failed_step ?? "?"}: ${String(r.reason ?? "").slice(0, 80)}`).join(" | ");
}
if (duties) {
  await check("proposals: every assigned proposal is canonical", async () => {
    const assigned = [];
    for (const e of Object.values(duties.epochs)) {
      for (const [slot, index] of Object.entries(e.proposers ?? {})) {
        // From epoch 1: epoch 0 is every process's warm-up (a cold Lodestar VC/BN on a loaded 2-core machine took
        // 2 s to produce a block, which its fork choice then re-orged as late).
        if (indexSet.has(index) && Number(slot) >= kSlotsPerEpoch && Number(slot) < lastSlot) {
          assigned.push([Number(slot), index]);
        }
      }
    }
    assigned.sort((a, b) => a[0] - b[0]);
    const missed = [], wrongFee = [];
    let payloads = 0, blobs = 0;
    for (const [slot, index] of assigned) {
      const res = await fetch(`${bn}/eth/v2/beacon/blocks/${slot}`, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(10000) });
      if (!res.ok) { missed.push(`${slot}(validator ${index}: no block; nodes: ${why_missed(slot)})`); continue; }
      const msg = (await res.json()).data.message;
      if (Number(msg.proposer_index) !== index || Number(msg.slot) !== slot) {
        missed.push(`${slot}(block by ${msg.proposer_index}; nodes: ${why_missed(slot)})`);
        continue;
      }
      const payload = msg.body.execution_payload;
      if (payload) {
        ++payloads;
        if (feeRecipient && payload.fee_recipient.toLowerCase() !== feeRecipient) wrongFee.push(`${slot}:${payload.fee_recipient}`);
      }
      blobs += msg.body.blob_kzg_commitments?.length ?? 0;
    }
    return [assigned.length > 0 && missed.length === 0 && wrongFee.length === 0,
            `${assigned.length - missed.length} of ${assigned.length} assigned proposals canonical (epoch 1 on)` +
            (payloads ? `, ${payloads} with an execution payload (${blobs} blobs)` : "") +
            (missed.length ? `; missed: ${missed.join(", ")}` : "") +
            (wrongFee.length ? `; fee recipient not the lock's (${feeRecipient}): ${wrongFee.join(", ")}` : "")];
  });
}

// Blocks: without --others every slot belongs to one of our validators. With --others, the BN's own
// validators never miss (in-process), so the empty slots are the cluster's missed proposals.
const blocks = [];     // canonical blocks proposed by our validators
const allBlocks = [];  // every canonical block
await check("proposals: blocks proposed by the validators", async () => {
  if (others.length > 0) {
    let ours = 0, theirs = 0, foreign = 0;
    const otherSet = new Set(others);
    for (let s = 1; s <= lastSlot; ++s) {
      const res = await fetch(`${bn}/eth/v1/beacon/headers?slot=${s}`, { signal: AbortSignal.timeout(10000) });
      if (!res.ok) continue;
      for (const h of (await res.json()).data.filter((x) => x.canonical)) {
        allBlocks.push({ slot: s, root: h.root });
        const p = Number(h.header.message.proposer_index);
        if (indexSet.has(p)) { ++ours; blocks.push({ slot: s, root: h.root }); } else if (otherSet.has(p)) ++theirs; else ++foreign;
      }
    }
    const missed = lastSlot - ours - theirs - foreign;
    const ratio = ours + missed > 0 ? ours / (ours + missed) : 0;
    // With the BN's duties recorded, the check above counts what was assigned; the empty slots here also hold the
    // BN's own and the other cluster's misses, and epoch 0's warm-up: informational then.
    if (duties) {
      return [foreign === 0 ? null : false,
              `${ours} canonical blocks by [${lo}..${hi}], ${theirs} by the other validators, ${missed} empty slots of ${lastSlot}` +
              (foreign ? `, ${foreign} by unknown validators` : "")];
    }
    return [ours > 0 && foreign === 0 && ratio >= minBlockRatio,
            `${ours} canonical blocks by [${lo}..${hi}], ${theirs} by the BN's validators, ${missed} empty slots of ${lastSlot}: ` +
            `the cluster proposed ${(100 * ratio).toFixed(1)}% of its slots (need ≥ ${(100 * minBlockRatio).toFixed(0)}%)`];
  }
  let ours = 0, theirs = 0;
  for (let s = 1; s <= lastSlot; ++s) {
    const res = await fetch(`${bn}/eth/v1/beacon/headers?slot=${s}`, { signal: AbortSignal.timeout(10000) });
    if (!res.ok) continue;
    const rows = (await res.json()).data.filter((h) => h.canonical);
    for (const h of rows) {
      allBlocks.push({ slot: s, root: h.root });
      const p = Number(h.header.message.proposer_index);
      if (indexSet.has(p)) { ++ours; blocks.push({ slot: s, root: h.root }); } else ++theirs;
    }
  }
  const ratio = lastSlot > 0 ? ours / lastSlot : 0;
  return [ratio >= minBlockRatio && theirs === 0,
          `${ours} of ${lastSlot} slots have a canonical block by [${lo}..${hi}] (${(100 * ratio).toFixed(1)}%, need ≥ ${(100 * minBlockRatio).toFixed(0)}%)`];
});

// The current sync committee (the run stays inside one 256-epoch period): which of its 512 positions are ours.
// With many validators on the chain (--others) some of ours may hold no position at all.
const syncCommittee = (await get("/eth/v1/beacon/states/head/sync_committees")).data.validators.map(Number);
const ourPositions = syncCommittee.flatMap((v, pos) => (indexSet.has(v) ? [pos] : []));
const syncMembers = indices.filter((i) => syncCommittee.includes(i));

// Bits of our positions set in the sync aggregates of all canonical blocks (any proposer's: a block carries
// the previous slot's messages of the whole committee).
await check("sync committee: participation in blocks", async () => {
  if (ourPositions.length === 0) return [null, "none of the validators is in the current sync committee"];
  let sum = 0, n = 0, min = 1;
  for (const b of allBlocks) {
    if (b.slot < 2) continue;
    const blk = await get(`/eth/v2/beacon/blocks/${b.root}`);
    const bits = Buffer.from(blk.data.message.body.sync_aggregate.sync_committee_bits.replace(/^0x/, ""), "hex");
    const set = ourPositions.filter((pos) => (bits[pos >> 3] >> (pos & 7)) & 1).length;
    const r = set / ourPositions.length;
    sum += r; ++n; min = Math.min(min, r);
  }
  const avg = n ? sum / n : 0;
  if (n === 0) min = 0;
  // Without aggregation and without other validators (dv-vc alone) no contribution carries our messages.
  return [mode === "dv-vc" && others.length === 0 ? null : n > 0 && avg >= minSyncRatio,
          `${syncMembers.length} validators hold ${ourPositions.length} of ${kSyncCommitteeSize} positions; ` +
          `their bits set: average ${(100 * avg).toFixed(1)}% over ${n} blocks (min ${(100 * min).toFixed(1)}%, need avg ≥ ${(100 * minSyncRatio).toFixed(0)}%)`];
});

// What reached the BN (its proxy's traffic log: status as answered by the BN itself).
const traffic = read_jsonl(list(args["bn-traffic"]));
const isDuplicate = (t) => /ALREADY_KNOWN|PublishError\.Duplicate|already known/i.test(t.error_body ?? "");
// v1 and v2 of an endpoint count alike (submitPoolAttestations / submitPoolAttestationsV2 …).
const posts = (op) => traffic.filter((t) => (t.operation === op || t.operation === op + "V2") && t.method === "POST");
const summary = (op) => {
  const p = posts(op);
  return { ok: p.filter((t) => t.status >= 200 && t.status < 300).length,
           bad: p.filter((t) => t.status >= 400 && !t.probe && !isDuplicate(t)),
           dup: p.filter((t) => t.status >= 400 && !t.probe && isDuplicate(t)).length };
};
// At least one per epoch of chain and never zero: an idle chain must not pass vacuously.
const epochsRun = Math.max(1, Math.floor(headSlot / kSlotsPerEpoch));

for (const [op, what] of [["submitPoolAttestations", "attestations"], ["publishBlock", "blocks"],
                          ["submitPoolSyncCommitteeSignatures", "sync committee messages"]]) {
  await check(`submissions: ${what} accepted by the BN`, async () => {
    const s = summary(op);
    return [s.ok > 0, `${s.ok} POSTs accepted, ${s.bad.length} rejected, ${s.dup} already known`];
  });
}
// Per validator: indices named in accepted submission bodies (recorded by the proxy).
const acceptedBy = (op) => {
  const m = new Map();
  for (const t of posts(op)) {
    if (t.status < 200 || t.status >= 300) continue;
    for (const i of t.indices ?? []) m.set(Number(i), (m.get(Number(i)) ?? 0) + 1);
  }
  return m;
};
const perValidator = (op, what, need, who = indices) => check(`${what}: accepted for every validator`, async () => {
  if (who.length === 0) return [null, "none of the validators has this duty (not in the sync committee)"];
  const m = acceptedBy(op);
  const missing = who.filter((i) => (m.get(i) ?? 0) < need);
  return [missing.length === 0,
          `accepted per validator [${who.map((i) => `${i}:${m.get(i) ?? 0}`).join(",")}] (need ≥ ${need} each)` +
          (missing.length ? `, missing: [${missing}]` : "")];
});
await perValidator("submitPoolSyncCommitteeSignatures", "sync committee messages", Math.max(1, Math.floor(headSlot / 2)),
                   syncMembers);

if (mode === "dv-vc" && lodestar === "1.5.1") {
  // Lodestar 1.5.1 has no DVT selection endpoints: its aggregate/contribution carry a partial selection proof.
  // Phalanx must not submit anything invalid for them, and must say why.
  await check("aggregation (VC without selection endpoints): nothing invalid submitted", async () => {
    const a = summary("publishAggregateAndProofs"), c = summary("publishContributionAndProofs");
    return [a.bad.length === 0 && c.bad.length === 0,
            `aggregates ${a.ok} accepted / ${a.bad.length} rejected, contributions ${c.ok} accepted / ${c.bad.length} rejected`];
  });
  await check("aggregation (VC without selection endpoints): reason logged by Phalanx", async () => {
    const logs = list(args["phalanx-logs"]);
    let hits = 0;
    for (const f of logs) {
      if (!fs.existsSync(f)) continue;
      hits += fs.readFileSync(f, "utf8").split("\n").filter((l) => /selection/i.test(l)).length;
    }
    return [hits > 0, `${hits} log lines mentioning the selection proof in ${logs.length} node logs`];
  });
} else {
  await perValidator("publishAggregateAndProofs", "aggregate-and-proofs", 1);
  await perValidator("publishContributionAndProofs", "sync contributions", 1, syncMembers);
  await check("aggregation: aggregate-and-proofs accepted by the BN", async () => {
    const s = summary("publishAggregateAndProofs");
    return [s.ok >= epochsRun, `${s.ok} POSTs accepted (need ≥ ${epochsRun}, one per epoch), ${s.bad.length} rejected`];
  });
  await check("aggregation: sync contributions accepted by the BN", async () => {
    const s = summary("publishContributionAndProofs");
    return [s.ok >= epochsRun, `${s.ok} POSTs accepted (need ≥ ${epochsRun}), ${s.bad.length} rejected, ${s.dup} already known`];
  });
}

// Aggregation where the cluster's validators are a committee's only members (so its only possible aggregators):
// nobody else can aggregate that committee, so an accepted aggregate for the slot proves the cluster's aggregation
// (Lodestar pools API-submitted attestations only for subnets with an aggregator subscription).
if (duties && !(mode === "dv-vc" && lodestar === "1.5.1")) {
  await check("aggregation: every committee of the cluster's validators alone was aggregated", async () => {
    const sole = [];
    for (const e of Object.values(duties.epochs)) {
      for (const [slot, committees] of Object.entries(e.committees ?? {})) {
        if (Number(slot) >= lastSlot - 1 || Number(slot) < kSlotsPerEpoch) continue;  // from epoch 1, as above
        for (const members of Object.values(committees)) {
          if (members.length > 0 && members.every((i) => indexSet.has(i))) sole.push(Number(slot));
        }
      }
    }
    const aggregated = new Set();
    for (const t of posts("publishAggregateAndProofs")) {
      if (t.status < 200 || t.status >= 300) continue;
      for (const sl of t.slots ?? []) aggregated.add(Number(sl));
    }
    const missing = sole.filter((sl) => !aggregated.has(sl));
    if (sole.length === 0) return [null, "no slot had a committee of the cluster's validators alone"];
    return [missing.length === 0, `${sole.length - missing.length} of ${sole.length} such committees aggregated (epoch 1 on)` +
            (missing.length ? `; not aggregated in slots ${missing.map((sl) => `${sl} (nodes: ${why_missed(sl, ["aggregator"])})`).join(", ")}` : "")];
  });
}

// Embedded mode: the node is the validator client, so it tells its BN what a VC would (subnet subscriptions with
// the aggregator flag, sync subnets, the fee recipient for proposals).
if (mode === "dv-embedded") {
  for (const [op, what] of [["prepareBeaconCommitteeSubnet", "beacon committee subscriptions"],
                            ["prepareBeaconProposer", "proposer preparations (fee recipient)"],
                            ["prepareSyncCommitteeSubnets", "sync committee subscriptions"]]) {
    await check(`embedded signer: ${what} sent to the BN`, async () => {
      const s = summary(op);
      const need = op === "prepareSyncCommitteeSubnets" ? (syncMembers.length > 0 ? 1 : 0) : epochsRun;
      return [s.ok >= need && s.bad.length === 0, `${s.ok} POSTs accepted (need ≥ ${need}), ${s.bad.length} rejected`];
    });
  }
}

// Not rejections: a newer endpoint's 404 on this older BN (the client falls back; the proxy marks it `probe`),
// and "already known" answers: the nodes of a cluster share this one BN here, so every node but the first
// publishes an aggregate, block or attestation the BN already has (Lodestar: 500 ALREADY_KNOWN /
// PublishError.Duplicate). Phalanx counts those as published (docs/interop.md §2).
await check("submissions: no invalid signature reached the BN", async () => {
  const failed = traffic.filter((t) => t.method === "POST" && t.status >= 400);
  const probes = failed.filter((t) => t.probe);
  const dups = failed.filter((t) => !t.probe && isDuplicate(t));
  const bad = failed.filter((t) => !t.probe && !isDuplicate(t));
  const sig = bad.filter((t) => /signature/i.test(t.error_body ?? ""));
  const all = traffic.filter((t) => t.method === "POST" && !t.probe).length;
  const examples = bad.slice(0, 3).map((t) => `${t.operation} ${t.status} ${(t.error_body ?? "").slice(0, 120)}`).join(" | ");
  // Late submissions (e.g. NOT_CURRENT_SLOT on a loaded machine) are tolerated up to 5%.
  return [sig.length === 0 && bad.length <= 0.05 * Math.max(all, 1),
          `${bad.length} of ${all} POSTs rejected, ${sig.length} for a signature (not counted: ${dups.length} ` +
          `already known to the shared BN, ${probes.length} newer-endpoint probes)${examples ? `; e.g. ${examples}` : ""}`];
});

// Phalanx's own view (--duty-report-file lines: {"slot","duty","success","reason",…}): informational.
for (const [node, f] of list(args["duty-reports"]).entries()) {
  const rows = read_jsonl([f]).filter((r) => typeof r.duty === "string");
  if (rows.length === 0) { out(null, `node ${node} duty report`, `no lines in ${f}`); continue; }
  const by = new Map();
  for (const r of rows) {
    const e = by.get(r.duty) ?? { ok: 0, failed: 0, reasons: new Map() };
    if (r.success) ++e.ok; else { ++e.failed; e.reasons.set(r.reason ?? "?", (e.reasons.get(r.reason ?? "?") ?? 0) + 1); }
    by.set(r.duty, e);
  }
  out(null, `node ${node} duty report`, [...by].map(([d, e]) => `${d} ${e.ok}/${e.ok + e.failed}` +
      (e.failed ? ` (${[...e.reasons].slice(0, 2).map(([r, n]) => `${n}× ${String(r).slice(0, 60)}`).join("; ")})` : "")).join(", "));
}

// Beacon API conformance: every violation logged by the proxies, minus documented third-party quirks.
await check("conformance: Beacon API " + (process.env.BEACON_API_SPEC ?? "v2.4.2"), async () => {
  const known = args.known && fs.existsSync(args.known) ? JSON.parse(fs.readFileSync(args.known, "utf8")) : [];
  const vs = read_jsonl(list(args.violations));
  const isKnown = (v) => known.some((k) => (!k.proxy || new RegExp(k.proxy).test(v.proxy ?? "")) &&
                                          (!k.operation || k.operation === v.operation) &&
                                          (!k.path || new RegExp(k.path).test(v.route ?? v.path ?? "")) &&
                                          (!k.where || k.where === v.where) &&
                                          (!k.error || (v.errors ?? []).some((e) => new RegExp(k.error).test(e))));
  const unknown = vs.filter((v) => !isKnown(v));
  const groups = new Map();
  for (const v of unknown) {
    const key = `${v.proxy} ${v.method} ${v.route ?? v.path} ${v.where}: ${(v.errors ?? []).join("; ").slice(0, 160)}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const shown = [...groups].slice(0, 6).map(([k, n]) => `${n}× ${k}`).join(" | ");
  return [unknown.length === 0, `${vs.length} violations, ${vs.length - unknown.length} known quirks` +
          (unknown.length ? `, ${unknown.length} new: ${shown}` : "")];
});
