// Independent oracle for v1.11 cluster definitions: signs an unsigned definition (from `phalanx create dkg`)
// the way the Launchpad and a Safe would, and computes config_hash/definition_hash with @chainsafe/ssz and the
// EIP-712 digests with @noble/hashes + @noble/curves, so `phalanx definition verify` is checked against code it
// shares nothing with. Creator and operators 0..n-2 sign as EOAs (one 65-byte signature per field); operator
// n-1 is a contract wallet whose fields hold two concatenated owner signatures (a Safe multisig).
// Usage: node cluster_sign.mjs IN OUT [--bad-operator I]   (I signs the wrong config hash: must be INVALID)
import fs from 'node:fs';
import { ContainerType, ByteListType, ByteVectorType, ListCompositeType, ListBasicType, UintNumberType,
         BooleanType } from '@chainsafe/ssz';
import { keccak_256 } from '@noble/hashes/sha3';
import { secp256k1 } from '@noble/curves/secp256k1.js';

const [inPath, outPath, flag, badArg] = process.argv.slice(2);
const bad = flag === '--bad-operator' ? Number(badArg) : -1;
const d = JSON.parse(fs.readFileSync(inPath, 'utf8'));
if (d.version !== 'v1.11.0') throw new Error('expects a v1.11.0 definition');

const hex = (b) => '0x' + Buffer.from(b).toString('hex');
const unhex = (s) => (s ? Uint8Array.from(Buffer.from(s.replace(/^0x/, ''), 'hex')) : new Uint8Array());
const utf8 = (s) => new TextEncoder().encode(s);
const keccak = (...parts) => keccak_256(Buffer.concat(parts.map((p) => Buffer.from(p))));
const address = (priv) => hex(keccak(secp256k1.getPublicKey(priv, false).slice(1)).slice(12));

// ---- SSZ types of the v1.11 schema (Charon cluster/ssz.go hashDefinitionV1x11) ----
const B4 = new ByteVectorType(4), B20 = new ByteVectorType(20), B32 = new ByteVectorType(32);
const Sigs = new ListCompositeType(new ByteVectorType(65), 32);
const u64 = new UintNumberType(8);
const common = (operator, creator) => ({
  uuid: new ByteListType(64), name: new ByteListType(256), version: new ByteListType(16),
  timestamp: new ByteListType(32), num_validators: u64, threshold: u64, dkg_algorithm: new ByteListType(32),
  fork_version: B4, operators: new ListCompositeType(operator, 256), creator,
  validators: new ListCompositeType(new ContainerType({ fee: B20, withdrawal: B20 }), 65536),
  deposit_amounts: new ListBasicType(u64, 256), consensus_protocol: new ByteListType(256),
  target_gas_limit: u64, compounding: new BooleanType(),
});
const Config = new ContainerType(common(new ContainerType({ address: B20 }), new ContainerType({ address: B20 })));
const Full = new ContainerType({
  ...common(new ContainerType({ address: B20, enr: new ByteListType(1024), config_signature: Sigs, enr_signature: Sigs }),
            new ContainerType({ address: B20, config_signature: Sigs })),
  config_hash: B32,
});
const addr20 = (a) => (a ? unhex(a) : new Uint8Array(20));
const splitSigs = (s) => { const b = unhex(s), out = []; for (let i = 0; i < b.length; i += 65) out.push(b.slice(i, i + 65)); return out; };
const value = (full) => ({
  uuid: utf8(d.uuid), name: utf8(d.name ?? ''), version: utf8(d.version), timestamp: utf8(d.timestamp ?? ''),
  num_validators: d.num_validators, threshold: d.threshold, dkg_algorithm: utf8(d.dkg_algorithm),
  fork_version: unhex(d.fork_version),
  operators: d.operators.map((o) => full
    ? { address: addr20(o.address), enr: utf8(o.enr), config_signature: splitSigs(o.config_signature), enr_signature: splitSigs(o.enr_signature) }
    : { address: addr20(o.address) }),
  creator: full ? { address: addr20(d.creator.address), config_signature: splitSigs(d.creator.config_signature) }
                : { address: addr20(d.creator.address) },
  validators: (d.validators ?? []).map((v) => ({ fee: addr20(v.fee_recipient_address), withdrawal: addr20(v.withdrawal_address) })),
  deposit_amounts: (d.deposit_amounts ?? []).map(Number), consensus_protocol: utf8(d.consensus_protocol),
  target_gas_limit: d.target_gas_limit, compounding: d.compounding,
  ...(full ? { config_hash: unhex(d.config_hash) } : {}),
});

// ---- EIP-712 (domain "Obol", version "1", chain id of the fork version) ----
const chainIds = { '0x00000000': 1, '0x90000069': 11155111, '0x10000910': 560048, '0x00000064': 100, '0x01017000': 17000 };
const chainId = chainIds[d.fork_version];
const domainSep = keccak(keccak(utf8('EIP712Domain(string name,string version,uint256 chainId)')), keccak(utf8('Obol')),
                         keccak(utf8('1')), Buffer.from(chainId.toString(16).padStart(64, '0'), 'hex'));
const digest = (type, field, v) =>
  keccak([0x19, 0x01], domainSep, keccak(keccak(utf8(`${type}(string ${field})`)), keccak(utf8(v))));
// noble writes the recovery byte first; Ethereum's layout is r ‖ s ‖ v with v = 27 + recovery.
const sign = (priv, dig) => {
  const rec = secp256k1.sign(dig, priv, { prehash: false, format: 'recovered' });
  return Buffer.concat([Buffer.from(rec.slice(1)), Buffer.from([rec[0] + 27])]);
};

const keys = () => secp256k1.utils.randomSecretKey();
const creator = keys();
const ops = d.operators.map(() => keys());
const safeOwners = [keys(), keys()];
const n = d.operators.length;
d.creator.address = address(creator);
d.operators.forEach((o, i) => { o.address = i === n - 1 ? hex(keccak(utf8('safe')).slice(12)) : address(ops[i]); });
d.config_hash = hex(Config.hashTreeRoot(value(false)));
const cfgDigest = digest('OperatorConfigHash', 'operator_config_hash', d.config_hash);
const wrongDigest = digest('OperatorConfigHash', 'operator_config_hash', hex(new Uint8Array(32)));
d.creator.config_signature = hex(sign(creator, digest('CreatorConfigHash', 'creator_config_hash', d.config_hash)));
d.operators.forEach((o, i) => {
  const enrDigest = digest('ENR', 'enr', o.enr);
  if (i === n - 1) {
    o.config_signature = hex(Buffer.concat(safeOwners.map((k) => sign(k, cfgDigest))));
    o.enr_signature = hex(Buffer.concat(safeOwners.map((k) => sign(k, enrDigest))));
  } else {
    o.config_signature = hex(sign(ops[i], i === bad ? wrongDigest : cfgDigest));
    o.enr_signature = hex(sign(ops[i], enrDigest));
  }
});
d.definition_hash = hex(Full.hashTreeRoot(value(true)));
fs.writeFileSync(outPath, JSON.stringify(d, null, 1));
console.log(`signed ${n} operators (operator ${n - 1} as a 2-owner Safe), config_hash ${d.config_hash}`);
