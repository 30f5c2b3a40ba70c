#pragma once
/// Domains and signing roots. Spec: consensus-specs phase0/beacon-chain.md (compute_domain,
/// compute_signing_root, compute_fork_digest), altair/validator.md, capella (BLS_TO_EXECUTION_CHANGE),
/// deneb/beacon-chain.md (EIP-7044 voluntary exits), builder-specs (DOMAIN_APPLICATION_BUILDER).
/// None of this handles secrets; timing is data-independent anyway.
#include "eth/fork.hpp"
#include "eth/types.hpp"
#include "ssz/merkle.hpp"

namespace phx::eth {

/// DOMAIN_* constants (DomainType, 4 bytes).
namespace domain {
inline constexpr DomainType kBeaconProposer{0x00, 0x00, 0x00, 0x00};
inline constexpr DomainType kBeaconAttester{0x01, 0x00, 0x00, 0x00};
inline constexpr DomainType kRandao{0x02, 0x00, 0x00, 0x00};
inline constexpr DomainType kDeposit{0x03, 0x00, 0x00, 0x00};
inline constexpr DomainType kVoluntaryExit{0x04, 0x00, 0x00, 0x00};
inline constexpr DomainType kSelectionProof{0x05, 0x00, 0x00, 0x00};
inline constexpr DomainType kAggregateAndProof{0x06, 0x00, 0x00, 0x00};
inline constexpr DomainType kSyncCommittee{0x07, 0x00, 0x00, 0x00};
inline constexpr DomainType kSyncCommitteeSelectionProof{0x08, 0x00, 0x00, 0x00};
inline constexpr DomainType kContributionAndProof{0x09, 0x00, 0x00, 0x00};
inline constexpr DomainType kBlsToExecutionChange{0x0A, 0x00, 0x00, 0x00};
inline constexpr DomainType kApplicationMask{0x00, 0x00, 0x00, 0x01};
inline constexpr DomainType kApplicationBuilder{0x00, 0x00, 0x00, 0x01};
}  // namespace domain

/// compute_fork_data_root(current_version, genesis_validators_root) = hash_tree_root(ForkData).
Root compute_fork_data_root(const Version& current_version, const Root& genesis_validators_root);

/// compute_fork_digest (phase0 … electra definition): first 4 bytes of the fork data root. Fulu's
/// blob-parameter mix-in (EIP-7892) is not applied here (fork digests are not part of any signing root).
ForkDigest compute_fork_digest(const Version& current_version, const Root& genesis_validators_root);

/// compute_domain(domain_type, fork_version, genesis_validators_root).
Domain compute_domain(const DomainType& domain_type, const Version& fork_version,
                      const Root& genesis_validators_root);

/// compute_signing_root from an object's hash_tree_root: hash_tree_root(SigningData(object_root, domain)).
Root compute_signing_root(const Root& object_root, const Domain& domain);

/// compute_signing_root(ssz_object, domain).
template <class T>
Root compute_signing_root_of(const T& object, const Domain& domain) {
  return compute_signing_root(ssz::hash_tree_root(object), domain);
}

/// get_domain for a message of `epoch` on `config`, including the spec's special cases: DOMAIN_DEPOSIT and
/// DOMAIN_APPLICATION_BUILDER use GENESIS_FORK_VERSION and a zero genesis_validators_root; for
/// DOMAIN_VOLUNTARY_EXIT use voluntary_exit_domain instead (it needs the chain's current epoch).
Domain get_domain(const ChainConfig& config, const DomainType& domain_type, Epoch epoch);

/// Domain of a voluntary exit for epoch `exit_epoch` signed while the chain is at `current_epoch`:
/// from Deneb on (EIP-7044) always CAPELLA_FORK_VERSION, before that the fork version at `exit_epoch`.
Domain voluntary_exit_domain(const ChainConfig& config, Epoch exit_epoch, Epoch current_epoch);

}  // namespace phx::eth
