// Writes seed corpora for fuzz/ssz_signed_block_fuzz and fuzz/json_versioned_fuzz from random Lodestar values.
//   node ssz_fuzz_seeds.mjs <repo-root>
import {mkdirSync, writeFileSync} from "node:fs";
import {ssz} from "@lodestar/types";

const root = process.argv[2] ?? "../..";
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
const int = (n) => Math.floor(rnd() * n);
function fillBlock(b) {
  b.message.slot = int(1e7);
  b.message.proposerIndex = int(1e6);
  b.message.body.graffiti = new Uint8Array(32).fill(int(256));
  b.message.body.executionPayload.transactions = Array.from({length: int(4)}, () =>
    new Uint8Array(int(300)).map(() => int(256))
  );
  return b;
}

const sszDir = `${root}/fuzz/corpus/ssz_signed_block_fuzz`;
const jsonDir = `${root}/fuzz/corpus/json_versioned_fuzz`;
mkdirSync(sszDir, {recursive: true});
mkdirSync(jsonDir, {recursive: true});
for (const fork of ["electra", "fulu"]) {
  for (let i = 0; i < 3; i++) {
    const t = ssz[fork].SignedBeaconBlock;
    const b = fillBlock(t.defaultValue());
    writeFileSync(`${sszDir}/${fork}_block_${i}.ssz`, t.serialize(b));
    writeFileSync(`${jsonDir}/${fork}_signed_block_${i}.json`, JSON.stringify({version: fork, data: t.toJson(b)}));
  }
  const c = ssz[fork].SignedBlockContents.defaultValue();
  writeFileSync(`${sszDir}/${fork}_contents.ssz`, ssz[fork].SignedBlockContents.serialize(c));
  writeFileSync(
    `${jsonDir}/${fork}_signed_contents.json`,
    JSON.stringify({version: fork, data: ssz[fork].SignedBlockContents.toJson(c)})
  );
  const bl = ssz[fork].SignedBlindedBeaconBlock.defaultValue();
  writeFileSync(`${sszDir}/${fork}_blinded.ssz`, ssz[fork].SignedBlindedBeaconBlock.serialize(bl));
}
for (const fork of ["deneb", "fulu"]) {
  const c = ssz[fork].BlockContents;
  writeFileSync(
    `${jsonDir}/${fork}_produce_v3.json`,
    JSON.stringify({
      version: fork,
      execution_payload_blinded: false,
      execution_payload_value: "12345678901234567890",
      consensus_block_value: "42",
      data: c.toJson(c.defaultValue()),
    })
  );
  const b = ssz[fork].BlindedBeaconBlock;
  writeFileSync(
    `${jsonDir}/${fork}_produce_v3_blinded.json`,
    JSON.stringify({
      version: fork,
      execution_payload_blinded: true,
      execution_payload_value: "1",
      consensus_block_value: "2",
      data: b.toJson(b.defaultValue()),
    })
  );
}
for (const fork of ["phase0", "deneb", "electra"]) {
  const t = ssz[fork].SignedAggregateAndProof;
  writeFileSync(`${jsonDir}/${fork}_aggregate.json`, JSON.stringify({version: fork, data: t.toJson(t.defaultValue())}));
  const a = ssz[fork].Attestation;
  writeFileSync(`${jsonDir}/${fork}_attestation.json`, JSON.stringify({version: fork, data: a.toJson(a.defaultValue())}));
}
writeFileSync(
  `${jsonDir}/genesis.json`,
  JSON.stringify({
    data: {
      genesis_time: "1606824023",
      genesis_validators_root: "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95",
      genesis_fork_version: "0x00000000",
    },
  })
);
writeFileSync(
  `${jsonDir}/fork_schedule.json`,
  JSON.stringify({data: [{previous_version: "0x00000000", current_version: "0x01000000", epoch: "74240"}]})
);
console.log("seeds written");
