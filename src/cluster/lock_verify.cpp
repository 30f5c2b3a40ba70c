#include "cluster/lock_verify.hpp"

#include <set>

#include "cluster/deposit.hpp"
#include "cluster/eip712.hpp"
#include "crypto/threshold/threshold.hpp"

namespace phx::cluster {
namespace {

std::unexpected<LockProblem> problem(LockError e, std::string detail) {
  return std::unexpected(LockProblem{e, std::move(detail)});
}

}  // namespace

LockResult<void> verify_lock(const Lock& l) {
  namespace bls = crypto::bls;
  namespace th = crypto::threshold;
  const Definition& d = l.definition;
  if (auto r = verify_hashes(l); !r) return r;
  if (auto r = verify_definition_signatures(d); !r) return r;
  if (l.validators.size() != d.num_validators)
    return problem(LockError::kBadField, "lock has " + std::to_string(l.validators.size()) +
                                             " validators, definition num_validators is " +
                                             std::to_string(d.num_validators));
  if (d.threshold < 1 || d.threshold > d.operators.size())
    return problem(LockError::kBadField, "threshold " + std::to_string(d.threshold) + " with " +
                                             std::to_string(d.operators.size()) + " operators");
  const auto t = static_cast<std::uint32_t>(d.threshold);
  std::set<ByteArray<48>> seen;
  std::vector<bls::PublicKey> all_shares;
  for (std::size_t i = 0; i < l.validators.size(); ++i) {
    const auto& v = l.validators[i];
    std::string who = "validator " + std::to_string(i);
    if (v.public_shares.size() != d.operators.size())
      return problem(LockError::kBadField, who + ": " + std::to_string(v.public_shares.size()) +
                                               " public shares for " + std::to_string(d.operators.size()) +
                                               " operators");
    auto dv_key = bls::PublicKey::from_bytes(v.distributed_public_key);
    if (!dv_key) return problem(LockError::kBadField, who + ": distributed_public_key: " + dv_key.error().message());
    if (!seen.insert(v.distributed_public_key).second)
      return problem(LockError::kBadField, who + ": duplicate distributed_public_key");
    std::vector<th::PublicShare> shares;
    for (std::size_t s = 0; s < v.public_shares.size(); ++s) {
      auto pk = bls::PublicKey::from_bytes(v.public_shares[s]);
      if (!pk)
        return problem(LockError::kBadField, who + ": public share " + std::to_string(s) + ": " + pk.error().message());
      shares.push_back({ShareIdx{static_cast<std::uint32_t>(s + 1)}, *pk});
      all_shares.push_back(*pk);
    }
    // Recombining from all n shares checks that shares t+1..n lie on the polynomial through the first t.
    auto recombined = th::recombine_pubkeys(shares, t);
    if (!recombined || !(*recombined == *dv_key))
      return problem(LockError::kInconsistentShares,
                     who + ": public shares do not recombine to " + to_hex(v.distributed_public_key));

    const auto& br = v.builder_registration;
    if (br.message.pubkey != v.distributed_public_key || !verify_registration(br, d.fork_version))
      return problem(LockError::kBadBuilderRegistration, who + ": not signed by the validator key");
    if (i < d.validators.size() && !d.validators[i].fee_recipient_address.empty()) {
      auto fee = from_hex(d.validators[i].fee_recipient_address);
      if (!fee || !std::equal(fee->begin(), fee->end(), br.message.fee_recipient.begin()))
        return problem(LockError::kBadBuilderRegistration, who + ": fee recipient differs from the definition");
    }
    for (std::size_t k = 0; k < v.partial_deposit_data.size(); ++k) {
      const auto& dd = v.partial_deposit_data[k];
      std::string dwho = who + ": deposit " + std::to_string(k);
      if (dd.pubkey != v.distributed_public_key || !verify_deposit(dd, d.fork_version))
        return problem(LockError::kBadDepositData, dwho + " is not signed by the validator key");
      if (i < d.validators.size() && !d.validators[i].withdrawal_address.empty()) {
        auto wc = withdrawal_credentials(d.validators[i].withdrawal_address, d.compounding);
        if (!wc || *wc != dd.withdrawal_credentials)
          return problem(LockError::kBadDepositData, dwho + " has withdrawal credentials other than the definition's");
      }
    }
  }
  auto agg = bls::Signature::from_bytes(l.signature_aggregate);
  if (!agg) return problem(LockError::kBadSignatureAggregate, agg.error().message());
  if (!bls::fast_aggregate_verify(all_shares, l.lock_hash, *agg))
    return problem(LockError::kBadSignatureAggregate, "not the aggregate of every share's signature over lock_hash");
  return verify_node_signatures(l);
}

}  // namespace phx::cluster
