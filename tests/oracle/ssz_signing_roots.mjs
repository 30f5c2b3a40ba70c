// Known signing roots computed independently with @lodestar/types (@chainsafe/ssz), printed as JSON.
// The domain computation is written out here from the spec (compute_domain / compute_signing_root).
import {ssz} from "@lodestar/types";

const hex = (u8) => "0x" + Buffer.from(u8).toString("hex");
const unhex = (s) => new Uint8Array(Buffer.from(s.replace(/^0x/, ""), "hex"));
const fill = (n, b) => new Uint8Array(n).fill(b);

const GVR = unhex("0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95");
const ZERO = new Uint8Array(32);
function domain(type, version, gvr) {
  const forkDataRoot = ssz.phase0.ForkData.hashTreeRoot({currentVersion: version, genesisValidatorsRoot: gvr});
  const d = new Uint8Array(32);
  d.set(type, 0);
  d.set(forkDataRoot.subarray(0, 28), 4);
  return d;
}
function signingRoot(type, value, dom) {
  return hex(ssz.phase0.SigningData.hashTreeRoot({objectRoot: type.hashTreeRoot(value), domain: dom}));
}

const out = {
  mainnet_genesis_fork_digest: hex(
    ssz.phase0.ForkData.hashTreeRoot({currentVersion: unhex("0x00000000"), genesisValidatorsRoot: GVR}).subarray(0, 4)
  ),
  deposit_signing_root: signingRoot(
    ssz.phase0.DepositMessage,
    {pubkey: fill(48, 0xaa), withdrawalCredentials: fill(32, 0x01), amount: 32000000000},
    domain(unhex("0x03000000"), unhex("0x00000000"), ZERO)
  ),
  attestation_signing_root: signingRoot(
    ssz.phase0.AttestationData,
    {
      slot: 400000 * 32,
      index: 3,
      beaconBlockRoot: fill(32, 0x11),
      source: {epoch: 399999, root: ZERO},
      target: {epoch: 400000, root: fill(32, 0x22)},
    },
    domain(unhex("0x01000000"), unhex("0x05000000"), GVR) // electra (364032 <= 400000 < 411392)
  ),
  exit_signing_root: signingRoot(
    ssz.phase0.VoluntaryExit,
    {epoch: 100, validatorIndex: 12345},
    domain(unhex("0x04000000"), unhex("0x03000000"), GVR)
  ),
  registration_signing_root: signingRoot(
    ssz.bellatrix.ValidatorRegistrationV1,
    {feeRecipient: fill(20, 0x33), gasLimit: 30000000, timestamp: 1700000000, pubkey: fill(48, 0x44)},
    domain(unhex("0x00000001"), unhex("0x00000000"), ZERO)
  ),
};

// Duty signing roots (validator.md): mainnet, epoch 420000 is fulu (0x06000000).
const FULU = unhex("0x06000000");
const E = 420000;
const S = E * 32 + 5;
const block = ssz.fulu.BeaconBlock.defaultValue();
block.slot = S;
block.proposerIndex = 9;
out.block_signing_root = signingRoot(ssz.fulu.BeaconBlock, block, domain(unhex("0x00000000"), FULU, GVR));
out.randao_signing_root = signingRoot(ssz.Epoch, E, domain(unhex("0x02000000"), FULU, GVR));
out.selection_proof_signing_root = signingRoot(ssz.Slot, S, domain(unhex("0x05000000"), FULU, GVR));
const agg = ssz.electra.AggregateAndProof.defaultValue();
agg.aggregatorIndex = 77;
agg.aggregate.data.slot = S;
out.aggregate_and_proof_signing_root = signingRoot(
  ssz.electra.AggregateAndProof,
  agg,
  domain(unhex("0x06000000"), FULU, GVR)
);
out.sync_message_signing_root = signingRoot(ssz.Root, fill(32, 0x55), domain(unhex("0x07000000"), FULU, GVR));
out.sync_selection_signing_root = signingRoot(
  ssz.altair.SyncAggregatorSelectionData,
  {slot: S, subcommitteeIndex: 2},
  domain(unhex("0x08000000"), FULU, GVR)
);
const cp = ssz.altair.ContributionAndProof.defaultValue();
cp.aggregatorIndex = 5;
cp.contribution.slot = S;
cp.contribution.subcommitteeIndex = 3;
out.contribution_signing_root = signingRoot(ssz.altair.ContributionAndProof, cp, domain(unhex("0x09000000"), FULU, GVR));
console.log(JSON.stringify(out));
