#pragma once
/// Full verification of a cluster lock, as `phalanx lock verify` and `phalanx run` do before trusting it.
#include "cluster/definition.hpp"

namespace phx::cluster {

/// Checks, in order, failing with the first problem and naming the field, validator or operator:
/// hashes (config, definition, lock); operator/creator EIP-712 signatures; validator count and share counts;
/// distinct validator keys; every validator's public shares lie on one polynomial of degree threshold-1 that
/// recombines to its key; signature_aggregate (the aggregate of every share's signature over lock_hash);
/// builder registrations (signed by the validator key, fee recipient as in the definition); partial deposit
/// data (signed by the validator key, credentials as in the definition); node signatures.
LockResult<void> verify_lock(const Lock& l);

}  // namespace phx::cluster
