#pragma once
/// `phalanx dkg verify`: offline, without secrets, checks that a cluster lock, its ceremony transcript and
/// its deposit-data files belong together and are all valid.
#include <optional>
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
///
/// With `old_lock_json` the outputs are those of a reshare of that lock (`phalanx reshare`): the old lock is
/// checked too, the new definition must be the one reshare_definition derives from the old lock and the new
/// operators and threshold, the transcript is verified with the resharing parameters (every dealer's constant
/// commitment is its old public share, the keys are the old ones), and every validator keeps its key, deposit
/// data and builder registration. `participating`: the ENRs of old operators that dealt although they left the
/// cluster (`phalanx reshare remove-operators --participating-operator-enrs`).
Result<std::vector<std::string>, std::string> verify_outputs(std::string_view lock_json, ByteSpan transcript,
                                                             std::span<const DepositFile> deposits,
                                                             std::optional<std::string_view> old_lock_json = {},
                                                             std::span<const std::string> participating = {});

}  // namespace phx::dkg::runner
