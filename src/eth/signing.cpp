#include "eth/signing.hpp"

#include <algorithm>

namespace phx::eth {

Root compute_fork_data_root(const Version& current_version, const Root& genesis_validators_root) {
  return ssz::hash_tree_root(phase0::ForkData{current_version, genesis_validators_root});
}

ForkDigest compute_fork_digest(const Version& current_version, const Root& genesis_validators_root) {
  const Root r = compute_fork_data_root(current_version, genesis_validators_root);
  ForkDigest d{};
  std::copy_n(r.begin(), 4, d.begin());
  return d;
}

Domain compute_domain(const DomainType& domain_type, const Version& fork_version,
                      const Root& genesis_validators_root) {
  const Root r = compute_fork_data_root(fork_version, genesis_validators_root);
  Domain d{};
  std::copy_n(domain_type.begin(), 4, d.begin());
  std::copy_n(r.begin(), 28, d.begin() + 4);
  return d;
}

Root compute_signing_root(const Root& object_root, const Domain& domain) {
  return ssz::hash_tree_root(phase0::SigningData{object_root, domain});
}

Domain get_domain(const ChainConfig& config, const DomainType& domain_type, Epoch epoch) {
  if (domain_type == domain::kDeposit || domain_type == domain::kApplicationBuilder) {
    return compute_domain(domain_type, config.genesis_fork_version(), Root{});
  }
  return compute_domain(domain_type, config.version_at(epoch), config.genesis_validators_root);
}

Domain voluntary_exit_domain(const ChainConfig& config, Epoch exit_epoch, Epoch current_epoch) {
  if (config.fork_at(current_epoch) >= Fork::kDeneb) {
    return compute_domain(domain::kVoluntaryExit, config.version_of(Fork::kCapella),
                          config.genesis_validators_root);
  }
  return compute_domain(domain::kVoluntaryExit, config.version_at(exit_epoch),
                        config.genesis_validators_root);
}

}  // namespace phx::eth
