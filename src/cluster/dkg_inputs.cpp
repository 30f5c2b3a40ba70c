// DkgInputs from a definition, and the lock a DKG's results make (see dkg_inputs.hpp).
#include "cluster/dkg_inputs.hpp"

#include <algorithm>

#include "cluster/deposit.hpp"
#include "cluster/enr.hpp"
#include "cluster/lock_verify.hpp"

namespace phx::cluster {
namespace {

constexpr std::uint64_t kGwei = 1'000'000'000;
constexpr std::uint64_t kDefaultGasLimit = 30'000'000;  // Charon's registration default before v1.10

std::unexpected<LockProblem> bad(std::string detail) {
  return std::unexpected(LockProblem{LockError::kBadField, std::move(detail)});
}

std::vector<std::uint64_t> deposit_amounts_of(const Definition& d, const VersionLayout& lay) {
  if (lay.deposits == DepositShape::kNone) return {};
  if (!lay.deposit_amounts) return {32 * kGwei};
  if (d.deposit_amounts.empty()) {
    if (d.compounding) return {1 * kGwei, 8 * kGwei, 32 * kGwei, 256 * kGwei};
    return {1 * kGwei, 32 * kGwei};
  }
  std::vector<std::uint64_t> out = d.deposit_amounts;
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

LockResult<DkgInputs> dkg_inputs(const Definition& d) {
  const VersionLayout* lay = layout_of(d.version);
  if (!lay) return std::unexpected(LockProblem{LockError::kUnsupportedVersion, "\"" + d.version + "\""});
  if (auto h = verify_definition_hashes(d); !h) return std::unexpected(h.error());
  DkgInputs in;
  in.version = d.version;
  in.name = d.name;
  in.uuid = d.uuid;
  in.dkg_algorithm = d.dkg_algorithm;
  const std::size_t n = d.operators.size();
  if (n == 0) return bad("the definition has no operators");
  for (std::size_t i = 0; i < n; ++i) {
    const auto& o = d.operators[i];
    const std::string who = "operator " + std::to_string(i);
    if (o.enr.empty()) return bad(who + " has no ENR (it has not joined the cluster yet)");
    auto enr = Enr::parse(o.enr);
    if (!enr) return bad(who + ": invalid ENR: " + enr.error().message());
    for (const auto& prev : in.operators)
      if (prev.node_key == enr->public_key())
        return bad(who + " has the same node key as operator " + std::to_string(prev.operator_idx.value));
    const auto idx = static_cast<std::uint32_t>(i);
    in.operators.push_back({OperatorIdx{idx}, ShareIdx{idx + 1}, o.enr, enr->public_key(), o.address});
  }
  if (d.threshold < 1 || d.threshold > n)
    return bad("threshold " + std::to_string(d.threshold) + " with " + std::to_string(n) + " operators");
  in.threshold = static_cast<std::uint32_t>(d.threshold);
  if (d.num_validators < 1) return bad("num_validators is 0");
  if (d.validators.size() != d.num_validators)
    return bad(std::to_string(d.validators.size()) + " validator addresses for num_validators " +
               std::to_string(d.num_validators));
  in.num_validators = static_cast<std::uint32_t>(d.num_validators);
  for (std::size_t i = 0; i < d.validators.size(); ++i) {
    const auto& v = d.validators[i];
    const std::string who = "validator " + std::to_string(i);
    DkgValidator dv{v.fee_recipient_address, v.withdrawal_address, {}, {}};
    auto fee = from_hex_fixed<20>(v.fee_recipient_address);
    if (!fee) return bad(who + ": fee_recipient_address \"" + v.fee_recipient_address + "\" is not an address");
    dv.fee_recipient = *fee;
    auto wc = withdrawal_credentials(v.withdrawal_address, d.compounding);
    if (!wc) return bad(who + ": withdrawal_address \"" + v.withdrawal_address + "\" is not an address");
    dv.withdrawal_credentials = *wc;
    in.validators.push_back(std::move(dv));
  }
  in.deposit_amounts = deposit_amounts_of(d, *lay);
  in.compounding = d.compounding;
  in.fork_version = d.fork_version;
  auto net = network_by_fork_version(d.fork_version);
  if (!net) return bad("fork_version " + to_hex(d.fork_version) + " names no known network");
  in.network = *net;
  in.builder_registrations = lay->builder_registration;
  in.registration_gas_limit = d.target_gas_limit != 0 ? d.target_gas_limit : kDefaultGasLimit;
  in.registration_timestamp = net->genesis_time;
  in.node_signatures = lay->node_signatures;
  in.config_hash = d.config_hash;
  in.definition_hash = d.definition_hash;
  return in;
}

LockResult<Lock> assemble_lock(const Definition& d, std::vector<DkgValidatorResult> validators) {
  auto in = dkg_inputs(d);
  if (!in) return std::unexpected(in.error());
  if (validators.size() != in->num_validators)
    return bad(std::to_string(validators.size()) + " validators for num_validators " +
               std::to_string(in->num_validators));
  const VersionLayout& lay = *layout_of(d.version);
  Lock l;
  l.definition = d;
  for (std::size_t i = 0; i < validators.size(); ++i) {
    auto& r = validators[i];
    const std::string who = "validator " + std::to_string(i);
    if (r.public_shares.size() != in->operators.size())
      return bad(who + ": " + std::to_string(r.public_shares.size()) + " public shares for " +
                 std::to_string(in->operators.size()) + " operators");
    if (r.deposit_data.size() != in->deposit_amounts.size())
      return bad(who + ": " + std::to_string(r.deposit_data.size()) + " deposits, expected one per amount (" +
                 std::to_string(in->deposit_amounts.size()) + ")");
    for (std::size_t k = 0; k < r.deposit_data.size(); ++k) {
      const auto& dd = r.deposit_data[k];
      if (dd.pubkey != r.distributed_public_key || dd.amount != in->deposit_amounts[k] ||
          dd.withdrawal_credentials != in->validators[i].withdrawal_credentials)
        return bad(who + ": deposit " + std::to_string(k) + " is not for this validator, amount and credentials");
    }
    DistValidator dv;
    dv.distributed_public_key = r.distributed_public_key;
    dv.public_shares = std::move(r.public_shares);
    dv.partial_deposit_data = std::move(r.deposit_data);
    if (lay.builder_registration) {
      const auto& m = r.builder_registration.message;
      if (r.builder_registration.absent || m.pubkey != r.distributed_public_key ||
          m.fee_recipient != in->validators[i].fee_recipient)
        return bad(who + ": builder registration is not for this validator and fee recipient");
      dv.builder_registration = r.builder_registration;
    }
    l.validators.push_back(std::move(dv));
  }
  auto h = compute_lock_hash(l);
  if (!h) return std::unexpected(h.error());
  l.lock_hash = *h;
  return l;
}

LockResult<Lock> complete_lock(Lock lock, const ByteArray<96>& signature_aggregate,
                               std::vector<ByteArray<65>> node_signatures) {
  const VersionLayout* lay = layout_of(lock.definition.version);
  if (!lay) return std::unexpected(LockProblem{LockError::kUnsupportedVersion, "\"" + lock.definition.version + "\""});
  lock.signature_aggregate.assign(signature_aggregate.begin(), signature_aggregate.end());
  lock.node_signatures.clear();
  if (lay->node_signatures)
    for (const auto& s : node_signatures) lock.node_signatures.emplace_back(s.begin(), s.end());
  else if (!node_signatures.empty())
    return bad(lock.definition.version + " locks carry no node signatures");
  if (auto v = verify_lock(lock); !v) return std::unexpected(v.error());
  return lock;
}

}  // namespace phx::cluster
