#pragma once
/// The round-1 view check (issue 17): before preparing a leader's attestation data in QBFT round 1, a node
/// compares it with the data its own beacon node gave it, so that one operator's BN on a minority fork cannot
/// have its view decided by being leader. Pure; the consensus adapter (app/consensus) applies it.
#include <optional>
#include <string>

#include "core/types.hpp"

namespace phx::core {

/// Why `proposed` (a round-1 proposal of an attester duty) differs from this node's own data `own`, or
/// nullopt when they agree: for every validator present in both, the same source and target checkpoints.
/// Head block roots may differ (beacon nodes see a block at different times) and are not compared; entries
/// that are not attestation data, or validators only in one set, are ignored.
std::optional<std::string> attestation_view_differs(const UnsignedDataSet& proposed, const UnsignedDataSet& own);

}  // namespace phx::core
