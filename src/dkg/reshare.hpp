#pragma once
/// Participants of a reshare (issue 15): the old lock's operators deal their old shares to the new lock's
/// operators, with Charon's index rules — a new operator's share index is its position in the new lock + 1,
/// so removing operators compacts, adding appends, and a replacement keeps the replaced operator's position.
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "crypto/k1/k1.hpp"
#include "dkg/params.hpp"

namespace phx::dkg {

/// The operator sets of a reshare.
struct ReshareOperators {
  std::vector<crypto::k1::PublicKey> old_operators;  ///< old lock order (old share index = position + 1)
  std::vector<crypto::k1::PublicKey> new_operators;  ///< new lock order (new share index = position + 1)
  std::vector<std::uint32_t> dealing_old;            ///< old positions of the operators that deal (≥ old t)
};

/// The ceremony's participants: the new operators in new-lock order (receivers; also dealers when they are
/// old operators in `dealing_old`, with dealer_x = their old index), then the dealing old operators that are
/// not in the new lock (dealers only, e.g. a removed operator that cooperates). Errors: duplicate or unknown
/// operators, a dealing position out of range.
Result<std::vector<Participant>, std::string> reshare_participants(const ReshareOperators& ops);

}  // namespace phx::dkg
