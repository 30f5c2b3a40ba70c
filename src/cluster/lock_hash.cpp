// Charon's config/definition/lock hashes: SSZ-style roots whose layout depends on the schema version. The
// layout differences are the VersionLayout rows; this file is the one routine that reads them, building each
// hash on a ChunkHasher so the older layouts' quirks come out exactly as Charon computes them.
#include <algorithm>

#include "cluster/chunk_hasher.hpp"
#include "cluster/definition.hpp"

namespace phx::cluster {

const char* to_string(LockError e) {
  switch (e) {
    case LockError::kOk: return "ok";
    case LockError::kBadJson: return "malformed cluster JSON";
    case LockError::kUnsupportedVersion: return "unsupported cluster schema version";
    case LockError::kBadField: return "invalid field value";
    case LockError::kConfigHashMismatch: return "config_hash does not match the definition";
    case LockError::kDefinitionHashMismatch: return "definition_hash does not match the definition";
    case LockError::kLockHashMismatch: return "lock_hash does not match the lock";
    case LockError::kBadOperatorSignature: return "operator signature invalid";
    case LockError::kBadCreatorSignature: return "creator signature invalid";
    case LockError::kBadNodeSignature: return "node signature invalid";
    case LockError::kBadSignatureAggregate: return "signature_aggregate invalid";
    case LockError::kBadDepositData: return "deposit data invalid";
    case LockError::kBadBuilderRegistration: return "builder registration invalid";
    case LockError::kInconsistentShares: return "public shares inconsistent with the validator key";
  }
  return "unknown cluster-lock error";
}

std::string LockProblem::message() const {
  std::string m = to_string(code);
  if (!detail.empty()) m += ": " + detail;
  return m;
}

namespace {

using DS = DefinitionShape;
using Dep = DepositShape;

// clang-format off
constexpr VersionLayout kLayouts[] = {
  // version   shape         b64    nonce  ts_hash eip712 creator amounts proto  gas    siglist deposits        reg    nodesig
  {"v1.0.0",  DS::kLegacy,  true,  true,  false,  false, false,  false,  false, false, false,  Dep::kNone,     false, false},
  {"v1.1.0",  DS::kLegacy,  true,  true,  true,   false, false,  false,  false, false, false,  Dep::kNone,     false, false},
  {"v1.2.0",  DS::kLegacy,  false, false, true,   false, false,  false,  false, false, false,  Dep::kNone,     false, false},
  {"v1.3.0",  DS::kV1_3,    false, false, true,   true,  false,  false,  false, false, false,  Dep::kNone,     false, false},
  {"v1.4.0",  DS::kV1_3,    false, false, true,   true,  true,   false,  false, false, false,  Dep::kNone,     false, false},
  {"v1.5.0",  DS::kCurrent, false, false, true,   true,  true,   false,  false, false, false,  Dep::kNone,     false, false},
  {"v1.6.0",  DS::kCurrent, false, false, true,   true,  true,   false,  false, false, false,  Dep::kFlatV1_6, false, false},
  {"v1.7.0",  DS::kCurrent, false, false, true,   true,  true,   false,  false, false, false,  Dep::kSingle,   true,  true},
  {"v1.8.0",  DS::kCurrent, false, false, true,   true,  true,   true,   false, false, false,  Dep::kList,     true,  true},
  {"v1.9.0",  DS::kCurrent, false, false, true,   true,  true,   true,   true,  false, false,  Dep::kList,     true,  true},
  {"v1.10.0", DS::kCurrent, false, false, true,   true,  true,   true,   true,  true,  false,  Dep::kList,     true,  true},
  {"v1.11.0", DS::kCurrent, false, false, true,   true,  true,   true,   true,  true,  true,   Dep::kList,     true,  true},
};
// clang-format on

// SSZ limits of Charon's schema.
constexpr std::size_t kMaxEnr = 1024, kMaxName = 256, kMaxUuid = 64, kMaxVersion = 16, kMaxTimestamp = 32,
                      kMaxDkgAlgorithm = 32, kMaxOperators = 256, kMaxValidators = 65536,
                      kMaxDepositAmounts = 256;

std::unexpected<LockProblem> problem(LockError e, std::string detail) {
  return std::unexpected(LockProblem{e, std::move(detail)});
}
std::unexpected<LockProblem> too_long(const char* field, std::size_t limit) {
  return problem(LockError::kBadField, std::string(field) + " exceeds its limit of " + std::to_string(limit));
}

using Void = LockResult<void>;
#define PHX_TRY_VOID(expr)            \
  if (auto r_ = (expr); !r_) return r_

/// ByteList[limit].
Void put_byte_list(ChunkHasher& h, ByteSpan b, std::size_t limit, const char* field) {
  if (b.size() > limit) return too_long(field, limit);
  const auto m = h.mark();
  h.put_padded(b);
  h.merkleize_with_mixin(m, b.size(), (limit + 31) / 32);
  return {};
}
Void put_byte_list(ChunkHasher& h, std::string_view s, std::size_t limit, const char* field) {
  return put_byte_list(h, as_bytes(s), limit, field);
}
/// BytesN: `b` left-padded with zeros to n bytes (Charon's leftPad for empty or short values).
Void put_bytes_n(ChunkHasher& h, ByteSpan b, std::size_t n, const char* field) {
  if (b.size() > n) return too_long(field, n);
  Bytes padded(n - b.size(), 0);
  append(padded, b);
  h.put_bytes(padded);
  return {};
}
/// The 20 bytes of a 0x-hex address; "" is no bytes.
LockResult<Bytes> address_bytes(const std::string& a, const char* field) {
  if (a.empty()) return Bytes{};
  auto b = from_hex(a);
  if (!b || b->size() != 20) return problem(LockError::kBadField, std::string(field) + " is not a 20-byte address");
  return *b;
}
Void put_address(ChunkHasher& h, const std::string& a, const char* field, bool padded) {
  auto b = address_bytes(a, field);
  if (!b) return std::unexpected(b.error());
  if (padded) return put_bytes_n(h, *b, 20, field);
  h.put_bytes(*b);  // v1.3–v1.4: an empty address adds no chunk
  return {};
}
/// A signature field: List[Bytes65, 32] (v1.11+), Bytes65 left-padded (v1.5–v1.10) or raw bytes (older).
Void put_signature(ChunkHasher& h, const VersionLayout& lay, const Bytes& sig, const char* field) {
  if (lay.signature_lists) {
    if (sig.size() % kK1SigLen != 0)
      return problem(LockError::kBadField, std::string(field) + " is not a whole number of 65-byte signatures");
    if (sig.size() / kK1SigLen > kMaxK1Sigs) return too_long(field, kMaxK1Sigs * kK1SigLen);
    const auto m = h.mark();
    for (std::size_t i = 0; i < sig.size(); i += kK1SigLen) h.put_bytes(ByteSpan(sig.data() + i, kK1SigLen));
    h.merkleize_with_mixin(m, sig.size() / kK1SigLen, kMaxK1Sigs);
    return {};
  }
  if (lay.shape == DS::kCurrent) return put_bytes_n(h, sig, kK1SigLen, field);
  h.put_bytes(sig);
  return {};
}

/// Charon's "legacy validator addresses": the one fee/withdrawal pair every validator shares before v1.5.
LockResult<ValidatorAddresses> legacy_addresses(const Definition& d) {
  ValidatorAddresses out;
  for (std::size_t i = 0; i < d.validators.size(); ++i) {
    if (i == 0) out = d.validators[0];
    else if (d.validators[i].fee_recipient_address != out.fee_recipient_address ||
             d.validators[i].withdrawal_address != out.withdrawal_address)
      return problem(LockError::kBadField, "version " + d.version + " has one fee recipient and withdrawal address "
                                           "for all validators; validator " + std::to_string(i) + " differs");
  }
  return out;
}

std::string fork_hex(const Definition& d) { return to_hex(d.fork_version); }

/// v1.0–v1.2: every string hashed as its raw text.
Void hash_definition_legacy(const Definition& d, const VersionLayout& lay, bool config_only, ChunkHasher& h) {
  auto va = legacy_addresses(d);
  if (!va) return std::unexpected(va.error());
  if (d.operators.size() > kMaxOperators) return too_long("operators", kMaxOperators);
  const auto m = h.mark();
  h.put_bytes(as_bytes(d.uuid));
  h.put_bytes(as_bytes(d.name));
  h.put_bytes(as_bytes(d.version));
  h.put_u64(d.num_validators);
  h.put_u64(d.threshold);
  h.put_bytes(as_bytes(va->fee_recipient_address));
  h.put_bytes(as_bytes(va->withdrawal_address));
  h.put_bytes(as_bytes(d.dkg_algorithm));
  h.put_bytes(as_bytes(fork_hex(d)));
  const auto ops = h.mark();
  for (const auto& o : d.operators) {
    if (config_only) {
      h.put_bytes(as_bytes(o.address));
      continue;
    }
    const auto om = h.mark();
    h.put_bytes(as_bytes(o.address));
    h.put_bytes(as_bytes(o.enr));
    if (lay.operator_nonce) h.put_u64(0);
    h.put_bytes(o.config_signature);
    h.put_bytes(o.enr_signature);
    h.merkleize(om);
  }
  h.merkleize_with_mixin(ops, d.operators.size(), d.operators.size());
  if (config_only ? !d.timestamp.empty() : lay.timestamp_hashed) h.put_bytes(as_bytes(d.timestamp));
  h.merkleize(m);
  return {};
}

/// v1.3+.
Void hash_definition_ssz(const Definition& d, const VersionLayout& lay, bool config_only, ChunkHasher& h) {
  const bool padded = lay.shape == DS::kCurrent;
  const auto m = h.mark();
  PHX_TRY_VOID(put_byte_list(h, d.uuid, kMaxUuid, "uuid"));
  PHX_TRY_VOID(put_byte_list(h, d.name, kMaxName, "name"));
  PHX_TRY_VOID(put_byte_list(h, d.version, kMaxVersion, "version"));
  PHX_TRY_VOID(put_byte_list(h, d.timestamp, kMaxTimestamp, "timestamp"));
  h.put_u64(d.num_validators);
  h.put_u64(d.threshold);
  if (!padded) {
    auto va = legacy_addresses(d);
    if (!va) return std::unexpected(va.error());
    PHX_TRY_VOID(put_address(h, va->fee_recipient_address, "fee_recipient_address", false));
    PHX_TRY_VOID(put_address(h, va->withdrawal_address, "withdrawal_address", false));
  }
  PHX_TRY_VOID(put_byte_list(h, d.dkg_algorithm, kMaxDkgAlgorithm, "dkg_algorithm"));
  PHX_TRY_VOID(put_bytes_n(h, d.fork_version, 4, "fork_version"));

  if (d.operators.size() > kMaxOperators) return too_long("operators", kMaxOperators);
  const auto ops = h.mark();
  for (const auto& o : d.operators) {
    const auto om = h.mark();
    PHX_TRY_VOID(put_address(h, o.address, "operator address", padded));
    if (!config_only) {
      PHX_TRY_VOID(put_byte_list(h, o.enr, kMaxEnr, "operator enr"));
      PHX_TRY_VOID(put_signature(h, lay, o.config_signature, "operator config_signature"));
      PHX_TRY_VOID(put_signature(h, lay, o.enr_signature, "operator enr_signature"));
    }
    h.merkleize(om);
  }
  h.merkleize_with_mixin(ops, d.operators.size(), kMaxOperators);

  if (lay.creator) {
    const auto cm = h.mark();
    PHX_TRY_VOID(put_address(h, d.creator.address, "creator address", padded));
    if (!config_only) PHX_TRY_VOID(put_signature(h, lay, d.creator.config_signature, "creator config_signature"));
    h.merkleize(cm);
  }

  if (padded) {
    if (d.validators.size() > kMaxValidators) return too_long("validators", kMaxValidators);
    const auto vals = h.mark();
    for (const auto& v : d.validators) {
      const auto vm = h.mark();
      PHX_TRY_VOID(put_address(h, v.fee_recipient_address, "fee_recipient_address", true));
      PHX_TRY_VOID(put_address(h, v.withdrawal_address, "withdrawal_address", true));
      h.merkleize(vm);
    }
    h.merkleize_with_mixin(vals, d.validators.size(), kMaxValidators);
  }
  if (lay.deposit_amounts) {
    if (d.deposit_amounts.size() > kMaxDepositAmounts) return too_long("deposit_amounts", kMaxDepositAmounts);
    Bytes packed(d.deposit_amounts.size() * 8);
    for (std::size_t i = 0; i < d.deposit_amounts.size(); ++i) put_le64(packed.data() + 8 * i, d.deposit_amounts[i]);
    const auto am = h.mark();
    h.put_padded(packed);
    h.merkleize_with_mixin(am, d.deposit_amounts.size(), kMaxDepositAmounts * 8 / 32);
  }
  if (lay.consensus_protocol) PHX_TRY_VOID(put_byte_list(h, d.consensus_protocol, kMaxName, "consensus_protocol"));
  if (lay.gas_and_compounding) {
    h.put_u64(d.target_gas_limit);
    h.put_bool(d.compounding);
  }
  if (!config_only) h.put_bytes(d.config_hash);
  h.merkleize(m);
  return {};
}

Void hash_definition(const Definition& d, bool config_only, ChunkHasher& h) {
  const VersionLayout* lay = layout_of(d.version);
  if (!lay) return problem(LockError::kUnsupportedVersion, "\"" + d.version + "\"");
  if (lay->shape == DS::kLegacy) return hash_definition_legacy(d, *lay, config_only, h);
  return hash_definition_ssz(d, *lay, config_only, h);
}

void put_deposit_fields(ChunkHasher& h, const DepositData& dd) {
  h.put_bytes(dd.pubkey);
  h.put_bytes(dd.withdrawal_credentials);
  h.put_u64(dd.amount);
  h.put_bytes(dd.signature);
}
void put_deposit(ChunkHasher& h, const DepositData& dd) {
  const auto m = h.mark();
  put_deposit_fields(h, dd);
  h.merkleize(m);
}

void put_registration(ChunkHasher& h, const BuilderRegistration& br) {
  const auto m = h.mark();
  const auto mm = h.mark();
  if (!br.absent) h.put_bytes(br.message.fee_recipient);  // Charon hashes the raw bytes: none when empty
  h.put_u64(br.message.gas_limit);
  h.put_u64(br.message.timestamp);
  h.put_bytes(br.message.pubkey);
  h.merkleize(mm);
  h.put_bytes(br.signature);
  h.merkleize(m);
}

Void hash_validators_legacy(const Lock& l, ChunkHasher& h) {
  const auto vals = h.mark();
  for (const auto& v : l.validators) {
    const auto vm = h.mark();
    h.put_bytes(as_bytes(to_hex(v.distributed_public_key)));
    const auto sm = h.mark();
    for (const auto& s : v.public_shares) h.put_bytes(s);
    h.merkleize_with_mixin(sm, v.public_shares.size(), v.public_shares.size());
    h.merkleize(vm);
  }
  h.merkleize_with_mixin(vals, l.validators.size(), l.validators.size());
  return {};
}

Void hash_validators(const Lock& l, const VersionLayout& lay, ChunkHasher& h) {
  const auto vals = h.mark();
  for (const auto& v : l.validators) {
    if (v.public_shares.size() > kMaxOperators) return too_long("public_shares", kMaxOperators);
    const auto vm = h.mark();
    h.put_bytes(v.distributed_public_key);
    const auto sm = h.mark();
    for (const auto& s : v.public_shares) h.put_bytes(s);
    h.merkleize_with_mixin(sm, v.public_shares.size(), kMaxOperators);
    const DepositData first = v.partial_deposit_data.empty() ? DepositData{} : v.partial_deposit_data.front();
    switch (lay.deposits) {
      case Dep::kNone: break;
      case Dep::kFlatV1_6: put_deposit_fields(h, first); break;
      case Dep::kSingle: put_deposit(h, first); break;
      case Dep::kList: {
        if (v.partial_deposit_data.size() > kMaxDepositAmounts)
          return too_long("partial_deposit_data", kMaxDepositAmounts);
        const auto dm = h.mark();
        for (const auto& dd : v.partial_deposit_data) put_deposit(h, dd);
        h.merkleize_with_mixin(dm, v.partial_deposit_data.size(), kMaxDepositAmounts);
        break;
      }
    }
    if (lay.builder_registration) put_registration(h, v.builder_registration);
    h.merkleize(vm);
  }
  h.merkleize_with_mixin(vals, l.validators.size(), kMaxValidators);
  return {};
}

LockResult<Root> finish(const ChunkHasher& h) {
  auto r = h.root();
  if (!r) return problem(LockError::kBadField, "a list exceeds its SSZ limit");
  return *r;
}

}  // namespace

std::span<const VersionLayout> layouts() { return kLayouts; }

const VersionLayout* layout_of(std::string_view version) {
  for (const auto& l : kLayouts)
    if (l.version == version) return &l;
  return nullptr;
}

LockResult<Root> compute_config_hash(const Definition& d) {
  ChunkHasher h;
  if (auto r = hash_definition(d, true, h); !r) return std::unexpected(r.error());
  return finish(h);
}

LockResult<Root> compute_definition_hash(const Definition& d) {
  ChunkHasher h;
  if (auto r = hash_definition(d, false, h); !r) return std::unexpected(r.error());
  return finish(h);
}

LockResult<Root> compute_lock_hash(const Lock& l) {
  const VersionLayout* lay = layout_of(l.definition.version);
  if (!lay) return problem(LockError::kUnsupportedVersion, "\"" + l.definition.version + "\"");
  if (l.validators.size() > kMaxValidators) return too_long("distributed_validators", kMaxValidators);
  ChunkHasher h;
  const auto m = h.mark();
  if (auto r = hash_definition(l.definition, false, h); !r) return std::unexpected(r.error());
  auto r = lay->shape == DS::kLegacy ? hash_validators_legacy(l, h) : hash_validators(l, *lay, h);
  if (!r) return std::unexpected(r.error());
  h.merkleize(m);
  return finish(h);
}

LockResult<void> verify_definition_hashes(const Definition& d) {
  auto ch = compute_config_hash(d);
  if (!ch) return std::unexpected(ch.error());
  if (*ch != d.config_hash)
    return problem(LockError::kConfigHashMismatch, "computed " + to_hex(*ch) + ", file has " + to_hex(d.config_hash));
  auto dh = compute_definition_hash(d);
  if (!dh) return std::unexpected(dh.error());
  if (*dh != d.definition_hash)
    return problem(LockError::kDefinitionHashMismatch,
                   "computed " + to_hex(*dh) + ", file has " + to_hex(d.definition_hash));
  return {};
}

LockResult<void> verify_hashes(const Lock& l) {
  if (auto r = verify_definition_hashes(l.definition); !r) return r;
  if (l.validators.size() != l.definition.num_validators)
    return problem(LockError::kBadField, "lock has " + std::to_string(l.validators.size()) +
                                             " validators, definition num_validators is " +
                                             std::to_string(l.definition.num_validators));
  auto lh = compute_lock_hash(l);
  if (!lh) return std::unexpected(lh.error());
  if (*lh != l.lock_hash)
    return problem(LockError::kLockHashMismatch, "computed " + to_hex(*lh) + ", file has " + to_hex(l.lock_hash));
  return {};
}

}  // namespace phx::cluster
