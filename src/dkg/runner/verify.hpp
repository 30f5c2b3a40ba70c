#pragma once
/// `phalanx dkg verify`: offline, without secrets, checks that a cluster lock, its ceremony transcript and
/// its deposit-data files belong together and are all valid.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace phx::dkg::runner {

/// A deposit-data file: its name (for messages) and its text.
struct DepositFile {
  std::string name;
  std::string text;
};

/// Checks (1) the lock itself (cluster::check_lock: hashes, shares on one polynomial, signature aggregate,
/// deposits, registrations, node signatures); (2) the transcript (dkg::verify_transcript with the parameters
/// rebuilt from the lock's definition: every message signed by a definition operator, the PoKs, commitments
/// summing to each distributed key and evaluating to the public shares, the R4 aggregate and node signatures,
/// R5); (3) that the transcript's outputs are the lock's (keys, public shares, lock hash, signature
/// aggregate, node signatures) and R5's first artifact hash is the lock file's sha256; (4) every deposit
/// file: each entry's signature (DOMAIN_DEPOSIT), roots and fork version, the entry is the lock's, every
/// validator appears once, and the file's sha256 is one of R5's artifact hashes. Returns one line per check,
/// or the first failure.
Result<std::vector<std::string>, std::string> verify_outputs(std::string_view lock_json, ByteSpan transcript,
                                                             std::span<const DepositFile> deposits);

}  // namespace phx::dkg::runner
