// Verification reports for definitions and locks (see lock_verify.hpp).
#include "cluster/lock_verify.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <thread>

#include "cluster/deposit.hpp"
#include "crypto/threshold/threshold.hpp"

namespace phx::cluster {
namespace {

namespace bls = crypto::bls;
namespace th = crypto::threshold;

bool is_empty_deposit(const DepositData& dd) {
  auto zero = [](const auto& a) { return std::all_of(a.begin(), a.end(), [](std::uint8_t x) { return x == 0; }); };
  return dd.amount == 0 && zero(dd.pubkey) && zero(dd.withdrawal_credentials) && zero(dd.signature);
}

/// Records checks and the first failure.
struct Recorder {
  LockVerification& out;
  void add(std::string what, CheckStatus s, std::string detail = {}) {
    out.checks.push_back({std::move(what), s, std::move(detail)});
  }
  /// Records a failed check; returns false so callers can `return rec.fail(…)`.
  bool fail(std::string what, LockError e, std::string detail) {
    add(std::move(what), CheckStatus::kFailed, detail);
    out.problem = LockProblem{e, std::move(detail)};
    return false;
  }
};

bool check_signatures(const Lock& l, Recorder& rec) {
  const auto& dv = rec.out.definition;
  const VersionLayout& lay = *layout_of(l.definition.version);
  if (!dv.ok()) return rec.fail("operator signatures", dv.problem->code, dv.problem->detail);
  if (!lay.eip712) rec.add("operator signatures", CheckStatus::kNotInVersion, dv.note);
  else if (dv.unverifiable() > 0) rec.add("operator signatures", CheckStatus::kUnverifiable, dv.note);
  else if (dv.unsigned_operators) rec.add("operator signatures", CheckStatus::kAbsent, dv.note);
  else rec.add("operator signatures", CheckStatus::kPassed);
  return true;
}

/// Share counts, distinct keys and shares, threshold, and each validator's shares on one polynomial.
bool check_shares(const Lock& l, Recorder& rec, std::vector<bls::PublicKey>& all_shares) {
  const Definition& d = l.definition;
  const std::size_t n = d.operators.size();
  if (d.threshold < 1 || d.threshold > n)
    return rec.fail("public shares", LockError::kBadField,
                    "threshold " + std::to_string(d.threshold) + " with " + std::to_string(n) + " operators");
  const auto t = static_cast<std::uint32_t>(d.threshold);
  std::set<ByteArray<48>> seen;
  for (std::size_t i = 0; i < l.validators.size(); ++i) {
    const auto& v = l.validators[i];
    const std::string who = "validator " + std::to_string(i);
    if (v.public_shares.size() != n)
      return rec.fail("public shares", LockError::kBadField,
                      who + ": " + std::to_string(v.public_shares.size()) + " public shares for " + std::to_string(n) +
                          " operators");
    auto dv_key = bls::PublicKey::from_bytes(v.distributed_public_key);
    if (!dv_key)
      return rec.fail("public shares", LockError::kBadField,
                      who + ": distributed_public_key: " + dv_key.error().message());
    if (!seen.insert(v.distributed_public_key).second)
      return rec.fail("public shares", LockError::kBadField, who + ": duplicate distributed_public_key");
    std::set<ByteArray<48>> own;
    std::vector<th::PublicShare> shares;
    for (std::size_t s = 0; s < n; ++s) {
      auto pk = bls::PublicKey::from_bytes(v.public_shares[s]);
      if (!pk)
        return rec.fail("public shares", LockError::kBadField,
                        who + ": public share " + std::to_string(s) + ": " + pk.error().message());
      if (!own.insert(v.public_shares[s]).second)
        return rec.fail("public shares", LockError::kBadField, who + ": duplicate public share " + std::to_string(s));
      shares.push_back({ShareIdx{static_cast<std::uint32_t>(s + 1)}, *pk});
      all_shares.push_back(*pk);
    }
    // Recombining from all n shares checks that shares t+1..n lie on the polynomial through the first t.
    auto recombined = th::recombine_pubkeys(shares, t);
    if (!recombined || !(*recombined == *dv_key))
      return rec.fail("public shares", LockError::kInconsistentShares,
                      who + ": public shares do not recombine to " + to_hex(v.distributed_public_key));
  }
  rec.add("public shares", CheckStatus::kPassed);
  return true;
}

bool check_aggregate(const Lock& l, Recorder& rec, const std::vector<bls::PublicKey>& all_shares) {
  const VersionLayout& lay = *layout_of(l.definition.version);
  if (l.signature_aggregate.empty() && lay.base64_bytes) {
    rec.add("signature_aggregate", CheckStatus::kAbsent,
            l.definition.version + " locks made by `create cluster` carry no signature_aggregate");
    return true;
  }
  auto agg = bls::Signature::from_bytes(l.signature_aggregate);
  if (!agg) return rec.fail("signature_aggregate", LockError::kBadSignatureAggregate, agg.error().message());
  if (!bls::fast_aggregate_verify(all_shares, l.lock_hash, *agg))
    return rec.fail("signature_aggregate", LockError::kBadSignatureAggregate,
                    "not the aggregate of every share's signature over lock_hash");
  rec.add("signature_aggregate", CheckStatus::kPassed);
  return true;
}

/// A signature set of a lock entry, or nullopt when the key or signature does not decode.
std::optional<crypto::bls::SignatureSet> signature_set(const ByteArray<48>& pubkey, const Root& signing_root,
                                                       const ByteArray<96>& signature) {
  auto pk = crypto::bls::PublicKey::from_bytes(pubkey);
  auto sig = crypto::bls::Signature::from_bytes(signature);
  if (!pk || !sig) return std::nullopt;
  return crypto::bls::SignatureSet{*pk, Bytes(signing_root.begin(), signing_root.end()), *sig};
}

/// Every set verifies: one randomised batch check over all cores (a 10,000-validator lock holds 20,000
/// signatures: one pairing each would delay a node's start by minutes). True when empty.
bool verify_all(std::span<const crypto::bls::SignatureSet> sets) {
  if (sets.empty()) return true;
  return crypto::bls::batch_verify(sets, std::max(1u, std::thread::hardware_concurrency()));
}

bool check_registrations(const Lock& l, Recorder& rec) {
  const Definition& d = l.definition;
  if (!layout_of(d.version)->builder_registration) {
    rec.add("builder registrations", CheckStatus::kNotInVersion, d.version + " has no builder registrations");
    return true;
  }
  std::vector<crypto::bls::SignatureSet> sets;
  for (std::size_t i = 0; i < l.validators.size(); ++i) {
    const auto& v = l.validators[i];
    const std::string who = "validator " + std::to_string(i);
    const auto& br = v.builder_registration;
    if (br.absent) return rec.fail("builder registrations", LockError::kBadBuilderRegistration, who + ": missing");
    auto set = br.message.pubkey == v.distributed_public_key
                   ? signature_set(br.message.pubkey, registration_signing_root(br.message, d.fork_version), br.signature)
                   : std::nullopt;
    if (!set)
      return rec.fail("builder registrations", LockError::kBadBuilderRegistration,
                      who + ": not signed by the validator key");
    sets.push_back(std::move(*set));
    if (i < d.validators.size() && !d.validators[i].fee_recipient_address.empty()) {
      auto fee = from_hex(d.validators[i].fee_recipient_address);
      if (!fee || !std::equal(fee->begin(), fee->end(), br.message.fee_recipient.begin()))
        return rec.fail("builder registrations", LockError::kBadBuilderRegistration,
                        who + ": fee recipient differs from the definition");
    }
  }
  if (!verify_all(sets)) {
    for (std::size_t i = 0; i < l.validators.size(); ++i)  // name the first bad one
      if (!verify_registration(l.validators[i].builder_registration, d.fork_version))
        return rec.fail("builder registrations", LockError::kBadBuilderRegistration,
                        "validator " + std::to_string(i) + ": not signed by the validator key");
  }
  rec.add("builder registrations", CheckStatus::kPassed);
  return true;
}

bool check_deposits(const Lock& l, Recorder& rec) {
  const Definition& d = l.definition;
  if (layout_of(d.version)->deposits == DepositShape::kNone) {
    rec.add("deposit data", CheckStatus::kNotInVersion, d.version + " locks carry no deposit data");
    return true;
  }
  std::size_t checked = 0, empty = 0;
  std::vector<crypto::bls::SignatureSet> sets;
  for (std::size_t i = 0; i < l.validators.size(); ++i) {
    const auto& v = l.validators[i];
    for (std::size_t k = 0; k < v.partial_deposit_data.size(); ++k) {
      const auto& dd = v.partial_deposit_data[k];
      if (is_empty_deposit(dd)) {
        ++empty;
        continue;
      }
      const std::string who = "validator " + std::to_string(i) + ": deposit " + std::to_string(k);
      auto set = dd.pubkey == v.distributed_public_key
                     ? signature_set(dd.pubkey,
                                     deposit_signing_root(dd.pubkey, dd.withdrawal_credentials, dd.amount, d.fork_version),
                                     dd.signature)
                     : std::nullopt;
      if (!set) return rec.fail("deposit data", LockError::kBadDepositData, who + " is not signed by the validator key");
      sets.push_back(std::move(*set));
      if (i < d.validators.size() && !d.validators[i].withdrawal_address.empty()) {
        auto wc = withdrawal_credentials(d.validators[i].withdrawal_address, d.compounding);
        if (!wc || *wc != dd.withdrawal_credentials)
          return rec.fail("deposit data", LockError::kBadDepositData,
                          who + " has withdrawal credentials other than the definition's");
      }
      ++checked;
    }
  }
  if (!verify_all(sets)) {
    for (std::size_t i = 0; i < l.validators.size(); ++i)  // name the first bad one
      for (std::size_t k = 0; k < l.validators[i].partial_deposit_data.size(); ++k) {
        const auto& dd = l.validators[i].partial_deposit_data[k];
        if (!is_empty_deposit(dd) && !verify_deposit(dd, d.fork_version))
          return rec.fail("deposit data", LockError::kBadDepositData,
                          "validator " + std::to_string(i) + ": deposit " + std::to_string(k) +
                              " is not signed by the validator key");
      }
  }
  if (checked == 0)
    rec.add("deposit data", CheckStatus::kAbsent, "the lock holds no deposit data (Charon does not require it)");
  else if (empty > 0)
    rec.add("deposit data", CheckStatus::kAbsent,
            std::to_string(checked) + " deposits verified, " + std::to_string(empty) + " empty");
  else
    rec.add("deposit data", CheckStatus::kPassed);
  return true;
}

bool check_node_signatures(const Lock& l, Recorder& rec) {
  if (!layout_of(l.definition.version)->node_signatures) {
    rec.add("node signatures", CheckStatus::kNotInVersion, l.definition.version + " has no node signatures");
    return true;
  }
  if (auto r = verify_node_signatures(l); !r) return rec.fail("node signatures", r.error().code, r.error().detail);
  rec.add("node signatures", CheckStatus::kPassed);
  return true;
}

}  // namespace

DefinitionVerification verify_definition(const Definition& d) {
  if (auto h = verify_definition_hashes(d); !h) {
    DefinitionVerification out = check_definition_signatures(d);
    out.problem = h.error();
    return out;
  }
  return check_definition_signatures(d);
}

const char* to_string(CheckStatus s) {
  switch (s) {
    case CheckStatus::kPassed: return "verified";
    case CheckStatus::kFailed: return "FAILED";
    case CheckStatus::kNotInVersion: return "not in this version";
    case CheckStatus::kAbsent: return "absent";
    case CheckStatus::kUnverifiable: return "not verifiable offline";
  }
  return "unknown";
}

bool LockVerification::complete() const {
  return ok() && std::all_of(checks.begin(), checks.end(),
                             [](const LockCheck& c) { return c.status == CheckStatus::kPassed; });
}

LockVerification check_lock(const Lock& l) {
  LockVerification out;
  Recorder rec{out};
  if (!layout_of(l.definition.version)) {
    rec.fail("hashes", LockError::kUnsupportedVersion, "\"" + l.definition.version + "\"");
    return out;
  }
  if (auto r = verify_hashes(l); !r) {
    rec.fail("hashes", r.error().code, r.error().detail);
    return out;
  }
  rec.add("hashes", CheckStatus::kPassed);
  out.definition = check_definition_signatures(l.definition);
  std::vector<bls::PublicKey> all_shares;
  (void)(check_signatures(l, rec) && check_shares(l, rec, all_shares) && check_aggregate(l, rec, all_shares) &&
         check_registrations(l, rec) && check_deposits(l, rec) && check_node_signatures(l, rec));
  return out;
}

LockResult<void> verify_lock(const Lock& l) {
  auto v = check_lock(l);
  if (v.problem) return std::unexpected(*v.problem);
  return {};
}

}  // namespace phx::cluster
