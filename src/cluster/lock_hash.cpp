// Charon's config/definition/lock hashes: SSZ hash_tree_roots whose layout depends on the schema version.
// The layout differences are the VersionLayout rows; this file is the one routine that reads them.
#include <cstring>

#include "cluster/definition.hpp"
#include "ssz/merkle.hpp"

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

constexpr VersionLayout kLayouts[] = {
    // version    deposit_amounts consensus_protocol gas_and_compounding partial_deposit_data
    {"v1.7.0", false, false, false, false},
    {"v1.8.0", true, false, false, true},
    {"v1.9.0", true, true, false, true},
    {"v1.10.0", true, true, true, true},
};

// SSZ limits of Charon's schema.
constexpr std::size_t kMaxEnr = 1024, kMaxName = 256, kMaxUuid = 64, kMaxVersion = 16, kMaxTimestamp = 32,
                      kMaxDkgAlgorithm = 32, kMaxOperators = 256, kMaxValidators = 65536,
                      kMaxDepositAmounts = 256;

std::unexpected<LockProblem> problem(LockError e, std::string detail) {
  return std::unexpected(LockProblem{e, std::move(detail)});
}

Root chunks_root(const std::vector<Root>& fields, std::size_t limit) {
  Bytes flat(fields.size() * 32);
  for (std::size_t i = 0; i < fields.size(); ++i) std::memcpy(flat.data() + 32 * i, fields[i].data(), 32);
  return ssz::merkleize_packed(flat, limit);
}
Root container(const std::vector<Root>& fields) { return chunks_root(fields, fields.size()); }
Root list_of(const std::vector<Root>& elems, std::size_t limit) {
  return ssz::mix_in_length(chunks_root(elems, limit), elems.size());
}
Root u64_root(std::uint64_t v) {
  Root r{};
  put_le64(r.data(), v);
  return r;
}
Root bool_root(bool v) {
  Root r{};
  r[0] = v ? 1 : 0;
  return r;
}
/// ByteVector[n] of `b` left-padded with zeros (Charon's leftPad for empty/short values).
LockResult<Root> bytes_n(ByteSpan b, std::size_t n, const char* field) {
  if (b.size() > n) return problem(LockError::kBadField, std::string(field) + " is longer than " + std::to_string(n));
  Bytes padded(n - b.size(), 0);
  append(padded, b);
  return ssz::merkleize_packed(padded, (n + 31) / 32);
}
LockResult<Root> byte_list(std::string_view s, std::size_t limit, const char* field) {
  if (s.size() > limit)
    return problem(LockError::kBadField, std::string(field) + " exceeds " + std::to_string(limit) + " bytes");
  return ssz::mix_in_length(ssz::merkleize_packed(as_bytes(s), (limit + 31) / 32), s.size());
}
/// A 0x-hex address as Bytes20 ("" → zeros).
LockResult<Root> address(const std::string& a, const char* field) {
  if (a.empty()) return bytes_n({}, 20, field);
  auto b = from_hex(a);
  if (!b || b->size() != 20) return problem(LockError::kBadField, std::string(field) + " is not a 20-byte address");
  return bytes_n(*b, 20, field);
}

#define PHX_TRY_ROOT(var, expr)                         \
  auto var##_r = (expr);                                \
  if (!var##_r) return std::unexpected(var##_r.error()); \
  const Root var = *var##_r

LockResult<Root> hash_definition(const Definition& d, bool config_only) {
  const VersionLayout* lay = layout_of(d.version);
  if (!lay) return problem(LockError::kUnsupportedVersion, "\"" + d.version + "\"");
  std::vector<Root> f;
  PHX_TRY_ROOT(uuid, byte_list(d.uuid, kMaxUuid, "uuid"));
  PHX_TRY_ROOT(name, byte_list(d.name, kMaxName, "name"));
  PHX_TRY_ROOT(version, byte_list(d.version, kMaxVersion, "version"));
  PHX_TRY_ROOT(timestamp, byte_list(d.timestamp, kMaxTimestamp, "timestamp"));
  PHX_TRY_ROOT(dkg, byte_list(d.dkg_algorithm, kMaxDkgAlgorithm, "dkg_algorithm"));
  PHX_TRY_ROOT(fork, bytes_n(d.fork_version, 4, "fork_version"));
  f = {uuid, name, version, timestamp, u64_root(d.num_validators), u64_root(d.threshold), dkg, fork};

  if (d.operators.size() > kMaxOperators) return problem(LockError::kBadField, "too many operators");
  std::vector<Root> ops;
  for (std::size_t i = 0; i < d.operators.size(); ++i) {
    const auto& o = d.operators[i];
    PHX_TRY_ROOT(addr, address(o.address, "operator address"));
    if (config_only) {
      ops.push_back(container({addr}));
      continue;
    }
    PHX_TRY_ROOT(enr, byte_list(o.enr, kMaxEnr, "operator enr"));
    PHX_TRY_ROOT(csig, bytes_n(o.config_signature, 65, "operator config_signature"));
    PHX_TRY_ROOT(esig, bytes_n(o.enr_signature, 65, "operator enr_signature"));
    ops.push_back(container({addr, enr, csig, esig}));
  }
  f.push_back(list_of(ops, kMaxOperators));

  PHX_TRY_ROOT(caddr, address(d.creator.address, "creator address"));
  if (config_only) {
    f.push_back(container({caddr}));
  } else {
    PHX_TRY_ROOT(csig, bytes_n(d.creator.config_signature, 65, "creator config_signature"));
    f.push_back(container({caddr, csig}));
  }

  if (d.validators.size() > kMaxValidators) return problem(LockError::kBadField, "too many validators");
  std::vector<Root> vals;
  for (const auto& v : d.validators) {
    PHX_TRY_ROOT(fee, address(v.fee_recipient_address, "fee_recipient_address"));
    PHX_TRY_ROOT(wd, address(v.withdrawal_address, "withdrawal_address"));
    vals.push_back(container({fee, wd}));
  }
  f.push_back(list_of(vals, kMaxValidators));

  if (lay->deposit_amounts) {
    if (d.deposit_amounts.size() > kMaxDepositAmounts) return problem(LockError::kBadField, "too many deposit_amounts");
    Bytes packed(d.deposit_amounts.size() * 8);
    for (std::size_t i = 0; i < d.deposit_amounts.size(); ++i) put_le64(packed.data() + 8 * i, d.deposit_amounts[i]);
    f.push_back(ssz::mix_in_length(ssz::merkleize_packed(packed, kMaxDepositAmounts * 8 / 32),
                                   d.deposit_amounts.size()));
  }
  if (lay->consensus_protocol) {
    PHX_TRY_ROOT(cp, byte_list(d.consensus_protocol, kMaxName, "consensus_protocol"));
    f.push_back(cp);
  }
  if (lay->gas_and_compounding) {
    f.push_back(u64_root(d.target_gas_limit));
    f.push_back(bool_root(d.compounding));
  }
  if (!config_only) f.push_back(d.config_hash);
  return container(f);
}

Root deposit_root(const DepositData& dd) {
  return container({*bytes_n(dd.pubkey, 48, "pubkey"), dd.withdrawal_credentials, u64_root(dd.amount),
                    *bytes_n(dd.signature, 96, "signature")});
}

Root registration_root(const BuilderRegistration& br) {
  const auto& m = br.message;
  Root msg = container({*bytes_n(m.fee_recipient, 20, "fee_recipient"), u64_root(m.gas_limit),
                        u64_root(m.timestamp), *bytes_n(m.pubkey, 48, "pubkey")});
  return container({msg, *bytes_n(br.signature, 96, "signature")});
}

}  // namespace

const VersionLayout* layout_of(std::string_view version) {
  for (const auto& l : kLayouts)
    if (l.version == version) return &l;
  return nullptr;
}

LockResult<Root> compute_config_hash(const Definition& d) { return hash_definition(d, true); }
LockResult<Root> compute_definition_hash(const Definition& d) { return hash_definition(d, false); }

LockResult<Root> compute_lock_hash(const Lock& l) {
  const VersionLayout* lay = layout_of(l.definition.version);
  if (!lay) return problem(LockError::kUnsupportedVersion, "\"" + l.definition.version + "\"");
  PHX_TRY_ROOT(def, compute_definition_hash(l.definition));
  if (l.validators.size() > kMaxValidators) return problem(LockError::kBadField, "too many validators");
  std::vector<Root> dvs;
  for (const auto& v : l.validators) {
    if (v.public_shares.size() > kMaxOperators) return problem(LockError::kBadField, "too many public_shares");
    std::vector<Root> shares;
    for (const auto& s : v.public_shares) shares.push_back(*bytes_n(s, 48, "public_share"));
    Root deposits;
    if (lay->partial_deposit_data) {
      if (v.partial_deposit_data.size() > kMaxDepositAmounts)
        return problem(LockError::kBadField, "too many partial_deposit_data");
      std::vector<Root> dds;
      for (const auto& dd : v.partial_deposit_data) dds.push_back(deposit_root(dd));
      deposits = list_of(dds, kMaxDepositAmounts);
    } else {
      deposits = deposit_root(v.partial_deposit_data.empty() ? DepositData{} : v.partial_deposit_data.front());
    }
    dvs.push_back(container({*bytes_n(v.distributed_public_key, 48, "distributed_public_key"),
                             list_of(shares, kMaxOperators), deposits, registration_root(v.builder_registration)}));
  }
  return container({def, list_of(dvs, kMaxValidators)});
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
  auto lh = compute_lock_hash(l);
  if (!lh) return std::unexpected(lh.error());
  if (*lh != l.lock_hash)
    return problem(LockError::kLockHashMismatch, "computed " + to_hex(*lh) + ", file has " + to_hex(l.lock_hash));
  return {};
}

}  // namespace phx::cluster
