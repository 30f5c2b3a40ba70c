// Differential check of cluster artifacts with independent implementations:
//  - every keystore-N.json in the given folders decrypts with @chainsafe/bls-keystore using keystore-N.txt,
//    and its secret's public key (via @chainsafe/blst) equals the keystore's pubkey;
//  - every deposit-data*.json entry's deposit_message_root and deposit_data_root equal @lodestar/types'.
// Usage: node cluster_check.mjs DIR...   Prints "N passed, N failed".
import fs from 'node:fs';
import path from 'node:path';
import { decrypt } from '@chainsafe/bls-keystore';
import { SecretKey } from '@chainsafe/blst';
import { ssz } from '@lodestar/types';

let passed = 0, failed = 0;
const check = (ok, what) => { if (ok) passed++; else { failed++; console.log('FAIL', what); } };
const hex = (b) => Buffer.from(b).toString('hex');

for (const dir of process.argv.slice(2)) {
  const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]);
  for (const f of walk(dir)) {
    const base = path.basename(f);
    if (/^keystore-\d+\.json$/.test(base)) {
      const ks = JSON.parse(fs.readFileSync(f, 'utf8'));
      const pw = fs.readFileSync(f.replace(/\.json$/, '.txt'), 'utf8').trim();
      const secret = await decrypt(ks, pw);
      const pk = hex(SecretKey.fromBytes(secret).toPublicKey().toBytes());
      check(pk === ks.pubkey, `${f}: decrypted key's pubkey ${pk} != ${ks.pubkey}`);
    } else if (/^deposit-data.*\.json$/.test(base)) {
      for (const e of JSON.parse(fs.readFileSync(f, 'utf8'))) {
        const msg = { pubkey: Buffer.from(e.pubkey, 'hex'), withdrawalCredentials: Buffer.from(e.withdrawal_credentials, 'hex'), amount: e.amount };
        check(hex(ssz.phase0.DepositMessage.hashTreeRoot(msg)) === e.deposit_message_root, `${f}: deposit_message_root`);
        const data = { ...msg, signature: Buffer.from(e.signature, 'hex') };
        check(hex(ssz.phase0.DepositData.hashTreeRoot(data)) === e.deposit_data_root, `${f}: deposit_data_root`);
      }
    }
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
