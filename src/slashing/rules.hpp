#pragma once
/// Pure slashing-protection rules (no I/O): given the relevant part of a validator's signing history, decide
/// whether a block proposal or an attestation is safe to sign, and say why not when it is not.
/// Spec: consensus-specs phase0 beacon-chain.md (is_slashable_attestation_data, process_proposer_slashing),
/// EIP-3076 (low watermarks after an interchange import), "complete" strategy of the EIP-3076 interchange
/// tests (re-signing the identical signing_root is allowed).
#include <optional>
#include <span>
#include <system_error>

#include "base/bytes.hpp"
#include "base/ids.hpp"
#include "base/result.hpp"

namespace phx::slashing {

/// Why a message is not safe to sign (or why the store or an import failed). Every value except kOk means
/// "do not sign".
enum class SlashingError {
  kOk = 0,
  kDoubleProposal,        ///< a different block (or one with unknown signing_root) was signed at this slot
  kDoubleVote,            ///< a different attestation (or one with unknown signing_root) has this target
  kSurroundingVote,       ///< the new attestation surrounds a recorded one
  kSurroundedVote,        ///< the new attestation is surrounded by a recorded one
  kSourceAfterTarget,     ///< source epoch > target epoch
  kBelowSlotWatermark,    ///< slot <= the lowest recorded block slot (EIP-3076)
  kBelowSourceWatermark,  ///< source epoch < the lowest recorded source epoch (EIP-3076)
  kBelowTargetWatermark,  ///< target epoch <= the lowest recorded target epoch (EIP-3076)
  kValueTooLarge,         ///< slot or epoch >= 2^63 (not representable in the store)
  kStorage,               ///< the database failed (I/O, corruption, lock): fail closed
  kWrongGenesis,          ///< the database or interchange belongs to another chain
  kBadInterchange,        ///< malformed EIP-3076 interchange JSON
  kUnsupportedVersion,    ///< interchange_format_version is not "5"
};
const char* to_string(SlashingError e);
PHX_ERROR_ENUM(SlashingError, "slashing")

/// A recorded block proposal. `signing_root` is empty when unknown (imported without one); an unknown root
/// never matches as a re-sign. (An explicit all-zero root is a value like any other, as in the EIP-3076
/// tests.)
struct BlockRecord {
  Slot slot{};
  std::optional<Root> signing_root;
  bool operator==(const BlockRecord&) const = default;
};

/// A recorded attestation (source, target checkpoints' epochs) with its signing_root when known.
struct AttestationRecord {
  Epoch source{};
  Epoch target{};
  std::optional<Root> signing_root;
  bool operator==(const AttestationRecord&) const = default;
};

/// Outcome of a safe check: kNew must be recorded before signing; kRepeat is the identical message already
/// recorded (same slot/epochs and signing_root), safe to sign again with nothing to record.
enum class Verdict { kNew, kRepeat };

/// The history needed to decide on a block at `slot`: every record at that slot, and the lowest recorded slot
/// (the low watermark) if any. Passing the full history also works.
struct BlockHistory {
  std::span<const BlockRecord> same_slot;
  std::optional<Slot> min_slot;
};

/// The history needed to decide on an attestation (source, target): every record with the same target, any
/// record that surrounds or is surrounded by it (one of each suffices), and the lowest recorded source and
/// target epochs (the low watermarks) if any. Passing the full history also works.
struct AttestationHistory {
  std::span<const AttestationRecord> candidates;
  std::optional<Epoch> min_source;
  std::optional<Epoch> min_target;
};

/// True when `root` is a usable signing root for re-sign matching (present).
bool is_known_root(const std::optional<Root>& root);

/// Decides whether signing a block at `slot` with `signing_root` is safe. Order of rules: identical re-sign
/// (kRepeat), double proposal, low watermark. Not constant time (no secret input).
Result<Verdict> check_block(const BlockHistory& history, Slot slot, const Root& signing_root);

/// Decides whether signing an attestation (source, target) with `signing_root` is safe. Order of rules:
/// source > target, identical re-sign (kRepeat), double vote, surround (both directions), low watermarks.
/// Not constant time (no secret input).
Result<Verdict> check_attestation(const AttestationHistory& history, Epoch source, Epoch target,
                                  const Root& signing_root);

/// Lowest slot of `records` (the EIP-3076 low watermark), none when empty.
std::optional<Slot> min_slot(std::span<const BlockRecord> records);

}  // namespace phx::slashing

PHX_ERROR_ENUM_TRAIT(phx::slashing::SlashingError)
