// Pure slashing-protection rules. See rules.hpp and README.md for the rule order and why re-signs are
// allowed.
#include "slashing/rules.hpp"

namespace phx::slashing {

const char* to_string(SlashingError e) {
  switch (e) {
    case SlashingError::kOk:
      return "ok";
    case SlashingError::kDoubleProposal:
      return "double proposal: another block was signed at this slot";
    case SlashingError::kDoubleVote:
      return "double vote: another attestation was signed for this target epoch";
    case SlashingError::kSurroundingVote:
      return "surround vote: the attestation surrounds a signed one";
    case SlashingError::kSurroundedVote:
      return "surround vote: the attestation is surrounded by a signed one";
    case SlashingError::kSourceAfterTarget:
      return "attestation source epoch is greater than its target epoch";
    case SlashingError::kBelowSlotWatermark:
      return "block slot is at or below the low watermark";
    case SlashingError::kBelowSourceWatermark:
      return "attestation source epoch is below the low watermark";
    case SlashingError::kBelowTargetWatermark:
      return "attestation target epoch is at or below the low watermark";
    case SlashingError::kValueTooLarge:
      return "slot or epoch is 2^63 or more";
    case SlashingError::kStorage:
      return "slashing-protection storage failed (not safe to sign)";
    case SlashingError::kWrongGenesis:
      return "genesis_validators_root belongs to another chain";
    case SlashingError::kBadInterchange:
      return "malformed EIP-3076 interchange";
    case SlashingError::kUnsupportedVersion:
      return "unsupported interchange_format_version (want \"5\")";
  }
  return "unknown slashing error";
}

bool is_known_root(const std::optional<Root>& root) {
  return root.has_value();
}

Result<Verdict> check_block(const BlockHistory& history, Slot slot, const Root& signing_root) {
  bool any_same_slot = false;
  bool all_identical = true;
  for (const auto& r : history.same_slot) {
    if (r.slot != slot) continue;
    any_same_slot = true;
    if (!is_known_root(r.signing_root) || *r.signing_root != signing_root) all_identical = false;
  }
  if (any_same_slot) {
    if (all_identical) return Verdict::kRepeat;
    return fail(SlashingError::kDoubleProposal);
  }
  if (history.min_slot && slot <= *history.min_slot) return fail(SlashingError::kBelowSlotWatermark);
  return Verdict::kNew;
}

Result<Verdict> check_attestation(const AttestationHistory& history, Epoch source, Epoch target,
                                  const Root& signing_root) {
  if (source > target) return fail(SlashingError::kSourceAfterTarget);
  bool any_same_target = false;
  bool all_identical = true;
  for (const auto& r : history.candidates) {
    if (r.target != target) continue;
    any_same_target = true;
    if (r.source != source || !is_known_root(r.signing_root) || *r.signing_root != signing_root)
      all_identical = false;
  }
  if (any_same_target) {
    if (all_identical) return Verdict::kRepeat;
    return fail(SlashingError::kDoubleVote);
  }
  for (const auto& r : history.candidates) {
    if (r.source < source && r.target > target) return fail(SlashingError::kSurroundedVote);
    if (r.source > source && r.target < target) return fail(SlashingError::kSurroundingVote);
  }
  if (history.min_source && source < *history.min_source) return fail(SlashingError::kBelowSourceWatermark);
  if (history.min_target && target <= *history.min_target) return fail(SlashingError::kBelowTargetWatermark);
  return Verdict::kNew;
}

std::optional<Slot> min_slot(std::span<const BlockRecord> records) {
  std::optional<Slot> m;
  for (const auto& r : records)
    if (!m || r.slot < *m) m = r.slot;
  return m;
}

}  // namespace phx::slashing
